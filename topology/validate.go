package topology

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ValidName reports whether s may name a lab or a node: lower-case letters,
// digits and inner dashes, at most 32 bytes. Such a name is safe as a path
// element, a hostname and part of a network namespace name.
func ValidName(s string) bool { return validName(s) }

// ValidServiceName reports whether s may name a service (it names its log
// file too).
func ValidServiceName(s string) bool { return serviceNameProblem(s) == "" }

// Validate checks a Topology that was built in Go rather than loaded, for
// what netlab relies on being true of a loaded one: names it turns into
// paths, hostnames and interface names, sysctl keys it writes as root,
// service names it turns into log file names and their commands, links
// that refer to what exists, addresses the kernel would refuse, and limits
// within their bounds (zero for the default). Load and Parse already
// guarantee all of it. When any of it fails, files outside the node's
// private view, which netlab.Check refuses, are reported along with it, so
// that every error comes at once. Errors carry the positions the Topology holds, which
// may be zero; names they echo are quoted when they hold characters that do
// not print.
func Validate(t *Topology) error {
	var errs []error
	bad := func(p Pos, format string, a ...any) {
		errs = append(errs, &Error{File: t.File, Pos: p, Msg: fmt.Sprintf(format, a...)})
	}
	if !validName(t.Name) {
		bad(Pos{}, "bad lab name %q; use lower-case letters, digits and '-', at most 32", t.Name)
	}
	seen := map[string]*Node{}
	sysctls := sysctlCache{}
	ends := map[Endpoint]bool{}
	for _, n := range t.Nodes {
		if !validName(n.Name) {
			bad(n.Pos, "bad node name %q; use lower-case letters, digits and '-', at most 32", n.Name)
		}
		name := show(n.Name)
		if seen[n.Name] != nil {
			bad(n.Pos, "node %s is defined twice", name)
		}
		seen[n.Name] = n
		if !slices.Contains(Kinds, n.Kind) {
			bad(n.Pos, "node %s has unknown kind %q; use one of %v", name, n.Kind, Kinds)
		}
		for _, i := range n.Interfaces {
			if p := ifnameProblem(i.Name); p != "" {
				bad(i.Pos, "bad interface name %q of node %s: %s", i.Name, name, p)
			}
			e := Endpoint{Node: n.Name, Interface: i.Name}
			if ends[e] {
				bad(i.Pos, "interface %s is listed twice", show(e.String()))
			}
			ends[e] = true
			for _, a := range i.Addrs {
				if p := loopbackProblem(a); p != "" {
					bad(i.Pos, "address %s of node %s %s %s", a, name, show(i.Name), p)
				}
			}
		}
		for _, s := range n.Sysctls {
			if p := sysctls.problem(s.Key); p != "" {
				bad(s.Pos, "sysctl %s of node %s %s", show(s.Key), name, p)
			}
		}
		for _, f := range n.Files {
			if p := filePathProblem(f.Key); p != "" {
				bad(f.Pos, "file path %q of node %s %s", f.Key, name, p)
			}
		}
		services := map[string]bool{}
		for _, sv := range n.Services {
			if p := serviceNameProblem(sv.Key); p != "" {
				bad(sv.Pos, "service name %q of node %s %s; %s", sv.Key, name, p, serviceNameHint)
			}
			if services[sv.Key] {
				bad(sv.Pos, "service %s of node %s is listed twice", show(sv.Key), name)
			}
			services[sv.Key] = true
			if strings.TrimSpace(sv.Value) == "" {
				bad(sv.Pos, "service %s of node %s has an empty command", show(sv.Key), name)
			}
		}
		for _, r := range n.Ready {
			switch {
			case !services[r.Service]:
				bad(r.Pos, "ready of node %s names service %s, which the node does not have", name, show(r.Service))
			case (r.Port != 0) == (r.Cmd != ""):
				bad(r.Pos, "ready of service %s of node %s must give a port or a cmd, one of them", show(r.Service), name)
			case r.Port < 0 || r.Port > 65535:
				bad(r.Pos, "ready of service %s of node %s has port %d; a TCP port is from 1 to 65535", show(r.Service), name, r.Port)
			case r.Wait != nil && (*r.Wait < 0 || *r.Wait > MaxCheckWait):
				bad(r.Pos, "ready of service %s of node %s waits %v; wait from 0s to an hour", show(r.Service), name, *r.Wait)
			}
		}
	}
	linked := map[Endpoint]bool{}
	for _, l := range t.Links {
		for _, e := range l.Endpoints {
			switch {
			case !ends[e]:
				bad(l.Pos, "link end %s is not an interface of a node", show(e.String()))
			case e.Interface == "lo":
				bad(l.Pos, "link end %s is a loopback", show(e.String()))
			case linked[e]:
				bad(l.Pos, "interface %s is on two links", show(e.String()))
			}
			linked[e] = true
		}
	}
	lim := t.Limits
	if p := pidsProblem(int64(lim.Pids)); lim.Pids != 0 && p != "" {
		bad(lim.Pos, "pids %d of limits %s", lim.Pids, p)
	}
	if p := memoryProblem(lim.Memory); lim.Memory != 0 && p != "" {
		bad(lim.Pos, "memory %d of limits %s", lim.Memory, p)
	}
	if p := cpusProblem(lim.CPUs); lim.CPUs != 0 && p != "" {
		bad(lim.Pos, "cpus %g of limits %s", lim.CPUs, p)
	}
	validateChecks(t, bad)
	if len(errs) > 0 {
		// It fails anyway: say now what netlab.Check would say once the
		// rest is fixed (see viewError).
		errs = append(errs, ViewErrors(t))
	}
	return errors.Join(errs...)
}
