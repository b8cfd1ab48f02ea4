package nsproc

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testHidden is the directory testLab hides from its nodes: one of the
// host's tree (the nodes' /tmp is their own).
const testHidden = "/opt/netlab-nsproc-test-hidden"

// testLab starts a supervisor as root's netlab does (lab ids mapped to a
// range of host ids, not root), set up with a hosts file, and returns it
// with its log. The supervisor is this test binary (or NodeBinaryEnv's).
func testLab(t *testing.T) (*Supervisor, *os.File) {
	t.Helper()
	s, log, _ := testLabListening(t)
	return s, log
}

// testLabListening is testLab whose supervisor also listens for later
// connections, at the path it returns.
func testLabListening(t *testing.T) (*Supervisor, *os.File, string) {
	t.Helper()
	if os.Getuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("a lab supervisor needs root here, and CI is set")
		}
		t.Skip("a lab supervisor needs root here")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(testHidden, "secret"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(testHidden) })
	log, err := os.Create(filepath.Join(dir, "supervisor.log"))
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := os.CreateTemp(dir, "hosts")
	if err != nil {
		t.Fatal(err)
	}
	hosts.WriteString("10.0.0.1 r1\n10.0.0.2 r2\n")
	hosts.Seek(0, 0)
	listenPath := filepath.Join(dir, "supervisor.sock")
	l, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: listenPath, Net: "unixpacket"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	listen, err := l.File()
	l.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer listen.Close()
	m := []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0x7ffe0000, Size: 65535}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := StartSupervisor(ctx, SupervisorConfig{Lab: "nsproc-test", UIDMap: m, GIDMap: m, Log: log, Hosts: hosts, Hide: []string{testHidden},
		OwnerUID: 0x7ffe0000 + 65535, OwnerGID: 0x7ffe0000 + 65535, Listen: listen})
	hosts.Close()
	if err != nil {
		b, _ := os.ReadFile(log.Name())
		t.Fatalf("start supervisor: %v\n%s", err, b)
	}
	t.Cleanup(func() {
		s.Kill()
		checkLog(t, log)
		log.Close()
	})
	return s, log, listenPath
}

// checkLog fails the test when the lab's log shows what sanitizers or
// valgrind found (the node side built alone, see NodeBinaryEnv).
func checkLog(t *testing.T, log *os.File) {
	t.Helper()
	b, _ := os.ReadFile(log.Name())
	for _, bad := range []string{"AddressSanitizer", "LeakSanitizer", "runtime error:", "Invalid read", "Invalid write", "uninitialised", "definitely lost"} {
		if strings.Contains(string(b), bad) {
			t.Errorf("the lab's log shows %q:\n%s", bad, b)
		}
	}
}

// testNode spawns node name in s and returns the socket of its agent.
func testNode(t *testing.T, s *Supervisor, name string, binds []Bind, layer []LayerFile) (string, error) {
	t.Helper()
	sock, _, err := spawnTestNode(t, s, NodeConfig{Name: "nsproc-test/" + name, Hostname: name, Binds: binds, Layer: layer,
		Sysctls: []string{"net.ipv4.ip_forward=1"}})
	return sock, err
}

// spawnTestNode spawns n in s, on a new exec socket, and returns the
// socket's path and the node.
func spawnTestNode(t *testing.T, s *Supervisor, n NodeConfig) (string, Node, error) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "node.sock")
	l, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: sock, Net: "unixpacket"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	f, err := l.File()
	l.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n.Socket = f
	node, err := s.Spawn(ctx, n)
	if err != nil {
		return "", node, err
	}
	t.Cleanup(node.Close)
	return sock, node, nil
}

func inNode(t *testing.T, sock, script string) string {
	t.Helper()
	code, out, err := runAgent(t, sock, []string{"/bin/sh", "-c", script}, []string{"PATH=/bin:/usr/bin:/sbin:/usr/sbin"})
	if code != 0 || err != nil {
		t.Fatalf("%s: exit %d, %v\n%s", script, code, err, out)
	}
	return out
}

