package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/netlab/capture"
)

func newCaptureCommand() *cobra.Command {
	var lab, out string
	var count int
	var duration time.Duration
	cmd := &cobra.Command{
		Use:   "capture [--lab LAB] NODE:IF... [-w FILE|-] [-c N] [--duration D]",
		Short: "Record interfaces of nodes as one pcapng stream, merged in time order",
		Long: `Record the frames of interfaces of running nodes, both directions, as pcapng:
one interface per NODE:IF, named so ("r1:eth1"), their packets merged in time
order, to FILE or to stdout (-w - or no -w), which must then be a pipe or a
file, not a terminal. Nothing is needed in the nodes: each node's netlab agent
opens the packet socket, for root and for the owner of a rootless lab alike.

It ends after N packets (-c), after D (--duration), on Ctrl-C (the file
complete), or when the reader of its pipe goes away (quietly, exit 0). A
summary goes to stderr. NODE may be LAB/NODE.

  netlab capture r1:eth1 -w r1.pcapng -c 100
  netlab capture r1:eth1 r2:eth1 r3:eth2 -w - | wireshark -k -i -
  netlab capture r1:eth1 --duration 10s | tcpdump -nr -`,
		Args: wantArgs(1, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if count < 0 {
				return usageError("capture: -c %d: write a count of packets, or 0 for no limit", count)
			}
			if duration < 0 {
				return usageError("capture: --duration %v: write a duration such as 10s", duration)
			}
			var points []capture.Point
			for _, a := range args {
				p, err := capture.ParsePoint(thisMachine(), a, lab)
				if errors.Is(err, netlab.ErrNoLabUp) || errors.Is(err, netlab.ErrNoLab) {
					return err // the machine's state, not the command line
				}
				if err != nil {
					return usageError("capture: %v", err)
				}
				points = append(points, p)
			}
			stdout := cmd.OutOrStdout()
			toStdout := out == "" || out == "-"
			if f, ok := stdout.(*os.File); ok && toStdout && term.IsTerminal(int(f.Fd())) {
				return usageError("capture: will not write pcapng to a terminal; use -w FILE, or a pipe: netlab capture %s -w - | tcpdump -nr -", strings.Join(args, " "))
			}
			// A reader that goes away is the end of the capture, not a
			// signal that kills it.
			signal.Ignore(syscall.SIGPIPE)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer stop()
			c, err := capture.Open(ctx, thisMachine(), points)
			if err != nil {
				return err
			}
			defer c.Close()
			w := stdout
			var file *os.File
			if !toStdout {
				if file, err = os.Create(out); err != nil {
					return err
				}
				w = file
			}
			st, err := c.Run(ctx, w, capture.Options{Count: count, Duration: duration})
			if file != nil {
				if cerr := file.Close(); err == nil && cerr != nil {
					err = fmt.Errorf("write %s: %w", out, cerr)
				}
			}
			if errors.Is(err, capture.ErrReaderGone) {
				return nil
			}
			summary(cmd.ErrOrStderr(), st)
			if errors.Is(err, capture.ErrGone) {
				return fmt.Errorf("capture ended: every interface went away (was the lab taken down?)")
			}
			return err
		},
	}
	cmd.Flags().StringVar(&lab, "lab", "", "the lab of the nodes (default: the only lab that is up)")
	cmd.Flags().StringVarP(&out, "write", "w", "", `write pcapng to FILE ("-" or none: stdout, not a terminal)`)
	cmd.Flags().IntVarP(&count, "count", "c", 0, "end after N packets (0: no limit)")
	cmd.Flags().DurationVar(&duration, "duration", 0, "end after D, e.g. 10s (0: no limit)")
	cmd.ValidArgsFunction = func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return completeLinkSet(cmd, nil, toComplete)
	}
	return cmd
}

// summary tells on w what a capture wrote, as tcpdump does on exit.
func summary(w io.Writer, st capture.Stats) {
	var per []string
	var dropped uint64
	for _, i := range st.Interfaces {
		s := fmt.Sprintf("%s %d", i.Name, i.Written)
		if i.Gone {
			s += " (went away)"
		}
		per = append(per, s)
		dropped += i.Dropped
	}
	line := fmt.Sprintf("netlab capture: %s written (%s), %d dropped by the kernel", count(st.Packets, "packet"), strings.Join(per, ", "), dropped)
	if st.Late > 0 {
		line += fmt.Sprintf(", %d out of time order", st.Late)
	}
	fmt.Fprintln(w, termSafe(line))
}
