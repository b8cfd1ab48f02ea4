package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func newDownCommand() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "down [LAB...]",
		Short: "Take labs down and remove everything they made",
		Long: `Take labs down from their recorded state: processes, network namespaces,
mounts and state files. Works after a crashed or killed up, and is
idempotent: a lab that is not up is not an error (exit 0), though down says
so on stderr, with the labs that are up. With no LAB, takes down the only
lab that is up; --all takes down every lab, and says nothing if none is.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if all {
				if len(args) > 0 {
					return usageError("down: give LAB names or --all, not both")
				}
				return downAll(ctx)
			}
			labs, listErr := listLabs()
			if len(args) == 0 {
				if listErr != nil {
					return listErr
				}
				switch len(labs) {
				case 0:
					fmt.Fprintln(cmd.ErrOrStderr(), "no lab is up")
					return nil
				case 1:
					args = labs
				default:
					return usageError("down: several labs are up (%s); name them or use --all", termSafe(strings.Join(labs, ", ")))
				}
			}
			// Like --all, go on after a failure: every lab named gets its
			// down, and every failure is reported. A lab that is not up
			// is no failure (scripts run down to be sure), but is said, as
			// it may be a typo: its down still runs, to refuse a bad name.
			var errs []error
			for _, name := range args {
				if labBusy(name) {
					fmt.Fprintln(cmd.ErrOrStderr(), termSafe(fmt.Sprintf("netlab: lab %s is being brought up or changed by another netlab; waiting for it (Ctrl-C to stop)", name)))
				}
				if err := downLab(ctx, name); err != nil {
					errs = append(errs, err)
					continue
				}
				if listErr == nil && !slices.Contains(labs, name) {
					fmt.Fprintln(cmd.ErrOrStderr(), notUpMessage(name, labs))
				}
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "take down every lab on this machine")
	return cmd
}

// notUpMessage is what down says of a lab that is not up, with the labs
// that are.
func notUpMessage(name string, up []string) string {
	running := "no lab is up"
	if len(up) > 0 {
		running = "running: " + strings.Join(up, ", ")
	}
	return termSafe(fmt.Sprintf("netlab: no lab %s is up (%s)", name, running))
}
