package topology

import (
	"encoding/json"
	"fmt"
	"html"
	"slices"
	"strings"
)

// Drawing is what netlab graph draws: a topology, and for a running lab
// which of its links are up.
type Drawing struct {
	Topology *Topology
	// Up is nil for a topology file. For a running lab it holds the links
	// whose ends are both up; the others are drawn dashed (dot, Mermaid)
	// and have "state": "down" (JSON).
	Up map[*Link]bool
}

// down reports whether a link of a running lab is down.
func (d Drawing) down(l *Link) bool { return d.Up != nil && !d.Up[l] }

// Dot renders the topology as an undirected Graphviz graph; see Drawing.Dot.
func (t *Topology) Dot() string { return Drawing{Topology: t}.Dot() }

// Mermaid renders the topology as a Mermaid flowchart; see Drawing.Mermaid.
func (t *Topology) Mermaid() string { return Drawing{Topology: t}.Mermaid() }

// JSON renders the topology's nodes and links; see Drawing.JSON.
func (t *Topology) JSON() []byte { return Drawing{Topology: t}.JSON() }

// Dot colours and sizes, in one place.
const (
	dotRouterFill = `"#e8eefa"` // routers, FRR and BIRD: light blue
	dotBridgeFill = `"#eeeeee"` // bridges: grey, and box3d
	dotDownColour = `"#999999"` // a link that is down: grey and dashed
)

