package topology

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// CheckKind is what a check tests.
type CheckKind string

const (
	CheckPing  CheckKind = "ping"  // a node reaches an address
	CheckRoute CheckKind = "route" // a route is in a node's main table
	CheckExec  CheckKind = "exec"  // a command's exit code and output
	CheckOSPF  CheckKind = "ospf"  // an OSPF adjacency is Full
	CheckBGP   CheckKind = "bgp"   // a BGP session is Established
)

// CheckKinds lists every kind of check, in the order the documentation
// gives them.
var CheckKinds = []CheckKind{CheckPing, CheckRoute, CheckExec, CheckOSPF, CheckBGP}

// The bounds of a check's values.
const (
	MaxCheckWait  = time.Hour // the longest retry window
	MaxPingCount  = 100
	MaxCheckName  = 200 // bytes
	DefaultPingTo = 1   // packets when count is not given
)

// Check is one assertion of the topology's checks: list, run by netlab
// check and netlab up --check. Exactly one of Ping, Route, Exec, OSPF and
// BGP is set, the one Kind names.
type Check struct {
	Kind CheckKind
	Name string `json:",omitempty"` // as written; "" when the file gives none (see Title)
	// Wait is the retry window: the check is tried until it holds or Wait
	// has passed. nil when the file gives none: the runner's default.
	Wait *time.Duration `json:",omitempty"`
	// ExpectFail turns the check round: it holds when what it tests does
	// not (a ping that gets no reply, a route that is not there).
	ExpectFail bool `json:",omitempty"`
	// Node is where the check runs: ping's from, the node of the others.
	Node  string
	Ping  *PingCheck  `json:",omitempty"`
	Route *RouteCheck `json:",omitempty"`
	Exec  *ExecCheck  `json:",omitempty"`
	OSPF  *OSPFCheck  `json:",omitempty"`
	BGP   *BGPCheck   `json:",omitempty"`
	Pos   Pos         // where the check's item is
}

// PingCheck: Node sends Count echo requests to Addr and every one is
// answered.
type PingCheck struct {
	To    string     // as written: a node, NODE-IFNAME or an address
	Addr  netip.Addr // what To stands for: a node's first name address (as /etc/hosts has it)
	Count int        // echo requests, 1 to MaxPingCount
	Src   string     `json:",omitempty"` // source address or interface of Node, as ping -I takes it
}

// RouteCheck: Node's main routing table has a route to To, through Via
// and Dev when they are given.
type RouteCheck struct {
	To netip.Prefix
	// Lookup is set when to: was an address rather than a prefix: the
	// route checked is the one the kernel would choose for it, the longest
	// prefix of the main table that holds it (default included), rather
	// than a route to exactly To.
	Lookup bool       `json:",omitempty"`
	Via    netip.Addr // the zero Addr when any gateway will do
	Dev    string     `json:",omitempty"`
}

// ExecCheck: Cmd, run with /bin/sh -c in Node, exits with Exit and its
// output (stdout and stderr together) matches Output.
type ExecCheck struct {
	Cmd  string
	Exit int
	// Output is an RE2 regular expression, matched in multi-line mode (^
	// and $ match at every line's start and end); "" matches anything.
	Output string `json:",omitempty"`
}

// OSPFCheck: Node has an OSPF adjacency in state Full with Neighbor, as its
// daemon reports it: FRR's ospfd or BIRD.
type OSPFCheck struct {
	Neighbor string       // as written: a router id, an address or a node of the lab
	Addrs    []netip.Addr // what Neighbor stands for: the address, or every address of the node
}

// BGPCheck: Node's BGP session with Peer is Established (FRR's bgpd or
// BIRD), and at least Prefixes prefixes were received from it.
type BGPCheck struct {
	Peer     string       // as written: an address or a node of the lab
	Addrs    []netip.Addr // what Peer stands for: the address, or every address of the node
	Prefixes int          `json:",omitempty"` // 0: any number
}

