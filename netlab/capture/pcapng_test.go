package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/gopacket/pcapgo"
)

// TestStatisticsReadBack: an interface statistics block reads back, by
// pcapgo, with the capture's start, end and packets received, and carries
// the kernel's drops as isb_osdrop (which pcapgo does not parse: read here
// by the pcapng layout).
func TestStatisticsReadBack(t *testing.T) {
	var buf bytes.Buffer
	w, err := newNgWriter(&buf, []iface{{Name: "r1:eth1", LinkType: linkTypeEthernet}}, 262144)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(1700000000, 123456789)
	end := start.Add(1500 * time.Millisecond)
	if err := w.writeStats(0, start, end, 10, 3); err != nil {
		t.Fatal(err)
	}
	w.flush()

	var got []pcapgo.NgInterfaceStatistics
	opts := pcapgo.DefaultNgReaderOptions
	opts.StatisticsCallback = func(_ int, s pcapgo.NgInterfaceStatistics) { got = append(got, s) }
	r, err := pcapgo.NewNgReader(bytes.NewReader(buf.Bytes()), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.ReadPacketData(); !errors.Is(err, io.EOF) {
		t.Fatalf("read: %v, want the end (no packets)", err)
	}
	if len(got) != 1 || got[0].PacketsReceived != 10 || !got[0].StartTime.Equal(start) || !got[0].EndTime.Equal(end) {
		t.Errorf("statistics read back: %+v; want 10 received from %v to %v", got, start, end)
	}

	// Blocks: type, total length, body, total length; an ISB's body is
	// interface id, timestamp (8), then options (code, length, value
	// padded to 4).
	le := binary.LittleEndian
	var osdrop []uint64
	for b := buf.Bytes(); len(b) >= 12; {
		typ, n := le.Uint32(b), int(le.Uint32(b[4:]))
		if typ == blockStatistics {
			for o := b[20 : n-4]; len(o) >= 4; {
				code, l := le.Uint16(o), int(le.Uint16(o[2:]))
				if code == optIsbOsdrop && l == 8 {
					osdrop = append(osdrop, le.Uint64(o[4:]))
				}
				o = o[min(4+(l+3)&^3, len(o)):]
			}
		}
		b = b[n:]
	}
	if len(osdrop) != 1 || osdrop[0] != 3 {
		t.Errorf("isb_osdrop: %v, want [3]", osdrop)
	}
}
