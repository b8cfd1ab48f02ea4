package netlab

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/netlab-dev/netlab/test/golden"

	"github.com/netlab-dev/netlab/topology"
)

// parse builds a topology from YAML text, failing the test on any error.
func parse(t *testing.T, yaml string) *topology.Topology {
	t.Helper()
	topo, err := topology.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("parse:\n%s\n%v", yaml, err)
	}
	return topo
}

func TestHostsFileGolden(t *testing.T) {
	for _, lab := range []string{"triangle", "lan", "ipv6"} {
		t.Run(lab, func(t *testing.T) {
			topo, err := topology.Load(filepath.Join("..", "labs", lab+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "hosts", lab+".hosts"), hostsFile(topo))
		})
	}
}

func TestHostsFile(t *testing.T) {
	topo := parse(t, `
name: small
nodes:
  a:
    interfaces:
      lo: [10.255.0.1/32]
      eth1: [10.0.0.1/24, "2001:db8::1/64"]
  b:
    interfaces:
      eth1: [10.0.0.2/24]
  sw: {kind: bridge}
links:
  - [a:eth1, b:eth1]
  - [a:eth2, sw:p1]
`)
	want := "127.0.0.1\tlocalhost\n" +
		"::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"# lab small, written by netlab\n" +
		"10.255.0.1\ta\n" +
		"10.255.0.1\ta-lo\n" +
		"10.0.0.1\ta-eth1\n" +
		"2001:db8::1\ta-eth1\n" +
		"10.0.0.2\tb\n" +
		"10.0.0.2\tb-eth1\n"
	if got := string(hostsFile(topo)); got != want {
		t.Errorf("hostsFile:\n%s\nwant:\n%s", got, want)
	}
}

