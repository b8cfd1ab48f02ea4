package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/topology"
)

// graphFormats are the values of graph --format, with what each is.
var graphFormats = []string{"dot\tGraphviz (render with: dot -Tsvg)", "mermaid\tMermaid flowchart (for Markdown)", "json\tnodes and links as JSON"}

func newGraphCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "graph FILE|LAB [--format dot|mermaid|json]",
		Short: "Draw a topology or a running lab: nodes by kind, links labelled with interfaces",
		Long: `Print a topology as a Graphviz graph (render it with: netlab graph FILE | dot -Tsvg > lab.svg),
as a Mermaid flowchart (paste it into Markdown) or as JSON ({"name", "nodes":
[{"name", "kind"}], "links": [{"a": "r1:eth1", "b": "r2:eth1", "mtu": 0}]}; mtu
0 is the kernel's default). No root needed for a FILE.

An argument that is no file but the name of a lab that is up draws that lab
as it runs, from its state and its nodes' interfaces: a link with an end that
is down (or a node that is not running) is dashed in dot, dotted (-.-) in
Mermaid, and has "state": "down" in JSON ("up" for the others).

The Graphviz graph names its layout: circo for rings, meshes and chains, dot
for LANs; dot -Kneato (or any engine) draws it otherwise.`,
		Args: wantArgs(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.ContainsFunc(graphFormats, func(f string) bool { return strings.HasPrefix(f, format+"\t") }) {
				return usageError("graph: unknown --format %q; use dot, mermaid or json", format)
			}
			d, err := drawingOf(args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch format {
			case "dot":
				fmt.Fprint(out, dotSafe(d.Dot()))
			case "mermaid":
				fmt.Fprint(out, mermaidSafe(d.Mermaid()))
			case "json":
				fmt.Fprint(out, jsonSafe(string(d.JSON())))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "dot", "dot (Graphviz), mermaid or json")
	return cmd
}

// drawingOf is what graph draws of its argument: the topology file of that
// name, else the running lab of that name, from what status reports of it.
func drawingOf(arg string) (topology.Drawing, error) {
	if _, err := os.Stat(arg); errors.Is(err, os.ErrNotExist) && topology.ValidName(arg) {
		if labs, err := listLabs(); err == nil && slices.Contains(labs, arg) {
			ls, err := statusOf(true, ownLabs(arg)...)
			if err != nil {
				return topology.Drawing{}, err
			}
			if len(ls) == 1 {
				t, up := liveTopology(ls[0])
				return topology.Drawing{Topology: t, Up: up}, nil
			}
		}
		return topology.Drawing{}, usageError("graph: %s is no file, nor a lab that is up", arg)
	}
	t, err := loadTopology(arg, nil)
	if err != nil {
		return topology.Drawing{}, err
	}
	return topology.Drawing{Topology: t}, nil
}

// What a graph prints has its structure in tabs and newlines; the only text
// in it that a topology chose (interface names: node and lab names are
// [a-z0-9-], and no name holds white space) is inside quoted or HTML labels.
// So every other control character in the output is in a label, and is
// escaped as termSafe escapes it, spelt so that the label shows the escape:
// Graphviz reads \\ in a quoted string as one backslash (an HTML label shows
// both), Mermaid takes a backslash as it is. JSON escapes C0 controls
// itself; DEL and C1 controls are written \u00NN.

func dotSafe(s string) string     { return escapeControls(s, "\t\n", `\\`) }
func mermaidSafe(s string) string { return escapeControls(s, "\t\n", `\`) }

// jsonSafe writes DEL and the C1 controls, which encoding/json leaves as
// they are, as JSON escapes.
func jsonSafe(s string) string {
	if !strings.ContainsFunc(s, isDelOrC1) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isDelOrC1(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isDelOrC1(r rune) bool { return r >= 0x7f && r <= 0x9f }
