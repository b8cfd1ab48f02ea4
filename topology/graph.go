package topology

import (
	"fmt"
	"slices"
	"strings"
)

// Dot renders the topology as an undirected Graphviz graph: one vertex per
// node, shaped by kind, and one edge per link, each end labelled with its
// interface and that interface's addresses.
func (t *Topology) Dot() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph %s {\n", dotQuote(t.Name))
	b.WriteString("\tnode [fontname=\"Helvetica\"];\n\tedge [fontname=\"Helvetica\", fontsize=10];\n")
	for _, n := range t.Nodes {
		shape := map[Kind]string{KindRouter: "circle", KindFRR: "circle", KindBIRD: "circle", KindBridge: "box3d"}[n.Kind]
		if shape == "" {
			shape = "box"
		}
		fmt.Fprintf(&b, "\t%s [shape=%s, label=%s];\n", dotQuote(n.Name), shape, dotLabel(n.label()))
	}
	labels := t.endLabels()
	for _, l := range t.Links {
		a, z := l.Endpoints[0], l.Endpoints[1]
		fmt.Fprintf(&b, "\t%s -- %s [taillabel=%s, headlabel=%s", dotQuote(a.Node), dotQuote(z.Node),
			dotLabel(endLabel(labels, a)), dotLabel(endLabel(labels, z)))
		if l.MTU != 0 {
			fmt.Fprintf(&b, ", label=\"mtu %d\"", l.MTU)
		}
		b.WriteString("];\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// Mermaid renders the topology as a Mermaid flowchart. Vertices get ids n1,
// n2, … rather than node names, since names such as "end" are Mermaid
// keywords.
func (t *Topology) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[string]string{}
	for i, n := range t.Nodes {
		ids[n.Name] = fmt.Sprintf("n%d", i+1)
		open, close := "[", "]"
		switch n.Kind {
		case KindRouter, KindFRR, KindBIRD:
			open, close = "((", "))"
		case KindBridge:
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
		fmt.Fprintf(&b, "    %s ---|\"%s\"| %s\n", ids[a.Node], mermaidEscape.Replace(label), ids[z.Node])
	}
	return b.String()
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
