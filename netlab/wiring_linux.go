package netlab

import (
	"context"
	"fmt"

	"github.com/netlab-dev/netlab/netlab/parallel"
	"github.com/netlab-dev/netlab/netlab/wire"
	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// wire creates the links and configures every node's network, then writes
// the nodes' sysctls, all through sockets the lab opens (see package wire).
func (u *bringup) wire(ctx context.Context, step *stepTimer) error {
	t := u.st.Topology
	f, err := u.sup.Netlink(ctx)
	if err != nil {
		return err
	}
	linkSocket := wire.NewSocket(f)
	defer linkSocket.Close()

	index := ifindexes(t)
	byName := map[string]*wire.Node{}
	nodes := make([]*wire.Node, len(t.Nodes))
	defer func() {
		for _, wn := range nodes {
			if wn != nil && wn.Netlink != nil {
				wn.Netlink.Close()
			}
		}
	}()
	err = parallel.Each(ctx, len(t.Nodes), u.opts.Parallel, func(i int) error {
		n := t.Nodes[i]
		f, err := nsproc.Netlink(ctx, u.m.socketPath(t.Name, n.Name))
		if err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		wn := &wire.Node{Name: n.Name, NetNS: u.netns[i], Netlink: wire.NewSocket(f), Bridge: n.Kind.Facts().Bridge}
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
		nodes[i] = wn
		return nil
	})
	if err != nil {
		return err
	}
	for _, wn := range nodes {
		byName[wn.Name] = wn
	}
	var links []*wire.Link
	for _, l := range t.Links {
		end := func(k int) wire.End {
			e := l.Endpoints[k]
			return wire.End{Node: byName[e.Node], Name: e.Interface, MAC: endMAC(t.Name, l, k), Index: index[e]}
		}
		links = append(links, &wire.Link{A: end(0), B: end(1), MTU: l.MTU})
	}
	if err := wire.Wire(ctx, nodes, links, linkSocket, u.opts.Parallel); err != nil {
		return err
	}
	progs := lossPrograms{}
	defer progs.close()
	for i, l := range t.Links {
		if l.Impair.Zero() {
			continue
		}
		a, b := byName[l.Endpoints[0].Node], byName[l.Endpoints[1].Node]
		err := impairEnds(l.Impair, u.impair, progs, [2]*wire.Socket{a.Netlink, b.Netlink}, [2]int{index[l.Endpoints[0]], index[l.Endpoints[1]]})
		if err != nil {
			return fmt.Errorf("%s: link %d: %w", l.Pos.In(t.File), i+1, err)
		}
	}
	// After addresses and routes: some sysctls name interfaces.
	return parallel.Each(ctx, len(t.Nodes), u.opts.Parallel, func(i int) error {
		n := t.Nodes[i]
		if len(n.Sysctls) == 0 {
			return nil
		}
		var kvs []string
		for _, kv := range n.Sysctls {
			kvs = append(kvs, kv.Key+"="+kv.Value)
		}
		if err := nsproc.SetSysctls(ctx, u.m.socketPath(t.Name, n.Name), kvs); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		return nil
	})
}
