package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/check"
	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/topology"
)

// checkFlags are the options of netlab check that up --check shares.
type checkFlags struct {
	all, allUsers, asJSON, pingAll, verbose bool
	junit, checksFile                       string
	from                                    []string // --ping-all from these nodes only
	wait                                    time.Duration
	waitSet                                 bool
}

func newCheckCommand() *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check [LAB...] [--all | --all-users] [--json] [--junit FILE] [--wait D] [--ping-all]",
		Short: "Run the checks of running labs: PASS or FAIL per check, JSON and JUnit for graders",
		Long: `Run the checks: of the labs named (their topology's, as up read it), of the
only lab that is up when none is named, or of every lab of yours with --all.
A check is retried until it holds or its window runs out, and passes the
moment it holds: its window is its wait: (else 10s), or --wait when that is
given, which also caps every check's own wait:. Checks run in parallel,
within and across labs. Prints a PASS or FAIL line per check, with what was
found for a failure, and a summary line per lab.

Root grades ordinary users' labs: --all-users checks every lab of every
user (and root's), USER:LAB one of them; each report names the owner
(USER:LAB in lines, "owner" in JSON, testsuites named USER/LAB in JUnit).

--ping-all runs, instead of the topology's checks, a ping from every node to
every address of every other node (Mininet's pingall), each line printed as
its ping ends; --from NODE,... pings from those nodes only. A ping-all of
more than 100,000 pings (a lab of ~300 nodes) is refused: ping from some
nodes instead. --checks FILE runs
the checks of FILE, a topology file such as the one handed out to a class,
instead of each lab's own: students' labs are graded by the teacher's
checks, whatever their own files say. --json prints the
results as JSON instead; --junit FILE writes them as JUnit XML too (one
testsuite per lab, one testcase per check) for CI and graders.

Exit status: 0 every check passed; 1 a check failed or a lab is not up; 2 bad
usage.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.waitSet = cmd.Flags().Changed("wait")
			refs, err := checkTargets(cmd, args, f)
			if err != nil {
				return err
			}
			return runChecks(cmd, refs, f)
		},
	}
	cmd.Flags().BoolVar(&f.all, "all", false, "check every lab of yours")
	cmd.Flags().BoolVar(&f.allUsers, "all-users", false, "check every lab of every user, root's too (root only)")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the results as JSON instead of lines")
	cmd.Flags().StringVar(&f.junit, "junit", "", "also write the results as JUnit XML to `FILE` (- for stdout)")
	cmd.Flags().DurationVar(&f.wait, "wait", 0, "retry window of every check, at most its own wait: (default: its wait:, else 10s; 0: one try each)")
	cmd.Flags().BoolVar(&f.pingAll, "ping-all", false, "instead of the topology's checks, ping every address of every other node from every node")
	cmd.Flags().StringSliceVar(&f.from, "from", nil, "with --ping-all: ping from these `NODE`s only (comma-separated or repeated)")
	cmd.Flags().StringVar(&f.checksFile, "checks", "", "instead of each lab's own checks, run those of the topology `FILE` (e.g. the one handed out)")
	cmd.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "say what was found for passed checks too")
	return cmd
}

// checkTargets are the labs netlab check runs: those named, every lab of
// the caller's with --all (of every user's with --all-users), else the
// only one that is up.
func checkTargets(cmd *cobra.Command, args []string, f checkFlags) ([]netlab.LabRef, error) {
	if (f.all || f.allUsers) && len(args) > 0 {
		return nil, usageError("check: give LAB names or --all (--all-users), not both")
	}
	for _, arg := range args {
		if _, name := cutUser(arg); !topology.ValidName(name) {
			return nil, usageError("check: bad lab name %q: use lower-case letters, digits and '-', at most 32", termSafe(arg))
		}
	}
	if f.allUsers {
		refs, err := everyLab(cmd, true)
		if err == nil && len(refs) == 0 {
			return nil, errNoLabUp
		}
		return refs, err
	}
	// A state directory that cannot be used is the caller's setup to fix,
	// not a lab that is down: an error, even for labs named.
	labs, err := listLabs()
	if err != nil {
		return nil, err
	}
	if len(args) > 0 {
		// A lab named that is not up is graded as such (a failed "lab is
		// up" check), not refused: a student who took theirs down fails.
		refs := make([]netlab.LabRef, 0, len(args))
		for _, arg := range args {
			ref, err := findLab(arg)
			if user, name := cutUser(arg); errors.Is(err, netlab.ErrNoLab) {
				if dirs, _ := thisMachine().UserMachines(user); len(dirs) > 0 {
					ref, err = netlab.LabRef{Machine: dirs[0], Name: name}, nil
				}
			}
			if err != nil {
				return nil, err
			}
			refs = append(refs, ref)
		}
		return refs, nil
	}
	switch {
	case len(labs) == 0:
		return nil, errNoLabUp
	case f.all || len(labs) == 1:
		return ownLabs(labs...), nil
	}
	return nil, usageError("check: several labs are up (%s); name them or use --all", termSafe(strings.Join(labs, ", ")))
}

// cutUser splits USER:LAB; user is "" for LAB alone.
func cutUser(arg string) (user, lab string) {
	if u, l, ok := strings.Cut(arg, ":"); ok {
		return u, l
	}
	return "", arg
}

// runChecks runs the checks of the labs named and reports them as f asks.
// It returns an exitError of code 1, with nothing more to print, when a
// check failed or a lab is not up.
func runChecks(cmd *cobra.Command, refs []netlab.LabRef, f checkFlags) error {
	if f.asJSON && f.junit == "-" {
		return usageError("check: --json and --junit - both print to stdout; write the JUnit to a file, e.g. --junit grades.xml")
	}
	if f.waitSet && f.wait < 0 {
		return usageError("check: --wait %v is negative; give how long to retry, e.g. --wait 30s, or 0 for one try", f.wait)
	}
	if f.junit != "" && f.junit != "-" {
		// Refuse a path that cannot be written before checks take their time.
		if fi, err := os.Stat(f.junit); err == nil && fi.IsDir() {
			return usageError("check: --junit %s is a directory; give a file name, e.g. --junit grades.xml", termSafe(f.junit))
		}
	}
	ctx, stop := stoppable(cmd.Context(), 0)
	defer stop()
	var only func(*topology.Topology) []*topology.Check
	// What --ping-all refused, by lab: said once the labs are read.
	var refused []string
	switch {
	case f.pingAll && f.checksFile != "":
		return usageError("check: give --ping-all or --checks, not both")
	case len(f.from) > 0 && !f.pingAll:
		return usageError("check: --from is for --ping-all: give both, e.g. check --ping-all --from r1")
	case f.pingAll:
		only = func(t *topology.Topology) []*topology.Check {
			for _, n := range f.from {
				if node := t.Node(n); node == nil {
					refused = append(refused, fmt.Sprintf("check --ping-all --from %s: lab %s has no node %s", termSafe(n), termSafe(t.Name), termSafe(n)))
					return nil
				} else if node.Kind.Facts().Bridge {
					refused = append(refused, fmt.Sprintf("check --ping-all --from %s: %s of lab %s is a bridge, which pings nothing; ping from a router or host", termSafe(n), termSafe(n), termSafe(t.Name)))
					return nil
				}
			}
			if n := check.PingAllCount(t, f.from); n > check.MaxPingAll {
				refused = append(refused, fmt.Sprintf("check --ping-all: lab %s takes %d pings, more than the %d a ping-all may make; ping from some nodes: --ping-all --from NODE,...", termSafe(t.Name), n, check.MaxPingAll))
				return nil
			}
			return check.PingAll(t, f.from)
		}
	case f.checksFile != "":
		ref, err := loadTopology(f.checksFile, nil)
		if err != nil {
			return err
		}
		if len(ref.Checks) == 0 {
			return usageError("check: %s has no checks: to run; add some, or leave --checks out", termSafe(f.checksFile))
		}
		only = func(*topology.Topology) []*topology.Check { return ref.Checks }
	}
	suites := checkSuites(refs, only)
	if len(refused) > 0 {
		return usageError("%s", strings.Join(refused, "; "))
	}
	opts := check.Options{Wait: f.wait}
	if f.waitSet && f.wait == 0 {
		opts.Wait = -1 // one try
	}
	out := cmd.OutOrStdout()
	var printer *labPrinter
	if !f.asJSON && f.junit != "-" {
		printer = &labPrinter{w: out, verbose: f.verbose, owners: f.allUsers || classMode(refs), done: map[labKey]check.LabResult{}, streamed: f.pingAll}
		for _, s := range suites {
			printer.order = append(printer.order, labKey{s.Owner, s.Name})
		}
		opts.LabDone = printer.add
		if printer.streamed {
			// A line per ping as it ends: a ping-all may take minutes.
			opts.CheckDone = printer.check
		}
	}
	rep := check.Run(ctx, suites, opts)
	if printer != nil && len(refs) > 1 {
		p, fl := rep.Counts()
		failedLabs := 0
		for _, l := range rep.Labs {
			if !l.OK() {
				failedLabs++
			}
		}
		fmt.Fprintf(out, "%s: %d passed, %d failed; %d of %s passed every check\n",
			count(len(rep.Labs), "lab"), p, fl, len(rep.Labs)-failedLabs, count(len(rep.Labs), "lab"))
	}
	if f.asJSON {
		// Messages hold what nodes printed: DEL and C1 controls, which
		// encoding/json leaves as they are, are escaped too.
		var buf bytes.Buffer
		if err := rep.WriteJSON(&buf); err != nil {
			return err
		}
		io.WriteString(out, jsonSafe(buf.String()))
	}
	if f.junit != "" {
		var buf bytes.Buffer
		if err := rep.WriteJUnit(&buf); err != nil {
			return err
		}
		if f.junit == "-" {
			out.Write(buf.Bytes())
		} else if err := os.WriteFile(f.junit, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write JUnit results: %w", err)
		}
	}
	if ctx.Err() != nil {
		return stopped(ctx, "check", "the checks not finished are reported as failed", nil)
	}
	if !rep.OK() {
		return &exitError{code: exitFailure}
	}
	return nil
}

// labKey tells labs of several owners apart.
type labKey struct{ owner, name string }

// labPrinter prints each lab's results once it and every lab before it
// are done, so that output comes as soon as it can, in the order asked.
type labPrinter struct {
	w       io.Writer
	verbose bool
	owners  bool // name labs USER:LAB
	order   []labKey
	next    int
	done    map[labKey]check.LabResult
	// streamed: each check's line was printed as it ended (check), and a
	// lab's result adds only its summary.
	streamed bool
}

// check prints r's line as soon as it ended, in no set order.
func (p *labPrinter) check(lab, owner string, r check.Result) {
	name := lab
	if p.owners {
		name = owner + ":" + lab
	}
	writeCheckLine(p.w, termSafe(name), r, p.verbose)
}

func (p *labPrinter) add(l check.LabResult) {
	p.done[labKey{l.Owner, l.Name}] = l
	for p.next < len(p.order) {
		r, ok := p.done[p.order[p.next]]
		if !ok {
			return
		}
		writeLabResult(p.w, r, p.verbose, p.owners, !p.streamed)
		p.next++
	}
}

// writeLabResult prints, with checks, a PASS or FAIL line per check and
// what was found under a failure (and under a pass with verbose), then the
// lab's summary. With owners, the lab is named USER:LAB.
func writeLabResult(w io.Writer, l check.LabResult, verbose, owners, checks bool) {
	name := l.Name
	if owners {
		name = l.Owner + ":" + l.Name
	}
	lab := termSafe(name)
	for _, c := range l.Checks {
		if checks || c.Kind == "lab" {
			writeCheckLine(w, lab, c, verbose)
		}
	}
	switch {
	case len(l.Checks) == 0:
		fmt.Fprintf(w, "%s: no checks (add checks: to its topology, or try netlab check --ping-all %s)\n", lab, lab)
	case l.Failed == 0:
		fmt.Fprintf(w, "%s: all %s passed in %s\n", lab, count(len(l.Checks), "check"), shortDuration(l.Duration))
	default:
		fmt.Fprintf(w, "%s: %d of %s failed, %d passed, in %s\n", lab, l.Failed, count(len(l.Checks), "check"), l.Passed, shortDuration(l.Duration))
	}
}

// writeCheckLine prints c's PASS or FAIL line, and what was found under it
// for a failure (and for a pass with verbose).
func writeCheckLine(w io.Writer, lab string, c check.Result, verbose bool) {
	status := "PASS"
	if !c.Passed {
		status = "FAIL"
	}
	fmt.Fprintf(w, "%s  %s: %s  (%s)\n", status, lab, termSafe(c.Name), shortDuration(c.Duration))
	if !c.Passed || verbose {
		for _, line := range strings.Split(c.Message, "\n") {
			fmt.Fprintf(w, "      %s\n", termSafe(strings.TrimLeft(line, " ")))
		}
	}
}

// shortDuration is a check's time as people read it: 3ms, 1.2s.
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// checkAfterUp runs the checks of a lab up just brought up (up --check):
// the lab stays up whatever they find, and up says so when one fails.
func checkAfterUp(cmd *cobra.Command, lab string) error {
	err := runChecks(cmd, ownLabs(lab), checkFlags{})
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "netlab: a check of lab %s failed; the lab stays up: look with netlab status %s, check again with netlab check %s, take it down with netlab down %s\n",
			termSafe(lab), termSafe(lab), termSafe(lab), termSafe(lab))
	}
	return err
}
