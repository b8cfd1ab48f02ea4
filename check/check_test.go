package check

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/topology"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

// TestPingOutcome: ping's summary as iputils prints it, every way a ping
// ends.
func TestPingOutcome(t *testing.T) {
	p := &topology.PingCheck{To: "r3", Addr: netip.MustParseAddr("10.255.0.3"), Count: 3}
	tests := []struct {
		file           string
		code           int
		holds, opposes bool
		found          string
	}{
		{"ping-ok.txt", 0, true, false, "r3 (10.255.0.3) replies: 3 packets transmitted, 3 received, 0% packet loss, rtt avg 0.061 ms"},
		{"ping-loss.txt", 1, false, true, "no reply from r3 (10.255.0.3): 1 packets transmitted, 0 received, 100% packet loss"},
		{"ping-partial.txt", 1, false, false, "r3 (10.255.0.3) answered 2 of 3: 3 packets transmitted, 2 received, 33.3333% packet loss"},
		{"ping-unreachable.txt", 2, false, true, "no reply from r3 (10.255.0.3): connect: Network is unreachable"},
		{"ping-icmp.txt", 1, false, true, "no reply from r3 (10.255.0.3): 1 packets transmitted, 0 received, +1 errors, 100% packet loss; 10.1.0.1 says Destination Net Unreachable"},
	}
	for _, tt := range tests {
		o := pingOutcome(p, tt.code, read(t, tt.file))
		if o.holds != tt.holds || o.opposite != tt.opposes || o.found != tt.found {
			t.Errorf("%s: holds %v opposite %v %q\n want holds %v opposite %v %q", tt.file, o.holds, o.opposite, o.found, tt.holds, tt.opposes, tt.found)
		}
	}
	got := strings.Join(pingArgv(&topology.PingCheck{Addr: netip.MustParseAddr("2001:db8::1"), Count: 3, Src: "eth1"}), " ")
	if want := "ping -n -c 3 -W 1 -i 0.2 -I eth1 2001:db8::1"; got != want {
		t.Errorf("ping argv %q, want %q", got, want)
	}
}

func route(dst string, protocol string, metric int, hops ...string) netlab.Route {
	r := netlab.Route{Dst: netip.MustParsePrefix(dst), Type: "unicast", Protocol: protocol, Metric: metric}
	for i := 0; i+1 < len(hops); i += 2 {
		nh := netlab.Nexthop{Dev: hops[i+1]}
		if hops[i] != "" {
			nh.Via = netip.MustParseAddr(hops[i])
		}
		r.Nexthops = append(r.Nexthops, nh)
	}
	return r
}