// Title is the check's name: the one the file gives, else one made of
// what it tests, such as "ping h1 to h2" or "route r1 to 10.255.0.3/32
// via 10.0.13.3".
func (c *Check) Title() string {
	if c.Name != "" {
		return c.Name
	}
	var s string
	switch {
	case c.Ping != nil:
		s = fmt.Sprintf("ping %s to %s", c.Node, c.Ping.To)
		if c.Ping.Src != "" {
			s += " from " + c.Ping.Src
		}
	case c.Route != nil:
		s = fmt.Sprintf("route %s to %s", c.Node, c.Route.To)
		if c.Route.Lookup {
			s = fmt.Sprintf("route %s to %s", c.Node, c.Route.To.Addr())
		}
		if c.Route.Via.IsValid() {
			s += " via " + c.Route.Via.String()
		}
		if c.Route.Dev != "" {
			s += " dev " + c.Route.Dev
		}
	case c.Exec != nil:
		cmd := strings.Join(strings.Fields(c.Exec.Cmd), " ")
		if len(cmd) > 60 {
			cmd = cmd[:57] + "..."
		}
		s = fmt.Sprintf("exec %s: %s", c.Node, cmd)
	case c.OSPF != nil:
		s = fmt.Sprintf("ospf %s neighbor %s", c.Node, c.OSPF.Neighbor)
	case c.BGP != nil:
		s = fmt.Sprintf("bgp %s peer %s", c.Node, c.BGP.Peer)
		if c.BGP.Prefixes > 0 {
			s += fmt.Sprintf(" prefixes %d", c.BGP.Prefixes)
		}
	default:
		s = string(c.Kind) + " " + c.Node
	}
	if c.ExpectFail {
		s += " (expect fail)"
	}
	return s
}

// NameAddrs are the addresses a node's name stands for in the lab's
// /etc/hosts: its loopback addresses if it has any, else its first address
// of each family.
func (n *Node) NameAddrs() []netip.Addr {
	var lo, first []netip.Addr
	var have4, have6 bool
	for _, ifc := range n.Interfaces {
		for _, p := range ifc.Addrs {
			a := p.Addr()
			if ifc.Name == "lo" {
				lo = append(lo, a)
				continue
			}
			if a.Is4() && !have4 || a.Is6() && !have6 {
				first = append(first, a)
				have4 = have4 || a.Is4()
				have6 = have6 || a.Is6()
			}
		}
	}
	if len(lo) > 0 {
		return lo
	}
	return first
}

// The raw check keeps the YAML of its fields until the nodes are known.

type rawCheck struct {
	index  int
	pos    Pos
	kind   CheckKind
	kindAt Pos
	fields map[string]pair // the kind's mapping, name/wait/expect included when written there
	common map[string]pair // name, wait and expect written beside the kind
}

var (
	checkCommonKeys = []string{"name", "wait", "expect"}
	checkFieldKeys  = map[CheckKind][]string{
		CheckPing:  {"from", "to", "count", "src"},
		CheckRoute: {"node", "to", "via", "dev"},
		CheckExec:  {"node", "cmd", "exit", "output"},
		CheckOSPF:  {"node", "neighbor"},
		CheckBGP:   {"node", "peer", "prefixes"},
	}
	checkExamples = map[CheckKind]string{
		CheckPing:  "ping: {from: h1, to: h2}",
		CheckRoute: "route: {node: r1, to: 10.255.0.3/32, via: 10.0.13.3}",
		CheckExec:  `exec: {node: r1, cmd: "sysctl -n net.ipv4.ip_forward", output: "^1$"}`,
		CheckOSPF:  "ospf: {node: r1, neighbor: 10.255.0.2}",
		CheckBGP:   "bgp: {node: r1, peer: 10.0.12.2}",
	}
)

