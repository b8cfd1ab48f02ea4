package topology

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Impairment is what a link does to the packets each of its ends sends
// (its egress), the same for both ends: so a round trip sees it twice.
// Zero values mean none.
type Impairment struct {
	Rate      uint64        `json:"rate,omitempty"`      // bits per second; tbf
	Delay     time.Duration `json:"delay,omitempty"`     // netem
	Jitter    time.Duration `json:"jitter,omitempty"`    // netem, with Delay
	Loss      float64       `json:"loss,omitempty"`      // percent of packets dropped
	Duplicate float64       `json:"duplicate,omitempty"` // percent; netem
	Corrupt   float64       `json:"corrupt,omitempty"`   // percent; netem
}

// Zero reports whether i impairs nothing.
func (i Impairment) Zero() bool { return i == Impairment{} }

// NeedsNetem reports whether i asks for what only sch_netem does.
func (i Impairment) NeedsNetem() bool {
	return i.Delay > 0 || i.Jitter > 0 || i.Duplicate > 0 || i.Corrupt > 0
}

// String is i as tc would write it, e.g. "rate 10mbit delay 20ms loss 1%".
func (i Impairment) String() string {
	var parts []string
	if i.Rate > 0 {
		parts = append(parts, "rate "+FormatRate(i.Rate))
	}
	if i.Delay > 0 {
		parts = append(parts, "delay "+i.Delay.String())
	}
	if i.Jitter > 0 {
		parts = append(parts, "jitter "+i.Jitter.String())
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"loss", i.Loss}, {"duplicate", i.Duplicate}, {"corrupt", i.Corrupt}} {
		if p.v > 0 {
			parts = append(parts, p.name+" "+strconv.FormatFloat(p.v, 'f', -1, 64)+"%")
		}
	}
	return strings.Join(parts, " ")
}

// impairmentKeys are the link keys that impair it.
var impairmentKeys = []string{"rate", "delay", "jitter", "loss", "duplicate", "corrupt"}

// impairment reads the impairment keys of a long-form link.
func (d *decoder) impairment(f map[string]Pair, what string) Impairment {
	var im Impairment
	for _, key := range impairmentKeys {
		p, ok := f[key]
		if !ok {
			continue
		}
		s, ok := d.Scalar(p.Val, key+" of "+what, impairmentExample[key])
		if !ok {
			continue
		}
		if err := im.Set(key, s); err != nil {
			d.Refuse(PosOf(p.Val), "bad %s %s of %s: %v; write e.g. %s", key, quoteIfOdd(s), what, err, impairmentExample[key])
		}
	}
	return im
}

// Set reads s as the impairment key (rate, delay, jitter, loss, duplicate,
// corrupt: the YAML key, and link set's flag) into im.
func (im *Impairment) Set(key, s string) error {
	var err error
	switch key {
	case "rate":
		im.Rate, err = ParseRate(s)
	case "delay":
		im.Delay, err = ParseLinkDuration(s)
	case "jitter":
		im.Jitter, err = ParseLinkDuration(s)
	case "loss":
		im.Loss, err = ParsePercent(s)
	case "duplicate":
		im.Duplicate, err = ParsePercent(s)
	case "corrupt":
		im.Corrupt, err = ParsePercent(s)
	default:
		err = fmt.Errorf("no impairment %q", key)
	}
	return err
}

var impairmentExample = map[string]string{
	"rate": "rate: 10mbit (kbit, mbit, gbit; kbps, mbps, gbps are bytes per second)", "delay": "delay: 20ms",
	"jitter": "jitter: 5ms", "loss": "loss: 1%", "duplicate": "duplicate: 0.5%", "corrupt": "corrupt: 0.1%",
}

// quoteIfOdd quotes s when it holds anything that does not print.
func quoteIfOdd(s string) string {
	q := strconv.Quote(s)
	if q[1:len(q)-1] == s {
		return s
	}
	return q
}

// ParseRate reads a rate as tc spells it: a number with bit, kbit, mbit,
// gbit, tbit (bits per second, powers of 1000; kibit... powers of 1024), or
// bps, kbps, mbps, gbps, tbps (bytes per second); a bare number is bits.
func ParseRate(s string) (uint64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	i := strings.IndexFunc(t, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("not a rate")
	}
	mult := map[string]float64{
		"": 1, "bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9, "tbit": 1e12,
		"kibit": 1 << 10, "mibit": 1 << 20, "gibit": 1 << 30, "tibit": 1 << 40,
		"bps": 8, "kbps": 8e3, "mbps": 8e6, "gbps": 8e9, "tbps": 8e12,
	}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("unknown unit %q", unit)
	}
	bits := v * mult
	if bits < 8 || bits > 1e15 || math.IsNaN(bits) {
		return 0, fmt.Errorf("out of range (8bit to 1000tbit)")
	}
	return uint64(bits), nil
}

// FormatRate writes bits per second as tc does: 10mbit, 1500kbit, 8bit.
func FormatRate(bits uint64) string {
	for _, u := range []struct {
		name string
		n    uint64
	}{{"tbit", 1e12}, {"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}} {
		if bits >= u.n && bits%u.n == 0 {
			return strconv.FormatUint(bits/u.n, 10) + u.name
		}
	}
	return strconv.FormatUint(bits, 10) + "bit"
}

// ParsePercent reads 1%, 0.5% or 1 (percent) in [0, 100].
func ParsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("not a percentage")
	}
	if v < 0 || v > 100 || math.IsNaN(v) {
		return 0, fmt.Errorf("%v%% is not between 0%% and 100%%", v)
	}
	return v, nil
}

// ParseLinkDuration reads a delay or jitter: a Go duration, at least zero
// and under an hour.
func ParseLinkDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("not a duration")
	}
	if d < 0 || d >= time.Hour {
		return 0, fmt.Errorf("%v is not between 0 and 1h", d)
	}
	return d, nil
}