func TestNodeAddrs(t *testing.T) {
	type ifc struct {
		name  string
		addrs []string
	}
	tests := []struct {
		name   string
		ifaces []ifc
		want   []string
	}{
		{"no interfaces", nil, nil},
		{"interfaces without addresses", []ifc{{"eth1", nil}, {"eth2", nil}}, nil},
		{"one address", []ifc{{"eth1", []string{"10.0.0.1/24"}}}, []string{"10.0.0.1"}},
		{"first of each family",
			[]ifc{{"eth1", []string{"10.0.0.1/24", "10.0.1.1/24"}}, {"eth2", []string{"2001:db8::1/64", "10.0.2.1/24", "2001:db8:1::1/64"}}},
			[]string{"10.0.0.1", "2001:db8::1"}},
		{"IPv6 before IPv4",
			[]ifc{{"eth1", []string{"2001:db8::1/64"}}, {"eth2", []string{"10.0.0.1/24"}}},
			[]string{"2001:db8::1", "10.0.0.1"}},
		{"loopback wins",
			[]ifc{{"eth1", []string{"10.0.0.1/24"}}, {"lo", []string{"10.255.0.1/32"}}},
			[]string{"10.255.0.1"}},
		{"every loopback address",
			[]ifc{{"lo", []string{"10.255.0.1/32", "2001:db8:ff::1/128", "10.255.1.1/32"}}, {"eth1", []string{"10.0.0.1/24"}}},
			[]string{"10.255.0.1", "2001:db8:ff::1", "10.255.1.1"}},
		// A v4-only loopback hides the node's v6 link address: the name
		// resolves over IPv4 only, as documented.
		{"loopback of one family only",
			[]ifc{{"lo", []string{"10.255.0.1/32"}}, {"eth1", []string{"2001:db8::1/64"}}},
			[]string{"10.255.0.1"}},
		{"empty loopback",
			[]ifc{{"lo", nil}, {"eth1", []string{"10.0.0.1/24"}}},
			[]string{"10.0.0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &topology.Node{Name: "n"}
			for _, i := range tt.ifaces {
				x := &topology.Interface{Name: i.name}
				for _, a := range i.addrs {
					x.Addrs = append(x.Addrs, netip.MustParsePrefix(a))
				}
				n.Interfaces = append(n.Interfaces, x)
			}
			var got []string
			for _, a := range n.NameAddrs() {
				got = append(got, a.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("NameAddrs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMACAddress(t *testing.T) {
	inputs := [][3]string{
		{"triangle", "r1", "eth1"},
		{"triangle", "r1", "eth2"},
		{"triangle", "r2", "eth1"},
		{"lan", "r1", "eth1"},
		// The separator keeps shifted boundaries apart.
		{"ab", "c", "eth1"},
		{"a", "bc", "eth1"},
		{"a", "b", "ceth1"},
		{"", "", ""},
	}
	seen := map[string][3]string{}
	for _, in := range inputs {
		mac := macAddress(in[0], in[1], in[2])
		if len(mac) != 6 {
			t.Fatalf("macAddress%q = %v: %d bytes, want 6", in, mac, len(mac))
		}
		if mac[0]&0x01 != 0 {
			t.Errorf("macAddress%q = %v: multicast bit set", in, mac)
		}
		if mac[0]&0x02 == 0 {
			t.Errorf("macAddress%q = %v: not locally administered", in, mac)
		}
		if again := macAddress(in[0], in[1], in[2]); again.String() != mac.String() {
			t.Errorf("macAddress%q not stable: %v then %v", in, mac, again)
		}
		if prev, ok := seen[mac.String()]; ok {
			t.Errorf("macAddress%q = macAddress%q = %v", in, prev, mac)
		}
		seen[mac.String()] = in
	}
	// Pinned: a change of derivation changes every lab's MACs, which
	// captures and neighbour tables kept across runs would notice.
	if got, want := macAddress("triangle", "r1", "eth1").String(), pinnedMAC; got != want {
		t.Errorf("macAddress(triangle, r1, eth1) = %s, want %s", got, want)
	}
}

func TestEarlySysctls(t *testing.T) {
	noDAD := []string{"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"}
	forward := append(slices.Clone(noDAD), "net.ipv4.ip_forward=1",
		"net.ipv6.conf.all.forwarding=1", "net.ipv6.conf.default.forwarding=1")
	tests := []struct {
		kind topology.Kind
		want []string
	}{
		{topology.KindHost, noDAD},
		{topology.KindBridge, noDAD},
		{topology.KindRouter, forward},
		{topology.KindFRR, forward},
		{topology.KindBIRD, forward},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			got := earlySysctls(tt.kind)
			if !slices.Equal(got, tt.want) {
				t.Errorf("earlySysctls(%s) = %q, want %q", tt.kind, got, tt.want)
			}
			for _, s := range got {
				k, v, ok := strings.Cut(s, "=")
				if !ok || k == "" || v == "" || strings.ContainsAny(k, "/ ") {
					t.Errorf("earlySysctls(%s): %q is not KEY=VALUE", tt.kind, s)
				}
			}
		})
	}
	if len(topology.Kinds) != len(tests) {
		t.Errorf("test covers %d kinds, topology has %d", len(tests), len(topology.Kinds))
	}
}

const pinnedMAC = "ee:30:f5:cf:68:46"

// TestInterfaceRange: a node takes as many interfaces as ifindexes can
// number apart, and no more.
func TestInterfaceRange(t *testing.T) {
	hub := &topology.Node{Name: "hub", Kind: topology.KindRouter, Pos: topology.Pos{Line: 3, Col: 3}}
	top := &topology.Topology{Name: "lab", File: "lab.yaml", Nodes: []*topology.Node{hub}}
	for i := range maxNodeInterfaces {
		hub.Interfaces = append(hub.Interfaces, &topology.Interface{Name: fmt.Sprintf("e%d", i)})
	}
	if err := interfaceRangeProblems(top); err != nil {
		t.Errorf("%d interfaces: %v", maxNodeInterfaces, err)
	}
	hub.Interfaces = append(hub.Interfaces, &topology.Interface{Name: "one-more"})
	if err := interfaceRangeProblems(top); err == nil || !strings.HasPrefix(err.Error(), "lab.yaml:3:3: node hub has 10001 interfaces;") {
		t.Errorf("%d interfaces: %v", maxNodeInterfaces+1, err)
	}
}
