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

	"github.com/netlab-dev/netlab/netlab/parallel"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
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
	Slot int // unique among the ends of its node: picks A's ifindex
}

// BridgeName is the bridge device inside a bridge node's namespace.
const BridgeName = "br0"

// Wire creates every link, then configures every node: interfaces up,
// addresses, routes, sysctls. At most limit operations run at once. It
// stops at the first error; what it made is removed with the namespaces.
func Wire(ctx context.Context, nodes []*Node, links []*Link, limit int) error {
	handles := make(map[*Node]*netlink.Handle, len(nodes))
	defer func() {
		for _, h := range handles {
			h.Close()
		}
	}()
	for _, n := range nodes {
		h, err := handleAt(n.NetNS)
		if err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		handles[n] = h
	}
	err := parallel.Each(ctx, len(links), limit, func(i int) error {
		l := links[i]
		if err := addVeth(handles[l.A.Node], l); err != nil {
			return fmt.Errorf("link %s:%s - %s:%s: %w", l.A.Node.Name, l.A.Name, l.B.Node.Name, l.B.Name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return parallel.Each(ctx, len(nodes), limit, func(i int) error {
		n := nodes[i]
		if err := configure(handles[n], n); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		return nil
	})
}

// handleAt opens a netlink socket inside the namespace ns refers to.
func handleAt(ns *os.File) (*netlink.Handle, error) {
	h, err := netlink.NewHandleAt(netnsHandle(ns))
	if err != nil {
		return nil, fmt.Errorf("netlink handle: %w", err)
	}
	return h, nil
}

// firstPinnedIndex is where the ifindexes that addVeth picks for A ends
// begin, far above the ones the kernel hands out in a node's namespace.
const firstPinnedIndex = 10000

// addVeth creates the pair from A's namespace with B's end placed straight
// into B's namespace, both named as the topology says.
//
// A's end gets an ifindex the kernel would not give B's: when the two ends
// of a veth pair have the same ifindex (likely in fresh namespaces, where
// both count from 2), the kernel takes a carrier change on them for a
// non-urgent link event and handles it up to a second later; until then
// the device has no qdisc and drops every packet it sends.
func addVeth(h *netlink.Handle, l *Link) error {
	veth := &netlink.Veth{
		LinkAttrs: netlink.LinkAttrs{
			Index:        firstPinnedIndex + l.A.Slot,
			Name:         l.A.Name,
			MTU:          l.MTU,
			HardwareAddr: l.A.MAC,
			TxQLen:       -1,
		},
		PeerName:         l.B.Name,
		PeerHardwareAddr: l.B.MAC,
		PeerNamespace:    netlink.NsFd(int(l.B.Node.NetNS.Fd())),
		PeerTxQLen:       -1,
	}
	if err := h.LinkAdd(veth); err != nil {
		return fmt.Errorf("create veth pair: %w", err)
	}
	return nil
}

// configure brings a node's interfaces up and applies its addresses,
// routes and sysctls.
func configure(h *netlink.Handle, n *Node) error {
	links, err := h.LinkList()
	if err != nil {
		return fmt.Errorf("list interfaces: %w", err)
	}
	byName := make(map[string]netlink.Link, len(links))
	for _, l := range links {
		byName[l.Attrs().Name] = l
	}
	var bridge netlink.Link
	if n.Bridge {
		// No multicast snooping: with no querier on a lab LAN it only
		// delays IPv6 neighbour discovery.
		snooping := false
		bridge = &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: BridgeName, TxQLen: -1}, MulticastSnooping: &snooping}
		if err := h.LinkAdd(bridge); err != nil {
			return fmt.Errorf("create bridge %s: %w", BridgeName, err)
		}
	}
	for _, l := range links {
		if bridge != nil && l.Attrs().Name != "lo" {
			if err := h.LinkSetMaster(l, bridge); err != nil {
				return fmt.Errorf("add port %s to %s: %w", l.Attrs().Name, BridgeName, err)
			}
		}
		if err := h.LinkSetUp(l); err != nil {
			return fmt.Errorf("set %s up: %w", l.Attrs().Name, err)
		}
	}
	if bridge != nil {
		if err := h.LinkSetUp(bridge); err != nil {
			return fmt.Errorf("set %s up: %w", BridgeName, err)
		}
	}
	for _, ifc := range n.Interfaces {
		l, ok := byName[ifc.Name]
		if !ok {
			return fmt.Errorf("interface %s missing", ifc.Name)
		}
		for _, p := range ifc.Addrs {
			if err := h.AddrAdd(l, addr(p)); err != nil {
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

func netnsHandle(f *os.File) netns.NsHandle { return netns.NsHandle(int(f.Fd())) }
