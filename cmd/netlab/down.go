package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

func newDownCommand() *cobra.Command {
	var all, allUsers, quiet bool
	cmd := &cobra.Command{
		Use:   "down [LAB...] [--all] [-q]",
		Short: "Take labs down and remove everything they made",
		Long: `Take labs down from their recorded state: processes, network namespaces,
mounts, cgroup and state files. Works after a crashed or killed up. With no
LAB, takes down the only lab that is up; --all takes down every lab of
yours, and says nothing if none is. A LAB that is not up is an error
(exit 1) that says which labs are; the others named still go down.

Root takes an ordinary user's lab down as USER:LAB: netlab then runs as
that user to do it, as the user would. Other users' labs go down only by
name, one by one, never with --all.`,
		Args: anyArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := stoppable(cmd.Context(), 0)
			defer stop()
			if allUsers {
				return usageError("down: other users' labs go down one by one: name each as USER:LAB (see netlab status --all-users)")
			}
			if all {
				if len(args) > 0 {
					return usageError("down: give LAB names or --all, not both")
				}
				return stopped(ctx, "down", "", downAll(ctx))
			}
			labs, listErr := listLabs()
			if len(args) == 0 {
				if listErr != nil {
					return listErr
				}
				switch len(labs) {
				case 0:
					return errNoLabUp
				case 1:
					args = labs
				default:
					return usageError("down: several labs are up (%s); name them or use --all", termSafe(strings.Join(labs, ", ")))
				}
			}
			// Like --all, go on after a failure: every lab named gets its
			// down, and every failure is reported.
			var errs []error
			for _, arg := range args {
				ref, err := findLab(arg)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if !ref.Machine.Own() {
					args := []string{"down", ref.Name}
					if quiet {
						args = append(args, "-q")
					}
					if err := runOwnersNetlab(ctx, cmd, ref, args); err != nil {
						errs = append(errs, err)
					}
					continue
				}
				if listErr == nil && !slices.Contains(labs, ref.Name) {
					errs = append(errs, thisMachine().NotUpError(ref.Name, "", labs))
					continue
				}
				if labBusy(ref.Name) && !quiet {
					fmt.Fprintln(cmd.ErrOrStderr(), termSafe(fmt.Sprintf("netlab: lab %s is being brought up or changed by another netlab; waiting for it (Ctrl-C to stop)", ref.Name)))
				}
				if err := downLab(ctx, ref.Name); err != nil {
					errs = append(errs, err)
					continue
				}
				if !quiet {
					fmt.Fprintf(cmd.OutOrStdout(), "lab %s is down\n", termSafe(ref.Name))
				}
			}
			return stopped(ctx, "down", "", errors.Join(errs...))
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "take down every lab of yours")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors")
	cmd.Flags().BoolVar(&allUsers, "all-users", false, "refused: name other users' labs one by one")
	cmd.Flags().MarkHidden("all-users")
	return cmd
}
