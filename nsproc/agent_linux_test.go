package nsproc

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testAgent runs a node's agent (the C node side, node/agent.c) alone, in
// this process's namespaces and as its user, serving a testListener, and
// returns its socket. It is this test binary, which links the node side,
// started with argAgent; NodeBinaryEnv runs the node side built alone
// instead (under AddressSanitizer or valgrind). dir is its working
// directory ("" for the test's).
func testAgent(t *testing.T, dir string) string {
	t.Helper()
	sock, _ := startTestAgent(t, dir)
	return sock
}

// startTestAgent is testAgent whose command line starts with wrap (a
// program that execs the rest), returning the agent's process too.
func startTestAgent(t *testing.T, dir string, wrap ...string) (string, *os.Process) {
	t.Helper()
	sock, l := testListener(t)
	f, err := l.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bin := os.Getenv(NodeBinaryEnv)
	if bin == "" {
		// This test binary; by its name when a wrapper execs it, for
		// whom /proc/self/exe is the wrapper.
		if bin, err = os.Executable(); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, argAgent)
	if len(wrap) > 0 {
		cmd = exec.Command(wrap[0], append(wrap[1:], bin, argAgent)...)
	}
	cmd.Dir = dir
	cmd.ExtraFiles = []*os.File{f}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopAgent(t, cmd) })
	awaitAgent(t, sock)
	return sock, cmd.Process
}

// awaitAgent returns once the agent at sock answers: from then on it
// takes SIGTERM as stopAgent wants.
func awaitAgent(t *testing.T, sock string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := Services(ctx, sock); err != nil {
		t.Fatalf("the test agent does not answer: %v", err)
	}
}

// stopAgent ends a test agent with SIGTERM, on which it frees what it
// holds and exits 0; under a sanitizer or valgrind, what they found makes
// it exit otherwise.
func stopAgent(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the agent ended with %v after SIGTERM, want exit 0", err)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Error("the agent did not end on SIGTERM")
	}
}

