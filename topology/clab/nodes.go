package clab

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/netlab-dev/netlab/topology"
)

// def is one of containerlab's node definitions as written: the
// defaults', a kind's, a group's or a node's.
type def struct {
	label string // "defaults", "kind linux", "group routers", "node PC1"
	pos   topology.Pos
	keys  map[string]topology.Pair
}

type defs struct {
	defaults      *def
	kinds, groups map[string]*def
}

// The keys of a containerlab node definition (types.NodeDefinition), by
// what netlab makes of them.
var (
	// readKeys netlab reads.
	readKeys = []string{"kind", "group", "image", "binds", "exec", "env", "env-files", "cmd", "entrypoint",
		"sysctls", "cpu", "memory", "stages", "network-mode"}
	// droppedKeys only an engine has a use for: left out, on the one
	// warning line.
	droppedKeys = []string{"labels", "mgmt-ipv4", "mgmt-ipv6", "image-pull-policy", "restart-policy", "auto-remove",
		"position", "hostname", "user", "ports", "dns", "healthcheck", "aliases", "cpu-set", "shm-size", "cap-add",
		"privileged", "runtime", "credentials", "certificate", "cgroup-parent", "cgroupns-mode", "security-opts",
		"link-apply-mode", "type", "startup-config", "enforce-startup-config", "suppress-startup-config", "extras",
		"tmpfs", "license", "components", "config", "startup-delay", "username", "password"}
	// refusedKeys would change the lab if left out: what netlab does
	// instead.
	refusedKeys = map[string]string{
		"volumes":  "netlab nodes have no engine volumes; bind a host directory with binds: instead",
		"devices":  "netlab passes no host devices into nodes; leave devices: out",
		"pid-mode": "a netlab node always has a PID namespace of its own; leave pid-mode: out",
	}
)

// def reads a definition's keys, refusing and dropping as it goes; values
// are read when a node needs them.
func (rd *reader) def(v *yaml.Node, label string) *def {
	d := &def{label: label, pos: topology.PosOf(v), keys: map[string]topology.Pair{}}
	if topology.IsNull(v) || !rd.Shape(v, yaml.MappingNode, label, label[strings.LastIndex(label, " ")+1:]+": {kind: linux, image: quay.io/frrouting/frr}") {
		return d
	}
	for _, p := range rd.Pairs(v, "key", "in "+label, "keep only one") {
		k := p.Key.Value
		switch {
		case slices.Contains(readKeys, k):
			d.keys[k] = p
		case slices.Contains(droppedKeys, k):
			rd.drop(k, topology.PosOf(p.Key))
		case refusedKeys[k] != "":
			rd.Refuse(topology.PosOf(p.Key), "%s of %s: %s", k, label, refusedKeys[k])
		default:
			rd.Errorf(topology.PosOf(p.Key), "unknown key %q in %s; containerlab's node keys are %s", k, label,
				strings.Join(append(slices.Clone(readKeys), droppedKeys...), ", "))
		}
	}
	return d
}

// chain is the definitions a node takes its values from, most specific
// first, as containerlab resolves them: the node, its group, its kind,
// the defaults. The kind is the node's, else its group's, else the
// defaults' group's, else the defaults'; the group the node's, else its
// kind's, else the defaults'. A group named but not defined is only a
// label.
func (rd *reader) chain(node *def) (kind string, chain []*def) {
	str := func(d *def, key string) string {
		if d == nil {
			return ""
		}
		p, ok := d.keys[key]
		if !ok || p.Val.Kind != yaml.ScalarNode {
			return ""
		}
		return p.Val.Value
	}
	dflt := rd.defs.defaults
	kind = str(node, "kind")
	if kind == "" {
		kind = str(rd.defs.groups[str(node, "group")], "kind")
	}
	if kind == "" {
		kind = str(rd.defs.groups[str(dflt, "group")], "kind")
	}
	if kind == "" {
		kind = str(dflt, "kind")
	}
	group := str(node, "group")
	if group == "" {
		group = str(rd.defs.kinds[kind], "group")
	}
	if group == "" {
		group = str(dflt, "group")
	}
	for _, d := range []*def{node, rd.defs.groups[group], rd.defs.kinds[kind], dflt} {
		if d != nil {
			chain = append(chain, d)
		}
	}
	return kind, chain
}

