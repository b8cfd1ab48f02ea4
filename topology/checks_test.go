package topology

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestChecksModel: what each check of testdata/valid/checks.yaml becomes,
// its generated title, and that a lab's state (JSON) keeps it whole.
func TestChecksModel(t *testing.T) {
	top, err := Load("testdata/valid/checks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	titles := []string{
		"ping h1 to r2",
		"ping h1 to r2-eth1 from 10.0.1.10",
		"ping h1 to 192.0.2.99 (expect fail)",
		"ping r1 to 2001:db8:12::2 from eth2",
		"route r1 to 10.255.0.2/32 via 10.0.12.2",
		"route h1 to 0.0.0.0/0 dev eth1",
		"route r1 to 10.255.0.2",
		"route r1 to ::/0 via 2001:db8:12::2 (expect fail)",
		"exec r1: sysctl -n net.ipv4.ip_forward",
		"exec h1: false",
		"ospf r1 neighbor 10.255.0.2",
		"ospf r2 neighbor r1",
		"r1 peers with r2",
		"bgp r2 peer r1 prefixes 2",
	}
	if len(top.Checks) != len(titles) {
		t.Fatalf("%d checks, want %d", len(top.Checks), len(titles))
	}
	for i, c := range top.Checks {
		if got := c.Title(); got != titles[i] {
			t.Errorf("check %d: title %q, want %q", i+1, got, titles[i])
		}
	}
	if c := top.Checks[6].Route; !c.Lookup || c.To != netip.MustParsePrefix("10.255.0.2/32") {
		t.Errorf("route to an address: %+v", c)
	}
	if w := top.Checks[12].Wait; w == nil || *w != 30*time.Second {
		t.Errorf("wait beside the kind: %v", w)
	}
	if w := top.Checks[13].Wait; w == nil || *w != 90*time.Second {
		t.Errorf("wait inside the kind: %v", w)
	}
	if top.Checks[0].Wait != nil {
		t.Errorf("a check without wait: has %v", *top.Checks[0].Wait)
	}
	if got := top.Checks[11].OSPF.Addrs; len(got) != 4 || got[0] != netip.MustParseAddr("10.255.0.1") {
		t.Errorf("a neighbour named by its node stands for %v, want r1's four addresses", got)
	}
	b, err := json.Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	var back Topology
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, c := range top.Checks {
		c.At, c.index = nil, 0 // where the file wrote it is no part of a lab's state
	}
	if !reflect.DeepEqual(back.Checks, top.Checks) {
		t.Errorf("checks changed through JSON:\n%s", b)
	}
	if err := Validate(&back); err != nil {
		t.Errorf("Validate of a loaded topology: %v", err)
	}
}

// TestValidateChecksBuiltInGo: a check built in Go that the runner could
// not run is refused.
func TestValidateChecksBuiltInGo(t *testing.T) {
	neg := -time.Second
	top := &Topology{Name: "lab", Nodes: []*Node{{Name: "a", Kind: KindHost}}, Checks: []*Check{
		{Kind: CheckPing, Node: "a", Ping: &PingCheck{Addr: netip.MustParseAddr("10.0.0.1"), Count: 1}},
		{Kind: CheckPing, Node: "ghost", Ping: &PingCheck{Count: 0}},
		{Kind: CheckExec, Node: "a", Route: &RouteCheck{}},
		{Kind: CheckExec, Node: "a", Exec: &ExecCheck{Cmd: "true", Output: "(x"}, Wait: &neg},
	}}
	err := Validate(top)
	if err == nil {
		t.Fatal("Validate accepted bad checks")
	}
	for _, want := range []string{`ping check 2 names unknown node "ghost"`, "ping check 2 needs an address", "count 0 of ping check 2 is out of range",
		"check 3 has kind", "output of exec check 4", "wait -1s of exec check 4 is negative"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "check 1 ") {
		t.Errorf("a good check refused:\n%v", err)
	}
}

func TestParseWait(t *testing.T) {
	for s, want := range map[string]time.Duration{"0": 0, "0s": 0, "500ms": 500 * time.Millisecond, "1m30s": 90 * time.Second, "1h": time.Hour} {
		if got, why := parseWait(s); why != "" || got != want {
			t.Errorf("parseWait(%q) = %v, %q; want %v", s, got, why, want)
		}
	}
	for _, s := range []string{"30", "-1s", "2h", "soon", ""} {
		if _, why := parseWait(s); why == "" {
			t.Errorf("parseWait(%q) accepted it", s)
		}
	}
}
