package topology

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// rules judges a Topology, whether a file or Go built it: every rule is
// here, one method per thing judged, each error at the place the Topology
// records (the zero Pos when it was built in Go). What a node inherits from
// the file's defaults is judged once, as defaults'.
func rules(t *Topology) []*Error {
	j := &judge{t: t, nodes: map[string]*Node{}, sysctls: sysctlCache{}}
	for _, n := range t.Nodes {
		if j.nodes[n.Name] == nil {
			j.nodes[n.Name] = n
		}
		j.names = append(j.names, show(n.Name))
	}
	j.labName()
	j.nodeNames()
	for _, o := range j.owners() {
		j.kind(o)
		j.routeValues(o)
		j.sysctlValues(o)
		j.files(o)
		j.exec(o)
		j.services(o)
		j.daemons(o)
		j.env(o)
		j.binds(o)
		j.limits(o.n.Limits, "limits of "+o.label)
		if why := clockProblem(o.n.Clock); why != "" && j.own(o, "clock") {
			j.errorf(o.n.Clock.At.Of("offset", o.n.Clock.Pos), "offset %v of clock of %s %s", o.n.Clock.Offset, o.label, why)
		}
	}
	for _, n := range t.Nodes {
		j.kindKeys(n)
		j.interfaces(n)
		j.routes(n)
	}
	j.links()
	j.addresses()
	j.waitFor()
	j.limits(t.Limits, "limits")
	j.checks()
	j.hosts()
	j.nodeHosts()
	return j.errs
}

// judge holds what the rules need to know of the lab as a whole.
type judge struct {
	t       *Topology
	nodes   map[string]*Node
	names   []string // every node's name, as messages show them
	sysctls sysctlCache
	errs    []*Error
}

func (j *judge) errorf(at Pos, format string, args ...any) {
	j.errs = append(j.errs, &Error{File: j.t.File, Pos: at, Msg: fmt.Sprintf(format, args...)})
}

// owner is a set of values as the file writes them: the defaults', or one
// node's own, without what it inherits.
type owner struct {
	n     *Node
	label string // "defaults", or "node r1"
	node  bool
}

// owners lists the defaults, if any, then every node.
func (j *judge) owners() []owner {
	var all []owner
	if j.t.defaults != nil {
		all = append(all, owner{j.t.defaults, "defaults", false})
	}
	for _, n := range j.t.Nodes {
		all = append(all, owner{n, nodeLabel(n.Name), true})
	}
	return all
}

// own reports whether the owner writes key itself (always, for defaults).
func (j *judge) own(o owner, key string) bool { return !o.node || !j.t.inherited(o.n, key) }

// ownKeys are the entries of a map the owner writes itself.
func (j *judge) ownKeys(o owner, of func(*Node) []KeyValue) []KeyValue {
	if !o.node {
		return of(o.n)
	}
	return slices.DeleteFunc(slices.Clone(of(o.n)), func(kv KeyValue) bool { return j.t.fromDefaults(kv, of) })
}

// lost reports whether the value at p could not be read (and was
// reported).
func (j *judge) lost(p Pos) bool { return p != (Pos{}) && j.t.lost.values[p] }

