package topology

import (
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"10mbit", 10e6, true}, {"1.5Mbit", 1.5e6, true}, {"100kbit", 1e5, true}, {"1gbit", 1e9, true},
		{"1000", 1000, true}, {"1mbps", 8e6, true}, {"2kibit", 2048, true}, {"64bit", 64, true},
		{"fast", 0, false}, {"10 furlongs", 0, false}, {"", 0, false}, {"-1mbit", 0, false}, {"1bit", 0, false},
	} {
		got, err := ParseRate(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
	for bits, want := range map[uint64]string{10e6: "10mbit", 1500e3: "1500kbit", 8: "8bit", 2e9: "2gbit", 1234567: "1234567bit"} {
		if got := FormatRate(bits); got != want {
			t.Errorf("FormatRate(%d) = %q, want %q", bits, got, want)
		}
	}
}

func TestImpairmentString(t *testing.T) {
	im := Impairment{Rate: 10e6, Delay: 20 * time.Millisecond, Loss: 1.5}
	if got := im.String(); got != "rate 10mbit delay 20ms loss 1.5%" {
		t.Errorf("String() = %q", got)
	}
	if !(Impairment{}).Zero() || im.Zero() || !im.NeedsNetem() || (Impairment{Rate: 1e6, Loss: 1}).NeedsNetem() {
		t.Error("Zero/NeedsNetem")
	}
}
