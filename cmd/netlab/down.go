package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/netlab"
)

func newDownCommand() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "down [LAB...]",
		Short: "Take labs down and remove everything they made",
		Long: `Take labs down from their recorded state: processes, network namespaces,
mounts and state files. Works after a crashed or killed up, and is
idempotent: a lab that is not up is not an error. With no LAB, takes down
the only lab that is up.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if all {
				if len(args) > 0 {
					return usageError("down: give LAB names or --all, not both")
				}
				return netlab.DownAll(ctx)
			}
			if len(args) == 0 {
				labs, err := netlab.Labs()
				if err != nil {
					return err
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
			// down, and every failure is reported.
			var errs []error
			for _, name := range args {
				if err := netlab.Down(ctx, name); err != nil {
					errs = append(errs, err)
				}
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "take down every lab on this machine")
	return cmd
}
