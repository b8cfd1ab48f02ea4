package netlab

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/netlab-dev/netlab/netlab/parallel"
	"github.com/netlab-dev/netlab/netlab/wire"
	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// wire creates the links and configures every node's network, then writes
// the nodes' sysctls, all through sockets the lab opens (see package wire);
// of a lab across hosts, this host's links and its tunnels to the others,
// whose UDP sockets a socket of this process's namespace makes.
func (u *bringup) wire(ctx context.Context, step *stepTimer) error {
	t := u.t
	f, err := u.sup.Netlink(ctx)
	if err != nil {
		return err
	}
	linkSocket := wire.NewSocket(f)
	defer linkSocket.Close()

	// Numbered over the whole lab: the same on every host.
	index := ifindexes(u.st.Topology)
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
		nodes[i] = wireNode(n, index, u.netns[i], wire.NewSocket(f))
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
	var host *wire.Socket
	if len(u.tunnels) > 0 {
		if host, err = hostNetlink(); err != nil {
			return fmt.Errorf("tunnels to other hosts: %w", err)
		}
		defer host.Close()
	}
	for _, tn := range u.tunnels {
		wn := byName[tn.end.Node]
		wn.Tunnels = append(wn.Tunnels, &wire.Tunnel{
			End: wire.End{Node: wn, Name: tn.end.Interface, MAC: endMAC(t.Name, tn.link, tn.k), Index: index[tn.end]},
			VNI: tn.vni, Local: u.host.Address, Remote: tn.remote.Address,
			Port: u.host.VXLANPort, RemotePort: tn.remote.VXLANPort, MTU: tn.mtu,
		})
	}
	if err := wire.Wire(ctx, nodes, links, linkSocket, host, u.opts.Parallel); err != nil {
		return err
	}
	// Links a saved lab had down (state: down) go down at the ends on
	// this host.
	for _, l := range u.localLinks() {
		if !l.Down {
			continue
		}
		for _, e := range l.Endpoints {
			if wn := byName[e.Node]; wn != nil {
				if err := wn.Netlink.SetUp(index[e], false); err != nil {
					return fmt.Errorf("%s: link %s - %s: set it down: %w", l.Pos.In(t.File), l.Endpoints[0], l.Endpoints[1], err)
				}
			}
		}
	}
	progs := lossPrograms{}
	defer progs.close()
	for _, l := range u.localLinks() {
		if l.Impair.Zero() {
			continue
		}
		// The ends of this host: both, or of a link to another host
		// the one here (the other host impairs its own).
		var socks [2]*wire.Socket
		for k, e := range l.Endpoints {
			if wn := byName[e.Node]; wn != nil {
				socks[k] = wn.Netlink
			}
		}
		err := impairEnds(l.Impair, u.impair, progs, socks, [2]int{index[l.Endpoints[0]], index[l.Endpoints[1]]})
		if err != nil {
			return fmt.Errorf("%s: link %d: %w", l.Pos.In(t.File), slices.Index(u.st.Topology.Links, l)+1, err)
		}
	}
	// After addresses and routes: some sysctls name interfaces.
	return parallel.Each(ctx, len(t.Nodes), u.opts.Parallel, func(i int) error {
		return setNodeSysctls(ctx, u.m.socketPath(t.Name, t.Nodes[i].Name), t.Nodes[i])
	})
}

// wireNode is what package wire needs to configure node n, whose network
// namespace is netns (nil when its links exist already) and whose socket
// there is sock; index numbers every link end (ifindexes).
func wireNode(n *topology.Node, index map[topology.Endpoint]int, netns *os.File, sock *wire.Socket) *wire.Node {
	wn := &wire.Node{Name: n.Name, NetNS: netns, Netlink: sock, Bridge: n.Kind.Facts().Bridge}
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
	return wn
}

// setNodeSysctls writes n's sysctls in the node whose agent serves socket.
func setNodeSysctls(ctx context.Context, socket string, n *topology.Node) error {
	if len(n.Sysctls) == 0 {
		return nil
	}
	var kvs []string
	for _, kv := range n.Sysctls {
		kvs = append(kvs, kv.Key+"="+kv.Value)
	}
	if err := nsproc.SetSysctls(ctx, socket, kvs); err != nil {
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	return nil
}
