package topology

import (
	"errors"
	"fmt"
	"path"
	"slices"
)

// ValidName reports whether s may name a lab or a node: lower-case letters,
// digits and inner dashes, at most 32 bytes. Such a name is safe as a path
// element, a hostname and part of a network namespace name.
func ValidName(s string) bool { return validName(s) }

// Validate checks a Topology that was built in Go rather than loaded, for
// what netlab relies on being true of a loaded one: names it turns into
// paths, hostnames and interface names, sysctl keys it writes as root, and
// links that refer to what exists. Load and Parse already guarantee all of
// it. Errors carry the positions the Topology holds, which may be zero.
func Validate(t *Topology) error {
	var errs []error
	bad := func(p Pos, format string, a ...any) {
		errs = append(errs, &Error{File: t.File, Pos: p, Msg: fmt.Sprintf(format, a...)})
	}
	if !validName(t.Name) {
		bad(Pos{}, "bad lab name %q; use lower-case letters, digits and '-', at most 32", t.Name)
	}
	seen := map[string]*Node{}
	ends := map[Endpoint]bool{}
	for _, n := range t.Nodes {
		if !validName(n.Name) {
			bad(n.Pos, "bad node name %q; use lower-case letters, digits and '-', at most 32", n.Name)
		}
		if seen[n.Name] != nil {
			bad(n.Pos, "node %s is defined twice", n.Name)
		}
		seen[n.Name] = n
		if !slices.Contains(Kinds, n.Kind) {
			bad(n.Pos, "node %s has unknown kind %q; use one of %v", n.Name, n.Kind, Kinds)
		}
		for _, i := range n.Interfaces {
			if p := ifnameProblem(i.Name); p != "" {
				bad(i.Pos, "bad interface name %q of node %s: %s", i.Name, n.Name, p)
			}
			e := Endpoint{Node: n.Name, Interface: i.Name}
			if ends[e] {
				bad(i.Pos, "interface %s is listed twice", e)
			}
			ends[e] = true
		}
		for _, s := range n.Sysctls {
			if p := sysctlProblem(s.Key); p != "" {
				bad(s.Pos, "sysctl %s of node %s %s", s.Key, n.Name, p)
			}
		}
		for _, f := range n.Files {
			if !path.IsAbs(f.Key) || path.Clean(f.Key) != f.Key {
				bad(f.Pos, "file %q of node %s: write an absolute, clean path", f.Key, n.Name)
			}
		}
	}
	linked := map[Endpoint]bool{}
	for _, l := range t.Links {
		for _, e := range l.Endpoints {
			switch {
			case !ends[e]:
				bad(l.Pos, "link end %s is not an interface of a node", e)
			case e.Interface == "lo":
				bad(l.Pos, "link end %s is a loopback", e)
			case linked[e]:
				bad(l.Pos, "interface %s is on two links", e)
			}
			linked[e] = true
		}
	}
	return errors.Join(errs...)
}
