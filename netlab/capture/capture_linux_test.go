package capture

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/google/gopacket/pcapgo"
	"golang.org/x/sys/unix"
)

// testSources makes a capture of n sources whose sockets are datagram
// socket pairs, no packet sockets: the far ends, returned, play the
// interfaces. It needs no privilege.
func testSources(t testing.TB, names ...string) (*Capture, []int) {
	t.Helper()
	c := &Capture{}
	var far []int
	for _, name := range names {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.SetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
			t.Fatal(err)
		}
		unix.SetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
		unix.SetNonblock(fds[0], true)
		c.sources = append(c.sources, &source{name: name, f: os.NewFile(uintptr(fds[0]), name),
			hatype: unix.ARPHRD_ETHER, linkType: linkTypeEthernet, start: time.Now()})
		unix.SetNonblock(fds[1], true)
		far = append(far, fds[1])
		t.Cleanup(func() { unix.Close(fds[1]) })
	}
	t.Cleanup(func() { c.Close() })
	return c, far
}

// send writes b to fd, a far end of testSources, waiting while its
// queue is full, and reports whether it could.
func send(fd int, b []byte) bool {
	for {
		_, err := unix.Write(fd, b)
		if err != unix.EAGAIN {
			return err == nil
		}
		runtime.Gosched()
	}
}

// ethFrame is a broadcast Ethernet frame of size bytes whose payload
// starts with n.
func ethFrame(n uint32, size int) []byte {
	b := make([]byte, size)
	copy(b, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5})
	binary.BigEndian.PutUint32(b[14:], n)
	return b
}

type readBack struct {
	names   []string
	packets []readPacket
	stats   []int // the interface of each statistics block
}

type readPacket struct {
	intf int
	ts   time.Time
	n    uint32
	len  int
}

func readPcapng(t *testing.T, b []byte) readBack {
	t.Helper()
	var rb readBack
	opts := pcapgo.DefaultNgReaderOptions
	opts.StatisticsCallback = func(intf int, _ pcapgo.NgInterfaceStatistics) { rb.stats = append(rb.stats, intf) }
	r, err := pcapgo.NewNgReader(bytes.NewReader(b), opts)
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read back packet %d: %v", len(rb.packets), err)
		}
		rb.packets = append(rb.packets, readPacket{intf: ci.InterfaceIndex, ts: ci.Timestamp, n: binary.BigEndian.Uint32(data[14:]), len: ci.Length})
	}
	for i := 0; i < r.NInterfaces(); i++ {
		ifc, _ := r.Interface(i)
		rb.names = append(rb.names, ifc.Name)
	}
	return rb
}

