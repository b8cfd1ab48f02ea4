package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Socket is a NETLINK_ROUTE socket that lives in the network namespace it
// was opened in, whoever uses it. netlab does not open them itself: a
// node's agent opens one in the node's namespace, the lab's supervisor one
// in its own (for links, whose ends it places by descriptor), and hands it
// over. Requests then need no setns, which an ordinary user cannot make:
// the kernel checks the capabilities of the socket's opener and of the
// sender against the namespaces' owners, and the lab's owner has them.
type Socket struct {
	mu        sync.Mutex // one request at a time
	f         *os.File
	buf       []byte
	strict    sync.Once // see strictChecking
	strictErr error
}

// NewSocket takes f, a NETLINK_ROUTE socket, for requests. It is used
// blocking: each request waits for its whole answer at most answerTimeout,
// however much else arrives meanwhile (a socket a node handed over is not
// to be trusted: it must not hang netlab).
func NewSocket(f *os.File) *Socket {
	return &Socket{f: f, buf: make([]byte, 1<<16)}
}

// answerTimeout bounds the wait for one request's whole answer.
const answerTimeout = 10 * time.Second

// Close closes the socket.
func (s *Socket) Close() error { return s.f.Close() }

// do sends req and waits for its acknowledgement, or with dump set for
// every answer until the dump is done, passing each to each.
func (s *Socket) do(req *nl.NetlinkRequest, dump bool, each func([]byte)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !dump {
		req.Flags |= unix.NLM_F_ACK
	}
	fd := int(s.f.Fd())
	deadline := time.Now().Add(answerTimeout)
	if err := unix.Sendto(fd, req.Serialize(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return os.NewSyscallError("netlink send", err)
	}
	for {
		// What is left of the request's time, for this receive.
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("netlink: no answer within %v", answerTimeout)
		}
		tv := unix.NsecToTimeval(left.Nanoseconds())
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		n, from, err := unix.Recvfrom(fd, s.buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.EAGAIN) {
			return fmt.Errorf("netlink: no answer within %v", answerTimeout)
		}
		if err != nil {
			return os.NewSyscallError("netlink receive", err)
		}
		// Only the kernel's answers: node root may send to the socket.
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue
		}
		if n > len(s.buf) {
			return errors.New("netlink: answer truncated")
		}
		msgs, err := syscall.ParseNetlinkMessage(s.buf[:n])
		if err != nil {
			return fmt.Errorf("netlink answer: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq != req.Seq {
				continue
			}
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return nil
			case unix.NLMSG_ERROR:
				if len(m.Data) < 4 {
					return errors.New("netlink: short error message")
				}
				if errno := -int32(binary.NativeEndian.Uint32(m.Data[:4])); errno != 0 {
					return syscall.Errno(errno)
				}
				return nil
			default:
				if each != nil {
					// A copy: what each keeps (addresses, MACs) must
					// not change with the next read into s.buf.
					if err := parseSafely(each, append([]byte(nil), m.Data...)); err != nil {
						return err
					}
				}
			}
		}
	}
}

// SetUp sets interface index up or down.
func (s *Socket) SetUp(index int, up bool) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, 0)
	m := nl.NewIfInfomsg(unix.AF_UNSPEC)
	m.Index = int32(index)
	m.Change = unix.IFF_UP
	if up {
		m.Flags = unix.IFF_UP
	}
	req.AddData(m)
	return s.do(req, false, nil)
}

// addBridge makes a bridge device, up, without multicast snooping.
func (s *Socket) addBridge(name string, index int) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	m := nl.NewIfInfomsg(unix.AF_UNSPEC)
	m.Index = int32(index)
	m.Flags, m.Change = unix.IFF_UP, unix.IFF_UP
	req.AddData(m)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("bridge"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	data.AddRtAttr(nl.IFLA_BR_MCAST_SNOOPING, nl.Uint8Attr(0))
	req.AddData(info)
	return s.do(req, false, nil)
}

// setMaster makes interface index a port of the device master.
func (s *Socket) setMaster(index, master int) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, 0)
	m := nl.NewIfInfomsg(unix.AF_UNSPEC)
	m.Index = int32(index)
	req.AddData(m)
	req.AddData(nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(uint32(master))))
	return s.do(req, false, nil)
}

