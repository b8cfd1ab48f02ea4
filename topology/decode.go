package topology

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse parses a topology file's content; file names it in errors, and a
// bind's relative host path is resolved against file's directory. It
// returns a valid topology, or every problem of the file joined with
// errors.Join, each an *Error: parse = decode (the YAML into a Topology,
// refusing what cannot be read) + build (defaults merged, links' interfaces
// added, checks resolved) + the rules that judge every Topology
// (Validate).
func Parse(file string, data []byte) (*Topology, error) {
	r, root := NewReader(file, data, "write at least name: and nodes:")
	if root == nil {
		return nil, joined(r.Errs())
	}
	d := &decoder{Reader: r, dir: filepath.Dir(file)}
	t := d.topology(root)
	build(t)
	return Judge(t, r.Errs())
}

// Judge returns t when the problems found in reading it (decoded) and the
// rules find none; else every one of them, and the files outside a node's
// private view along with them (see viewError), joined in file order.
// Readers of other formats (topology/clab) end with it.
func Judge(t *Topology, decoded []*Error) (*Topology, error) {
	if t.Name == "" && len(decoded) > 0 {
		t.lost.name = true // a reader that found no name said so
	}
	errs := append(slices.Clone(decoded), rules(t)...)
	if len(errs) == 0 {
		t.Place()
		return t, nil
	}
	return nil, joined(append(errs, viewErrors(t)...))
}

var (
	nodeKeys = []string{"kind", "interfaces", "routes", "sysctls", "files", "exec", "services", "daemons", "daemon-options",
		"config", "env", "binds", "limits", "clock", "wait-for", "host"}
	// defaultsKeys are those every node may share: not the interfaces
	// and exec order that are each node's own.
	defaultsKeys = slices.DeleteFunc(slices.Clone(nodeKeys), func(k string) bool { return k == "interfaces" || k == "wait-for" })
)

// decoder reads netlab's own format into a Topology.
type decoder struct {
	*Reader
	dir string // the file's directory: binds' relative host paths are relative to it
}

func (d *decoder) topology(root *yaml.Node) *Topology {
	t := &Topology{File: d.File, lost: lost{addrs: map[string]bool{}, values: d.unread}}
	t.lost.name = true // until it is read
	if !d.Shape(root, yaml.MappingNode, "a topology", "name:, nodes: and links: at the top level") {
		return t
	}
	f := d.Fields(root, "at the top level", []string{"name", "defaults", "nodes", "links", "limits", "checks", "hosts", "placement"}, clabTopKeys)
	if p, ok := f["name"]; !ok {
		d.Errorf(PosOf(root), `missing key "name"; add the lab's name at the top level, e.g. name: triangle`)
	} else if name, ok := d.Scalar(p.Val, "name", "name: triangle"); ok {
		t.Name, t.NamePos, t.lost.name = name, PosOf(p.Val), false
	}
	if p, ok := f["defaults"]; ok {
		t.defaults = d.node(p.Val, "defaults", "defaults: {kind: router}", defaultsKeys, t)
	}
	if p, ok := f["nodes"]; !ok {
		if MappingValue(root, "topology") == nil { // its own error says to move nodes: out of it
			d.Errorf(PosOf(root), `missing key "nodes"; add nodes: with at least one node, e.g. nodes: {h1: {}}`)
		}
		t.lost.nodes = true
	} else {
		isMap := d.Shape(p.Val, yaml.MappingNode, "nodes", "nodes: {r1: {kind: router}}")
		t.lost.nodes = !isMap
		if isMap {
			for _, np := range d.Pairs(p.Val, "node", "under nodes", "rename or remove one of them") {
				name := np.Key.Value
				label := nodeLabel(name)
				n := d.node(np.Val, label, show(name)+": {kind: router}, or "+show(name)+": alone for a host", nodeKeys, t)
				n.Name, n.Pos = name, PosOf(np.Key)
				t.Nodes = append(t.Nodes, n)
			}
		}
		if len(t.Nodes) == 0 && (isMap || IsNull(p.Val)) {
			d.Errorf(PosOf(p.Key), "no nodes; add at least one node under nodes:, e.g. h1: {}")
		}
	}
	if p, ok := f["links"]; ok {
		if d.Shape(p.Val, yaml.SequenceNode, "links", "links: [[r1:eth1, r2:eth1]]") {
			for i, l := range d.Items(p.Val) {
				if link := d.link(l, i+1, t); link != nil {
					t.Links = append(t.Links, link)
				}
			}
		} else {
			t.lost.ends = !IsNull(p.Val)
		}
	}
	if p, ok := f["limits"]; ok {
		t.Limits = d.limits(p, "limits")
	}
	if p, ok := f["checks"]; ok {
		t.Checks = d.checks(p)
	}
	if p, ok := f["hosts"]; ok {
		d.hosts(p, t)
	}
	if p, ok := f["placement"]; ok {
		d.placement(p, t)
	}
	return t
}

// nodeLabel names a node in messages: "node r1", its name quoted when it is
// not a valid one.
func nodeLabel(name string) string {
	if !ValidNodeName(name) {
		return "node " + strconv.Quote(name)
	}
	return "node " + name
}

// node reads a node's mapping, or defaults', as written: the merge with
// defaults is build's.
func (d *decoder) node(v *yaml.Node, label, example string, valid []string, t *Topology) *Node {
	n := &Node{At: At{}}
	if !d.Shape(v, yaml.MappingNode, label, example) {
		return n
	}
	f := d.Fields(v, "in "+label, valid, clabNodeKeys)
	for _, k := range valid {
		p, ok := f[k]
		if !ok {
			continue
		}
		n.At[k] = PosOf(p.Key)
		switch k {
		case "kind":
			n.KindPos = PosOf(p.Val)
			if s, ok := d.Scalar(p.Val, "kind of "+label, "kind: router"); ok {
				n.Kind = Kind(s)
			}
		case "interfaces":
			before := len(d.Errs())
			n.Interfaces = d.interfaces(p.Val, label)
			if len(d.Errs()) > before {
				t.lost.addrs[label] = true
			}
		case "routes":
			if d.Shape(p.Val, yaml.SequenceNode, "routes of "+label, "routes: [{to: 10.0.0.0/8, via: 10.0.12.2}]") {
				for i, r := range d.Items(p.Val) {
					if route, ok := d.route(r, fmt.Sprintf("route %d of %s", i+1, label)); ok {
						n.Routes = append(n.Routes, route)
					}
				}
			}
		case "sysctls":
			n.Sysctls = d.sysctls(p.Val, label)
		case "files":
			n.Files = d.files(p.Val, label)
		case "exec":
			n.Exec, n.ExecPos = d.exec(p.Val, label)
		case "services":
			n.Services, n.Ready = d.services(p.Val, label)
		case "daemons":
			n.Daemons, n.DaemonPos = d.daemons(p.Val, label)
		case "daemon-options":
			n.DaemonOptions = d.stringMap(p.Val, "daemon-options of "+label, `daemon-options: {bgpd: "-M rpki"}`, "daemon", "in daemon-options of "+label, "keep only one",
				func(name string) string { return "the options of daemon " + show(name) + " of " + label }, `bgpd: "-M rpki"`)
		case "config":
			n.Config, _ = d.Scalar(p.Val, "config of "+label, "config: | and the configuration on the lines below")
		case "env":
			n.Env = d.stringMap(p.Val, "env of "+label, "env: {LANG: C.UTF-8}", "variable", "in env of "+label, "keep only one",
				func(name string) string { return "variable " + show(name) + " of env of " + label }, `FOO: "bar"`)
		case "binds":
			n.Binds = d.binds(p.Val, label)
		case "limits":
			n.Limits = d.limits(p, "limits of "+label)
		case "clock":
			n.Clock = d.clock(p, label)
		case "wait-for":
			n.WaitFor, n.WaitForPos = d.names(p.Val, "wait-for of "+label, "wait-for: [r1]", "a node in wait-for of "+label)
		case "host":
			n.HostPos = PosOf(p.Val)
			n.Host, _ = d.Scalar(p.Val, "host of "+label, "host: a, one of hosts:")
		}
	}
	return n
}

func (d *decoder) interfaces(v *yaml.Node, label string) []*Interface {
	if !d.Shape(v, yaml.MappingNode, "interfaces of "+label, "interfaces: {eth1: [10.0.12.1/24]}") {
		return nil
	}
	var all []*Interface
	for _, p := range d.Pairs(v, "interface", "in "+label, "merge their addresses into one list") {
		name := p.Key.Value
		if why := ifnameProblem(name); why != "" {
			d.Errorf(PosOf(p.Key), "bad interface name %q of %s: %s; %s", name, label, why, ifnameHint)
			continue
		}
		iface := &Interface{Name: name, Pos: PosOf(p.Key)}
		where := label + " " + name
		if d.Shape(p.Val, yaml.SequenceNode, "addresses of "+where, name+": [10.0.12.1/24]") {
			for _, a := range d.Items(p.Val) {
				if prefix, ok := d.address(a, where); ok {
					iface.Addrs = append(iface.Addrs, prefix)
					iface.AddrPos = append(iface.AddrPos, PosOf(a))
				}
			}
		}
		all = append(all, iface)
	}
	return all
}

func (d *decoder) address(n *yaml.Node, where string) (netip.Prefix, bool) {
	s, ok := d.Scalar(n, "an address of "+where, "10.0.12.1/24")
	if !ok {
		return netip.Prefix{}, false
	}
	prefix, why := ParseAddress(s)
	if why != "" {
		d.Errorf(PosOf(n), "%s of %s%s", AddressWord(s, why), where, why)
		return netip.Prefix{}, false
	}
	return prefix, true
}

// ParseAddress reads an interface address with its prefix length, e.g.
// 10.0.12.1/24, or says after the address's place in a message what is
// wrong with it (see AddressWord).
func ParseAddress(s string) (netip.Prefix, string) {
	if addr, err := netip.ParseAddr(s); err == nil && addr.Zone() == "" {
		bits := 24
		if addr.Is6() {
			bits = 64
		}
		return netip.Prefix{}, fmt.Sprintf(" has no prefix length; write %s/%d", s, bits)
	}
	prefix, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, "; write an address with its prefix length, e.g. 10.0.12.1/24 or 2001:db8:12::1/64"
	}
	return prefix, ""
}

// AddressWord starts the message about an address ParseAddress refused:
// "address X" when it lacks only a prefix length, `bad address "X"` else.
func AddressWord(s, why string) string {
	if strings.HasPrefix(why, " has no prefix") {
		return "address " + s
	}
	return fmt.Sprintf("bad address %q", s)
}

func (d *decoder) route(v *yaml.Node, what string) (Route, bool) {
	const example = "{to: 10.0.0.0/8, via: 10.0.12.2}"
	r := Route{Pos: PosOf(v)}
	if !d.Shape(v, yaml.MappingNode, what, example) {
		if IsNull(v) {
			d.Errorf(PosOf(v), "%s is empty; write %s", what, example)
		}
		return r, false
	}
	f := d.Fields(v, "in "+what, []string{"to", "via"}, nil)
	to, hasTo := f["to"]
	via, hasVia := f["via"]
	for _, k := range []string{"to", "via"} {
		if _, ok := f[k]; !ok {
			d.Errorf(PosOf(v), "%s has no %q; write %s", what, k, example)
		}
	}
	if !hasTo || !hasVia {
		return r, false
	}
	viaOK := false
	if s, ok := d.Scalar(via.Val, "via of "+what, "via: 10.0.12.2"); ok {
		r.ViaPos = PosOf(via.Val)
		addr, err := netip.ParseAddr(s)
		switch {
		case err == nil && addr.Zone() == "":
			r.Via, viaOK = addr, true
		case validPrefix(s):
			d.Errorf(PosOf(via.Val), "gateway %q of %s has a prefix length; write the address alone, e.g. %s", s, what, netip.MustParsePrefix(s).Addr())
		default:
			d.Errorf(PosOf(via.Val), "bad gateway %q of %s; write the address of a neighbour, e.g. 10.0.12.2", s, what)
		}
	}
	s, ok := d.Scalar(to.Val, "to of "+what, "to: 10.0.0.0/8")
	if !ok {
		return r, false
	}
	r.ToPos = PosOf(to.Val)
	switch {
	case s == "default":
		if !viaOK {
			return r, false
		}
		r.To = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if r.Via.Is6() {
			r.To = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
	default:
		dest, _, ok := destination(s)
		if !ok {
			d.Errorf(PosOf(to.Val), "bad destination %q of %s; write a prefix such as 10.0.0.0/8, an address, or default", s, what)
			return r, false
		}
		r.To = dest
	}
	return r, viaOK
}

// validPrefix reports whether s is a prefix (which netip never gives a
// zone).
func validPrefix(s string) bool {
	_, err := netip.ParsePrefix(s)
	return err == nil
}

// destination reads a route destination other than default: a prefix, as
// written (the rules refuse host bits), or an address without a zone, a
// host route (addr). ok is false for anything else.
func destination(s string) (to netip.Prefix, addr bool, ok bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p, false, err == nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return to, false, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true, true
}

func (d *decoder) sysctls(v *yaml.Node, label string) []KeyValue {
	if !d.Shape(v, yaml.MappingNode, "sysctls of "+label, "sysctls: {net.ipv4.ip_forward: 1}") {
		return nil
	}
	var all []KeyValue
	for _, p := range d.Pairs(v, "sysctl", "in "+label, "keep only one") {
		key := p.Key.Value
		if val, ok := d.Scalar(p.Val, "sysctl "+key+" of "+label, key+": 1"); ok {
			all = append(all, KeyValue{Key: key, Value: val, Pos: PosOf(p.Key), ValuePos: PosOf(p.Val)})
		}
	}
	return sortKeys(all)
}

func (d *decoder) files(v *yaml.Node, label string) []KeyValue {
	if !d.Shape(v, yaml.MappingNode, "files of "+label, `files: {/etc/motd: "hello\n"}`) {
		return nil
	}
	var all []KeyValue
	for _, p := range d.Pairs(v, "file", "in "+label, "keep only one") {
		name := p.Key.Value
		kv := KeyValue{Key: name, Pos: PosOf(p.Key), ValuePos: PosOf(p.Val)}
		if !IsNull(p.Val) {
			// Kept when it cannot be read, for the rules to judge its path.
			kv.Value, _ = d.Scalar(p.Val, "file "+show(name)+" of "+label, show(name)+`: "hello\n"`)
		}
		all = append(all, kv)
	}
	return sortKeys(all)
}

func (d *decoder) exec(v *yaml.Node, label string) ([]string, []Pos) {
	if !d.Shape(v, yaml.SequenceNode, "exec of "+label, `exec: ["echo ready"]`) {
		return nil, nil
	}
	var all []string
	var at []Pos
	for _, c := range d.Items(v) {
		if cmd, ok := d.Scalar(c, "a command in exec of "+label, `"echo ready", in quotes if it holds ": "`); ok {
			all = append(all, cmd)
			at = append(at, PosOf(c))
		}
	}
	return all, at
}

// stringMap reads a mapping of names to single values (services, env,
// daemon-options), sorted by name. An empty value is "", for the rules to
// judge.
func (d *decoder) stringMap(v *yaml.Node, what, example, noun, where, dupHint string, valueWhat func(string) string, valueExample string) []KeyValue {
	if !d.Shape(v, yaml.MappingNode, what, example) {
		return nil
	}
	var all []KeyValue
	for _, p := range d.Pairs(v, noun, where, dupHint) {
		kv := KeyValue{Key: p.Key.Value, Pos: PosOf(p.Key), ValuePos: PosOf(p.Val)}
		if !IsNull(p.Val) {
			s, ok := d.Scalar(p.Val, valueWhat(p.Key.Value), valueExample)
			if !ok {
				continue
			}
			kv.Value = s
		}
		all = append(all, kv)
	}
	return sortKeys(all)
}

const readyExample = `web: {cmd: "python3 -m http.server 80", ready: {port: 80}}`

// services reads a node's services, sorted by name: NAME: COMMAND, or the
// long form NAME: {cmd: COMMAND, ready: {port: N | cmd: COMMAND, wait: D}},
// whose ready: it returns too, sorted by service. An empty command is "",
// for the rules to judge.
func (d *decoder) services(v *yaml.Node, label string) ([]KeyValue, []Ready) {
	if !d.Shape(v, yaml.MappingNode, "services of "+label, "services: {"+serviceExample+"}") {
		return nil, nil
	}
	var all []KeyValue
	var ready []Ready
	for _, p := range d.Pairs(v, "service", "in "+label, "rename or remove one of them") {
		name := p.Key.Value
		what := "service " + show(name) + " of " + label
		cmd := p.Val
		var r Ready
		hasReady := false
		if p.Val.Kind == yaml.MappingNode {
			f := d.Fields(p.Val, "in "+what, []string{"cmd", "ready"}, nil)
			if rp, ok := f["ready"]; ok {
				r, hasReady = d.ready(rp.Val, name, what)
			}
			c, ok := f["cmd"]
			if !ok {
				d.Errorf(PosOf(p.Val), "%s has no cmd:; write the command line to run, e.g. %s", what, readyExample)
				continue
			}
			cmd = c.Val
		}
		kv := KeyValue{Key: name, Pos: PosOf(p.Key), ValuePos: PosOf(cmd)}
		if !IsNull(cmd) {
			s, ok := d.Scalar(cmd, "the command of "+what, `one command line, e.g. `+serviceExample+`, in quotes if it holds ": "`)
			if !ok {
				continue
			}
			kv.Value = s
		}
		all = append(all, kv)
		if hasReady {
			ready = append(ready, r)
		}
	}
	return sortKeys(all), sortReady(ready)
}

// ready reads when service is ready: {port: N} or {cmd: COMMAND}, and
// wait: D. What is wrong with it is said here, as the file writes it, and
// the Ready is not kept: the rules say the same of a Ready built in Go.
func (d *decoder) ready(v *yaml.Node, service, what string) (Ready, bool) {
	what = "ready of " + what
	if !d.Shape(v, yaml.MappingNode, what, readyExample) {
		if IsNull(v) {
			d.Errorf(PosOf(v), "empty %s; write when it is ready, e.g. %s", what, readyExample)
		}
		return Ready{}, false
	}
	f := d.Fields(v, "in "+what, []string{"port", "cmd", "wait"}, nil)
	r := Ready{Service: service, Pos: PosOf(v)}
	port, hasPort := f["port"]
	cmd, hasCmd := f["cmd"]
	ok := true
	switch {
	case hasPort && hasCmd:
		d.Errorf(PosOf(cmd.Key), "%s %s", what, readyBoth)
		ok = false
	case hasPort:
		s, read := d.Scalar(port.Val, "port of "+what, "port: 80")
		n, why := wholeNumber(s, 1, 65535)
		if read && why != "" {
			d.Refuse(PosOf(port.Val), "port %s of %s %s; %s", show(s), what, why, portHint)
		}
		r.Port, ok = n, read && why == ""
	case hasCmd:
		s, read := d.Scalar(cmd.Val, "cmd of "+what, `cmd: "test -S /run/app.sock"`)
		if read && strings.TrimSpace(s) == "" {
			d.Refuse(PosOf(cmd.Val), "empty cmd of %s; %s", what, readyCmdHint)
			read = false
		}
		r.Cmd, ok = s, read
	default:
		d.Errorf(PosOf(v), "%s %s", what, readyNothing)
		ok = false
	}
	if w, has := f["wait"]; has {
		s, read := d.Scalar(w.Val, "wait of "+what, "wait: 30s")
		wait, why := parseWait(s)
		if read && why != "" {
			d.Refuse(PosOf(w.Val), "wait %s of %s %s", show(s), what, why)
		}
		r.Wait = &wait
		ok = ok && read && why == ""
	}
	return r, ok
}

func (d *decoder) daemons(v *yaml.Node, label string) ([]string, []Pos) {
	if !d.Shape(v, yaml.SequenceNode, "daemons of "+label, "daemons: [bgpd, ospfd]") {
		return nil, nil
	}
	var all []string
	var at []Pos
	for _, c := range d.Items(v) {
		name, ok := d.Scalar(c, "a daemon of "+label, "bgpd")
		if ok && !slices.Contains(AlwaysDaemons, name) { // they run anyway
			all = append(all, name)
			at = append(at, PosOf(c))
		}
	}
	return all, at
}

// names reads a list of names, such as wait-for's nodes.
func (d *decoder) names(v *yaml.Node, what, example, itemWhat string) ([]string, []Pos) {
	if !d.Shape(v, yaml.SequenceNode, what, example) {
		return nil, nil
	}
	var all []string
	var at []Pos
	for _, c := range d.Items(v) {
		if s, ok := d.Scalar(c, itemWhat, "r1"); ok {
			all = append(all, s)
			at = append(at, PosOf(c))
		}
	}
	return all, at
}

const bindExample = "binds: [configs/r1:/etc/myapp:ro]"

func (d *decoder) binds(v *yaml.Node, label string) []Bind {
	if !d.Shape(v, yaml.SequenceNode, "binds of "+label, bindExample) {
		return nil
	}
	var all []Bind
	for _, c := range d.Items(v) {
		s, ok := d.Scalar(c, "a bind of "+label, "HOST-PATH:NODE-PATH, or HOST-PATH:NODE-PATH:ro")
		if !ok {
			continue
		}
		b, why := ParseBind(s, d.dir)
		if why != "" {
			d.Errorf(PosOf(c), "bind %s of %s %s", show(s), label, why)
			continue
		}
		b.Pos = PosOf(c)
		all = append(all, b)
	}
	return all
}

// ParseBind reads HOST-PATH:NODE-PATH[:ro|:rw], a relative host path taken
// from dir, or says what is wrong with it. The rules judge the paths.
func ParseBind(s, dir string) (Bind, string) {
	parts := strings.Split(s, ":")
	b := Bind{}
	switch len(parts) {
	case 2:
	case 3:
		switch parts[2] {
		case "ro":
			b.ReadOnly = true
		case "rw":
		default:
			return b, fmt.Sprintf("has option %s; write :ro for read-only, or nothing", show(parts[2]))
		}
	default:
		return b, "is not HOST-PATH:NODE-PATH; write e.g. configs/r1:/etc/myapp, with :ro after it for read-only"
	}
	if parts[0] == "" || parts[1] == "" {
		return b, "has an empty path; write HOST-PATH:NODE-PATH, e.g. configs/r1:/etc/myapp"
	}
	b.Host, b.Node = parts[0], parts[1]
	if !filepath.IsAbs(b.Host) {
		b.Host = filepath.Join(dir, b.Host)
	}
	if abs, err := filepath.Abs(b.Host); err == nil {
		b.Host = abs
	}
	return b, ""
}

func (d *decoder) link(v *yaml.Node, i int, t *Topology) *Link {
	const example = "[r1:eth1, r2:eth1], or {endpoints: [r1:eth1, r2:eth1], mtu: 9000}"
	what := fmt.Sprintf("link %d", i)
	l := &Link{Pos: PosOf(v), At: At{}, index: i}
	ends := v
	switch v.Kind {
	case yaml.SequenceNode:
	case yaml.MappingNode:
		f := d.Fields(v, "in "+what, append([]string{"endpoints", "mtu", "mac", "state"}, impairmentKeys...), clabLinkKeys(v))
		for k, p := range f {
			l.At[k] = PosOf(p.Val)
		}
		if p, ok := f["jitter"]; ok {
			l.At["jitter"] = PosOf(p.Key) // jitter without delay: the key is what is wrong
		}
		if p, ok := f["mtu"]; ok {
			l.MTU = d.mtu(p.Val, what)
		}
		if p, ok := f["mac"]; ok {
			l.MACs = d.macs(p.Val, what)
		}
		if p, ok := f["state"]; ok {
			switch s, _ := d.Scalar(p.Val, "state of "+what, "state: down"); s {
			case "up":
			case "down":
				l.Down = true
			default:
				d.Refuse(PosOf(p.Val), "state %s of %s is neither up nor down; write state: down for a link taken down at both ends", show(s), what)
			}
		}
		l.Impair = d.impairment(f, what)
		p, ok := f["endpoints"]
		if !ok {
			d.Errorf(PosOf(v), `%s has no "endpoints"; write endpoints: [r1:eth1, r2:eth1]`, what)
			t.lost.ends = true
			return nil
		}
		ends = p.Val
		if !d.Shape(ends, yaml.SequenceNode, "endpoints of "+what, "endpoints: [r1:eth1, r2:eth1]") {
			if IsNull(ends) {
				d.Errorf(PosOf(p.Key), "endpoints of %s is empty; write endpoints: [r1:eth1, r2:eth1]", what)
			}
			t.lost.ends = true
			return nil
		}
	default:
		d.Errorf(PosOf(v), "%s must be a list or a mapping, not %s; write %s", what, Describe(v), example)
		t.lost.ends = true
		return nil
	}
	var read []Endpoint
	var at []Pos
	for _, e := range d.Items(ends) {
		if e.Kind == yaml.MappingNode && MappingValue(e, "node") != nil {
			d.Errorf(PosOf(e), "an end of %s is a mapping, as containerlab's endpoints are; write it as NODE:IFNAME, e.g. %s", what, clabEndpoint(e))
			t.lost.ends = true
			continue
		}
		s, ok := d.Scalar(e, "an end of "+what, "NODE:IFNAME, e.g. r1:eth1, with no space after the colon")
		if !ok {
			t.lost.ends = true
			continue
		}
		node, ifname, found := strings.Cut(s, ":")
		if !found || node == "" || ifname == "" {
			d.Errorf(PosOf(e), "malformed link end %q; write NODE:IFNAME, e.g. r1:eth1", s)
			t.lost.ends = true
			continue
		}
		if why := ifnameProblem(ifname); why != "" {
			d.Errorf(PosOf(e), "bad interface name %q in link end %q: %s; %s", ifname, s, why, ifnameHint)
			continue
		}
		read = append(read, Endpoint{Node: node, Interface: ifname})
		at = append(at, PosOf(e))
	}
	switch n := len(ends.Content); {
	case n < 2:
		d.Errorf(PosOf(ends), "%s has %s; a link joins two interfaces, so write %s", what, []string{"no ends", "only one end"}[n], example)
	case n > 2:
		d.Errorf(PosOf(ends), "%s has %d ends; a link joins two interfaces, so to join more add a node of kind bridge and link each of them to it", what, n)
	}
	if len(read) != 2 {
		// Not a link, but its ends still name nodes and interfaces.
		for i, e := range read {
			t.lost.strays = append(t.lost.strays, stray{e, at[i]})
		}
		return nil
	}
	copy(l.Endpoints[:], read)
	copy(l.EndPos[:], at)
	return l
}

func (d *decoder) mtu(v *yaml.Node, what string) int {
	s, ok := d.Scalar(v, "mtu of "+what, "mtu: 9000")
	if !ok {
		return 0
	}
	mtu, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		d.Refuse(PosOf(v), "mtu %q of %s is not a whole number; write e.g. mtu: 9000", s, what)
		return 0
	}
	return int(mtu)
}

// macs reads a long-form link's mac: the MAC address of each end, in the
// order of endpoints, "" for one netlab derives.
func (d *decoder) macs(v *yaml.Node, what string) [2]string {
	var out [2]string
	const example = `mac: ["aa:c1:ab:00:00:01", "aa:c1:ab:00:00:02"]`
	if !d.Shape(v, yaml.SequenceNode, "mac of "+what, example) {
		return out
	}
	items := d.Items(v)
	if len(items) != 2 {
		d.Errorf(PosOf(v), "mac of %s has %d addresses; write one for each end, \"\" for netlab's own, e.g. %s", what, len(items), example)
		return out
	}
	for i, m := range items {
		if IsNull(m) {
			continue
		}
		out[i], _ = d.Scalar(m, "a MAC address of "+what, `"aa:c1:ab:00:00:01"`)
	}
	return out
}
