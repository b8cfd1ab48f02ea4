package netlab

import (
	"context"

	"github.com/netlab-dev/netlab/netlab/wire"
	"github.com/netlab-dev/netlab/topology"
)

// wire creates the links and configures every node's network.
func (u *bringup) wire(ctx context.Context, step *stepTimer) error {
	t := u.st.Topology
	index := ifindexes(t)
	byName := map[string]*wire.Node{}
	var nodes []*wire.Node
	for i, n := range t.Nodes {
		wn := &wire.Node{Name: n.Name, NetNS: u.netns[i], Bridge: n.Kind == topology.KindBridge}
		for _, ifc := range n.Interfaces {
			idx := wire.LoopbackIndex
			if ifc.Name != "lo" {
				idx = index[topology.Endpoint{Node: n.Name, Interface: ifc.Name}]
			}
			wn.Interfaces = append(wn.Interfaces, wire.Interface{Name: ifc.Name, Index: idx, Addrs: ifc.Addrs})
		}
		for _, r := range n.Routes {
			wn.Routes = append(wn.Routes, wire.Route{To: r.To, Via: r.Via})
		}
		for _, kv := range n.Sysctls {
			wn.Sysctls = append(wn.Sysctls, wire.Sysctl{Key: kv.Key, Value: kv.Value})
		}
		byName[n.Name] = wn
		nodes = append(nodes, wn)
	}
	var links []*wire.Link
	for _, l := range t.Links {
		end := func(e topology.Endpoint) wire.End {
			return wire.End{Node: byName[e.Node], Name: e.Interface, MAC: macAddress(t.Name, e.Node, e.Interface), Index: index[e]}
		}
		links = append(links, &wire.Link{A: end(l.Endpoints[0]), B: end(l.Endpoints[1]), MTU: l.MTU})
	}
	return wire.Wire(ctx, nodes, links, u.opts.Parallel)
}
