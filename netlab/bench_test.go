package netlab

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/netlab-dev/netlab/topology"
)

// chain builds a resolved n-node chain without the parser, for the
// benchmarks of what Up computes from a topology.
func chain(n int) *topology.Topology {
	t := &topology.Topology{Name: "chain"}
	for i := 1; i <= n; i++ {
		node := &topology.Node{Name: fmt.Sprintf("r%d", i), Kind: topology.KindRouter}
		if i > 1 {
			node.Interfaces = append(node.Interfaces, &topology.Interface{Name: "eth1",
				Addrs: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 64, byte(i >> 6), byte(i<<2 | 2)}), 30)}})
		}
		if i < n {
			node.Interfaces = append(node.Interfaces, &topology.Interface{Name: "eth2",
				Addrs: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 65, byte(i >> 6), byte(i<<2 | 1)}), 30)}})
		}
		t.Nodes = append(t.Nodes, node)
	}
	for i := 1; i < n; i++ {
		t.Links = append(t.Links, &topology.Link{Endpoints: [2]topology.Endpoint{
			{Node: fmt.Sprintf("r%d", i), Interface: "eth2"}, {Node: fmt.Sprintf("r%d", i+1), Interface: "eth1"}}})
	}
	return t
}

// BenchmarkPlan1000 is what Up computes for a 1000-node lab before it
// touches the kernel: checks, the hosts file, interface numbering, MACs.
func BenchmarkPlan1000(b *testing.B) {
	t := chain(1000)
	for b.Loop() {
		if err := ThisMachine().Check(t); err != nil {
			b.Fatal(err)
		}
		_ = hostsFile(t)
		_ = ifindexes(t)
		for _, l := range t.Links {
			for _, e := range l.Endpoints {
				_ = macAddress(t.Name, e.Node, e.Interface)
			}
		}
	}
}
