package test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestExec checks that stdio, exit codes and the environment pass through
// `netlab exec`, and that mistakes are named.
func TestExec(t *testing.T) {
	needRoot(t)
	upLab(t, "labs/triangle.yaml", "triangle")

	if r := netlab(t, "exec", "triangle/r1", "--", "sh", "-c", "exit 7"); r.code != 7 {
		t.Errorf("exit 7: got %d", r.code)
	}
	if r := netlab(t, "exec", "triangle/r1", "--", "sh", "-c", "kill -TERM $$"); r.code != 128+15 {
		t.Errorf("killed by SIGTERM: got exit %d, want 143", r.code)
	}
	r := netlab(t, "exec", "triangle/r1", "--", "nosuchcommand-42", "x")
	if r.code != 127 || !strings.Contains(r.stderr, "nosuchcommand-42") {
		t.Errorf("missing binary: exit %d, stderr %q; want 127 naming it", r.code, r.stderr)
	}
	if r := netlab(t, "exec", "triangle/r1", "--", "/etc/hostname"); r.code != 126 {
		t.Errorf("not executable: exit %d, want 126 (%s)", r.code, r.stderr)
	}
	r = netlab(t, "exec", "triangle/r9", "--", "true")
	if r.code == 0 || !strings.Contains(r.stderr, `"r9"`) {
		t.Errorf("unknown node: exit %d, stderr %q; want an error naming r9", r.code, r.stderr)
	}
	r = netlab(t, "exec", "--lab", "nosuchlab", "r1", "--", "true")
	if r.code == 0 || !strings.Contains(r.stderr, "nosuchlab") {
		t.Errorf("unknown lab: exit %d, stderr %q", r.code, r.stderr)
	}

	r = netlabIn(t, strings.NewReader("through stdin\n"), "exec", "triangle/r2", "--", "cat")
	if r.code != 0 || r.stdout != "through stdin\n" {
		t.Errorf("stdin to cat: exit %d, stdout %q", r.code, r.stdout)
	}
	r = netlab(t, "exec", "triangle/r2", "--", "sh", "-c", "echo out; echo err >&2")
	if r.stdout != "out\n" || r.stderr != "err\n" {
		t.Errorf("stdout %q stderr %q", r.stdout, r.stderr)
	}
	if got := mustNetlab(t, "exec", "triangle/r3", "--", "hostname"); got != "r3\n" {
		t.Errorf("LAB/NODE form: %q", got)
	}
	if got := mustNetlab(t, "exec", "--lab", "triangle", "r3", "--", "hostname"); got != "r3\n" {
		t.Errorf("--lab form: %q", got)
	}
	// With no lab named, the only lab that has an r3 is meant (other
	// tests' labs may be up); with several, the error names them.
	switch r := netlab(t, "exec", "r3", "--", "hostname"); {
	case r.code == 0 && r.stdout == "r3\n":
	case r.code == 2 && strings.Contains(r.stderr, "triangle"):
	default:
		t.Errorf("implied lab among %v: exit %d, %q, %q", dirNames(stateRoot()), r.code, r.stdout, r.stderr)
	}

	os.Setenv("NETLAB_TEST_LEAK", "1")
	defer os.Unsetenv("NETLAB_TEST_LEAK")
	env := mustNetlab(t, "exec", "--env", "FOO=bar", "triangle/r1", "--", "env")
	if strings.Contains(env, "NETLAB_TEST_LEAK") {
		t.Errorf("the caller's environment leaked into the node:\n%s", env)
	}
	for _, want := range []string{"FOO=bar", "HOME=/root", "PATH="} {
		if !strings.Contains(env, want) {
			t.Errorf("environment lacks %s:\n%s", want, env)
		}
	}
}

// TestShell drives `netlab shell` through a pty, as a person would.
func TestShell(t *testing.T) {
	needRoot(t)
	upLab(t, "labs/triangle.yaml", "triangle")
	cmd := exec.Command(netlabBin, "shell", "triangle/r2")
	cmd.Env = append(os.Environ(), "TERM=dumb")
	ptmx, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		io.Copy(&out, ptmx)
		close(done)
	}()
	io.WriteString(ptmx, "echo tty=$(tty | cut -c1-9) host=$(hostname)\n")
	io.WriteString(ptmx, "exit 3\n")
	werr := make(chan error, 1)
	go func() { werr <- cmd.Wait() }()
	select {
	case err := <-werr:
		var ee *exec.ExitError
		if err == nil || !asExit(err, &ee) || ee.ExitCode() != 3 {
			t.Errorf("shell exit: %v, want exit status 3", err)
		}
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("shell did not exit; output so far:\n%s", out.String())
	}
	ptmx.Close()
	<-done
	if !strings.Contains(out.String(), "tty=/dev/pts/ host=r2") {
		t.Errorf("shell output lacks a pty and the node's hostname:\n%s", out.String())
	}

	// shell NODE -- COMMAND: a program on a pty of the node's own, its
	// exit code passed through; flags may stand before "--" in exec too.
	r := netlab(t, "shell", "triangle/r3", "--", "sh", "-c", "tty | cut -c1-9; hostname; exit 4")
	if r.code != 4 || !strings.Contains(r.stdout, "/dev/pts/") || !strings.Contains(r.stdout, "r3") {
		t.Errorf("shell NODE -- COMMAND: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if got := mustNetlab(t, "exec", "r3", "--lab", "triangle", "-e", "X=1", "--", "sh", "-c", "echo $X"); got != "1\n" {
		t.Errorf("exec NODE --lab LAB -e X=1 -- CMD: %q", got)
	}
}