// first is the most specific definition of a key in chain.
func first(chain []*def, key string) (topology.Pair, *def, bool) {
	for _, d := range chain {
		if p, ok := d.keys[key]; ok {
			return p, d, true
		}
	}
	return topology.Pair{}, nil, false
}

// node reads one node: its kind and image decide what netlab makes of it.
func (rd *reader) node(np topology.Pair) *topology.Node {
	name := np.Key.Value
	nd := rd.def(np.Val, "node "+name)
	kind, chain := rd.chain(nd)
	n := &topology.Node{Name: name, Pos: topology.PosOf(np.Key), At: topology.At{}}
	kp, _, hasKind := first(chain, "kind")
	if hasKind {
		n.KindPos = topology.PosOf(kp.Val)
	}
	if p, _, ok := first(chain, "network-mode"); ok {
		rd.networkMode(p, name)
	}
	switch kind {
	case "bridge", "ovs-bridge":
		n.Kind = topology.KindBridge
		if kind == "ovs-bridge" {
			rd.note(name, "containerlab's ovs-bridge is a netlab bridge: a Linux bridge in a namespace of its own, made by netlab")
		}
		rd.note(name, "containerlab's bridge is a host bridge made beforehand; netlab's is made with the lab, in a namespace of its own")
		return n
	case "linux", "":
		if !hasKind && !hasKey(chain, "image") {
			rd.Errorf(n.Pos, "node %s has no kind; write kind: linux with an image (such as quay.io/frrouting/frr), or kind: bridge", name)
			return nil
		}
	case "host":
		rd.Refuse(n.KindPos, "kind host of node %s is the host itself; netlab never makes the host part of a lab: remove the node and its links, or make it kind: linux", name)
		return nil
	case "ext-container":
		rd.Refuse(n.KindPos, "kind ext-container of node %s is a container started elsewhere; netlab runs no engine: make it kind: linux with what it runs under exec: or cmd:", name)
		return nil
	default:
		rd.Refuse(n.KindPos, "kind %s of node %s needs a vendor's image; netlab runs the host's own software: make it kind: linux with an FRR image (quay.io/frrouting/frr) and bind its frr.conf", kind, name)
		return nil
	}
	image := ""
	if p, _, ok := first(chain, "image"); ok {
		image, _ = rd.Scalar(p.Val, "image of node "+name, "image: quay.io/frrouting/frr")
		if strings.Contains(lastPart(image), ":") || strings.Contains(image, "@") {
			rd.drop("image tags", topology.PosOf(p.Val))
		}
	}
	n.Kind = topology.KindHost
	sw := software(image)
	switch sw.kind {
	case topology.KindFRR, topology.KindBIRD:
		n.Kind = sw.kind
		rd.note(name, "image %s is kind %s: the host's %s runs, from the files bound in the node", image, n.Kind, sw.name)
	default:
		if image != "" {
			rd.note(name, "image %s runs the host's own software, as kind host", image)
		}
	}
	binds := rd.binds(chain, name)
	switch n.Kind {
	case topology.KindFRR:
		binds = rd.frrFiles(n, binds)
	case topology.KindBIRD:
		binds = rd.birdFiles(n, binds)
	}
	n.Binds = binds
	n.Env = rd.env(chain, name)
	n.Sysctls = rd.stringMap(chain, "sysctls", name)
	n.Exec, n.ExecPos = rd.execs(chain, name)
	rd.cmd(chain, n, sw)
	rd.limits(chain, n)
	rd.stages(chain, n)
	rd.needs(n, image, sw)
	return n
}

