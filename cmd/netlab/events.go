package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/netlab/events"
)

func newEventsCommand() *cobra.Command {
	var asJSON, all, routes bool
	cmd := &cobra.Command{
		Use:   "events [LAB...] [--json] [--all] [--routes]",
		Short: "Stream what happens in labs until Ctrl-C",
		Long: `Stream what happens in the labs named (default: every lab of yours that is up),
one line per event, until Ctrl-C or until the labs go down: interfaces that go
up, down or lose carrier, addresses added and deleted (with --routes, routes
too), nodes that start, stop or end (with how), services that end, processes
the memory limits kill, and what netlab's verbs did (restart, stop, start,
link set, impairments). With --json, one JSON object per line: time, lab,
node, interface, kind, details. With --all, labs brought up after the stream
began are streamed too.`,
		Args: anyArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer stop()
			out := make(chan events.Event, 1024)
			done := make(chan error, 1)
			go func() {
				done <- thisMachine().Watch(ctx, args, netlab.WatchOptions{Routes: routes, All: all}, out)
				close(out)
			}()
			w := cmd.OutOrStdout()
			enc := json.NewEncoder(w)
			for ev := range out {
				var err error
				if asJSON {
					err = enc.Encode(ev)
				} else {
					_, err = fmt.Fprintln(w, termSafe(ev.Text()))
				}
				if err != nil {
					// The reader went away (a closed pipe): done.
					stop()
					for range out {
					}
					break
				}
			}
			err := <-done
			if ctx.Err() != nil && cmd.Context().Err() == nil {
				return nil // Ctrl-C is how a stream is meant to end
			}
			if err != nil && ctx.Err() == context.Canceled {
				return nil
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	cmd.Flags().BoolVar(&all, "all", false, "every lab of yours, those brought up later too")
	cmd.Flags().BoolVar(&routes, "routes", false, "route changes of the nodes' main tables too")
	return cmd
}