// addAddr adds address a (with its prefix length) to interface index.
// IPv6 addresses skip duplicate address detection: a lab's addresses are
// unique by validation, and DAD would keep them tentative (unusable) for a
// second or more after up returns.
func (s *Socket) addAddr(index int, a *net.IPNet) error {
	family, ip := unix.AF_INET, a.IP.To4()
	if ip == nil {
		family, ip = unix.AF_INET6, a.IP.To16()
	}
	ones, _ := a.Mask.Size()
	req := nl.NewNetlinkRequest(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	m := nl.NewIfAddrmsg(family)
	m.Index = uint32(index)
	m.Prefixlen = uint8(ones)
	req.AddData(m)
	req.AddData(nl.NewRtAttr(unix.IFA_LOCAL, ip))
	req.AddData(nl.NewRtAttr(unix.IFA_ADDRESS, ip))
	if family == unix.AF_INET {
		if ones < 31 {
			bcast := make(net.IP, 4)
			for i := range bcast {
				bcast[i] = ip[i] | ^a.Mask[len(a.Mask)-4+i]
			}
			req.AddData(nl.NewRtAttr(unix.IFA_BROADCAST, bcast))
		}
	} else {
		req.AddData(nl.NewRtAttr(unix.IFA_FLAGS, nl.Uint32Attr(unix.IFA_F_NODAD)))
	}
	return s.do(req, false, nil)
}

// addRoute adds a route to dst through gateway gw in the main table.
func (s *Socket) addRoute(dst *net.IPNet, gw net.IP) error {
	family := unix.AF_INET
	if gw.To4() == nil {
		family = unix.AF_INET6
	} else {
		gw = gw.To4()
	}
	ones, _ := dst.Mask.Size()
	req := nl.NewNetlinkRequest(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	m := nl.NewRtMsg()
	m.Family = uint8(family)
	m.Dst_len = uint8(ones)
	req.AddData(m)
	if ones > 0 {
		d := dst.IP.To4()
		if family == unix.AF_INET6 {
			d = dst.IP.To16()
		}
		req.AddData(nl.NewRtAttr(unix.RTA_DST, d))
	}
	req.AddData(nl.NewRtAttr(unix.RTA_GATEWAY, gw))
	return s.do(req, false, nil)
}

// Link is an interface as a dump reports it.
type LinkInfo struct {
	Index    int
	Name     string
	MTU      int
	MAC      net.HardwareAddr
	Up       bool // administratively
	Carrier  bool // IFF_LOWER_UP
	Loopback bool
}

// OwnNamespace is the target of a dump of the socket's own namespace (see
// LinksAt, AddrsAt).
const OwnNamespace = -1

// rtextFilterSkipStats (RTEXT_FILTER_SKIP_STATS) leaves a link dump
// without the counters: a third of its size, and the kernel's sum over
// every CPU of each device's.
const rtextFilterSkipStats = 1 << 3

// Links lists the interfaces of the socket's namespace.
func (s *Socket) Links() ([]LinkInfo, error) { return s.LinksAt(OwnNamespace) }

// LinksAt lists the interfaces of the namespace whose id is nsid in the
// socket's namespace (SetNSID), or of its own for OwnNamespace: one socket
// reads any number of namespaces, each in one dump, which its opener's
// capabilities over them allow.
func (s *Socket) LinksAt(nsid int) ([]LinkInfo, error) {
	req := nl.NewNetlinkRequest(unix.RTM_GETLINK, unix.NLM_F_DUMP)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_EXT_MASK, nl.Uint32Attr(rtextFilterSkipStats)))
	if nsid != OwnNamespace {
		if err := s.strictChecking(); err != nil {
			return nil, err
		}
		req.AddData(nl.NewRtAttr(unix.IFLA_TARGET_NETNSID, nl.Uint32Attr(uint32(nsid))))
	}
	var out []LinkInfo
	var perr error
	err := s.do(req, true, func(b []byte) {
		l, err := linkInfo(b)
		if err != nil {
			perr = err
			return
		}
		out = append(out, l)
	})
	if err == nil {
		err = perr
	}
	return out, err
}

// linkInfo reads what LinkInfo holds of an RTM_NEWLINK message: the few
// attributes status shows, nothing of the rest.
func linkInfo(b []byte) (LinkInfo, error) {
	if len(b) < unix.SizeofIfInfomsg {
		return LinkInfo{}, errors.New("netlink: short link message")
	}
	m := nl.DeserializeIfInfomsg(b)
	l := LinkInfo{Index: int(m.Index), Up: m.Flags&unix.IFF_UP != 0, Carrier: m.Flags&unix.IFF_LOWER_UP != 0, Loopback: m.Flags&unix.IFF_LOOPBACK != 0}
	attrs, err := nl.ParseRouteAttr(b[unix.SizeofIfInfomsg:])
	if err != nil {
		return LinkInfo{}, fmt.Errorf("netlink link message: %w", err)
	}
	for _, a := range attrs {
		switch a.Attr.Type {
		case unix.IFLA_IFNAME:
			l.Name = string(bytes.TrimRight(a.Value, "\x00"))
		case unix.IFLA_MTU:
			if len(a.Value) == 4 {
				l.MTU = int(binary.NativeEndian.Uint32(a.Value))
			}
		case unix.IFLA_ADDRESS:
			l.MAC = net.HardwareAddr(a.Value)
		}
	}
	return l, nil
}

