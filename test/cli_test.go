package test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// result is how a netlab command ended.
type result struct {
	stdout, stderr string
	code           int
}

// netlab runs the netlab binary with args and returns how it ended.
func netlab(t testing.TB, args ...string) result {
	t.Helper()
	return netlabIn(t, nil, args...)
}

// netlabIn is netlab with stdin.
func netlabIn(t testing.TB, stdin io.Reader, args ...string) result {
	t.Helper()
	return netlabWith(t, stdin, nil, args...)
}

// netlabWith is netlab with stdin and env added to the test's environment.
func netlabWith(t testing.TB, stdin io.Reader, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(netlabBin, args...)
	cmd.Stdin = stdin
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	return runIn(t, cmd)
}

// runIn runs cmd (netlab, or another program), in the repository unless
// cmd.Dir says where, and returns how it ended.
func runIn(t testing.TB, cmd *exec.Cmd) result {
	t.Helper()
	if cmd.Dir == "" {
		cmd.Dir = repoRoot
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	return exitResult(t, cmd.Run(), out.String(), errb.String())
}

// downAtEnd takes lab down when the test ends, however it ends: for a test
// that brings a lab up itself, so that a failure half way leaves nothing.
// A lab that is down already is no error of down's.
func downAtEnd(t testing.TB, lab string) {
	t.Cleanup(func() { netlab(t, "down", lab) })
}

// mustNetlab runs netlab and fails the test unless it exits 0.
func mustNetlab(t testing.TB, args ...string) string {
	t.Helper()
	r := netlab(t, args...)
	if r.code != 0 {
		t.Fatalf("netlab %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// upLab brings file up with the CLI and takes it down when the test ends,
// checking then that nothing is left. It returns the lab's name.
func upLab(t *testing.T, file, name string) {
	t.Helper()
	before := takeSnapshot(t, name, nil)
	start := time.Now()
	mustNetlab(t, "up", file)
	t.Logf("up %s: %v", file, time.Since(start))
	ids := labIDs(t, name)
	t.Cleanup(func() {
		// The test may have taken it down itself: down of a lab that is
		// not up is an error, and nothing to worry about here.
		if r := netlab(t, "down", name); r.code != 0 && !strings.HasPrefix(r.stderr, "netlab: no lab "+name+" is up") {
			t.Errorf("down %s: exit %d, %s", name, r.code, r.stderr)
		}
		assertNoLeftovers(t, before, ids)
	})
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }
