package capture

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"time"
)

// linkType is a pcapng LINKTYPE_ value.
type linkType uint16

const (
	linkTypeEthernet linkType = 1
	linkTypeRaw      linkType = 101 // raw IP, for interfaces without a link header
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
	LinkType    linkType
}

// ngWriter writes one pcapng section: its header, one interface
// description block per interface, enhanced packet blocks with epb_flags,
// and interface statistics, all little-endian, into one buffered writer.
// Written here rather than with gopacket's pcapgo, which does the same:
// importing it links gopacket/layers, whose package initialisation costs
// every netlab command (exec included) about 4 ms.
type ngWriter struct {
	bw  *bufio.Writer
	hdr [40]byte
}

// writeBufferSize is the stream's buffer: what accumulates between
// flushes.
const writeBufferSize = 256 << 10

// pcapng block types and option codes (draft-ietf-opsawg-pcapng).
const (
	blockSection    = 0x0A0D0D0A
	blockInterface  = 1
	blockStatistics = 5
	blockPacket     = 6

	optEnd         = 0
	optShbHardware = 2
	optShbOS       = 3
	optShbUserAppl = 4
	optIfName      = 2
	optIfDesc      = 3
	optIfTsresol   = 9
	optIfOS        = 12
	optIsbStart    = 2
	optIsbEnd      = 3
	optIsbIfrecv   = 4
	optIsbOsdrop   = 7
)

func newNgWriter(w io.Writer, ifaces []iface, snaplen int) (*ngWriter, error) {
	if len(ifaces) == 0 {
		return nil, fmt.Errorf("no interface to capture")
	}
	nw := &ngWriter{bw: bufio.NewWriterSize(w, writeBufferSize)}
	le := binary.LittleEndian
	body := le.AppendUint32(nil, 0x1A2B3C4D) // byte-order magic
	body = le.AppendUint16(body, 1)          // version 1.0
	body = le.AppendUint16(body, 0)
	body = le.AppendUint64(body, ^uint64(0)) // section length: not said
	body = appendOpt(body, optShbHardware, []byte(runtime.GOARCH))
	body = appendOpt(body, optShbOS, []byte(runtime.GOOS))
	body = appendOpt(body, optShbUserAppl, []byte("netlab capture"))
	if err := nw.block(blockSection, appendOpt(body, optEnd, nil)); err != nil {
		return nil, err
	}
	for _, i := range ifaces {
		b := le.AppendUint16(nil, uint16(i.LinkType))
		b = le.AppendUint16(b, 0)
		b = le.AppendUint32(b, uint32(snaplen))
		b = appendOpt(b, optIfName, []byte(i.Name))
		if i.Description != "" {
			b = appendOpt(b, optIfDesc, []byte(i.Description))
		}
		b = appendOpt(b, optIfTsresol, []byte{9}) // nanoseconds
		b = appendOpt(b, optIfOS, []byte(runtime.GOOS))
		if err := nw.block(blockInterface, appendOpt(b, optEnd, nil)); err != nil {
			return nil, err
		}
	}
	return nw, nil
}

// block writes a block of type typ whose body (options included) is body.
func (w *ngWriter) block(typ uint32, body []byte) error {
	le := binary.LittleEndian
	total := uint32(12 + len(body))
	b := le.AppendUint32(make([]byte, 0, total), typ)
	b = le.AppendUint32(b, total)
	b = append(b, body...)
	b = le.AppendUint32(b, total)
	_, err := w.bw.Write(b)
	return err
}

// appendOpt appends a pcapng option, its value padded to 32 bits.
func appendOpt(b []byte, code uint16, value []byte) []byte {
	le := binary.LittleEndian
	b = le.AppendUint16(b, code)
	b = le.AppendUint16(b, uint16(len(value)))
	b = append(b, value...)
	return append(b, make([]byte, (4-len(value)&3)&3)...)
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
	le.PutUint32(h[0:], blockPacket)
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
	le := binary.LittleEndian
	ts := func(b []byte, t time.Time) []byte {
		ns := uint64(t.UnixNano())
		return le.AppendUint32(le.AppendUint32(b, uint32(ns>>32)), uint32(ns))
	}
	b := le.AppendUint32(nil, uint32(intf))
	b = ts(b, end)
	b = appendOpt(b, optIsbStart, ts(nil, start))
	b = appendOpt(b, optIsbEnd, ts(nil, end))
	b = appendOpt(b, optIsbIfrecv, le.AppendUint64(nil, received))
	b = appendOpt(b, optIsbOsdrop, le.AppendUint64(nil, dropped))
	return w.block(blockStatistics, appendOpt(b, optEnd, nil))
}

// buffered reports whether anything waits to be flushed.
func (w *ngWriter) buffered() bool { return w.bw.Buffered() > 0 }

func (w *ngWriter) flush() error { return w.bw.Flush() }
