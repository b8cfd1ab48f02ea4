package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newGraphCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "graph FILE [--format dot|mermaid]",
		Short: "Draw a topology: nodes by kind, links labelled with interfaces and addresses",
		Long: `Print a topology as a Graphviz graph (render it with: netlab graph FILE | dot -Tsvg > lab.svg)
or as a Mermaid flowchart (paste it into Markdown). No root needed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := loadTopology(args[0])
			if err != nil {
				return err
			}
			switch format {
			case "dot":
				fmt.Fprint(cmd.OutOrStdout(), dotSafe(t.Dot()))
			case "mermaid":
				fmt.Fprint(cmd.OutOrStdout(), mermaidSafe(t.Mermaid()))
			default:
				return usageError("graph: unknown --format %q; use dot or mermaid", format)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "dot", "dot (Graphviz) or mermaid")
	return cmd
}

// What a graph prints has its structure in tabs and newlines; the only text
// in it that a topology chose (interface names: node and lab names are
// [a-z0-9-], and no name holds white space) is inside quoted labels. So
// every other control character in the output is in a label, and is
// escaped as termSafe escapes it, spelt so that the label shows the escape:
// Graphviz reads \\ in a quoted string as one backslash, Mermaid takes a
// backslash as it is.

func dotSafe(s string) string     { return escapeControls(s, "\t\n", `\\`) }
func mermaidSafe(s string) string { return escapeControls(s, "\t\n", `\`) }
