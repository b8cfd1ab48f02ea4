package check

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/topology"
)

// missing is the error for a program a check needs that the node lacks.
func missing(prog, pkg string, out []byte) error {
	why := lastLine(out)
	if why == "" {
		why = "not found"
	}
	return fmt.Errorf("%s cannot run in the node (%s); install it on the host: apt-get install %s", prog, why, pkg)
}

// ---- ping

var (
	pingLossRE = regexp.MustCompile(`(\d+) packets transmitted, (\d+) (?:packets )?received(?:, \+\d+ duplicates)?(?:, \+(\d+) errors)?, ([\d.]+)% packet loss`)
	pingRTTRE  = regexp.MustCompile(`= [\d.]+/([\d.]+)/[\d.]+/[\d.]+ ms`)
	pingICMPRE = regexp.MustCompile(`(?m)^From (\S+)(?: icmp_seq=\d+)? (.+)$`)
)

func pingArgv(p *topology.PingCheck) []string {
	argv := []string{"ping", "-n", "-c", strconv.Itoa(p.Count), "-W", "1"}
	if p.Count > 1 {
		argv = append(argv, "-i", "0.2")
	}
	if p.Src != "" {
		argv = append(argv, "-I", p.Src)
	}
	return append(argv, p.Addr.String())
}

func tryPing(ctx context.Context, lab Lab, c *topology.Check) outcome {
	p := c.Ping
	code, out, err := lab.Run(ctx, c.Node, pingArgv(p))
	if err != nil {
		return outcome{err: err}
	}
	if code == 126 || code == 127 {
		return outcome{err: missing("ping", "iputils-ping", out)}
	}
	return pingOutcome(p, code, out)
}

// pingOutcome reads ping's summary: it holds when every request was
// answered, its opposite when none was.
func pingOutcome(p *topology.PingCheck, code int, out []byte) outcome {
	target := p.Addr.String()
	if p.To != target {
		target = fmt.Sprintf("%s (%s)", p.To, p.Addr)
	}
	m := pingLossRE.FindSubmatch(out)
	if m == nil {
		// No summary: ping gave up before sending (no route, bad source).
		why := lastLine(out)
		if why == "" {
			why = fmt.Sprintf("ping exited %d and printed nothing", code)
		}
		return outcome{opposite: true, found: fmt.Sprintf("no reply from %s: %s", target, strings.TrimPrefix(why, "ping: "))}
	}
	sent, _ := strconv.Atoi(string(m[1]))
	got, _ := strconv.Atoi(string(m[2]))
	o := outcome{holds: sent > 0 && got >= sent, opposite: got == 0}
	loss := string(m[0])
	switch {
	case o.holds:
		o.found = fmt.Sprintf("%s replies: %s", target, loss)
		if rtt := pingRTTRE.FindSubmatch(out); rtt != nil {
			o.found += fmt.Sprintf(", rtt avg %s ms", rtt[1])
		}
	case got == 0:
		o.found = fmt.Sprintf("no reply from %s: %s", target, loss)
	default:
		o.found = fmt.Sprintf("%s answered %d of %d: %s", target, got, sent, loss)
	}
	if icmp := pingICMPRE.FindSubmatch(out); icmp != nil && !o.holds {
		o.found += fmt.Sprintf("; %s says %s", icmp[1], strings.TrimSpace(string(icmp[2])))
	}
	return o
}

// ---- route

func tryRoute(ctx context.Context, lab Lab, c *topology.Check) outcome {
	routes, err := lab.Routes(ctx, c.Node)
	if err != nil {
		return outcome{err: err}
	}
	return routeOutcome(c.Node, c.Route, routes)
}

