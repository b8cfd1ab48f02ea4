package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// termSafe returns s with what a terminal could act on made visible: every
// C0 control character (tab and newline too), DEL and each byte of invalid
// UTF-8 as \xNN, every C1 control character (U+0080..U+009F) as \uNNNN.
// Names a node or a topology chose (interfaces read back over netlink,
// file paths, lab names) go through it before they reach a terminal, so
// that none can retitle the window, clear the screen or fake output. It
// leaves other text as it is, and its own output unchanged.
func termSafe(s string) string { return escapeControls(s, "", `\`) }

// termSafeLines is termSafe for text of several lines: each line made safe,
// the newlines between them kept.
func termSafeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = termSafe(l)
	}
	return strings.Join(lines, "\n")
}

// escapeControls replaces what termSafe replaces, except the control
// characters in keep; each escape starts with backslash (`\`, or `\\` where
// the output is itself a quoted string that reads `\\` as one backslash).
func escapeControls(s, keep, backslash string) string {
	i := 0
	for i < len(s) && needsNoEscape(s, i, keep) {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "%sx%02x", backslash, s[i])
		case (r < 0x20 || r == 0x7f) && !strings.ContainsRune(keep, r):
			fmt.Fprintf(&b, "%sx%02x", backslash, r)
		case r >= 0x80 && r <= 0x9f:
			fmt.Fprintf(&b, "%su%04x", backslash, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// needsNoEscape is the fast path of escapeControls: printable ASCII, and
// the control characters of keep.
func needsNoEscape(s string, i int, keep string) bool {
	c := s[i]
	return c >= 0x20 && c < 0x7f || c < 0x20 && strings.IndexByte(keep, c) >= 0
}

// safeWriter passes what is written to it on to w as termSafe would,
// newlines and tabs kept: a stream (a node's log, another user's
// process's output) made safe for a terminal line by line. A UTF-8
// sequence split between two writes is held until its end comes.
type safeWriter struct {
	w    io.Writer
	held []byte
}

func newSafeWriter(w io.Writer) *safeWriter { return &safeWriter{w: w} }

func (s *safeWriter) Write(p []byte) (int, error) {
	b := append(s.held, p...)
	s.held = nil
	// Hold back the start of a rune that the next write may complete.
	if cut := incompleteTail(b); cut < len(b) {
		s.held = append([]byte(nil), b[cut:]...)
		b = b[:cut]
	}
	if _, err := io.WriteString(s.w, escapeControls(string(b), "\t\n", `\`)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes what is held back, as it is: escaped, since it did not end
// as valid UTF-8.
func (s *safeWriter) Flush() error {
	if len(s.held) == 0 {
		return nil
	}
	_, err := io.WriteString(s.w, escapeControls(string(s.held), "\t\n", `\`))
	s.held = nil
	return err
}

// incompleteTail is where a UTF-8 sequence that b ends in the middle of
// starts, or len(b).
func incompleteTail(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return len(b)
}
