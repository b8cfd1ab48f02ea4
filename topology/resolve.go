package topology

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
)

// resolve merges the defaults into every node, checks what involves more
// than one value (kinds against keys, links, addresses across the lab,
// gateways against subnets), and builds the model.
func (d *decoder) resolve(raw *rawTopology) *Topology {
	byName := map[string]*rawNode{}
	var names []string
	for _, n := range raw.nodes {
		n.merge(raw.defaults)
		d.checkKind(n)
		byName[n.name] = n
		names = append(names, show(n.name))
	}
	used := d.checkLinks(raw.links, byName, names)
	for _, n := range raw.nodes {
		for _, i := range n.ifaces {
			if _, ok := used[Endpoint{n.name, i.name}]; !ok && i.name != "lo" && !raw.endsLost {
				d.errorf(i.pos, "interface %s of %s is on no link; add a link [%s:%s, ...] or remove it", show(i.name), show(n.name), show(n.name), show(i.name))
			}
		}
	}
	d.checkAddrs(raw.nodes)
	for _, n := range raw.nodes {
		d.checkRoutes(n)
	}
	ifaces := map[string]map[string]bool{}
	for _, n := range raw.nodes {
		ifaces[n.name] = map[string]bool{}
		for _, i := range n.ifaces {
			ifaces[n.name][i.name] = true
		}
	}
	for e := range used {
		if ifaces[e.Node] != nil {
			ifaces[e.Node][e.Interface] = true
		}
	}
	checks := d.resolveChecks(raw.checks, byName, names, ifaces, !raw.nodesLost)
	if len(d.errs) > 0 {
		return nil
	}
	t := build(d.file, raw)
	t.Checks = checks
	return t
}

func (n *rawNode) merge(def *rawNode) {
	own := func(key string) bool { _, ok := n.keys[key]; return ok }
	switch _, inherited := def.keys["kind"]; {
	case own("kind"):
	case inherited:
		n.kind = def.kind
	default:
		n.kind = KindHost
	}
	if !own("routes") {
		n.routes = def.routes
	}
	if !own("exec") {
		n.exec, n.execPos = def.exec, def.execPos
	}
	// A service's ready: goes with its command, from defaults or the node.
	ready := map[string]Ready{}
	for name, r := range def.ready {
		if !slices.ContainsFunc(n.services, func(kv KeyValue) bool { return kv.Key == name }) {
			ready[name] = r
		}
	}
	maps.Copy(ready, n.ready)
	n.ready = ready
	n.services = mergeKeys(def.services, n.services)
	if !own("daemons") {
		n.daemons = def.daemons
	}
	if !own("config") {
		n.config = def.config
	}
	n.sysctls = mergeKeys(def.sysctls, n.sysctls)
	n.files = mergeKeys(def.files, n.files)
}

// mergeKeys returns the entries of both sorted by key, those of over
// replacing those of base.
func mergeKeys(base, over []KeyValue) []KeyValue {
	m := map[string]KeyValue{}
	for _, kv := range base {
		m[kv.Key] = kv
	}
	for _, kv := range over {
		m[kv.Key] = kv
	}
	return slices.SortedFunc(maps.Values(m), func(a, b KeyValue) int { return strings.Compare(a.Key, b.Key) })
}

// checkKind rejects keys the node's kind has no use for. Only the node's own
// keys count: what it inherits from defaults but cannot use is dropped, so
// that defaults can serve routers and hosts alike.
func (d *decoder) checkKind(n *rawNode) {
	if !slices.Contains(Kinds, n.kind) {
		return // reported where the kind is written
	}
	if n.kind == KindBridge {
		for _, i := range n.ifaces {
			for _, a := range i.addrs {
				d.errorf(a.pos, "address %s on bridge %s; a bridge's ports carry no addresses, so put it on the node at the other end of the link", a.Prefix, show(n.name))
			}
		}
		if _, own := n.keys["routes"]; own {
			for _, r := range n.routes {
				d.errorf(r.Pos, "route on bridge %s; a bridge does not route, so remove the route or make %s a router", show(n.name), show(n.name))
			}
		}
	}
	if at, own := n.keys["daemons"]; own && n.kind != KindFRR {
		d.errorf(at, "daemons on node %s of kind %s; daemons are for kind frr, so set kind: frr or remove them", show(n.name), n.kind)
	}
	if at, own := n.keys["config"]; own && n.kind != KindFRR && n.kind != KindBIRD {
		d.errorf(at, "config on node %s of kind %s; config is for kind frr or bird, so set one of them or remove it", show(n.name), n.kind)
	}
}

// checkLinks checks every link end and returns where each interface is
// linked.
func (d *decoder) checkLinks(links []rawLink, byName map[string]*rawNode, names []string) map[Endpoint]Pos {
	used := map[Endpoint]Pos{}
	for _, l := range links {
		for _, e := range l.ends {
			prev, dup := used[e.Endpoint]
			switch {
			case byName[e.Node] == nil:
				hint := "define it under nodes"
				if len(names) > 0 {
					hint += " or use one of " + strings.Join(names, ", ")
				}
				if why, ok := clabSpecialNodes[e.Node]; ok {
					hint = why + ", so link two nodes of this file, or " + hint
				}
				d.errorf(e.pos, "link end %s names unknown node %q; %s", show(e.String()), e.Node, hint)
			case e.Interface == "lo":
				d.errorf(e.pos, "link end %s is the loopback, which cannot be on a link; use another interface, e.g. %s:eth1", show(e.String()), show(e.Node))
			case dup:
				d.errorf(e.pos, "interface %s is already on the link at line %d; use another interface", show(e.String()), prev.Line)
			default:
				used[e.Endpoint] = e.pos
			}
		}
	}
	return used
}