// TestRouteOutcome: a route to a prefix is that prefix; to an address,
// the longest prefix holding it; via and dev one of the nexthops; what
// there is instead when it is not.
func TestRouteOutcome(t *testing.T) {
	table := []netlab.Route{
		route("10.0.12.0/24", "kernel", 0, "", "eth1"),
		route("10.0.12.0/24", "bird", 32, "", "eth1"),
		route("10.0.0.0/8", "boot", 0, "10.0.12.2", "eth1"),
		route("10.255.0.3/32", "ospf", 20, "10.0.12.2", "eth1", "10.0.14.4", "eth2"),
		route("0.0.0.0/0", "boot", 0, "10.0.12.2", "eth1"),
		route("2001:db8:b::/64", "boot", 1024, "2001:db8:12::2", "eth1"),
	}
	rc := func(to, via, dev string) *topology.RouteCheck {
		c := &topology.RouteCheck{Dev: dev}
		if strings.Contains(to, "/") {
			c.To = netip.MustParsePrefix(to)
		} else {
			a := netip.MustParseAddr(to)
			c.To, c.Lookup = netip.PrefixFrom(a, a.BitLen()), true
		}
		if via != "" {
			c.Via = netip.MustParseAddr(via)
		}
		return c
	}
	tests := []struct {
		c     *topology.RouteCheck
		holds bool
		found string
	}{
		{rc("10.255.0.3/32", "10.0.14.4", "eth2"), true, "r1 has 10.255.0.3/32 via 10.0.12.2 dev eth1 and via 10.0.14.4 dev eth2 proto ospf"},
		{rc("10.255.0.3/32", "10.0.14.4", "eth1"), false, "r1 has 10.255.0.3/32 via 10.0.12.2 dev eth1 and via 10.0.14.4 dev eth2 proto ospf, not via 10.0.14.4 dev eth1"},
		{rc("10.255.0.3/32", "10.0.13.3", ""), false, "r1 has 10.255.0.3/32 via 10.0.12.2 dev eth1 and via 10.0.14.4 dev eth2 proto ospf, not via 10.0.13.3"},
		{rc("10.255.0.9/32", "", ""), false, "r1 has no route to 10.255.0.9/32; the kernel would use 10.0.0.0/8 via 10.0.12.2 dev eth1 proto boot"},
		{rc("10.255.0.9", "10.0.12.2", ""), true, "r1 routes 10.255.0.9 by 10.0.0.0/8 via 10.0.12.2 dev eth1 proto boot"},
		{rc("192.0.2.1", "", "eth1"), true, "r1 routes 192.0.2.1 by 0.0.0.0/0 via 10.0.12.2 dev eth1 proto boot"},
		{rc("10.0.12.0/24", "", "eth1"), true, "r1 has 10.0.12.0/24 dev eth1 proto kernel"},
		{rc("0.0.0.0/0", "10.0.12.1", ""), false, "r1 has 0.0.0.0/0 via 10.0.12.2 dev eth1 proto boot, not via 10.0.12.1"},
		{rc("::/0", "", ""), false, "r1 has no default route; no route covers it either, so it is unreachable"},
		{rc("2001:db8:b::10", "2001:db8:12::2", "eth1"), true, "r1 routes 2001:db8:b::10 by 2001:db8:b::/64 via 2001:db8:12::2 dev eth1 proto boot"},
		{rc("2001:db8:c::10", "", ""), false, "r1 has no route to 2001:db8:c::10: no route covers it, so it is unreachable"},
	}
	for _, tt := range tests {
		o := routeOutcome("r1", tt.c, table)
		if o.holds != tt.holds || o.opposite == tt.holds || o.found != tt.found {
			t.Errorf("route to %s via %v dev %q: holds %v %q\n want %v %q", tt.c.To, tt.c.Via, tt.c.Dev, o.holds, o.found, tt.holds, tt.found)
		}
	}
}

func TestExecOutcome(t *testing.T) {
	tests := []struct {
		e     topology.ExecCheck
		code  int
		out   string
		holds bool
		found string
	}{
		{topology.ExecCheck{Output: "^1$"}, 0, "1\n", true, `exit 0, output matches /^1$/: "1"`},
		{topology.ExecCheck{Output: "^1$"}, 0, "0\n", false, "exit 0, but the output does not match /^1$/; output:\n    0"},
		{topology.ExecCheck{}, 1, "a\nb\nc\nd\ne\nf\ng\n", false, "exit 1, want 0; last 5 of 7 lines of output:\n    c\n    d\n    e\n    f\n    g"},
		{topology.ExecCheck{Exit: 1}, 1, "", true, "exit 1"},
		{topology.ExecCheck{Output: "x"}, 0, "", false, "exit 0 with no output, want output matching /x/"},
	}
	for _, tt := range tests {
		o := execOutcome(&tt.e, tt.code, []byte(tt.out))
		if o.holds != tt.holds || o.found != tt.found {
			t.Errorf("exec %+v, exit %d %q: holds %v %q\n want %v %q", tt.e, tt.code, tt.out, o.holds, o.found, tt.holds, tt.found)
		}
	}
}

