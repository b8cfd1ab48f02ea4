package topology

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Reader walks one YAML document strictly and collects its problems, each
// an *Error at its place: values of the wrong shape, unknown and duplicate
// keys, aliases that expand too far. netlab's own format and
// topology/clab's containerlab format are both read through it, so both
// say the same things the same way.
type Reader struct {
	File   string
	errs   []*Error
	budget int // values the walk may still visit
	// unread are where values are that could not be read, each reported:
	// rules that would take one for empty or missing stay quiet.
	unread map[Pos]bool
}

// NewReader reads the single YAML document in data. It returns the
// document's top value, or nil, with the reason among the reader's
// errors, when there is nothing to walk; emptyHint says what to write in an
// empty file.
func NewReader(file string, data []byte, emptyHint string) (*Reader, *yaml.Node) {
	r := &Reader{File: file, budget: 10*len(data) + 10000, unread: map[Pos]bool{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			r.Errorf(Pos{1, 1}, "empty topology file; %s", emptyHint)
		} else {
			r.errs = append(r.errs, syntaxError(file, data, err))
		}
		return r, nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		r.Errorf(PosOf(&next), "a second YAML document; keep one topology per file and remove this --- and what follows")
	case err != io.EOF:
		r.errs = append(r.errs, syntaxError(file, data, err))
	}
	if len(doc.Content) == 0 || IsNull(Deref(doc.Content[0])) {
		r.Errorf(Pos{1, 1}, "empty topology file; %s", emptyHint)
		return r, nil
	}
	return r, Deref(doc.Content[0])
}

// Errorf records a problem at a place of the file.
func (r *Reader) Errorf(at Pos, format string, args ...any) {
	r.errs = append(r.errs, &Error{File: r.File, Pos: at, Msg: fmt.Sprintf(format, args...)})
}

// Refuse records a problem with the value at a place: it could not be
// read (see Unread).
func (r *Reader) Refuse(at Pos, format string, args ...any) {
	r.Errorf(at, format, args...)
	r.unread[at] = true
}

// Unread reports whether the value at p could not be read, and so was
// reported.
func (r *Reader) Unread(p Pos) bool { return r.unread[p] }

// Add records problems found elsewhere, such as in a file the document
// names.
func (r *Reader) Add(errs ...*Error) { r.errs = append(r.errs, errs...) }

// Errs returns the problems recorded so far.
func (r *Reader) Errs() []*Error { return r.errs }

// Failed reports whether any problem was recorded.
func (r *Reader) Failed() bool { return len(r.errs) > 0 }

// PosOf is where a YAML value is.
func PosOf(n *yaml.Node) Pos { return Pos{Line: n.Line, Col: n.Column} }

// Deref follows YAML aliases to the value they stand for.
func Deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// IsNull reports whether n is YAML's null (a key with nothing after it).
func IsNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// Describe is n as a message names what was found instead of what was
// wanted: a mapping, a list, empty, a long text or the value quoted.
func Describe(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case IsNull(n):
		return "empty"
	case len(n.Value) > 40 || strings.Contains(n.Value, "\n"):
		return "a long text"
	}
	return strconv.Quote(n.Value)
}

// Shape reports whether n is a mapping or a list as wanted. An empty value
// (`key:` with nothing after it) is an empty mapping or list: false, but no
// error.
func (r *Reader) Shape(n *yaml.Node, want yaml.Kind, what, example string) bool {
	if n.Kind == want {
		return true
	}
	if !IsNull(n) {
		noun := map[yaml.Kind]string{yaml.MappingNode: "a mapping", yaml.SequenceNode: "a list"}[want]
		r.Refuse(PosOf(n), "%s must be %s, not %s; write %s", what, noun, Describe(n), example)
	}
	return false
}

// Scalar returns n's text when it is a single value, and says otherwise.
func (r *Reader) Scalar(n *yaml.Node, what, example string) (string, bool) {
	if n.Kind != yaml.ScalarNode || IsNull(n) {
		r.Refuse(PosOf(n), "%s must be a single value, not %s; write %s", what, Describe(n), example)
		return "", false
	}
	return n.Value, true
}

// spend charges the walk for the children of n. Aliases let a small file
// stand for a huge tree, so the walk stops after visiting ten times more
// values than the file could hold without them.
func (r *Reader) spend(n *yaml.Node) bool {
	r.budget -= len(n.Content)
	if r.budget < 0 && r.budget+len(n.Content) >= 0 {
		r.Errorf(PosOf(n), "the aliases in this file expand to too many values; write the values out, or share them through defaults")
	}
	return r.budget >= 0
}

// Items lists a list's values, aliases followed.
func (r *Reader) Items(n *yaml.Node) []*yaml.Node {
	if !r.spend(n) {
		return nil
	}
	all := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		all[i] = Deref(c)
	}
	return all
}

// Pair is one entry of a mapping.
type Pair struct{ Key, Val *yaml.Node }

// Pairs lists a mapping's entries. yaml.v3 keeps duplicate keys in a
// yaml.Node, so they are reported here ("duplicate NOUN "x" WHERE (first
// at line N); HINT"), and only the first is kept.
func (r *Reader) Pairs(m *yaml.Node, noun, where, hint string) []Pair {
	if !r.spend(m) {
		return nil
	}
	first := map[string]int{}
	var all []Pair
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := Deref(m.Content[i]), Deref(m.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			r.Errorf(PosOf(k), "a %s must be a name, not %s; write name: value", noun, Describe(k))
			continue
		}
		if line, ok := first[k.Value]; ok {
			r.Errorf(PosOf(k), "duplicate %s %q %s (first at line %d); %s", noun, k.Value, where, line, hint)
			continue
		}
		first[k.Value] = k.Line
		all = append(all, Pair{k, v})
	}
	return all
}

// Fields returns the entries of a mapping with a fixed set of keys. An
// unknown key is an error that lists the valid ones, or, when hints has a
// message for it (what netlab does instead), that message after ": ".
func (r *Reader) Fields(m *yaml.Node, where string, valid []string, hints map[string]string) map[string]Pair {
	known := map[string]Pair{}
	for _, p := range r.Pairs(m, "key", where, "keep only one") {
		if !slices.Contains(valid, p.Key.Value) {
			if hint, ok := hints[p.Key.Value]; ok {
				r.Errorf(PosOf(p.Key), "unknown key %q %s: %s", p.Key.Value, where, hint)
			} else {
				r.Errorf(PosOf(p.Key), "unknown key %q %s; valid keys are %s", p.Key.Value, where, strings.Join(valid, ", "))
			}
			continue
		}
		known[p.Key.Value] = p
	}
	return known
}

// MappingValue returns the value of key in the mapping m, aliases
// followed, or nil.
func MappingValue(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := Deref(m.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			return Deref(m.Content[i+1])
		}
	}
	return nil
}
