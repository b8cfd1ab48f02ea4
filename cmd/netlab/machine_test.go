package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/test/golden"
	"github.com/netlab-dev/netlab/topology"
)

// fakeMachine stands in for a machine where labs are up, as status reports
// them, each brought up at up[name] (none: its state cannot be read); the
// time is testNow. It returns the labs that down took down, in order.
func fakeMachine(t *testing.T, labs []netlab.LabStatus, up map[string]time.Time) *[]string {
	t.Helper()
	saved := []any{listLabs, downLab, downAll, statusOf, labNodes, labSince, now, labBusy}
	t.Cleanup(func() {
		labBusy = saved[7].(func(string) bool)
		listLabs = saved[0].(func() ([]string, error))
		downLab = saved[1].(func(context.Context, string) error)
		downAll = saved[2].(func(context.Context) error)
		statusOf = saved[3].(func(...string) ([]netlab.LabStatus, error))
		labNodes = saved[4].(func(string) ([]string, error))
		labSince = saved[5].(func(string) (time.Time, error))
		now = saved[6].(func() time.Time)
	})
	byName := map[string]netlab.LabStatus{}
	var names []string
	for _, l := range labs {
		byName[l.Name] = l
		names = append(names, l.Name)
	}
	slices.Sort(names)
	var downed []string
	listLabs = func() ([]string, error) { return slices.Clone(names), nil }
	labBusy = func(string) bool { return false }
	downLab = func(_ context.Context, name string) error {
		if !topology.ValidName(name) {
			return fmt.Errorf("%w: lab %q", netlab.ErrBadName, name)
		}
		downed = append(downed, name)
		return nil
	}
	downAll = func(ctx context.Context) error {
		for _, n := range names {
			downLab(ctx, n)
		}
		return nil
	}
	statusOf = func(which ...string) ([]netlab.LabStatus, error) {
		if len(which) == 0 {
			return labs, nil
		}
		var out []netlab.LabStatus
		for _, n := range which {
			l, ok := byName[n]
			if !ok {
				return nil, fmt.Errorf("lab %s: %w", n, netlab.ErrNoLab)
			}
			out = append(out, l)
		}
		return out, nil
	}
	labNodes = func(name string) ([]string, error) {
		l, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("lab %s: %w", name, netlab.ErrNoLab)
		}
		var out []string
		for _, n := range l.Nodes {
			out = append(out, n.Name)
		}
		return out, nil
	}
	labSince = func(name string) (time.Time, error) {
		if at, ok := up[name]; ok {
			return at, nil
		}
		return time.Time{}, fmt.Errorf("lab %s: %w", name, netlab.ErrNoLab)
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

func TestDownNotUp(t *testing.T) {
	tests := []struct {
		labs       []string
		args       []string
		code       int
		stderr     string
		downed     []string
		stdoutNone bool
	}{
		// A lab that is not up: exit 0, one line saying so and what is.
		{[]string{"triangle", "lan"}, []string{"down", "triangel"}, 0,
			"netlab: no lab triangel is up (running: lan, triangle)\n", []string{"triangel"}, true},
		{nil, []string{"down", "triangel"}, 0, "netlab: no lab triangel is up (no lab is up)\n", []string{"triangel"}, true},
		// Labs that are up go down without a word; a line per one that is not.
		{[]string{"triangle", "lan"}, []string{"down", "triangle", "x", "lan"}, 0,
			"netlab: no lab x is up (running: lan, triangle)\n", []string{"triangle", "x", "lan"}, true},
		{[]string{"triangle"}, []string{"down", "triangle"}, 0, "", []string{"triangle"}, true},
		// --all with no lab up says nothing.
		{nil, []string{"down", "--all"}, 0, "", nil, true},
		{[]string{"a", "b"}, []string{"down", "--all"}, 0, "", []string{"a", "b"}, true},
		// No LAB: the only lab, or a word that none is up.
		{[]string{"triangle"}, []string{"down"}, 0, "", []string{"triangle"}, true},
		{nil, []string{"down"}, 0, "no lab is up\n", nil, true},
		// A name no lab can have is bad usage, not a lab that is not up.
		{[]string{"triangle"}, []string{"down", "Tri/../x"}, 2, "netlab: bad name: lab \"Tri/../x\"\n", nil, true},
	}
	for _, tt := range tests {
		var labs []netlab.LabStatus
		for _, n := range tt.labs {
			labs = append(labs, netlab.LabStatus{Name: n, State: "up"})
		}
		downed := fakeMachine(t, labs, nil)
		code, stdout, stderr := runCmd(tt.args...)
		name := strings.Join(tt.args, " ")
		if code != tt.code || stderr != tt.stderr {
			t.Errorf("netlab %s with %q up: exit %d, stderr %q; want %d, %q", name, tt.labs, code, stderr, tt.code, tt.stderr)
		}
		if stdout != "" {
			t.Errorf("netlab %s: stdout %q", name, stdout)
		}
		if !slices.Equal(*downed, tt.downed) {
			t.Errorf("netlab %s with %q up took down %q, want %q", name, tt.labs, *downed, tt.downed)
		}
	}
}

func TestNotUpMessageSafe(t *testing.T) {
	got := notUpMessage("x", []string{"a\x1b]0;t\a"})
	if want := `netlab: no lab x is up (running: a\x1b]0;t\x07)`; got != want {
		t.Errorf("notUpMessage = %q, want %q", got, want)
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
	if got := strings.Fields(lines[len(lines)-1]); !slices.Equal(got, []string{"ring", "4", "4", "broken", "2d2h"}) {
		t.Errorf("ring's line = %q", got)
	}
	// --brief --json is the JSON of status.
	_, brief, _ := runCmd("status", "--brief", "--json")
	_, full, _ := runCmd("status", "--json")
	if brief != full || !strings.HasPrefix(full, "{\n  \"labs\": [") {
		t.Errorf("status --brief --json:\n%s\nwant status --json:\n%s", brief, full)
	}
	// No lab: the same word as status.
	fakeMachine(t, nil, nil)
	if _, stdout, _ := runCmd("status", "--brief"); stdout != "no lab is up\n" {
		t.Errorf("status --brief with no lab: %q", stdout)
	}
}

func TestBriefSafe(t *testing.T) {
	var b bytes.Buffer
	writeBriefTable(&b, []netlab.LabStatus{{Name: "x\x1b[2J", State: "up\x9b"}}, testNow)
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
