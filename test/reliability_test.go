package test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestLeakCycles brings a small lab up and down 100 times; afterwards the
// host must be exactly as before.
func TestLeakCycles(t *testing.T) {
	needRoot(t)
	file := renamedTriangle(t, "cycles")
	before := takeSnapshot(t, "cycles", nil)
	var ranges []*idRange
	downAtEnd(t, "cycles")
	for i := 0; i < 100; i++ {
		mustNetlab(t, "up", file)
		if i%25 == 0 {
			ranges = append(ranges, labIDs(t, "cycles"))
		}
		mustNetlab(t, "down", "cycles")
	}
	for _, ids := range ranges {
		assertNoLeftovers(t, before, ids)
	}
}

// upState is what a test reads of a lab's state.json while up runs.
type upState struct {
	Phase      string
	Supervisor *struct{ Pid int }
	Nodes      []struct {
		Init *struct{ Pid int }
	}
}

func readUpState(lab string) (*upState, bool) {
	b, err := os.ReadFile(filepath.Join(stateRoot(), lab, "state.json"))
	if err != nil {
		return nil, false
	}
	var s upState
	if json.Unmarshal(b, &s) != nil {
		return nil, false
	}
	return &s, true
}

// killMoments are the points of an up at which the kill tests strike,
// each recognised from the state up records.
var killMoments = []struct {
	name string
	at   func(s *upState, sinceStart, full time.Duration) bool
}{
	{"early", func(s *upState, _, _ time.Duration) bool { return true }},
	{"mid-spawn", func(s *upState, _, _ time.Duration) bool { return s.Supervisor != nil }},
	{"mid-wiring", func(s *upState, _, _ time.Duration) bool {
		return len(s.Nodes) > 0 && s.Nodes[len(s.Nodes)-1].Init != nil
	}},
	{"just-before-end", func(s *upState, since, full time.Duration) bool { return since > full*9/10 }},
}

// startUpAndStrike starts `netlab up file` and sends sig once moment is
// reached; it returns how up ended and whether the signal was sent while
// up still ran.
func startUpAndStrike(t *testing.T, file, lab string, sig syscall.Signal, at func(*upState, time.Duration, time.Duration) bool, full time.Duration) (result, bool) {
	t.Helper()
	cmd := exec.Command(netlabBin, "up", file)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	struck := false
	for !struck {
		select {
		case err := <-done:
			return exitResult(t, err, out.String(), errb.String()), false
		default:
		}
		if s, ok := readUpState(lab); ok && at(s, time.Since(start), full) {
			cmd.Process.Signal(sig)
			struck = true
		}
		time.Sleep(200 * time.Microsecond)
	}
	select {
	case err := <-done:
		return exitResult(t, err, out.String(), errb.String()), true
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("up did not end within 60s of %v", sig)
	}
	return result{}, true
}

func exitResult(t testing.TB, err error, stdout, stderr string) result {
	t.Helper()
	r := result{stdout: stdout, stderr: stderr}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.code = 128 + int(ws.Signal())
		}
	} else if err != nil {
		t.Fatalf("run: %v", err)
	}
	return r
}

// TestKillDuringUp kills `up` of a 120-node lab with SIGKILL at several
// moments; `down` must then remove everything, and status must have shown
// the lab as broken. With SIGINT instead, up itself must leave nothing.
func TestKillDuringUp(t *testing.T) {
	needRoot(t)
	const lab = "killtest"
	file := chainTopology(t, lab, 120)
	before := takeSnapshot(t, lab, nil)

	// A whole up, to know how long one takes here.
	downAtEnd(t, lab)
	start := time.Now()
	mustNetlab(t, "up", file)
	full := time.Since(start)
	ids := labIDs(t, lab)
	mustNetlab(t, "down", lab)
	t.Logf("up of 120 nodes: %v", full)
	assertNoLeftovers(t, before, ids)

	for _, m := range killMoments {
		t.Run("SIGKILL-"+m.name, func(t *testing.T) {
			r, struck := startUpAndStrike(t, file, lab, syscall.SIGKILL, m.at, full)
			if struck && r.code == 0 {
				t.Logf("up finished before the kill landed")
			}
			if struck && r.code != 0 {
				var st struct {
					Labs []struct{ State, Problem string }
				}
				if err := json.Unmarshal([]byte(mustNetlab(t, "status", "--json", lab)), &st); err != nil || len(st.Labs) != 1 {
					t.Fatalf("status of a killed lab: %v %+v", err, st)
				}
				if st.Labs[0].State != "broken" || !strings.Contains(st.Labs[0].Problem, "netlab down "+lab) {
					t.Errorf("status of a killed lab: %+v, want broken with a hint", st.Labs[0])
				}
			}
			mustNetlab(t, "down", lab)
			assertNoLeftovers(t, before, ids)
		})
	}
	for _, m := range killMoments {
		t.Run("SIGINT-"+m.name, func(t *testing.T) {
			r, struck := startUpAndStrike(t, file, lab, syscall.SIGINT, m.at, full)
			if !struck || r.code == 0 {
				// It finished first: that is not what this case tests.
				mustNetlab(t, "down", lab)
				t.Skipf("up finished before SIGINT landed (exit %d)", r.code)
			}
			if r.code != 130 || !strings.Contains(r.stderr, "up stopped: interrupted (Ctrl-C, SIGINT); what it made is removed") || strings.Contains(r.stderr, "context canceled") {
				t.Errorf("up after SIGINT: exit %d, stderr %q", r.code, r.stderr)
			}
			assertNoLeftovers(t, before, ids)
		})
	}
}

