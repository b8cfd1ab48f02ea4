package main

import (
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/nsproc"
)

func newLogsCommand() *cobra.Command {
	var lab string
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs [--lab LAB] NODE [SERVICE] [-f]",
		Short: "Show a node's logs: its services, exec steps and daemons",
		Long: `Show what NODE's services, exec steps (log "exec") and routing daemons
(log "daemons") wrote, from the start; SERVICE shows one of them. With -f, go
on showing what they write until interrupted. Logs live in the node, under
` + nsproc.LogDir + `, and go with it at down.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			labName, node, err := netlab.ResolveNode(args[0], lab)
			if err != nil {
				return usageError("%v", err)
			}
			service := ""
			if len(args) == 2 {
				service = args[1]
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			code, err := netlab.Logs(ctx, labName, node, service, follow, os.Stdout, os.Stderr)
			if errors.Is(err, netlab.ErrBadName) {
				return usageError("%v", err)
			}
			if ctx.Err() != nil && follow {
				return nil // interrupted, as -f is
			}
			if err != nil {
				return err
			}
			if code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&lab, "lab", "", "the lab of NODE (default: the only lab that is up)")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep showing what is written")
	return cmd
}
