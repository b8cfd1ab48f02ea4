package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/topology"
)

func newUpCommand() *cobra.Command {
	var timeout, stepTimeout time.Duration
	var quiet, verbose, checkAfter, replace bool
	var asUser, host string
	cmd := &cobra.Command{
		Use:   "up FILE",
		Short: "Bring a lab up from a topology file",
		Long: `Bring a lab up: start every node, wire links, addresses and routes, run the
exec steps, start the services and wait until they are ready. Exits 0 only
when all of it is done; on any failure, Ctrl-C (exit 130) or --timeout
(exit 124), everything made so far is removed first.

FILE is a netlab topology, or a containerlab one (*.clab.yml, *.clab.yaml,
or any file with a top-level topology:), read as netlab import reads it.

--replace takes down a lab of the same name first, if one is up. Root may
bring a lab up for an ordinary user (--user USER): netlab then runs as
that user, as the user would run it, and the lab is the user's (a
student's lab reset with up --replace --user alice exercise.yaml). FILE
must be readable by the user.

A lab across hosts (hosts: in FILE) is brought up by running the same
command with the same FILE on every host, in any order: each brings up
the nodes placed on it and its ends of the links to the others (VXLAN,
UDP 4789 unless vxlan_port: says). --host names which of FILE's hosts this
machine is; without it, it is the one whose address is this machine's.`,
		Args: wantArgs(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			warn := func(msg string) { fmt.Fprintf(cmd.ErrOrStderr(), "netlab: warning: %s\n", termSafe(msg)) }
			readWarn := warn
			if asUser != "" {
				readWarn = nil // the user's netlab reads the file again, and warns
			}
			topo, err := loadTopology(args[0], readWarn)
			if err != nil {
				return err
			}
			ctx, stop := stoppable(cmd.Context(), timeout)
			defer stop()
			if asUser != "" {
				return stopped(ctx, "up", "", upAsUser(ctx, cmd, asUser, topo.Name, args[0]))
			}
			if replace {
				if labs, err := listLabs(); err == nil && slices.Contains(labs, topo.Name) {
					if err := downLab(ctx, topo.Name); err != nil {
						return stopped(ctx, "up --replace", "", fmt.Errorf("up --replace: take the running lab %s down: %w", topo.Name, err))
					}
					if !quiet {
						fmt.Fprintf(cmd.ErrOrStderr(), "netlab: lab %s was up: taken down, to be brought up again\n", termSafe(topo.Name))
					}
				}
			}
			start := time.Now()
			lab, err := thisMachine().Up(ctx, topo, netlab.UpOptions{
				Progress:    newProgressPrinter(quiet, verbose),
				StepTimeout: stepTimeout,
				Warn:        warn,
				Host:        host,
			})
			if err != nil {
				if errors.As(err, new(*stopCause)) {
					return err
				}
				return stopped(ctx, "up", "nothing is left of the lab", err)
			}
			if quiet {
				if checkAfter {
					return checkAfterUp(cmd, lab.Name())
				}
				return nil
			}
			w := cmd.OutOrStdout()
			name := termSafe(lab.Name())
			nodes, err := lab.Nodes()
			if err != nil {
				return err
			}
			if here := lab.Host(); here != "" {
				part := topo.CutLinks()
				fmt.Fprintf(w, "lab %s is up on host %s: %d of its %s, %d of its %s to other hosts, in %.2fs\n",
					name, termSafe(here), len(nodes), count(len(topo.Nodes), "node"), tunnelsOf(topo, here, part), count(len(part), "link"), time.Since(start).Seconds())
			} else {
				fmt.Fprintf(w, "lab %s is up: %s, %s in %.2fs\n",
					name, count(len(topo.Nodes), "node"), count(len(topo.Links), "link"), time.Since(start).Seconds())
			}
			if len(nodes) > 0 {
				fmt.Fprintf(w, "  netlab status %s\n  netlab exec %s -- ip address\n  netlab down %s\n",
					name, termSafe(nodes[0]), name)
			}
			if checkAfter {
				return checkAfterUp(cmd, lab.Name())
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "give up (and clean up) after this long, e.g. 30s, exit 124; 0: no limit")
	cmd.Flags().DurationVar(&stepTimeout, "step-timeout", time.Minute, "fail up when one exec step runs longer than this")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print each step of up with its time")
	cmd.Flags().BoolVar(&checkAfter, "check", false, "then run the topology's checks: (see netlab check); exit 1 if one fails, the lab staying up")
	cmd.Flags().BoolVar(&replace, "replace", false, "take down a lab of the same name first, if one is up")
	cmd.Flags().StringVar(&asUser, "user", "", "bring the lab up as this ordinary `USER`, as the user's own (root only)")
	cmd.Flags().StringVar(&host, "host", "", "which of the lab's hosts: this machine is (`NAME`; default: the one whose address is here)")
	return cmd
}

// upAsUser is up --user: root runs this netlab's up as user, with the same
// flags, on the user's state directory (that of the lab when one of that
// name is up). What it prints is the user's process's: escaped here.
func upAsUser(ctx context.Context, cmd *cobra.Command, user, lab, file string) error {
	dirs, err := thisMachine().UserMachines(user)
	if err != nil {
		return err
	}
	if len(dirs) == 1 && dirs[0].Own() {
		return usageError("up --user %s: that is you; leave --user out", termSafe(user))
	}
	if len(dirs) == 0 {
		d, err := thisMachine().UserDefaultMachine(user)
		if err != nil {
			return err
		}
		dirs = append(dirs, d)
	}
	ref := netlab.LabRef{Machine: dirs[0], Name: lab}
	for _, d := range dirs {
		if names, err := d.Labs(); err == nil && slices.Contains(names, lab) {
			ref.Machine = d
			break
		}
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	args := []string{"up", abs}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if f.Name != "user" {
			args = append(args, "--"+f.Name+"="+f.Value.String())
		}
	})
	return runOwnersNetlab(ctx, cmd, ref, args)
}

// tunnelsOf is how many of links, t's links across hosts, have an end on
// host.
func tunnelsOf(t *topology.Topology, host string, links []*topology.Link) int {
	n := 0
	for _, l := range links {
		for _, e := range l.Endpoints {
			if t.Node(e.Node).Host == host {
				n++
			}
		}
	}
	return n
}
