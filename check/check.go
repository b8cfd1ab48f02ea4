package check

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/topology"
)

// Lab is what checks need of a running lab.
type Lab interface {
	Name() string
	// Topology is the lab as it was brought up, checks included.
	Topology() *topology.Topology
	// Run runs argv in node with an empty stdin and returns its exit code
	// and the end of its output, stdout and stderr together. A command
	// that cannot start is exit code 127 (not found) or 126, with the
	// reason as its output; err is for a node that cannot be reached.
	Run(ctx context.Context, node string, argv []string) (int, []byte, error)
	// Routes is node's main routing table.
	Routes(ctx context.Context, node string) ([]netlab.Route, error)
}

// Suite is one lab's checks to run.
type Suite struct {
	Name   string // the lab's name
	Owner  string // the user whose lab it is
	Lab    Lab    // nil when the lab is not up; Err says why
	Err    error
	Checks []*topology.Check // to run: the topology's own, or others asked for
}

const (
	// DefaultWait is the retry window of a check that sets none, when
	// Options.Wait is not set either.
	DefaultWait = 10 * time.Second
	// TryTimeout bounds one try of a check.
	TryTimeout = 30 * time.Second
	// firstPause and maxPause bound the sleep between tries.
	firstPause = 50 * time.Millisecond
	maxPause   = 500 * time.Millisecond
)

// Options tune Run.
type Options struct {
	// Wait, when positive, is the retry window of checks whose topology
	// sets none, and caps the window of those that set one (a grader's
	// bound on the whole run); 0 leaves each check its own wait: or
	// DefaultWait; negative is a single try of every check.
	Wait time.Duration
	// Parallel bounds the tries running at once, across all labs; 0 for
	// DefaultParallel.
	Parallel int
	// LabDone, if set, is called with each lab's result as soon as all of
	// its checks are done, from one goroutine at a time, in no set order.
	LabDone func(LabResult)
	// CheckDone, if set, is called with each check's result as soon as it
	// is done, and its lab's name and owner, from one goroutine at a time
	// (the one LabDone is called from), in no set order: what a run of
	// thousands of checks streams.
	CheckDone func(lab, owner string, r Result)
}

// DefaultParallel is how many tries run at once by default: enough that
// pings waiting for a reply do not hold up the rest.
var DefaultParallel = max(16, 8*runtime.NumCPU())

// Result is how one check went.
type Result struct {
	Name    string `json:"name"` // the topology's, or one made of what it tests
	Kind    string `json:"kind"` // ping, route, exec, ospf, bgp; "lab" for a lab that is not up
	Node    string `json:"node"`
	Passed  bool   `json:"passed"`
	Message string `json:"message"` // what was found, passed or not; several lines at most
	// Duration is from the first try to the end of the last.
	Duration   time.Duration `json:"-"`
	DurationMS float64       `json:"duration_ms"`
	Tries      int           `json:"tries"`
	// Line is the check's line in the topology file (0 for generated checks).
	Line int `json:"line,omitempty"`
}

// LabResult is how one lab's checks went, in the order the topology gives
// them.
type LabResult struct {
	Name     string        `json:"name"`
	Owner    string        `json:"owner"` // the user whose lab it is
	Passed   int           `json:"passed"`
	Failed   int           `json:"failed"`
	Checks   []Result      `json:"checks"`
	Duration time.Duration `json:"-"`
	// Started is when its first check started.
	Started time.Time `json:"-"`
}

// OK reports whether every check of the lab passed.
func (l *LabResult) OK() bool { return l.Failed == 0 }

// Report is how every lab's checks went, in the order the suites came.
type Report struct {
	Labs []LabResult `json:"labs"`
}

// OK reports whether every check of every lab passed.
func (r *Report) OK() bool {
	for i := range r.Labs {
		if !r.Labs[i].OK() {
			return false
		}
	}
	return true
}

// Counts are the passed and failed checks of every lab.
func (r *Report) Counts() (passed, failed int) {
	for _, l := range r.Labs {
		passed += l.Passed
		failed += l.Failed
	}
	return
}

// Run runs every suite's checks, all in parallel within opts.Parallel, and
// returns when all are done or ctx ends (the checks still running then fail
// with ctx's error).
func Run(ctx context.Context, suites []Suite, opts Options) *Report {
	par := opts.Parallel
	if par <= 0 {
		par = DefaultParallel
	}
	r := &runner{opts: opts, slots: make(chan struct{}, par), checks: make(chan struct{}, checksAtOnce*par)}
	rep := &Report{Labs: make([]LabResult, len(suites))}
	var labs sync.WaitGroup
	for i, s := range suites {
		labs.Add(1)
		go func() {
			defer labs.Done()
			rep.Labs[i] = r.runSuite(ctx, s)
			if opts.LabDone != nil {
				r.done.Lock()
				opts.LabDone(rep.Labs[i])
				r.done.Unlock()
			}
		}()
	}
	labs.Wait()
	return rep
}

// checksAtOnce times Options.Parallel is how many checks are under way at
// once, trying or sleeping between tries: a goroutine each, so that a
// ping-all of 100,000 checks does not start 100,000 of them.
const checksAtOnce = 4

