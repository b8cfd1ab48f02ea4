package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/check"
	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/topology"
)

// thisMachine is this machine as this process's netlab sees it (see
// netlab.ThisMachine): chosen once, when a verb first asks, and handed to
// everything the verbs call.
var thisMachine = sync.OnceValue(netlab.ThisMachine)

// What the verbs ask of netlab about the labs on this machine. Variables,
// so that tests can stand in for a machine with labs up: netlab's state
// root is fixed, and root's.
var (
	listLabs = func() ([]string, error) { return thisMachine().Labs() }
	findLab  = func(arg string) (netlab.LabRef, error) { return thisMachine().FindLab(arg) }
	allLabs  = func() ([]netlab.LabRef, []error, error) { return thisMachine().AllLabs() }
	downLab  = func(ctx context.Context, name string) error { return thisMachine().Down(ctx, name) }
	// runAsOwner runs netlab with args as the owner of ref's lab, on its
	// state directory: how root changes another user's lab.
	runAsOwner = func(ctx context.Context, ref netlab.LabRef, args []string, stdout, stderr io.Writer) (int, error) {
		return ref.Machine.RunAsOwner(ctx, args, stdout, stderr)
	}
	labBusy = func(name string) bool { return thisMachine().Busy(name) }
	downAll = func(ctx context.Context) error { return thisMachine().DownAll(ctx) }
	// statusOf is what status says of refs' labs: with live, what their
	// nodes' kernels and agents say too (--brief needs it not).
	statusOf = func(live bool, refs ...netlab.LabRef) ([]netlab.LabStatus, error) {
		if !live {
			return netlab.BriefStatusOf(refs)
		}
		return netlab.StatusOf(refs)
	}
	labNodes = func(name string) ([]string, error) {
		l, err := thisMachine().OpenLab(name)
		if err != nil {
			return nil, err
		}
		return l.Nodes()
	}
	checkSuites = check.Suites
	now         = time.Now
)

// ownLabs are the caller's labs named.
func ownLabs(names ...string) []netlab.LabRef {
	out := make([]netlab.LabRef, len(names))
	for i, n := range names {
		out[i] = netlab.LabRef{Machine: thisMachine(), Name: n}
	}
	return out
}

// namedLabs are the labs LAB arguments name: LAB, a lab of the caller's,
// or USER:LAB, another user's (root only). Each must be up, or at least
// have state; the error of one that has not says which are.
func namedLabs(verb string, args []string) ([]netlab.LabRef, error) {
	var own []string
	var ownListed bool
	var refs []netlab.LabRef
	for _, a := range args {
		ref, err := findLab(a)
		if err != nil {
			return nil, err
		}
		if ref.Machine.Own() {
			if !ownListed {
				if own, err = listLabs(); err != nil {
					return nil, err
				}
				ownListed = true
			}
			if !slices.Contains(own, ref.Name) {
				return nil, thisMachine().NotUpError(ref.Name, "", own)
			}
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// everyLab is every lab of the caller's or, with allUsers (root only),
// every lab of every user, root's among them. A user's state directory
// that root will not read (see netlab.Machine) is said on stderr, once.
func everyLab(cmd *cobra.Command, allUsers bool) ([]netlab.LabRef, error) {
	if !allUsers {
		names, err := listLabs()
		return ownLabs(names...), err
	}
	refs, refused, err := allLabs()
	if err != nil {
		return nil, usageError("%v", err)
	}
	for _, r := range refused {
		fmt.Fprintln(cmd.ErrOrStderr(), "netlab: warning: "+termSafe(r.Error()))
	}
	return refs, nil
}

// classMode reports whether refs reach beyond the caller's own labs:
// reports then name every lab with its owner.
func classMode(refs []netlab.LabRef) bool {
	return slices.ContainsFunc(refs, func(r netlab.LabRef) bool { return !r.Machine.Own() })
}

// runOwnersNetlab runs netlab with args as the owner of ref's lab, on its
// state directory (see netlab.Machine.RunAsOwner): how root changes
// another user's lab. What that process prints is escaped here, newlines
// aside: the user could write anything in its place.
func runOwnersNetlab(ctx context.Context, cmd *cobra.Command, ref netlab.LabRef, args []string) error {
	stdout, stderr := newSafeWriter(cmd.OutOrStdout()), newSafeWriter(cmd.ErrOrStderr())
	code, err := runAsOwner(ctx, ref, args, stdout, stderr)
	stdout.Flush()
	stderr.Flush()
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// errNoLabUp is the error of every verb that needs a lab when none is up.
var errNoLabUp = &exitError{code: exitFailure, msg: "no lab is up; start one with: netlab up FILE"}

// liveTopology is a running lab as status sees it, as a topology to draw
// and count: its nodes with their kinds, the interfaces that are link ends
// with the addresses they have now (and the loopback's, but 127.0.0.1 and
// ::1), and its links, found from either end. up holds the links whose two
// ends are up; a link to a node that is not running is down.
//
// Status knows a lab's links only through the interfaces of its running
// nodes: a link both of whose nodes are not running is not shown, and a
// link's MTU is the one its first end has now (0 where that is the default,
// 1500).
func liveTopology(ls netlab.LabStatus) (t *topology.Topology, up map[*topology.Link]bool) {
	t = &topology.Topology{Name: ls.Name, File: ls.File}
	up = map[*topology.Link]bool{}
	nodes := map[string]*topology.Node{}
	state := map[topology.Endpoint]string{}
	for _, ns := range ls.Nodes {
		n := &topology.Node{Name: ns.Name, Kind: topology.Kind(ns.Kind)}
		nodes[n.Name] = n
		t.Nodes = append(t.Nodes, n)
		for _, is := range ns.Interfaces {
			if is.Peer == "" && is.Name != "lo" {
				continue
			}
			i := &topology.Interface{Name: is.Name}
			for _, a := range is.Addresses {
				p, err := netip.ParsePrefix(a)
				if err != nil || is.Name == "lo" && p.Addr().IsLoopback() {
					continue
				}
				i.Addrs = append(i.Addrs, p)
			}
			n.Interfaces = append(n.Interfaces, i)
			state[topology.Endpoint{Node: n.Name, Interface: is.Name}] = is.State
		}
	}
	seen := map[[2]topology.Endpoint]bool{}
	for _, ns := range ls.Nodes {
		for _, is := range ns.Interfaces {
			peer, ok := parseEndpoint(is.Peer)
			if !ok {
				continue
			}
			a := topology.Endpoint{Node: ns.Name, Interface: is.Name}
			if seen[[2]topology.Endpoint{peer, a}] || seen[[2]topology.Endpoint{a, peer}] {
				continue
			}
			seen[[2]topology.Endpoint{a, peer}] = true
			pn := nodes[peer.Node]
			if pn == nil {
				continue // state from another netlab
			}
			if pn.Interface(peer.Interface) == nil {
				pn.Interfaces = append(pn.Interfaces, &topology.Interface{Name: peer.Interface})
			}
			l := &topology.Link{Endpoints: [2]topology.Endpoint{a, peer}}
			if is.MTU != 1500 {
				l.MTU = is.MTU
			}
			t.Links = append(t.Links, l)
			up[l] = state[a] == "up" && state[peer] == "up"
		}
	}
	return t, up
}

// parseEndpoint splits NODE:IFNAME.
func parseEndpoint(s string) (topology.Endpoint, bool) {
	node, ifname, ok := strings.Cut(s, ":")
	return topology.Endpoint{Node: node, Interface: ifname}, ok && node != "" && ifname != ""
}
