package main

import (
	"errors"
	"fmt"
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
from the topology file.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%v", err) })
	root.AddCommand(newUpCommand(), newDownCommand(), newStatusCommand(), newExecCommand(),
		newShellCommand(), newLinkCommand(), newValidateCommand(), newGraphCommand(), newVersionCommand())
	return root
}

// run executes the command line and returns the process exit code.
func run(args []string) int {
	root := newRootCommand()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintf(os.Stderr, "netlab: %s\n", ee.msg)
		}
		return ee.code
	case len(topology.Errors(err)) > 0:
		// Each topology error names FILE:LINE:COL itself; one per line.
		// Others (a file that cannot be read) get the usual prefix.
		for _, e := range leaves(err) {
			if te, ok := e.(*topology.Error); ok {
				fmt.Fprintln(os.Stderr, te)
			} else {
				fmt.Fprintf(os.Stderr, "netlab: %v\n", e)
			}
		}
		return exitUsage
	case isCobraUsage(err) || errors.Is(err, netlab.ErrBadName):
		fmt.Fprintf(os.Stderr, "netlab: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(os.Stderr, "netlab: %v\n", err)
	return exitFailure
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
