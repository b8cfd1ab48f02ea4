package netlab

// A lab across hosts: every host runs the same file and brings up its own
// part, the nodes placed on it; a link between two hosts is a pair of
// VXLAN tunnels, one made by each host (see wire.Tunnel). Nothing is
// agreed between hosts at run time: each computes the same placement
// (topology.Place), the same VNI for every link and the same names, from
// the same file, so a host that comes up first works as soon as its peer
// does, and a host's down leaves the others' parts as they are.

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/netlab/wire"
	"github.com/netlab-dev/netlab/topology"
)

// ErrNoHost is wrapped by errors about which of a lab's hosts this
// machine is: a --host no hosts entry names, or no entry's address here.
var ErrNoHost = errors.New("no such host")

type noHost string

func (e noHost) Error() string        { return string(e) }
func (e noHost) Is(target error) bool { return target == ErrNoHost }

// localHost is the host of t this machine is: the one called name, or,
// when name is "", the one whose address is an address of this machine
// (of the network namespace netlab runs in).
func localHost(t *topology.Topology, name string) (*topology.Host, error) {
	if name != "" {
		if h := t.HostOf(name); h != nil {
			return h, nil
		}
		return nil, noHost(fmt.Sprintf("lab %s has no host %q (hosts: %s); give --host one of them", t.Name, name, t.HostNames()))
	}
	own, err := machineAddrs()
	if err != nil {
		return nil, fmt.Errorf("find this machine's addresses: %w", err)
	}
	var here []*topology.Host
	for _, h := range t.Hosts {
		if own[h.Address] {
			here = append(here, h)
		}
	}
	switch len(here) {
	case 1:
		return here[0], nil
	case 0:
		var list []string
		for _, h := range t.Hosts {
			list = append(list, h.Name+" "+h.Address.String())
		}
		return nil, noHost(fmt.Sprintf("no host of lab %s has an address of this machine (hosts: %s); give --host NAME, or add this machine's address to hosts:", t.Name, strings.Join(list, ", ")))
	}
	return nil, noHost(fmt.Sprintf("hosts %s and %s of lab %s both have addresses of this machine; say which this is with --host", here[0].Name, here[1].Name, t.Name))
}

// machineAddrs are the addresses of this machine's interfaces.
func machineAddrs() (map[netip.Addr]bool, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	out := map[netip.Addr]bool{}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out[p.Addr().Unmap()] = true
		}
	}
	return out, nil
}

// partOn is what host brings up of t: its nodes and the links between
// them, as a topology of the same name and file; and the links with one
// end on host and the other elsewhere. For a lab of one machine (host "")
// it is t itself.
func partOn(t *topology.Topology, host string) (part *topology.Topology, cross []*topology.Link) {
	if host == "" {
		return t, nil
	}
	p := *t
	p.Nodes, p.Links = nil, nil
	on := map[string]bool{}
	for _, n := range t.Nodes {
		if n.Host == host {
			p.Nodes = append(p.Nodes, n)
			on[n.Name] = true
		}
	}
	for _, l := range t.Links {
		a, b := on[l.Endpoints[0].Node], on[l.Endpoints[1].Node]
		switch {
		case a && b:
			p.Links = append(p.Links, l)
		case a || b:
			cross = append(cross, l)
		}
	}
	return &p, cross
}

// linkVNI is the VXLAN network identifier of t's link i (from 0), the
// same on every host: each lab has a run of VNIs, one per link, starting
// where a hash of the lab's name says. Within a lab no two links share
// one; two labs on the same hosts share one only if their runs overlap,
// which up refuses (see tunnelsInUse) rather than mix their traffic.
func linkVNI(lab string, i int) uint32 {
	sum := sha256.Sum256([]byte("netlab vxlan\x00" + lab))
	start := binary.BigEndian.Uint32(sum[:4]) % wire.MaxVNI
	return 1 + (start+uint32(i))%wire.MaxVNI
}

// vxlanOverhead is what VXLAN adds to each frame on the underlay: outer
// Ethernet, IP, UDP and VXLAN headers.
func vxlanOverhead(a netip.Addr) int {
	if a.Is4() {
		return 14 + 20 + 8 + 8
	}
	return 14 + 40 + 8 + 8
}

// tunnelEnd is one tunnel of this host's part, as planned.
type tunnelEnd struct {
	link   *topology.Link
	index  int               // the link's place in the lab's links, from 0
	end    topology.Endpoint // the local end
	k      int               // which end of the link it is
	remote *topology.Host
	vni    uint32
	mtu    int // the link's own, or 0 for the underlay's less the overhead
}

// planTunnels is the tunnels host makes for t's links to other hosts, in
// link order.
func planTunnels(t *topology.Topology, host *topology.Host) []tunnelEnd {
	hostOf := map[string]string{}
	for _, n := range t.Nodes {
		hostOf[n.Name] = n.Host
	}
	var out []tunnelEnd
	for i, l := range t.Links {
		for k, e := range l.Endpoints {
			other := l.Endpoints[1-k]
			if hostOf[e.Node] != host.Name || hostOf[other.Node] == host.Name {
				continue
			}
			out = append(out, tunnelEnd{link: l, index: i, end: e, k: k, remote: t.HostOf(hostOf[other.Node]), vni: linkVNI(t.Name, i), mtu: l.MTU})
		}
	}
	return out
}

// underlayMTU is the MTU of the way this machine reaches addr: the route's
// own, else its device's.
func underlayMTU(addr netip.Addr) (int, error) {
	routes, err := netlink.RouteGet(addr.AsSlice())
	if err != nil {
		return 0, fmt.Errorf("no route to %s: %w", addr, err)
	}
	if len(routes) == 0 {
		return 0, fmt.Errorf("no route to %s", addr)
	}
	if routes[0].MTU > 0 {
		return routes[0].MTU, nil
	}
	l, err := netlink.LinkByIndex(routes[0].LinkIndex)
	if err != nil {
		return 0, fmt.Errorf("the device of the route to %s: %w", addr, err)
	}
	return l.Attrs().MTU, nil
}

// tunnelMTUs gives each planned tunnel that declares no MTU the underlay's
// towards its remote, less VXLAN's overhead, so that what a node sends
// whole arrives whole.
func tunnelMTUs(tunnels []tunnelEnd) error {
	probed := map[netip.Addr]int{}
	for i := range tunnels {
		tn := &tunnels[i]
		if tn.mtu > 0 {
			continue
		}
		a := tn.remote.Address
		if _, ok := probed[a]; !ok {
			mtu, err := underlayMTU(a)
			if err != nil {
				return fmt.Errorf("host %s: %w; the hosts must reach each other", tn.remote.Name, err)
			}
			probed[a] = mtu - vxlanOverhead(a)
		}
		tn.mtu = probed[a]
	}
	return nil
}

// tunnelKey is what must be unique among the VXLAN devices of a host: the
// kernel demultiplexes what arrives on a UDP port by VNI alone.
type tunnelKey struct {
	vni  uint32
	port int
}

// tunnelsInUse refuses, before anything is made, tunnels of t's part on
// host that would take a VNI another lab of m uses on the same port here,
// saying which.
func (m *Machine) tunnelsInUse(t *topology.Topology, host *topology.Host, tunnels []tunnelEnd) error {
	names, err := m.Labs()
	if err != nil {
		return err
	}
	taken := map[tunnelKey]string{}
	for _, name := range names {
		st, err := m.readState(name)
		if err != nil || st.Host == "" || name == t.Name {
			continue
		}
		h := st.Topology.HostOf(st.Host)
		if h == nil {
			continue
		}
		for _, tn := range planTunnels(st.Topology, h) {
			taken[tunnelKey{tn.vni, h.VXLANPort}] = fmt.Sprintf("lab %s's link %s - %s", name, tn.link.Endpoints[0], tn.link.Endpoints[1])
		}
	}
	var errs []error
	for _, tn := range tunnels {
		if other, ok := taken[tunnelKey{tn.vni, host.VXLANPort}]; ok {
			errs = append(errs, fmt.Errorf("%s: link %s - %s would use VXLAN VNI %d on UDP port %d, as %s does on this host; rename one of the two labs (a lab's VNIs follow from its name)",
				tn.link.Pos.In(t.File), tn.link.Endpoints[0], tn.link.Endpoints[1], tn.vni, host.VXLANPort, other))
		}
	}
	return errors.Join(errs...)
}

// hostNetlink opens a netlink socket in this process's network namespace,
// the host's: tunnels' UDP sockets go where the socket that makes them is.
func hostNetlink() (*wire.Socket, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	return wire.NewSocket(os.NewFile(uintptr(fd), "netlink")), nil
}

// placeHere sets what this host brings up of t: all of it, or of a lab
// across hosts the part of the host that u.opts.Host names (or whose
// address is here), with its tunnels planned, their MTUs probed and their
// VNIs checked against the other labs here.
func (u *bringup) placeHere(t *topology.Topology) error {
	u.t = t
	if !t.Spans() {
		return nil
	}
	host, err := localHost(t, u.opts.Host)
	if err != nil {
		return err
	}
	u.host = host
	u.t, _ = partOn(t, host.Name)
	u.tunnels = planTunnels(t, host)
	if err := tunnelMTUs(u.tunnels); err != nil {
		return err
	}
	return u.m.tunnelsInUse(t, host, u.tunnels)
}

// localLinks are the links this host makes, whole or its end of them.
func (u *bringup) localLinks() []*topology.Link {
	out := slices.Clone(u.t.Links)
	for _, tn := range u.tunnels {
		out = append(out, tn.link)
	}
	return out
}