// runAgent runs argv with env through the agent at sock, and returns its
// exit code, its stdout and stderr, and the error Run gave.
func runAgent(t *testing.T, sock string, argv, env []string) (int, string, error) {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code, rerr := Run(ctx, sock, Command{Argv: argv, Env: env, Stdin: null, Stdout: out, Stderr: out}, nil)
	b, _ := os.ReadFile(out.Name())
	return code, string(b), rerr
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	// Each command prints its own path: what the agent found.
	mk := func(rel string, mode os.FileMode) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\necho "+p+"\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // umask
			t.Fatal(err)
		}
		return p
	}
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	mk("a/plain", 0o644)         // not executable: skipped
	bTool := mk("b/tool", 0o755) // found after a's non-executable one
	mk("a/tool", 0o644)
	bPlain := mk("b/plain", 0o700) // owner execute is enough
	mk("c/groupx", 0o610)
	if err := os.MkdirAll(filepath.Join(a, "dironly"), 0o755); err != nil { // a directory is no command
		t.Fatal(err)
	}
	mk("b/dironly", 0o755)
	cFirst := mk("c/first", 0o755)
	mk("b/first", 0o755)
	if err := os.Symlink(bTool, filepath.Join(c, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(a, "dangling")); err != nil {
		t.Fatal(err)
	}
	sock := testAgent(t, dir)

	path := "PATH=" + strings.Join([]string{a, filepath.Join(dir, "missing"), b, c, "/bin"}, ":")
	tests := []struct {
		name string
		env  []string
		want string // what the command found prints; "" for not found (127)
	}{
		{"tool", []string{path}, bTool},
		{"plain", []string{path}, bPlain},
		{"groupx", []string{path}, filepath.Join(c, "groupx")},
		{"dironly", []string{path}, filepath.Join(b, "dironly")},
		{"link", []string{path}, bTool}, // the symlink runs its target, which prints that
		{"dangling", []string{path}, ""},
		{"nothing", []string{path}, ""},
		{"first", []string{"PATH=" + c + ":" + b + ":/bin"}, cFirst},
		{"first", []string{"PATH=" + b + ":" + c + ":/bin"}, filepath.Join(b, "first")},
		{"tool", []string{"HOME=/root", path, "TERM=dumb"}, bTool},
		{"tool", []string{"PATH=/nonexistent", "PATH=" + b + ":/bin"}, bTool}, // the last PATH counts
		{"tool", []string{"XPATH=" + b}, ""},                                  // not PATH
		{"tool", nil, ""},                                                     // no PATH: nothing is found
		{"tool", []string{"PATH="}, ""},
	}
	for _, tt := range tests {
		if tt.name == "groupx" && strings.Contains(os.Getenv(NodeBinaryEnv), "valgrind") {
			// valgrind's own execve refuses root a file only its group
			// may execute; the kernel does not.
			continue
		}
		code, out, err := runAgent(t, sock, []string{tt.name}, tt.env)
		switch {
		case tt.want == "" && (code != 127 || err == nil || !strings.Contains(err.Error(), tt.name+": command not found")):
			t.Errorf("%s with %q: exit %d, %v, %q; want 127, command not found", tt.name, tt.env, code, err, out)
		case tt.want != "" && (code != 0 || err != nil || strings.TrimSpace(out) != tt.want):
			t.Errorf("%s with %q: exit %d, %v, %q; want %s", tt.name, tt.env, code, err, out, tt.want)
		}
	}
	// An empty PATH element, or a relative one, is the command's working
	// directory, as in a shell that changed to it.
	here := mk("sub/here", 0o755)
	for _, p := range []string{"PATH=/nonexistent::/bin", "PATH=.:/bin", "PATH=/nonexistent:../sub:/bin"} {
		null, _ := os.Open(os.DevNull)
		out, _ := os.CreateTemp(t.TempDir(), "out")
		code, err := Run(context.Background(), sock, Command{Argv: []string{"here"}, Env: []string{p}, Dir: filepath.Join(dir, "sub"), Stdin: null, Stdout: out, Stderr: out}, nil)
		b, _ := os.ReadFile(out.Name())
		if code != 0 || err != nil || strings.TrimSpace(string(b)) != here {
			t.Errorf("here with %s from %s/sub: exit %d, %v, %q", p, dir, code, err, b)
		}
		null.Close()
		out.Close()
	}
	// A name with a slash is used as it is: not found is the exec's own.
	for _, name := range []string{"/no/such/file", "./x", "sub/x"} {
		code, _, err := runAgent(t, sock, []string{name}, []string{path})
		if code != 127 || err == nil || err.Error() != name+": no such file or directory" {
			t.Errorf("%s: exit %d, %v; want 127, %s: no such file or directory", name, code, err, name)
		}
	}
	// Found but not executable as it is: 126.
	if code, _, err := runAgent(t, sock, []string{dir}, nil); code != 126 || err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("a directory by path: exit %d, %v; want 126, permission denied", code, err)
	}
}

// TestRunExitCodes: the command's own code, 128+n for signal n.
func TestRunExitCodes(t *testing.T) {
	sock := testAgent(t, "")
	env := []string{"PATH=/bin:/usr/bin"}
	for _, c := range []struct {
		script string
		code   int
		out    string
	}{
		{"echo hi; echo err >&2", 0, "hi\nerr\n"},
		{"exit 3", 3, ""},
		{"kill -TERM $$", 128 + 15, ""},
		{"pwd", 0, "/\n"},
	} {
		code, out, err := runAgent(t, sock, []string{"sh", "-c", c.script}, env)
		if err != nil || code != c.code || out != c.out {
			t.Errorf("sh -c %q: exit %d, %q, %v; want %d, %q", c.script, code, out, err, c.code, c.out)
		}
	}
}