func hasKey(chain []*def, key string) bool { _, _, ok := first(chain, key); return ok }

// networkMode refuses what would put the node in another's network: netlab
// gives each node its own. none and bridge are netlab's anyway (no
// management network).
func (rd *reader) networkMode(p topology.Pair, node string) {
	s, ok := rd.Scalar(p.Val, "network-mode of node "+node, "network-mode: none")
	switch {
	case !ok:
	case s == "host":
		rd.Refuse(topology.PosOf(p.Val), "network-mode host of node %s would put it in the host's network; a netlab node always has its own: remove network-mode and link it to the nodes it talks to", node)
	case strings.HasPrefix(s, "container:"):
		rd.Refuse(topology.PosOf(p.Val), "network-mode %s of node %s shares another's network; a netlab node always has its own: remove it and link the nodes", s, node)
	case s == "none" || s == "bridge" || s == "":
	default:
		rd.drop("network-mode "+s, topology.PosOf(p.Val))
	}
}

// binds reads a node's binds as containerlab merges them: every level's,
// a more specific one replacing one with the same node path, sorted.
// Magic variables are replaced and host paths taken from the file's
// directory.
func (rd *reader) binds(chain []*def, node string) []topology.Bind {
	byNode := map[string]topology.Bind{}
	for _, d := range slices.Backward(chain) {
		p, ok := d.keys["binds"]
		if !ok || !rd.Shape(p.Val, yaml.SequenceNode, "binds of "+d.label, `binds: ["router1/frr.conf:/etc/frr/frr.conf"]`) {
			continue
		}
		for _, item := range rd.Items(p.Val) {
			s, ok := rd.Scalar(item, "a bind of "+d.label, "HOST-PATH:NODE-PATH")
			if !ok {
				continue
			}
			s = rd.magic.replace(s, node)
			parts := strings.Split(s, ":")
			if len(parts) == 3 && parts[2] != "ro" && parts[2] != "rw" {
				// Docker's other options (z, Z, shared...) are the
				// engine's.
				rd.drop("bind options", topology.PosOf(item))
				s = parts[0] + ":" + parts[1]
			}
			b, why := topology.ParseBind(s, rd.dir)
			if why != "" {
				rd.Refuse(topology.PosOf(item), "bind %q of %s %s", s, d.label, why)
				continue
			}
			b.Host = rd.abs(strings.SplitN(s, ":", 2)[0])
			b.Pos = topology.PosOf(item)
			byNode[b.Node] = b
		}
	}
	out := make([]topology.Bind, 0, len(byNode))
	for _, b := range byNode {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b topology.Bind) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// stringMap reads a map of strings (env, sysctls) as containerlab merges
// it: the defaults' under the kind's under the group's under the node's.
func (rd *reader) stringMap(chain []*def, key, node string) []topology.KeyValue {
	m := map[string]topology.KeyValue{}
	for _, d := range slices.Backward(chain) {
		p, ok := d.keys[key]
		if !ok || !rd.Shape(p.Val, yaml.MappingNode, key+" of "+d.label, key+": {NAME: value}") {
			continue
		}
		for _, e := range rd.Pairs(p.Val, strings.TrimSuffix(key, "s"), "in "+key+" of "+d.label, "keep only one") {
			kv := topology.KeyValue{Key: e.Key.Value, Pos: topology.PosOf(e.Key), ValuePos: topology.PosOf(e.Val)}
			if !topology.IsNull(e.Val) {
				kv.Value, _ = rd.Scalar(e.Val, e.Key.Value+" of "+key+" of "+d.label, e.Key.Value+": value")
			}
			m[kv.Key] = kv
		}
	}
	return sorted(m)
}

func sorted(m map[string]topology.KeyValue) []topology.KeyValue {
	out := make([]topology.KeyValue, 0, len(m))
	for _, kv := range m {
		out = append(out, kv)
	}
	slices.SortFunc(out, func(a, b topology.KeyValue) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// strings reads a list of strings as containerlab merges it: the defaults'
// first, then the kind's, the group's, the node's, each value once.
func (rd *reader) strList(chain []*def, key string) ([]string, []topology.Pos) {
	var out []string
	var at []topology.Pos
	for _, d := range slices.Backward(chain) {
		p, ok := d.keys[key]
		if !ok || !rd.Shape(p.Val, yaml.SequenceNode, key+" of "+d.label, key+": [...]") {
			continue
		}
		for _, item := range rd.Items(p.Val) {
			if s, ok := rd.Scalar(item, "an item of "+key+" of "+d.label, `"ip link set eth1 up"`); ok && !slices.Contains(out, s) {
				out = append(out, s)
				at = append(at, topology.PosOf(item))
			}
		}
	}
	return out, at
}

// env is a node's environment: its env-files' (read in order) under its
// env:.
func (rd *reader) env(chain []*def, node string) []topology.KeyValue {
	m := map[string]topology.KeyValue{}
	files, at := rd.strList(chain, "env-files")
	for i, f := range files {
		path := rd.abs(f)
		data, ok := rd.readNamed(path, at[i], "env-file")
		if !ok {
			continue
		}
		for k, line := range lines(data) {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			name, value, found := strings.Cut(strings.TrimPrefix(line, "export "), "=")
			name = strings.TrimSpace(name)
			if !found || name == "" {
				rd.Add(rd.fileError(path, topology.Pos{Line: k + 1, Col: 1}, "line %q is not NAME=value; write e.g. LANG=C.UTF-8, or # before a comment", line))
				continue
			}
			value = strings.TrimSpace(value)
			if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
				if value[0] == '"' {
					if u, err := strconv.Unquote(value); err == nil {
						value = u
					} else {
						value = value[1 : len(value)-1]
					}
				} else {
					value = value[1 : len(value)-1]
				}
			}
			// Positioned at the env-files entry: the rules say any
			// problem of the name there.
			m[name] = topology.KeyValue{Key: name, Value: value, Pos: at[i], ValuePos: at[i]}
		}
		rd.note(node, "env-file %s is read into env", rd.shown(path))
	}
	for _, kv := range rd.stringMap(chain, "env", node) {
		m[kv.Key] = kv
	}
	return sorted(m)
}

// execs are a node's exec commands (merged as containerlab merges them),
// as shell lines that run the same words. containerlab runs them after
// every node is up; so does netlab, after its stages' (see stages).
func (rd *reader) execs(chain []*def, node string) ([]string, []topology.Pos) {
	cmds, at := rd.strList(chain, "exec")
	var out []string
	var outAt []topology.Pos
	for i, c := range cmds {
		if line, ok := rd.command(rd.magic.replace(c, node), at[i], "exec command of node "+node); ok {
			out = append(out, goesOn(line))
			outAt = append(outAt, at[i])
		}
	}
	return out, outAt
}

// goesOn is an exec line whose failure, as in containerlab, is said in
// the node's exec log (netlab logs NODE exec) and does not fail up.
func goesOn(line string) string {
	return line + ` || echo "exit $?; containerlab goes on after a failed exec, and so does netlab" >&2`
}

// command is a command containerlab runs without a shell as the shell
// line netlab runs.
func (rd *reader) command(c string, at topology.Pos, what string) (string, bool) {
	words, why := splitWords(c)
	switch {
	case why != "":
		rd.Refuse(at, "%s %q %s; close it", what, c, why)
		return "", false
	case len(words) == 0:
		rd.Refuse(at, "%s is empty; write a command, or remove it", what)
		return "", false
	}
	return shellLine(words), true
}

// cmd makes a node's cmd (after its entrypoint) a service: what the
// container would have run, kept running by netlab. An FRR or BIRD image's
// own start is netlab's to do, so its cmd is left out.
func (rd *reader) cmd(chain []*def, n *topology.Node, sw image) {
	var words []string
	var at topology.Pos
	for _, key := range []string{"entrypoint", "cmd"} {
		p, _, ok := first(chain, key)
		if !ok {
			continue
		}
		s, ok := rd.Scalar(p.Val, key+" of node "+n.Name, key+`: "sleep infinity"`)
		if !ok {
			continue
		}
		w, why := splitWords(rd.magic.replace(s, n.Name))
		if why != "" {
			rd.Refuse(topology.PosOf(p.Val), "%s %q of node %s %s; close it", key, s, n.Name, why)
			return
		}
		words, at = append(words, w...), topology.PosOf(p.Key)
	}
	switch {
	case len(words) == 0:
	case n.Kind != topology.KindHost:
		rd.note(n.Name, "cmd %s is left out: netlab starts %s itself", shellLine(words), sw.name)
	default:
		n.Services = []topology.KeyValue{{Key: "cmd", Value: shellLine(words), Pos: at, ValuePos: at}}
		rd.note(n.Name, "cmd is service cmd: started after the exec steps, kept running, stopped at down (netlab logs %s cmd)", n.Name)
	}
}

// limits makes cpu and memory the node's own limits.
func (rd *reader) limits(chain []*def, n *topology.Node) {
	l := topology.Limits{At: topology.At{}}
	if p, _, ok := first(chain, "cpu"); ok {
		if s, ok := rd.Scalar(p.Val, "cpu of node "+n.Name, "cpu: 1.5"); ok {
			if f, err := strconv.ParseFloat(s, 64); err != nil || f <= 0 {
				rd.Refuse(topology.PosOf(p.Val), "cpu %q of node %s is not a positive number; write CPUs' worth of time, e.g. cpu: 1.5", s, n.Name)
			} else {
				l.CPUs, l.Pos, l.At["cpus"] = f, topology.PosOf(p.Key), topology.PosOf(p.Val)
			}
		}
	}
	if p, _, ok := first(chain, "memory"); ok {
		if s, ok := rd.Scalar(p.Val, "memory of node "+n.Name, "memory: 1GB"); ok {
			if b, ok := dockerBytes(s); !ok {
				rd.Refuse(topology.PosOf(p.Val), "memory %q of node %s is not a size; write e.g. memory: 512MB or 1GB", s, n.Name)
			} else {
				l.Memory, l.At["memory"] = b, topology.PosOf(p.Val)
				if l.Pos == (topology.Pos{}) {
					l.Pos = topology.PosOf(p.Key)
				}
			}
		}
	}
	if !l.Zero() {
		n.Limits = l
		rd.note(n.Name, "cpu and memory are the node's limits (limits:)")
	}
}

var dockerSizeRE = regexp.MustCompile(`^(?i)([0-9]+(?:\.[0-9]+)?) ?([kmgtp]?)i?b?$`)

// dockerBytes reads a size as Docker does (and so containerlab): a number
// and an optional unit k, m, g, t or p, with or without b or ib, any case,
// all powers of 1024.
func dockerBytes(s string) (int64, bool) {
	m := dockerSizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	shift := strings.Index("kmgtp", strings.ToLower(m[2])) + 1
	if m[2] == "" {
		shift = 0
	}
	f *= float64(int64(1) << (10 * shift))
	if f >= 1<<62 {
		return 0, false
	}
	return int64(f), true
}

// lastPart is the last element of an image reference's path, tag
// included: frr:10.5.1 of quay.io/frrouting/frr:10.5.1.
func lastPart(image string) string { return image[strings.LastIndex(image, "/")+1:] }

// isDir reports whether path is a directory.
func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// within reports whether the node path p is dir or below it.
func within(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }
