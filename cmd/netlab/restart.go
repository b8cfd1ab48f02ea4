package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/netlab"
)

func newRestartCommand() *cobra.Command {
	return newLifeCommand("restart", "Kill a node's processes and start it again, keeping its links",
		`Restart NODE: every process of it is killed, its interfaces go down (its
neighbours lose carrier), and it starts again as up started it, in the network
namespace the lab kept: its interfaces keep their indexes, and its addresses,
routes, files, sysctls, daemons, exec steps and services come from the
topology. What it changed at run time in its files or processes is gone, and
so is a route added by hand through an interface of it.`,
		(*netlab.Lab).Restart)
}

// newLifeCommand is restart, stop or start: verb NODE... (NODE, LAB/NODE,
// or with --lab LAB), doing what do does to the nodes of each lab named.
func newLifeCommand(verb, short, long string, do func(*netlab.Lab, context.Context, ...string) error) *cobra.Command {
	var lab string
	cmd := &cobra.Command{
		Use:   verb + " [--lab LAB] NODE...",
		Short: short,
		Long:  long + "\n\nNODE may be LAB/NODE; several may be named at once, of one lab or several.",
		Args:  wantArgs(1, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			labs, nodes, err := thisMachine().NodesOf(args, lab)
			if err != nil {
				return err
			}
			var errs []error
			for i, ref := range labs {
				if !ref.Machine.Own() {
					errs = append(errs, usageError("%s: %s is user %s's lab: root only reads other users' labs (and takes them down); changing them is theirs", verb, termSafe(ref.String()), termSafe(ref.Machine.User)))
					continue
				}
				l, err := ref.Open()
				if err == nil {
					err = do(l, cmd.Context(), nodes[i]...)
				}
				if err != nil {
					errs = append(errs, err)
				}
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().StringVar(&lab, "lab", "", "the lab of the nodes (default: the only lab that is up, or that has NODE)")
	return cmd
}
