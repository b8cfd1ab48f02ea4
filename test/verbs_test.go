package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// privateState is an environment whose netlab has a state directory of its
// own, empty: labs of other tests are none of its business.
func privateState(t *testing.T) []string {
	return []string{"NETLAB_STATE_DIR=" + filepath.Join(t.TempDir(), "state")}
}

// TestNoLabUpExitCodes: every verb that needs a lab says the same when
// none is up, and exits 1.
func TestNoLabUpExitCodes(t *testing.T) {
	needRoot(t)
	env := privateState(t)
	for _, args := range [][]string{
		{"status"}, {"status", "--brief"}, {"status", "--json"}, {"check"}, {"down"},
		{"exec", "r1", "--", "true"}, {"shell", "r1"}, {"logs", "r1"},
		{"link", "set", "r1:eth1", "down"}, {"capture", "r1:eth1", "-w", filepath.Join(t.TempDir(), "x.pcapng")},
	} {
		r := netlabWith(t, nil, env, args...)
		if r.code != 1 || !strings.HasPrefix(r.stderr, "netlab: no lab is up; start one with: netlab up FILE") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("netlab %s with no lab up: exit %d, %q", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	if r := netlabWith(t, nil, env, "down", "--all"); r.code != 0 || r.stderr != "" {
		t.Errorf("down --all with nothing to do: exit %d, %q", r.code, r.stderr)
	}
}

// TestNodeNames: a node only one lab has needs no LAB/; one several labs
// have is bad usage that names them; a misspelt node or lab is answered
// with the names there are and the one meant.
func TestNodeNames(t *testing.T) {
	needRoot(t)
	env := privateState(t)
	run := func(args ...string) result { t.Helper(); return netlabWith(t, nil, env, args...) }
	for _, lab := range []string{"vrb-a", "vrb-b"} {
		if r := run("up", "-q", renamedTriangle(t, lab)); r.code != 0 {
			t.Fatalf("up %s: %s", lab, r.stderr)
		}
		t.Cleanup(func() { run("down", lab) })
	}
	lone := writeTopology(t, "vrb-c", "name: vrb-c\nnodes:\n  lonely: {}\n")
	if r := run("up", "-q", lone); r.code != 0 {
		t.Fatalf("up vrb-c: %s", r.stderr)
	}
	t.Cleanup(func() { run("down", "vrb-c") })
	for _, tt := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"exec", "lonely", "--", "hostname"}, 0, "lonely\n", ""},
		{[]string{"exec", "r1", "--", "true"}, 2, "", "netlab: node r1 is in 2 labs (vrb-a, vrb-b); say which: vrb-a/r1, or --lab vrb-a\n"},
		{[]string{"exec", "vrb-b/R1", "--", "true"}, 2, "", "netlab: lab vrb-b has no node \"R1\" (nodes: r1, r2, r3); did you mean r1?\n"},
		{[]string{"exec", "lonley", "--", "true"}, 2, "", "netlab: no lab that is up has a node \"lonley\" (labs: vrb-a, vrb-b, vrb-c); did you mean vrb-c/lonely?\n"},
		{[]string{"exec", "vrb-d/r1", "--", "true"}, 1, "", "netlab: no lab vrb-d is up (running: vrb-a, vrb-b, vrb-c); did you mean vrb-a?\n"},
		{[]string{"down", "vrb-cc"}, 1, "", "netlab: no lab vrb-cc is up (running: vrb-a, vrb-b, vrb-c); did you mean vrb-c?\n"},
	} {
		r := run(tt.args...)
		if r.code != tt.code || r.stdout != tt.stdout || r.stderr != tt.stderr {
			t.Errorf("netlab %s: exit %d, %q, %q; want %d, %q, %q", strings.Join(tt.args, " "), r.code, r.stdout, r.stderr, tt.code, tt.stdout, tt.stderr)
		}
	}
}

