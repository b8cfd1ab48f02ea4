package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/netlab"
)

func newStatusCommand() *cobra.Command {
	var asJSON, brief bool
	cmd := &cobra.Command{
		Use:   "status [LAB...] [--brief] [--json]",
		Short: "Show labs, their nodes, pids, interfaces and addresses",
		Long: `Show the labs named, or every lab on this machine: one row per interface of
every node, with its state, addresses and the other end of its link; what is
wrong with a broken lab follows the table. --brief shows one line per lab:
its nodes, links, state and how long ago it came up. --json prints all of it
as JSON (with or without --brief).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			labs, err := statusOf(args...)
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
			if brief {
				writeBriefTable(cmd.OutOrStdout(), labs, now())
				return nil
			}
			writeStatusTable(cmd.OutOrStdout(), labs)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table (all of it, also with --brief)")
	cmd.Flags().BoolVar(&brief, "brief", false, "one line per lab: NAME NODES LINKS STATE AGE")
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
	defer trimmedCopy(out, &buf)
	w := newTable(&buf)
	fmt.Fprintln(w, "LAB\tSTATE\tNODE\tKIND\tPID\tIFACE\tLINK\tADDRESSES\tPEER\tIMPAIRMENT")
	for _, l := range labs {
		lab, state := l.Name, l.State
		if len(l.Nodes) == 0 {
			row(w, lab, state, "", "", "", "", "", "", "", "")
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
				row(w, lab, state, node, kind, pid, i.Name, i.State, strings.Join(i.Addresses, ","), i.Peer, i.Impairment)
				lab, state, node, kind, pid = "", "", "", "", ""
			}
		}
	}
	w.Flush()
	writeServices(&buf, labs)
	for _, l := range labs {
		if l.Problem != "" {
			fmt.Fprintf(&buf, "%s: %s\n", termSafe(l.Name), termSafe(l.Problem))
		}
	}
}

// writeServices adds, under the table, a table of the nodes' services, if
// any node has one: each running (with its pid in the node) or exited
// (with its code).
func writeServices(buf *bytes.Buffer, labs []netlab.LabStatus) {
	var rows [][]string
	for _, l := range labs {
		for _, n := range l.Nodes {
			for _, sv := range n.Services {
				state := fmt.Sprintf("running (pid %d)", sv.Pid)
				if !sv.Running {
					state = fmt.Sprintf("exited %d", sv.Exit)
				}
				rows = append(rows, []string{l.Name, n.Name, sv.Name, state})
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	buf.WriteString("\n")
	w := newTable(buf)
	fmt.Fprintln(w, "LAB\tNODE\tSERVICE\tSTATE")
	for _, r := range rows {
		row(w, r...)
	}
	w.Flush()
}

// row writes one line of the table, each cell made safe.
func row(w io.Writer, cells ...string) {
	for i, c := range cells {
		cells[i] = termSafe(c)
	}
	io.WriteString(w, strings.Join(cells, "\t")+"\n")
}

// writeBriefTable prints one line per lab: its name, how many nodes and
// links it has, its state and how long ago its state was last written
// (when up finished, for a lab that is up). Links are counted as status
// sees them, through the interfaces of its running nodes.
func writeBriefTable(out io.Writer, labs []netlab.LabStatus, at time.Time) {
	var buf bytes.Buffer
	defer trimmedCopy(out, &buf)
	w := newTable(&buf)
	fmt.Fprintln(w, "NAME\tNODES\tLINKS\tSTATE\tAGE")
	for _, l := range labs {
		t, _ := liveTopology(l)
		age := "-"
		if since, err := labSince(l.Name); err == nil {
			age = shortAge(at.Sub(since))
		}
		row(w, l.Name, fmt.Sprint(len(l.Nodes)), fmt.Sprint(len(t.Links)), l.State, age)
	}
	w.Flush()
}

// shortAge is a duration as a lab's age: 42s, 5m10s, 3h7m, 2d5h.
func shortAge(d time.Duration) string {
	s := int64(max(d, 0) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 10*60:
		return fmt.Sprintf("%dm%ds", s/60, s%60)
	case s < 3600:
		return fmt.Sprintf("%dm", s/60)
	case s < 24*3600:
		return fmt.Sprintf("%dh%dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%dh", s/86400, s%86400/3600)
}

// newTable is the tabwriter of status's tables.
func newTable(buf *bytes.Buffer) *tabwriter.Writer { return tabwriter.NewWriter(buf, 0, 8, 2, ' ', 0) }

// trimmedCopy writes a table to out without the trailing blanks that
// padding of empty last cells leaves.
func trimmedCopy(out io.Writer, buf *bytes.Buffer) {
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		io.WriteString(out, strings.TrimRight(line, " \n")+strings.Repeat("\n", strings.Count(line, "\n")))
	}
}
