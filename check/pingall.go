package check

import (
	"fmt"

	"github.com/netlab-dev/netlab/topology"
)

// PingAll is Mininet's pingall for a netlab lab: a ping check from every
// node but bridges (or, when from names some, from those) to every address
// of every other node, one request each, named "ping-all FROM to
// NODE-IFNAME (ADDRESS)". Each check waits the runner's default window.
// There are PingAllCount of them: for a lab of thousands of nodes, more
// than any run can hold (see MaxPingAll).
func PingAll(t *topology.Topology, from []string) []*topology.Check {
	var out []*topology.Check
	eachPing(t, from, func(src, dst *topology.Node, ifc *topology.Interface, i int) {
		name := dst.Name + "-" + ifc.Name
		addr := ifc.Addrs[i].Addr()
		out = append(out, &topology.Check{
			Kind: topology.CheckPing,
			Name: fmt.Sprintf("ping-all %s to %s (%s)", src.Name, name, addr),
			Node: src.Name,
			Ping: &topology.PingCheck{To: name, Addr: addr, Count: 1},
		})
	})
	return out
}

// PingAllCount is how many checks PingAll makes, counted without making
// them (nor walking its pairs: a lab of 10,000 nodes has 10^8): each
// source pings every address but its own.
func PingAllCount(t *topology.Topology, from []string) int {
	addrs := func(n *topology.Node) int {
		k := 0
		for _, ifc := range n.Interfaces {
			k += len(ifc.Addrs)
		}
		return k
	}
	all := 0
	for _, n := range t.Nodes {
		if !n.Kind.Facts().Bridge {
			all += addrs(n)
		}
	}
	count := 0
	for _, src := range pingSources(t, from) {
		if !src.Kind.Facts().Bridge {
			count += all - addrs(src)
		}
	}
	return count
}

// pingSources is the nodes a ping-all pings from: from's, or every node.
func pingSources(t *topology.Topology, from []string) []*topology.Node {
	if len(from) == 0 {
		return t.Nodes
	}
	var sources []*topology.Node
	for _, name := range from {
		if n := t.Node(name); n != nil {
			sources = append(sources, n)
		}
	}
	return sources
}

// MaxPingAll bounds one ping-all: a ping is an exec in a node (~1 ms of a
// CPU), and every result is kept for the report. A lab of n nodes of one
// address each makes n*(n-1): 100,000 is a lab of ~300 nodes, or from one
// node a lab of 100,000.
const MaxPingAll = 100000

// eachPing calls ping for every ping PingAll makes: from src to address i
// of dst's interface ifc.
func eachPing(t *topology.Topology, from []string, ping func(src, dst *topology.Node, ifc *topology.Interface, i int)) {
	for _, src := range pingSources(t, from) {
		if src.Kind.Facts().Bridge {
			continue
		}
		for _, dst := range t.Nodes {
			if dst == src || dst.Kind.Facts().Bridge {
				continue
			}
			for _, ifc := range dst.Interfaces {
				for i := range ifc.Addrs {
					ping(src, dst, ifc, i)
				}
			}
		}
	}
}