// Addr is an interface address as a dump reports it.
type AddrInfo struct {
	Index int
	Addr  *net.IPNet
}

// Addrs lists the addresses of the socket's namespace.
func (s *Socket) Addrs() ([]AddrInfo, error) { return s.AddrsAt(OwnNamespace) }

// AddrsAt lists the addresses of the namespace whose id is nsid in the
// socket's namespace, or of its own for OwnNamespace (see LinksAt).
func (s *Socket) AddrsAt(nsid int) ([]AddrInfo, error) {
	req := nl.NewNetlinkRequest(unix.RTM_GETADDR, unix.NLM_F_DUMP)
	req.AddData(nl.NewIfAddrmsg(unix.AF_UNSPEC))
	if nsid != OwnNamespace {
		if err := s.strictChecking(); err != nil {
			return nil, err
		}
		req.AddData(nl.NewRtAttr(unix.IFA_TARGET_NETNSID, nl.Uint32Attr(uint32(nsid))))
	}
	var out []AddrInfo
	err := s.do(req, true, func(b []byte) {
		if len(b) < unix.SizeofIfAddrmsg {
			return
		}
		m := nl.DeserializeIfAddrmsg(b)
		attrs, err := nl.ParseRouteAttr(b[unix.SizeofIfAddrmsg:])
		if err != nil {
			return
		}
		bits := 32
		if m.Family == unix.AF_INET6 {
			bits = 128
		}
		var ip net.IP
		for _, a := range attrs {
			switch a.Attr.Type {
			case unix.IFA_LOCAL:
				ip = net.IP(a.Value)
			case unix.IFA_ADDRESS:
				if ip == nil {
					ip = net.IP(a.Value)
				}
			}
		}
		if ip != nil {
			out = append(out, AddrInfo{Index: int(m.Index), Addr: &net.IPNet{IP: ip, Mask: net.CIDRMask(int(m.Prefixlen), bits)}})
		}
	})
	return out, err
}

// strictChecking has the kernel check dump requests strictly: only then do
// address dumps heed IFA_TARGET_NETNSID (inet_dump_ifaddr), and without it
// a dump aimed at a node's namespace would list the socket's own.
// The error is kept: a later dump on a socket that could not be made
// strict must fail too, not list the socket's own namespace.
func (s *Socket) strictChecking() error {
	s.strict.Do(func() {
		if err := unix.SetsockoptInt(int(s.f.Fd()), unix.SOL_NETLINK, unix.NETLINK_GET_STRICT_CHK, 1); err != nil {
			s.strictErr = os.NewSyscallError("setsockopt NETLINK_GET_STRICT_CHK", err)
		}
	})
	return s.strictErr
}

// SetNSID gives the network namespace netns (a descriptor) the id nsid in
// the socket's namespace, by which the socket's dumps may target it
// (LinksAt, AddrsAt).
func (s *Socket) SetNSID(netns, nsid int) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWNSID, 0)
	req.AddData(nl.NewRtGenMsg())
	req.AddData(nl.NewRtAttr(unix.NETNSA_FD, nl.Uint32Attr(uint32(netns))))
	req.AddData(nl.NewRtAttr(unix.NETNSA_NSID, nl.Uint32Attr(uint32(nsid))))
	if err := s.do(req, false, nil); err != nil {
		return fmt.Errorf("give a network namespace id %d: %w", nsid, err)
	}
	return nil
}

// RouteInfo is a route of the main table as a dump reports it.
type RouteInfo struct {
	Dst      *net.IPNet // with its prefix length; 0.0.0.0/0 or ::/0 for a default route
	Type     uint8      // RTN_UNICAST, RTN_BLACKHOLE, ...
	Protocol uint8      // RTPROT_KERNEL, RTPROT_STATIC, RTPROT_OSPF, ...
	Priority int        // the metric
	Nexthops []NexthopInfo
}

// NexthopInfo is one way a route goes: a gateway (nil for a connected
// route) and an interface, by index.
type NexthopInfo struct {
	Gateway net.IP
	Index   int
}