func checkKindNames() string {
	s := make([]string, len(CheckKinds))
	for i, k := range CheckKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// checks reads the top-level checks: list; what the checks name is
// resolved once the nodes are known (resolveChecks).
func (d *decoder) checks(p pair) []rawCheck {
	if !d.shape(p.val, yaml.SequenceNode, "checks", "checks: [{ping: {from: h1, to: h2}}]") {
		return nil
	}
	var all []rawCheck
	for i, item := range d.items(p.val) {
		if c, ok := d.check(item, i+1); ok {
			all = append(all, c)
		}
	}
	return all
}

func (d *decoder) check(v *yaml.Node, i int) (rawCheck, bool) {
	what := fmt.Sprintf("check %d", i)
	c := rawCheck{index: i, pos: pos(v), common: map[string]pair{}}
	if !d.shape(v, yaml.MappingNode, what, "- "+checkExamples[CheckPing]) {
		if isNull(v) {
			d.errorf(pos(v), "%s is empty; write one check such as %s", what, checkExamples[CheckPing])
		}
		return c, false
	}
	keys := make([]string, 0, len(CheckKinds)+len(checkCommonKeys))
	for _, k := range CheckKinds {
		keys = append(keys, string(k))
	}
	keys = append(keys, checkCommonKeys...)
	f := d.fields(v, "in "+what, keys)
	var kinds []string
	for _, k := range CheckKinds {
		if p, ok := f[string(k)]; ok {
			kinds = append(kinds, string(k))
			if c.kind == "" {
				c.kind, c.kindAt = k, pos(p.key)
				c.fields = map[string]pair{}
				if d.shape(p.val, yaml.MappingNode, string(k)+" of "+what, checkExamples[k]) {
					c.fields = d.fields(p.val, "in "+string(k)+" of "+what, append(slices.Clone(checkFieldKeys[k]), checkCommonKeys...))
				} else if isNull(p.val) {
					d.errorf(pos(p.val), "%s of %s is empty; write %s", k, what, checkExamples[k])
					c.fields = nil
				} else {
					c.fields = nil
				}
			}
		}
	}
	for _, k := range checkCommonKeys {
		if p, ok := f[k]; ok {
			c.common[k] = p
		}
	}
	switch {
	case len(kinds) == 0 && len(f) < len(v.Content)/2:
		return c, false // its unknown key was reported, and is likely the kind misspelt
	case len(kinds) == 0:
		d.errorf(pos(v), "%s says nothing to check; write one of %s, e.g. %s", what, checkKindNames(), checkExamples[CheckPing])
		return c, false
	case len(kinds) > 1:
		d.errorf(pos(f[kinds[1]].key), "%s is both %s and %s; write one check per item of checks:, each with its own -", what, kinds[0], kinds[1])
		return c, false
	}
	return c, c.fields != nil
}

// resolveChecks reads each check's fields against the lab's nodes: the
// nodes it names, their interfaces (ifaces: every interface of each node,
// declared or linked), their kinds and daemons.
func (d *decoder) resolveChecks(raw []rawCheck, byName map[string]*rawNode, names []string, ifaces map[string]map[string]bool, nodesKnown bool) []*Check {
	var out []*Check
	for _, rc := range raw {
		if c, ok := d.resolveCheck(rc, byName, names, ifaces, nodesKnown); ok {
			out = append(out, c)
		}
	}
	return out
}

func (d *decoder) resolveCheck(rc rawCheck, byName map[string]*rawNode, names []string, ifaces map[string]map[string]bool, nodesKnown bool) (*Check, bool) {
	what := fmt.Sprintf("%s check %d", rc.kind, rc.index)
	c := &Check{Kind: rc.kind, Pos: rc.pos}
	ok := true
	bad := func(at *yaml.Node, format string, a ...any) {
		d.errorf(pos(at), format, a...)
		ok = false
	}
	// name, wait and expect: beside the kind or inside it, not both.
	common := map[string]pair{}
	for _, k := range checkCommonKeys {
		inner, hasInner := rc.fields[k]
		outer, hasOuter := rc.common[k]
		switch {
		case hasInner && hasOuter:
			bad(inner.key, "%s of %s is given twice (also at line %d); keep one", k, what, outer.key.Line)
		case hasInner:
			common[k] = inner
		case hasOuter:
			common[k] = outer
		}
	}
	if p, has := common["name"]; has {
		if s, good := d.scalar(p.val, "name of "+what, "name: r1 reaches r3"); !good {
			ok = false
		} else if why := checkNameProblem(s); why != "" {
			bad(p.val, "name %s of %s %s", show(s), what, why)
		} else {
			c.Name = s
		}
	}
	if p, has := common["wait"]; has {
		if w, good := d.wait(p.val, what); good {
			c.Wait = &w
		} else {
			ok = false
		}
	}
	if p, has := common["expect"]; has {
		if s, good := d.scalar(p.val, "expect of "+what, "expect: fail"); !good {
			ok = false
		} else {
			switch s {
			case "fail":
				c.ExpectFail = true
			case "pass":
			default:
				bad(p.val, "expect %s of %s is neither fail nor pass; write expect: fail for a check that must not hold, or leave it out", show(s), what)
			}
		}
	}

	// The node the check runs on.
	nodeKey := "node"
	if rc.kind == CheckPing {
		nodeKey = "from"
	}
	var node *rawNode
	if p, has := rc.fields[nodeKey]; !has {
		d.errorf(rc.kindAt, "%s has no %q; write %s", what, nodeKey, checkExamples[rc.kind])
		ok = false
	} else if s, good := d.scalar(p.val, nodeKey+" of "+what, nodeKey+": r1"); !good {
		ok = false
	} else if node = byName[s]; node == nil {
		if nodesKnown {
			bad(p.val, "%s names unknown node %q; use one of %s", what, s, strings.Join(names, ", "))
		} else {
			ok = false
		}
	} else {
		c.Node = s
	}
	required := func(key, example string) (*yaml.Node, string, bool) {
		p, has := rc.fields[key]
		if !has {
			d.errorf(rc.kindAt, "%s has no %q; write %s", what, key, example)
			ok = false
			return nil, "", false
		}
		s, good := d.scalar(p.val, key+" of "+what, example)
		if !good {
			ok = false
		}
		return p.val, s, good
	}
	optional := func(key, example string) (*yaml.Node, string, bool) {
		p, has := rc.fields[key]
		if !has {
			return nil, "", false
		}
		s, good := d.scalar(p.val, key+" of "+what, example)
		if !good {
			ok = false
		}
		return p.val, s, good
	}
	hasIface := func(name string) bool { return name == "lo" || ifaces[c.Node][name] }

	switch rc.kind {
	case CheckPing:
		pc := &PingCheck{Count: DefaultPingTo}
		c.Ping = pc
		if node != nil && node.kind == KindBridge {
			bad(rc.fields["from"].val, "%s pings from bridge %s, which has no address; ping from a node on its LAN", what, show(c.Node))
		}
		if at, s, good := required("to", "to: h2, to: h2-eth1 or to: 10.0.12.2"); good {
			pc.To = s
			if a, why := d.pingTarget(s, byName, nodesKnown); why != "" {
				bad(at, "%s %s", what, why)
			} else {
				pc.Addr = a
			}
		}
		if at, s, good := optional("count", "count: 3"); good {
			n, why := wholeNumber(s, 1, MaxPingCount)
			if why != "" {
				bad(at, "count %s of %s %s; write how many echo requests to send, e.g. count: 3", show(s), what, why)
			} else {
				pc.Count = n
			}
		}
		if at, s, good := optional("src", "src: 10.0.12.1 or src: eth1"); good {
			if a, err := netip.ParseAddr(s); err == nil {
				if node != nil && !node.addrsLost && !slices.ContainsFunc(node.ifaces, func(i rawIface) bool {
					return slices.ContainsFunc(i.addrs, func(p rawAddr) bool { return p.Addr() == a })
				}) {
					bad(at, "src %s of %s is no address of %s; use one of its addresses, or an interface name", a, what, show(c.Node))
				}
				pc.Src = a.String()
			} else if why := ifnameProblem(s); why == "" {
				if node != nil && !hasIface(s) {
					bad(at, "src %s of %s is no interface of %s; use one of its interfaces or addresses", show(s), what, show(c.Node))
				}
				pc.Src = s
			} else {
				bad(at, "bad src %s of %s; write an address of %s or one of its interfaces, e.g. src: eth1", show(s), what, show(c.Node))
			}
		}
	case CheckRoute:
		rt := &RouteCheck{}
		c.Route = rt
		if at, s, good := required("to", "to: 10.255.0.3/32"); good {
			switch {
			case s == "default":
				rt.To = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
			default:
				switch to, addr, masked, ok := destination(s); {
				case !ok:
					bad(at, "bad destination %s of %s; write a prefix such as 10.255.0.3/32, an address, or default", show(s), what)
				case masked.IsValid():
					bad(at, "destination %s of %s has host bits set; write %s", s, what, masked)
				default:
					rt.To, rt.Lookup = to, addr
				}
			}
		}
		if at, s, good := optional("via", "via: 10.0.13.3"); good {
			a, err := netip.ParseAddr(s)
			switch {
			case err != nil || a.Zone() != "":
				bad(at, "bad gateway %s of %s; write the address of a neighbour, e.g. via: 10.0.13.3", show(s), what)
			default:
				rt.Via = a
				if rt.To.IsValid() && rt.To.Bits() == 0 && rt.To.Addr().Is4() && a.Is6() {
					rt.To = netip.PrefixFrom(netip.IPv6Unspecified(), 0) // default, by the family of via
				}
			}
		}
		if at, s, good := optional("dev", "dev: eth1"); good {
			if why := ifnameProblem(s); why != "" {
				bad(at, "bad interface name %s in dev of %s: %s; %s", show(s), what, why, ifnameHint)
			} else if node != nil && !hasIface(s) {
				bad(at, "dev %s of %s is no interface of %s; use one of its interfaces", show(s), what, show(c.Node))
			}
			rt.Dev = s
		}
	case CheckExec:
		ec := &ExecCheck{}
		c.Exec = ec
		if at, s, good := required("cmd", `cmd: "sysctl -n net.ipv4.ip_forward"`); good {
			if strings.TrimSpace(s) == "" {
				bad(at, `empty cmd of %s; write a command line, e.g. cmd: "sysctl -n net.ipv4.ip_forward"`, what)
			}
			ec.Cmd = s
		}
		if at, s, good := optional("exit", "exit: 1"); good {
			n, why := wholeNumber(s, 0, 255)
			if why != "" {
				bad(at, "exit %s of %s %s; write the exit code the command must end with, from 0 to 255", show(s), what, why)
			} else {
				ec.Exit = n
			}
		}
		if at, s, good := optional("output", `output: "^1$"`); good {
			if _, err := regexp.Compile(s); err != nil { // its message without the (?m) the runner adds
				msg := err.Error()
				msg = strings.TrimPrefix(msg, "error parsing regexp: ")
				bad(at, "output of %s is not a regular expression (%s); write an RE2 expression, e.g. output: \"^1$\", and quote it", what, msg)
			} else {
				ec.Output = s
			}
		}
	case CheckOSPF, CheckBGP:
		key, example := "neighbor", "neighbor: 10.255.0.2"
		if rc.kind == CheckBGP {
			key, example = "peer", "peer: 10.0.12.2"
		}
		var as string
		var addrs []netip.Addr
		if at, s, good := required(key, example); good {
			as = s
			if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
				addrs = []netip.Addr{a}
			} else if n := byName[s]; n != nil {
				if s == c.Node {
					bad(at, "%s names %s itself as its %s; name another router", what, show(s), key)
				}
				for _, i := range n.ifaces {
					for _, p := range i.addrs {
						addrs = append(addrs, p.Addr())
					}
				}
				if len(addrs) == 0 && !n.addrsLost {
					bad(at, "%s %s of %s has no address; give it one, or name the %s by address", key, show(s), what, key)
				}
			} else if nodesKnown || !validName(s) {
				bad(at, "bad %s %s of %s; write a router id or address such as %s, or a node of the lab", key, show(s), what, strings.TrimPrefix(example, key+": "))
			}
		}
		if rc.kind == CheckOSPF {
			c.OSPF = &OSPFCheck{Neighbor: as, Addrs: addrs}
		} else {
			c.BGP = &BGPCheck{Peer: as, Addrs: addrs}
			if at, s, good := optional("prefixes", "prefixes: 2"); good {
				n, why := wholeNumber(s, 0, 1<<30)
				if why != "" {
					bad(at, "prefixes %s of %s %s; write the fewest prefixes the peer must have sent, e.g. prefixes: 2", show(s), what, why)
				} else {
					c.BGP.Prefixes = n
				}
			}
		}
		if node != nil {
			if why := daemonProblem(rc.kind, node); why != "" {
				bad(rc.fields["node"].val, "%s runs on %s, %s", what, show(c.Node), why)
			}
		}
	}
	return c, ok
}

