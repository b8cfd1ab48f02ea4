package main

import (
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/nsproc"
)

func newShellCommand() *cobra.Command {
	var lab string
	cmd := &cobra.Command{
		Use:   "shell [--lab LAB] NODE [-- COMMAND [ARG...]]",
		Short: "Open an interactive shell on a pty inside a node",
		Long: `Open an interactive shell (bash, else sh) on a pty of the node's own, or run
COMMAND on one: an interactive program such as vtysh or birdc.`,
		Args: wantArgs(1, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := thisMachine().ResolveNode(args[0], lab)
			if err != nil {
				return err
			}
			if len(args) > 1 {
				if args[1] == "--" {
					args = append(args[:1], args[2:]...)
				}
				if len(args) > 1 {
					return runOnPTY(cmd, ref, args[1:], netlab.Env(nil), "/root")
				}
			}
			return runShell(cmd, ref)
		},
	}
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringVar(&lab, "lab", "", "the lab of NODE, LAB or USER:LAB (default: the only lab that is up, or that has NODE)")
	return cmd
}

// runShell runs the node's shell on a pty of the node's own, relayed to
// this terminal (in raw mode while it runs), with size changes passed on.
func runShell(cmd *cobra.Command, ref netlab.NodeRef) error {
	shell := "/bin/sh"
	if _, err := os.Stat("/bin/bash"); err == nil {
		shell = "/bin/bash"
	}
	env := []string{"PS1=" + ref.Node + ":\\w\\$ "}
	if os.Getenv("TERM") == "" {
		env = append(env, "TERM=xterm")
	}
	return runOnPTY(cmd, ref, []string{shell, "-i"}, netlab.Env(env), "/root")
}

// runOnPTY runs argv in the node on a pty of the node's own, relayed to
// this process's stdin and stdout; a terminal there is put in raw mode
// while the command runs.
func runOnPTY(cmd *cobra.Command, ref netlab.NodeRef, argv, env []string, dir string) error {
	c := nsproc.Command{Argv: argv, Env: env, Dir: dir, Stdin: os.Stdin, Stdout: os.Stdout, PTY: true}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		defer signal.Stop(winch)
		c.Winch = winch
		old, err := term.MakeRaw(int(os.Stdin.Fd()))
		if err != nil {
			return err
		}
		defer term.Restore(int(os.Stdin.Fd()), old)
	}
	l, err := ref.Open()
	if err != nil {
		return err
	}
	code, err := l.Exec(cmd.Context(), ref.Node, c, nil)
	return commandExit(ref, code, err)
}

// commandExit is how exec and shell end: with the command's exit code, or
// why it could not start in the node (the node's words, escaped), or
// netlab's own error.
func commandExit(ref netlab.NodeRef, code int, err error) error {
	var ee *nsproc.ExitError
	if errors.As(err, &ee) {
		return &exitError{code: ee.Code, msg: ref.Node + ": " + termSafe(ee.Reason)}
	}
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}