func TestRunCountAndOrder(t *testing.T) {
	c, far := testSources(t, "r1:eth1", "r2:eth1", "r3:eth2")
	go func() {
		for i := range uint32(300) {
			send(far[i%3], ethFrame(i, 60+int(i)))
		}
	}()
	var out bytes.Buffer
	st, err := c.Run(context.Background(), &out, Options{Count: 300, Window: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != 300 || len(st.Interfaces) != 3 || st.Interfaces[1].Written != 100 {
		t.Errorf("stats: %+v", st)
	}
	rb := readPcapng(t, out.Bytes())
	if !slices.Equal(rb.names, []string{"r1:eth1", "r2:eth1", "r3:eth2"}) {
		t.Errorf("interfaces: %q", rb.names)
	}
	if len(rb.packets) != 300 {
		t.Fatalf("read back %d packets", len(rb.packets))
	}
	for i, p := range rb.packets {
		if i > 0 && p.ts.Before(rb.packets[i-1].ts) {
			t.Errorf("packet %d at %v, before packet %d at %v", i, p.ts, i-1, rb.packets[i-1].ts)
		}
		if p.intf != int(p.n%3) || p.len != 60+int(p.n) {
			t.Errorf("packet %d: %+v", i, p)
		}
	}
	// Sent in order, one after the other: the kernel's times keep it.
	for i, p := range rb.packets {
		if p.n != uint32(i) {
			t.Errorf("packet %d is frame %d", i, p.n)
			break
		}
	}
}

// TestRunEnds: by duration, by the context, and with every packet that
// arrived written, the stream complete with statistics.
func TestRunEnds(t *testing.T) {
	c, far := testSources(t, "a:eth1")
	for i := range uint32(5) {
		send(far[0], ethFrame(i, 64))
	}
	var out bytes.Buffer
	start := time.Now()
	st, err := c.Run(context.Background(), &out, Options{Duration: 200 * time.Millisecond})
	took := time.Since(start)
	if err != nil || st.Packets != 5 {
		t.Fatalf("run: %v, %+v", err, st)
	}
	if took < 200*time.Millisecond || took > 2*time.Second {
		t.Errorf("a 200ms capture took %v", took)
	}
	rb := readPcapng(t, out.Bytes())
	if len(rb.packets) != 5 {
		t.Errorf("read back %d packets", len(rb.packets))
	}
	if !slices.Equal(rb.stats, []int{0}) {
		t.Errorf("interface statistics blocks for interfaces %v, want one for 0", rb.stats)
	}

	c, _ = testSources(t, "a:eth1")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	out.Reset()
	if _, err := c.Run(ctx, &out, Options{}); err != nil {
		t.Fatalf("run to the context's end: %v", err)
	}
	if rb := readPcapng(t, out.Bytes()); len(rb.names) != 1 || len(rb.packets) != 0 {
		t.Errorf("empty capture: %+v", rb)
	}
}

// TestRunReaderGone: a pipe whose reader closed ends the capture at once,
// with no packet flowing, and a write that meets EPIPE ends it too.
func TestRunReaderGone(t *testing.T) {
	c, _ := testSources(t, "a:eth1")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	go func() {
		b := make([]byte, 4096)
		r.Read(b) // the header
		r.Close()
	}()
	done := make(chan error, 1)
	go func() {
		_, err := c.Run(context.Background(), w, Options{})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrReaderGone) {
			t.Errorf("run: %v, want ErrReaderGone", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("capture still running 5s after its reader went away")
	}

	c, far := testSources(t, "a:eth1")
	go func() {
		for i := range uint32(100000) {
			if !send(far[0], ethFrame(i, 1000)) {
				return
			}
		}
	}()
	_, err = c.Run(context.Background(), brokenPipe{}, Options{Window: time.Millisecond})
	if !errors.Is(err, ErrReaderGone) {
		t.Errorf("run into EPIPE: %v, want ErrReaderGone", err)
	}
}

type brokenPipe struct{}

func (brokenPipe) Write([]byte) (int, error) { return 0, unix.EPIPE }

// TestPacketFlags: epb_flags says the direction, as pcapng numbers it, in
// the packet block's options.
func TestPacketFlags(t *testing.T) {
	var out bytes.Buffer
	nw, err := newNgWriter(&out, []iface{{Name: "r1:eth1", LinkType: linkTypeEthernet}}, 65535)
	if err != nil {
		t.Fatal(err)
	}
	nw.flush()
	head := out.Len()
	if err := nw.writePacket(0, 1e18, ethFrame(1, 61), 61, pktFlags(packetOutgoing)); err != nil {
		t.Fatal(err)
	}
	nw.writePacket(0, 1e18+1, ethFrame(2, 60), 1500, pktFlags(packetHost))
	nw.writePacket(0, 1e18+2, ethFrame(3, 60), 60, 0)
	nw.flush()
	b := out.Bytes()[head:]
	le := binary.LittleEndian
	var flags []uint32
	for len(b) > 0 {
		typ, total := le.Uint32(b), int(le.Uint32(b[4:]))
		if typ != 6 || total%4 != 0 || total > len(b) || int(le.Uint32(b[total-4:])) != total {
			t.Fatalf("bad block: type %d length %d of %d", typ, total, len(b))
		}
		caplen := int(le.Uint32(b[20:]))
		opts := b[28+(caplen+3)&^3 : total-4]
		f := uint32(0)
		if len(opts) > 0 {
			if le.Uint16(opts) != 2 || le.Uint16(opts[2:]) != 4 || len(opts) != 12 {
				t.Fatalf("options % x", opts)
			}
			f = le.Uint32(opts[4:])
		}
		flags = append(flags, f)
		b = b[total:]
	}
	if want := []uint32{flagOutbound, flagInbound | flagUnicast, 0}; !slices.Equal(flags, want) {
		t.Errorf("epb_flags %v, want %v", flags, want)
	}
	rb := readPcapng(t, out.Bytes())
	if len(rb.packets) != 3 || rb.packets[1].len != 1500 || rb.packets[0].ts.UnixNano() != 1e18 {
		t.Errorf("read back %+v", rb.packets)
	}
}

func TestPktFlags(t *testing.T) {
	for pkttype, want := range map[uint8]uint32{
		packetHost: 1 | 1<<2, packetBroadcast: 1 | 3<<2, packetMulticast: 1 | 2<<2,
		packetOtherHost: 1 | 4<<2, packetOutgoing: 2, 5: 0,
	} {
		if got := pktFlags(pkttype); got != want {
			t.Errorf("pktFlags(%d) = %#x, want %#x", pkttype, got, want)
		}
	}
}

func TestFrameVLAN(t *testing.T) {
	b := ethFrame(7, 64)
	aux := &unix.TpacketAuxdata{Status: unix.TP_STATUS_VLAN_VALID, Vlan_tci: 10}
	got := frame(b, aux, true, 65535)
	if len(got) != 68 || !bytes.Equal(got[12:16], []byte{0x81, 0, 0, 10}) || !bytes.Equal(got[16:], b[12:]) {
		t.Errorf("tagged frame % x", got[:20])
	}
	aux.Status |= unix.TP_STATUS_VLAN_TPID_VALID
	aux.Vlan_tpid = 0x88a8
	if got := frame(b, aux, true, 20); len(got) != 20 || got[12] != 0x88 || got[13] != 0xa8 {
		t.Errorf("802.1ad, snaplen 20: % x", got)
	}
	if got := frame(b, &unix.TpacketAuxdata{}, true, 65535); !bytes.Equal(got, b) {
		t.Errorf("untagged frame changed")
	}
	if got := frame(b, aux, false, 65535); !bytes.Equal(got, b) {
		t.Errorf("raw IP frame changed")
	}
}

func TestParseControl(t *testing.T) {
	ts := unix.NsecToTimespec(1234567890123456789)
	oob := appendCmsg(nil, unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS, (*[16]byte)(unsafe.Pointer(&ts))[:])
	aux := unix.TpacketAuxdata{Status: unix.TP_STATUS_VLAN_VALID, Vlan_tci: 42}
	oob = appendCmsg(oob, unix.SOL_PACKET, unix.PACKET_AUXDATA, (*[20]byte)(unsafe.Pointer(&aux))[:])
	gotTS, gotAux := parseControl(oob)
	if gotTS != 1234567890123456789 || gotAux == nil || gotAux.Vlan_tci != 42 {
		t.Errorf("parseControl: %d %+v", gotTS, gotAux)
	}
	if ts, aux := parseControl(nil); ts != 0 || aux != nil {
		t.Errorf("nothing: %d %+v", ts, aux)
	}
	if ts, aux := parseControl([]byte{1, 2, 3}); ts != 0 || aux != nil {
		t.Errorf("garbage: %d %+v", ts, aux)
	}
}

func appendCmsg(b []byte, level, typ int, data []byte) []byte {
	h := make([]byte, unix.CmsgSpace(len(data)))
	hdr := (*unix.Cmsghdr)(unsafe.Pointer(&h[0]))
	hdr.Level, hdr.Type = int32(level), int32(typ)
	hdr.SetLen(unix.CmsgLen(len(data)))
	copy(h[unix.CmsgLen(0):], data)
	return append(b, h...)
}

func TestWatchReaderFile(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if stop := watchReader(f, func() { t.Error("a file lost its reader") }); stop != nil {
		t.Error("a file is watched")
	}
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	stop := watchReader(w, func() { t.Error("reader gone while it is there") })
	time.Sleep(20 * time.Millisecond)
	stop() // returns: the watcher ended
}

func TestReorder(t *testing.T) {
	var r reorder
	for _, ts := range []int64{5, 3, 9, 3, 1} {
		r.push(packet{ts: ts, length: int(ts)})
	}
	var got []int64
	for {
		p, ok := r.pop(4)
		if !ok {
			break
		}
		got = append(got, p.ts)
	}
	if !slices.Equal(got, []int64{1, 3, 3}) || r.len() != 2 {
		t.Errorf("up to 4: %v, %d held", got, r.len())
	}
	r.push(packet{ts: 2}) // late
	p, _ := r.pop(100)
	if p.ts != 2 || r.late != 1 {
		t.Errorf("late packet: %+v, late %d", p, r.late)
	}
}

// BenchmarkRun is the writer's side of a capture: packets of three
// interfaces through the merge into pcapng, with no kernel involved but
// the socket pairs.
func BenchmarkRun(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run(map[int]string{1: "interfaces=1", 3: "interfaces=3"}[n], func(b *testing.B) {
			names := []string{"r1:eth1", "r2:eth1", "r3:eth1"}[:n]
			const per = 20000
			var total time.Duration
			for b.Loop() {
				c, far := testSources(b, names...)
				frame := ethFrame(1, 100)
				go func() {
					for i := range per * n {
						send(far[i%n], frame)
					}
				}()
				start := time.Now()
				st, err := c.Run(context.Background(), io.Discard, Options{Count: per * n, Window: time.Millisecond})
				total += time.Since(start)
				if err != nil || st.Packets != per*n {
					b.Fatalf("run: %v, %d packets", err, st.Packets)
				}
			}
			b.ReportMetric(float64(per*n*b.N)/total.Seconds(), "packets/s")
		})
	}
}
