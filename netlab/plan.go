package netlab

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"

	"github.com/netlab-dev/netlab/topology"
)

// hostsFile is /etc/hosts of every node of the lab: each node by its name
// (its loopback addresses if it has any, else its first address of each
// family) and each interface address as NODE-IFNAME.
func hostsFile(t *topology.Topology) []byte {
	var b bytes.Buffer
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	fmt.Fprintf(&b, "# lab %s, written by netlab\n", t.Name)
	for _, n := range t.Nodes {
		for _, a := range n.NameAddrs() {
			fmt.Fprintf(&b, "%s\t%s\n", a, n.Name)
		}
		for _, ifc := range n.Interfaces {
			for _, p := range ifc.Addrs {
				fmt.Fprintf(&b, "%s\t%s-%s\n", p.Addr(), n.Name, ifc.Name)
			}
		}
	}
	return b.Bytes()
}

// macAddress derives an interface's MAC from lab, node and interface name,
// so that captures and neighbour tables read the same on every run. The
// address is unicast and locally administered.
func macAddress(lab, node, ifname string) net.HardwareAddr {
	sum := sha256.Sum256([]byte(lab + "\x00" + node + "\x00" + ifname))
	mac := net.HardwareAddr(sum[:6])
	mac[0] = mac[0]&^0x01 | 0x02
	return mac
}

// endMAC is the MAC address of end k of link l: the one the topology
// declares, else macAddress's.
func endMAC(lab string, l *topology.Link, k int) net.HardwareAddr {
	if hw, err := net.ParseMAC(l.MACs[k]); err == nil {
		return hw
	}
	e := l.Endpoints[k]
	return macAddress(lab, e.Node, e.Interface)
}

// earlySysctls are written by a node's init before any of its interfaces
// exist, so every interface inherits the .default. values.
//
// No duplicate address detection: a lab's addresses are unique by
// validation, and DAD would hold each new interface's link-local address
// tentative for a second or more, delaying the first IPv6 packets of a lab
// that is up. Forwarding follows the node's kind.
func earlySysctls(k topology.Kind) []string {
	s := []string{
		"net.ipv6.conf.all.accept_dad=0",
		"net.ipv6.conf.default.accept_dad=0",
	}
	if k.Forwards() {
		s = append(s, "net.ipv4.ip_forward=1",
			"net.ipv6.conf.all.forwarding=1",
			"net.ipv6.conf.default.forwarding=1")
	}
	return s
}

// ifindexes numbers every link end within its node: the first end of a
// link gets 10000+i and the second 20000+i, i being the interface's place
// among its node's interfaces. Unique within each node, and never the same
// at both ends of a link (see wire.End), as long as i stays under
// maxNodeInterfaces (see interfaceRangeProblems).
func ifindexes(t *topology.Topology) map[topology.Endpoint]int {
	slot := map[topology.Endpoint]int{}
	for _, n := range t.Nodes {
		for i, ifc := range n.Interfaces {
			slot[topology.Endpoint{Node: n.Name, Interface: ifc.Name}] = i
		}
	}
	out := make(map[topology.Endpoint]int, 2*len(t.Links))
	for _, l := range t.Links {
		out[l.Endpoints[0]] = 10000 + slot[l.Endpoints[0]]
		out[l.Endpoints[1]] = 20000 + slot[l.Endpoints[1]]
	}
	return out
}

// maxNodeInterfaces is how many interfaces a node may have for the ranges
// of ifindexes not to meet.
const maxNodeInterfaces = 10000

// interfaceRangeProblems refuses, at its place, a node with more
// interfaces than ifindexes can number apart.
func interfaceRangeProblems(t *topology.Topology) error {
	var errs []error
	for _, n := range t.Nodes {
		if len(n.Interfaces) > maxNodeInterfaces {
			errs = append(errs, &topology.Error{File: t.File, Pos: n.Pos, Msg: fmt.Sprintf("node %s has %d interfaces; netlab numbers a node's interfaces from 10000 and 20000 (ifindex), so a node takes at most %d: spread its links over more nodes", n.Name, len(n.Interfaces), maxNodeInterfaces)})
		}
	}
	return errors.Join(errs...)
}
