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

	// Each node's namespace gets an id in the supervisor's, by which one
	// socket there reads every node's interfaces (status).
	for i := range u.st.Nodes {
		if err := ctx.Err(); err != nil {
			return err
		}
		ns := &u.st.Nodes[i]
		netns, err := openNodeNetNS(ns)
		if err != nil {
			return err
		}
		err = linkSocket.SetNSID(int(netns.Fd()), i+1)
		netns.Close()
		if err != nil {
			return fmt.Errorf("node %s: %w", ns.Name, err)
		}
		ns.NSID = i + 1
	}
	// Numbered over the whole lab: the same on every host.
	index := ifindexes(u.st.Topology)
	// Loss programs are loaded once per percentage, before nodes are
	// configured in parallel, which only read them.
	progs := lossPrograms{}
	defer progs.close()
	ends := map[string][]impairedEnd{}
	for _, l := range u.localLinks() {
		if l.Impair.Zero() {
			continue
		}
		prog, err := progs.forLink(l.Impair, u.impair)
		if err != nil {
			return fmt.Errorf("%s: link %d: %w", l.Pos.In(t.File), slices.Index(u.st.Topology.Links, l)+1, err)
		}
		for _, e := range l.Endpoints {
			ends[e.Node] = append(ends[e.Node], impairedEnd{link: l, im: l.Impair, index: index[e], prog: prog})
		}
	}
	// Links a saved lab had down (state: down) go down at the ends on
	// this host, each with its node.
	down := map[string][]*topology.Link{}
	for _, l := range u.localLinks() {
		if l.Down {
			for _, e := range l.Endpoints {
				down[e.Node] = append(down[e.Node], l)
			}
		}
	}
	byName := map[string]*wire.Node{}
	nodes := make([]*wire.Node, len(t.Nodes))
	for i, n := range t.Nodes {
		wn := wireNode(n, index, func() (*os.File, error) { return openNodeNetNS(&u.st.Nodes[i]) },
			func(ctx context.Context) (*wire.Socket, error) {
				return nodeSocket(ctx, u.m.socketPath(t.Name, n.Name), n.Name)
			})
		impaired, downed := ends[n.Name], down[n.Name]
		if len(impaired) > 0 || len(downed) > 0 {
			wn.Then = func(s *wire.Socket) error {
				for _, l := range downed {
					for _, e := range l.Endpoints {
						if e.Node != n.Name {
							continue
						}
						if err := s.SetUp(index[e], false); err != nil {
							return fmt.Errorf("%s: link %s - %s: set it down: %w", l.Pos.In(t.File), l.Endpoints[0], l.Endpoints[1], err)
						}
					}
				}
				for _, e := range impaired {
					if err := e.apply(s, u.impair); err != nil {
						return fmt.Errorf("%s: link %d: %w", e.link.Pos.In(t.File), slices.Index(u.st.Topology.Links, e.link)+1, err)
					}
				}
				return nil
			}
		}
		nodes[i] = wn
		byName[n.Name] = wn
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
	// Progress counts links made, then nodes configured.
	step.total = len(links) + len(nodes)
	if err := wire.Wire(ctx, nodes, links, linkSocket, host, u.opts.Parallel, func() { step.add(1) }); err != nil {
		return err
	}
	// After addresses and routes: some sysctls name interfaces.
	return parallel.Each(ctx, len(t.Nodes), u.opts.Parallel, func(i int) error {
		return setNodeSysctls(ctx, u.m.socketPath(t.Name, t.Nodes[i].Name), t.Nodes[i])
	})
}

// wireNode is what package wire needs to configure node n: its addressing
// and routes, with index numbering every link end (ifindexes), and how to
// open its network namespace and a socket in it (nil for a node whose
// links exist already, or whose socket its caller holds).
func wireNode(n *topology.Node, index map[topology.Endpoint]int, netns func() (*os.File, error), sock func(context.Context) (*wire.Socket, error)) *wire.Node {
	wn := &wire.Node{Name: n.Name, OpenNetNS: netns, OpenNetlink: sock, Bridge: n.Kind.Facts().Bridge}
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

// nodeSocket is a netlink socket of node's network namespace, opened by
// its agent, which serves socket.
func nodeSocket(ctx context.Context, socket, node string) (*wire.Socket, error) {
	f, err := nsproc.Netlink(ctx, socket)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", node, err)
	}
	return wire.NewSocket(f), nil
}

// setNodeSysctls writes n's sysctls in the node whose agent serves socket:
// the kernel resolves them by the writer's namespace.
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