// routeOutcome finds the route c asks about in a node's main table.
func routeOutcome(node string, c *topology.RouteCheck, routes []netlab.Route) outcome {
	var family []netlab.Route
	for _, r := range routes {
		if r.Dst.Addr().Is4() == c.To.Addr().Is4() {
			family = append(family, r)
		}
	}
	// Lowest metric first: that is the route the kernel uses of several
	// to one prefix.
	slices.SortStableFunc(family, func(a, b netlab.Route) int { return a.Metric - b.Metric })
	covering := func() *netlab.Route {
		var best *netlab.Route
		for i, r := range family {
			if r.Dst.Contains(c.To.Addr()) && (best == nil || r.Dst.Bits() > best.Dst.Bits()) {
				best = &family[i]
			}
		}
		return best
	}
	var candidates []netlab.Route
	what := c.To.String()
	if c.To.Bits() == 0 {
		what = "default"
	}
	if c.Lookup {
		what = c.To.Addr().String()
		if best := covering(); best != nil {
			for _, r := range family {
				if r.Dst == best.Dst {
					candidates = append(candidates, r)
				}
			}
		}
	} else {
		for _, r := range family {
			if r.Dst == c.To {
				candidates = append(candidates, r)
			}
		}
	}
	if len(candidates) == 0 {
		found := fmt.Sprintf("%s has no route to %s", node, what)
		if c.To.Bits() == 0 {
			found = fmt.Sprintf("%s has no default route", node)
		}
		if !c.Lookup {
			if best := covering(); best != nil {
				found += fmt.Sprintf("; the kernel would use %s", best)
			} else {
				found += "; no route covers it either, so it is unreachable"
			}
		} else {
			found += ": no route covers it, so it is unreachable"
		}
		return outcome{opposite: true, found: found}
	}
	has := func(r netlab.Route) string {
		if c.Lookup {
			return fmt.Sprintf("%s routes %s by %s", node, what, r)
		}
		return fmt.Sprintf("%s has %s", node, r)
	}
	for _, r := range candidates {
		for _, nh := range r.Nexthops {
			if (!c.Via.IsValid() || nh.Via == c.Via) && (c.Dev == "" || nh.Dev == c.Dev) {
				return outcome{holds: true, found: has(r)}
			}
		}
		if len(r.Nexthops) == 0 && !c.Via.IsValid() && c.Dev == "" {
			return outcome{holds: true, found: has(r)}
		}
	}
	var want []string
	if c.Via.IsValid() {
		want = append(want, "via "+c.Via.String())
	}
	if c.Dev != "" {
		want = append(want, "dev "+c.Dev)
	}
	return outcome{opposite: true, found: fmt.Sprintf("%s, not %s", has(candidates[0]), strings.Join(want, " "))}
}

// ---- exec

func tryExec(ctx context.Context, lab Lab, c *topology.Check) outcome {
	e := c.Exec
	code, out, err := lab.Run(ctx, c.Node, []string{"/bin/sh", "-c", e.Cmd})
	if err != nil {
		return outcome{err: err}
	}
	return execOutcome(e, code, out)
}

func execOutcome(e *topology.ExecCheck, code int, out []byte) outcome {
	if code != e.Exit {
		return outcome{opposite: true, found: fmt.Sprintf("exit %d, want %d%s", code, e.Exit, outputTail(out))}
	}
	if e.Output == "" {
		return outcome{holds: true, found: fmt.Sprintf("exit %d%s", code, outputTail(out))}
	}
	re := regexp.MustCompile("(?m)" + e.Output) // validated with the topology
	if m := re.Find(out); m != nil {
		return outcome{holds: true, found: fmt.Sprintf("exit %d, output matches /%s/: %q", code, e.Output, clip(string(m), 80))}
	}
	if len(out) == 0 {
		return outcome{opposite: true, found: fmt.Sprintf("exit %d with no output, want output matching /%s/", code, e.Output)}
	}
	return outcome{opposite: true, found: fmt.Sprintf("exit %d, but the output does not match /%s/%s", code, e.Output, outputTail(out))}
}

