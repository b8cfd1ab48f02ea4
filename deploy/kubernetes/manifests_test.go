package kubernetes

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/netlab-dev/netlab/netlab/kube"
	"github.com/netlab-dev/netlab/topology"
)

// objects decodes every document of every manifest here strictly, as
// client-go's scheme types them: an unknown or misplaced field, a wrong
// kind or version, is an error.
func objects(t *testing.T) []runtime.Object {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	decode := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	var out []runtime.Object
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range regexp.MustCompile(`(?m)^---\n`).Split(string(b), -1) {
			if strings.TrimSpace(regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(doc, "")) == "" {
				continue
			}
			obj, _, err := decode.Decode([]byte(doc), nil, nil)
			if err != nil {
				t.Fatalf("%s, document %d: %v", f, i+1, err)
			}
			out = append(out, obj)
		}
	}
	return out
}

// TestManifests: what the cluster needs of netlab's manifests holds:
// the DaemonSet runs netlab up --host with its node's name from the
// downward API, on the host's network, on the nodes labelled for the lab
// the ConfigMap holds, mounted where the command reads it, and takes its
// part down before it stops; it asks for the capabilities netlab uses
// and no privilege; its service account may list nodes and nothing else.
func TestManifests(t *testing.T) {
	var ds *appsv1.DaemonSet
	var cm *corev1.ConfigMap
	var sa *corev1.ServiceAccount
	var role *rbacv1.ClusterRole
	var binding *rbacv1.ClusterRoleBinding
	for _, o := range objects(t) {
		switch o := o.(type) {
		case *appsv1.DaemonSet:
			ds = o
		case *corev1.ConfigMap:
			cm = o
		case *corev1.ServiceAccount:
			sa = o
		case *rbacv1.ClusterRole:
			role = o
		case *rbacv1.ClusterRoleBinding:
			binding = o
		case *corev1.Namespace:
		default:
			t.Errorf("unexpected object %T", o)
		}
	}
	if ds == nil || cm == nil || sa == nil || role == nil || binding == nil {
		t.Fatalf("want a DaemonSet, a ConfigMap, a ServiceAccount, a ClusterRole and its binding; got %v %v %v %v %v", ds != nil, cm != nil, sa != nil, role != nil, binding != nil)
	}
	spec := ds.Spec.Template.Spec
	if !spec.HostNetwork || spec.ServiceAccountName != sa.Name || sa.Namespace != ds.Namespace {
		t.Errorf("DaemonSet: hostNetwork %v, service account %q (want %s/%s)", spec.HostNetwork, spec.ServiceAccountName, sa.Namespace, sa.Name)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("DaemonSet: %d containers, want 1", len(spec.Containers))
	}
	c := spec.Containers[0]
	cmd := strings.Join(append(slices.Clone(c.Command), c.Args...), " ")
	if !strings.Contains(cmd, `netlab-kube resolve /etc/netlab/lab.yaml > /run/netlab-lab.yaml && netlab up /run/netlab-lab.yaml --host "$NODE_NAME"`) {
		t.Errorf("DaemonSet: command %q does not resolve the ConfigMap's lab.yaml and run netlab up --host $NODE_NAME on it", cmd)
	}
	var nodeName *corev1.EnvVar
	for i := range c.Env {
		if c.Env[i].Name == "NODE_NAME" {
			nodeName = &c.Env[i]
		}
	}
	if nodeName == nil || nodeName.ValueFrom == nil || nodeName.ValueFrom.FieldRef == nil || nodeName.ValueFrom.FieldRef.FieldPath != "spec.nodeName" {
		t.Errorf("DaemonSet: NODE_NAME is not the node's name from the downward API: %+v", nodeName)
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		for _, v := range spec.Volumes {
			if m.Name == v.Name && m.MountPath == "/etc/netlab" && v.ConfigMap != nil && v.ConfigMap.Name == cm.Name && cm.Namespace == ds.Namespace {
				mounted = true
			}
		}
	}
	if !mounted {
		t.Errorf("DaemonSet: ConfigMap %s is not mounted at /etc/netlab", cm.Name)
	}
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Exec == nil ||
		!strings.HasPrefix(strings.Join(c.Lifecycle.PreStop.Exec.Command, " "), "netlab down") {
		t.Errorf("DaemonSet: no preStop netlab down: %+v", c.Lifecycle)
	}
	sc := c.SecurityContext
	want := []corev1.Capability{"SYS_ADMIN", "NET_ADMIN", "SETUID", "SETGID", "SYS_PTRACE", "KILL", "DAC_OVERRIDE"}
	if sc == nil || sc.Privileged == nil || *sc.Privileged || sc.Capabilities == nil ||
		!slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || !slices.Equal(sc.Capabilities.Add, want) {
		t.Errorf("DaemonSet: security context %+v; want not privileged, all capabilities dropped but %v", sc, want)
	}

	// The ConfigMap's lab is valid, found on Kubernetes, and the one the
	// nodes are selected for.
	text, ok := cm.Data["lab.yaml"]
	if !ok {
		t.Fatalf("ConfigMap %s has no lab.yaml", cm.Name)
	}
	lab, err := topology.Parse("configmap.yaml:lab.yaml", []byte(text))
	if err != nil {
		t.Fatalf("the ConfigMap's lab: %v", err)
	}
	if lab.HostsFrom != topology.HostsKubernetes {
		t.Errorf("the ConfigMap's lab has hosts from %q, not kubernetes", lab.HostsFrom)
	}
	if got := spec.NodeSelector[kube.LabLabel]; got != lab.Name {
		t.Errorf("DaemonSet: nodeSelector %s=%q, but the lab is %s", kube.LabLabel, got, lab.Name)
	}

	// The service account lists nodes, and does nothing else.
	if len(role.Rules) != 1 || !slices.Equal(role.Rules[0].Resources, []string{"nodes"}) || !slices.Equal(role.Rules[0].Verbs, []string{"list"}) || !slices.Equal(role.Rules[0].APIGroups, []string{""}) {
		t.Errorf("ClusterRole: %+v; want to list nodes only", role.Rules)
	}
	if binding.RoleRef.Name != role.Name || len(binding.Subjects) != 1 || binding.Subjects[0].Name != sa.Name || binding.Subjects[0].Namespace != sa.Namespace {
		t.Errorf("ClusterRoleBinding: %+v binds %+v, not %s to %s/%s", binding.RoleRef, binding.Subjects, role.Name, sa.Namespace, sa.Name)
	}
}

// TestDockerfile: the image builds netlab with cgo (its node side is C,
// so the build stage has gcc) and has the tini the DaemonSet runs.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	// What comes before the first FROM, then each stage.
	stages := regexp.MustCompile(`(?m)^FROM `).Split(string(b), -1)
	if len(stages) != 3 {
		t.Fatalf("Dockerfile has %d stages, want a build and a runtime one", len(stages)-1)
	}
	build, run := stages[1], stages[2]
	for _, want := range []string{" gcc ", "CGO_ENABLED=1 go build -o /out/ ./cmd/netlab ./cmd/netlab-kube"} {
		if !strings.Contains(build, want) {
			t.Errorf("the build stage lacks %q", want)
		}
	}
	for _, want := range []string{" tini ", "COPY --from=build /out/netlab /out/netlab-kube /usr/local/bin/"} {
		if !strings.Contains(run, want) {
			t.Errorf("the runtime stage lacks %q", want)
		}
	}
}
