package main

import (
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/nsproc"
)

func newExecCommand() *cobra.Command {
	var lab, dir string
	var env []string
	var tty, interactive bool
	cmd := &cobra.Command{
		Use:   "exec [--lab LAB] NODE -- COMMAND [ARG...]",
		Short: "Run a command in a node; its stdio and exit code pass through",
		Long: `Run COMMAND inside NODE with this process's stdin, stdout and stderr. The exit
code is the command's own: 126 not executable, 127 not found, 128+N killed by
signal N. The environment is clean (PATH, HOME=/root, TERM) plus --env.
NODE may be LAB/NODE; --lab may be left out while exactly one lab is up, or
while only one lab has a node of that name. Root enters an ordinary user's
lab as USER:LAB/NODE (or --lab USER:LAB). Flags may also stand between
NODE and "--".

Your terminal is never handed to the node: when stdin is a terminal (or with
-t) the command runs on a pty of the node's own that netlab relays; a terminal
as stdout or stderr alone is relayed through a pipe.`,
		Args: wantArgs(2, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Flags stop at NODE, so a "--" after it reaches us as is,
			// with any flags written between NODE and it.
			if i := slices.Index(args, "--"); i >= 1 {
				if err := cmd.Flags().Parse(args[1:i]); err != nil {
					return usageError("exec: %v", err)
				}
				if rest := cmd.Flags().Args(); len(rest) > 0 {
					return usageError("exec: %q before \"--\": write netlab exec NODE [FLAGS] -- COMMAND", rest[0])
				}
				args = append(args[:1], args[i+1:]...)
			}
			if len(args) < 2 {
				return usageError("exec: no command given; write: netlab exec NODE -- COMMAND")
			}
			for _, kv := range env {
				if !strings.Contains(kv, "=") {
					return usageError("exec: --env %q: write KEY=VALUE", kv)
				}
			}
			ref, err := thisMachine().ResolveNode(args[0], lab)
			if err != nil {
				return err
			}
			if tty || term.IsTerminal(int(os.Stdin.Fd())) {
				return runOnPTY(cmd, ref, args[1:], netlab.Env(env), dir)
			}
			// Signals meant for the command reach this process when it
			// runs in the foreground; they are passed on, not obeyed.
			sigs := make(chan os.Signal, 4)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
			defer signal.Stop(sigs)
			l, err := ref.Open()
			if err != nil {
				return err
			}
			code, err := l.Exec(cmd.Context(), ref.Node, nsproc.Command{
				Argv: args[1:], Env: netlab.Env(env), Dir: dir,
				Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
			}, sigs)
			return commandExit(ref, code, err)
		},
	}
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringVar(&lab, "lab", "", "the lab of NODE, LAB or USER:LAB (default: the only lab that is up, or that has NODE)")
	cmd.Flags().StringArrayVarP(&env, "env", "e", nil, "set KEY=VALUE in the command's environment (repeatable)")
	cmd.Flags().StringVarP(&dir, "workdir", "w", "/", "working directory in the node")
	cmd.Flags().BoolVarP(&tty, "tty", "t", false, "run the command on a pty (the default when stdin is a terminal)")
	cmd.Flags().BoolVarP(&interactive, "interactive", "i", true, "pass stdin to the command (always on; for docker's -it)")
	return cmd
}