func (d *decoder) checkAddrs(nodes []*rawNode) {
	type owner struct {
		node, iface string
		line        int
	}
	seen := map[netip.Addr]owner{}
	for _, n := range nodes {
		if n.kind == KindBridge {
			continue // its addresses are wrong in the first place
		}
		for _, i := range n.ifaces {
			for _, a := range i.addrs {
				if o, dup := seen[a.Addr()]; dup {
					d.errorf(a.pos, "address %s of %s %s is also on %s %s (line %d); give each interface its own address", a.Addr(), show(n.name), show(i.name), o.node, o.iface, o.line)
					continue
				}
				seen[a.Addr()] = owner{show(n.name), show(i.name), a.pos.Line}
			}
		}
	}
}

// checkRoutes checks each gateway against the subnets the node's links are
// on: the kernel refuses a route through a gateway it cannot reach.
func (d *decoder) checkRoutes(n *rawNode) {
	if n.kind == KindBridge {
		return // a bridge gets no routes
	}
	own := map[netip.Addr]bool{}
	var subnets []netip.Prefix
	for _, i := range n.ifaces {
		for _, a := range i.addrs {
			own[a.Addr()] = true
			if i.name != "lo" && !slices.Contains(subnets, a.Masked()) {
				subnets = append(subnets, a.Masked())
			}
		}
	}
	route := "route"
	if _, own := n.keys["routes"]; !own {
		route = "route from defaults"
	}
	first := map[netip.Prefix]int{}
	for _, r := range n.routes {
		if line, dup := first[r.To]; dup {
			d.errorf(r.Pos, "%s to %s of %s is declared twice (first at line %d); keep one", route, r.To, show(n.name), line)
			continue
		}
		first[r.To] = r.Pos.Line
		if n.addrsLost {
			continue // the gateway's subnet may be the one that could not be read
		}
		what := fmt.Sprintf("gateway %s of %s's %s to %s", r.Via, show(n.name), route, r.To)
		if own[r.Via] {
			d.errorf(r.viaPos, "%s is an address of %s itself; use the address of a neighbour", what, show(n.name))
			continue
		}
		if slices.ContainsFunc(subnets, func(p netip.Prefix) bool { return p.Contains(r.Via) }) {
			continue
		}
		var same []string
		for _, p := range subnets {
			if p.Addr().Is4() == r.Via.Is4() {
				same = append(same, p.String())
			}
		}
		if len(same) == 0 {
			family := "IPv4"
			if r.Via.Is6() {
				family = "IPv6"
			}
			d.errorf(r.viaPos, "%s is on no connected subnet: %s has no %s address on its links; add one on the interface toward the gateway", what, show(n.name), family)
			continue
		}
		d.errorf(r.viaPos, "%s is on no connected subnet of %s (%s); use the address of a neighbour on one of them", what, show(n.name), strings.Join(same, ", "))
	}
}

// build makes the model out of a topology that passed every check.
func build(file string, raw *rawTopology) *Topology {
	t := &Topology{File: file, Name: raw.name, Limits: raw.limits}
	for _, rn := range raw.nodes {
		n := &Node{Name: rn.name, Kind: rn.kind, Pos: rn.pos, Sysctls: rn.sysctls, Files: rn.files, Exec: slices.Clone(rn.exec), ExecPos: slices.Clone(rn.execPos), Services: rn.services}
		for _, sv := range rn.services {
			if r, ok := rn.ready[sv.Key]; ok {
				n.Ready = append(n.Ready, r)
			}
		}
		for _, i := range rn.ifaces {
			iface := &Interface{Name: i.name, Pos: i.pos}
			for _, a := range i.addrs {
				iface.Addrs = append(iface.Addrs, a.Prefix)
			}
			n.Interfaces = append(n.Interfaces, iface)
		}
		if rn.kind != KindBridge {
			for _, r := range rn.routes {
				n.Routes = append(n.Routes, r.Route)
			}
		}
		if rn.kind == KindFRR {
			n.Daemons = slices.Clone(rn.daemons)
		}
		if rn.kind == KindFRR || rn.kind == KindBIRD {
			n.Config = rn.config
		}
		t.Nodes = append(t.Nodes, n)
	}
	// Maps, not Topology.Node: a lab of thousands of nodes must not cost
	// a scan of them per link end.
	nodes := make(map[string]*Node, len(t.Nodes))
	known := map[Endpoint]bool{}
	for _, n := range t.Nodes {
		nodes[n.Name] = n
		for _, i := range n.Interfaces {
			known[Endpoint{Node: n.Name, Interface: i.Name}] = true
		}
	}
	for _, l := range raw.links {
		link := &Link{MTU: l.mtu, Impair: l.impair, Pos: l.pos}
		for i, e := range l.ends {
			link.Endpoints[i] = e.Endpoint
			// Interfaces only named by links come after the declared ones.
			if !known[e.Endpoint] {
				known[e.Endpoint] = true
				n := nodes[e.Node]
				n.Interfaces = append(n.Interfaces, &Interface{Name: e.Interface, Pos: e.pos})
			}
		}
		t.Links = append(t.Links, link)
	}
	return t
}
