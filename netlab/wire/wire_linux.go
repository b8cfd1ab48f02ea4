package wire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/netlab/parallel"
)

// Node is one network namespace to configure. Wire opens what it needs of
// a node when it needs it, and closes it soon after: a lab's wiring holds
// descriptors in proportion to its parallelism, never one per node (a
// 10,000-node lab must come up under `ulimit -n 256`).
type Node struct {
	Name string
	// OpenNetNS opens the node's network namespace (/proc/PID/ns/net),
	// where its link ends go. Wire keeps a few open, those of the links
	// it is making and their neighbours in the list.
	OpenNetNS func() (*os.File, error)
	// OpenNetlink opens a socket in that namespace, for its addresses,
	// routes and devices; Wire closes it once the node is configured.
	OpenNetlink func(context.Context) (*Socket, error)
	// Then, if set, is the caller's last step of the node's
	// configuration, through the node's socket while it is open (the
	// impairments of its link ends).
	Then       func(*Socket) error
	Bridge     bool // a LAN: its link ends become ports of one bridge device
	Interfaces []Interface
	Routes     []Route
	// Tunnels are the node's ends of links to nodes of other hosts;
	// each is one of Interfaces too.
	Tunnels []*Tunnel
}

// Interface is the addressing of one interface of a node ("lo" included).
type Interface struct {
	Name  string
	Index int // its ifindex in the node: LoopbackIndex, or the Index of its link end
	Addrs []netip.Prefix
}

// Route is a static route through a gateway.
type Route struct {
	To  netip.Prefix
	Via netip.Addr
}

// Link is a veth pair between two nodes.
type Link struct {
	A, B End
	MTU  int // 0: the kernel's default
}

// End is one side of a link.
type End struct {
	Node *Node
	Name string
	MAC  net.HardwareAddr
	// Index is the ifindex the end gets in its node. The caller picks
	// them: unique within a node, and never the same at both ends of a
	// pair. When both ends of a veth pair share an ifindex (usual if the
	// kernel numbers fresh namespaces, both from 2), it takes their
	// carrier change for a non-urgent link event and applies it up to a
	// second later; until then the devices have no qdisc and drop all they
	// send. Known indexes also spare a lookup per interface.
	Index int
}

// LoopbackIndex is lo's ifindex in every network namespace.
const LoopbackIndex = 1

// BridgeName and BridgeIndex are the bridge device of a bridge node.
const (
	BridgeName  = "br0"
	BridgeIndex = 9999
)

// Wire creates every link through links (a socket whose opener may place
// devices in every node's namespace), both ends up, and every node's
// tunnels to other hosts through host (a socket of the host's namespace;
// nil when there are none), then configures every node through its own
// socket: lo up, bridge ports, tunnels' remotes, addresses, routes, and
// the node's Then. At most limit nodes are configured at once, and at
// most netnsCacheSize(limit) namespaces are open while links are made.
// progress, if set, is told of each link made and each node configured.
// It stops at the first error; what it made is removed with the
// namespaces.
func Wire(ctx context.Context, nodes []*Node, links []*Link, linkSocket, host *Socket, limit int, progress func()) error {
	if progress == nil {
		progress = func() {}
	}
	open := newNetnsCache(netnsCacheSize(limit))
	defer open.close()
	for _, l := range links {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := addVeth(linkSocket, l, open); err != nil {
			return fmt.Errorf("link %s:%s - %s:%s: %w", l.A.Node.Name, l.A.Name, l.B.Node.Name, l.B.Name, err)
		}
		progress()
	}
	for _, n := range nodes {
		for _, t := range n.Tunnels {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := addTunnel(host, t, open); err != nil {
				return fmt.Errorf("link %s:%s to %s: %w", n.Name, t.End.Name, t.Remote, err)
			}
		}
	}
	open.close()
	// The kernel can bring only the first end of a pair up as it makes it
	// (the second has no peer yet when it would open); the second ends are
	// brought up with their node.
	second := map[*Node][]int{}
	for _, l := range links {
		second[l.B.Node] = append(second[l.B.Node], l.B.Index)
	}
	return parallel.Each(ctx, len(nodes), limit, func(i int) error {
		n := nodes[i]
		s, err := n.OpenNetlink(ctx)
		if err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		defer s.Close()
		if err := configure(n, s, second[n]); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		if n.Then != nil {
			if err := n.Then(s); err != nil {
				return fmt.Errorf("node %s: %w", n.Name, err)
			}
		}
		progress()
		return nil
	})
}

// netnsCacheSize is how many network namespaces Wire keeps open while it
// makes links: a link's two ends are usually among the last few nodes
// opened (a chain's always; a grid's when the cache holds a row or two),
// and each open costs a path walk in /proc. Bounded by the parallelism,
// which the caller sized to the descriptors it may hold.
func netnsCacheSize(limit int) int { return 2 + 8*max(limit, 1) }

// netnsCache holds the namespaces of the nodes whose links are being made,
// the least recently used closed first beyond its size.
type netnsCache struct {
	size  int
	open  map[*Node]*os.File
	order []*Node // least recently used first
}

func newNetnsCache(size int) *netnsCache {
	return &netnsCache{size: size, open: map[*Node]*os.File{}}
}

// fd returns a descriptor of n's network namespace, valid until the next
// call.
func (c *netnsCache) fd(n *Node) (int, error) {
	if f, ok := c.open[n]; ok {
		if i := slices.Index(c.order, n); i >= 0 {
			c.order = append(slices.Delete(c.order, i, i+1), n)
		}
		return int(f.Fd()), nil
	}
	// Room first: the two ends of a link are the last two used.
	for len(c.order) >= c.size && len(c.order) > 0 {
		c.open[c.order[0]].Close()
		delete(c.open, c.order[0])
		c.order = c.order[1:]
	}
	f, err := n.OpenNetNS()
	if err != nil {
		return -1, fmt.Errorf("node %s: %w", n.Name, err)
	}
	c.open[n] = f
	c.order = append(c.order, n)
	return int(f.Fd()), nil
}