// TestOSPFOutcome: FRR 8's JSON and BIRD 2's table, as the installed
// daemons print them (testdata), read the same way.
func TestOSPFOutcome(t *testing.T) {
	frr, err := frrOSPFNeighbors(read(t, "frr8-ospf-neighbor.json"))
	if err != nil {
		t.Fatal(err)
	}
	bird := birdOSPFNeighbors(read(t, "bird2-ospf-neighbors.txt"))
	tests := []struct {
		nbrs  []ospfNeighbor
		addrs []netip.Addr
		holds bool
		found string
	}{
		{frr, addrs("10.255.0.2"), true, "r1 has OSPF neighbour 10.255.0.2 (10.0.12.2 on eth1) Full/-"},
		{frr, addrs("10.0.14.4"), true, "r1 has OSPF neighbour 10.255.0.4 (10.0.14.4 on eth2) Full/-"},
		{frr, addrs("10.255.0.3"), false, "r1 has no OSPF neighbour 10.255.0.3; its neighbours: 10.255.0.2 (10.0.12.2 on eth1) Full/-, 10.255.0.4 (10.0.14.4 on eth2) Full/-"},
		{bird, addrs("10.255.0.1"), true, "r1 has OSPF neighbour 10.255.0.1 (10.0.12.1 on eth1) Full/PtP"},
		{bird, addrs("10.0.23.3"), true, "r1 has OSPF neighbour 10.255.0.3 (10.0.23.3 on eth2) Full/PtP"},
		{nil, addrs("10.255.0.1"), false, "r1 has no OSPF neighbour 10.255.0.1; it has no neighbours at all"},
		{[]ospfNeighbor{{RouterID: "10.255.0.2", Addr: "10.0.12.2", Iface: "eth1", State: "ExStart/DR"}}, addrs("10.255.0.2"), false, "r1's OSPF neighbour 10.255.0.2 (10.0.12.2 on eth1) ExStart/DR is not Full"},
	}
	for _, tt := range tests {
		name := tt.addrs[0].String()
		o := ospfOutcome("r1", &topology.OSPFCheck{Neighbor: name, Addrs: tt.addrs}, tt.nbrs)
		if o.holds != tt.holds || o.found != tt.found {
			t.Errorf("neighbour %s: holds %v %q\n want %v %q", name, o.holds, o.found, tt.holds, tt.found)
		}
	}
	if _, err := frrOSPFNeighbors([]byte("ospfd is not running\n")); err == nil {
		t.Error("vtysh's complaint read as JSON")
	}
}

