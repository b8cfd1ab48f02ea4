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
	var asJSON, brief, allUsers bool
	cmd := &cobra.Command{
		Use:   "status [LAB...] [--all-users] [--brief] [--json]",
		Short: "Show labs, their nodes, pids, interfaces and addresses",
		Long: `Show the labs named, or every lab of yours: one row per interface of every
node, with its state, addresses and the other end of its link; what is wrong
with a broken lab follows the table. --brief shows one line per lab: its
nodes, links, state and how long ago it was brought up. --json prints all of
it as JSON (with or without --brief), each lab with its owner, start time and
absolute topology file.

Root sees other users' labs when it asks: --all-users shows every lab of
every user (and root's), USER:LAB one of them; the tables then start with
the labs' owners. What root reads there it only reads.

Exits 1 when no lab is up (the JSON then lists none).`,
		Args: anyArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if allUsers && len(args) > 0 {
				return usageError("status: give LAB names or --all-users, not both")
			}
			var refs []netlab.LabRef
			var err error
			if len(args) > 0 {
				refs, err = namedLabs("status", args)
			} else {
				refs, err = everyLab(cmd, allUsers)
			}
			if err != nil {
				return err
			}
			labs, err := statusOf(!brief || asJSON, refs...)
			if err != nil {
				return err
			}
			owners := allUsers || classMode(refs)
			out := cmd.OutOrStdout()
			switch {
			case asJSON:
				if labs == nil {
					labs = []netlab.LabStatus{}
				}
				var b bytes.Buffer
				enc := json.NewEncoder(&b)
				enc.SetIndent("", "  ")
				if err := enc.Encode(map[string]any{"labs": labs}); err != nil {
					return err
				}
				io.WriteString(out, jsonSafe(b.String()))
			case len(labs) == 0:
			case brief:
				writeBriefTable(out, labs, owners, now())
			default:
				writeStatusTable(out, labs, owners)
			}
			if len(labs) == 0 {
				return errNoLabUp
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table (all of it, also with --brief)")
	cmd.Flags().BoolVar(&brief, "brief", false, "one line per lab: NAME NODES LINKS STATE AGE")
	cmd.Flags().BoolVar(&allUsers, "all-users", false, "every user's labs, root's too (root only)")
	return cmd
}

// writeStatusTable prints one row per interface; a node's and a lab's
// columns are filled on their first row only, so the table reads as a tree.
// What is wrong with broken labs follows the table. Every cell goes through
// termSafe: interface names are read back from the node, which may have
// renamed them to anything, and a tab or newline in one would also break
// the table. With owners, the first column is each lab's owner.
func writeStatusTable(out io.Writer, labs []netlab.LabStatus, owners bool) {
	var buf bytes.Buffer
	defer trimmedCopy(out, &buf)
	w := newTable(&buf)
	owner := func(l netlab.LabStatus) []string {
		if owners {
			return []string{l.Owner}
		}
		return nil
	}
	head := "LAB\tSTATE\tNODE\tKIND\tPID\tIFACE\tLINK\tADDRESSES\tPEER\tIMPAIRMENT"
	if owners {
		head = "OWNER\t" + head
	}
	fmt.Fprintln(w, head)
	for _, l := range labs {
		who, lab, state := owner(l), l.Name, l.State
		if len(l.Nodes) == 0 {
			row(w, append(who, lab, state, "", "", "", "", "", "", "", "")...)
		}
		for _, n := range l.Nodes {
			node, kind, pid := n.Name, n.Kind, fmt.Sprint(n.Pid)
			switch {
			case n.Stopped:
				pid = "stopped"
			case !n.Running:
				pid = "-"
			}
			ifaces := n.Interfaces
			if len(ifaces) == 0 {
				ifaces = []netlab.InterfaceStatus{{}}
			}
			for _, i := range ifaces {
				peer := i.Peer
				if i.PeerHost != "" {
					peer += " (host " + i.PeerHost + ")"
				}
				row(w, append(who, lab, state, node, kind, pid, i.Name, i.State, strings.Join(i.Addresses, ","), peer, i.Impairment)...)
				lab, state, node, kind, pid = "", "", "", "", ""
				if owners {
					who = []string{""}
				}
			}
		}
	}
	w.Flush()
	writeServices(&buf, labs)
	for _, l := range labs {
		if l.Problem != "" {
			fmt.Fprintf(&buf, "%s: %s\n", termSafe(labName(l)), termSafe(l.Problem))
		}
	}
}

// labName is a lab as commands name it: LAB, or USER:LAB for another
// user's.
func labName(l netlab.LabStatus) string {
	if l.Ref.Machine != nil {
		return l.Ref.String()
	}
	return l.Name
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
				rows = append(rows, []string{labName(l), n.Name, sv.Name, state})
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

// writeBriefTable prints one line per lab (after its owner, with
// owners): its name, how many nodes and links it has, its state and how
// long ago it was brought up. Links are counted as status sees them,
// through the interfaces of its running nodes.
func writeBriefTable(out io.Writer, labs []netlab.LabStatus, owners bool, at time.Time) {
	var buf bytes.Buffer
	defer trimmedCopy(out, &buf)
	w := newTable(&buf)
	head := "NAME\tNODES\tLINKS\tSTATE\tAGE"
	if owners {
		head = "OWNER\t" + head
	}
	fmt.Fprintln(w, head)
	for _, l := range labs {
		age := "-"
		if !l.Started.IsZero() {
			age = shortAge(at.Sub(l.Started))
		}
		// Links as the lab's state counts them (--brief reads no
		// interface); else, as the nodes' interfaces show them.
		links := l.Links
		if links == 0 {
			t, _ := liveTopology(l)
			links = len(t.Links)
		}
		cells := []string{l.Name, fmt.Sprint(len(l.Nodes)), fmt.Sprint(links), l.State, age}
		if owners {
			cells = append([]string{l.Owner}, cells...)
		}
		row(w, cells...)
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
