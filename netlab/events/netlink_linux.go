package events

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// linkGroups are the netlink groups every stream hears; routeGroups those
// --routes adds.
var (
	linkGroups  = []int{unix.RTNLGRP_LINK, unix.RTNLGRP_IPV4_IFADDR, unix.RTNLGRP_IPV6_IFADDR}
	routeGroups = []int{unix.RTNLGRP_IPV4_ROUTE, unix.RTNLGRP_IPV6_ROUTE}
)

// WatchNetlink subscribes f, a NETLINK_ROUTE socket of a node's network
// namespace that joined no group yet, to its links and addresses (and,
// with routes, its main table's routes), and sends an event for each
// change the kernel reports, as from (lab and node) says, until ctx ends.
// names maps the node's interfaces' indexes to their names (a dump taken
// before); the stream keeps it up to date. Messages not from the kernel
// are dropped: a process of the node may send to the socket.
func WatchNetlink(ctx context.Context, f *os.File, from Event, routes bool, names map[int]string, out chan<- Event) error {
	fd := int(f.Fd())
	groups := linkGroups
	if routes {
		groups = append(groups[:len(groups):len(groups)], routeGroups...)
	}
	for _, g := range groups {
		if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, g); err != nil {
			return fmt.Errorf("netlink: join group %d: %w", g, os.NewSyscallError("setsockopt", err))
		}
	}
	// A big buffer: a burst (a node that starts, FRR installing routes)
	// is not to be lost to a slow reader.
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	if err := unix.SetNonblock(fd, true); err != nil {
		return os.NewSyscallError("fcntl", err)
	}
	nf := os.NewFile(uintptr(fd), "netlink")
	raw, err := nf.SyscallConn()
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { nf.SetReadDeadline(time.Now()) })
	defer stop()
	w := netlinkWatch{from: from, names: names, states: map[int]string{}, out: out}
	buf := make([]byte, 1<<16)
	for {
		var n int
		var sender unix.Sockaddr
		var rerr error
		err := raw.Read(func(fd uintptr) bool {
			n, sender, rerr = unix.Recvfrom(int(fd), buf, 0)
			return !errors.Is(rerr, unix.EAGAIN)
		})
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if errors.Is(rerr, unix.ENOBUFS) {
			w.send("", "events-lost", map[string]string{"why": "the node's kernel sent more than the stream read"})
			continue
		}
		if rerr != nil {
			return os.NewSyscallError("netlink receive", rerr)
		}
		if sa, ok := sender.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			continue
		}
		for _, m := range msgs {
			w.message(m)
		}
	}
}

// netlinkWatch turns one node's netlink messages into events.
type netlinkWatch struct {
	from   Event
	names  map[int]string
	states map[int]string // each interface's last state told
	out    chan<- Event
}

func (w *netlinkWatch) send(ifname, kind string, details map[string]string) {
	ev := w.from
	ev.Time, ev.Interface, ev.Kind, ev.Details = time.Now(), ifname, kind, details
	w.out <- ev
}

func (w *netlinkWatch) message(m syscall.NetlinkMessage) {
	switch m.Header.Type {
	case unix.RTM_NEWLINK, unix.RTM_DELLINK:
		w.link(m)
	case unix.RTM_NEWADDR, unix.RTM_DELADDR:
		w.addr(m)
	case unix.RTM_NEWROUTE, unix.RTM_DELROUTE:
		w.route(m)
	}
}

// link tells of an interface whose state (up, down, no-carrier) changed,
// or that is gone; the kernel sends RTM_NEWLINK for much else too.
func (w *netlinkWatch) link(m syscall.NetlinkMessage) {
	if len(m.Data) < unix.SizeofIfInfomsg {
		return
	}
	info := (*unix.IfInfomsg)(unsafePointer(m.Data))
	index := int(info.Index)
	attrs, _ := syscall.ParseNetlinkRouteAttr(&m)
	for _, a := range attrs {
		if a.Attr.Type == unix.IFLA_IFNAME {
			w.names[index] = nulTerminated(a.Value)
		}
	}
	name := w.names[index]
	if m.Header.Type == unix.RTM_DELLINK {
		delete(w.states, index)
		w.send(name, "link-deleted", nil)
		return
	}
	state := "up"
	switch {
	case info.Flags&unix.IFF_UP == 0:
		state = "down"
	case info.Flags&unix.IFF_LOWER_UP == 0:
		state = "no-carrier"
	}
	if w.states[index] == state {
		return
	}
	w.states[index] = state
	w.send(name, "link-state", map[string]string{"state": state})
}

func (w *netlinkWatch) addr(m syscall.NetlinkMessage) {
	if len(m.Data) < unix.SizeofIfAddrmsg {
		return
	}
	msg := (*unix.IfAddrmsg)(unsafePointer(m.Data))
	attrs, _ := syscall.ParseNetlinkRouteAttr(&m)
	var ip net.IP
	for _, a := range attrs {
		// IFA_LOCAL is the interface's own address where it differs
		// from IFA_ADDRESS (the peer's, on point-to-point links).
		if a.Attr.Type == unix.IFA_LOCAL || (a.Attr.Type == unix.IFA_ADDRESS && ip == nil) {
			ip = net.IP(append([]byte(nil), a.Value...))
		}
	}
	if ip == nil || ip.IsLinkLocalUnicast() {
		return
	}
	kind := "address-added"
	if m.Header.Type == unix.RTM_DELADDR {
		kind = "address-deleted"
	}
	w.send(w.names[int(msg.Index)], kind, map[string]string{"address": fmt.Sprintf("%s/%d", ip, msg.Prefixlen)})
}

// route tells of a route of the main table (not the local table's
// addresses, not the kernel's IPv6 multicast and link-local ones).
func (w *netlinkWatch) route(m syscall.NetlinkMessage) {
	if len(m.Data) < unix.SizeofRtMsg {
		return
	}
	msg := (*unix.RtMsg)(unsafePointer(m.Data))
	attrs, _ := syscall.ParseNetlinkRouteAttr(&m)
	table := int(msg.Table)
	var dst, via net.IP
	dev := ""
	for _, a := range attrs {
		switch a.Attr.Type {
		case unix.RTA_TABLE:
			if len(a.Value) >= 4 {
				table = int(nativeUint32(a.Value))
			}
		case unix.RTA_DST:
			dst = net.IP(append([]byte(nil), a.Value...))
		case unix.RTA_GATEWAY:
			via = net.IP(append([]byte(nil), a.Value...))
		case unix.RTA_OIF:
			if len(a.Value) >= 4 {
				dev = w.names[int(nativeUint32(a.Value))]
			}
		}
	}
	if table != unix.RT_TABLE_MAIN || (dst != nil && (dst.IsLinkLocalUnicast() || dst.IsMulticast())) {
		return
	}
	to := "default"
	if dst != nil {
		to = fmt.Sprintf("%s/%d", dst, msg.Dst_len)
	}
	d := map[string]string{"to": to, "proto": protocolName(msg.Protocol)}
	if via != nil {
		d["via"] = via.String()
	}
	if dev != "" {
		d["dev"] = dev
	}
	kind := "route-added"
	if m.Header.Type == unix.RTM_DELROUTE {
		kind = "route-deleted"
	}
	w.send("", kind, d)
}

// protocolName names rtm_protocol as iproute2 does, for the common ones.
func protocolName(p uint8) string {
	switch p {
	case unix.RTPROT_KERNEL:
		return "kernel"
	case unix.RTPROT_BOOT:
		return "boot"
	case unix.RTPROT_STATIC:
		return "static"
	case unix.RTPROT_ZEBRA:
		return "zebra"
	case unix.RTPROT_BIRD:
		return "bird"
	case unix.RTPROT_OSPF:
		return "ospf"
	case unix.RTPROT_BGP:
		return "bgp"
	case unix.RTPROT_ISIS:
		return "isis"
	case unix.RTPROT_RIP:
		return "rip"
	case 196:
		return "static" // FRR's staticd
	}
	return fmt.Sprint(p)
}

func nulTerminated(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