// runner is one Run: its bounds, and the lock its callbacks are called
// under.
type runner struct {
	opts   Options
	slots  chan struct{} // a try running
	checks chan struct{} // a check under way
	done   sync.Mutex
}

func (run *runner) runSuite(ctx context.Context, s Suite) LabResult {
	lr := LabResult{Name: s.Name, Owner: s.Owner, Started: time.Now(), Checks: []Result{}}
	if s.Lab == nil {
		msg := fmt.Sprintf("lab %s is not up", s.Name)
		if s.Err != nil {
			msg = s.Err.Error()
		}
		lr.Checks = append(lr.Checks, Result{Name: "lab is up", Kind: "lab", Message: msg, Tries: 1})
		lr.Failed = 1
		return lr
	}
	checks := s.Checks
	lr.Checks = make([]Result, len(checks))
	names := uniqueTitles(checks)
	var wg sync.WaitGroup
	for i, c := range checks {
		run.checks <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-run.checks; wg.Done() }()
			r := runCheck(ctx, s.Lab, c, windowOf(c, run.opts.Wait), run.slots)
			r.Name = names[i]
			lr.Checks[i] = r
			if run.opts.CheckDone != nil {
				run.done.Lock()
				run.opts.CheckDone(s.Name, s.Owner, r)
				run.done.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, r := range lr.Checks {
		if r.Passed {
			lr.Passed++
		} else {
			lr.Failed++
		}
	}
	lr.Duration = time.Since(lr.Started)
	return lr
}

// windowOf is a check's retry window: see Options.Wait.
func windowOf(c *topology.Check, def time.Duration) time.Duration {
	switch {
	case def < 0:
		return 0
	case c.Wait != nil && def > 0:
		return min(*c.Wait, def)
	case c.Wait != nil:
		return *c.Wait
	case def == 0:
		return DefaultWait
	}
	return def
}

// uniqueTitles are the checks' titles, a second and later use of one
// numbered (2), (3), ...: reports and JUnit tell checks apart by name.
func uniqueTitles(checks []*topology.Check) []string {
	seen := map[string]int{}
	out := make([]string, len(checks))
	for i, c := range checks {
		t := c.Title()
		seen[t]++
		if n := seen[t]; n > 1 {
			t = fmt.Sprintf("%s (%d)", t, n)
		}
		out[i] = t
	}
	return out
}

// outcome is what one try found.
type outcome struct {
	holds    bool   // what the check tests is so
	opposite bool   // what expect: fail asks is so: for most kinds !holds; for ping, no reply at all
	found    string // what was found, for the message
	err      error  // the check could not be tried: final
}

// runCheck tries c until it holds or window has passed.
func runCheck(ctx context.Context, lab Lab, c *topology.Check, window time.Duration, slots chan struct{}) Result {
	r := Result{Kind: string(c.Kind), Node: c.Node, Line: c.Pos.Line}
	start := time.Now()
	deadline := start.Add(window)
	pause := firstPause
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			r.Message = fmt.Sprintf("not finished: %v", ctx.Err())
			return finish(r, start)
		}
		tctx, cancel := context.WithTimeout(ctx, TryTimeout)
		o := try(tctx, lab, c)
		cancel()
		<-slots
		r.Tries++
		switch {
		case o.err != nil:
			r.Message = o.err.Error()
			return finish(r, start)
		case !c.ExpectFail && o.holds:
			r.Passed, r.Message = true, o.found
			return finish(r, start)
		case c.ExpectFail && o.opposite:
			r.Passed, r.Message = true, "as expected, "+o.found
			return finish(r, start)
		}
		r.Message = o.found
		if c.ExpectFail {
			r.Message = "expected to fail, but " + o.found
		}
		if window > 0 && r.Tries > 1 {
			r.Message += fmt.Sprintf(" (after %d tries in %s)", r.Tries, round(time.Since(start)))
		}
		now := time.Now()
		if !now.Before(deadline) {
			return finish(r, start)
		}
		sleep := min(pause, deadline.Sub(now))
		pause = min(pause*2, maxPause)
		select {
		case <-time.After(sleep):
		case <-ctx.Done():
			return finish(r, start)
		}
	}
}

func finish(r Result, start time.Time) Result {
	r.Duration = time.Since(start)
	r.DurationMS = float64(r.Duration.Microseconds()) / 1000
	return r
}

// round shortens a duration for a message: 1.2s, 340ms.
func round(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// try runs c once.
func try(ctx context.Context, lab Lab, c *topology.Check) outcome {
	switch {
	case c.Ping != nil:
		return tryPing(ctx, lab, c)
	case c.Route != nil:
		return tryRoute(ctx, lab, c)
	case c.Exec != nil:
		return tryExec(ctx, lab, c)
	case c.OSPF != nil:
		return tryOSPF(ctx, lab, c)
	case c.BGP != nil:
		return tryBGP(ctx, lab, c)
	}
	return outcome{err: fmt.Errorf("check of kind %q has nothing to test", c.Kind)}
}