// TestUpReplaceAndTimeout: up of a running lab says how to replace it;
// up --replace does; up --timeout that runs out says so and exits 124,
// leaving nothing; down -q says nothing.
func TestUpReplaceAndTimeout(t *testing.T) {
	needRoot(t)
	env := privateState(t)
	run := func(args ...string) result { t.Helper(); return netlabWith(t, nil, env, args...) }
	file := renamedTriangle(t, "vrb-rep")
	if r := run("up", "-q", file); r.code != 0 {
		t.Fatalf("up: %s", r.stderr)
	}
	t.Cleanup(func() { run("down", "vrb-rep") })
	started := func() time.Time {
		var st struct{ Labs []struct{ Started time.Time } }
		if err := json.Unmarshal([]byte(run("status", "--json", "vrb-rep").stdout), &st); err != nil || len(st.Labs) != 1 {
			t.Fatalf("status --json: %v", err)
		}
		return st.Labs[0].Started
	}
	first := started()
	if r := run("up", file); r.code != 1 || !strings.Contains(r.stderr, "lab vrb-rep is already up") || !strings.Contains(r.stderr, "netlab up --replace") {
		t.Errorf("up of a running lab: exit %d, %q", r.code, r.stderr)
	}
	if r := run("up", "--replace", file); r.code != 0 || !strings.Contains(r.stderr, "lab vrb-rep was up: taken down") || !strings.Contains(r.stdout, "lab vrb-rep is up") {
		t.Errorf("up --replace: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	if again := started(); !again.After(first) {
		t.Errorf("up --replace: the lab started at %v, as before (%v)", again, first)
	}
	if r := run("down", "-q", "vrb-rep"); r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("down -q: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}

	before := takeSnapshot(t, "vrb-slow", nil)
	slow := writeTopology(t, "vrb-slow", "name: vrb-slow\nnodes:\n  h1:\n    exec: [\"sleep 30\"]\n")
	start := time.Now()
	r := run("up", "--timeout", "1s", slow)
	if r.code != 124 || r.stderr != "netlab: up stopped: timed out after 1s (--timeout); what it made is removed\n" || time.Since(start) > 10*time.Second {
		t.Errorf("up --timeout 1s of a lab that takes 30s: exit %d in %v, %q", r.code, time.Since(start), r.stderr)
	}
	assertNoLeftovers(t, before, nil)
}

// TestLogsEscaped: what a node wrote reaches a terminal escaped, and a
// pipe as it is.
func TestLogsEscaped(t *testing.T) {
	needRoot(t)
	env := privateState(t)
	file := writeTopology(t, "vrb-logs", `name: vrb-logs
nodes:
  h1:
    exec: ["printf 'title\\033]0;pwned\\007 clear\\033[2J tab\\tend\\n'"]
`)
	if r := netlabWith(t, nil, env, "up", "-q", file); r.code != 0 {
		t.Fatalf("up: %s", r.stderr)
	}
	t.Cleanup(func() { netlabWith(t, nil, env, "down", "vrb-logs") })
	raw := netlabWith(t, nil, env, "logs", "h1", "exec")
	if raw.code != 0 || raw.stdout != "title\x1b]0;pwned\x07 clear\x1b[2J tab\tend\n" {
		t.Errorf("logs into a pipe: exit %d, %q", raw.code, raw.stdout)
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	cmd := exec.Command(netlabBin, "logs", "h1", "exec")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = tty, tty
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() { io.Copy(&out, ptmx); close(copied) }()
	err = cmd.Run()
	tty.Close()
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
		ptmx.Close()
		<-copied
	}
	got := strings.ReplaceAll(out.String(), "\r\n", "\n") // the terminal's own line ends
	if err != nil || got != `title\x1b]0;pwned\x07 clear\x1b[2J tab`+"\tend\n" {
		t.Errorf("logs on a terminal: %v, %q", err, got)
	}
}

// TestLogsDaemons: netlab logs shows FRR's own logs (each daemon's in
// /run/frr) and BIRD's (the file its config logs to), one by name or all
// of a node's.
func TestLogsDaemons(t *testing.T) {
	needRoot(t)
	needCommand(t, "vtysh")
	needCommand(t, "birdc")
	env := privateState(t)
	run := func(args ...string) result { t.Helper(); return netlabWith(t, nil, env, args...) }
	file := writeTopology(t, "vrb-daemons", `name: vrb-daemons
nodes:
  f1:
    kind: frr
    daemons: [ospfd]
    interfaces: {lo: [10.255.0.1/32], eth1: [10.0.0.1/24]}
    config: |
      router ospf
       network 10.0.0.0/24 area 0
  b1:
    kind: bird
    interfaces: {lo: [10.255.0.2/32], eth1: [10.0.0.2/24]}
    config: |
      log "/run/bird/bird.log" all;
      router id 10.255.0.2;
      protocol device { }
      protocol ospf v2 { area 0 { interface "eth1" { }; }; }
links:
  - [f1:eth1, b1:eth1]
`)
	if r := run("up", "-q", file); r.code != 0 {
		t.Fatalf("up: %s", r.stderr)
	}
	t.Cleanup(func() { run("down", "vrb-daemons") })
	waitFor(t, 20*time.Second, "ospfd's and BIRD's own words in their logs", func() error {
		if r := run("logs", "f1", "ospfd"); !strings.Contains(r.stdout, "OSPF") {
			return fmt.Errorf("ospfd's log: exit %d, %q %q", r.code, r.stdout, r.stderr)
		}
		if r := run("logs", "b1", "bird"); !strings.Contains(r.stdout, "<INFO> Started") {
			return fmt.Errorf("BIRD's log: exit %d, %q %q", r.code, r.stdout, r.stderr)
		}
		return nil
	})
	if r := run("logs", "f1"); r.code != 0 || !strings.Contains(r.stdout, "==> /run/frr/zebra.log <==") || !strings.Contains(r.stdout, "==> /run/frr/ospfd.log <==") || !strings.Contains(r.stdout, "==> /run/log/netlab/daemons.log <==") {
		t.Errorf("every log of f1: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run("logs", "f1", "ospf"); r.code != 2 || !strings.Contains(r.stderr, `has no log "ospf" (logs: exec, daemons, zebra, mgmtd, staticd, ospfd, vtysh-boot); did you mean ospfd?`) {
		t.Errorf("logs f1 ospf: exit %d, %q", r.code, r.stderr)
	}
}

// TestUpInterrupted: Ctrl-C during up says so and exits 130, leaving
// nothing.
func TestUpInterrupted(t *testing.T) {
	needRoot(t)
	env := privateState(t)
	before := takeSnapshot(t, "vrb-int", nil)
	file := writeTopology(t, "vrb-int", "name: vrb-int\nnodes:\n  h1:\n    exec: [\"sleep 30\"]\n")
	cmd := exec.Command(netlabBin, "up", file)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { netlabWith(t, nil, env, "down", "vrb-int") })
	state := filepath.Join(strings.TrimPrefix(env[0], "NETLAB_STATE_DIR="), "vrb-int", "state.json")
	waitFor(t, 20*time.Second, "up running the exec step", func() error {
		if b, err := os.ReadFile(state); err != nil || !strings.Contains(string(b), `"init"`) {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	time.Sleep(300 * time.Millisecond) // into the exec step
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !asExit(err, &ee) || ee.ExitCode() != 130 || stderr.String() != "netlab: up stopped: interrupted (Ctrl-C, SIGINT); what it made is removed\n" {
		t.Errorf("up after Ctrl-C: %v, %q", err, stderr.String())
	}
	assertNoLeftovers(t, before, nil)
}

// TestServiceReady: up waits for services that say when they are ready,
// and fails naming the one that is not, with what it found and what the
// service printed, leaving nothing.
func TestServiceReady(t *testing.T) {
	needRoot(t)
	env := privateState(t)
	run := func(args ...string) result { t.Helper(); return netlabWith(t, nil, env, args...) }
	// Ready after a second: up returns only then, and the port answers. A
	// ready: command has the node's env, as its service has.
	file := writeTopology(t, "vrb-ready", `name: vrb-ready
nodes:
  h1:
    env: {MADE: /run/made}
    services:
      late: {cmd: "sleep 1; exec python3 -m http.server 8080", ready: {port: 8080}}
      made: {cmd: "sleep 0.5; touch $MADE; exec sleep 100", ready: {cmd: 'test -e "$MADE"', wait: 10s}}
`)
	start := time.Now()
	if r := run("up", "-q", file); r.code != 0 {
		t.Fatalf("up: exit %d, %s", r.code, r.stderr)
	}
	t.Cleanup(func() { run("down", "vrb-ready") })
	if took := time.Since(start); took < time.Second {
		t.Errorf("up returned after %v, before the service listened (1s)", took)
	}
	if r := run("exec", "h1", "--", "curl", "-sf", "-o", "/dev/null", "http://127.0.0.1:8080/"); r.code != 0 {
		t.Errorf("the service up said was ready does not answer: exit %d, %s", r.code, r.stderr)
	}
	run("down", "vrb-ready")

	for _, tt := range []struct{ service, want string }{
		{`never: {cmd: "exec sleep 100", ready: {port: 9, wait: 1s}}`,
			`: node h1: service never is not ready after 1s (`},
		{`dies: {cmd: "echo cannot bind; exit 3", ready: {port: 9}}`,
			`: node h1: service dies exited (code 3) before it was ready; it printed: cannot bind`},
	} {
		before := takeSnapshot(t, "vrb-notready", nil)
		file := writeTopology(t, "vrb-notready", "name: vrb-notready\nnodes:\n  h1:\n    services:\n      "+tt.service+"\n")
		r := run("up", file)
		if r.code != 1 || !strings.Contains(r.stderr, "vrb-notready.yaml:5:") || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("up with %s: exit %d, %q; want %q", tt.service, r.code, r.stderr, tt.want)
		}
		assertNoLeftovers(t, before, nil)
	}
}
