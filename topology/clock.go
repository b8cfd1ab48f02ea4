package topology

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// Clock is a node's own clock: a time namespace whose monotonic and boot
// clocks run Offset ahead of the host's (behind, when negative). The wall
// clock (CLOCK_REALTIME) cannot be offset by the kernel: a node that must
// believe another date needs libfaketime.
type Clock struct {
	Offset time.Duration
	Pos    Pos // where the clock key is
	At     At  `json:"-"` // where offset is
}

// Zero reports whether c leaves the node on the host's clocks.
func (c Clock) Zero() bool { return c.Offset == 0 }

const clockExample = "clock: {offset: 240h}"

// MaxClockOffset bounds a clock offset either way: a century, far inside
// what the kernel takes, far beyond what a lab needs.
const MaxClockOffset = 100 * 365 * 24 * time.Hour

// clock reads a clock: mapping of a node or of defaults.
func (d *decoder) clock(p Pair, label string) Clock {
	what := "clock of " + label
	c := Clock{Pos: PosOf(p.Key), At: At{}}
	if !d.Shape(p.Val, yaml.MappingNode, what, clockExample) {
		return c
	}
	f := d.Fields(p.Val, "in "+what, []string{"offset"}, nil)
	q, ok := f["offset"]
	if !ok {
		d.Errorf(PosOf(p.Val), "%s has no offset:; write how far ahead its clocks run, e.g. %s", what, clockExample)
		return c
	}
	c.At["offset"] = PosOf(q.Val)
	s, ok := d.Scalar(q.Val, "offset of "+what, "offset: 240h")
	if !ok {
		return c
	}
	off, err := time.ParseDuration(s)
	if err != nil {
		d.Refuse(PosOf(q.Val), "offset %s of %s is not a duration; write a number and a unit, e.g. offset: 240h (ten days) or -90m", show(s), what)
		return c
	}
	c.Offset = off
	return c
}

// clockProblem says what is wrong with a clock offset, or returns "".
func clockProblem(c Clock) string {
	if c.Offset > MaxClockOffset || c.Offset < -MaxClockOffset {
		return fmt.Sprintf("is more than a century; write at most %v either way", MaxClockOffset)
	}
	return ""
}
