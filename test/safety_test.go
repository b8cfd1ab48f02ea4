package test

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestInotifyNotRoots: what a node makes is counted against its lab, not
// against host root: a node that takes every inotify instance it can
// leaves host root's inotify_init, and another lab's, working, and it gets
// no more than its lab's cap (half the host's per-user limit).
func TestInotifyNotRoots(t *testing.T) {
	needRoot(t)
	needCommand(t, "python3")
	upLab(t, "labs/triangle.yaml", "triangle")
	upLab(t, renamedTriangle(t, "other"), "other")
	b, err := os.ReadFile("/proc/sys/user/max_inotify_instances")
	if err != nil {
		t.Fatal(err)
	}
	limit, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(netlabBin, "exec", "triangle/r1", "--", "python3", "-c", `
import ctypes, sys, time
libc = ctypes.CDLL(None)
n = sum(1 for _ in range(1000) if libc.inotify_init() >= 0)
print(n, flush=True)
sys.stdout.close()
time.sleep(120)
`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	buf := make([]byte, 64)
	k, _ := out.Read(buf)
	took, err := strconv.Atoi(strings.TrimSpace(string(buf[:k])))
	if err != nil {
		t.Fatalf("r1's inotify instances: %q", buf[:k])
	}
	if took <= 0 || took > limit/2 {
		t.Errorf("r1 took %d inotify instances; want some, and at most the lab's cap %d", took, limit/2)
	}
	if got, err := exec.Command("python3", "-c", `import ctypes; print(ctypes.CDLL(None).inotify_init() >= 0)`).Output(); err != nil || strings.TrimSpace(string(got)) != "True" {
		t.Errorf("host root's inotify_init after r1 took %d: %q %v", took, got, err)
	}
	if got := mustNetlab(t, "exec", "other/r1", "--", "python3", "-c", `import ctypes; print(ctypes.CDLL(None).inotify_init() >= 0)`); strings.TrimSpace(got) != "True" {
		t.Errorf("another lab's inotify_init after r1 took %d: %q", took, got)
	}
}

// TestTmpfsBounded: a node writing 2 GiB into its /tmp, /dev/shm and /etc
// fills each at its size (ENOSPC), not the machine's memory, and another
// lab goes on.
func TestTmpfsBounded(t *testing.T) {
	needRoot(t)
	upLab(t, "labs/triangle.yaml", "triangle")
	upLab(t, renamedTriangle(t, "other"), "other")
	for _, dir := range []string{"/tmp", "/dev/shm", "/etc", "/root", "/run"} {
		r := netlab(t, "exec", "triangle/r1", "--", "sh", "-c", "dd if=/dev/zero of="+dir+"/fill bs=1M count=2048 2>&1; rm -f "+dir+"/fill")
		if r.code == 0 && !strings.Contains(r.stdout, "No space left") {
			t.Errorf("2 GiB into r1's %s: %q", dir, r.stdout)
		}
		if !strings.Contains(r.stdout, "No space left") {
			t.Errorf("2 GiB into r1's %s did not stop at the tmpfs's size: exit %d, %q %q", dir, r.code, r.stdout, r.stderr)
		}
	}
	if got := mustNetlab(t, "exec", "other/r1", "--", "ping", "-c1", "-W2", "r3"); !strings.Contains(got, "1 received") {
		t.Errorf("another lab after the writes: %s", got)
	}
}

// TestRootlessForkStormNoCgroup: an ordinary user's lab with no delegated
// cgroup still bounds its processes (RLIMIT_NPROC, counted against the
// lab), and another user's lab goes on.
func TestRootlessForkStormNoCgroup(t *testing.T) {
	a := newRootlessUser(t, "netlabt8", 1<<20+8<<16)
	b := newRootlessUser(t, "netlabt9", 1<<20+9<<16)
	file := writeTopology(t, "storm", "name: storm\nlimits: {pids: 150}\nnodes:\n  h1: {}\n")
	a.up(t, file, "storm")
	b.up(t, "labs/triangle.yaml", "triangle")
	r := a.run(t, nil, "exec", "h1", "--", "sh", "-c", `for i in $(seq 400); do sleep 60 </dev/null >/dev/null 2>&1 & done`)
	if r.code == 0 || !strings.Contains(r.stderr, "fork") {
		t.Errorf("400 forks in a rootless lab bounded to 150: exit %d, %q; want a fork failure", r.code, r.stderr)
	}
	if got := b.must(t, "exec", "r1", "--", "ping", "-c1", "-W2", "r3"); !strings.Contains(got, "1 received") {
		t.Errorf("another user's lab during the storm: %s", got)
	}
	if out, err := exec.Command("true").CombinedOutput(); err != nil {
		t.Errorf("the host cannot fork during the storm: %v %s", err, out)
	}
}

// TestNodeLimits: a node with limits: of its own gets a cgroup under its
// lab's, which it never runs outside of; a fork storm in it stops at its
// own pids limit while its sibling goes on.
func TestNodeLimits(t *testing.T) {
	needRoot(t)
	file := writeTopology(t, "nodelim", `name: nodelim
nodes:
  a:
    limits: {pids: 60, memory: 64MiB, cpus: 0.5}
  b: {}
`)
	upLab(t, file, "nodelim")
	st := readLabState(t, stateRoot(), "nodelim")
	var pidsDir string
	for _, d := range st.Cgroup {
		if _, err := os.Stat(d + "/node.a/pids.max"); err == nil {
			pidsDir = d + "/node.a"
		}
	}
	if pidsDir == "" {
		t.Fatalf("node a has no pids cgroup under its lab's %v", st.Cgroup)
	}
	if max, _ := os.ReadFile(pidsDir + "/pids.max"); strings.TrimSpace(string(max)) != "60" {
		t.Errorf("node a's pids.max = %q, want 60", max)
	}
	// Its process is in it from the start.
	procs, _ := os.ReadFile(pidsDir + "/cgroup.procs")
	if pid := nodeProc(t, "nodelim", "a"); !strings.Contains("\n"+string(procs), "\n"+strconv.Itoa(pid)+"\n") {
		t.Errorf("node a's process %d is not in its cgroup: %q", pid, procs)
	}
	r := netlab(t, "exec", "nodelim/a", "--", "sh", "-c", `for i in $(seq 200); do sleep 30 </dev/null >/dev/null 2>&1 & done`)
	if r.code == 0 || !strings.Contains(r.stderr, "fork") {
		t.Errorf("200 forks in a node limited to 60: exit %d, %q", r.code, r.stderr)
	}
	if r := netlab(t, "exec", "nodelim/b", "--", "sh", "-c", `for i in $(seq 100); do sleep 1 </dev/null >/dev/null 2>&1 & done; echo ok`); r.code != 0 {
		t.Errorf("100 forks in node b, which has no limits of its own: exit %d, %q", r.code, r.stderr)
	}
}

// mqFill opens POSIX message queues of 10 messages of 8 KiB until the
// kernel refuses one, and prints how many it got (the queues go with the
// IPC namespace, or at exit for the host's: they are unlinked).
const mqFill = `python3 -c '
import ctypes, os, sys
rt = ctypes.CDLL("librt.so.1", use_errno=True)
class Attr(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_long), ("maxmsg", ctypes.c_long), ("msgsize", ctypes.c_long), ("curmsgs", ctypes.c_long), ("pad", ctypes.c_long * 4)]
a = Attr(0, 10, 8192, 0)
n = 0
for i in range(100):
    name = ("/netlab-mq-%d-%d" % (os.getpid(), i)).encode()
    if rt.mq_open(name, os.O_CREAT | os.O_RDWR, 0o600, ctypes.byref(a)) < 0:
        break
    if sys.argv[1:] == ["unlink"]:
        rt.mq_unlink(name)
    n += 1
print(n)
' "$@"`

// TestRootlessCountedLimits: what the kernel counts per user across user
// namespaces (here POSIX message queue bytes) a rootless lab's node can
// take only half of: its owner keeps the rest.
func TestRootlessCountedLimits(t *testing.T) {
	needCommand(t, "python3")
	u := newRootlessUser(t, "netlabt10", 1<<20+10<<16)
	u.up(t, "labs/triangle.yaml", "triangle")
	took := strings.TrimSpace(u.must(t, "exec", "r1", "--", "sh", "-c", mqFill+" keep"))
	if took == "" || took == "0" {
		t.Fatalf("r1 could open no message queue: %q", took)
	}
	// As the user on the host, with the node's queues held.
	cmd := exec.Command("sh", "-c", mqFill, "sh", "unlink")
	cmd.SysProcAttr = u.command(nil).SysProcAttr
	out, err := cmd.CombinedOutput()
	if got := strings.TrimSpace(string(out)); err != nil || got == "0" {
		t.Errorf("user %s could open no message queue after r1 took %s: %q %v", u.name, took, out, err)
	}
}
