package wire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/netlab/parallel"
)

// Node is one network namespace to configure.
type Node struct {
	Name       string
	NetNS      *os.File // the node's network namespace (/proc/PID/ns/net)
	Bridge     bool     // a LAN: its link ends become ports of one bridge device
	Interfaces []Interface
	Routes     []Route
	Sysctls    []Sysctl // applied after addresses and routes, in order
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

// Sysctl is a key under /proc/sys, in dotted or slashed form.
type Sysctl struct{ Key, Value string }

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

// Wire creates every link, both ends up, then configures every node: lo
// up, bridge ports, addresses, routes, sysctls. At most limit operations
// run at once. It stops at the first error; what it made is removed with
// the namespaces.
func Wire(ctx context.Context, nodes []*Node, links []*Link, limit int) error {
	creators := &socketPool{}
	defer creators.close()
	err := parallel.Each(ctx, len(links), limit, func(i int) error {
		l := links[i]
		s, err := creators.get()
		if err != nil {
			return err
		}
		defer creators.put(s)
		if err := addVeth(s, l); err != nil {
			return fmt.Errorf("link %s:%s - %s:%s: %w", l.A.Node.Name, l.A.Name, l.B.Node.Name, l.B.Name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The kernel can bring only the first end of a pair up as it makes it
	// (the second has no peer yet when it would open); the second ends are
	// brought up with their node.
	second := map[*Node][]int{}
	for _, l := range links {
		second[l.B.Node] = append(second[l.B.Node], l.B.Index)
	}
	return parallel.Each(ctx, len(nodes), limit, func(i int) error {
		n := nodes[i]
		if err := configure(n, second[n]); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		return nil
	})
}

// socketPool keeps netlink sockets of this process's own namespace, one
// per worker, for requests that name their target namespaces themselves.
type socketPool struct {
	mu   sync.Mutex
	free []*nl.SocketHandle
	all  []*nl.SocketHandle
}

func (p *socketPool) get() (*nl.SocketHandle, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		s := p.free[n-1]
		p.free = p.free[:n-1]
		return s, nil
	}
	s, err := nl.GetNetlinkSocketAt(netns.None(), netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	h := &nl.SocketHandle{Socket: s}
	p.all = append(p.all, h)
	return h, nil
}

func (p *socketPool) put(s *nl.SocketHandle) {
	p.mu.Lock()
	p.free = append(p.free, s)
	p.mu.Unlock()
}

func (p *socketPool) close() {
	for _, s := range p.all {
		s.Close()
	}
}

// addVeth creates a veth pair with one RTM_NEWLINK: each end named,
// numbered and addressed, placed straight in its node's namespace, the
// first end up. Nothing is ever made in this process's own namespace.
func addVeth(s *nl.SocketHandle, l *Link) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: s}
	a := nl.NewIfInfomsg(unix.AF_UNSPEC)
	a.Index = int32(l.A.Index)
	a.Flags = unix.IFF_UP
	a.Change = unix.IFF_UP
	req.AddData(a)
	for _, attr := range endRtAttrs(l.A, l.MTU) {
		req.AddData(attr)
	}
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("veth"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	peer := data.AddRtAttr(nl.VETH_INFO_PEER, nil)
	b := nl.NewIfInfomsgChild(peer, unix.AF_UNSPEC)
	b.Index = int32(l.B.Index)
	for _, attr := range endRtAttrs(l.B, l.MTU) {
		peer.AddChild(attr)
	}
	req.AddData(info)
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
		return fmt.Errorf("create veth pair: %w", err)
	}
	return nil
}

func endRtAttrs(e End, mtu int) []*nl.RtAttr {
	attrs := []*nl.RtAttr{
		nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(e.Name)),
		nl.NewRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(e.Node.NetNS.Fd()))),
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
// node's bridge, and applies a node's addresses, routes and sysctls,
// through one netlink socket in the node's namespace. Interfaces are known
// by index: nothing is looked up.
func configure(n *Node, up []int) error {
	h, err := netlink.NewHandleAt(netns.NsHandle(int(n.NetNS.Fd())))
	if err != nil {
		return fmt.Errorf("netlink handle: %w", err)
	}
	defer h.Close()
	dev := func(index int) netlink.Link { return &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: index}} }
	for _, idx := range append([]int{LoopbackIndex}, up...) {
		if err := h.LinkSetUp(dev(idx)); err != nil {
			return fmt.Errorf("set interface %d up: %w", idx, err)
		}
	}
	if n.Bridge {
		// No multicast snooping: with no querier on a lab LAN it only
		// delays IPv6 neighbour discovery.
		snooping := false
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: BridgeName, Index: BridgeIndex, TxQLen: -1, Flags: net.FlagUp}, MulticastSnooping: &snooping}
		if err := h.LinkAdd(br); err != nil {
			return fmt.Errorf("create bridge %s: %w", BridgeName, err)
		}
		for _, ifc := range n.Interfaces {
			if ifc.Index == LoopbackIndex {
				continue
			}
			if err := h.LinkSetMasterByIndex(dev(ifc.Index), BridgeIndex); err != nil {
				return fmt.Errorf("add port %s to %s: %w", ifc.Name, BridgeName, err)
			}
		}
	}
	for _, ifc := range n.Interfaces {
		for _, p := range ifc.Addrs {
			if err := h.AddrAdd(dev(ifc.Index), addr(p)); err != nil {
				return fmt.Errorf("add address %s to %s: %w", p, ifc.Name, err)
			}
		}
	}
	for _, r := range n.Routes {
		if err := h.RouteAdd(&netlink.Route{Dst: ipNet(r.To), Gw: r.Via.AsSlice()}); err != nil {
			return fmt.Errorf("add route to %s via %s: %w", r.To, r.Via, err)
		}
	}
	if len(n.Sysctls) > 0 {
		if err := writeSysctls(n.NetNS, n.Sysctls); err != nil {
			return err
		}
	}
	return nil
}

// addr makes a netlink address. IPv6 addresses skip duplicate address
// detection: a lab's addresses are unique by validation, and DAD would keep
// them tentative (unusable) for a second or more after up returns.
func addr(p netip.Prefix) *netlink.Addr {
	a := &netlink.Addr{IPNet: ipNet(p)}
	if p.Addr().Is6() {
		a.Flags = unix.IFA_F_NODAD
	}
	return a
}

// ipNet converts p keeping its host bits, as an interface address needs.
func ipNet(p netip.Prefix) *net.IPNet {
	bits := 32
	if p.Addr().Is6() {
		bits = 128
	}
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), bits)}
}

// writeSysctls writes /proc/sys keys as the node's namespace sees them. The
// thread that enters the namespace is locked and never unlocked, so Go ends
// it with the goroutine instead of reusing it for anything else.
func writeSysctls(ns *os.File, sysctls []Sysctl) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("enter network namespace: %w", os.NewSyscallError("setns", err))
			return
		}
		for _, s := range sysctls {
			if err := os.WriteFile(sysctlPath(s.Key), []byte(s.Value), 0); err != nil {
				errc <- fmt.Errorf("sysctl %s=%s: %w", s.Key, s.Value, errors.Unwrap(err))
				return
			}
		}
		errc <- nil
	}()
	return <-errc
}

// sysctlPath maps net.ipv4.ip_forward to /proc/sys/net/ipv4/ip_forward. A key
// written with slashes keeps its dots, for interface names like eth1.10.
func sysctlPath(key string) string {
	if !strings.Contains(key, "/") {
		key = strings.ReplaceAll(key, ".", "/")
	}
	return "/proc/sys/" + key
}