// Routes lists the IPv4 and IPv6 routes of the main table of the socket's
// namespace, each with every nexthop of a multipath route.
func (s *Socket) Routes() ([]RouteInfo, error) {
	var out []RouteInfo
	for _, family := range []int{unix.AF_INET, unix.AF_INET6} {
		req := nl.NewNetlinkRequest(unix.RTM_GETROUTE, unix.NLM_F_DUMP)
		m := &nl.RtMsg{}
		m.Family = uint8(family)
		req.AddData(m)
		err := s.do(req, true, func(b []byte) {
			if r, ok := parseRoute(b); ok {
				out = append(out, r)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parseRoute reads one RTM_NEWROUTE message, and reports whether it is a
// route of the main table. What it returns is copied out of b, which is
// the socket's buffer.
func parseRoute(b []byte) (RouteInfo, bool) {
	if len(b) < unix.SizeofRtMsg {
		return RouteInfo{}, false
	}
	m := nl.DeserializeRtMsg(b)
	attrs, err := nl.ParseRouteAttr(b[unix.SizeofRtMsg:])
	if err != nil {
		return RouteInfo{}, false
	}
	bits := 32
	if m.Family == unix.AF_INET6 {
		bits = 128
	}
	table := uint32(m.Table)
	r := RouteInfo{Type: m.Type, Protocol: m.Protocol}
	var dst net.IP
	var gw net.IP
	oif := 0
	for _, a := range attrs {
		switch a.Attr.Type {
		case unix.RTA_TABLE:
			if len(a.Value) >= 4 {
				table = binary.NativeEndian.Uint32(a.Value)
			}
		case unix.RTA_DST:
			dst = slices.Clone(net.IP(a.Value))
		case unix.RTA_GATEWAY:
			gw = slices.Clone(net.IP(a.Value))
		case unix.RTA_VIA:
			gw = viaAddr(a.Value)
		case unix.RTA_OIF:
			if len(a.Value) >= 4 {
				oif = int(binary.NativeEndian.Uint32(a.Value))
			}
		case unix.RTA_PRIORITY:
			if len(a.Value) >= 4 {
				r.Priority = int(binary.NativeEndian.Uint32(a.Value))
			}
		case unix.RTA_MULTIPATH:
			r.Nexthops = append(r.Nexthops, parseMultipath(a.Value)...)
		}
	}
	if table != unix.RT_TABLE_MAIN {
		return RouteInfo{}, false
	}
	if dst == nil {
		dst = make(net.IP, bits/8)
	}
	r.Dst = &net.IPNet{IP: dst, Mask: net.CIDRMask(int(m.Dst_len), bits)}
	if len(r.Nexthops) == 0 && (gw != nil || oif != 0) {
		r.Nexthops = []NexthopInfo{{Gateway: gw, Index: oif}}
	}
	return r, true
}

// parseMultipath reads RTA_MULTIPATH: a list of rtnexthop, each followed
// by its own attributes.
func parseMultipath(b []byte) []NexthopInfo {
	const sizeofRtNexthop = 8 // len u16, flags u8, hops u8, ifindex i32
	var out []NexthopInfo
	for len(b) >= sizeofRtNexthop {
		n := int(binary.NativeEndian.Uint16(b[0:2]))
		if n < sizeofRtNexthop || n > len(b) {
			break
		}
		nh := NexthopInfo{Index: int(int32(binary.NativeEndian.Uint32(b[4:8])))}
		if attrs, err := nl.ParseRouteAttr(b[sizeofRtNexthop:n]); err == nil {
			for _, a := range attrs {
				switch a.Attr.Type {
				case unix.RTA_GATEWAY:
					nh.Gateway = slices.Clone(net.IP(a.Value))
				case unix.RTA_VIA:
					nh.Gateway = viaAddr(a.Value)
				}
			}
		}
		out = append(out, nh)
		step := (n + 3) &^ 3
		if step > len(b) {
			break
		}
		b = b[step:]
	}
	return out
}

// viaAddr reads RTA_VIA: a family (u16) and an address of that family,
// as an IPv4 route through an IPv6 gateway has it.
func viaAddr(b []byte) net.IP {
	if len(b) < 2 {
		return nil
	}
	return slices.Clone(net.IP(b[2:]))
}

// parseSafely runs each on one answer, turning a panic of a parser on a
// malformed one into an error.
func parseSafely(each func([]byte), b []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("netlink: malformed answer: %v", r)
		}
	}()
	each(b)
	return nil
}
