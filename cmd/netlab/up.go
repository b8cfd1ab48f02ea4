package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/netlab"
)

func newUpCommand() *cobra.Command {
	var timeout, stepTimeout time.Duration
	var quiet, verbose, checkAfter bool
	cmd := &cobra.Command{
		Use:   "up FILE",
		Short: "Bring a lab up from a topology file",
		Long: `Bring a lab up: start every node, wire links, addresses and routes, run the
exec steps. Exits 0 only when all of it is done; on any failure, Ctrl-C or
timeout, everything made so far is removed first.

FILE is a netlab topology, or a containerlab one (*.clab.yml, *.clab.yaml,
or any file with a top-level topology:), read as netlab import reads it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			warn := func(msg string) { fmt.Fprintf(cmd.ErrOrStderr(), "netlab: warning: %s\n", termSafe(msg)) }
			topo, err := loadTopology(args[0], warn)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer stop()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			for _, w := range netlab.Unapplied(topo) {
				warn(w)
			}
			start := time.Now()
			lab, err := netlab.Up(ctx, topo, netlab.UpOptions{
				Progress:    newProgressPrinter(quiet, verbose),
				StepTimeout: stepTimeout,
				Warn:        warn,
			})
			if err != nil {
				return err
			}
			if quiet {
				if checkAfter {
					return checkAfterUp(cmd, lab.Name())
				}
				return nil
			}
			w := cmd.OutOrStdout()
			name := termSafe(lab.Name())
			fmt.Fprintf(w, "lab %s is up: %s, %s in %.2fs\n",
				name, count(len(topo.Nodes), "node"), count(len(topo.Links), "link"), time.Since(start).Seconds())
			if len(topo.Nodes) > 0 {
				fmt.Fprintf(w, "  netlab status %s\n  netlab exec %s -- ip address\n  netlab down %s\n",
					name, termSafe(topo.Nodes[0].Name), name)
			}
			if checkAfter {
				return checkAfterUp(cmd, lab.Name())
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "give up (and clean up) after this long, e.g. 30s; 0: no limit")
	cmd.Flags().DurationVar(&stepTimeout, "step-timeout", time.Minute, "fail up when one exec step runs longer than this")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print each step of up with its time")
	cmd.Flags().BoolVar(&checkAfter, "check", false, "then run the topology's checks: (see netlab check); exit 1 if one fails, the lab staying up")
	return cmd
}