// outputTail is the end of a command's output for a message: its last
// lines, each on a line of its own after a heading, or "" for none.
func outputTail(out []byte) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	const keep = 5
	head := "; output:"
	if len(lines) > keep {
		head = fmt.Sprintf("; last %d of %d lines of output:", keep, len(lines))
		lines = lines[len(lines)-keep:]
	}
	var b strings.Builder
	b.WriteString(head)
	for _, l := range lines {
		b.WriteString("\n    " + clip(l, 200))
	}
	return b.String()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return clip(l, 200)
		}
	}
	return ""
}

// ---- daemons

// birdSocket is where netlab's BIRD listens in each node (see
// netlab's daemon start script).
const birdSocket = "/run/bird/bird.ctl"

// askDaemon runs a daemon's client in node and returns its output, or an
// outcome for a client that failed (the daemon is not running, or still
// starting): a reason to try again.
func askDaemon(ctx context.Context, lab Lab, node string, argv []string, pkg string) ([]byte, *outcome) {
	code, out, err := lab.Run(ctx, node, argv)
	switch {
	case err != nil:
		return nil, &outcome{err: err}
	case code == 126 || code == 127:
		return nil, &outcome{err: missing(argv[0], pkg, out)}
	case code != 0:
		why := lastLine(out)
		if why == "" {
			why = fmt.Sprintf("exit %d", code)
		}
		return nil, &outcome{opposite: true, found: fmt.Sprintf("%s on %s: %s", argv[0], node, why)}
	}
	return out, nil
}

// suite is the routing suite node runs (topology.KindFacts.Suite), or "".
func suite(lab Lab, node string) string {
	if n := lab.Topology().Node(node); n != nil {
		return n.Kind.Facts().Suite
	}
	return ""
}

// ---- ospf

func tryOSPF(ctx context.Context, lab Lab, c *topology.Check) outcome {
	nbrs, o := askRouter(ctx, lab, c.Node, []string{"show", "ospf", "neighbors"}, birdOSPFNeighbors, "show ip ospf neighbor json", frrOSPFNeighbors)
	if o != nil {
		return *o
	}
	return ospfOutcome(c.Node, c.OSPF, nbrs)
}

// askRouter asks node's routing daemon, by the node's kind BIRD (birdc
// with birdArgs) or FRR (vtysh -c vtyshCmd, whose JSON readFRR reads), and
// returns what the reader of that daemon makes of the answer, or the
// outcome to report when there is none.
func askRouter[T any](ctx context.Context, lab Lab, node string, birdArgs []string, readBIRD func([]byte) []T, vtyshCmd string, readFRR func([]byte) ([]T, error)) ([]T, *outcome) {
	if suite(lab, node) == topology.SuiteBIRD {
		out, o := askDaemon(ctx, lab, node, append([]string{"birdc", "-s", birdSocket, "-r"}, birdArgs...), "bird2")
		if o != nil {
			return nil, o
		}
		return readBIRD(out), nil
	}
	out, o := askDaemon(ctx, lab, node, []string{"vtysh", "-c", vtyshCmd}, "frr")
	if o != nil {
		return nil, o
	}
	v, err := readFRR(out)
	if err != nil {
		return nil, &outcome{opposite: true, found: fmt.Sprintf("vtysh on %s: %v: %s", node, err, clip(lastLine(out), 120))}
	}
	return v, nil
}

// ospfNeighbor is one adjacency as a daemon reports it.
type ospfNeighbor struct {
	RouterID, Addr, Iface, State string
}

func (n ospfNeighbor) String() string {
	s := n.RouterID
	if n.Addr != "" && n.Addr != n.RouterID {
		s += " (" + n.Addr
		if n.Iface != "" {
			s += " on " + n.Iface
		}
		s += ")"
	} else if n.Iface != "" {
		s += " on " + n.Iface
	}
	return s + " " + n.State
}

