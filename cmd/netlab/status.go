package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/netlab"
)

func newStatusCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [LAB...]",
		Short: "Show labs, their nodes, pids, interfaces and addresses",
		RunE: func(cmd *cobra.Command, args []string) error {
			labs, err := netlab.Status(args...)
			if err != nil {
				return err
			}
			if asJSON {
				if labs == nil {
					labs = []netlab.LabStatus{}
				}
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"labs": labs})
			}
			if len(labs) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no lab is up")
				return nil
			}
			writeStatusTable(cmd.OutOrStdout(), labs)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return cmd
}

// writeStatusTable prints one row per interface; a node's and a lab's
// columns are filled on their first row only, so the table reads as a tree.
// What is wrong with broken labs follows the table. Every cell goes through
// termSafe: interface names are read back from the node, which may have
// renamed them to anything, and a tab or newline in one would also break
// the table.
func writeStatusTable(out io.Writer, labs []netlab.LabStatus) {
	var buf bytes.Buffer
	defer func() {
		// Padding of empty last cells would leave trailing blanks.
		for _, line := range strings.SplitAfter(buf.String(), "\n") {
			io.WriteString(out, strings.TrimRight(line, " \n")+strings.Repeat("\n", strings.Count(line, "\n")))
		}
	}()
	w := tabwriter.NewWriter(&buf, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "LAB\tSTATE\tNODE\tKIND\tPID\tIFACE\tLINK\tADDRESSES\tPEER")
	for _, l := range labs {
		lab, state := l.Name, l.State
		if len(l.Nodes) == 0 {
			row(w, lab, state, "", "", "", "", "", "", "")
		}
		for _, n := range l.Nodes {
			node, kind, pid := n.Name, n.Kind, fmt.Sprint(n.Pid)
			if !n.Running {
				pid = "-"
			}
			ifaces := n.Interfaces
			if len(ifaces) == 0 {
				ifaces = []netlab.InterfaceStatus{{}}
			}
			for _, i := range ifaces {
				row(w, lab, state, node, kind, pid, i.Name, i.State, strings.Join(i.Addresses, ","), i.Peer)
				lab, state, node, kind, pid = "", "", "", "", ""
			}
		}
	}
	w.Flush()
	for _, l := range labs {
		if l.Problem != "" {
			fmt.Fprintf(&buf, "%s: %s\n", termSafe(l.Name), termSafe(l.Problem))
		}
	}
}

// row writes one line of the table, each cell made safe.
func row(w io.Writer, cells ...string) {
	for i, c := range cells {
		cells[i] = termSafe(c)
	}
	io.WriteString(w, strings.Join(cells, "\t")+"\n")
}