// daemonProblem says why node cannot answer a protocol check of kind, or
// returns "": it runs no daemon speaking that protocol.
func daemonProblem(kind CheckKind, n *rawNode) string {
	daemon, proto := "ospfd", "ospf"
	if kind == CheckBGP {
		daemon, proto = "bgpd", "bgp"
	}
	switch n.kind {
	case KindFRR:
		if !slices.Contains(n.daemons, daemon) {
			return fmt.Sprintf("an FRR router without %s; add %s to its daemons, e.g. daemons: [%s]", daemon, daemon, daemon)
		}
	case KindBIRD:
		if !regexp.MustCompile(`(?m)^\s*protocol\s+` + proto + `\b`).MatchString(n.config) {
			return fmt.Sprintf("a BIRD router whose config has no protocol %s; add one to its config", proto)
		}
	default:
		return fmt.Sprintf("a node of kind %s, which runs no %s daemon; make it kind frr (daemons: [%s]) or bird", n.kind, strings.ToUpper(proto), daemon)
	}
	return ""
}

// pingTarget turns ping's to: into an address: a node (its name address),
// NODE-IFNAME (that interface's first address) or an address. It says why
// when it cannot.
func (d *decoder) pingTarget(s string, byName map[string]*rawNode, nodesKnown bool) (netip.Addr, string) {
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return netip.Addr{}, fmt.Sprintf("pings %s, an address with a zone; write it without %%%s", s, a.Zone())
		}
		return a, ""
	}
	if n := byName[s]; n != nil {
		if n.kind == KindBridge {
			return netip.Addr{}, fmt.Sprintf("pings bridge %s, which has no address; ping a node on its LAN", show(s))
		}
		if a := rawNameAddrs(n); len(a) > 0 {
			return a[0], ""
		}
		if n.addrsLost {
			return netip.Addr{}, ""
		}
		return netip.Addr{}, fmt.Sprintf("pings %s, which has no address; give it one under interfaces:", show(s))
	}
	// NODE-IFNAME: node names have dashes too, so try every split.
	for i := strings.Index(s, "-"); i >= 0; i = next(s, i) {
		n := byName[s[:i]]
		if n == nil {
			continue
		}
		for _, ifc := range n.ifaces {
			if ifc.name == s[i+1:] {
				if len(ifc.addrs) == 0 {
					return netip.Addr{}, fmt.Sprintf("pings %s, but interface %s of %s has no address; give it one, or ping another", show(s), show(ifc.name), show(n.name))
				}
				return ifc.addrs[0].Addr(), ""
			}
		}
	}
	if !nodesKnown {
		return netip.Addr{}, ""
	}
	if strings.Contains(s, ":") || strings.Trim(s, "0123456789.") == "" {
		return netip.Addr{}, fmt.Sprintf("pings %s, which is no address; write an address such as 10.0.12.2 or 2001:db8::2, a node, or NODE-IFNAME", show(s))
	}
	return netip.Addr{}, fmt.Sprintf("pings %s, which is no node, NODE-IFNAME or address of this lab; write e.g. to: h2, to: h2-eth1 or to: 10.0.12.2", show(s))
}

