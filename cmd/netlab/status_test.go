package main

import (
	"bytes"
	"encoding/json"
	"github.com/netlab-dev/netlab/test/golden"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/nsproc"
)

// statusLabs is two labs: one up with nodes of several shapes, one broken.
func statusLabs() []netlab.LabStatus {
	return []netlab.LabStatus{
		{
			Name: "triangle", File: "labs/triangle.yaml", State: "up", Supervisor: 4100,
			Nodes: []netlab.NodeStatus{
				{Name: "r1", Kind: "router", Pid: 4101, Running: true, NetNS: "triangle-r1",
					Interfaces: []netlab.InterfaceStatus{
						{Name: "lo", State: "up", MTU: 65536, Addresses: []string{"127.0.0.1/8", "10.255.0.1/32", "::1/128"}},
						{Name: "eth1", State: "up", MTU: 1500, MAC: "ee:30:f5:cf:68:46", Addresses: []string{"10.0.12.1/24", "2001:db8:12::1/64"}, Peer: "r2:eth1", Impairment: "rate 10mbit loss 1%"},
						{Name: "eth2", State: "no-carrier", MTU: 9000, MAC: "12:34:56:78:9a:bc", Addresses: []string{}, Peer: "r3:eth1"},
					}},
				{Name: "r2", Kind: "router", Pid: 4102, Running: true, NetNS: "triangle-r2",
					Interfaces: []netlab.InterfaceStatus{
						{Name: "eth1", State: "down", MTU: 1500, Addresses: []string{}, Peer: "r1:eth1"},
					}},
				{Name: "sw", Kind: "bridge", Pid: 4103, Running: true, NetNS: "triangle-sw"}, // no interfaces
			},
		},
		{
			Name: "lan", File: "/home/u/lan.yaml", State: "broken", Supervisor: 5100,
			Problem: "node h2 is not running; remove the lab with: netlab down lan",
			Nodes: []netlab.NodeStatus{
				{Name: "h1", Kind: "host", Pid: 5101, Running: true, NetNS: "lan-h1",
					Interfaces: []netlab.InterfaceStatus{
						{Name: "eth1", State: "up", MTU: 1500, Addresses: []string{"10.1.0.11/24"}, Peer: "sw1:p1"},
					},
					Services: []nsproc.Service{{Name: "web", Pid: 9, Running: true}, {Name: "dns", Pid: 12, Exit: 1}}},
				{Name: "h2", Kind: "host", Pid: 5102, NetNS: "lan-h2"}, // not running
			},
		},
		{Name: "gone", State: "broken", Problem: "read state of lab gone: corrupt; remove it with: netlab down gone"},
	}
}

func TestStatusTable(t *testing.T) {
	var b bytes.Buffer
	writeStatusTable(&b, statusLabs(), false)
	golden.Check(t, filepath.Join("testdata", "status.golden"), b.Bytes())

	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if !strings.HasPrefix(lines[0], "LAB ") {
		t.Errorf("first line is not the header: %q", lines[0])
	}
	for i, l := range lines {
		if strings.Contains(l, "\t") {
			t.Errorf("line %d holds a tab: %q", i+1, l)
		}
	}
	// One row per interface (a node with none still gets one), one per
	// lab without nodes, one per problem, and the header; then a blank
	// line, a header and a row per service.
	if want := 1 + (3 + 1 + 1) + (1 + 1 + 1) + (1 + 1) + (1 + 1 + 2); len(lines) != want {
		t.Errorf("%d lines, want %d", len(lines), want)
	}
	// A node that does not run shows no pid.
	if !slices.ContainsFunc(lines, func(l string) bool { return regexp.MustCompile(`\bh2\s+host\s+-(\s|$)`).MatchString(l) }) {
		t.Error("no row shows h2 without a pid")
	}
}

func TestStatusTableEmpty(t *testing.T) {
	var b bytes.Buffer
	writeStatusTable(&b, nil, false)
	if got := strings.Fields(b.String()); !slices.Equal(got, []string{"LAB", "STATE", "NODE", "KIND", "PID", "IFACE", "LINK", "ADDRESSES", "PEER", "IMPAIRMENT"}) {
		t.Errorf("table of no labs = %q", b.String())
	}
}

// TestStatusJSON pins the shape of `netlab status --json`: every lab with
// its owner, its start time and its absolute file.
func TestStatusJSON(t *testing.T) {
	labs := statusLabs()
	for i := range labs {
		labs[i].Owner = "alice"
	}
	labs[0].Started = testNow.Add(-42 * time.Second)
	fakeMachine(t, labs, nil)
	code, stdout, stderr := runCmd("status", "--all-users", "--json")
	if code != 0 || stderr != "" {
		t.Fatalf("status --all-users --json: exit %d, stderr %q", code, stderr)
	}
	b := bytes.NewBufferString(stdout)
	golden.Check(t, filepath.Join("testdata", "status.json.golden"), b.Bytes())

	// The shape, as a consumer without netlab's types sees it.
	var doc map[string][]map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc) != 1 || len(doc["labs"]) != 3 {
		t.Fatalf("want {\"labs\": [3 labs]}, got %d keys, %d labs", len(doc), len(doc["labs"]))
	}
	keys := func(m map[string]any) []string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		slices.Sort(k)
		return k
	}
	lab := doc["labs"][0]
	if got, want := keys(lab), []string{"file", "name", "nodes", "owner", "started", "state", "supervisor_pid"}; !slices.Equal(got, want) {
		t.Errorf("keys of an up lab = %q, want %q", got, want)
	}
	if lab["owner"] != "alice" || lab["started"] != "2026-03-01T11:59:18Z" {
		t.Errorf("owner and start of a lab: %v, %v", lab["owner"], lab["started"])
	}
	if _, ok := doc["labs"][2]["started"]; ok {
		t.Errorf("a lab whose state says no start time has one: %v", doc["labs"][1])
	}
	if got := doc["labs"][0]["problem"]; got != nil {
		t.Errorf("problem of an up lab = %v", got)
	}
	if got := doc["labs"][1]["problem"]; got != "node h2 is not running; remove the lab with: netlab down lan" {
		t.Errorf("problem of the broken lab = %v", got)
	}
	node := lab["nodes"].([]any)[0].(map[string]any)
	if got, want := keys(node), []string{"interfaces", "kind", "name", "netns", "pid", "running", "services"}; !slices.Equal(got, want) {
		t.Errorf("keys of a node = %q, want %q", got, want)
	}
	iface := node["interfaces"].([]any)[1].(map[string]any)
	if got, want := keys(iface), []string{"addresses", "impairment", "mac", "mtu", "name", "peer", "state"}; !slices.Equal(got, want) {
		t.Errorf("keys of an interface = %q, want %q", got, want)
	}
	// Numbers are numbers and lists are lists.
	if _, ok := iface["mtu"].(float64); !ok {
		t.Errorf("mtu = %#v, want a number", iface["mtu"])
	}
	if _, ok := iface["addresses"].([]any); !ok {
		t.Errorf("addresses = %#v, want a list", iface["addresses"])
	}
	// A node that does not run has neither pid nor running: true.
	h2 := doc["labs"][1]["nodes"].([]any)[1].(map[string]any)
	if h2["running"] != false || h2["pid"] != 5102.0 {
		t.Errorf("h2 = %v", h2)
	}
}