// TestRunSignals: a signal passed to Run reaches the command's process
// group, and a client that goes away takes its command with it.
func TestRunSignals(t *testing.T) {
	sock := testAgent(t, "")
	sig := make(chan os.Signal, 1)
	out := filepath.Join(t.TempDir(), "out")
	null, _ := os.Open(os.DevNull)
	defer null.Close()
	done := make(chan int)
	go func() {
		code, _ := Run(context.Background(), sock, Command{Argv: []string{"sh", "-c", "trap 'echo got > " + out + "; exit 7' USR1; echo ready > " + out + "; while :; do sleep 0.05; done"}, Env: []string{"PATH=/bin:/usr/bin"}, Stdin: null, Stdout: null, Stderr: null}, sig)
		done <- code
	}()
	waitFor(t, func() bool { b, _ := os.ReadFile(out); return string(b) == "ready\n" })
	sig <- syscall.SIGUSR1
	select {
	case code := <-done:
		if b, _ := os.ReadFile(out); code != 7 || string(b) != "got\n" {
			t.Errorf("after SIGUSR1: exit %d, %q", code, b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the command did not end on SIGUSR1")
	}

	// Ctx ends the connection: the agent kills what it ran.
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		Run(ctx, sock, Command{Argv: []string{"sh", "-c", "echo $$ > " + pidFile + "; exec sleep 60"}, Env: []string{"PATH=/bin:/usr/bin"}, Stdin: null, Stdout: null, Stderr: null}, nil)
	}()
	// Run uses null until it returns.
	defer func() { <-ended }()
	var pid int
	waitFor(t, func() bool {
		b, _ := os.ReadFile(pidFile)
		_, err := fmt.Sscan(string(b), &pid)
		return err == nil
	})
	cancel()
	waitFor(t, func() bool { return syscall.Kill(pid, 0) != nil })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out")
}

func TestPutFile(t *testing.T) {
	sock := testAgent(t, "")
	uid, gid := os.Getuid(), os.Getgid()
	root := t.TempDir()
	put := func(p, data string, mode os.FileMode) error {
		return Put(context.Background(), sock, File{Path: p, Data: []byte(data), Mode: mode, UID: uid, GID: gid})
	}
	tests := []struct {
		name string
		path string
		data string
		mode os.FileMode
	}{
		{"new file in new directories", "etc/frr/frr.conf", "hostname r1\n", 0o640},
		{"a script", "usr/local/bin/run", "#!/bin/sh\n", 0o755},
		{"empty", "tmp/empty", "", 0o644},
		{"binary", "tmp/bin", "a\x00b\xff", 0o600},
		{"mode bits beyond permissions are dropped", "tmp/sticky", "x", 0o755 | os.ModeSetuid | os.ModeDir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(root, tt.path)
			if err := put(p, tt.data, tt.mode); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(p)
			if err != nil || string(b) != tt.data {
				t.Errorf("content = %q, %v; want %q", b, err, tt.data)
			}
			checkOwned(t, p, uid, gid, tt.mode.Perm())
		})
	}
	for _, d := range []string{"etc", "etc/frr", "usr/local/bin"} {
		checkOwned(t, filepath.Join(root, d), uid, gid, os.ModeDir|0o755)
	}

	// An existing file is replaced by a new one (a new inode), not
	// rewritten through: the host's file under an overlay stays as it was.
	p := filepath.Join(root, "etc", "hosts")
	if err := os.WriteFile(p, []byte("old old old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(root, "hosts.link")
	if err := os.Link(p, keep); err != nil {
		t.Fatal(err)
	}
	if err := put(p, "new\n", 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new\n" {
		t.Errorf("replaced file holds %q", b)
	}
	checkOwned(t, p, uid, gid, 0o644)
	if b, _ := os.ReadFile(keep); string(b) != "old old old\n" {
		t.Errorf("the old inode was written through: %q", b)
	}

	// A symlink at the path is replaced, never followed.
	target := filepath.Join(root, "target")
	if err := os.WriteFile(target, []byte("target\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lnk := filepath.Join(root, "etc", "motd")
	if err := os.Symlink(target, lnk); err != nil {
		t.Fatal(err)
	}
	if err := put(lnk, "motd\n", 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "target\n" {
		t.Errorf("symlink was followed: target now holds %q", b)
	}
	checkOwned(t, lnk, uid, gid, 0o644)

	// Errors name the path and why.
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(root, "full")
	if err := os.MkdirAll(filepath.Join(full, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, path, want string }{
		{"relative", "etc/motd", "path is not absolute"},
		{"empty", "", "path is not absolute"},
		{"parent is a file", filepath.Join(file, "x"), "not a directory"},
		{"a non-empty directory in the way", full, "directory not empty"},
	} {
		err := put(tt.path, "x", 0o644)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "put "+tt.path+": ") {
			t.Errorf("%s: put(%q) = %v, want put %s: …%s…", tt.name, tt.path, err, tt.path, tt.want)
		}
	}
}

// TestPutFileDeep: a file whose path has two thousand components (as long
// as a path may be) is written, its directories made one by one: the
// agent, the node's PID 1, does not recurse per component.
func TestPutFileDeep(t *testing.T) {
	sock := testAgent(t, "")
	root := t.TempDir()
	p := root + strings.Repeat("/d", (4000-len(root))/2) + "/f"
	if n := strings.Count(p, "/"); n < 1900 {
		t.Fatalf("a path of %d components, want about 2000", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := Put(ctx, sock, File{Path: p, Data: []byte("deep\n"), Mode: 0o644, UID: os.Getuid(), GID: os.Getgid()}); err != nil {
		msg := err.Error()
		t.Fatalf("put a file %d deep: ...%s", strings.Count(p, "/"), msg[max(0, len(msg)-200):])
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != "deep\n" {
		t.Errorf("the deep file holds %q, %v", b, err)
	}
	awaitAgent(t, sock)
}

// As root, directories made get the ids asked for, and those that were
// there keep theirs: a node's root never takes over the host's /etc.
func TestPutFileOtherIDs(t *testing.T) {
	if os.Getuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("chown to another uid needs root, and CI is set")
		}
		t.Skip("chown to another uid needs root")
	}
	sock := testAgent(t, "")
	root := t.TempDir()
	const uid, gid = 123456, 654321
	if err := Put(context.Background(), sock, File{Path: filepath.Join(root, "x", "z", "f"), Data: []byte("f"), Mode: 0o640, UID: uid, GID: gid}); err != nil {
		t.Fatal(err)
	}
	checkOwned(t, root, os.Getuid(), os.Getgid(), 0)
	checkOwned(t, filepath.Join(root, "x"), uid, gid, os.ModeDir|0o755)
	checkOwned(t, filepath.Join(root, "x", "z"), uid, gid, os.ModeDir|0o755)
	checkOwned(t, filepath.Join(root, "x", "z", "f"), uid, gid, 0o640)
}

// checkOwned checks path's owner, and its mode unless mode is 0.
func checkOwned(t *testing.T, path string, uid, gid int, mode os.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != uid || int(st.Gid) != gid {
		t.Errorf("%s owned by %d:%d, want %d:%d", path, st.Uid, st.Gid, uid, gid)
	}
	if mode != 0 && fi.Mode() != mode {
		t.Errorf("%s has mode %v, want %v", path, fi.Mode(), mode)
	}
}

// TestServices: a logged command's output ends up in its log and the end
// of it in its exit; a service runs on, shows in Services, and its exit
// code once it ended. What cannot start is an exit to report, not a crash
// of the agent (an empty argv once panicked the service path).
func TestServices(t *testing.T) {
	if os.Getuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("the agent's logs are under /run/log, which needs root, and CI is set")
		}
		t.Skip("the agent's logs are under /run/log: needs root")
	}
	// The agent writes LogDir: its own, in a mount namespace of its own.
	sock := testAgentOwnRun(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	env := []string{"PATH=/bin:/usr/bin"}
	code, out, err := RunLogged(ctx, sock, []string{"sh", "-c", "echo one; echo two >&2; exit 4"}, env, "step", "")
	if err != nil || code != 4 || string(out) != "one\ntwo\n" {
		t.Errorf("logged step: %d %q %v", code, out, err)
	}
	long := strings.Repeat("x", 5000) + "END"
	if _, out, _ := RunLogged(ctx, sock, []string{"printf", long}, env, "step", ""); len(out) != 4096 || !bytes.HasSuffix(out, []byte("END")) {
		t.Errorf("a long output's tail: %d bytes ending %q", len(out), out[max(0, len(out)-3):])
	}
	for _, svc := range []struct{ name, script string }{{"web", "sleep 60"}, {"short", "exit 5"}} {
		if code, _, err := RunLogged(ctx, sock, []string{"sh", "-c", svc.script}, env, svc.name, svc.name); err != nil || code != 0 {
			t.Fatalf("start service %s: %d %v", svc.name, code, err)
		}
	}
	var list []Service
	waitFor(t, func() bool {
		list, err = Services(ctx, sock)
		return err == nil && len(list) == 2 && !list[1].Running
	})
	if list[0].Name != "web" || !list[0].Running || list[0].Pid <= 0 || list[1].Name != "short" || list[1].Exit != 5 {
		t.Errorf("services: %+v", list)
	}
	for _, c := range []struct {
		argv []string
		env  []string
		code int
		want string
	}{
		{nil, env, 126, "no command given"},
		{[]string{"no-such-command-here"}, []string{"PATH=/nonexistent"}, 127, "no-such-command-here: command not found"},
	} {
		code, _, err := RunLogged(ctx, sock, c.argv, c.env, "web2", "web2")
		if code != c.code || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("start %q: %d %v, want %d with %q", c.argv, code, err, c.code, c.want)
		}
	}
	for _, name := range []string{"../x", ".hidden", "a/b"} {
		if code, _, err := RunLogged(ctx, sock, []string{"true"}, env, name, ""); code != 126 || err == nil || !strings.Contains(err.Error(), "bad log name") {
			t.Errorf("log %q: %d %v", name, code, err)
		}
	}
}

// testAgentOwnRun is testAgent in a mount namespace of its own with a
// fresh tmpfs on /run, as a node's agent has: unshare makes the namespace
// and the tmpfs, then execs the agent.
func testAgentOwnRun(t *testing.T) string {
	t.Helper()
	sock, _ := startTestAgent(t, "", "unshare", "-m", "--propagation", "private", "sh", "-c", `mount -t tmpfs run /run && exec "$0" "$@"`)
	return sock
}

// TestAgentOutOfFiles: an agent that has no descriptor left for a new
// connection waits for one, rather than spin: it is PID 1 of a node, and
// a spinning one is a core lost to the machine.
func TestAgentOutOfFiles(t *testing.T) {
	sock, proc := startTestAgent(t, "", "prlimit", "--nofile=16:16", "--")
	var conns []*net.UnixConn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < 24; i++ {
		c, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: sock, Net: "unixpacket"})
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	// A runnable process shows R whether it runs or waits for a core: a
	// busy one does so nearly always, a waiting one almost never.
	running := 0
	for i := 0; i < 50; i++ {
		time.Sleep(20 * time.Millisecond)
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", proc.Pid))
		if err != nil {
			t.Fatal(err)
		}
		if f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:])); len(f) > 0 && f[0] == "R" {
			running++
		}
	}
	if running > 15 {
		t.Errorf("the agent, out of descriptors, was running in %d of 50 looks", running)
	}
}