// TestConcurrentLabs brings five labs with the same node names up at once,
// pings in each, takes one down while the others keep working.
func TestConcurrentLabs(t *testing.T) {
	needRoot(t)
	needCommand(t, "ping")
	names := []string{"conc1", "conc2", "conc3", "conc4", "conc5"}
	befores := map[string]snapshot{}
	files := map[string]string{}
	for _, n := range names {
		befores[n] = takeSnapshot(t, n, nil)
		files[n] = renamedTriangle(t, n)
	}
	var wg sync.WaitGroup
	results := make([]result, len(names))
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = netlab(t, "up", files[n])
		}()
	}
	wg.Wait()
	ids := map[string]*idRange{}
	for i, n := range names {
		if results[i].code != 0 {
			t.Errorf("up %s: exit %d: %s", n, results[i].code, results[i].stderr)
			continue
		}
		ids[n] = labIDs(t, n)
		defer func() {
			netlab(t, "down", n)
			assertNoLeftovers(t, befores[n], ids[n])
		}()
	}
	if t.Failed() {
		return
	}
	seen := map[uint64]string{}
	for n, r := range ids {
		if other, dup := seen[r.First]; dup {
			t.Errorf("labs %s and %s share uid range %d", n, other, r.First)
		}
		seen[r.First] = n
	}
	ping := func(lab string) {
		t.Helper()
		mustNetlab(t, "exec", lab+"/r1", "--", "ping", "-c1", "-W2", "r3")
		mustNetlab(t, "exec", lab+"/r2", "--", "ping", "-c1", "-W2", "r1-eth2")
	}
	for _, n := range names {
		ping(n)
	}
	mustNetlab(t, "down", "conc3")
	assertNoLeftovers(t, befores["conc3"], ids["conc3"])
	for _, n := range names {
		if n != "conc3" {
			ping(n)
		}
	}
}

// TestFileLimit: a lab far larger than the soft open-files limit comes up
// (netlab raises it to the hard one; what up holds grows with its
// parallelism, not the lab: TestScaleFewFiles); under a hard limit too
// small for even one node at a time, up is refused before anything is
// made, saying why and what to raise.
func TestFileLimit(t *testing.T) {
	needRoot(t)
	needCommand(t, "prlimit")
	file := chainTopology(t, "fdlimit", 300)
	before := takeSnapshot(t, "fdlimit", nil)
	downAtEnd(t, "fdlimit")
	cmd := exec.Command("prlimit", "--nofile=128:4096", netlabBin, "up", "-q", file)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("up of 300 nodes with a soft limit of 128 files: %v\n%s", err, out)
	}
	ids := labIDs(t, "fdlimit")
	mustNetlab(t, "exec", "fdlimit/r1", "--", "ping", "-c1", "-W2", "r2")
	mustNetlab(t, "down", "fdlimit")
	assertNoLeftovers(t, before, ids)

	cmd = exec.Command("prlimit", "--nofile=40:40", netlabBin, "up", file)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "open files") || !strings.Contains(string(out), "ulimit -n") {
		t.Errorf("up with a hard limit of 40 files: %v\n%s", err, out)
	}
	assertNoLeftovers(t, before, nil)
}

// TestSameLabTwiceAtOnce: two ups of one lab at the same time: one brings
// it up, the other fails clearly; the lab works.
func TestSameLabTwiceAtOnce(t *testing.T) {
	needRoot(t)
	needCommand(t, "ping")
	file := renamedTriangle(t, "twice")
	before := takeSnapshot(t, "twice", nil)
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = netlab(t, "up", file)
		}()
	}
	wg.Wait()
	ok := 0
	for _, r := range results {
		switch {
		case r.code == 0:
			ok++
		case r.code != 1 || !regexpMatch(`lab twice (is already up|is being brought up or down)`, r.stderr):
			t.Errorf("the losing up: exit %d, stderr %q", r.code, r.stderr)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of two concurrent ups succeeded, want 1: %+v", ok, results)
	}
	ids := labIDs(t, "twice")
	mustNetlab(t, "exec", "twice/r1", "--", "ping", "-c1", "-W2", "r3")
	mustNetlab(t, "down", "twice")
	assertNoLeftovers(t, before, ids)
}

