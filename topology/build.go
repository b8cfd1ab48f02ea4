package topology

import (
	"maps"
	"slices"
	"strings"
)

// build completes a Topology as a file wrote it: it merges defaults into
// every node, adds to each node the interfaces only its links name, and
// resolves what checks name. What a node inherits but its kind has no use
// for is dropped, so that defaults can serve routers and hosts alike; what
// the node itself writes is kept, for the rules to refuse.
func build(t *Topology) {
	def := t.defaults
	if def == nil {
		def = &Node{}
	}
	for _, n := range t.Nodes {
		n.merge(def, t.defaults != nil)
	}
	// Maps, not Topology.Node: a lab of thousands of nodes must not cost
	// a scan of them per link end.
	nodes := make(map[string]*Node, len(t.Nodes))
	known := map[Endpoint]bool{}
	for _, n := range t.Nodes {
		if nodes[n.Name] == nil {
			nodes[n.Name] = n
		}
		for _, i := range n.Interfaces {
			known[Endpoint{Node: n.Name, Interface: i.Name}] = true
		}
	}
	for _, l := range t.Links {
		for i, e := range l.Endpoints {
			// Interfaces only named by links come after the declared ones.
			if n := nodes[e.Node]; n != nil && !known[e] && e.Interface != "lo" {
				known[e] = true
				n.Interfaces = append(n.Interfaces, &Interface{Name: e.Interface, Pos: l.EndPos[i]})
			}
		}
	}
	for _, c := range t.Checks {
		t.resolveCheck(c, nodes)
	}
}

// merge gives n what it does not write itself from def, the file's
// defaults (hasDefaults: the file has some).
func (n *Node) merge(def *Node, hasDefaults bool) {
	own := func(key string) bool { _, ok := n.At[key]; return ok }
	switch {
	case own("kind"):
	case def.Kind != "":
		n.Kind, n.KindPos = def.Kind, def.KindPos
	default:
		n.Kind = KindHost
	}
	facts := n.Kind.Facts()
	if !own("routes") && !facts.Bridge {
		n.Routes = def.Routes
	}
	if !own("exec") {
		n.Exec, n.ExecPos = def.Exec, def.ExecPos
	}
	if !own("daemons") && facts.Daemons {
		n.Daemons, n.DaemonPos = def.Daemons, def.DaemonPos
	}
	if !own("daemon-options") && facts.Daemons {
		n.DaemonOptions = def.DaemonOptions
	}
	if !own("config") && facts.Config != "" {
		n.Config = def.Config
	}
	if !own("binds") {
		n.Binds = def.Binds
	}
	if !own("limits") {
		n.Limits = def.Limits
	}
	if !own("host") {
		n.Host, n.HostPos = def.Host, def.HostPos
	}
	if !own("clock") {
		n.Clock = def.Clock
	}
	// A service's ready: goes with its command: defaults' with the
	// services the node takes from defaults, the node's own with its own.
	inherited := slices.DeleteFunc(slices.Clone(def.Ready), func(r Ready) bool {
		return slices.ContainsFunc(n.Services, func(sv KeyValue) bool { return sv.Key == r.Service })
	})
	n.Ready = sortReady(append(inherited, n.Ready...))
	n.Sysctls = mergeKeys(def.Sysctls, n.Sysctls)
	n.Files = mergeKeys(def.Files, n.Files)
	n.Services = mergeKeys(def.Services, n.Services)
	n.Env = mergeKeys(def.Env, n.Env)
}

// mergeKeys returns the entries of both sorted by key, those of over
// replacing those of base.
func mergeKeys(base, over []KeyValue) []KeyValue {
	if len(base) == 0 {
		return over
	}
	m := map[string]KeyValue{}
	for _, kv := range base {
		m[kv.Key] = kv
	}
	for _, kv := range over {
		m[kv.Key] = kv
	}
	return sortKeys(slices.Collect(maps.Values(m)))
}

// sortKeys sorts entries by key, in place, and returns them.
func sortKeys(kvs []KeyValue) []KeyValue {
	slices.SortStableFunc(kvs, func(a, b KeyValue) int { return strings.Compare(a.Key, b.Key) })
	return kvs
}

// sortReady sorts ready: entries by service, in place, and returns them.
func sortReady(rs []Ready) []Ready {
	slices.SortStableFunc(rs, func(a, b Ready) int { return strings.Compare(a.Service, b.Service) })
	return rs
}

// inherited reports whether n took key from the file's defaults rather
// than writing it itself.
func (t *Topology) inherited(n *Node, key string) bool {
	_, own := n.At[key]
	return t.defaults != nil && !own
}

// readyFromDefaults reports whether r, one of a node's Ready, is the
// defaults' entry.
func (t *Topology) readyFromDefaults(r Ready) bool {
	return t.defaults != nil && r.Pos != (Pos{}) && slices.ContainsFunc(t.defaults.Ready, func(d Ready) bool {
		return d.Service == r.Service && d.Pos == r.Pos
	})
}

// fromDefaults reports whether kv, an entry of one of n's maps, is the
// defaults' entry.
func (t *Topology) fromDefaults(kv KeyValue, of func(*Node) []KeyValue) bool {
	return t.defaults != nil && kv.Pos != (Pos{}) && slices.ContainsFunc(of(t.defaults), func(d KeyValue) bool {
		return d.Key == kv.Key && d.Pos == kv.Pos
	})
}