var (
	labNameRE  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	nodeNameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?$`)
)

const (
	labNameHint  = "use lowercase letters, digits and dashes, at most 32 bytes, starting and ending with a letter or digit"
	nodeNameHint = "use letters, digits, dashes and underscores, at most 32 bytes, starting and ending with a letter or digit"
)

// ValidName reports whether s may name a lab: lowercase letters, digits
// and inner dashes, at most 32 bytes. Such a name is safe as a path
// element, a cgroup's and part of a network namespace's name.
func ValidName(s string) bool { return len(s) <= 32 && labNameRE.MatchString(s) }

// ValidNodeName reports whether s may name a node: letters of either case
// (containerlab's PC1), digits, inner dashes and underscores, at most 32
// bytes; safe as a path element and a hostname.
func ValidNodeName(s string) bool { return len(s) <= 32 && nodeNameRE.MatchString(s) }

// ValidServiceName reports whether s may name a service (it names its log
// file too).
func ValidServiceName(s string) bool { return serviceNameProblem(s) == "" }

func (j *judge) labName() {
	if !ValidName(j.t.Name) && !j.t.lost.name {
		j.errorf(j.t.NamePos, "bad lab name %q; %s", j.t.Name, labNameHint)
	}
}

func (j *judge) nodeNames() {
	seen := map[string]bool{}
	for _, n := range j.t.Nodes {
		if !ValidNodeName(n.Name) {
			j.errorf(n.Pos, "bad node name %q; %s", n.Name, nodeNameHint)
		}
		if seen[n.Name] {
			j.errorf(n.Pos, "node %s is defined twice; rename or remove one of them", show(n.Name))
		}
		seen[n.Name] = true
	}
}

func (j *judge) kind(o owner) {
	if !j.own(o, "kind") || o.n.Kind == "" && !o.node || o.n.Kind.Known() || j.lost(o.n.KindPos) {
		return
	}
	at := o.n.KindPos
	if at == (Pos{}) {
		at = o.n.Pos
	}
	if hint := clabKindHint(string(o.n.Kind)); hint != "" {
		j.errorf(at, "unknown kind %q of %s: %s", o.n.Kind, o.label, hint)
	} else {
		j.errorf(at, "unknown kind %q of %s; valid kinds are %s", o.n.Kind, o.label, joinKinds())
	}
}

func joinKinds() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// kindKeys refuses what the node writes that its kind has no use for.
func (j *judge) kindKeys(n *Node) {
	if !n.Kind.Known() {
		return // reported where the kind is written
	}
	f := n.Kind.Facts()
	name := show(n.Name)
	if f.Bridge {
		for _, i := range n.Interfaces {
			for k, a := range i.Addrs {
				j.errorf(addrPos(i, k), "address %s on bridge %s; a bridge's ports carry no addresses, so put it on the node at the other end of the link", a, name)
			}
		}
		for _, r := range n.Routes {
			j.errorf(r.Pos, "route on bridge %s; a bridge does not route, so remove the route or make %s a router", name, name)
		}
	}
	if _, own := n.At["daemons"]; (own || len(n.Daemons) > 0) && !f.Daemons {
		j.errorf(n.At.Of("daemons", n.Pos), "daemons on node %s of kind %s; daemons are for kind frr, so set kind: frr or remove them", name, n.Kind)
	}
	if _, own := n.At["daemon-options"]; (own || len(n.DaemonOptions) > 0) && !f.Daemons {
		j.errorf(n.At.Of("daemon-options", n.Pos), "daemon-options on node %s of kind %s; they are for kind frr, so set kind: frr or remove them", name, n.Kind)
	}
	if _, own := n.At["config"]; (own || n.Config != "") && f.Config == "" {
		j.errorf(n.At.Of("config", n.Pos), "config on node %s of kind %s; config is for kind frr or bird, so set one of them or remove it", name, n.Kind)
	}
}

func addrPos(i *Interface, k int) Pos {
	if k < len(i.AddrPos) {
		return i.AddrPos[k]
	}
	return i.Pos
}

const ifnameHint = `name it with at most 15 bytes and no "/", ":" or spaces, e.g. eth1`

func (j *judge) interfaces(n *Node) {
	label := nodeLabel(n.Name)
	seen := map[string]bool{}
	for _, i := range n.Interfaces {
		if why := ifnameProblem(i.Name); why != "" {
			j.errorf(i.Pos, "bad interface name %q of %s: %s; %s", i.Name, label, why, ifnameHint)
		}
		if seen[i.Name] {
			j.errorf(i.Pos, "interface %s of %s is listed twice; list it once", show(i.Name), label)
		}
		seen[i.Name] = true
		for k, a := range i.Addrs {
			if why := loopbackProblem(a); why != "" {
				j.errorf(addrPos(i, k), "address %s of %s %s %s", a, label, show(i.Name), why)
			}
		}
	}
}

// loopbackProblem says why an interface cannot take an address of the
// loopback range, or returns "". The kernel refuses ::1 on any interface
// and a second 127.0.0.1/8 on lo.
func loopbackProblem(p netip.Prefix) string {
	if !p.Addr().IsLoopback() {
		return ""
	}
	example := "10.255.0.1/32"
	if p.Addr().Is6() && !p.Addr().Is4In6() {
		example = "2001:db8:ff::1/128"
	}
	return "is a loopback address: every node's lo already has 127.0.0.1/8 and ::1; use another address such as " + example
}

// The bounds of a link's MTU.
const (
	MinMTU = 68
	MaxMTU = 65535
)

func (j *judge) links() {
	used := map[Endpoint]Pos{}
	end := func(e Endpoint, at Pos, stray bool) {
		prev, dup := used[e]
		n := j.nodes[e.Node]
		switch {
		case n == nil:
			hint := "define it under nodes"
			if len(j.names) > 0 {
				hint += " or use one of " + strings.Join(j.names, ", ")
			}
			if why, ok := clabSpecialNodes[e.Node]; ok {
				hint = why + ", so link two nodes of this file, or " + hint
			}
			j.errorf(at, "link end %s names unknown node %q; %s", show(e.String()), e.Node, hint)
		case e.Interface == "lo":
			j.errorf(at, "link end %s is the loopback, which cannot be on a link; use another interface, e.g. %s:eth1", show(e.String()), show(e.Node))
		case ifnameProblem(e.Interface) != "":
			j.errorf(at, "bad interface name %q in link end %q: %s; %s", e.Interface, e.String(), ifnameProblem(e.Interface), ifnameHint)
		case n.Interface(e.Interface) == nil && !stray:
			j.errorf(at, "link end %s is no interface of %s; add it to the node's interfaces", show(e.String()), nodeLabel(e.Node))
		case dup:
			j.errorf(at, "interface %s is already on the link at line %d; use another interface", show(e.String()), prev.Line)
		default:
			used[e] = at
		}
	}
	for i, l := range j.t.Links {
		what := fmt.Sprintf("link %d", i+1)
		if l.index > 0 {
			what = fmt.Sprintf("link %d", l.index)
		}
		for k, e := range l.Endpoints {
			end(e, l.EndPos[k], false)
		}
		if _, wrote := l.At["mtu"]; (wrote || l.MTU != 0) && (l.MTU < MinMTU || l.MTU > MaxMTU) && !j.lost(l.At["mtu"]) {
			j.errorf(l.At.Of("mtu", l.Pos), "mtu %d of %s is out of range; write a value from %d to %d", l.MTU, what, MinMTU, MaxMTU)
		}
		for _, m := range l.MACs {
			if why := macProblem(m); m != "" && why != "" {
				j.errorf(l.At.Of("mac", l.Pos), "MAC address %s of %s %s", show(m), what, why)
			}
		}
		if l.Impair.Jitter > 0 && l.Impair.Delay == 0 && !j.lost(l.At["delay"]) {
			j.errorf(l.At.Of("jitter", l.Pos), "jitter of %s without delay; write both, e.g. delay: 20ms and jitter: 5ms", what)
		}
	}
	for _, s := range j.t.lost.strays {
		end(s.Endpoint, s.pos, true)
	}
	j.bridgePorts(used)
	if j.t.lost.ends {
		return
	}
	for _, n := range j.t.Nodes {
		for _, i := range n.Interfaces {
			if _, ok := used[Endpoint{n.Name, i.Name}]; !ok && i.Name != "lo" && ifnameProblem(i.Name) == "" {
				j.errorf(i.Pos, "interface %s of %s is on no link; add a link [%s:%s, ...] or remove it", show(i.Name), show(n.Name), show(n.Name), show(i.Name))
			}
		}
	}
}

// MaxBridgePorts is how many ports a Linux bridge takes: port numbers have
// 10 bits (BR_MAX_PORTS, 1024) and 0 is no port.
const MaxBridgePorts = 1023

// bridgePorts refuses a bridge node with more link ends than a Linux bridge
// takes ports, at the link that would be one too many: the kernel would
// refuse that port (EXFULL) after the rest of the lab was made.
func (j *judge) bridgePorts(used map[Endpoint]Pos) {
	ports := map[string][]Pos{}
	for e, at := range used {
		if n := j.nodes[e.Node]; n != nil && n.Kind.Facts().Bridge {
			ports[e.Node] = append(ports[e.Node], at)
		}
	}
	for name, at := range ports {
		if len(at) <= MaxBridgePorts {
			continue
		}
		slices.SortFunc(at, func(a, b Pos) int { return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col)) })
		j.errorf(at[MaxBridgePorts], "bridge %s has %d ports, and a Linux bridge takes at most %d; split the LAN into bridges of at most %d ports joined by links between them", show(name), len(at), MaxBridgePorts, MaxBridgePorts)
	}
}

// macProblem says what is wrong with a MAC address for an interface, or
// returns "".
func macProblem(s string) string {
	hw, err := net.ParseMAC(s)
	switch {
	case err != nil || len(hw) != 6:
		return "is not a MAC address; write six bytes in hex, e.g. aa:c1:ab:00:00:01"
	case hw[0]&1 != 0:
		return "is a multicast address; make the first byte even, e.g. aa:c1:ab:00:00:01"
	case hw.String() == "00:00:00:00:00:00":
		return "is all zeros; write another, e.g. aa:c1:ab:00:00:01, or \"\" for netlab's own"
	}
	return ""
}

func (j *judge) addresses() {
	type owner struct {
		node, iface string
		line        int
	}
	seen := map[netip.Addr]owner{}
	for _, n := range j.t.Nodes {
		if n.Kind.Facts().Bridge {
			continue // its addresses are wrong in the first place
		}
		for _, i := range n.Interfaces {
			for k, a := range i.Addrs {
				if loopbackProblem(a) != "" {
					continue
				}
				at := addrPos(i, k)
				if o, dup := seen[a.Addr()]; dup {
					j.errorf(at, "address %s of %s %s is also on %s %s (line %d); give each interface its own address", a.Addr(), show(n.Name), show(i.Name), o.node, o.iface, o.line)
					continue
				}
				seen[a.Addr()] = owner{show(n.Name), show(i.Name), at.Line}
			}
		}
	}
}

// routeValues judges each route by itself: a destination without host
// bits, a gateway of the destination's family.
func (j *judge) routeValues(o owner) {
	if !j.own(o, "routes") {
		return
	}
	for k, r := range o.n.Routes {
		what := fmt.Sprintf("route %d of %s", k+1, o.label)
		if m := r.To.Masked(); m != r.To {
			j.errorf(or(r.ToPos, r.Pos), "destination %s of %s has host bits set; write %s", r.To, what, m)
		}
		if r.To.Addr().Is4() != r.Via.Is4() {
			j.errorf(or(r.ViaPos, r.Pos), "%s goes to %s via %s, mixing IPv4 and IPv6; use a gateway of the destination's family", what, r.To, r.Via)
		}
	}
}

// or is p, or else q when p is no place.
func or(p, q Pos) Pos {
	if p == (Pos{}) {
		return q
	}
	return p
}

// routes checks each gateway against the subnets the node's links are
// on: the kernel refuses a route through a gateway it cannot reach.
func (j *judge) routes(n *Node) {
	if n.Kind.Facts().Bridge {
		return // a bridge gets no routes
	}
	own := map[netip.Addr]bool{}
	var subnets []netip.Prefix
	for _, i := range n.Interfaces {
		for _, a := range i.Addrs {
			own[a.Addr()] = true
			if i.Name != "lo" && !slices.Contains(subnets, a.Masked()) {
				subnets = append(subnets, a.Masked())
			}
		}
	}
	route := "route"
	if j.t.inherited(n, "routes") {
		route = "route from defaults"
	}
	first := map[netip.Prefix]int{}
	for _, r := range n.Routes {
		if r.To.Masked() != r.To || r.To.Addr().Is4() != r.Via.Is4() {
			continue // wrong in itself, as routeValues says
		}
		if line, dup := first[r.To]; dup {
			j.errorf(r.Pos, "%s to %s of %s is declared twice (first at line %d); keep one", route, r.To, show(n.Name), line)
			continue
		}
		first[r.To] = r.Pos.Line
		if j.t.lost.addrs[nodeLabel(n.Name)] {
			continue // the gateway's subnet may be the one that could not be read
		}
		what := fmt.Sprintf("gateway %s of %s's %s to %s", r.Via, show(n.Name), route, r.To)
		at := or(r.ViaPos, r.Pos)
		if own[r.Via] {
			j.errorf(at, "%s is an address of %s itself; use the address of a neighbour", what, show(n.Name))
			continue
		}
		if slices.ContainsFunc(subnets, func(p netip.Prefix) bool { return p.Contains(r.Via) }) {
			continue
		}
		var same []string
		for _, p := range subnets {
			if p.Addr().Is4() == r.Via.Is4() {
				same = append(same, p.String())
			}
		}
		if len(same) == 0 {
			family := "IPv4"
			if r.Via.Is6() {
				family = "IPv6"
			}
			j.errorf(at, "%s is on no connected subnet: %s has no %s address on its links; add one on the interface toward the gateway", what, show(n.Name), family)
			continue
		}
		j.errorf(at, "%s is on no connected subnet of %s (%s); use the address of a neighbour on one of them", what, show(n.Name), strings.Join(same, ", "))
	}
}

func (j *judge) sysctlValues(o owner) {
	for _, s := range j.ownKeys(o, func(n *Node) []KeyValue { return n.Sysctls }) {
		if why := j.sysctls.problem(s.Key); why != "" {
			j.errorf(s.Pos, "sysctl %q of %s %s", s.Key, o.label, why)
			continue
		}
		if s.Value == "" && !j.lost(s.ValuePos) {
			j.errorf(or(s.ValuePos, s.Pos), "sysctl %s of %s has an empty value; write a value, e.g. %s: 1", s.Key, o.label, s.Key)
		}
	}
}

func (j *judge) files(o owner) {
	for _, f := range j.ownKeys(o, func(n *Node) []KeyValue { return n.Files }) {
		// A bad path does not hide what is wrong with the content, nor
		// the other way round: both are reported.
		if why := filePathProblem(f.Key); why != "" {
			j.errorf(f.Pos, "file path %q of %s %s", f.Key, o.label, why)
		}
		switch {
		case j.lost(f.ValuePos):
		case f.Value == "":
			j.errorf(or(f.ValuePos, f.Pos), `empty file %s of %s; write its content, e.g. "hello\n", or remove it`, show(f.Key), o.label)
		case len(f.Value) > MaxFileContent:
			j.errorf(or(f.ValuePos, f.Pos), "file %s of %s is %d bytes; files: are for configuration, at most %d bytes each", show(f.Key), o.label, len(f.Value), MaxFileContent)
		}
	}
}

func (j *judge) exec(o owner) {
	if !j.own(o, "exec") {
		return
	}
	for k, cmd := range o.n.Exec {
		if strings.TrimSpace(cmd) == "" {
			at := o.n.Pos
			if k < len(o.n.ExecPos) {
				at = o.n.ExecPos[k]
			}
			j.errorf(at, `empty command in exec of %s; write a command line, e.g. "echo ready", or remove it`, o.label)
		}
	}
}

func (j *judge) services(o owner) {
	seen := map[string]bool{}
	for _, sv := range j.ownKeys(o, func(n *Node) []KeyValue { return n.Services }) {
		if why := serviceNameProblem(sv.Key); why != "" {
			j.errorf(sv.Pos, "service name %q of %s %s; %s", sv.Key, o.label, why, serviceNameHint)
		}
		if seen[sv.Key] {
			j.errorf(sv.Pos, "service %s of %s is listed twice; rename or remove one of them", show(sv.Key), o.label)
		}
		seen[sv.Key] = true
		if strings.TrimSpace(sv.Value) == "" && !j.lost(sv.ValuePos) {
			j.errorf(or(sv.ValuePos, sv.Pos), "empty command of service %s of %s; write the command line to run, e.g. %s, or remove it", show(sv.Key), o.label, serviceExample)
		}
	}
	j.ready(o)
}

// What ready: says when it says nothing, or too much, and how to write an
// empty cmd and a port: the decoder's words and the rules'.
const (
	readyBoth    = "gives both port: and cmd:; keep one"
	readyNothing = "says nothing; write port: N (a TCP port it listens on) or cmd: COMMAND (exits 0 once it is ready)"
	readyCmdHint = "write a command that exits 0 once the service is ready, or use port:"
	portHint     = "write a TCP port from 1 to 65535, e.g. port: 80"
)

// ready judges the owner's own ready: entries, each going with a service
// of the node. A file's were judged as they were read (only sound ones are
// kept), so this speaks of a Topology built in Go, at its positions.
func (j *judge) ready(o owner) {
	for _, r := range o.n.Ready {
		if o.node && j.t.readyFromDefaults(r) {
			continue
		}
		what := "ready of service " + show(r.Service) + " of " + o.label
		if !slices.ContainsFunc(o.n.Services, func(sv KeyValue) bool { return sv.Key == r.Service }) {
			j.errorf(r.Pos, "ready of %s names service %s, which it does not have; add the service, or remove its ready", o.label, show(r.Service))
			continue
		}
		switch {
		case r.Port != 0 && r.Cmd != "":
			j.errorf(r.Pos, "%s %s", what, readyBoth)
		case r.Port == 0 && r.Cmd == "":
			j.errorf(r.Pos, "%s %s", what, readyNothing)
		case r.Cmd != "" && strings.TrimSpace(r.Cmd) == "":
			j.errorf(r.Pos, "empty cmd of %s; %s", what, readyCmdHint)
		case r.Port != 0:
			if _, why := wholeNumber(strconv.Itoa(r.Port), 1, 65535); why != "" {
				j.errorf(r.Pos, "port %d of %s %s; %s", r.Port, what, why, portHint)
			}
		}
		if r.Wait != nil {
			if why := waitProblem(*r.Wait); why != "" {
				j.errorf(r.Pos, "wait %v of %s %s", *r.Wait, what, why)
			}
		}
	}
}

// MaxServiceName is the longest name a service may have, in bytes: it names
// the service's log file.
const MaxServiceName = 32

var serviceNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

// serviceNameProblem says what is wrong with the name of a service, or
// returns "".
func serviceNameProblem(name string) string {
	switch {
	case len(name) > MaxServiceName:
		return fmt.Sprintf("is %d bytes long, over %d", len(name), MaxServiceName)
	case !serviceNameRE.MatchString(name):
		return "is not a plain name"
	}
	return ""
}

const serviceNameHint = `use lowercase letters, digits, ".", "_" and "-", starting with a letter or digit, at most 32 bytes, e.g. web`

const serviceExample = `web: "python3 -m http.server 8080"`

func (j *judge) daemons(o owner) {
	if j.own(o, "daemons") {
		var seen []string
		for k, name := range o.n.Daemons {
			at := o.n.At.Of("daemons", o.n.Pos)
			if k < len(o.n.DaemonPos) {
				at = o.n.DaemonPos[k]
			}
			switch {
			case slices.Contains(AlwaysDaemons, name):
				j.errorf(at, "daemon %s of %s always runs; remove it from daemons", name, o.label)
			case !slices.Contains(FRRDaemons, name):
				j.errorf(at, "unknown FRR daemon %q of %s; valid daemons are %s (zebra and staticd always run)", name, o.label, strings.Join(FRRDaemons, ", "))
			case slices.Contains(seen, name):
				j.errorf(at, "daemon %s of %s is listed twice; list it once", name, o.label)
			}
			seen = append(seen, name)
		}
	}
	if !j.own(o, "daemon-options") {
		return
	}
	for _, kv := range o.n.DaemonOptions {
		switch {
		case !slices.Contains(AlwaysDaemons, kv.Key) && !slices.Contains(o.n.Daemons, kv.Key):
			j.errorf(kv.Pos, "daemon-options of %s name %s, which it does not run; add it to daemons, or remove its options", o.label, show(kv.Key))
		case strings.TrimSpace(kv.Value) == "" && !j.lost(kv.ValuePos):
			j.errorf(or(kv.ValuePos, kv.Pos), "empty options of daemon %s of %s; write them, e.g. bgpd: \"-M rpki\", or remove it", show(kv.Key), o.label)
		default:
			if why := DaemonOptionsProblem(kv.Value); why != "" {
				j.errorf(or(kv.ValuePos, kv.Pos), "options %s of daemon %s of %s %s", show(kv.Value), kv.Key, o.label, why)
			}
		}
	}
}

// netlabDaemonOptions are the FRR daemon options netlab sets itself: to
// run in the background, where to listen and where to log and keep its
// pid.
var netlabDaemonOptions = []string{"-d", "--daemon", "-A", "--vty_addr", "-P", "--vty_port", "-i", "--pid_file",
	"--log", "--log-level", "-u", "--user", "-g", "--group", "-N", "--pathspace", "-f", "--config_file"}

var optionRE = regexp.MustCompile(`^[A-Za-z0-9_./=:,+@%-]+$`)

// DaemonOptionsProblem says what is wrong with an FRR daemon's extra
// options (daemon-options:), or returns "": each must be a plain word,
// and none one that netlab sets itself.
func DaemonOptionsProblem(s string) string {
	for _, w := range strings.Fields(s) {
		flag, _, _ := strings.Cut(w, "=")
		switch {
		case !optionRE.MatchString(w):
			return fmt.Sprintf("hold %s, which is no plain option; write options and values of letters, digits and -_./=:,+@%%", show(w))
		case slices.Contains(netlabDaemonOptions, flag):
			return fmt.Sprintf("set %s, which netlab sets itself; remove it", flag)
		}
	}
	return ""
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (j *judge) env(o owner) {
	for _, kv := range j.ownKeys(o, func(n *Node) []KeyValue { return n.Env }) {
		if !envNameRE.MatchString(kv.Key) {
			j.errorf(kv.Pos, "variable %q of env of %s is not a variable name; use letters, digits and _, not starting with a digit, e.g. LANG", kv.Key, o.label)
		}
		if strings.ContainsRune(kv.Value, 0) {
			j.errorf(or(kv.ValuePos, kv.Pos), "variable %s of env of %s holds a NUL byte, which no environment can; remove it", show(kv.Key), o.label)
		}
	}
}

// bindRefused are the node's directories no bind may cover: the kernel's
// views, which the node's init mounts itself.
var bindRefused = []string{"/proc", "/sys", "/dev"}

func (j *judge) binds(o owner) {
	if !j.own(o, "binds") {
		return
	}
	first := map[string]int{}
	for _, b := range o.n.Binds {
		shown := b
		shown.Host = j.t.relative(b.Host)
		what := fmt.Sprintf("bind %s of %s", show(shown.String()), o.label)
		switch why := controlProblem(b.Host + b.Node); {
		case why != "":
			j.errorf(b.Pos, "%s cannot be mounted: %s; write its paths in printable characters", what, why)
			continue
		case !path.IsAbs(b.Host):
			j.errorf(b.Pos, "%s has a relative host path; write it from the root, or relative to the topology file", what)
		default:
			if _, err := os.Stat(b.Host); err != nil {
				j.errorf(b.Pos, "%s: %s does not exist on this host; create it, or fix the path (relative paths are from the topology file's directory)", what, show(shown.Host))
			}
		}
		switch {
		case !path.IsAbs(b.Node):
			j.errorf(b.Pos, "%s has a relative node path; write it from the node's root, e.g. %s", what, show(path.Clean("/"+b.Node)))
		case b.Node == "/":
			j.errorf(b.Pos, "%s covers the node's root directory; mount it on a directory below it, e.g. /srv/data", what)
		case path.Clean(b.Node) != b.Node:
			j.errorf(b.Pos, "%s has a node path that is not clean; write %s", what, show(path.Clean(b.Node)))
		case slices.ContainsFunc(bindRefused, func(r string) bool { return b.Node == r || strings.HasPrefix(b.Node, r+"/") }):
			j.errorf(b.Pos, "%s covers %s, which the kernel's own view fills; mount it elsewhere", what, b.Node)
		default:
			if line, dup := first[b.Node]; dup {
				j.errorf(b.Pos, "%s mounts on %s again (first at line %d); keep one", what, b.Node, line)
			}
			first[b.Node] = b.Pos.Line
		}
	}
}

// limits checks limits built in Go against their bounds (a file's were
// checked as they were read, where they are shown as written).
func (j *judge) limits(l Limits, what string) {
	if p := pidsProblem(int64(l.Pids)); l.Pids != 0 && p != "" {
		j.errorf(l.At.Of("pids", l.Pos), "pids %d of %s %s", l.Pids, what, p)
	}
	if p := memoryProblem(l.Memory); l.Memory != 0 && p != "" {
		j.errorf(l.At.Of("memory", l.Pos), "memory %d of %s %s", l.Memory, what, p)
	}
	if p := cpusProblem(l.CPUs); l.CPUs != 0 && p != "" {
		j.errorf(l.At.Of("cpus", l.Pos), "cpus %g of %s %s", l.CPUs, what, p)
	}
}

// waitFor checks that each node's wait-for names other nodes, and that no
// nodes wait for each other round a cycle.
func (j *judge) waitFor() {
	for _, n := range j.t.Nodes {
		for k, w := range n.WaitFor {
			at := n.Pos
			if k < len(n.WaitForPos) {
				at = n.WaitForPos[k]
			}
			switch {
			case w == n.Name:
				j.errorf(at, "node %s waits for itself in wait-for; name other nodes", show(n.Name))
			case j.nodes[w] == nil && !j.t.lost.nodes:
				j.errorf(at, "wait-for of %s names unknown node %q; use one of %s", nodeLabel(n.Name), w, strings.Join(j.names, ", "))
			}
		}
	}
	if cycle := waitCycle(j.t.Nodes, j.nodes); cycle != nil {
		names := make([]string, len(cycle))
		for i, n := range cycle {
			names[i] = show(n.Name)
		}
		at := cycle[0].Pos
		if len(cycle[0].WaitForPos) > 0 {
			at = cycle[0].WaitForPos[0]
		}
		j.errorf(at, "wait-for goes round in a cycle (%s); remove one of them so that some node starts first", strings.Join(append(names, names[0]), " waits for "))
	}
}

// waitCycle returns the nodes of a cycle of wait-for (longer than one: a
// node waiting for itself is said by waitFor), or nil.
func waitCycle(all []*Node, nodes map[string]*Node) []*Node {
	const (
		unseen = iota
		open
		done
	)
	state := map[*Node]int{}
	var stack []*Node
	var visit func(n *Node) []*Node
	visit = func(n *Node) []*Node {
		state[n] = open
		stack = append(stack, n)
		for _, w := range n.WaitFor {
			m := nodes[w]
			if m == nil || m == n {
				continue
			}
			switch state[m] {
			case open:
				i := slices.Index(stack, m)
				return slices.Clone(stack[i:])
			case unseen:
				if c := visit(m); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		return nil
	}
	for _, n := range all {
		if state[n] == unseen {
			if c := visit(n); c != nil {
				return c
			}
		}
	}
	return nil
}

// checks judges each check against the lab: the node it runs on, what it
// names there, and for a check built in Go that the runner has all it
// needs.
func (j *judge) checks() {
	for i, c := range j.t.Checks {
		what := c.what(i + 1)
		set := 0
		for _, p := range []bool{c.Ping != nil, c.Route != nil, c.Exec != nil, c.OSPF != nil, c.BGP != nil} {
			if p {
				set++
			}
		}
		want := map[CheckKind]bool{CheckPing: c.Ping != nil, CheckRoute: c.Route != nil, CheckExec: c.Exec != nil, CheckOSPF: c.OSPF != nil, CheckBGP: c.BGP != nil}
		if !slices.Contains(CheckKinds, c.Kind) || set != 1 || !want[c.Kind] {
			j.errorf(c.Pos, "check %d has kind %q with %d kinds of fields set; set Kind and its one field", i+1, c.Kind, set)
			continue
		}
		at := func(key string) Pos { return c.At.Of(key, c.Pos) }
		// A file's check said what it lacks when it was read.
		fromFile := c.At != nil
		node := j.nodes[c.Node]
		switch {
		case node != nil:
		case fromFile && (c.Node == "" || j.t.lost.nodes || j.lost(at(c.nodeKey()))):
		case len(j.names) > 0:
			j.errorf(at(c.nodeKey()), "%s names unknown node %q; use one of %s", what, c.Node, strings.Join(j.names, ", "))
		default:
			j.errorf(at(c.nodeKey()), "%s names unknown node %q; define it under nodes", what, c.Node)
		}
		if c.Name != "" {
			if why := checkNameProblem(c.Name); why != "" {
				j.errorf(at("name"), "name %s of %s %s", show(c.Name), what, why)
			}
		}
		if c.Wait != nil {
			if why := waitProblem(*c.Wait); why != "" {
				j.errorf(at("wait"), "wait %v of %s %s", *c.Wait, what, why)
			}
		}
		switch {
		case c.Ping != nil:
			j.pingCheck(c, what, node, at)
		case c.Route != nil:
			j.routeCheck(c, what, node, at)
		case c.Exec != nil:
			e := c.Exec
			if strings.TrimSpace(e.Cmd) == "" && !(fromFile && (!hasKey(c.At, "cmd") || j.lost(at("cmd")))) {
				j.errorf(at("cmd"), `empty cmd of %s; write a command line, e.g. cmd: "sysctl -n net.ipv4.ip_forward"`, what)
			}
			if e.Exit < 0 || e.Exit > 255 {
				j.errorf(at("exit"), "exit %d of %s is out of range; write the exit code the command must end with, from 0 to 255", e.Exit, what)
			}
			if _, err := regexp.Compile(e.Output); err != nil { // its message without the (?m) the runner adds
				msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
				j.errorf(at("output"), "output of %s is not a regular expression (%s); write an RE2 expression, e.g. output: \"^1$\", and quote it", what, msg)
			}
		case c.OSPF != nil:
			j.peerCheck(c, what, c.OSPF.Neighbor, c.OSPF.Addrs, "neighbor", node, at)
		case c.BGP != nil:
			j.peerCheck(c, what, c.BGP.Peer, c.BGP.Addrs, "peer", node, at)
			if c.BGP.Prefixes < 0 {
				j.errorf(at("prefixes"), "prefixes %d of %s is negative; write the fewest prefixes the peer must have sent, e.g. prefixes: 2", c.BGP.Prefixes, what)
			}
		}
	}
}

// hosts judges the hosts a lab spans: names a Kubernetes node could have,
// underlay addresses of each its own, a UDP port each, and placement:
// auto, which needs hosts to place on.
func (j *judge) hosts() {
	t := j.t
	if t.HostsFrom != "" && t.HostsFrom != HostsKubernetes {
		j.errorf(t.HostsPos, "hosts from %q: netlab knows hosts listed by name, or %s; write %s", t.HostsFrom, HostsKubernetes, hostsExample)
	}
	if t.HostsFrom == HostsKubernetes && t.Placement != PlacementAuto && !j.lost(t.PlacementPos) {
		j.errorf(t.HostsPos, "hosts: %s finds the hosts when the lab comes up, so netlab must place the nodes on them; add placement: auto at the top level", HostsKubernetes)
	}
	if t.Placement == PlacementAuto && !t.Spans() && !j.lost(t.HostsPos) {
		j.errorf(t.PlacementPos, "placement: auto places the nodes on the lab's hosts, and there are none; add %s, or remove placement", hostsExample)
	}
	if t.Placement != "" && t.Placement != PlacementAuto {
		j.errorf(t.PlacementPos, "placement %q is not one netlab knows; write placement: auto, or give each node its host:", t.Placement)
	}
	names := map[string]*Host{}
	addrs := map[netip.Addr]*Host{}
	for _, h := range t.Hosts {
		what := "host " + show(h.Name)
		switch {
		case !ValidHostName(h.Name):
			j.errorf(h.Pos, "bad host name %q; %s", h.Name, hostNameHint)
		case names[h.Name] != nil:
			j.errorf(h.Pos, "host %s is listed twice; rename or remove one of them", show(h.Name))
		default:
			names[h.Name] = h
		}
		at := h.At.Of("address", h.Pos)
		switch other := addrs[h.Address]; {
		case j.lost(h.At["address"]) || h.At != nil && !hasKey(h.At, "address"):
			// Said when it was read.
		case !h.Address.IsValid():
			j.errorf(at, "%s has no address; write the address the other hosts reach it at, e.g. address: 198.51.100.1", what)
		case h.Address.IsUnspecified() || h.Address.IsMulticast() || h.Address.IsLoopback():
			j.errorf(at, "address %s of %s cannot carry tunnels between hosts; write an address of the host's that the other hosts reach, e.g. 198.51.100.1", h.Address, what)
		case other != nil:
			j.errorf(at, "address %s of %s is host %s's too (line %d); give each host its own address", h.Address, what, show(other.Name), other.Pos.Line)
		default:
			addrs[h.Address] = h
		}
		if (h.VXLANPort < 1 || h.VXLANPort > 65535) && !j.lost(h.At["vxlan_port"]) {
			j.errorf(h.At.Of("vxlan_port", h.Pos), "vxlan_port %d of %s is out of range; write a UDP port from 1 to 65535, e.g. %d", h.VXLANPort, what, DefaultVXLANPort)
		}
	}
	if len(t.Hosts) > 1 {
		families := map[bool]*Host{}
		for _, h := range t.Hosts {
			if h.Address.IsValid() {
				families[h.Address.Is4()] = h
			}
		}
		if len(families) == 2 {
			j.errorf(families[false].At.Of("address", families[false].Pos), "host %s has an IPv6 address and host %s an IPv4 one; a tunnel joins two of one family: give every host an address of the same family", show(families[false].Name), show(families[true].Name))
		}
	}
}

// nodeHosts judges each node's host: one of hosts:, given to every node
// unless placement: auto places them all; and none without hosts:.
func (j *judge) nodeHosts() {
	t := j.t
	var list []string
	for _, h := range t.Hosts {
		list = append(list, show(h.Name))
	}
	for _, o := range j.owners() {
		// What a node inherits from defaults is judged as defaults'; a
		// Topology built in Go has no At, and with placement: auto its
		// hosts are Place's.
		builtInGo := o.node && o.n.At == nil && o.n.Host != "" && t.Placement != PlacementAuto
		if !hasKey(o.n.At, "host") && !builtInGo {
			continue
		}
		at := or(o.n.HostPos, o.n.Pos)
		switch {
		case j.lost(at):
		case !t.Spans():
			j.errorf(at, "%s has host: %s, but the lab has no hosts:; list them at the top level, e.g. %s, or remove host:", o.label, show(o.n.Host), hostsExample)
		case t.Placement == PlacementAuto:
			j.errorf(at, "%s has host: %s, but placement: auto places every node; remove one of them", o.label, show(o.n.Host))
		case t.HostOf(o.n.Host) == nil && len(t.Hosts) > 0:
			j.errorf(at, "host %s of %s is not under hosts:; use one of %s", show(o.n.Host), o.label, strings.Join(list, ", "))
		}
	}
	if len(t.Hosts) == 0 || t.Placement == PlacementAuto {
		return
	}
	for _, n := range t.Nodes {
		if n.Host == "" {
			j.errorf(n.Pos, "%s has no host:; give it one of %s (or put host: in defaults), or set placement: auto at the top level", nodeLabel(n.Name), strings.Join(list, ", "))
		}
	}
}

// relative is a host path as a message shows it: relative to the topology
// file's directory when it is below it, as a file most likely wrote it.
func (t *Topology) relative(p string) string {
	dir, err := filepath.Abs(filepath.Dir(t.File))
	if t.File == "" || err != nil {
		return p
	}
	if rel, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}

func hasKey(a At, key string) bool { _, ok := a[key]; return ok }

func (j *judge) pingCheck(c *Check, what string, node *Node, at func(string) Pos) {
	p := c.Ping
	if node != nil && node.Kind.Facts().Bridge {
		j.errorf(at("from"), "%s pings from bridge %s, which has no address; ping a node on its LAN", what, show(c.Node))
	}
	switch _, why := j.t.pingTarget(p.To, j.nodes); {
	case p.To != "" && why != "" && !j.lost(at("to")):
		j.errorf(at("to"), "%s %s", what, why)
	case !p.Addr.IsValid() && c.At == nil:
		j.errorf(c.Pos, "%s needs an address to ping", what)
	}
	if p.Count < 1 || p.Count > MaxPingCount {
		j.errorf(at("count"), "count %d of %s is out of range; write how many echo requests to send, from 1 to %d", p.Count, what, MaxPingCount)
	}
	if p.Src == "" || j.lost(at("src")) {
		return
	}
	if a, err := netip.ParseAddr(p.Src); err == nil {
		if node != nil && !j.t.lost.addrs[nodeLabel(node.Name)] && !slices.ContainsFunc(node.Interfaces, func(i *Interface) bool {
			return slices.ContainsFunc(i.Addrs, func(p netip.Prefix) bool { return p.Addr() == a })
		}) {
			j.errorf(at("src"), "src %s of %s is no address of %s; use one of its addresses, or an interface name", a, what, show(c.Node))
		}
		return
	}
	if ifnameProblem(p.Src) != "" || strings.HasPrefix(p.Src, "-") {
		j.errorf(at("src"), "bad src %s of %s; write an address of %s or one of its interfaces, e.g. src: eth1", show(p.Src), what, show(c.Node))
		return
	}
	if node != nil && p.Src != "lo" && node.Interface(p.Src) == nil {
		j.errorf(at("src"), "src %s of %s is no interface of %s; use one of its interfaces or addresses", show(p.Src), what, show(c.Node))
	}
}

func (j *judge) routeCheck(c *Check, what string, node *Node, at func(string) Pos) {
	r := c.Route
	switch {
	case !r.To.IsValid():
		if c.At == nil {
			j.errorf(c.Pos, "%s needs a destination", what)
		}
	case r.To.Masked() != r.To:
		j.errorf(at("to"), "destination %s of %s has host bits set; write %s", r.To, what, r.To.Masked())
	}
	if r.Dev == "" || j.lost(at("dev")) {
		return
	}
	if why := ifnameProblem(r.Dev); why != "" {
		j.errorf(at("dev"), "bad interface name %s in dev of %s: %s; %s", show(r.Dev), what, why, ifnameHint)
	} else if node != nil && r.Dev != "lo" && node.Interface(r.Dev) == nil {
		j.errorf(at("dev"), "dev %s of %s is no interface of %s; use one of its interfaces", show(r.Dev), what, show(c.Node))
	}
}

// peerCheck judges an ospf check's neighbour or a bgp check's peer, and
// that the node runs a daemon that can answer.
func (j *judge) peerCheck(c *Check, what, peer string, addrs []netip.Addr, key string, node *Node, at func(string) Pos) {
	switch _, why := j.t.peerAddrs(c, peer, what, j.nodes); {
	case peer != "" && why != "" && !j.lost(at(key)):
		j.errorf(at(key), "%s", why)
	case len(addrs) == 0 && c.At == nil:
		j.errorf(c.Pos, "%s needs the address of its %s", what, key)
	}
	if node == nil {
		return
	}
	proto := string(c.Kind)
	if ok, fix := node.Kind.Facts().speaks(node, proto); !ok {
		j.errorf(at("node"), "%s runs on %s, %s", what, show(c.Node), fix)
	}
}

// ViewErrors reports every `files:` path of t, well formed, that is outside
// its node's private view: what netlab.Check refuses.
func ViewErrors(t *Topology) error { return joined(viewErrors(t)) }

func viewErrors(t *Topology) []*Error {
	j := &judge{t: t}
	var errs []*Error
	for _, o := range j.owners() {
		for _, f := range j.ownKeys(o, func(n *Node) []KeyValue { return n.Files }) {
			if filePathProblem(f.Key) == "" && !InPrivateView(f.Key) {
				errs = append(errs, viewError(t.File, f.Pos, f.Key, o.label))
			}
		}
	}
	return errs
}
