package events

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// Event is one thing that happened in a lab.
type Event struct {
	Time      time.Time         `json:"time"`
	Lab       string            `json:"lab"`
	Node      string            `json:"node,omitempty"`
	Interface string            `json:"interface,omitempty"`
	Kind      string            `json:"kind"`
	Details   map[string]string `json:"details,omitempty"`
}

// Text is the event as one line: time, LAB/NODE[:IF], kind, details as
// KEY=VALUE sorted by key. Names and values are as they are: a terminal's
// caller escapes them.
func (e Event) Text() string {
	var b strings.Builder
	b.WriteString(e.Time.Format("2006-01-02T15:04:05.000Z07:00"))
	b.WriteString(" " + e.Lab)
	if e.Node != "" {
		b.WriteString("/" + e.Node)
	}
	if e.Interface != "" {
		b.WriteString(":" + e.Interface)
	}
	b.WriteString(" " + e.Kind)
	keys := make([]string, 0, len(e.Details))
	for k := range e.Details {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := e.Details[k]
		if v == "" || strings.ContainsAny(v, " \"") {
			v = fmt.Sprintf("%q", v)
		}
		b.WriteString(" " + k + "=" + v)
	}
	return b.String()
}

// maxLine bounds one line of a log: well under what one write to a file
// opened O_APPEND keeps whole among other writers (a page).
const maxLine = 2048

// Log appends ev to the events log at path, one JSON line in one write,
// so that lines of verbs that run at once never interleave.
func Log(path string, ev Event) error {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	if len(b) >= maxLine {
		return fmt.Errorf("event %s of %s: %d bytes, more than a line of the events log takes", ev.Kind, ev.Lab, len(b))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("events log: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("events log: %w", err)
	}
	return nil
}