// Dot renders the drawing as an undirected Graphviz graph. A node is a
// rounded box holding its name, kind, loopback addresses and each of its
// interfaces with their addresses (filled for nodes that forward); a
// bridge is a grey box3d. An edge is labelled at each end, near the
// node, with just the interface name, so that labels stay short and do
// not run into each other; the addresses are in the nodes.
//
// The layout engine is named in the graph, so plain `dot -Tsvg` uses it:
// circo for rings, meshes and chains (a ring of routers is drawn as a
// ring, not a column), dot for LANs without a cycle (bridges above,
// hosts and routers in a row).
func (d Drawing) Dot() string {
	t := d.Topology
	var b strings.Builder
	fmt.Fprintf(&b, "graph %s {\n", dotQuote(t.Name))
	if t.hasBridge() && !t.hasCycle() {
		b.WriteString("\tlayout=dot; nodesep=0.4; ranksep=0.8;\n")
	} else {
		b.WriteString("\tlayout=circo;\n")
	}
	b.WriteString("\tnode [fontname=\"Helvetica\", fontsize=11, shape=box, style=rounded];\n")
	b.WriteString("\tedge [fontname=\"Helvetica\", fontsize=9, labelfontsize=9, labelfontcolor=\"#444444\", labeldistance=1.6, labelangle=30];\n")
	for _, n := range t.Nodes {
		switch {
		case n.Kind.Facts().Bridge:
			fmt.Fprintf(&b, "\t%s [shape=box3d, style=filled, fillcolor=%s, label=%s];\n", dotQuote(n.Name), dotBridgeFill, dotLabel(n.label()))
		case n.Kind.Forwards():
			fmt.Fprintf(&b, "\t%s [style=\"rounded,filled\", fillcolor=%s, label=%s];\n", dotQuote(n.Name), dotRouterFill, n.dotTable())
		default:
			fmt.Fprintf(&b, "\t%s [label=%s];\n", dotQuote(n.Name), n.dotTable())
		}
	}
	for _, l := range t.Links {
		a, z := l.Endpoints[0], l.Endpoints[1]
		fmt.Fprintf(&b, "\t%s -- %s [taillabel=%s, headlabel=%s", dotQuote(a.Node), dotQuote(z.Node),
			dotQuote(a.Interface), dotQuote(z.Interface))
		if l.MTU != 0 {
			fmt.Fprintf(&b, ", label=\"mtu %d\"", l.MTU)
		}
		if d.down(l) {
			fmt.Fprintf(&b, ", style=dashed, color=%s", dotDownColour)
		}
		b.WriteString("];\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// dotTable is a node's Graphviz HTML label: name (bold) and kind, the
// loopback addresses, then one row per interface that has addresses.
func (n *Node) dotTable() string {
	var b strings.Builder
	b.WriteString(`<<table border="0" cellspacing="0" cellpadding="1">`)
	fmt.Fprintf(&b, `<tr><td colspan="2"><b>%s</b> %s</td></tr>`, html.EscapeString(n.Name), html.EscapeString(string(n.Kind)))
	if lo := n.Interface("lo"); lo != nil && len(lo.Addrs) > 0 {
		fmt.Fprintf(&b, `<tr><td colspan="2">%s</td></tr>`, addrLines(lo, `<br/>`))
	}
	for _, i := range n.Interfaces {
		if i.Name == "lo" || len(i.Addrs) == 0 {
			continue
		}
		fmt.Fprintf(&b, `<tr><td align="left"><font point-size="9">%s</font></td><td align="left"><font point-size="9">%s</font></td></tr>`,
			html.EscapeString(i.Name), addrLines(i, `<br align="left"/>`))
	}
	b.WriteString(`</table>>`)
	return b.String()
}

// addrLines is an interface's addresses, one a line.
func addrLines(i *Interface, br string) string {
	var lines []string
	for _, a := range i.Addrs {
		lines = append(lines, a.String())
	}
	return strings.Join(lines, br)
}

// hasBridge reports whether the topology has a LAN.
func (t *Topology) hasBridge() bool {
	return slices.ContainsFunc(t.Nodes, func(n *Node) bool { return n.Kind.Facts().Bridge })
}

// hasCycle reports whether the links make a cycle (two links between the
// same two nodes make one; a link from a node to itself does not): whether
// the topology is a ring or mesh rather than a chain, star or tree.
func (t *Topology) hasCycle() bool {
	parent := map[string]string{}
	var root func(string) string
	root = func(n string) string {
		p, ok := parent[n]
		if !ok || p == n {
			return n
		}
		r := root(p)
		parent[n] = r
		return r
	}
	for _, l := range t.Links {
		if l.Endpoints[0].Node == l.Endpoints[1].Node {
			continue
		}
		a, z := root(l.Endpoints[0].Node), root(l.Endpoints[1].Node)
		if a == z {
			return true
		}
		parent[a] = z
	}
	return false
}

// Mermaid renders the drawing as a Mermaid flowchart; links that are down
// are dotted (-.-). Vertices get ids n1, n2, … rather than node names,
// since names such as "end" are Mermaid keywords.
func (d Drawing) Mermaid() string {
	t := d.Topology
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[string]string{}
	for i, n := range t.Nodes {
		ids[n.Name] = fmt.Sprintf("n%d", i+1)
		open, close := "[", "]"
		switch f := n.Kind.Facts(); {
		case f.Forwards:
			open, close = "((", "))"
		case f.Bridge:
			open, close = "{{", "}}"
		}
		fmt.Fprintf(&b, "    %s%s\"%s\"%s\n", ids[n.Name], open, mermaidEscape.Replace(strings.Join(n.label(), "\n")), close)
	}
	labels := t.endLabels()
	for _, l := range t.Links {
		a, z := l.Endpoints[0], l.Endpoints[1]
		label := strings.Join(endLabel(labels, a), " ") + " — " + strings.Join(endLabel(labels, z), " ")
		if l.MTU != 0 {
			label += fmt.Sprintf(" (mtu %d)", l.MTU)
		}
		edge := "---"
		if d.down(l) {
			edge = "-.-"
		}
		fmt.Fprintf(&b, "    %s %s|\"%s\"| %s\n", ids[a.Node], edge, mermaidEscape.Replace(label), ids[z.Node])
	}
	return b.String()
}

// GraphJSON is the shape of Drawing.JSON.
type GraphJSON struct {
	Name  string          `json:"name"`
	Nodes []GraphJSONNode `json:"nodes"`
	Links []GraphJSONLink `json:"links"`
}

// GraphJSONNode is one node of GraphJSON.
type GraphJSONNode struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
}

// GraphJSONLink is one link of GraphJSON: its ends as NODE:IFNAME, its
// MTU (0: the kernel's default) and, for a running lab only, "up" or
// "down".
type GraphJSONLink struct {
	A     string `json:"a"`
	B     string `json:"b"`
	MTU   int    `json:"mtu"`
	State string `json:"state,omitempty"`
}

// JSON renders the drawing's nodes and links as indented JSON, ending in a
// newline.
func (d Drawing) JSON() []byte {
	t := d.Topology
	g := GraphJSON{Name: t.Name, Nodes: []GraphJSONNode{}, Links: []GraphJSONLink{}}
	for _, n := range t.Nodes {
		g.Nodes = append(g.Nodes, GraphJSONNode{Name: n.Name, Kind: n.Kind})
	}
	for _, l := range t.Links {
		gl := GraphJSONLink{A: l.Endpoints[0].String(), B: l.Endpoints[1].String(), MTU: l.MTU}
		if d.Up != nil {
			gl.State = map[bool]string{true: "up", false: "down"}[d.Up[l]]
		}
		g.Links = append(g.Links, gl)
	}
	out, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		panic(err) // strings and ints only
	}
	return append(out, '\n')
}

// label is what a vertex shows: name, kind and loopback addresses, which
// name a router better than any of its link addresses.
func (n *Node) label() []string {
	lines := []string{n.Name, string(n.Kind)}
	if lo := n.Interface("lo"); lo != nil {
		for _, a := range lo.Addrs {
			lines = append(lines, a.String())
		}
	}
	return lines
}

// endLabels returns what each link end shows: the interface and its
// addresses. One pass over the nodes, not a search per end.
func (t *Topology) endLabels() map[Endpoint][]string {
	out := map[Endpoint][]string{}
	for _, n := range t.Nodes {
		for _, i := range n.Interfaces {
			lines := []string{i.Name}
			for _, a := range i.Addrs {
				lines = append(lines, a.String())
			}
			out[Endpoint{Node: n.Name, Interface: i.Name}] = lines
		}
	}
	return out
}

// endLabel is what one end shows, from endLabels' map.
func endLabel(labels map[Endpoint][]string, e Endpoint) []string {
	if l, ok := labels[e]; ok {
		return slices.Clone(l)
	}
	return []string{e.Interface}
}

var dotEscape = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

func dotQuote(s string) string { return `"` + dotEscape.Replace(s) + `"` }

// dotLabel joins lines with Graphviz's centred line break.
func dotLabel(lines []string) string {
	for i, l := range lines {
		lines[i] = dotEscape.Replace(l)
	}
	return `"` + strings.Join(lines, `\n`) + `"`
}

var mermaidEscape = strings.NewReplacer("#", "#35;", `"`, "#quot;", "<", "#lt;", ">", "#gt;", "\n", "<br/>")
