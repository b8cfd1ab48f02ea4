package clab

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/netlab-dev/netlab/topology"
)

// DefaultMTU is the MTU of a containerlab link that gives none
// (containerlab's DefaultLinkMTU).
const DefaultMTU = 9500

// refusedLinks are containerlab's link types that end outside the lab's
// nodes, and what netlab does instead.
var refusedLinks = map[string]string{
	"host":         "ends in the host's network; netlab never makes an interface there: link two nodes of the lab instead",
	"mgmt-net":     "ends in the management network; netlab nodes have none: link two nodes of the lab instead",
	"macvlan":      "ends on a host interface; netlab never touches the host's interfaces: link two nodes of the lab instead",
	"vxlan":        "is a tunnel from the host; netlab links a node on another machine with hosts: (see its README), not from one file's link",
	"vxlan-stitch": "is a tunnel from the host; netlab links a node on another machine with hosts: (see its README), not from one file's link",
	"dummy":        "is an interface on no link; netlab makes interfaces with links: put the address on lo, or link it to another node",
}

// link reads one link: brief ("node:iface" ends, ipv4:/ipv6: lists) or
// veth (ends with node, interface, mac, ipv4, ipv6). Addresses go on the
// nodes' interfaces, for every kind of node.
func (rd *reader) link(v *yaml.Node, i int, t *topology.Topology) *topology.Link {
	what := fmt.Sprintf("link %d", i)
	if !rd.Shape(v, yaml.MappingNode, what, `{endpoints: ["r1:eth1", "r2:eth1"]}`) {
		return nil
	}
	typ := ""
	if tv := topology.MappingValue(v, "type"); tv != nil && tv.Kind == yaml.ScalarNode {
		typ = strings.ToLower(strings.TrimSpace(tv.Value))
		if why, ok := refusedLinks[typ]; ok {
			rd.Refuse(topology.PosOf(tv), "%s is of type %s, which %s", what, typ, why)
			return nil
		}
		if typ != "veth" && typ != "veth-stitch" {
			rd.Refuse(topology.PosOf(tv), "%s is of type %q, which containerlab does not have; write type: veth, or leave type out", what, tv.Value)
			return nil
		}
		if typ == "veth-stitch" {
			rd.note("", "%s, a veth-stitch, is a veth pair: netlab impairs and captures any interface", what)
		}
	}
	keys := []string{"type", "endpoints", "mtu", "labels", "vars"}
	if typ == "" {
		keys = append(keys, "ipv4", "ipv6")
	}
	f := rd.Fields(v, "in "+what, keys, nil)
	l := &topology.Link{Pos: topology.PosOf(v), MTU: DefaultMTU, At: topology.At{}}
	for _, k := range []string{"labels", "vars"} {
		if p, ok := f[k]; ok {
			rd.drop("link "+k, topology.PosOf(p.Key))
		}
	}
	if p, ok := f["mtu"]; ok {
		l.At["mtu"] = topology.PosOf(p.Val)
		if s, ok := rd.Scalar(p.Val, "mtu of "+what, "mtu: 1500"); ok {
			mtu, err := strconv.Atoi(s)
			if err != nil {
				rd.Refuse(topology.PosOf(p.Val), "mtu %q of %s is not a whole number; write e.g. mtu: 1500", s, what)
			}
			l.MTU = mtu
		}
	}
	p, ok := f["endpoints"]
	if !ok {
		rd.Errorf(l.Pos, `%s has no "endpoints"; write endpoints: ["r1:eth1", "r2:eth1"]`, what)
		return nil
	}
	if !rd.Shape(p.Val, yaml.SequenceNode, "endpoints of "+what, `endpoints: ["r1:eth1", "r2:eth1"]`) {
		return nil
	}
	ends := rd.Items(p.Val)
	if len(ends) != 2 {
		rd.Refuse(topology.PosOf(p.Val), "%s has %d ends; a link joins two interfaces, so join more through a node of kind: bridge", what, len(ends))
		return nil
	}
	var addrs [2][]address
	for k, e := range ends {
		var end topology.Endpoint
		if typ == "" {
			end, ok = rd.briefEnd(e, what)
		} else {
			end, addrs[k], ok = rd.vethEnd(e, what, l, k)
		}
		if !ok {
			return nil
		}
		l.Endpoints[k], l.EndPos[k] = end, topology.PosOf(e)
	}
	for _, fam := range []string{"ipv4", "ipv6"} {
		if q, ok := f[fam]; ok {
			for k, a := range rd.briefAddrs(q.Val, fam, what) {
				addrs[k] = append(addrs[k], a...)
			}
		}
	}
	for k, list := range addrs {
		for _, a := range list {
			addAddress(t, l.Endpoints[k], l.EndPos[k], a)
		}
	}
	if l.MTU == DefaultMTU && l.At["mtu"] == (topology.Pos{}) {
		rd.defaultMTU = true
	}
	return l
}

// address is an address read for a link end, and where.
type address struct {
	prefix netip.Prefix
	pos    topology.Pos
}