func (c *netnsCache) close() {
	for _, f := range c.open {
		f.Close()
	}
	clear(c.open)
	c.order = nil
}

// addVeth creates a veth pair with one RTM_NEWLINK: each end named,
// numbered and addressed, placed straight in its node's namespace, the
// first end up. Nothing is ever made in this process's own namespace.
func addVeth(s *Socket, l *Link, open *netnsCache) error {
	a, err := open.fd(l.A.Node)
	if err != nil {
		return err
	}
	// Both stay open: the cache closes only beyond two.
	b, err := open.fd(l.B.Node)
	if err != nil {
		return err
	}
	req, data := newEnd(l.A, a, l.MTU, "veth")
	peer := data.AddRtAttr(nl.VETH_INFO_PEER, nil)
	m := nl.NewIfInfomsgChild(peer, unix.AF_UNSPEC)
	m.Index = int32(l.B.Index)
	for _, attr := range endRtAttrs(l.B, b, l.MTU) {
		peer.AddChild(attr)
	}
	if err := s.do(req, false, nil); err != nil {
		return fmt.Errorf("create veth pair: %w", err)
	}
	return nil
}

// newEnd is the request that makes end e, up, a device of kind, with its
// name, index, namespace, MAC and mtu; and the kind's data attribute, for
// the caller to fill before it sends the request.
func newEnd(e End, netns, mtu int, kind string) (*nl.NetlinkRequest, *nl.RtAttr) {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	m := nl.NewIfInfomsg(unix.AF_UNSPEC)
	m.Index = int32(e.Index)
	m.Flags, m.Change = unix.IFF_UP, unix.IFF_UP
	req.AddData(m)
	for _, attr := range endRtAttrs(e, netns, mtu) {
		req.AddData(attr)
	}
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated(kind))
	req.AddData(info)
	return req, info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
}

// endRtAttrs are the attributes of end e, made in the network namespace
// netns (a descriptor).
func endRtAttrs(e End, netns, mtu int) []*nl.RtAttr {
	attrs := []*nl.RtAttr{
		nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(e.Name)),
		nl.NewRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(netns))),
	}
	if len(e.MAC) > 0 {
		attrs = append(attrs, nl.NewRtAttr(unix.IFLA_ADDRESS, []byte(e.MAC)))
	}
	if mtu > 0 {
		attrs = append(attrs, nl.NewRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(mtu))))
	}
	return attrs
}

// configure brings lo and the interfaces numbered up up, makes a bridge
// node's bridge, and applies a node's addresses and routes, through h, the
// node's own socket. Interfaces are known by index: nothing is looked up.
func configure(n *Node, h *Socket, up []int) error {
	if err := setUp(h, up); err != nil {
		return err
	}
	if n.Bridge {
		// No multicast snooping: with no querier on a lab LAN it only
		// delays IPv6 neighbour discovery.
		if err := h.addBridge(BridgeName, BridgeIndex); err != nil {
			return fmt.Errorf("create bridge %s: %w", BridgeName, err)
		}
		for _, ifc := range n.Interfaces {
			if ifc.Index == LoopbackIndex {
				continue
			}
			if err := h.setMaster(ifc.Index, BridgeIndex); err != nil {
				return fmt.Errorf("add port %s to %s: %w", ifc.Name, BridgeName, err)
			}
		}
	}
	for _, t := range n.Tunnels {
		if err := h.setRemote(t.End.Index, t.Remote, t.RemotePort); err != nil {
			return fmt.Errorf("send %s to %s port %d: %w", t.End.Name, t.Remote, t.RemotePort, err)
		}
	}
	return addressesAndRoutes(n, h, false)
}

// Restore configures a node again through h, its socket, that was wired
// before and kept its network namespace (a node started again): lo and the interfaces
// numbered up up, and its addresses and routes where the kernel dropped
// them (an interface taken down loses its IPv6 addresses and the routes
// through it). A bridge node's bridge and ports are there still.
func Restore(n *Node, h *Socket, up []int) error {
	if err := setUp(h, up); err != nil {
		return err
	}
	return addressesAndRoutes(n, h, true)
}

// setUp brings lo and the interfaces numbered up up.
func setUp(h *Socket, up []int) error {
	for _, idx := range append([]int{LoopbackIndex}, up...) {
		if err := h.SetUp(idx, true); err != nil {
			return fmt.Errorf("set interface %d up: %w", idx, err)
		}
	}
	return nil
}

// addressesAndRoutes adds n's addresses and routes; again, those the
// kernel has still are no error.
func addressesAndRoutes(n *Node, h *Socket, again bool) error {
	failed := func(err error) bool { return err != nil && !(again && errors.Is(err, unix.EEXIST)) }
	for _, ifc := range n.Interfaces {
		for _, p := range ifc.Addrs {
			if err := h.addAddr(ifc.Index, ipNet(p)); failed(err) {
				return fmt.Errorf("add address %s to %s: %w", p, ifc.Name, err)
			}
		}
	}
	for _, r := range n.Routes {
		if err := h.addRoute(ipNet(r.To), r.Via.AsSlice()); failed(err) {
			return fmt.Errorf("add route to %s via %s: %w", r.To, r.Via, err)
		}
	}
	return nil
}

// ipNet converts p keeping its host bits, as an interface address needs.
func ipNet(p netip.Prefix) *net.IPNet {
	bits := 32
	if p.Addr().Is6() {
		bits = 128
	}
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), bits)}
}
