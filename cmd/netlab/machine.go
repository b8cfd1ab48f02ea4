package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/topology"
)

// What down, status, graph and completion ask of netlab about the labs on
// this machine. Variables, so that tests can stand in for a machine with
// labs up: netlab's state root is fixed, and root's.
var (
	listLabs = netlab.Labs
	downLab  = netlab.Down
	labBusy  = netlab.Busy
	downAll  = netlab.DownAll
	statusOf = netlab.Status
	labNodes = func(name string) ([]string, error) {
		l, err := netlab.Open(name)
		if err != nil {
			return nil, err
		}
		return l.Nodes(), nil
	}
	// labSince is when a lab's state was last written: when up finished,
	// for a lab that is up.
	labSince = func(name string) (time.Time, error) {
		fi, err := os.Stat(filepath.Join(netlab.StateRoot(), name, "state.json"))
		if err != nil {
			return time.Time{}, err
		}
		return fi.ModTime(), nil
	}
	now = time.Now
)

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