func TestBGPOutcome(t *testing.T) {
	frr, err := frrBGPPeers(read(t, "frr8-bgp-summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	bird := birdBGPPeers(read(t, "bird2-protocols-all.txt"))
	if len(bird) != 1 || bird[0] != (bgpPeer{Addr: "10.0.12.1", Name: "r1", State: "Established", Prefixes: 1}) {
		t.Fatalf("BIRD's peers: %+v", bird)
	}
	tests := []struct {
		peers    []bgpPeer
		peer     string
		prefixes int
		holds    bool
		found    string
	}{
		{frr, "10.1.2.2", 2, true, "r1's BGP session with 10.1.2.2 (r2) is Established, 2 prefixes received"},
		{frr, "10.1.3.3", 3, false, "r1's BGP session with 10.1.3.3 is Established, but 2 prefixes received, want at least 3"},
		{frr, "10.1.9.9", 0, false, "r1 has no BGP peer 10.1.9.9; its peers: 10.1.2.2 (r2) Established, 10.1.3.3 (r3) Established"},
		{bird, "10.0.12.1", 1, true, "r1's BGP session with 10.0.12.1 (r1) is Established, 1 prefix received"},
		{[]bgpPeer{{Addr: "10.1.2.2", State: "Active"}}, "10.1.2.2", 0, false, "r1's BGP session with 10.1.2.2 is Active, not Established"},
	}
	for _, tt := range tests {
		o := bgpOutcome("r1", &topology.BGPCheck{Peer: tt.peer, Addrs: addrs(tt.peer), Prefixes: tt.prefixes}, tt.peers)
		if o.holds != tt.holds || o.found != tt.found {
			t.Errorf("peer %s: holds %v %q\n want %v %q", tt.peer, o.holds, o.found, tt.holds, tt.found)
		}
	}
}

// fakeLab answers checks from functions, counting tries.
type fakeLab struct {
	name    string
	top     *topology.Topology
	run     func(node string, argv []string) (int, []byte, error)
	routes  func(node string) ([]netlab.Route, error)
	running *atomic.Int32 // tries running now, of every lab sharing it
	most    *atomic.Int32 // the most at once
	delay   time.Duration
}

func (f *fakeLab) Name() string                 { return f.name }
func (f *fakeLab) Topology() *topology.Topology { return f.top }
func (f *fakeLab) enter() {
	if f.running == nil {
		f.running, f.most = new(atomic.Int32), new(atomic.Int32)
	}
	n := f.running.Add(1)
	for {
		m := f.most.Load()
		if n <= m || f.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(f.delay)
}
func (f *fakeLab) Run(_ context.Context, node string, argv []string) (int, []byte, error) {
	f.enter()
	defer f.running.Add(-1)
	return f.run(node, argv)
}
func (f *fakeLab) Routes(_ context.Context, node string) ([]netlab.Route, error) {
	f.enter()
	defer f.running.Add(-1)
	return f.routes(node)
}

func dur(d time.Duration) *time.Duration { return &d }

func routeCheck(to string, wait time.Duration, expectFail bool) *topology.Check {
	return &topology.Check{Kind: topology.CheckRoute, Node: "r1", Wait: dur(wait), ExpectFail: expectFail,
		Route: &topology.RouteCheck{To: netip.MustParsePrefix(to)}}
}

// TestWaitReturnsEarly: a check returns the moment it holds, long before
// its window ends; one that never holds takes its whole window and says
// what it found on its last try; expect: fail holds at once on a route
// that is not there; a lab that cannot be asked fails at once.
func TestWaitReturnsEarly(t *testing.T) {
	start := time.Now()
	appears := 300 * time.Millisecond
	lab := &fakeLab{name: "lab", top: &topology.Topology{Name: "lab"}, routes: func(string) ([]netlab.Route, error) {
		if time.Since(start) < appears {
			return nil, nil
		}
		return []netlab.Route{route("10.255.0.3/32", "ospf", 20, "10.0.12.2", "eth1")}, nil
	}}
	lab.top.Checks = []*topology.Check{
		routeCheck("10.255.0.3/32", 30*time.Second, false),
		routeCheck("10.255.0.9/32", 500*time.Millisecond, false),
		routeCheck("10.255.0.9/32", 30*time.Second, true),
	}
	rep := Run(context.Background(), []Suite{{Name: "lab", Lab: lab, Checks: lab.top.Checks}}, Options{})
	took := time.Since(start)
	l := rep.Labs[0]
	if l.Passed != 2 || l.Failed != 1 {
		t.Fatalf("passed %d failed %d: %+v", l.Passed, l.Failed, l.Checks)
	}
	early, never, opposite := l.Checks[0], l.Checks[1], l.Checks[2]
	if !early.Passed || early.Duration < appears || early.Duration > appears+400*time.Millisecond || early.Tries < 2 {
		t.Errorf("a route that appears after %v: passed %v in %v after %d tries", appears, early.Passed, early.Duration, early.Tries)
	}
	if never.Passed || never.Duration < 500*time.Millisecond || never.Duration > 900*time.Millisecond {
		t.Errorf("a route that never comes, wait 500ms: passed %v in %v", never.Passed, never.Duration)
	}
	if !strings.HasPrefix(never.Message, "r1 has no route to 10.255.0.9/32") || !strings.Contains(never.Message, "tries in") {
		t.Errorf("never: message %q", never.Message)
	}
	if !opposite.Passed || opposite.Tries != 1 || !strings.HasPrefix(opposite.Message, "as expected, r1 has no route") {
		t.Errorf("expect: fail of a missing route: passed %v after %d tries: %q", opposite.Passed, opposite.Tries, opposite.Message)
	}
	if took > 2*time.Second {
		t.Errorf("Run took %v; its checks hold within 300ms or end in 500ms", took)
	}

	broken := &fakeLab{name: "broken", top: &topology.Topology{Name: "broken", Checks: []*topology.Check{routeCheck("10.0.0.0/8", 30*time.Second, true)}},
		routes: func(string) ([]netlab.Route, error) { return nil, errors.New("node r1 is not running") }}
	rep = Run(context.Background(), []Suite{{Name: "broken", Lab: broken, Checks: broken.top.Checks}, {Name: "gone", Err: errors.New("lab gone is not up (no such lab)")}}, Options{})
	if c := rep.Labs[0].Checks[0]; c.Passed || c.Tries != 1 || c.Message != "node r1 is not running" {
		t.Errorf("a node that cannot be asked, expect: fail: %+v", c)
	}
	if g := rep.Labs[1]; g.Failed != 1 || g.Checks[0].Kind != "lab" || g.Checks[0].Message != "lab gone is not up (no such lab)" {
		t.Errorf("a lab that is not up: %+v", g)
	}
	if rep.OK() {
		t.Error("report OK with failures")
	}
}

// TestParallelBounded: checks of several labs run at once, never more
// tries than Options.Parallel.
func TestParallelBounded(t *testing.T) {
	var suites []Suite
	var labs []*fakeLab
	var running, most atomic.Int32
	for i := range 4 {
		lab := &fakeLab{name: "lab" + string(rune('a'+i)), top: &topology.Topology{}, delay: 50 * time.Millisecond, running: &running, most: &most,
			run: func(string, []string) (int, []byte, error) { return 0, []byte("1\n"), nil }}
		for range 5 {
			lab.top.Checks = append(lab.top.Checks, &topology.Check{Kind: topology.CheckExec, Node: "r1", Exec: &topology.ExecCheck{Cmd: "echo 1", Output: "^1$"}})
		}
		labs = append(labs, lab)
		suites = append(suites, Suite{Name: lab.name, Lab: lab, Checks: lab.top.Checks})
	}
	var mu sync.Mutex
	var order []string
	start := time.Now()
	rep := Run(context.Background(), suites, Options{Parallel: 3, LabDone: func(l LabResult) {
		mu.Lock()
		order = append(order, l.Name)
		mu.Unlock()
	}})
	took := time.Since(start)
	if p, f := rep.Counts(); p != 20 || f != 0 {
		t.Fatalf("passed %d failed %d", p, f)
	}
	if m := most.Load(); m != 3 {
		t.Errorf("at most %d tries at once, want 3", m)
	}
	// 20 tries of 50ms, 3 at once: 7 rounds, 350ms; one at a time 1s.
	if took < 300*time.Millisecond || took > 800*time.Millisecond {
		t.Errorf("20 checks of 50ms, 3 at once, took %v", took)
	}
	if len(order) != 4 {
		t.Errorf("LabDone called for %v", order)
	}
	if names := uniqueTitles(labs[0].top.Checks); names[0] != "exec r1: echo 1" || names[1] != "exec r1: echo 1 (2)" {
		t.Errorf("titles of five like checks: %q", names)
	}
}

func sampleReport() *Report {
	return &Report{Labs: []LabResult{
		{Name: "s01", Passed: 1, Failed: 1, Duration: 1500 * time.Millisecond, Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Checks: []Result{
			{Name: "ping h1 to h2", Kind: "ping", Node: "h1", Passed: true, Message: "h2 (10.0.0.2) replies", Duration: 3 * time.Millisecond, DurationMS: 3, Tries: 1, Line: 20},
			{Name: "route r1 to 10.255.0.3/32", Kind: "route", Node: "r1", Message: "r1 has no route to 10.255.0.3/32 <&\">\nsecond line", Duration: 1500 * time.Millisecond, DurationMS: 1500, Tries: 9, Line: 21},
		}},
		{Name: "s02", Failed: 1, Checks: []Result{{Name: "lab is up", Kind: "lab", Message: "lab s02 is not up (no such lab)", Tries: 1}}},
	}}
}

// TestJSON: the report's JSON, as netlab check --json prints it, has
// the fields the issue names.
func TestJSON(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Labs []struct {
			Name           string
			Passed, Failed int
			Checks         []map[string]any
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Labs) != 2 || doc.Labs[0].Name != "s01" || doc.Labs[0].Passed != 1 || doc.Labs[0].Failed != 1 || doc.Labs[1].Failed != 1 {
		t.Fatalf("labs: %+v", doc.Labs)
	}
	c := doc.Labs[0].Checks[1]
	for key, want := range map[string]any{"name": "route r1 to 10.255.0.3/32", "kind": "route", "node": "r1", "passed": false,
		"message": "r1 has no route to 10.255.0.3/32 <&\">\nsecond line", "duration_ms": 1500.0} {
		if c[key] != want {
			t.Errorf("check %s = %v, want %v", key, c[key], want)
		}
	}
	var empty bytes.Buffer
	(&Report{}).WriteJSON(&empty)
	if strings.TrimSpace(empty.String()) != "{\n  \"labs\": []\n}" {
		t.Errorf("an empty report: %s", empty.String())
	}
}

// TestJUnit: the JUnit XML reads back with an XML parser as a testsuite
// per lab, a testcase per check, failures where checks failed.
func TestJUnit(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Time     string `xml:"time,attr"`
			Cases    []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				Time      string `xml:"time,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, b.String())
	}
	if doc.Tests != 3 || doc.Failures != 2 || len(doc.Suites) != 2 {
		t.Fatalf("testsuites: tests %d failures %d suites %d", doc.Tests, doc.Failures, len(doc.Suites))
	}
	s := doc.Suites[0]
	if s.Name != "s01" || s.Tests != 2 || s.Failures != 1 || s.Time != "1.500" {
		t.Errorf("suite s01: %+v", s)
	}
	if c := s.Cases[0]; c.Name != "ping h1 to h2" || c.Classname != "s01" || c.Failure != nil || c.Time != "0.003" {
		t.Errorf("passed case: %+v", c)
	}
	f := s.Cases[1].Failure
	if f == nil || f.Message != "r1 has no route to 10.255.0.3/32 <&\">" || f.Type != "route" || f.Text != "r1 has no route to 10.255.0.3/32 <&\">\nsecond line" {
		t.Errorf("failed case: %+v", f)
	}
	if c := doc.Suites[1].Cases[0]; c.Classname != "s02" || c.Failure == nil || c.Failure.Message != "lab s02 is not up (no such lab)" {
		t.Errorf("a lab not up: %+v", c)
	}
}

func TestPingAll(t *testing.T) {
	top, err := topology.Load("../labs/lan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checks := PingAll(top, nil)
	// 5 nodes that are not bridges; gw has 4 addresses, each host 2: gw
	// pings 4 hosts' 2, each host gw's 4 and 3 other hosts' 2.
	if want := 4*2 + 4*(4+3*2); len(checks) != want || PingAllCount(top, nil) != want {
		t.Errorf("%d checks, counted %d, want %d", len(checks), PingAllCount(top, nil), want)
	}
	// From h1 only: gw's 4 and 3 other hosts' 2.
	if from := PingAll(top, []string{"h1"}); len(from) != 4+3*2 || PingAllCount(top, []string{"h1"}) != 4+3*2 || from[0].Node != "h1" {
		t.Errorf("from h1: %d checks, counted %d, want %d from h1", len(from), PingAllCount(top, []string{"h1"}), 4+3*2)
	}
	if c := checks[0]; c.Node != "gw" || c.Ping.Addr != netip.MustParseAddr("10.1.0.11") || c.Title() != "ping-all gw to h1-eth1 (10.1.0.11)" {
		t.Errorf("first: %+v %q", c, c.Title())
	}
	if err := topology.Validate(&topology.Topology{Name: top.Name, Nodes: top.Nodes, Links: top.Links, Checks: checks}); err != nil {
		t.Errorf("ping-all checks are not valid: %v", err)
	}
}