// frrOSPFNeighbors reads show ip ospf neighbor json. FRR 8 writes both
// nbrState and state, ifaceAddress and address; older ones only the
// second of each.
func frrOSPFNeighbors(out []byte) ([]ospfNeighbor, error) {
	var doc struct {
		Neighbors map[string][]struct {
			NbrState, State, IfaceAddress, Address, IfaceName string
		} `json:"neighbors"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("no JSON")
	}
	var all []ospfNeighbor
	for rid, list := range doc.Neighbors {
		for _, e := range list {
			n := ospfNeighbor{RouterID: rid, State: cmp.Or(e.NbrState, e.State), Addr: cmp.Or(e.IfaceAddress, e.Address), Iface: e.IfaceName}
			if i, _, ok := strings.Cut(n.Iface, ":"); ok {
				n.Iface = i // "eth1:10.0.12.1": the interface and its own address
			}
			all = append(all, n)
		}
	}
	slices.SortFunc(all, func(a, b ospfNeighbor) int { return strings.Compare(a.RouterID+a.Iface, b.RouterID+b.Iface) })
	return all, nil
}

// birdOSPFNeighbors reads birdc's show ospf neighbors table:
//
//	Router ID   	Pri	     State     	DTime	Interface  Router IP
//	10.255.0.3  	  1	Full/PtP  	 2.671	eth2       10.0.23.3
func birdOSPFNeighbors(out []byte) []ospfNeighbor {
	var all []ospfNeighbor
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		if _, err := netip.ParseAddr(f[0]); err != nil {
			continue
		}
		all = append(all, ospfNeighbor{RouterID: f[0], State: f[2], Iface: f[4], Addr: f[5]})
	}
	return all
}

func ospfOutcome(node string, c *topology.OSPFCheck, nbrs []ospfNeighbor) outcome {
	match := func(s string) bool {
		a, err := netip.ParseAddr(s)
		return err == nil && slices.Contains(c.Addrs, a)
	}
	var found []ospfNeighbor
	for _, n := range nbrs {
		if match(n.RouterID) || match(n.Addr) {
			found = append(found, n)
		}
	}
	for _, n := range found {
		if strings.HasPrefix(n.State, "Full") {
			return outcome{holds: true, found: fmt.Sprintf("%s has OSPF neighbour %s", node, n)}
		}
	}
	if len(found) > 0 {
		return outcome{opposite: true, found: fmt.Sprintf("%s's OSPF neighbour %s is not Full", node, found[0])}
	}
	return outcome{opposite: true, found: fmt.Sprintf("%s has no OSPF neighbour %s; %s", node, c.Neighbor, listOf("neighbours", nbrs))}
}

func listOf[T fmt.Stringer](what string, all []T) string {
	if len(all) == 0 {
		return "it has no " + what + " at all"
	}
	s := make([]string, len(all))
	for i, x := range all {
		s[i] = x.String()
	}
	return "its " + what + ": " + strings.Join(s, ", ")
}

// ---- bgp

// bgpPeer is one session as a daemon reports it.
type bgpPeer struct {
	Addr, Name, State string
	Prefixes          int
}

func (p bgpPeer) String() string {
	s := p.Addr
	if p.Name != "" && p.Name != p.Addr {
		s += " (" + p.Name + ")"
	}
	return s + " " + p.State
}

func tryBGP(ctx context.Context, lab Lab, c *topology.Check) outcome {
	peers, o := askRouter(ctx, lab, c.Node, []string{"show", "protocols", "all"}, birdBGPPeers, "show bgp summary json", frrBGPPeers)
	if o != nil {
		return *o
	}
	return bgpOutcome(c.Node, c.BGP, peers)
}

// frrBGPPeers reads show bgp summary json: an object per address family
// (ipv4Unicast, ipv6Unicast, ...) with its peers by address, each with
// state and pfxRcd. A peer of several families is one peer, its prefixes
// summed.
func frrBGPPeers(out []byte) ([]bgpPeer, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("no JSON")
	}
	byAddr := map[string]*bgpPeer{}
	var order []string
	for _, afi := range slices.Sorted(maps.Keys(doc)) {
		var fam struct {
			Peers map[string]struct {
				State    string `json:"state"`
				PfxRcd   int    `json:"pfxRcd"`
				Hostname string `json:"hostname"`
			} `json:"peers"`
		}
		if json.Unmarshal(doc[afi], &fam) != nil {
			continue
		}
		for addr, p := range fam.Peers {
			bp := byAddr[addr]
			if bp == nil {
				bp = &bgpPeer{Addr: addr, Name: p.Hostname, State: p.State}
				byAddr[addr] = bp
				order = append(order, addr)
			}
			bp.Prefixes += p.PfxRcd
		}
	}
	slices.Sort(order)
	all := make([]bgpPeer, len(order))
	for i, a := range order {
		all[i] = *byAddr[a]
	}
	return all, nil
}

var birdRoutesRE = regexp.MustCompile(`^\s*Routes:\s+(\d+) imported`)

// birdBGPPeers reads birdc's show protocols all: a block per protocol,
// its first line "NAME BGP TABLE STATE SINCE INFO", then "BGP state:",
// "Neighbor address:" and per channel "Routes: N imported, ...".
func birdBGPPeers(out []byte) []bgpPeer {
	var all []bgpPeer
	var cur *bgpPeer
	flush := func() {
		if cur != nil && cur.Addr != "" {
			all = append(all, *cur)
		}
		cur = nil
	}
	for _, line := range strings.Split(string(out), "\n") {
		if line != "" && line[0] != ' ' && line[0] != '\t' {
			flush()
			f := strings.Fields(line)
			if len(f) >= 2 && f[1] == "BGP" {
				cur = &bgpPeer{Name: f[0], State: "down"}
				if len(f) >= 4 {
					cur.State = f[3]
				}
			}
			continue
		}
		if cur == nil {
			continue
		}
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "BGP state:"):
			cur.State = strings.TrimSpace(strings.TrimPrefix(t, "BGP state:"))
		case strings.HasPrefix(t, "Neighbor address:"):
			cur.Addr = strings.TrimSpace(strings.TrimPrefix(t, "Neighbor address:"))
			if a, _, ok := strings.Cut(cur.Addr, "%"); ok {
				cur.Addr = a
			}
		default:
			if m := birdRoutesRE.FindStringSubmatch(line); m != nil {
				n, _ := strconv.Atoi(m[1])
				cur.Prefixes += n
			}
		}
	}
	flush()
	return all
}

func bgpOutcome(node string, c *topology.BGPCheck, peers []bgpPeer) outcome {
	var found []bgpPeer
	for _, p := range peers {
		if a, err := netip.ParseAddr(p.Addr); err == nil && slices.Contains(c.Addrs, a) {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		return outcome{opposite: true, found: fmt.Sprintf("%s has no BGP peer %s; %s", node, c.Peer, listOf("peers", peers))}
	}
	p := found[0]
	for _, q := range found {
		if q.State == "Established" {
			p = q
			break
		}
	}
	prefixes := fmt.Sprintf("%d prefix%s received", p.Prefixes, map[bool]string{true: "", false: "es"}[p.Prefixes == 1])
	switch {
	case p.State != "Established":
		return outcome{opposite: true, found: fmt.Sprintf("%s's BGP session with %s is %s, not Established", node, p.Addr, p.State)}
	case p.Prefixes < c.Prefixes:
		return outcome{opposite: true, found: fmt.Sprintf("%s's BGP session with %s is Established, but %s, want at least %d", node, p.Addr, prefixes, c.Prefixes)}
	}
	peer := p.Addr
	if p.Name != "" && p.Name != p.Addr {
		peer += " (" + p.Name + ")"
	}
	return outcome{holds: true, found: fmt.Sprintf("%s's BGP session with %s is Established, %s", node, peer, prefixes)}
}
