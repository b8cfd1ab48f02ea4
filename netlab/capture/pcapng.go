package capture

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// epb_flags (pcapng, section 4.3.1): direction in bits 0-1, reception type
// in bits 2-4.
const (
	flagInbound  uint32 = 1
	flagOutbound uint32 = 2

	flagUnicast     uint32 = 1 << 2
	flagMulticast   uint32 = 2 << 2
	flagBroadcast   uint32 = 3 << 2
	flagPromiscuous uint32 = 4 << 2
)

// Packet types of sockaddr_ll (linux/if_packet.h).
const (
	packetHost      = 0
	packetBroadcast = 1
	packetMulticast = 2
	packetOtherHost = 3
	packetOutgoing  = 4
)

// pktFlags is the epb_flags of a frame of packet type pkttype.
func pktFlags(pkttype uint8) uint32 {
	switch pkttype {
	case packetHost:
		return flagInbound | flagUnicast
	case packetBroadcast:
		return flagInbound | flagBroadcast
	case packetMulticast:
		return flagInbound | flagMulticast
	case packetOtherHost:
		return flagInbound | flagPromiscuous
	case packetOutgoing:
		return flagOutbound
	}
	return 0 // PACKET_LOOPBACK and others: not said
}

// iface describes one interface of the stream.
type iface struct {
	Name        string // the block's if_name: NODE:IF
	Description string
	LinkType    layers.LinkType
}

// ngWriter writes one pcapng section. pcapgo's NgWriter writes the
// section header, interface descriptions and statistics; packet blocks,
// with epb_flags, are written here. Both write into one bufio.Writer:
// pcapgo wraps the writer it is given in bufio.NewWriter, which returns a
// *bufio.Writer of at least its default size as it is, so the blocks keep
// their order without flushing in between.
type ngWriter struct {
	bw  *bufio.Writer
	ng  *pcapgo.NgWriter
	hdr [40]byte
}

// writeBufferSize is the stream's buffer: what accumulates between
// flushes.
const writeBufferSize = 256 << 10

func newNgWriter(w io.Writer, ifaces []iface, snaplen int) (*ngWriter, error) {
	bw := bufio.NewWriterSize(w, writeBufferSize)
	if len(ifaces) == 0 {
		return nil, fmt.Errorf("no interface to capture")
	}
	opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{
		Hardware: runtime.GOARCH, OS: runtime.GOOS, Application: "netlab capture",
	}}
	intf := func(i iface) pcapgo.NgInterface {
		return pcapgo.NgInterface{Name: i.Name, Description: i.Description, OS: runtime.GOOS,
			LinkType: i.LinkType, SnapLength: uint32(snaplen), TimestampResolution: 9}
	}
	ng, err := pcapgo.NewNgWriterInterface(bw, intf(ifaces[0]), opts)
	if err != nil {
		return nil, err
	}
	for _, i := range ifaces[1:] {
		if _, err := ng.AddInterface(intf(i)); err != nil {
			return nil, err
		}
	}
	return &ngWriter{bw: bw, ng: ng}, nil
}

// writePacket writes an enhanced packet block: data (the captured bytes)
// of a frame length bytes long on the wire, seen on interface intf at ts
// (nanoseconds since the epoch), with epb_flags when flags is not 0.
func (w *ngWriter) writePacket(intf int, ts int64, data []byte, length int, flags uint32) error {
	pad := (4 - len(data)&3) & 3
	total := 32 + len(data) + pad
	if flags != 0 {
		total += 12 // epb_flags (4 + 4), opt_endofopt (4)
	}
	h := w.hdr[:28]
	le := binary.LittleEndian
	le.PutUint32(h[0:], 6) // enhanced packet block
	le.PutUint32(h[4:], uint32(total))
	le.PutUint32(h[8:], uint32(intf))
	le.PutUint32(h[12:], uint32(uint64(ts)>>32))
	le.PutUint32(h[16:], uint32(ts))
	le.PutUint32(h[20:], uint32(len(data)))
	le.PutUint32(h[24:], uint32(length))
	if _, err := w.bw.Write(h); err != nil {
		return err
	}
	if _, err := w.bw.Write(data); err != nil {
		return err
	}
	t := w.hdr[:0]
	t = append(t, 0, 0, 0, 0)[:pad]
	if flags != 0 {
		t = le.AppendUint16(t, 2) // epb_flags
		t = le.AppendUint16(t, 4)
		t = le.AppendUint32(t, flags)
		t = le.AppendUint32(t, 0) // opt_endofopt
	}
	t = le.AppendUint32(t, uint32(total))
	_, err := w.bw.Write(t)
	return err
}

// writeStats writes an interface statistics block for interface intf.
func (w *ngWriter) writeStats(intf int, start, end time.Time, received, dropped uint64) error {
	return w.ng.WriteInterfaceStats(intf, pcapgo.NgInterfaceStatistics{
		LastUpdate: end, StartTime: start, EndTime: end,
		PacketsReceived: received, PacketsDropped: dropped,
	})
}

// buffered reports whether anything waits to be flushed.
func (w *ngWriter) buffered() bool { return w.bw.Buffered() > 0 }

func (w *ngWriter) flush() error { return w.bw.Flush() }
