package capture

import (
	"errors"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// errGone ends a reader whose interface went away.
var errGone = errors.New("the interface went away")

// readEnd is how a reader ended: nil when told to stop.
type readEnd struct {
	intf int
	err  error
}

// oobSize holds a timestamp and auxiliary data, with room to spare.
const oobSize = 128

// read hands every frame of the socket to out, as packets of interface
// intf, until stop closes or the socket's read deadline passes (nil), the
// interface goes away (errGone) or a read fails.
func (s *source) read(intf, snaplen int, out chan<- packet, stop <-chan struct{}) error {
	rc, err := s.f.SyscallConn()
	if err != nil {
		return err
	}
	ethernet := s.linkType == linkTypeEthernet
	buf := make([]byte, snaplen)
	oob := make([]byte, oobSize)
	for {
		var n, oobn int
		var from unix.Sockaddr
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			// MSG_TRUNC: n is the frame's whole length, even past buf.
			n, oobn, _, from, rerr = unix.Recvmsg(int(fd), buf, oob, unix.MSG_TRUNC)
			return rerr != unix.EAGAIN
		})
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, os.ErrClosed) {
				return nil
			}
			return err
		}
		switch {
		case rerr == unix.EINTR:
			continue
		case rerr == unix.ENETDOWN:
			// The link went down (it may come up again and the socket
			// with it), or the interface is gone: then the socket is
			// bound to no interface any more.
			if s.unbound() {
				return errGone
			}
			continue
		case rerr != nil:
			return os.NewSyscallError("recvmsg", rerr)
		}
		var pkttype uint8
		if ll, ok := from.(*unix.SockaddrLinklayer); ok {
			pkttype = ll.Pkttype
		}
		if s.hatype == unix.ARPHRD_LOOPBACK && pkttype == packetOutgoing {
			continue // seen again as it arrives
		}
		ts, aux := parseControl(oob[:oobn])
		if ts == 0 {
			ts = time.Now().UnixNano()
		}
		p := packet{ts: ts, intf: intf, length: n, flags: pktFlags(pkttype)}
		p.data = frame(buf[:min(n, len(buf))], aux, ethernet, snaplen)
		if aux != nil && vlanTagged(aux) && ethernet && n >= 12 {
			p.length += 4
		}
		select {
		case out <- p:
		case <-stop:
			return nil
		}
	}
}

// unbound reports whether the socket lost its interface.
func (s *source) unbound() bool {
	rc, err := s.f.SyscallConn()
	if err != nil {
		return true
	}
	gone := false
	rc.Control(func(fd uintptr) {
		sa, err := unix.Getsockname(int(fd))
		ll, ok := sa.(*unix.SockaddrLinklayer)
		gone = err != nil || !ok || ll.Ifindex <= 0
	})
	return gone
}

// parseControl finds the kernel's timestamp (0 if none) and the packet's
// auxiliary data (nil if none) among the control messages of a recvmsg.
func parseControl(oob []byte) (int64, *unix.TpacketAuxdata) {
	var ts int64
	var aux *unix.TpacketAuxdata
	hdr := unix.CmsgLen(0)
	for len(oob) >= hdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		if int(h.Len) < hdr || int(h.Len) > len(oob) {
			break
		}
		data := oob[hdr:h.Len]
		switch {
		case h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && len(data) >= int(unsafe.Sizeof(unix.Timespec{})):
			t := (*unix.Timespec)(unsafe.Pointer(&data[0]))
			ts = t.Nano()
		case h.Level == unix.SOL_PACKET && h.Type == unix.PACKET_AUXDATA && len(data) >= int(unsafe.Sizeof(unix.TpacketAuxdata{})):
			a := *(*unix.TpacketAuxdata)(unsafe.Pointer(&data[0]))
			aux = &a
		}
		next := unix.CmsgSpace(int(h.Len) - hdr)
		if next > len(oob) {
			break
		}
		oob = oob[next:]
	}
	return ts, aux
}

// vlanTagged reports whether the kernel took a VLAN tag off the frame, as
// libpcap tells it.
func vlanTagged(aux *unix.TpacketAuxdata) bool {
	return aux.Vlan_tci != 0 || aux.Status&unix.TP_STATUS_VLAN_VALID != 0
}

// frame copies the captured bytes b of a frame, with the VLAN tag the
// kernel took off put back after the MAC addresses of an Ethernet frame,
// at most snaplen bytes.
func frame(b []byte, aux *unix.TpacketAuxdata, ethernet bool, snaplen int) []byte {
	if aux == nil || !ethernet || !vlanTagged(aux) || len(b) < 12 {
		return append([]byte(nil), b...)
	}
	tpid := uint16(0x8100)
	if aux.Status&unix.TP_STATUS_VLAN_TPID_VALID != 0 && aux.Vlan_tpid != 0 {
		tpid = aux.Vlan_tpid
	}
	out := make([]byte, 0, len(b)+4)
	out = append(out, b[:12]...)
	out = append(out, byte(tpid>>8), byte(tpid), byte(aux.Vlan_tci>>8), byte(aux.Vlan_tci))
	out = append(out, b[12:]...)
	if len(out) > snaplen {
		out = out[:snaplen]
	}
	return out
}