// TestSupervisor: nodes cloned by the supervisor get their hostname, the
// lab's hosts file under their own /etc, their layer, sysctls and binds
// (read-only or writable, files and directories, made where missing in
// the node's own tmpfs), and one process each for init and agent.
func TestSupervisor(t *testing.T) {
	s, _ := testLab(t)
	hidden := testHidden
	src := t.TempDir()
	os.Chmod(src, 0o755)
	os.WriteFile(filepath.Join(src, "data.txt"), []byte("from the host\n"), 0o644)
	rw := t.TempDir()
	os.Chmod(rw, 0o777)
	binds := []Bind{
		{Source: filepath.Join(src, "data.txt"), Target: "/etc/lab/data.txt", ReadOnly: true},
		{Source: src, Target: "/tmp/src", ReadOnly: true},
		{Source: rw, Target: "/srv"}, // over an existing path of the host's tree
	}
	layer := []LayerFile{{Path: "frr", Dir: true, Mode: 0o750}, {Path: "frr/frr.conf", Data: []byte("hostname r1\n"), Mode: 0o640, UID: 0, GID: 0}}
	sock, err := testNode(t, s, "r1", binds, layer)
	if err != nil {
		t.Fatal(err)
	}
	out := inNode(t, sock, `hostname; cat /etc/hostname; grep r2 /etc/hosts; cat /etc/frr/frr.conf; stat -c '%U %a' /etc/frr/frr.conf
cat /proc/sys/net/ipv4/ip_forward; cat /etc/lab/data.txt; ls /tmp/src
echo rw > /srv/new && echo WROTE-RW; (echo x > /tmp/src/x) 2>/dev/null && echo WROTE-RO
cat /proc/1/comm; ls /proc | grep -c '^[0-9]'; echo >> /etc/hosts && echo EDITED-HOSTS; ls -A `+hidden+` | wc -l`)
	// Processes: the node's own (PID 1, its agent), sh, ls and grep.
	want := "r1\nr1\n10.0.0.2 r2\nhostname r1\nroot 640\n1\nfrom the host\ndata.txt\nWROTE-RW\nnetlab-init\n4\nEDITED-HOSTS\n0\n"
	if out != want {
		t.Errorf("in r1:\n%s\nwant:\n%s", out, want)
	}
	if b, err := os.ReadFile(filepath.Join(rw, "new")); err != nil || string(b) != "rw\n" {
		t.Errorf("the writable bind's file on the host: %q %v", b, err)
	}

	// A second node sees the lab's hosts file, not r1's edit of its own.
	sock2, err := testNode(t, s, "r2", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := inNode(t, sock2, "hostname; wc -l < /etc/hosts"); got != "r2\n2\n" {
		t.Errorf("in r2: %q", got)
	}

	// A bind whose target cannot be made (the host's tree is read-only in
	// the node) fails the node, saying so.
	_, err = testNode(t, s, "r3", []Bind{{Source: src, Target: "/no-such-dir/x"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "node nsproc-test/r3: bind /no-such-dir/x: make the target") {
		t.Errorf("a bind to an unmakeable target: %v", err)
	}
}

// TestSupervisorDies: when its control connection closes before it
// detached, the supervisor ends, and every node with it.
func TestSupervisorDies(t *testing.T) {
	s, _ := testLab(t)
	sock, err := testNode(t, s, "r1", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	inNode(t, sock, "true")
	s.conn.Close()
	done := make(chan error)
	go func() {
		st, err := s.proc.Wait()
		if err == nil && st.ExitCode() != 1 {
			err = fmt.Errorf("%v", st)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the supervisor ended with %v, want exit status 1", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the supervisor did not end with its control connection")
	}
	if _, _, err := runAgent(t, sock, []string{"true"}, nil); err == nil {
		t.Error("the node still answers after its supervisor ended")
	}
}

// nextEvent is w's next event, or fails the test after a while.
func nextEvent(t *testing.T, w *Watch) Event {
	t.Helper()
	select {
	case ev, ok := <-w.C:
		if !ok {
			t.Fatalf("the watch ended: %v", w.Err())
		}
		return ev
	case <-time.After(15 * time.Second):
		t.Fatal("no event within 15s")
	}
	return Event{}
}

// TestNodeLife: through the supervisor's listening socket, a node is
// stopped (its processes gone, a watcher told) and started again in the
// user and network namespaces the supervisor held: its address and its
// network namespace are the same, and it is as isolated as a new node
// (node root is lab id 1, its mounts locked). Its clock runs ten days
// ahead, its wall clock not. What cannot be done is refused in words, and
// an agent tells a watcher of a service that ended.
func TestNodeLife(t *testing.T) {
	s, _, listen := testLabListening(t)
	const name = "nsproc-test/r1"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w, err := WatchLab(ctx, listen)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cfg := NodeConfig{Name: name, Hostname: "r1", ClockOffset: 240 * time.Hour}
	sock, n, err := spawnTestNode(t, s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, w); ev.Kind != "started" || ev.Node != name {
		t.Errorf("first event: %+v, want r1 started", ev)
	}
	const probe = `ip addr add 10.9.9.9/32 dev lo 2>/dev/null; ip -br addr show lo | grep -o 10.9.9.9; readlink /proc/self/ns/net
cut -d. -f1 /proc/uptime; date +%s; head -1 /proc/self/uid_map | tr -s ' '; umount /tmp 2>/dev/null || echo LOCKED`
	check := func(when string, out string) string {
		t.Helper()
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 6 || lines[0] != "10.9.9.9" || lines[4] != " 0 1 65534" || lines[5] != "LOCKED" {
			t.Fatalf("%s, in r1:\n%s", when, out)
		}
		var up, wall int64
		fmt.Sscan(lines[2], &up)
		fmt.Sscan(lines[3], &wall)
		if up < 240*3600 {
			t.Errorf("%s: r1's uptime is %d s, want ten days ahead", when, up)
		}
		if d := wall - time.Now().Unix(); d < -60 || d > 60 {
			t.Errorf("%s: r1's wall clock is %d s off the host's", when, d)
		}
		return lines[1]
	}
	netns := check("first start", inNode(t, sock, probe))

	// The agent tells a watcher of a service that ended, with its code.
	nw, err := WatchNode(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := RunLogged(ctx, sock, []string{"/bin/sh", "-c", "exit 3"}, nil, "quick", "quick"); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, nw); ev.Kind != "service-exited" || ev.Service != "quick" || ev.Code != 3 {
		t.Errorf("node event: %+v, want service quick exited 3", ev)
	}

	c, err := DialSupervisor(ctx, listen)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Started already: neither a first start nor a held one.
	if _, _, err := spawnTestNode(t, c, cfg); err == nil || !strings.Contains(err.Error(), "was started already") {
		t.Errorf("a second first start: %v", err)
	}
	held := cfg
	held.Held = true
	if _, _, err := spawnTestNode(t, c, held); err == nil || !strings.Contains(err.Error(), "runs; stop it first") {
		t.Errorf("a held start of a running node: %v", err)
	}
	if err := c.Stop(ctx, name); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, w); ev.Kind != "stopped" || ev.Node != name || ev.Code != 128+9 {
		t.Errorf("event: %+v, want r1 stopped by SIGKILL", ev)
	}
	if _, ok := <-nw.C; ok {
		t.Error("the node's watch goes on after its node stopped")
	}
	if err := syscall.Kill(n.Pid, 0); err == nil {
		t.Errorf("r1's process %d runs after the stop", n.Pid)
	}
	if _, _, err := runAgent(t, sock, []string{"true"}, nil); err == nil {
		t.Error("the stopped node still answers")
	}
	// Its network namespace is still there, the supervisor's to open.
	nl, err := c.NodeNetlink(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	nl.Close()
	if err := c.Stop(ctx, name); err != nil {
		t.Errorf("a stop of a stopped node: %v", err)
	}

	sock, _, err = spawnTestNode(t, c, held)
	if err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, w); ev.Kind != "started" || ev.Node != name {
		t.Errorf("event: %+v, want r1 started", ev)
	}
	if again := check("held start", inNode(t, sock, probe)); again != netns {
		t.Errorf("r1's network namespace after the held start is %s, was %s", again, netns)
	}

	// Node root cannot kill its node's process (PID 1 of the node); a
	// node whose process is killed from outside ends, and watchers hear.
	if out := inNode(t, sock, "kill -9 1 2>&1; echo survived"); !strings.Contains(out, "survived") {
		t.Fatalf("kill in r1: %s", out)
	}
	if _, n2, err := spawnTestNode(t, c, NodeConfig{Name: "nsproc-test/r2", Hostname: "r2"}); err != nil {
		t.Fatal(err)
	} else if ev := nextEvent(t, w); ev.Kind != "started" || ev.Node != "nsproc-test/r2" {
		t.Errorf("event: %+v, want r2 started", ev)
	} else {
		syscall.Kill(n2.Pid, syscall.SIGKILL)
		if ev := nextEvent(t, w); ev.Kind != "exited" || ev.Node != "nsproc-test/r2" || ev.Code != 128+9 {
			t.Errorf("event: %+v, want r2 exited by SIGKILL", ev)
		}
	}
	if _, err := c.NodeNetlink(ctx, "nsproc-test/none"); err == nil || !strings.Contains(err.Error(), "no node nsproc-test/none") {
		t.Errorf("netlink of no node: %v", err)
	}
}

// TestNodeProcessNotDumpable: node root cannot read the environment (nor
// trace, nor read the memory) of its node's process (PID 1, the agent), whatever
// fs.suid_dumpable says: becoming node root resets a process's dumpable
// flag to it, and 1 would let a process of the same uid trace it.
func TestNodeProcessNotDumpable(t *testing.T) {
	s, _ := testLab(t)
	const knob = "/proc/sys/fs/suid_dumpable"
	was, err := os.ReadFile(knob)
	if err != nil {
		t.Fatal(err)
	}
	// The machine's setting comes back when the test ends; nodes started
	// meanwhile take 1.
	if err := os.WriteFile(knob, []byte("1"), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.WriteFile(knob, was, 0) })
	sock, err := testNode(t, s, "r1", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// /proc/1/environ belongs to its uid only while it is dumpable.
	out := inNode(t, sock, `id -u; head -c1 /proc/1/environ >/dev/null 2>&1 && echo ENVIRON; stat -c %u /proc/1/environ`)
	if out != "0\n65534\n" {
		t.Errorf("in r1, as node root, PID 1 is within reach:\n%s", out)
	}
}

// TestNodeCannotStallAgent: nothing node root does to a command or a log
// of its own stalls its node's agent: a FIFO where a logged command's log
// goes, or that replaces it while the command runs, is refused; commands
// node root stops (SIGSTOP) as they start leave the agent serving others.
func TestNodeCannotStallAgent(t *testing.T) {
	s, _ := testLab(t)
	sock, err := testNode(t, s, "r1", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	logged := func(log, script string) (int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		code, _, err := RunLogged(ctx, sock, []string{"/bin/sh", "-c", script}, []string{"PATH=/bin:/usr/bin"}, log, "")
		return code, err
	}
	inNode(t, sock, "mkdir -p "+LogDir+" && mkfifo "+LogDir+"/fifo.log")
	if _, err := logged("fifo", "echo hi"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a command logged to a FIFO: %v, want it refused", err)
	}
	if code, err := logged("swap", "rm "+LogDir+"/swap.log; mkfifo "+LogDir+"/swap.log"); code != 0 || err != nil {
		t.Errorf("a command that made its log a FIFO: exit %d, %v", code, err)
	}
	// Every process of the node but PID 1 and the stopper is stopped,
	// again and again, some of them before they exec.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := RunLogged(ctx, sock, []string{"/bin/sh", "-c", "while :; do kill -STOP -1; done"}, nil, "stopper", "stopper"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			RunLogged(ctx, sock, []string{"/bin/true"}, nil, "stopped", "")
		}()
	}
	wg.Wait()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if _, err := Services(sctx, sock); err != nil {
		t.Errorf("the agent does not serve once node root stopped its commands: %v", err)
	}
}

// TestBindKeepsReadOnlySubmounts: a writable bind makes its top writable
// in the node, not the read-only mounts below it on the host.
func TestBindKeepsReadOnlySubmounts(t *testing.T) {
	s, _ := testLab(t)
	src := t.TempDir()
	os.Chmod(src, 0o777)
	ro := filepath.Join(src, "ro")
	if err := os.Mkdir(ro, 0o777); err != nil {
		t.Fatal(err)
	}
	// Read-only as a mount, its file system writable (as a read-only
	// bind on the host is).
	if err := syscall.Mount("tmpfs", ro, "tmpfs", 0, "mode=0777"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Unmount(ro, syscall.MNT_DETACH) })
	if err := syscall.Mount("", ro, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
		t.Fatal(err)
	}
	sock, err := testNode(t, s, "r1", []Bind{{Source: src, Target: "/srv"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := inNode(t, sock, `touch /srv/x && echo TOP-WRITABLE; touch /srv/ro/x 2>/dev/null && echo SUBMOUNT-WRITTEN; true`)
	if out != "TOP-WRITABLE\n" {
		t.Errorf("in r1, the writable bind of a tree with a read-only submount:\n%s", out)
	}
}

// TestNodeSignals: a SIGTERM from inside the node (kill -TERM 1, what
// busybox reboot sends) does not end it: only netlab stops a node. And the
// node's commands start with every signal at its default, whatever netlab
// ignored when it started the lab (nohup's SIGHUP, a shell's SIGPIPE).
func TestNodeSignals(t *testing.T) {
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE)
	s, _ := testLab(t)
	signal.Reset(syscall.SIGHUP, syscall.SIGPIPE)
	sock, err := testNode(t, s, "r1", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out := inNode(t, sock, "grep SigIgn /proc/self/status"); out != "SigIgn:\t0000000000000000\n" {
		t.Errorf("a command in r1 starts with signals ignored: %q", out)
	}
	inNode(t, sock, "kill -TERM 1")
	time.Sleep(200 * time.Millisecond)
	if out := inNode(t, sock, "echo alive"); out != "alive\n" {
		t.Errorf("r1 after kill -TERM 1 in it: %q", out)
	}
}

// TestLayerOwners: a layer file owned by an id outside the node's range
// is refused, naming it, rather than written with the wrong owner.
func TestLayerOwners(t *testing.T) {
	s, _ := testLab(t)
	_, err := testNode(t, s, "r1", nil, []LayerFile{{Path: "motd", Data: []byte("hi\n"), Mode: 0o644, UID: 1<<32 - 2}})
	if err == nil || !strings.Contains(err.Error(), "layer file motd: owner 4294967294:0") {
		t.Errorf("a layer file of uid 2^32-2: %v", err)
	}
}
