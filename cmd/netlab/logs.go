package main

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/netlab-dev/netlab/nsproc"
)

func newLogsCommand() *cobra.Command {
	var lab string
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs [--lab LAB] NODE [LOG] [-f]",
		Short: "Show a node's logs: its services, exec steps and routing daemons",
		Long: `Show what NODE's services, exec steps (log "exec") and routing daemons wrote,
from the start; LOG shows one of them. With -f, go on showing what they write
until interrupted (Ctrl-C ends it, exit 0).

The logs of netlab's own making live in the node, under ` + nsproc.LogDir + `: one per
service, "exec", and "daemons" (how the daemons started). A routing daemon's
own log is its own: for an FRR node each daemon's (zebra, staticd, ospfd,
bgpd, ...) in /run/frr, and any file its frr.conf names with "log file"; for
a BIRD node the files its bird.conf names with log "FILE" (name one by its
base name: log "/var/log/bird.log" is LOG bird). All go with the node at
down.

On a terminal, control characters a node wrote are shown escaped (\x1b),
so that no log can retitle the window or type into it; into a pipe or a
file the bytes go as they are. NODE may be LAB/NODE, or for root USER:LAB/NODE.`,
		Args: wantArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := thisMachine().ResolveNode(args[0], lab)
			if err != nil {
				return err
			}
			l, err := ref.Open()
			if err != nil {
				return err
			}
			log := ""
			if len(args) == 2 {
				log = args[1]
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			stdout, done, err := logOutput(os.Stdout)
			if err != nil {
				return err
			}
			code, err := l.Logs(ctx, ref.Node, log, follow, stdout, os.Stderr)
			done()
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
	cmd.Flags().StringVar(&lab, "lab", "", "the lab of NODE, LAB or USER:LAB (default: the only lab that is up, or that has NODE)")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep showing what is written")
	return cmd
}

// logOutput is where a node's logs go for out: out itself when it is a
// pipe or a file; when it is a terminal, a pipe whose bytes are copied to
// it escaped (see safeWriter). done waits for the copy to finish; a node
// process still holding the pipe open is not waited for past a moment.
func logOutput(out *os.File) (w *os.File, done func(), err error) {
	if !term.IsTerminal(int(out.Fd())) {
		return out, func() {}, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	safe := newSafeWriter(out)
	var copied sync.WaitGroup
	copied.Add(1)
	go func() {
		defer copied.Done()
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			safe.Write(buf[:n])
			if err != nil {
				safe.Flush()
				return
			}
		}
	}()
	return w, func() {
		w.Close()
		r.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		copied.Wait()
		r.Close()
	}, nil
}