// TestDownAll takes down every lab netlab has and nothing else: a network
// namespace made by someone else stays.
func TestDownAll(t *testing.T) {
	needRoot(t)
	needCommand(t, "ip")
	if labs := dirNames(stateRoot()); len(labs) > 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("labs %v are up before the test: it needs a machine with none", labs)
		}
		t.Skipf("labs %v are up on this machine; down --all would take them too", labs)
	}
	if out, err := exec.Command("ip", "netns", "add", "netlab-test-bystander").CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v %s", err, out)
	}
	defer exec.Command("ip", "netns", "del", "netlab-test-bystander").Run()
	var befores []snapshot
	for _, n := range []string{"all1", "all2"} {
		befores = append(befores, takeSnapshot(t, n, nil))
		downAtEnd(t, n)
		mustNetlab(t, "up", renamedTriangle(t, n))
	}
	mustNetlab(t, "down", "--all")
	for _, b := range befores {
		assertNoLeftovers(t, b, nil)
	}
	if _, err := os.Stat(filepath.Join(netnsDir(), "netlab-test-bystander")); err != nil {
		t.Errorf("down --all removed a namespace that is not netlab's: %v", err)
	}
	if r := netlab(t, "down", "--all"); r.code != 0 {
		t.Errorf("down --all with no lab: exit %d %s", r.code, r.stderr)
	}
}

// TestDownWithGarbageState: a lab whose state.json was overwritten with
// garbage is still taken down whole by down, as status tells.
func TestDownWithGarbageState(t *testing.T) {
	needRoot(t)
	const lab = "garbage"
	before := takeSnapshot(t, lab, nil)
	downAtEnd(t, lab)
	mustNetlab(t, "up", renamedTriangle(t, lab))
	ids := labIDs(t, lab)
	if err := os.WriteFile(filepath.Join(stateRoot(), lab, "state.json"), []byte("\x00{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := mustNetlab(t, "status", lab); !strings.Contains(out, "netlab down "+lab) {
		t.Errorf("status of a lab with garbage state: %q", out)
	}
	mustNetlab(t, "down", lab)
	assertNoLeftovers(t, before, ids)
}

// TestDownWaitsForUp: down of a lab whose up still runs says it waits,
// waits, then takes the whole lab down.
func TestDownWaitsForUp(t *testing.T) {
	needRoot(t)
	const lab = "slowup"
	file := writeTopology(t, lab, `name: slowup
nodes:
  h1: {exec: ["sleep 2"]}
`)
	before := takeSnapshot(t, lab, nil)
	upDone := make(chan result, 1)
	go func() { upDone <- netlab(t, "up", file) }()
	var ids *idRange
	waitFor(t, 10*time.Second, "up to hold the lab and record its ids", func() error {
		var st struct{ IDs idRange }
		b, err := os.ReadFile(filepath.Join(stateRoot(), lab, "state.json"))
		if err == nil {
			err = json.Unmarshal(b, &st)
		}
		switch {
		case err != nil:
			return err
		case st.IDs.Count == 0:
			return errors.New("no ids yet")
		case !thisMachine().Busy(lab):
			return errors.New("not held")
		}
		ids = &st.IDs
		return nil
	})
	r := netlab(t, "down", lab)
	if r.code != 0 || !strings.Contains(r.stderr, "lab slowup is being brought up or changed by another netlab; waiting for it") {
		t.Errorf("down during up: exit %d, stderr %q", r.code, r.stderr)
	}
	if u := <-upDone; u.code != 0 {
		t.Errorf("the up down waited for: exit %d, %s", u.code, u.stderr)
	}
	assertNoLeftovers(t, before, ids)
}

// TestLastDownLeavesNothing: once the last lab is down, nothing of netlab
// is left on the host: no state root (the uid rotation's file goes with
// it), no cgroup directory named netlab.
func TestLastDownLeavesNothing(t *testing.T) {
	needRoot(t)
	if labs := dirNames(stateRoot()); len(labs) > 0 {
		t.Fatalf("labs are up before the test (%v): it needs a machine with none", labs)
	}
	downAtEnd(t, "lastdown")
	mustNetlab(t, "up", "-q", renamedTriangle(t, "lastdown"))
	// Controls: while the lab is up, the state root and its cgroups exist.
	if _, err := os.Stat(stateRoot()); err != nil {
		t.Errorf("no state root while a lab is up: %v", err)
	}
	if made, _ := filepath.Glob("/sys/fs/cgroup/*/netlab/lastdown"); len(made) == 0 {
		if _, err := os.Stat("/sys/fs/cgroup/netlab/lastdown"); err != nil {
			t.Errorf("no cgroup of the lab while it is up")
		}
	}
	mustNetlab(t, "down", "lastdown")
	if _, err := os.Stat(stateRoot()); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(stateRoot())
		t.Errorf("the state root %s is left after the last down (%d entries): %v", stateRoot(), len(entries), err)
	}
	left, _ := filepath.Glob("/sys/fs/cgroup/*/netlab")
	if _, err := os.Stat("/sys/fs/cgroup/netlab"); err == nil {
		left = append(left, "/sys/fs/cgroup/netlab")
	}
	if len(left) > 0 {
		t.Errorf("cgroups named netlab are left after the last down: %v", left)
	}
}
