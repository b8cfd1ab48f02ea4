package netlab

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/netlab-dev/netlab/netlab/wire"
	"golang.org/x/sys/unix"
)

// Route is a route of a node's main routing table, as the node's kernel
// has it now.
type Route struct {
	Dst      netip.Prefix `json:"dst"`
	Type     string       `json:"type"`     // unicast, blackhole, unreachable, prohibit, ...
	Protocol string       `json:"protocol"` // who made it: kernel, boot (netlab), static, ospf, bgp, bird, ...
	Metric   int          `json:"metric"`
	Nexthops []Nexthop    `json:"nexthops"` // one, or several for a multipath route; none for a blackhole
}

// Nexthop is one way a route goes: through a gateway (the zero Addr for a
// connected route) out of an interface.
type Nexthop struct {
	Via netip.Addr `json:"via"`
	Dev string     `json:"dev"`
}

// String is the route as ip route shows it, in short: "10.255.0.3/32 via
// 10.0.12.2 dev eth1 proto ospf", the nexthops of a multipath route
// joined by " and ".
func (r Route) String() string {
	var b strings.Builder
	b.WriteString(r.Dst.String())
	if r.Type != "unicast" {
		b.WriteString(" " + r.Type)
	}
	for i, nh := range r.Nexthops {
		if i > 0 {
			b.WriteString(" and")
		}
		if nh.Via.IsValid() {
			b.WriteString(" via " + nh.Via.String())
		}
		if nh.Dev != "" {
			b.WriteString(" dev " + nh.Dev)
		}
	}
	if r.Protocol != "" {
		b.WriteString(" proto " + r.Protocol)
	}
	return b.String()
}

// Routes lists the main routing table of one of the lab's nodes, IPv4
// then IPv6, read through a netlink socket its agent opens in the node.
func (l *Lab) Routes(ctx context.Context, node string) ([]Route, error) {
	st, ns, err := l.nodeState(node)
	if err != nil {
		return nil, err
	}
	sock, release, err := l.m.socket(st.Name, node)
	if err != nil {
		return nil, err
	}
	h, err := nodeNetlink(ctx, sock, ns)
	release()
	if err != nil {
		return nil, err
	}
	defer h.Close()
	raw, err := h.Routes()
	if err != nil {
		return nil, fmt.Errorf("routes of node %s/%s: %w", st.Name, node, err)
	}
	links, err := h.Links()
	if err != nil {
		return nil, fmt.Errorf("interfaces of node %s/%s: %w", st.Name, node, err)
	}
	names := map[int]string{}
	for _, l := range links {
		names[l.Index] = l.Name
	}
	out := make([]Route, 0, len(raw))
	for _, r := range raw {
		out = append(out, routeOf(r, names))
	}
	return out, nil
}

func routeOf(r wire.RouteInfo, names map[int]string) Route {
	ones, _ := r.Dst.Mask.Size()
	dst, _ := netip.AddrFromSlice(unmap(r.Dst.IP))
	out := Route{Dst: netip.PrefixFrom(dst, ones), Type: routeTypes[r.Type], Protocol: routeProtocols[r.Protocol], Metric: r.Priority, Nexthops: []Nexthop{}}
	if out.Type == "" {
		out.Type = fmt.Sprint(r.Type)
	}
	if out.Protocol == "" {
		out.Protocol = fmt.Sprint(r.Protocol)
	}
	for _, nh := range r.Nexthops {
		n := Nexthop{Dev: names[nh.Index]}
		if n.Dev == "" && nh.Index != 0 {
			n.Dev = fmt.Sprintf("if%d", nh.Index)
		}
		if nh.Gateway != nil {
			n.Via, _ = netip.AddrFromSlice(unmap(nh.Gateway))
		}
		out.Nexthops = append(out.Nexthops, n)
	}
	return out
}

// unmap gives an IPv4 address its 4 bytes, so that netip does not take it
// for IPv4-mapped IPv6.
func unmap(ip net.IP) net.IP {
	if v4 := ip.To4(); v4 != nil && len(ip) == net.IPv4len {
		return v4
	}
	return ip
}

var routeTypes = map[uint8]string{
	unix.RTN_UNICAST: "unicast", unix.RTN_LOCAL: "local", unix.RTN_BROADCAST: "broadcast",
	unix.RTN_ANYCAST: "anycast", unix.RTN_MULTICAST: "multicast", unix.RTN_BLACKHOLE: "blackhole",
	unix.RTN_UNREACHABLE: "unreachable", unix.RTN_PROHIBIT: "prohibit", unix.RTN_THROW: "throw",
}

// routeProtocols names rtm_protocol as iproute2's rt_protos does.
var routeProtocols = map[uint8]string{
	unix.RTPROT_UNSPEC: "unspec", unix.RTPROT_REDIRECT: "redirect", unix.RTPROT_KERNEL: "kernel",
	unix.RTPROT_BOOT: "boot", unix.RTPROT_STATIC: "static", unix.RTPROT_RA: "ra",
	unix.RTPROT_DHCP: "dhcp", unix.RTPROT_ZEBRA: "zebra", unix.RTPROT_BIRD: "bird",
	unix.RTPROT_BABEL: "babel", unix.RTPROT_BGP: "bgp", unix.RTPROT_ISIS: "isis",
	unix.RTPROT_OSPF: "ospf", unix.RTPROT_RIP: "rip", unix.RTPROT_EIGRP: "eigrp",
	196: "static", // FRR's staticd, zebra's ZEBRA_ROUTE_STATIC
}
