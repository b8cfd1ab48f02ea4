package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/topology"
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
			t, err := topology.Load(args[0])
			if err != nil {
				return err
			}
			switch format {
			case "dot":
				fmt.Fprint(cmd.OutOrStdout(), t.Dot())
			case "mermaid":
				fmt.Fprint(cmd.OutOrStdout(), t.Mermaid())
			default:
				return usageError("graph: unknown --format %q; use dot or mermaid", format)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "dot", "dot (Graphviz) or mermaid")
	return cmd
}
