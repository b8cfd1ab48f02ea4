package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Tunnel is this host's end of a link to a node of another host: a kernel
// VXLAN device in the local node's network namespace, under the link end's
// name, whose UDP socket lives in the namespace of the socket that makes it
// (the host's, where the underlay is). Nothing is made in the host's
// namespace but that socket, which the kernel closes with the device: when
// the node's namespace goes, so does all of the tunnel.
//
// Learning is off: the one remote is the other host, written as the
// device's default forwarding entry (all-zero MAC), with the other host's
// port, which may differ from the one this host listens on.
type Tunnel struct {
	End    End        // the local end: node, name, MAC and ifindex
	VNI    uint32     // 1 to 2^24-1, the same at both hosts
	Local  netip.Addr // this host's underlay address: the source of what the tunnel sends
	Remote netip.Addr // the other host's
	Port   int        // the UDP port this host's tunnels listen on
	// RemotePort is the UDP port the other host's listen on.
	RemotePort int
	MTU        int // the device's MTU
}

// MaxVNI is the largest VXLAN network identifier: it has 24 bits.
const MaxVNI = 1<<24 - 1

// addTunnel makes t's VXLAN device, up, in its node's namespace (opened
// through open), through host, a socket of the namespace its UDP socket
// must live in. Its remote is set by Wire, through the node's own socket
// (see configure).
func addTunnel(host *Socket, t *Tunnel, open *netnsCache) error {
	netns, err := open.fd(t.End.Node)
	if err != nil {
		return err
	}
	req, data := newEnd(t.End, netns, t.MTU, "vxlan")
	data.AddRtAttr(nl.IFLA_VXLAN_ID, nl.Uint32Attr(t.VNI))
	if t.Local.Is4() {
		data.AddRtAttr(nl.IFLA_VXLAN_LOCAL, t.Local.AsSlice())
	} else {
		data.AddRtAttr(nl.IFLA_VXLAN_LOCAL6, t.Local.AsSlice())
	}
	data.AddRtAttr(nl.IFLA_VXLAN_LEARNING, nl.Uint8Attr(0))
	data.AddRtAttr(nl.IFLA_VXLAN_PORT, htons16(uint16(t.Port)))
	if err := host.do(req, false, nil); err != nil {
		if err == unix.EEXIST {
			return fmt.Errorf("create VXLAN device: VNI %d on UDP port %d is taken on this host (another VXLAN device has it): %w", t.VNI, t.Port, err)
		}
		return fmt.Errorf("create VXLAN device: %w", err)
	}
	return nil
}

// setRemote makes remote, on port, where VXLAN device index sends all it
// sends: its default forwarding entry, as `bridge fdb append
// 00:00:00:00:00:00 dev DEV dst REMOTE port PORT` writes it.
func (s *Socket) setRemote(index int, remote netip.Addr, port int) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWNEIGH, unix.NLM_F_CREATE|unix.NLM_F_APPEND)
	req.AddData(&netlink.Ndmsg{
		Family: unix.AF_BRIDGE,
		Index:  uint32(index),
		State:  unix.NUD_NOARP | unix.NUD_PERMANENT,
		Flags:  unix.NTF_SELF,
	})
	req.AddData(nl.NewRtAttr(unix.NDA_LLADDR, make([]byte, 6)))
	req.AddData(nl.NewRtAttr(unix.NDA_DST, remote.AsSlice()))
	req.AddData(nl.NewRtAttr(unix.NDA_PORT, htons16(uint16(port))))
	return s.do(req, false, nil)
}

// htons16 is v in network byte order, as VXLAN's port attributes take it.
func htons16(v uint16) []byte {
	return binary.BigEndian.AppendUint16(nil, v)
}
