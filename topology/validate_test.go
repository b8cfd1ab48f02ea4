package topology

import (
	"net/netip"
	"strings"
	"testing"
)

// TestValidateBuiltInGo: what netlab turns into root-written paths is
// checked even when a Topology did not come from Load.
func TestValidateBuiltInGo(t *testing.T) {
	good := &Topology{Name: "lab", Nodes: []*Node{
		{Name: "a", Kind: KindRouter, Interfaces: []*Interface{{Name: "eth1"}}},
		{Name: "b", Kind: KindHost, Interfaces: []*Interface{{Name: "eth1"}}},
	}, Links: []*Link{{Endpoints: [2]Endpoint{{"a", "eth1"}, {"b", "eth1"}}}}}
	if err := Validate(good); err != nil {
		t.Fatalf("valid topology: %v", err)
	}
	bad := &Topology{Name: "../lab", Nodes: []*Node{
		{Name: "../../tmp/x", Kind: "vm", Interfaces: []*Interface{{Name: "eth1/x"}},
			Sysctls: []KeyValue{{Key: "net/../../../etc/shadow", Value: "x"}, {Key: "kernel.panic", Value: "1"}},
			Files:   []KeyValue{{Key: "etc/x", Value: "y"}}},
	}, Links: []*Link{{Endpoints: [2]Endpoint{{"ghost", "eth1"}, {"../../tmp/x", "eth1/x"}}}}}
	err := Validate(bad)
	if err == nil {
		t.Fatal("Validate accepted a topology with path names")
	}
	for _, want := range []string{`bad lab name "../lab"`, `bad node name "../../tmp/x"`, `unknown kind "vm"`,
		`bad interface name "eth1/x"`, `sysctl "net/../../../etc/shadow"`, `sysctl "kernel.panic"`, `file path "etc/x"`, `link end ghost:eth1 names unknown node "ghost"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate's errors lack %q:\n%v", want, err)
		}
	}
}

// TestValidateHostileNames: a Topology built in Go with names that would
// drive a terminal, addresses the kernel refuses and read-only sysctls
// gets the errors a file would, and no message echoes a raw control byte.
func TestValidateHostileNames(t *testing.T) {
	top := &Topology{Name: "lab", Nodes: []*Node{
		{Name: "a\x1b[2J", Kind: KindHost, Interfaces: []*Interface{
			{Name: "eth1", Addrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/8")}},
			{Name: "e\x1b]0;x\a", Addrs: []netip.Prefix{netip.MustParsePrefix("::1/128")}},
			{Name: "eth\xff"},
		},
			Sysctls: []KeyValue{{Key: "net.ipv4.tcp_available_congestion_control", Value: "reno"}, {Key: "net.\x1b[31m", Value: "1"}},
			Files:   []KeyValue{{Key: "/etc/\x00x", Value: "y"}, {Key: "/etc/\xffx", Value: "y"}, {Key: "/etc/\u0085", Value: "y"}}},
		{Name: "b", Kind: KindHost, Interfaces: []*Interface{{Name: "eth1"}}},
	}, Links: []*Link{{Endpoints: [2]Endpoint{{"a\x1b[2J", "eth1"}, {"g\x1bhost", "eth1"}}}}}
	err := Validate(top)
	if err == nil {
		t.Fatal("Validate accepted it")
	}
	msg := err.Error()
	for _, want := range []string{
		`bad node name "a\x1b[2J"`,
		`address 127.0.0.2/8 of node "a\x1b[2J" eth1 is a loopback address: every node's lo already has 127.0.0.1/8 and ::1; use another address such as 10.255.0.1/32`,
		`address ::1/128 of node "a\x1b[2J" "e\x1b]0;x\a" is a loopback address`,
		`bad interface name "e\x1b]0;x\a" of node "a\x1b[2J": it contains the control character '\x1b'`,
		`bad interface name "eth\xff" of node "a\x1b[2J": it is not valid UTF-8`,
		`sysctl "net.ipv4.tcp_available_congestion_control" of node "a\x1b[2J" is a read-only sysctl; it cannot be set`,
		`sysctl "net.\x1b[31m" of node "a\x1b[2J" is malformed`,
		`file path "/etc/\x00x" of node "a\x1b[2J" cannot be created: it contains the control character '\x00'`,
		`file path "/etc/\xffx" of node "a\x1b[2J" cannot be created: it is not valid UTF-8`,
		`file path "/etc/\u0085" of node "a\x1b[2J" cannot be created: it contains the control character '\u0085'`,
		`link end "g\x1bhost:eth1" names unknown node "g\x1bhost"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("Validate's errors lack %s", want)
		}
	}
	if !printable(strings.ReplaceAll(msg, "\n", " ")) {
		t.Errorf("Validate's errors hold characters that do not print:\n%q", msg)
	}
	if t.Failed() {
		t.Logf("errors:\n%s", msg)
	}
}

// TestValidateRulesOfAFile: a Topology built in Go is judged by the rules
// a file is, with the same words: gateways on connected subnets, what
// bridges and each kind take, duplicate addresses, interfaces on no link,
// checks against the nodes, wait-for.
func TestValidateRulesOfAFile(t *testing.T) {
	pfx := netip.MustParsePrefix
	top := &Topology{Name: "lab", Nodes: []*Node{
		{Name: "r1", Kind: KindRouter, Daemons: []string{"ospfd"}, Config: "router ospf\n",
			Interfaces: []*Interface{{Name: "eth1", Addrs: []netip.Prefix{pfx("10.0.0.1/24")}}, {Name: "eth9"}},
			Routes:     []Route{{To: pfx("10.9.0.0/16"), Via: netip.MustParseAddr("10.1.0.1")}}, WaitFor: []string{"sw"}},
		{Name: "sw", Kind: KindBridge, Interfaces: []*Interface{{Name: "p1", Addrs: []netip.Prefix{pfx("10.0.0.1/24")}}},
			WaitFor: []string{"r1"}},
	}, Links: []*Link{{Endpoints: [2]Endpoint{{"r1", "eth1"}, {"sw", "p1"}}}},
		Checks: []*Check{{Kind: CheckOSPF, Node: "r1", OSPF: &OSPFCheck{Neighbor: "sw", Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.9")}}}}}
	err := Validate(top)
	if err == nil {
		t.Fatal("Validate accepted it")
	}
	for _, want := range []string{
		"daemons on node r1 of kind router; daemons are for kind frr",
		"config on node r1 of kind router; config is for kind frr or bird",
		"gateway 10.1.0.1 of r1's route to 10.9.0.0/16 is on no connected subnet of r1 (10.0.0.0/24)",
		"address 10.0.0.1/24 on bridge sw; a bridge's ports carry no addresses",
		"interface eth9 of r1 is on no link",
		"ospf check 1 runs on r1, a node of kind router, which runs no OSPF daemon",
		"wait-for goes round in a cycle (r1 waits for sw waits for r1)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate's errors lack %q:\n%v", want, err)
		}
	}
}
