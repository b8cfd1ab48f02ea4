package topology

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is one problem in a topology file: where it is, what is wrong and,
// after "; ", what to write instead.
type Error struct {
	File string
	Pos  Pos
	Msg  string
}

func (e *Error) Error() string { return e.Pos.In(e.File) + ": " + e.Msg }

// In is the place p in file as messages name it, FILE:LINE:COL, the file's
// name escaped if it holds what does not print.
func (p Pos) In(file string) string { return fmt.Sprintf("%s:%d:%d", show(file), p.Line, p.Col) }

// show returns s as it is when every character of it prints, and quoted
// with Go's escapes (\x1b, \u202e) otherwise, so that a name a message
// echoes can neither drive the terminal nor hide what it is.
func show(s string) string {
	if printable(s) {
		return s
	}
	return strconv.Quote(s)
}

// printable reports whether s is valid UTF-8 made of characters that
// print, spaces included.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

// controlProblem says why s, a name netlab hands to the kernel or writes
// to a terminal, is unfit for it: invalid UTF-8, or a control character (C0
// such as NUL or ESC, DEL, or C1). It returns "" when s has neither.
func controlProblem(s string) string {
	if !utf8.ValidString(s) {
		return "it is not valid UTF-8"
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return fmt.Sprintf("it contains the control character %q", r)
	}
	return ""
}

// Errors returns the *Error values inside err, which Load and Parse join
// with errors.Join; it returns nil for errors that are not about the
// file's content, such as a file that cannot be read.
func Errors(err error) []*Error {
	switch e := err.(type) {
	case *Error:
		return []*Error{e}
	case interface{ Unwrap() []error }:
		var all []*Error
		for _, inner := range e.Unwrap() {
			all = append(all, Errors(inner)...)
		}
		return all
	case interface{ Unwrap() error }:
		return Errors(e.Unwrap())
	}
	return nil
}

// Join returns errs, each an *Error, in file order and each once, joined
// with errors.Join; nil when there are none.
func Join(errs []*Error) error { return joined(errs) }

// joined returns the collected errors in file order, each once: a value
// reached through several YAML aliases is reported a single time.
func joined(errs []*Error) error {
	slices.SortFunc(errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col), strings.Compare(a.Msg, b.Msg))
	})
	errs = slices.CompactFunc(errs, func(a, b *Error) bool { return *a == *b })
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yaml.v3 reports parser errors (as opposed to scanner errors) with the
// 0-based line of the construct they were in.
var parserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %",
	"found incompatible YAML document",
	"found undefined tag handle",
}

var syntaxHints = []struct{ problem, hint string }{
	{"tab", "indent with spaces, not tabs"},
	{"cannot start any token", `quote values that start with @, ` + "`" + ` or %`},
	{"mapping values are not allowed", `quote values that contain ": ", or fix the indentation`},
	{"did not find expected key", "line up the keys of this mapping and check the indentation of the lines below"},
	{"did not find expected '-'", "line up the - of every item of this list"},
	{"did not find expected ','", "close the [ or { that starts here, and separate its items with commas"},
	{"unexpected end of stream", "close the quote or bracket that is still open"},
	{"unknown anchor", "define the anchor with &name before using *name"},
	{"control characters", "remove the control character"},
	{"UTF-8", "save the file as UTF-8"},
	{"UTF-16", "save the file as UTF-8"},
}

// syntaxError turns a yaml.v3 error, which has at most a line, into an
// *Error with a position and a hint.
func syntaxError(file string, data []byte, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	pos := Pos{Line: 1, Col: 1}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if slices.ContainsFunc(parserProblems, func(p string) bool { return strings.HasPrefix(msg, p) }) {
			pos.Line++
		}
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	pos.Line = min(pos.Line, len(lines))
	switch {
	case strings.Contains(msg, "tab") || strings.Contains(msg, "cannot start any token") && strings.Contains(lines[pos.Line-1], "\t"):
		// The tab yaml.v3 trips over is the first one used for indenting,
		// wherever yaml.v3 thinks it noticed it.
		for i, l := range lines {
			if indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]; strings.Contains(indent, "\t") {
				pos = Pos{Line: i + 1, Col: strings.Index(indent, "\t") + 1}
				msg = "found a tab character that violates indentation"
				break
			}
		}
	case strings.HasPrefix(msg, "unknown anchor '"):
		name := strings.TrimSuffix(strings.TrimPrefix(msg, "unknown anchor '"), "' referenced")
		if i := bytes.Index(data, []byte("*"+name)); i >= 0 {
			pos = offsetPos(data, i)
		}
	case !yamlLine.MatchString(err.Error()):
		// Reader errors carry no line; find the offending byte ourselves.
		if i := badByte(data); i >= 0 {
			pos = offsetPos(data, i)
		}
	default:
		pos.Col = syntaxColumn(msg, lines[pos.Line-1])
	}
	hint := "fix the YAML syntax here"
	for _, h := range syntaxHints {
		if strings.Contains(msg, h.problem) {
			hint = h.hint
			break
		}
	}
	return &Error{File: file, Pos: pos, Msg: "syntax error: " + msg + "; " + hint}
}

// syntaxColumn is where on line the problem yaml.v3 names (msg) is, in
// characters from 1, since yaml.v3 says only the line: the bracket or
// quote left open, the colon too many, the character no token starts
// with; else the line's first character that is not a blank.
func syntaxColumn(msg, line string) int {
	col := func(i int) int { return utf8.RuneCountInString(line[:i]) + 1 }
	first := len(line) - len(strings.TrimLeft(line, " \t"))
	// Brackets and quotes outside quotes, and colons that end a key.
	var open []int
	quote, quoteAt := byte(0), -1
	var colons []int
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote, quoteAt = c, i
		case c == '#' && (i == 0 || line[i-1] == ' '):
			i = len(line) // a comment
		case c == '{' || c == '[':
			open = append(open, i)
		case (c == '}' || c == ']') && len(open) > 0:
			open = open[:len(open)-1]
		case c == ':' && (i+1 == len(line) || line[i+1] == ' '):
			colons = append(colons, i)
		}
	}
	switch {
	case strings.HasPrefix(msg, "did not find expected ','"):
		if len(open) > 0 {
			return col(open[0])
		}
	case strings.Contains(msg, "unexpected end of stream"):
		if quote != 0 {
			return col(quoteAt)
		}
		if len(open) > 0 {
			return col(open[0])
		}
	case strings.HasPrefix(msg, "mapping values are not allowed"):
		// The colon after a value: the second of the line, or the
		// first of a line yaml.v3 read as a value.
		if len(colons) > 1 {
			return col(colons[1])
		}
		if len(colons) == 1 {
			return col(colons[0])
		}
	case strings.Contains(msg, "cannot start any token"):
		if i := strings.IndexAny(line[first:], "@`%"); i >= 0 {
			return col(first + i)
		}
	}
	return col(first)
}

// badByte returns the offset of the first byte that is not valid UTF-8 or
// is a control character YAML forbids, or -1.
func badByte(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 || r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return i
		}
		i += size
	}
	return -1
}

// offsetPos converts a byte offset into a line and a column counted in
// characters, as yaml.v3 counts them.
func offsetPos(data []byte, off int) Pos {
	before := data[:off]
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return Pos{Line: bytes.Count(before, []byte("\n")) + 1, Col: utf8.RuneCount(before[lineStart:]) + 1}
}