func asExit(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}

// TestUpTwice: a second up of a running lab fails clearly and leaves the
// running one working.
func TestUpTwice(t *testing.T) {
	needRoot(t)
	needCommand(t, "ping")
	upLab(t, "labs/triangle.yaml", "triangle")
	r := netlab(t, "up", "labs/triangle.yaml")
	if r.code != 1 || !strings.Contains(r.stderr, "already up") {
		t.Errorf("second up: exit %d, stderr %q; want 1 and 'already up'", r.code, r.stderr)
	}
	mustNetlab(t, "exec", "triangle/r1", "--", "ping", "-c1", "-W2", "r3")
}

// TestDownNotUp: down of a lab that is not up is an error, exit 1, that
// says so in one line; a bad name is a usage error.
func TestDownNotUp(t *testing.T) {
	needRoot(t)
	if r := netlab(t, "down", "no-such-lab"); r.code != 1 || !strings.HasPrefix(r.stderr, "netlab: no lab no-such-lab is up (") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("down of a lab that is not up: exit %d: %s", r.code, r.stderr)
	}
	if r := netlab(t, "down", "../etc"); r.code != 2 {
		t.Errorf("down ../etc: exit %d, want 2: %s", r.code, r.stderr)
	}
}

// TestExecDeadNodeAfterOOM: a node dead in a lab whose memory limit has
// killed says so too, and what to raise.
func TestExecDeadNodeAfterOOM(t *testing.T) {
	needRoot(t)
	needCommand(t, "python3")
	upLab(t, writeTopology(t, "oom", `name: oom
limits: {memory: 64MiB}
nodes:
  h1: {}
`), "oom")
	r := netlab(t, "exec", "oom/h1", "--", "python3", "-c", "b = bytearray(256 << 20)")
	if r.code != 128+9 {
		t.Fatalf("a 256 MiB allocation in a lab of 64 MiB: exit %d (want the OOM killer's SIGKILL, 137): %s", r.code, r.stderr)
	}
	agent := nodeProc(t, "oom", "h1")
	if err := syscall.Kill(agent, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	want := "netlab: node h1 of lab oom is not running (its init is gone; the lab's memory limit has killed a process (raise limits: memory)); start it again with: netlab start oom/h1\n"
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if r = netlab(t, "exec", "oom/h1", "--", "true"); r.stderr == want {
			break
		}
	}
	if r.code != 1 || r.stderr != want {
		t.Errorf("exec into a dead node after an OOM kill: exit %d, %q; want 1, %q", r.code, r.stderr, want)
	}
	if got := mustNetlab(t, "status", "oom"); !strings.Contains(got, "node h1 is not running; the lab's memory limit has killed a process (raise limits: memory)") {
		t.Errorf("status of the lab: %s", got)
	}
}

// TestExecDeadNode: exec into a node whose processes are gone says so and
// what to do, not a raw socket error.
func TestExecDeadNode(t *testing.T) {
	needRoot(t)
	upLab(t, renamedTriangle(t, "dead"), "dead")
	agent := nodeProc(t, "dead", "r1")
	if err := syscall.Kill(agent, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	want := "netlab: node r1 of lab dead is not running (its init is gone); start it again with: netlab start dead/r1\n"
	var r result
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if r = netlab(t, "exec", "dead/r1", "--", "true"); r.stderr == want {
			break
		}
	}
	if r.code != 1 || r.stderr != want {
		t.Errorf("exec into a dead node: exit %d, %q; want 1, %q", r.code, r.stderr, want)
	}
	if r := netlab(t, "exec", "dead/r2", "--", "true"); r.code != 0 {
		t.Errorf("r2 stopped with r1: %s", r.stderr)
	}
	// What the message says to do works.
	mustNetlab(t, "start", "dead/r1")
	mustNetlab(t, "exec", "dead/r1", "--", "ping", "-c1", "-W2", "r3")
}
