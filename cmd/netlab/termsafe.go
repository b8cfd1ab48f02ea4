package main

import (
	"fmt"
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
