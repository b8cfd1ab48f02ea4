package kube

import (
	"context"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/netlab-dev/netlab/topology"
)

// node is a Kubernetes node with labels and addresses (TYPE=ADDRESS).
func node(name string, labels, annotations map[string]string, addrs ...string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations}}
	for _, a := range addrs {
		typ, addr, _ := strings.Cut(a, "=")
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeAddressType(typ), Address: addr})
	}
	return n
}

func lab(name string) map[string]string { return map[string]string{LabLabel: name} }

// TestHosts: the hosts of a lab are the nodes labelled for it, sorted by
// name, at their InternalIP (not their external one, nor another
// family's than the first node's), with the VXLAN port a node's
// annotation gives.
func TestHosts(t *testing.T) {
	c := fake.NewClientset(
		node("worker-2", lab("ospf"), nil, "ExternalIP=203.0.113.2", "InternalIP=10.1.0.2"),
		node("worker-1", lab("ospf"), map[string]string{VXLANPortAnnotation: "4790"}, "Hostname=worker-1", "InternalIP=10.1.0.1", "InternalIP=fd00::1"),
		node("worker-3", lab("bgp"), nil, "InternalIP=10.1.0.3"),
		node("control", nil, nil, "InternalIP=10.1.0.9"),
		node("worker-4", lab("ospf"), nil, "InternalIP=fd00::4", "InternalIP=10.1.0.4"),
	)
	hosts, err := Hosts(context.Background(), c.CoreV1(), "ospf")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hosts {
		got = append(got, h.Name+" "+h.Address.String()+" "+strconv.Itoa(h.VXLANPort))
	}
	want := []string{"worker-1 10.1.0.1 4790", "worker-2 10.1.0.2 4789", "worker-4 10.1.0.4 4789"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("hosts of ospf: %q, want %q", got, want)
	}
}

// TestHostsRefused: no labelled node, a labelled node with no InternalIP
// (of the family of the others), a bad port annotation: each says what to
// do.
func TestHostsRefused(t *testing.T) {
	for _, tt := range []struct {
		nodes []*corev1.Node
		want  string
	}{
		{[]*corev1.Node{node("worker-1", lab("bgp"), nil, "InternalIP=10.1.0.1")},
			"hosts: kubernetes: no node is labelled netlab.dev/lab=ospf; label those the lab spans: kubectl label node NODE netlab.dev/lab=ospf"},
		{[]*corev1.Node{node("worker-1", lab("ospf"), nil, "ExternalIP=203.0.113.1")},
			"hosts: kubernetes: node worker-1 has no InternalIP address; the lab's tunnels go between nodes' InternalIPs"},
		{[]*corev1.Node{node("worker-1", lab("ospf"), nil, "InternalIP=10.1.0.1"), node("worker-2", lab("ospf"), nil, "InternalIP=fd00::2")},
			"hosts: kubernetes: node worker-2 has no InternalIP address of IPv4, as the first node's is; the lab's tunnels go between nodes' InternalIPs"},
		{[]*corev1.Node{node("worker-1", lab("ospf"), map[string]string{VXLANPortAnnotation: "vxlan"}, "InternalIP=10.1.0.1")},
			`hosts: kubernetes: node worker-1: annotation netlab.dev/vxlan-port="vxlan" is not a UDP port`},
	} {
		c := fake.NewClientset()
		for _, n := range tt.nodes {
			if _, err := c.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := Hosts(context.Background(), c.CoreV1(), "ospf"); err == nil || err.Error() != tt.want {
			t.Errorf("Hosts: %v\nwant %s", err, tt.want)
		}
	}
}

// TestResolve: a topology of hosts: kubernetes gets the cluster's hosts
// and its nodes placed on them, which every rule then accepts.
func TestResolve(t *testing.T) {
	top, err := topology.Parse("lab.yaml", []byte(`name: ospf
hosts: kubernetes
placement: auto
nodes: {r1: {}, r2: {}, r3: {}, r4: {}}
links: [[r1:eth1, r2:eth1], [r2:eth2, r3:eth1], [r3:eth2, r4:eth1]]
`))
	if err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientset(node("worker-b", lab("ospf"), nil, "InternalIP=10.1.0.2"), node("worker-a", lab("ospf"), nil, "InternalIP=10.1.0.1"))
	if err := Resolve(context.Background(), c.CoreV1(), top); err != nil {
		t.Fatal(err)
	}
	var on []string
	for _, n := range top.Nodes {
		on = append(on, n.Name+"@"+n.Host)
	}
	if got := strings.Join(on, " "); got != "r1@worker-a r2@worker-a r3@worker-b r4@worker-b" {
		t.Errorf("placed: %s", got)
	}
	if err := topology.Validate(top); err != nil {
		t.Errorf("the resolved topology: %v", err)
	}
}