// briefEnd reads "node:interface".
func (rd *reader) briefEnd(e *yaml.Node, what string) (topology.Endpoint, bool) {
	s, ok := rd.Scalar(e, "an end of "+what, `"r1:eth1"`)
	if !ok {
		return topology.Endpoint{}, false
	}
	node, iface, found := strings.Cut(s, ":")
	if !found || node == "" || iface == "" {
		rd.Refuse(topology.PosOf(e), "malformed end %q of %s; write NODE:INTERFACE, e.g. r1:eth1", s, what)
		return topology.Endpoint{}, false
	}
	if why, ok := refusedLinks[node]; ok {
		rd.Refuse(topology.PosOf(e), "end %s of %s %s", s, what, why)
		return topology.Endpoint{}, false
	}
	return topology.Endpoint{Node: node, Interface: iface}, true
}

// vethEnd reads {node, interface, mac, ipv4, ipv6, vars}.
func (rd *reader) vethEnd(e *yaml.Node, what string, l *topology.Link, k int) (topology.Endpoint, []address, bool) {
	if !rd.Shape(e, yaml.MappingNode, "an end of "+what, "{node: r1, interface: eth1}") {
		return topology.Endpoint{}, nil, false
	}
	f := rd.Fields(e, "in an end of "+what, []string{"node", "interface", "mac", "ipv4", "ipv6", "vars"}, nil)
	get := func(key string) (string, *yaml.Node) {
		p, ok := f[key]
		if !ok {
			return "", nil
		}
		s, _ := rd.Scalar(p.Val, key+" of an end of "+what, key+": ...")
		return s, p.Val
	}
	node, _ := get("node")
	iface, _ := get("interface")
	if node == "" || iface == "" {
		rd.Refuse(topology.PosOf(e), "an end of %s lacks its node or interface; write {node: r1, interface: eth1}", what)
		return topology.Endpoint{}, nil, false
	}
	if mac, at := get("mac"); mac != "" {
		l.MACs[k] = mac
		if _, ok := l.At["mac"]; !ok {
			l.At["mac"] = topology.PosOf(at)
		}
	}
	if p, ok := f["vars"]; ok {
		rd.drop("link vars", topology.PosOf(p.Key))
	}
	var addrs []address
	for _, fam := range []string{"ipv4", "ipv6"} {
		if s, at := get(fam); s != "" {
			if a, ok := rd.address(s, fam, at, what); ok {
				addrs = append(addrs, a)
			}
		}
	}
	return topology.Endpoint{Node: node, Interface: iface}, addrs, true
}

// briefAddrs reads a brief link's ipv4: or ipv6: list: one address for
// each end, in the order of endpoints, "" for none.
func (rd *reader) briefAddrs(v *yaml.Node, fam, what string) [2][]address {
	var out [2][]address
	if !rd.Shape(v, yaml.SequenceNode, fam+" of "+what, fam+`: ["192.168.0.1/24", "192.168.0.2/24"]`) {
		return out
	}
	items := rd.Items(v)
	if len(items) > 2 {
		rd.Refuse(topology.PosOf(v), "%s of %s has %d addresses for two ends; write one for each end, \"\" for none", fam, what, len(items))
		return out
	}
	for k, item := range items {
		s, ok := rd.Scalar(item, "an address of "+fam+" of "+what, `"192.168.0.1/24"`)
		if !ok || strings.TrimSpace(s) == "" {
			continue
		}
		if a, ok := rd.address(strings.TrimSpace(s), fam, item, what); ok {
			out[k] = append(out[k], a)
		}
	}
	return out
}

// address reads one end's address of family fam ("ipv4" or "ipv6").
func (rd *reader) address(s, fam string, at *yaml.Node, what string) (address, bool) {
	p, why := topology.ParseAddress(s)
	switch {
	case why != "":
		rd.Refuse(topology.PosOf(at), "%s of %s%s", topology.AddressWord(s, why), what, why)
		return address{}, false
	case fam == "ipv4" && !p.Addr().Is4(), fam == "ipv6" && p.Addr().Is4():
		rd.Refuse(topology.PosOf(at), "%s of %s is not an %s address; write it under %s", s, what, strings.ToUpper(fam[:2])+fam[2:], map[string]string{"ipv4": "ipv6", "ipv6": "ipv4"}[fam])
		return address{}, false
	}
	return address{p, topology.PosOf(at)}, true
}

// addAddress puts an address on the interface of a link end, making the
// interface when the node has none of that name yet. An end on an unknown
// node is the rules' to report.
func addAddress(t *topology.Topology, e topology.Endpoint, endPos topology.Pos, a address) {
	if ifc := endInterface(t, e, endPos); ifc != nil {
		ifc.Addrs = append(ifc.Addrs, a.prefix)
		ifc.AddrPos = append(ifc.AddrPos, a.pos)
	}
}

// endInterface is the interface of a link end, made when its node has
// none of that name yet (a netlab node has every interface its links
// name); nil for an end on an unknown node, which the rules report.
func endInterface(t *topology.Topology, e topology.Endpoint, endPos topology.Pos) *topology.Interface {
	n := t.Node(e.Node)
	if n == nil {
		return nil
	}
	ifc := n.Interface(e.Interface)
	if ifc == nil {
		ifc = &topology.Interface{Name: e.Interface, Pos: endPos}
		n.Interfaces = append(n.Interfaces, ifc)
	}
	return ifc
}
