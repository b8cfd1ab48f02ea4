package topology

import (
	"slices"
	"strings"
)

// Place puts every node of a lab with placement: auto on one of its hosts
// (Node.Host), and does nothing for any other lab. Every host computes the
// same placement from the same file, with no one to agree with, so it
// depends on nothing but the topology: the nodes and links in file order
// and the hosts' names (not their order in the file, nor an order a
// cluster lists them in).
//
// The split is balanced by node count (hosts get ⌈n/k⌉ or ⌊n/k⌋ nodes,
// the first hosts by name the larger share) and cuts few links: the nodes
// are laid out in breadth-first order over the links, each connected part
// from one of its ends, one part after the other, and cut into
// consecutive runs, one per host (a chain written from one end is cut
// once between hosts, a LAN's bridge stays with most of its members);
// then nodes of two hosts trade places while a trade cuts fewer links
// (Kernighan and Lin's pairwise exchange, which keeps the balance), which
// brings a ring, say, to one cut per host.
func (t *Topology) Place() {
	if t.Placement != PlacementAuto || len(t.Hosts) == 0 || len(t.Nodes) == 0 {
		return
	}
	hosts := make([]string, len(t.Hosts))
	for i, h := range t.Hosts {
		hosts[i] = h.Name
	}
	slices.Sort(hosts)
	for i, h := range placeNodes(t, len(hosts)) {
		t.Nodes[i].Host = hosts[h]
	}
}

// placeNodes returns, for each node of t by index, the index of its host
// among k.
func placeNodes(t *Topology, k int) []int {
	n := len(t.Nodes)
	index := make(map[string]int, n)
	for i, node := range t.Nodes {
		if _, dup := index[node.Name]; !dup {
			index[node.Name] = i
		}
	}
	// Neighbours in link order; a pair joined by several links is
	// listed as often.
	adj := make([][]int, n)
	for _, l := range t.Links {
		a, aok := index[l.Endpoints[0].Node]
		b, bok := index[l.Endpoints[1].Node]
		if aok && bok && a != b {
			adj[a] = append(adj[a], b)
			adj[b] = append(adj[b], a)
		}
	}
	// Each connected part in breadth-first order from one of its ends:
	// its first node in the file, unless the node a search from there
	// reaches last is farther out still (as Cuthill and McKee pick a
	// start), so that a chain written from its middle is laid out end to
	// end, and one written from an end starts there, on the first host.
	order := make([]int, 0, n)
	seen := make([]bool, n)
	for first := range n {
		if seen[first] {
			continue
		}
		part, depth := breadthFirst(adj, first, nil)
		start := part[len(part)-1]
		if _, farther := breadthFirst(adj, start, nil); farther <= depth {
			start = first
		}
		part, _ = breadthFirst(adj, start, seen)
		order = append(order, part...)
	}
	host := make([]int, n)
	for pos, v := range order {
		host[v] = runOf(pos, n, k)
	}
	exchange(adj, host, k)
	return host
}

// breadthFirst lists the nodes reachable from start in breadth-first
// order, marking each in seen (when not nil), and how many links away
// from start the last one is.
func breadthFirst(adj [][]int, start int, seen []bool) ([]int, int) {
	if seen == nil {
		seen = make([]bool, len(adj))
	}
	seen[start] = true
	order, level := []int{start}, []int{0}
	for next := 0; next < len(order); next++ {
		for _, w := range adj[order[next]] {
			if !seen[w] {
				seen[w] = true
				order, level = append(order, w), append(level, level[next]+1)
			}
		}
	}
	return order, level[len(level)-1]
}

// runOf is which of k consecutive runs of n places place pos falls in,
// the first n%k runs one place longer.
func runOf(pos, n, k int) int {
	small, long := n/k, n%k
	if pos < long*(small+1) {
		return pos / (small + 1)
	}
	return long + (pos-long*(small+1))/small
}

// maxExchangePasses bounds the trading of places: each pass that trades
// cuts at least one link fewer, and the breadth-first runs leave few to
// gain.
const maxExchangePasses = 8

// exchange trades the hosts of pairs of nodes while that cuts fewer links:
// for each node in turn, with each other host it has more links to than
// to its own, the node of that host whose trade gains most, if any gains.
func exchange(adj [][]int, host []int, k int) {
	links := func(v, h int) int { // v's links to nodes on host h
		c := 0
		for _, w := range adj[v] {
			if host[w] == h {
				c++
			}
		}
		return c
	}
	between := func(u, v int) int {
		c := 0
		for _, w := range adj[u] {
			if w == v {
				c++
			}
		}
		return c
	}
	for range maxExchangePasses {
		traded := false
		for u := range host {
			a := host[u]
			for b := range k {
				gainU := links(u, b) - links(u, a)
				if b == a || gainU <= 0 {
					continue
				}
				best, bestGain := -1, 0
				for v := range host {
					if host[v] != b {
						continue
					}
					if g := gainU + links(v, a) - links(v, b) - 2*between(u, v); g > bestGain {
						best, bestGain = v, g
					}
				}
				if best >= 0 {
					host[u], host[best] = b, a
					traded = true
					break
				}
			}
		}
		if !traded {
			return
		}
	}
}

// CutLinks are the links of t whose ends are on two hosts.
func (t *Topology) CutLinks() []*Link {
	hostOf := make(map[string]string, len(t.Nodes))
	for _, n := range t.Nodes {
		hostOf[n.Name] = n.Host
	}
	var out []*Link
	for _, l := range t.Links {
		if hostOf[l.Endpoints[0].Node] != hostOf[l.Endpoints[1].Node] {
			out = append(out, l)
		}
	}
	return out
}

// HostNames lists the hosts' names, as messages show them.
func (t *Topology) HostNames() string {
	var names []string
	for _, h := range t.Hosts {
		names = append(names, show(h.Name))
	}
	return strings.Join(names, ", ")
}
