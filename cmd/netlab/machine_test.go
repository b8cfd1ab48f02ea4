package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netlab-dev/netlab/check"
	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/test/golden"
	"github.com/netlab-dev/netlab/topology"
)

// fakeMachine stands in for a machine where labs are up, as status reports
// them, each brought up at up[name] (none: its state does not say); the
// time is testNow. A lab with an Owner is that user's (USER:LAB), the
// others the caller's. It returns the labs that down took down, in order:
// LAB, or USER:LAB with the arguments netlab ran as USER.
func fakeMachine(t *testing.T, labs []netlab.LabStatus, up map[string]time.Time) *[]string {
	t.Helper()
	saved := []any{listLabs, findLab, allLabs, downLab, runAsOwner, labBusy, downAll, statusOf, labNodes, checkSuites, now}
	t.Cleanup(func() {
		listLabs = saved[0].(func() ([]string, error))
		findLab = saved[1].(func(string) (netlab.LabRef, error))
		allLabs = saved[2].(func() ([]netlab.LabRef, []error, error))
		downLab = saved[3].(func(context.Context, string) error)
		runAsOwner = saved[4].(func(context.Context, netlab.LabRef, []string, io.Writer, io.Writer) (int, error))
		labBusy = saved[5].(func(string) bool)
		downAll = saved[6].(func(context.Context) error)
		statusOf = saved[7].(func(bool, ...netlab.LabRef) ([]netlab.LabStatus, error))
		labNodes = saved[8].(func(string) ([]string, error))
		checkSuites = saved[9].(func([]netlab.LabRef, func(*topology.Topology) []*topology.Check) []check.Suite)
		now = saved[10].(func() time.Time)
	})
	byRef := map[string]netlab.LabStatus{}
	dirs := map[string]*netlab.Machine{"": thisMachine()}
	var names []string
	var refs []netlab.LabRef
	for i, l := range labs {
		if at, ok := up[l.Name]; ok {
			labs[i].Started = at
			l.Started = at
		}
		if dirs[l.Owner] == nil {
			dirs[l.Owner] = &netlab.Machine{User: l.Owner}
		}
		ref := netlab.LabRef{Machine: dirs[l.Owner], Name: l.Name}
		labs[i].Ref, l.Ref = ref, ref
		byRef[ref.String()] = l
		refs = append(refs, ref)
		if l.Owner == "" {
			names = append(names, l.Name)
		}
	}
	slices.Sort(names)
	var downed []string
	listLabs = func() ([]string, error) { return slices.Clone(names), nil }
	findLab = func(arg string) (netlab.LabRef, error) {
		user, name := cutUser(arg)
		if !topology.ValidName(name) {
			return netlab.LabRef{}, fmt.Errorf("%w: lab %q", netlab.ErrBadName, name)
		}
		if user == "" {
			return netlab.LabRef{Machine: dirs[""], Name: name}, nil
		}
		if l, ok := byRef[arg]; ok {
			return l.Ref, nil
		}
		return netlab.LabRef{}, thisMachine().NotUpError(name, user, nil)
	}
	allLabs = func() ([]netlab.LabRef, []error, error) { return slices.Clone(refs), nil, nil }
	labBusy = func(string) bool { return false }
	downLab = func(_ context.Context, name string) error {
		if !topology.ValidName(name) {
			return fmt.Errorf("%w: lab %q", netlab.ErrBadName, name)
		}
		downed = append(downed, name)
		return nil
	}
	runAsOwner = func(_ context.Context, ref netlab.LabRef, args []string, stdout, _ io.Writer) (int, error) {
		downed = append(downed, ref.String()+" as "+ref.Machine.User+": "+strings.Join(args, " "))
		fmt.Fprintf(stdout, "lab %s is down\x1b[2J\n", ref.Name)
		return 0, nil
	}
	downAll = func(ctx context.Context) error {
		for _, n := range names {
			downLab(ctx, n)
		}
		return nil
	}
	statusOf = func(_ bool, which ...netlab.LabRef) ([]netlab.LabStatus, error) {
		var out []netlab.LabStatus
		for _, r := range which {
			l, ok := byRef[r.String()]
			if !ok {
				return nil, fmt.Errorf("lab %s: %w", r, netlab.ErrNoLab)
			}
			out = append(out, l)
		}
		return out, nil
	}
	labNodes = func(name string) ([]string, error) {
		l, ok := byRef[name]
		if !ok {
			return nil, fmt.Errorf("lab %s: %w", name, netlab.ErrNoLab)
		}
		var out []string
		for _, n := range l.Nodes {
			out = append(out, n.Name)
		}
		return out, nil
	}
	now = func() time.Time { return testNow }
	return &downed
}

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// runCmd runs a netlab command line and returns its exit code, stdout and
// stderr.
func runCmd(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := runIO(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestDown: down takes labs that are up down, saying so (not with -q); a
// lab named that is not up is an error of exit 1 that says which are and
// what it may be a misspelling of, as is no lab up at all; another user's
// lab goes down by netlab run as that user, its words escaped.
func TestDown(t *testing.T) {
	tests := []struct {
		labs           []string
		args           []string
		code           int
		stdout, stderr string
		downed         []string
	}{
		{[]string{"triangle", "lan"}, []string{"down", "triangel"}, 1,
			"", "netlab: no lab triangel is up (running: lan, triangle); did you mean triangle?\n", nil},
		{nil, []string{"down", "triangel"}, 1, "", "netlab: no lab triangel is up (no lab is up)\n", nil},
		// The others named still go down.
		{[]string{"triangle", "lan"}, []string{"down", "triangle", "x", "lan"}, 1,
			"lab triangle is down\nlab lan is down\n", "netlab: no lab x is up (running: lan, triangle)\n", []string{"triangle", "lan"}},
		{[]string{"triangle"}, []string{"down", "triangle"}, 0, "lab triangle is down\n", "", []string{"triangle"}},
		{[]string{"triangle"}, []string{"down", "-q", "triangle"}, 0, "", "", []string{"triangle"}},
		// --all with no lab up says nothing.
		{nil, []string{"down", "--all"}, 0, "", "", nil},
		{[]string{"a", "b"}, []string{"down", "--all"}, 0, "", "", []string{"a", "b"}},
		// No LAB: the only lab, or the error every verb gives.
		{[]string{"triangle"}, []string{"down"}, 0, "lab triangle is down\n", "", []string{"triangle"}},
		{nil, []string{"down"}, 1, "", "netlab: no lab is up; start one with: netlab up FILE\n", nil},
		{[]string{"a", "b"}, []string{"down"}, 2, "", "netlab: down: several labs are up (a, b); name them or use --all\n", nil},
		// A name no lab can have is bad usage, not a lab that is not up.
		{[]string{"triangle"}, []string{"down", "Tri/../x"}, 2, "", "netlab: bad name: lab \"Tri/../x\"\n", nil},
		// Another user's lab: by name only.
		{[]string{"alice:ospf"}, []string{"down", "alice:ospf"}, 0, "lab ospf is down\\x1b[2J\n", "", []string{"alice:ospf as alice: down ospf"}},
		{[]string{"alice:ospf"}, []string{"down", "-q", "alice:ospf"}, 0, "lab ospf is down\\x1b[2J\n", "", []string{"alice:ospf as alice: down ospf -q"}},
		{[]string{"alice:ospf"}, []string{"down", "--all-users"}, 2, "", "netlab: down: other users' labs go down one by one: name each as USER:LAB (see netlab status --all-users)\n", nil},
	}
	for _, tt := range tests {
		var labs []netlab.LabStatus
		for _, n := range tt.labs {
			owner, name := cutUser(n)
			labs = append(labs, netlab.LabStatus{Name: name, Owner: owner, State: "up"})
		}
		downed := fakeMachine(t, labs, nil)
		code, stdout, stderr := runCmd(tt.args...)
		name := strings.Join(tt.args, " ")
		if code != tt.code || stdout != tt.stdout || stderr != tt.stderr {
			t.Errorf("netlab %s with %q up: exit %d, stdout %q, stderr %q; want %d, %q, %q", name, tt.labs, code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
		}
		if !slices.Equal(*downed, tt.downed) {
			t.Errorf("netlab %s with %q up took down %q, want %q", name, tt.labs, *downed, tt.downed)
		}
	}
}

// ringStatus is a running ring of four FRR routers r1-r2-r3-r4-r1: r2's
// eth1 (to r3) is down, r3 is not running, so two links are down.
func ringStatus() netlab.LabStatus {
	lo := func(a string) netlab.InterfaceStatus {
		return netlab.InterfaceStatus{Name: "lo", State: "up", MTU: 65536, Addresses: []string{"127.0.0.1/8", a, "::1/128"}}
	}
	ifc := func(name, state, addr, peer string) netlab.InterfaceStatus {
		return netlab.InterfaceStatus{Name: name, State: state, MTU: 1500, Addresses: []string{addr}, Peer: peer}
	}
	return netlab.LabStatus{
		Name: "ring", File: "labs/ospf.yaml", State: "broken", Supervisor: 100,
		Problem: "node r3 is not running; remove the lab with: netlab down ring",
		Nodes: []netlab.NodeStatus{
			{Name: "r1", Kind: "frr", Pid: 101, Running: true, Interfaces: []netlab.InterfaceStatus{
				lo("10.255.0.1/32"), ifc("eth1", "up", "10.0.12.1/24", "r2:eth2"), ifc("eth2", "up", "10.0.14.1/24", "r4:eth1")}},
			{Name: "r2", Kind: "frr", Pid: 102, Running: true, Interfaces: []netlab.InterfaceStatus{
				lo("10.255.0.2/32"), ifc("eth1", "down", "10.0.23.2/24", "r3:eth2"), ifc("eth2", "up", "10.0.12.2/24", "r1:eth1")}},
			{Name: "r3", Kind: "frr", Pid: 103},
			{Name: "r4", Kind: "frr", Pid: 104, Running: true, Interfaces: []netlab.InterfaceStatus{
				lo("10.255.0.4/32"), ifc("eth1", "up", "10.0.14.4/24", "r1:eth2"),
				{Name: "eth2", State: "up", MTU: 9000, Addresses: []string{}, Peer: "r3:eth1"}}},
		},
	}
}

func TestLiveTopology(t *testing.T) {
	top, up := liveTopology(ringStatus())
	var got []string
	for _, l := range top.Links {
		got = append(got, fmt.Sprintf("%s-%s mtu %d up %v", l.Endpoints[0], l.Endpoints[1], l.MTU, up[l]))
	}
	want := []string{
		"r1:eth1-r2:eth2 mtu 0 up true",
		"r1:eth2-r4:eth1 mtu 0 up true",
		"r2:eth1-r3:eth2 mtu 0 up false",
		"r4:eth2-r3:eth1 mtu 9000 up false",
	}
	if !slices.Equal(got, want) {
		t.Errorf("links:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	r3 := top.Node("r3")
	if r3 == nil || r3.Interface("eth1") == nil || r3.Interface("eth2") == nil {
		t.Errorf("r3, not running, lacks the ends its peers name: %+v", r3)
	}
	if lo := top.Node("r1").Interface("lo"); lo == nil || len(lo.Addrs) != 1 || lo.Addrs[0].String() != "10.255.0.1/32" {
		t.Errorf("r1's lo = %+v, want 10.255.0.1/32 alone", lo)
	}
}

// TestGraphLab: graph LAB draws the running lab, its links that are down
// dashed (dot), dotted (Mermaid), "state": "down" (JSON).
func TestGraphLab(t *testing.T) {
	t.Chdir(t.TempDir())
	fakeMachine(t, []netlab.LabStatus{ringStatus()}, nil)
	for _, f := range []struct{ format, golden string }{{"dot", "graph_lab.dot"}, {"mermaid", "graph_lab.mmd"}, {"json", "graph_lab.json"}} {
		code, stdout, stderr := runCmd("graph", "--format", f.format, "ring")
		if code != 0 || stderr != "" {
			t.Fatalf("graph --format %s ring: exit %d, stderr %q", f.format, code, stderr)
		}
		golden.Check(t, filepath.Join(testdataDir, f.golden), []byte(stdout))
	}
	_, dot, _ := runCmd("graph", "ring")
	if n := strings.Count(dot, "style=dashed"); n != 2 {
		t.Errorf("%d dashed links in the dot graph, want 2", n)
	}
	// Neither a file nor a lab that is up.
	code, stdout, stderr := runCmd("graph", "ringo")
	if code != 2 || stdout != "" || stderr != "netlab: graph: ringo is no file, nor a lab that is up\n" {
		t.Errorf("graph ringo: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// testdataDir is where the tests of package main keep golden files; Chdir
// in a test does not move it.
var testdataDir = func() string {
	d, err := filepath.Abs("testdata")
	if err != nil {
		panic(err)
	}
	return d
}()

func TestStatusBrief(t *testing.T) {
	labs := append(statusLabs(), ringStatus())
	fakeMachine(t, labs, map[string]time.Time{
		"triangle": testNow.Add(-42 * time.Second),
		"lan":      testNow.Add(-(3*time.Hour + 7*time.Minute + 5*time.Second)),
		"ring":     testNow.Add(-(50*time.Hour + 10*time.Minute)),
	})
	code, stdout, stderr := runCmd("status", "--brief")
	if code != 0 || stderr != "" {
		t.Fatalf("status --brief: exit %d, stderr %q", code, stderr)
	}
	golden.Check(t, filepath.Join(testdataDir, "status_brief.golden"), []byte(stdout))
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 1+len(labs) {
		t.Errorf("%d lines, want a header and one per lab:\n%s", len(lines), stdout)
	}
	if got := strings.Fields(lines[0]); !slices.Equal(got, []string{"NAME", "NODES", "LINKS", "STATE", "AGE"}) {
		t.Errorf("header %q", lines[0])
	}
	if !slices.ContainsFunc(lines, func(l string) bool {
		return slices.Equal(strings.Fields(l), []string{"ring", "4", "4", "broken", "2d2h"})
	}) {
		t.Errorf("no line for ring, 2 days old:\n%s", stdout)
	}
	// --brief --json is the JSON of status.
	_, brief, _ := runCmd("status", "--brief", "--json")
	_, full, _ := runCmd("status", "--json")
	if brief != full || !strings.HasPrefix(full, "{\n  \"labs\": [") {
		t.Errorf("status --brief --json:\n%s\nwant status --json:\n%s", brief, full)
	}
	// --all-users adds each lab's owner, first.
	_, stdout, _ = runCmd("status", "--brief", "--all-users")
	if got := strings.Fields(strings.SplitN(stdout, "\n", 2)[0]); !slices.Equal(got, []string{"OWNER", "NAME", "NODES", "LINKS", "STATE", "AGE"}) {
		t.Errorf("status --brief --all-users header %q", got)
	}
	// No lab: the error of every verb that needs one.
	fakeMachine(t, nil, nil)
	if code, stdout, stderr := runCmd("status", "--brief"); code != 1 || stdout != "" || stderr != "netlab: no lab is up; start one with: netlab up FILE\n" {
		t.Errorf("status --brief with no lab: exit %d, %q, %q", code, stdout, stderr)
	}
	if code, stdout, _ := runCmd("status", "--json"); code != 1 || stdout != "{\n  \"labs\": []\n}\n" {
		t.Errorf("status --json with no lab: exit %d, %q", code, stdout)
	}
}

func TestBriefSafe(t *testing.T) {
	var b bytes.Buffer
	writeBriefTable(&b, []netlab.LabStatus{{Name: "x\x1b[2J", Owner: "u\x1b[2J", State: "up\x9b"}}, true, testNow)
	checkSafe(t, "brief table", b.String(), "\n")
}

func TestShortAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second:                    "0s",
		0:                               "0s",
		59 * time.Second:                "59s",
		61 * time.Second:                "1m1s",
		9*time.Minute + 59*time.Second:  "9m59s",
		10 * time.Minute:                "10m",
		59*time.Minute + 59*time.Second: "59m",
		time.Hour:                       "1h0m",
		23*time.Hour + 59*time.Minute:   "23h59m",
		24 * time.Hour:                  "1d0h",
		(30*24 + 5) * time.Hour:         "30d5h",
	} {
		if got := shortAge(d); got != want {
			t.Errorf("shortAge(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestPingAllBound: a ping-all of more pings than check.MaxPingAll is
// refused as bad usage, naming the count and the way out (--from), before
// any ping; from one node the same lab is pinged.
func TestPingAllBound(t *testing.T) {
	fakeMachine(t, []netlab.LabStatus{{Name: "big", State: "up"}}, nil)
	// 400 hosts of one address each: 400*399 pings.
	big := &topology.Topology{Name: "big"}
	for i := range 400 {
		big.Nodes = append(big.Nodes, &topology.Node{Name: fmt.Sprintf("h%d", i), Kind: topology.KindHost,
			Interfaces: []*topology.Interface{{Name: "eth1", Addrs: []netip.Prefix{netip.MustParsePrefix(fmt.Sprintf("10.1.%d.%d/16", i/250, i%250+1))}}}})
	}
	var made int
	checkSuites = func(refs []netlab.LabRef, only func(*topology.Topology) []*topology.Check) []check.Suite {
		cs := only(big)
		made = len(cs)
		// Not run: a suite of a lab that is not up fails at once.
		return []check.Suite{{Name: "big", Err: errors.New("not run here")}}
	}
	code, stdout, stderr := runCmd("check", "--ping-all", "big")
	if want := "netlab: check --ping-all: lab big takes 159600 pings, more than the 100000 a ping-all may make; ping from some nodes: --ping-all --from NODE,...\n"; code != 2 || stdout != "" || stderr != want || made != 0 {
		t.Errorf("ping-all of 400 nodes: exit %d, %d checks made, stdout %q, stderr %q; want 2 and %q", code, made, stdout, stderr, want)
	}
	if code, _, stderr := runCmd("check", "--ping-all", "--from", "h7", "big"); code != 1 || made != 399 {
		t.Errorf("ping-all from h7: exit %d, %d checks made, stderr %q; want 1 (the fake lab is not up) and 399", code, made, stderr)
	}
}
