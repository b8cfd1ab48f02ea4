package wire

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink/nl"

	"github.com/netlab-dev/netlab/topology"
)

// netemParams is what the kernel's netem_change takes from a qdisc's
// TCA_OPTIONS: the tc_netem_qopt struct, then attributes that override it.
type netemParams struct {
	latency, jitter           time.Duration
	limit, loss, dup, corrupt uint32
	rate                      uint64 // bytes per second
}

// decodeNetem reads TCA_OPTIONS as the kernel does: times in the struct
// are psched ticks of 64 ns, TCA_NETEM_LATENCY64/JITTER64 (ns) replace
// them, TCA_NETEM_RATE64 replaces the 32-bit rate.
func decodeNetem(t *testing.T, b []byte) netemParams {
	t.Helper()
	if len(b) < 24 {
		t.Fatalf("TCA_OPTIONS of %d bytes, want the 24-byte tc_netem_qopt first", len(b))
	}
	u32 := func(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
	p := netemParams{
		latency: time.Duration(u32(b[0:])) << 6, limit: u32(b[4:]), loss: u32(b[8:]),
		dup: u32(b[16:]), jitter: time.Duration(u32(b[20:])) << 6,
	}
	for a := b[24:]; len(a) >= 4; {
		n, typ := int(binary.LittleEndian.Uint16(a)), binary.LittleEndian.Uint16(a[2:])
		if n < 4 || n > len(a) {
			t.Fatalf("bad attribute length %d of %d", n, len(a))
		}
		v := a[4:n]
		switch typ {
		case nl.TCA_NETEM_CORRUPT:
			p.corrupt = u32(v)
		case nl.TCA_NETEM_RATE:
			p.rate = uint64(u32(v))
		case nl.TCA_NETEM_RATE64:
			p.rate = binary.LittleEndian.Uint64(v)
		case tcNetemLatency64:
			p.latency = time.Duration(binary.LittleEndian.Uint64(v))
		case tcNetemJitter64:
			p.jitter = time.Duration(binary.LittleEndian.Uint64(v))
		default:
			t.Fatalf("unexpected netem attribute %d", typ)
		}
		a = a[min((n+3)&^3, len(a)):]
	}
	return p
}

// optionsOf returns the TCA_OPTIONS payload of a serialized RTM_NEWQDISC.
func optionsOf(t *testing.T, msg []byte) []byte {
	t.Helper()
	for a := msg[nlmsgHdrLen+nl.SizeofTcMsg:]; len(a) >= 4; {
		n, typ := int(binary.LittleEndian.Uint16(a)), binary.LittleEndian.Uint16(a[2:])
		if typ == nl.TCA_OPTIONS {
			return a[4:n]
		}
		a = a[(n+3)&^3:]
	}
	t.Fatal("no TCA_OPTIONS")
	return nil
}

// nlmsgHdrLen is the size of struct nlmsghdr.
const nlmsgHdrLen = 16

// TestNetemRequestMeansWhatTcMeans: the kernel reads netlab's netem qdisc
// as it reads the one tc (iproute2 6.1) asks for with the same settings.
// The machine that runs the tests has no sch_netem, so this is how the
// encoding is checked. tc's TCA_OPTIONS were taken with
//
//	unshare -n strace -e trace=sendmsg -xx -s 4096 tc qdisc add dev lo root handle 1: netem limit 10000 ARGS
func TestNetemRequestMeansWhatTcMeans(t *testing.T) {
	for _, c := range []struct {
		args string
		im   topology.Impairment
		tc   string // hex of tc's TCA_OPTIONS payload
	}{
		{"delay 100ms", topology.Impairment{Delay: 100 * time.Millisecond},
			"84d7170010270000000000000000000000000000" + "00000000"},
		{"loss 25%", topology.Impairment{Loss: 25},
			"0000000010270000000000400000000000000000" + "00000000"},
		{"delay 20ms 5ms loss 1% duplicate 2% corrupt 3% rate 10mbit",
			topology.Impairment{Delay: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 1, Duplicate: 2, Corrupt: 3, Rate: 10_000_000},
			"b4c4040010270000295c8f020000000052b81e052d310100" + "0c0004007b14ae0700000000" + "14000600d0121300000000000000000000000000"},
		{"delay 1ms 500us rate 1gbit", topology.Impairment{Delay: time.Millisecond, Jitter: 500 * time.Microsecond, Rate: 1_000_000_000},
			"093d000010270000000000000000000000000000841e0000" + "1400060040597307000000000000000000000000"},
	} {
		tcOpts, err := hex.DecodeString(c.tc)
		if err != nil {
			t.Fatal(err)
		}
		want := decodeNetem(t, tcOpts)
		got := decodeNetem(t, optionsOf(t, netemRequest(1, c.im).Serialize()))
		// tc's ticks are 64 ns: a time may be up to one short in them.
		for _, d := range []struct{ got, want *time.Duration }{{&got.latency, &want.latency}, {&got.jitter, &want.jitter}} {
			if diff := *d.got - *d.want; diff >= 0 && diff < 64 {
				*d.want = *d.got
			}
		}
		if got != want {
			t.Errorf("%s (%s):\n got %+v\nwant %+v (tc's)", strings.TrimSpace(c.args), c.im, got, want)
		}
	}
}
