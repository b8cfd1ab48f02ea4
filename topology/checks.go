package topology

import (
	"fmt"
	"net/netip"
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
	// At is where the file writes the check's fields' values (from, to,
	// count...) and its kind (ping, route...).
	At    At  `json:"-"`
	index int // its place in the file's checks:, from 1 (0: built in Go)
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

// what names the check in messages: "ping check 3".
func (c *Check) what(i int) string {
	if c.index > 0 {
		i = c.index
	}
	return fmt.Sprintf("%s check %d", c.Kind, i)
}

// nodeKey is the field that names the node a check runs on.
func (c *Check) nodeKey() string {
	if c.Kind == CheckPing {
		return "from"
	}
	return "node"
}

// checks reads the top-level checks: list, each check's fields as
// written; build resolves what they name (Ping.Addr, neighbours' and
// peers' addresses) and the rules judge them against the lab.
func (d *decoder) checks(p Pair) []*Check {
	if !d.Shape(p.Val, yaml.SequenceNode, "checks", "checks: [{ping: {from: h1, to: h2}}]") {
		return nil
	}
	var all []*Check
	for i, item := range d.Items(p.Val) {
		if c := d.check(item, i+1); c != nil {
			all = append(all, c)
		}
	}
	return all
}

func (d *decoder) check(v *yaml.Node, i int) *Check {
	what := fmt.Sprintf("check %d", i)
	if !d.Shape(v, yaml.MappingNode, what, "- "+checkExamples[CheckPing]) {
		if IsNull(v) {
			d.Errorf(PosOf(v), "%s is empty; write one check such as %s", what, checkExamples[CheckPing])
		}
		return nil
	}
	keys := make([]string, 0, len(CheckKinds)+len(checkCommonKeys))
	for _, k := range CheckKinds {
		keys = append(keys, string(k))
	}
	keys = append(keys, checkCommonKeys...)
	f := d.Fields(v, "in "+what, keys, nil)
	var kinds []string
	for _, k := range CheckKinds {
		if _, ok := f[string(k)]; ok {
			kinds = append(kinds, string(k))
		}
	}
	switch {
	case len(kinds) == 0 && len(f) < len(v.Content)/2:
		return nil // its unknown key was reported, and is likely the kind misspelt
	case len(kinds) == 0:
		d.Errorf(PosOf(v), "%s says nothing to check; write one of %s, e.g. %s", what, checkKindNames(), checkExamples[CheckPing])
		return nil
	case len(kinds) > 1:
		d.Errorf(PosOf(f[kinds[1]].Key), "%s is both %s and %s; write one check per item of checks:, each with its own -", what, kinds[0], kinds[1])
		return nil
	}
	kind := CheckKind(kinds[0])
	kp := f[kinds[0]]
	if !d.Shape(kp.Val, yaml.MappingNode, string(kind)+" of "+what, checkExamples[kind]) {
		if IsNull(kp.Val) {
			d.Errorf(PosOf(kp.Val), "%s of %s is empty; write %s", kind, what, checkExamples[kind])
		}
		return nil
	}
	fields := d.Fields(kp.Val, "in "+string(kind)+" of "+what, append(slices.Clone(checkFieldKeys[kind]), checkCommonKeys...), nil)
	c := &Check{Kind: kind, Pos: PosOf(v), At: At{string(kind): PosOf(kp.Key)}, index: i}
	what = c.what(i)
	for k, p := range fields {
		c.At[k] = PosOf(p.Val)
	}
	// A value that cannot be read is left zero; the rules then leave it be.
	text := func(p Pair, key, example string) (string, bool) { return d.Scalar(p.Val, key+" of "+what, example) }
	required := func(key, example string) (string, bool) {
		p, has := fields[key]
		if !has {
			d.Errorf(PosOf(kp.Key), "%s has no %q; write %s", what, key, example)
			return "", false
		}
		return text(p, key, example)
	}
	optional := func(key, example string) (string, bool) {
		p, has := fields[key]
		if !has {
			return "", false
		}
		return text(p, key, example)
	}
	refuse := func(key, format string, a ...any) { d.Refuse(c.At[key], format, a...) }

	// name, wait and expect: beside the kind or inside it, not both.
	for _, k := range checkCommonKeys {
		inner, hasInner := fields[k]
		outer, hasOuter := f[k]
		switch {
		case hasInner && hasOuter:
			d.Errorf(PosOf(inner.Key), "%s of %s is given twice (also at line %d); keep one", k, what, outer.Key.Line)
			continue
		case hasOuter:
			fields[k] = outer
			c.At[k] = PosOf(outer.Val)
		}
	}
	if s, ok := optional("name", "name: r1 reaches r3"); ok {
		c.Name = s
	}
	if s, ok := optional("wait", "wait: 30s"); ok {
		if w, why := parseWait(s); why != "" {
			refuse("wait", "wait %s of %s %s", show(s), what, why)
		} else {
			c.Wait = &w
		}
	}
	if s, ok := optional("expect", "expect: fail"); ok {
		switch s {
		case "fail":
			c.ExpectFail = true
		case "pass":
		default:
			refuse("expect", "expect %s of %s is neither fail nor pass; write expect: fail for a check that must not hold, or leave it out", show(s), what)
		}
	}
	c.Node, _ = required(c.nodeKey(), c.nodeKey()+": r1")

	switch kind {
	case CheckPing:
		c.Ping = &PingCheck{Count: DefaultPingTo}
		c.Ping.To, _ = required("to", "to: h2, to: h2-eth1 or to: 10.0.12.2")
		if s, ok := optional("count", "count: 3"); ok {
			if n, why := wholeNumber(s, 1, MaxPingCount); why != "" {
				refuse("count", "count %s of %s %s; write how many echo requests to send, e.g. count: 3", show(s), what, why)
			} else {
				c.Ping.Count = n
			}
		}
		c.Ping.Src, _ = optional("src", "src: 10.0.12.1 or src: eth1")
		if a, err := netip.ParseAddr(c.Ping.Src); err == nil {
			c.Ping.Src = a.String()
		}
	case CheckRoute:
		c.Route = &RouteCheck{}
		if s, ok := required("to", "to: 10.255.0.3/32"); ok {
			switch to, addr, ok := destination(s); {
			case s == "default":
				c.Route.To = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
			case !ok:
				refuse("to", "bad destination %s of %s; write a prefix such as 10.255.0.3/32, an address, or default", show(s), what)
			default:
				c.Route.To, c.Route.Lookup = to, addr
			}
		}
		if s, ok := optional("via", "via: 10.0.13.3"); ok {
			a, err := netip.ParseAddr(s)
			switch {
			case err != nil || a.Zone() != "":
				refuse("via", "bad gateway %s of %s; write the address of a neighbour, e.g. via: 10.0.13.3", show(s), what)
			default:
				c.Route.Via = a
				if c.Route.To.IsValid() && c.Route.To.Bits() == 0 && c.Route.To.Addr().Is4() && a.Is6() {
					c.Route.To = netip.PrefixFrom(netip.IPv6Unspecified(), 0) // default, by the family of via
				}
			}
		}
		c.Route.Dev, _ = optional("dev", "dev: eth1")
	case CheckExec:
		c.Exec = &ExecCheck{}
		c.Exec.Cmd, _ = required("cmd", `cmd: "sysctl -n net.ipv4.ip_forward"`)
		if s, ok := optional("exit", "exit: 1"); ok {
			if n, why := wholeNumber(s, 0, 255); why != "" {
				refuse("exit", "exit %s of %s %s; write the exit code the command must end with, from 0 to 255", show(s), what, why)
			} else {
				c.Exec.Exit = n
			}
		}
		c.Exec.Output, _ = optional("output", `output: "^1$"`)
	case CheckOSPF:
		c.OSPF = &OSPFCheck{}
		c.OSPF.Neighbor, _ = required("neighbor", "neighbor: 10.255.0.2")
	case CheckBGP:
		c.BGP = &BGPCheck{}
		c.BGP.Peer, _ = required("peer", "peer: 10.0.12.2")
		if s, ok := optional("prefixes", "prefixes: 2"); ok {
			if n, why := wholeNumber(s, 0, 1<<30); why != "" {
				refuse("prefixes", "prefixes %s of %s %s; write the fewest prefixes the peer must have sent, e.g. prefixes: 2", show(s), what, why)
			} else {
				c.BGP.Prefixes = n
			}
		}
	}
	return c
}

// resolveCheck fills in what a check read from a file names: the address
// ping's to: stands for, the addresses of a neighbour or peer named by its
// node. What cannot be resolved the rules report.
func (t *Topology) resolveCheck(c *Check, nodes map[string]*Node) {
	switch {
	case c.Ping != nil && !c.Ping.Addr.IsValid():
		c.Ping.Addr, _ = t.pingTarget(c.Ping.To, nodes)
	case c.OSPF != nil && c.OSPF.Addrs == nil:
		c.OSPF.Addrs, _ = t.peerAddrs(c, c.OSPF.Neighbor, "", nodes)
	case c.BGP != nil && c.BGP.Addrs == nil:
		c.BGP.Addrs, _ = t.peerAddrs(c, c.BGP.Peer, "", nodes)
	}
}

// pingTarget turns ping's to: into an address: a node (its name address),
// NODE-IFNAME (that interface's first address) or an address. It says why
// when it cannot, or returns neither when what it names could not be read.
func (t *Topology) pingTarget(s string, nodes map[string]*Node) (netip.Addr, string) {
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return netip.Addr{}, fmt.Sprintf("pings %s, an address with a zone; write it without %%%s", s, a.Zone())
		}
		return a, ""
	}
	if n := nodes[s]; n != nil {
		if n.Kind.Facts().Bridge {
			return netip.Addr{}, fmt.Sprintf("pings bridge %s, which has no address; ping a node on its LAN", show(s))
		}
		if a := n.NameAddrs(); len(a) > 0 {
			return a[0], ""
		}
		if t.lost.addrs[nodeLabel(n.Name)] {
			return netip.Addr{}, ""
		}
		return netip.Addr{}, fmt.Sprintf("pings %s, which has no address; give it one under interfaces:", show(s))
	}
	// NODE-IFNAME: node names have dashes too, so try every split.
	for i := strings.Index(s, "-"); i >= 0; i = next(s, i) {
		n := nodes[s[:i]]
		if n == nil {
			continue
		}
		if ifc := n.Interface(s[i+1:]); ifc != nil {
			if len(ifc.Addrs) == 0 {
				return netip.Addr{}, fmt.Sprintf("pings %s, but interface %s of %s has no address; give it one, or ping another", show(s), show(ifc.Name), show(n.Name))
			}
			return ifc.Addrs[0].Addr(), ""
		}
	}
	if t.lost.nodes {
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

// peerAddrs turns an ospf check's neighbor or a bgp check's peer into
// addresses: the address written, or every address of the node named. It
// says why when it cannot.
func (t *Topology) peerAddrs(c *Check, s, what string, nodes map[string]*Node) ([]netip.Addr, string) {
	key, example := "neighbor", "10.255.0.2"
	if c.Kind == CheckBGP {
		key, example = "peer", "10.0.12.2"
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return []netip.Addr{a}, ""
	}
	n := nodes[s]
	if n == nil {
		if !t.lost.nodes || !ValidNodeName(s) {
			return nil, fmt.Sprintf("bad %s %s of %s; write a router id or address such as %s, or a node of the lab", key, show(s), what, example)
		}
		return nil, ""
	}
	if s == c.Node {
		return nil, fmt.Sprintf("%s names %s itself as its %s; name another router", what, show(s), key)
	}
	var addrs []netip.Addr
	for _, i := range n.Interfaces {
		for _, p := range i.Addrs {
			addrs = append(addrs, p.Addr())
		}
	}
	if len(addrs) == 0 && !t.lost.addrs[nodeLabel(n.Name)] {
		return nil, fmt.Sprintf("%s %s of %s has no address; give it one, or name the %s by address", key, show(s), what, key)
	}
	return addrs, ""
}

// parseWait reads a retry window, or says what is wrong with it.
func parseWait(s string) (time.Duration, string) {
	if wholeRE.MatchString(s) && s != "0" {
		return 0, fmt.Sprintf("has no unit; write e.g. %ss for seconds", s)
	}
	w, err := time.ParseDuration(s)
	if err != nil {
		return 0, "is not a duration; write a number and a unit, e.g. wait: 30s, 500ms or 2m"
	}
	return w, waitProblem(w)
}

// waitProblem says what is wrong with a retry window, or returns "".
func waitProblem(w time.Duration) string {
	switch {
	case w < 0:
		return "is negative; write how long to retry, e.g. wait: 30s, or 0s to try once"
	case w > MaxCheckWait:
		return "is over an hour; write a shorter retry window, e.g. wait: 5m"
	}
	return ""
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
