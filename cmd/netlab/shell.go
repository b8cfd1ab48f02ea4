package main

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/creack/pty"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/nsproc"
)

func newShellCommand() *cobra.Command {
	var lab string
	cmd := &cobra.Command{
		Use:   "shell [--lab LAB] NODE",
		Short: "Open an interactive shell on a pty inside a node",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			labName, node, err := netlab.ResolveNode(args[0], lab)
			if err != nil {
				return usageError("%v", err)
			}
			return runShell(cmd, labName, node)
		},
	}
	cmd.Flags().StringVar(&lab, "lab", "", "the lab of NODE (default: the only lab that is up)")
	return cmd
}

// runShell gives the node's shell a pty whose far end stays here: this
// process copies the terminal to it and back, and passes size changes on.
func runShell(cmd *cobra.Command, lab, node string) error {
	ptmx, tty, err := pty.Open()
	if err != nil {
		return err
	}
	defer ptmx.Close()
	if term.IsTerminal(int(os.Stdin.Fd())) {
		pty.InheritSize(os.Stdin, ptmx)
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		defer signal.Stop(winch)
		go func() {
			for range winch {
				pty.InheritSize(os.Stdin, ptmx)
			}
		}()
		old, err := term.MakeRaw(int(os.Stdin.Fd()))
		if err != nil {
			tty.Close()
			return err
		}
		defer term.Restore(int(os.Stdin.Fd()), old)
	}
	go io.Copy(ptmx, os.Stdin)
	copied := make(chan struct{})
	go func() {
		io.Copy(os.Stdout, ptmx)
		close(copied)
	}()

	shell := "/bin/sh"
	if _, err := os.Stat("/bin/bash"); err == nil {
		shell = "/bin/bash"
	}
	env := []string{"PS1=" + node + ":\\w\\$ "}
	if os.Getenv("TERM") == "" {
		env = append(env, "TERM=xterm")
	}
	code, err := netlab.Exec(cmd.Context(), lab, node, nsproc.Command{
		Argv: []string{shell, "-i"}, Env: netlab.Env(env), Dir: "/root",
		Stdin: tty, Stdout: tty, Stderr: tty, TTY: true,
	}, nil)
	tty.Close()
	// Drain what the shell printed last; the pty reports EIO once the
	// node's side is closed by everyone, which a process the shell left
	// running in the background may never do.
	ptmx.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	<-copied
	var ee *nsproc.ExitError
	if errors.As(err, &ee) {
		return &exitError{code: ee.Code, msg: node + ": " + ee.Reason}
	}
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}