func next(s string, i int) int {
	j := strings.Index(s[i+1:], "-")
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// rawNameAddrs is Node.NameAddrs of a node being read.
func rawNameAddrs(n *rawNode) []netip.Addr {
	m := &Node{}
	for _, i := range n.ifaces {
		ifc := &Interface{Name: i.name}
		for _, a := range i.addrs {
			ifc.Addrs = append(ifc.Addrs, a.Prefix)
		}
		m.Interfaces = append(m.Interfaces, ifc)
	}
	return m.NameAddrs()
}

// wait reads a check's wait: a Go duration such as 30s or 1m30s.
func (d *decoder) wait(v *yaml.Node, what string) (time.Duration, bool) {
	s, ok := d.scalar(v, "wait of "+what, "wait: 30s")
	if !ok {
		return 0, false
	}
	w, why := parseWait(s)
	if why != "" {
		d.errorf(pos(v), "wait %s of %s %s", show(s), what, why)
		return 0, false
	}
	return w, true
}

// parseWait reads a retry window, or says what is wrong with it.
func parseWait(s string) (time.Duration, string) {
	if wholeRE.MatchString(s) && s != "0" {
		return 0, fmt.Sprintf("has no unit; write e.g. %ss for seconds", s)
	}
	w, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, "is not a duration; write a number and a unit, e.g. wait: 30s, 500ms or 2m"
	case w < 0:
		return 0, "is negative; write how long to retry, e.g. wait: 30s, or 0s to try once"
	case w > MaxCheckWait:
		return 0, "is over an hour; write a shorter retry window, e.g. wait: 5m"
	}
	return w, ""
}

