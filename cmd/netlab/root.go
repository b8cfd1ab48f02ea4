package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
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
		Version:       versionLine(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%v", err) })
	root.AddCommand(newUpCommand(), newDownCommand(), newStatusCommand(), newExecCommand(),
		newShellCommand(), newLogsCommand(), newLinkCommand(), newRestartCommand(), newStopCommand(), newStartCommand(), newEventsCommand(), newSaveCommand(), newCaptureCommand(), newCheckCommand(), newValidateCommand(), newGraphCommand(), newImportCommand(), newVersionCommand())
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
// usual prefix. Each is one line: a newline in it (a node's answer may
// carry any) is escaped like any control character. The code is that of
// bad input when any of them is, else that of the first.
func reportError(w io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	code := exitOK
	for i, e := range leaves(err) {
		c, msg := classify(e)
		if msg != "" {
			fmt.Fprintln(w, termSafe(msg))
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
	var sc *stopCause
	switch {
	case errors.As(err, &ee):
		if ee.msg == "" {
			return ee.code, ""
		}
		return ee.code, "netlab: " + ee.msg
	case errors.As(err, &te):
		return exitUsage, err.Error()
	case errors.As(err, &sc):
		return sc.code, "netlab: " + err.Error()
	case isCobraUsage(err) || slices.ContainsFunc(usageErrors, func(u error) bool { return errors.Is(err, u) }):
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

// usageErrors are netlab's errors that are the caller's mistake: a name
// no lab or node has or could have, a name several labs answer to, a
// command no program could receive, another user's labs asked for by
// one who is not root, a host of a lab that is not this machine's.
var usageErrors = []error{netlab.ErrBadName, netlab.ErrAmbiguous, netlab.ErrBadCommand, netlab.ErrNotRoot, netlab.ErrNoHost}

// isCobraUsage recognises cobra's own errors, which it returns as plain
// errors: an unknown verb or flag (argument counts are netlab's own, see
// wantArgs).
func isCobraUsage(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "unknown flag") ||
		strings.HasPrefix(msg, "unknown shorthand flag")
}

// wantArgs accepts from min to max arguments (max -1: no limit), and says
// in netlab's words what is wrong with a count that is not, with the
// verb's usage line.
func wantArgs(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		n := len(args)
		var problem string
		switch {
		case n < min && n == 0:
			problem = "nothing given"
		case n < min:
			problem = fmt.Sprintf("%s given, %s wanted", count(n, "argument"), atLeast(min, max))
		case max >= 0 && n > max && max == 0:
			problem = fmt.Sprintf("takes no arguments, %s given (%s)", count(n, "argument"), strings.Join(args, " "))
		case max >= 0 && n > max:
			problem = fmt.Sprintf("%s given, %s wanted", count(n, "argument"), atLeast(min, max))
		default:
			return nil
		}
		verb := strings.TrimPrefix(cmd.CommandPath(), "netlab ")
		use := strings.TrimPrefix(cmd.Parent().CommandPath()+" "+cmd.Use, "netlab ")
		return usageError("%s: %s; write: netlab %s", verb, problem, use)
	}
}

// anyArgs accepts any arguments.
var anyArgs = wantArgs(0, -1)

// atLeast says how many arguments a verb takes: "1", "2 or more", "1 or 2".
func atLeast(min, max int) string {
	switch {
	case max < 0:
		return fmt.Sprintf("%d or more", min)
	case min == max:
		return fmt.Sprint(min)
	case max == min+1:
		return fmt.Sprintf("%d or %d", min, max)
	}
	return fmt.Sprintf("%d to %d", min, max)
}
