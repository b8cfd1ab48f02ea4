package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/topology"
)

// Exit codes, as the README documents them.
const (
	exitOK      = 0
	exitFailure = 1 // a runtime failure
	exitUsage   = 2 // bad usage or an invalid topology
)

// exitError ends the command with a given code; an empty message prints
// nothing (the command already said why, or is passing on a code).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// usageError marks an error as the caller's mistake: exit code 2.
func usageError(format string, a ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, a...)}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "netlab",
		Short: "Network labs from YAML, in Linux namespaces, up in a second and down without a trace",
		Long: `netlab builds virtual networks on this machine out of kernel namespaces: every
node is a process tree with its own network, mounts, hostname, PIDs and IPC,
running the host's binaries; links are veth pairs; addresses and routes come
from the topology file.

Shell completion (verbs, flags, labs, nodes, topology files): see
netlab completion --help.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%v", err) })
	root.AddCommand(newUpCommand(), newDownCommand(), newStatusCommand(), newExecCommand(),
		newShellCommand(), newLogsCommand(), newLinkCommand(), newCaptureCommand(), newCheckCommand(), newValidateCommand(), newGraphCommand(), newImportCommand(), newVersionCommand())
	root.CompletionOptions.DisableDefaultCmd = true // ours says more, and refuses a bad shell with exit 2
	root.AddCommand(newCompletionCommand())
	addCompletions(root)
	return root
}

// run executes the command line and returns the process exit code.
func run(args []string) int { return runIO(args, os.Stdout, os.Stderr) }

// runIO is run with the command's output and errors going to stdout and
// stderr.
func runIO(args []string, stdout, stderr io.Writer) int {
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return reportError(stderr, root.Execute())
}

// reportError prints err to w, made safe for a terminal, and returns the
// exit code it calls for. Joined errors (every problem of a topology file,
// every lab down failed to remove) are printed one after another: topology
// errors as they are, since each names FILE:LINE:COL, others after the
// usual prefix. The code is that of bad input when any of them is, else
// that of the first.
func reportError(w io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	code := exitOK
	for i, e := range leaves(err) {
		c, msg := classify(e)
		if msg != "" {
			fmt.Fprintln(w, termSafeLines(msg))
		}
		if i == 0 || c == exitUsage {
			code = c
		}
	}
	return code
}

// classify says what exit code one error calls for, and how it is printed.
func classify(err error) (code int, msg string) {
	var ee *exitError
	var te *topology.Error
	switch {
	case errors.As(err, &ee):
		if ee.msg == "" {
			return ee.code, ""
		}
		return ee.code, "netlab: " + ee.msg
	case errors.As(err, &te):
		return exitUsage, err.Error()
	case isCobraUsage(err) || errors.Is(err, netlab.ErrBadName):
		return exitUsage, "netlab: " + err.Error()
	}
	return exitFailure, "netlab: " + err.Error()
}

// leaves flattens errors.Join trees into their single errors, in order.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}

// isCobraUsage recognises cobra's own argument errors, which it returns as
// plain errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "accepts ") ||
		strings.HasPrefix(msg, "requires at least") || strings.HasPrefix(msg, "unknown flag") ||
		strings.HasPrefix(msg, "unknown shorthand flag")
}