// wholeNumber reads a whole number from lo to hi, or says what is wrong.
func wholeNumber(s string, lo, hi int) (int, string) {
	if !wholeRE.MatchString(s) {
		if strings.HasPrefix(s, "-") && wholeRE.MatchString(s[1:]) {
			return 0, "is negative"
		}
		return 0, "is not a whole number"
	}
	var n int
	for _, r := range s {
		n = n*10 + int(r-'0')
		if n > hi {
			return 0, fmt.Sprintf("is over %d", hi)
		}
	}
	if n < lo {
		return 0, fmt.Sprintf("is under %d", lo)
	}
	return n, ""
}

// checkNameProblem says what is wrong with a check's name, or returns "".
func checkNameProblem(s string) string {
	switch {
	case strings.TrimSpace(s) == "":
		return "is empty; write what the check shows, e.g. name: r1 reaches r3, or leave it out"
	case len(s) > MaxCheckName:
		return fmt.Sprintf("is %d bytes long; keep it to %d", len(s), MaxCheckName)
	case strings.Contains(s, "\n"):
		return "spans lines; keep it to one line"
	}
	if why := controlProblem(s); why != "" {
		return "cannot be shown: " + why + "; write it in printable characters"
	}
	return ""
}

// validateChecks checks the checks of a Topology built in Go for what the
// runner relies on: a known kind with its part set, a node of the lab, a
// regular expression that compiles, bounds kept.
func validateChecks(t *Topology, bad func(Pos, string, ...any)) {
	nodes := map[string]*Node{}
	for _, n := range t.Nodes {
		nodes[n.Name] = n
	}
	for i, c := range t.Checks {
		what := fmt.Sprintf("check %d", i+1)
		set := 0
		for _, p := range []bool{c.Ping != nil, c.Route != nil, c.Exec != nil, c.OSPF != nil, c.BGP != nil} {
			if p {
				set++
			}
		}
		want := map[CheckKind]bool{CheckPing: c.Ping != nil, CheckRoute: c.Route != nil, CheckExec: c.Exec != nil, CheckOSPF: c.OSPF != nil, CheckBGP: c.BGP != nil}
		if !slices.Contains(CheckKinds, c.Kind) || set != 1 || !want[c.Kind] {
			bad(c.Pos, "%s has kind %q with %d kinds of fields set; set Kind and its one field", what, c.Kind, set)
			continue
		}
		if nodes[c.Node] == nil {
			bad(c.Pos, "%s names unknown node %s", what, show(c.Node))
		}
		if c.Name != "" {
			if why := checkNameProblem(c.Name); why != "" {
				bad(c.Pos, "name of %s %s", what, why)
			}
		}
		if c.Wait != nil && (*c.Wait < 0 || *c.Wait > MaxCheckWait) {
			bad(c.Pos, "wait %v of %s is out of range; from 0 to %v", *c.Wait, what, MaxCheckWait)
		}
		switch {
		case c.Ping != nil:
			if !c.Ping.Addr.IsValid() || c.Ping.Count < 1 || c.Ping.Count > MaxPingCount {
				bad(c.Pos, "%s needs an address to ping and a count from 1 to %d", what, MaxPingCount)
			}
			if c.Ping.Src != "" && strings.HasPrefix(c.Ping.Src, "-") {
				bad(c.Pos, "src %s of %s is neither an address nor an interface", show(c.Ping.Src), what)
			}
		case c.Route != nil:
			if !c.Route.To.IsValid() {
				bad(c.Pos, "%s needs a destination", what)
			}
			if c.Route.Dev != "" && ifnameProblem(c.Route.Dev) != "" {
				bad(c.Pos, "dev %s of %s: %s", show(c.Route.Dev), what, ifnameProblem(c.Route.Dev))
			}
		case c.Exec != nil:
			if strings.TrimSpace(c.Exec.Cmd) == "" || c.Exec.Exit < 0 || c.Exec.Exit > 255 {
				bad(c.Pos, "%s needs a command and an exit code from 0 to 255", what)
			}
			if _, err := regexp.Compile("(?m)" + c.Exec.Output); err != nil {
				bad(c.Pos, "output of %s is not a regular expression: %v", what, err)
			}
		case c.OSPF != nil:
			if len(c.OSPF.Addrs) == 0 {
				bad(c.Pos, "%s needs a neighbour's address", what)
			}
		case c.BGP != nil:
			if len(c.BGP.Addrs) == 0 || c.BGP.Prefixes < 0 {
				bad(c.Pos, "%s needs a peer's address and prefixes of at least 0", what)
			}
		}
	}
}
