package test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rootlessUser is an ordinary user the test made, with a range of
// subordinate ids (or none), and a runtime directory of its own.
type rootlessUser struct {
	name       string
	uid, gid   int
	sub        int // first subordinate id; 0: none
	runtimeDir string
	files      string // a directory it may read, for topology files
}

// newRootlessUser makes user name (removed when the test ends), with the
// subordinate range [sub, sub+65536) in /etc/subuid and /etc/subgid unless
// sub is 0.
func newRootlessUser(t *testing.T, name string, sub int) *rootlessUser {
	t.Helper()
	needRoot(t)
	needCommand(t, "useradd")
	needCommand(t, "newuidmap")
	exec.Command("userdel", name).Run() // a leftover of a killed run
	if out, err := exec.Command("useradd", "--no-create-home", "--shell", "/bin/sh", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v: %s", name, err, out)
	}
	// useradd may have given it a range of its own: the test's are known.
	dropSubIDs(name)
	t.Cleanup(func() {
		exec.Command("userdel", name).Run()
		dropSubIDs(name)
	})
	u := &rootlessUser{name: name, sub: sub}
	out, err := exec.Command("id", "-u", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	u.uid, _ = strconv.Atoi(strings.TrimSpace(string(out)))
	out, _ = exec.Command("id", "-g", name).Output()
	u.gid, _ = strconv.Atoi(strings.TrimSpace(string(out)))
	if sub > 0 {
		for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
			fh, err := os.OpenFile(f, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(fh, "%s:%d:65536\n", name, sub)
			fh.Close()
		}
	}
	for _, d := range []*string{&u.runtimeDir, &u.files} {
		dir, err := os.MkdirTemp("", "netlab-"+name+"-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		*d = dir
	}
	os.Chown(u.runtimeDir, u.uid, u.gid)
	os.Chmod(u.runtimeDir, 0o700)
	os.Chmod(u.files, 0o755)
	return u
}

// dropSubIDs removes name's lines from /etc/subuid and /etc/subgid.
func dropSubIDs(name string) {
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var keep []string
		for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
			if l != "" && !strings.HasPrefix(l, name+":") {
				keep = append(keep, l)
			}
		}
		os.WriteFile(f, []byte(strings.Join(keep, "\n")+"\n"), 0o644)
	}
}

// run runs netlab as the user.
func (u *rootlessUser) run(t testing.TB, env []string, args ...string) result {
	t.Helper()
	return runIn(t, u.command(env, args...))
}

// command is netlab run as the user, in its files directory, with env
// added to (or overriding) its own environment.
func (u *rootlessUser) command(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(netlabBin, args...)
	cmd.Dir = u.files
	cmd.Env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + u.files, "XDG_RUNTIME_DIR=" + u.runtimeDir}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(u.uid), Gid: uint32(u.gid), Groups: []uint32{}}}
	return cmd
}

// stateRoot is the user's netlab state root.
func (u *rootlessUser) stateRoot() string { return filepath.Join(u.runtimeDir, "netlab") }

// caller is the user as isolation checks take it.
func (u *rootlessUser) caller() caller {
	return caller{command: func(args ...string) *exec.Cmd { return u.command(nil, args...) }, processes: u.processes}
}

func (u *rootlessUser) must(t *testing.T, args ...string) string {
	t.Helper()
	r := u.run(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("%s: netlab %s: exit %d\nstdout: %s\nstderr: %s", u.name, strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// topology copies a lab file (of the repository, or at an absolute path)
// where the user can read it.
func (u *rootlessUser) topology(t *testing.T, file string) string {
	t.Helper()
	if !filepath.IsAbs(file) {
		file = filepath.Join(repoRoot, file)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(u.files, filepath.Base(file))
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// up brings the lab up as the user and takes it down when the test ends,
// checking then that no process of the user's ids and no state is left.
func (u *rootlessUser) up(t *testing.T, file, lab string) {
	t.Helper()
	before := u.processes()
	start := time.Now()
	u.must(t, "up", u.topology(t, file))
	t.Logf("%s: up %s: %v", u.name, file, time.Since(start))
	t.Cleanup(func() {
		// The test may have taken it down itself: down of a lab that is
		// not up is an error, and nothing to worry about here.
		if r := u.run(t, nil, "down", lab); r.code != 0 && !strings.HasPrefix(r.stderr, "netlab: no lab "+lab+" of user "+u.name+" is up") {
			t.Errorf("%s: down %s: exit %d, %s", u.name, lab, r.code, r.stderr)
		}
		if procs := u.newProcesses(before); len(procs) > 0 {
			t.Errorf("%s: processes left after down: %v", u.name, procs)
		}
		if left, _ := filepath.Glob(filepath.Join(u.runtimeDir, "netlab", lab)); len(left) > 0 {
			t.Errorf("%s: state left after down: %v", u.name, left)
		}
	})
}

// processes lists the processes that run as the user or one of its
// subordinate ids, with their real, effective, saved and fs uids.
func (u *rootlessUser) processes() []string {
	var out []string
	for _, pid := range dirNames("/proc") {
		if _, err := strconv.Atoi(pid); err != nil {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", pid, "status"))
		if err != nil || strings.Contains(statusField(status, "State"), "zombie") {
			continue
		}
		for _, f := range strings.Fields(statusField(status, "Uid")) {
			id, _ := strconv.Atoi(f)
			if id == u.uid || u.sub > 0 && id >= u.sub && id < u.sub+65536 {
				out = append(out, pid+" "+statusField(status, "Name")+" uid "+statusField(status, "Uid"))
				break
			}
		}
	}
	return out
}

// newProcesses lists the user's processes that were not among before.
func (u *rootlessUser) newProcesses(before []string) []string {
	var out []string
	for _, p := range u.processes() {
		if !slices.Contains(before, p) {
			out = append(out, p)
		}
	}
	return out
}

// TestRootless: an ordinary user brings the triangle up with no privilege:
// root in the nodes, the user (or its subordinate ids) on the host, and
// nothing of root's reachable.
func TestRootless(t *testing.T) {
	u := newRootlessUser(t, "netlabt1", 1<<20)
	u.up(t, "labs/triangle.yaml", "triangle")

	if got := strings.TrimSpace(u.must(t, "exec", "r1", "--", "id", "-u")); got != "0" {
		t.Errorf("id -u in r1: %q", got)
	}
	if got := u.must(t, "exec", "r1", "--", "ping", "-c1", "-W2", "r3"); !strings.Contains(got, "1 received") {
		t.Errorf("ping r1 -> r3: %s", got)
	}
	if got := u.must(t, "status"); !strings.Contains(got, "triangle  up") {
		t.Errorf("status: %s", got)
	}
	// Every process of the lab on the host runs as the user or one of its
	// subordinate ids; the supervisor and inits hold nothing of root's.
	sup := 0
	for _, p := range u.processes() {
		if strings.Contains(p, "netlab-super") {
			sup++
		}
	}
	if sup != 1 {
		t.Errorf("want the lab's supervisor among the user's processes: %v", u.processes())
	}
	// Every process of the lab, the supervisor's tree, runs as the user or
	// a subordinate id of its: none as uid 0 on the host.
	st := readLabState(t, u.stateRoot(), "triangle")
	tree := map[int]bool{st.Supervisor.Pid: true}
	for grew := true; grew; {
		grew = false
		for _, pid := range dirNames("/proc") {
			n, err := strconv.Atoi(pid)
			if err != nil || tree[n] {
				continue
			}
			status, _ := os.ReadFile(filepath.Join("/proc", pid, "status"))
			if pp, _ := strconv.Atoi(statusField(status, "PPid")); tree[pp] {
				tree[n], grew = true, true
			}
		}
	}
	if len(tree) < 4 { // the supervisor, 3 nodes
		t.Errorf("the lab's process tree has %d processes", len(tree))
	}
	for pid := range tree {
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		for _, f := range strings.Fields(statusField(status, "Uid")) {
			id, _ := strconv.Atoi(f)
			if id != u.uid && (id < u.sub || id >= u.sub+65536) {
				t.Errorf("process %d of the lab runs as host uid %d", pid, id)
			}
		}
	}
	stateDir := filepath.Join(u.runtimeDir, "netlab", "triangle")
	if fi, err := os.Stat(stateDir); err != nil || int(fi.Sys().(*syscall.Stat_t).Uid) != u.uid {
		t.Errorf("state directory %s not the user's: %v", stateDir, err)
	}
	// Root's own files stay root's; a file node root writes under /etc
	// stays in the node.
	out := u.must(t, "exec", "r1", "--", "sh", "-c", `touch /usr/netlab-rootless 2>/dev/null && echo WROTE-USR
echo 'intruder:x:0:0::/:/bin/sh' >> /etc/passwd && grep -c intruder /etc/passwd
cat /etc/shadow >/dev/null 2>&1 && echo READ-SHADOW
true`)
	if strings.Contains(out, "WROTE") || strings.Contains(out, "READ") || strings.TrimSpace(out) != "1" {
		t.Errorf("node root of a rootless lab: %q", out)
	}
	if b, _ := os.ReadFile("/etc/passwd"); strings.Contains(string(b), "intruder") {
		t.Errorf("the host's /etc/passwd changed")
	}
	if _, err := os.Stat("/usr/netlab-rootless"); err == nil {
		os.Remove("/usr/netlab-rootless")
		t.Errorf("node root wrote /usr")
	}
	// Node root is the user on the host: the user's home and the state
	// root are empty in the node.
	secret := filepath.Join(u.files, "secret")
	if err := os.WriteFile(secret, []byte("key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chown(secret, u.uid, u.gid)
	if got := u.must(t, "exec", "r1", "--", "sh", "-c", "cat "+secret+" 2>/dev/null; ls -A "+u.files+" "+filepath.Join(u.runtimeDir, "netlab")+" 2>/dev/null; true"); strings.TrimSpace(got) != "" {
		t.Errorf("node root of a rootless lab sees the user's files: %q", got)
	}
	// The isolation of a root-started lab holds: mounts locked, the
	// init's memory closed, a devpts of the node's own.
	out = u.must(t, "exec", "r1", "--", "sh", "-c", `mount -t tmpfs control /mnt && umount /mnt && echo CONTROL-UNMOUNTED
for m in /proc /tmp /var/tmp /dev/shm /dev /run /root /etc /; do umount -l $m 2>/dev/null && echo "UNMOUNTED $m"; done
(exec 3>/proc/1/mem) 2>/dev/null && echo WROTE-INIT-MEM
ls /dev/pts | tr '\n' ' '; echo
stat -c 'PTS-DEV %d' /dev/pts/ptmx
true`)
	assertOwnDevpts(t, out)
	if got := regexp.MustCompile(`PTS-DEV \d+\n`).ReplaceAllString(out, ""); got != "CONTROL-UNMOUNTED\nptmx \n" {
		t.Errorf("isolation in a rootless node: %q", out)
	}
	// A shell on a pty of the node's own.
	r := u.run(t, nil, "exec", "-t", "r2", "--", "sh", "-c", "tty; hostname")
	if r.code != 0 || !strings.Contains(r.stdout, "/dev/pts/") || !strings.Contains(r.stdout, "r2") {
		t.Errorf("exec -t in a rootless node: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	u.must(t, "link", "set", "r1:eth1", "down")
	if got := u.must(t, "status", "triangle"); !strings.Contains(got, "eth1   down") {
		t.Errorf("status after link set down: %s", got)
	}
}

// TestRootlessUsersApart: two users each run a lab named triangle at once;
// neither sees, enters, changes or takes down the other's, even when aimed
// at the other's state directory.
func TestRootlessUsersApart(t *testing.T) {
	a := newRootlessUser(t, "netlabt2", 1<<20+1<<16)
	b := newRootlessUser(t, "netlabt3", 1<<20+2<<16)
	a.up(t, "labs/triangle.yaml", "triangle")
	b.up(t, "labs/triangle.yaml", "triangle")
	a.must(t, "exec", "r1", "--", "sh", "-c", "echo a > /tmp/owner")
	if got := b.must(t, "exec", "r1", "--", "sh", "-c", "cat /tmp/owner 2>/dev/null || echo none"); strings.TrimSpace(got) != "none" {
		t.Errorf("b's r1 sees a's file: %q", got)
	}
	b.must(t, "down", "--all")
	if got := a.must(t, "exec", "r1", "--", "cat", "/tmp/owner"); strings.TrimSpace(got) != "a" {
		t.Errorf("a's lab after b's down --all: %q", got)
	}
	if r := b.run(t, nil, "status"); r.code != 1 || strings.Contains(r.stdout, "triangle") || !strings.Contains(r.stderr, "no lab is up") {
		t.Errorf("b's status after its down --all: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	b.must(t, "up", b.topology(t, "labs/triangle.yaml")) // again: the first up's cleanup takes it down
	// b aiming at a's labs (a's state directory) gets a refusal that says
	// why from every verb, and a's lab is untouched.
	aState := []string{"NETLAB_STATE_DIR=" + filepath.Join(a.runtimeDir, "netlab")}
	for _, args := range [][]string{
		{"exec", "triangle/r1", "--", "true"}, {"shell", "triangle/r1"}, {"link", "set", "triangle/r1:eth1", "down"},
		{"down", "triangle"}, {"down", "--all"}, {"logs", "triangle/r1"}, {"status"}, {"check", "triangle"},
		{"up", b.topology(t, "labs/triangle.yaml")},
	} {
		r := b.run(t, aState, args...)
		if r.code == 0 || !strings.Contains(r.stderr, "is not yours (permission denied): another user's labs are theirs alone") || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("b: netlab %s on a's labs: exit %d, %q", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	if got := a.must(t, "status", "triangle"); !strings.Contains(got, "triangle  up") || strings.Contains(got, "down ") {
		t.Errorf("a's lab after b's attempts: %s", got)
	}
	// Root's netlab does not list the users' labs unless asked (see
	// TestClass): they are theirs.
	if got := netlab(t, "status").stdout; strings.Contains(got, "triangle") {
		t.Errorf("root's status lists a user's lab: %q", got)
	}
}

// TestRootlessRefusals: what keeps a user from running a lab is refused
// before anything is made, with the fix.
func TestRootlessRefusals(t *testing.T) {
	u := newRootlessUser(t, "netlabt4", 0)
	file := u.topology(t, "labs/triangle.yaml")
	r := u.run(t, nil, "up", file)
	if r.code != 1 || !strings.Contains(r.stderr, "user netlabt4 has no range of 65536 subordinate ids") || !strings.Contains(r.stderr, "/etc/subuid") {
		t.Errorf("up without subordinate ids: exit %d, %q", r.code, r.stderr)
	}
	r = u.run(t, []string{"PATH=/nonexistent"}, "up", file)
	if r.code != 1 || !strings.Contains(r.stderr, "newuidmap") || !strings.Contains(r.stderr, "uidmap") {
		t.Errorf("up without newuidmap: exit %d, %q", r.code, r.stderr)
	}
	if procs := u.processes(); len(procs) > 0 {
		t.Errorf("processes after refused ups: %v", procs)
	}
	if left, _ := filepath.Glob(filepath.Join(u.runtimeDir, "netlab", "*")); len(left) > 0 {
		t.Errorf("state after refused ups: %v", left)
	}
}

// TestRootlessOSPF: an FRR OSPF lab converges for an ordinary user.
func TestRootlessOSPF(t *testing.T) {
	needCommand(t, "vtysh")
	u := newRootlessUser(t, "netlabt5", 1<<20+3<<16)
	u.up(t, "labs/ospf.yaml", "ospf")
	took := waitFor(t, 30*time.Second, "rootless OSPF routes to every loopback", func() error {
		for _, n := range []string{"r1", "r2", "r3", "r4"} {
			routes := u.run(t, nil, "exec", n, "--", "ip", "-4", "route", "show").stdout
			for i := 1; i <= 4; i++ {
				lo := fmt.Sprintf("10.255.0.%d", i)
				if fmt.Sprintf("r%d", i) != n && !strings.Contains(routes, lo) {
					return fmt.Errorf("%s has no route to %s", n, lo)
				}
			}
		}
		return nil
	})
	t.Logf("rootless OSPF converged %v after up", took)
}

// TestRootlessLabs: the LAN and IPv6 labs work for an ordinary user, ten
// up/down cycles leave nothing, and an up killed with SIGKILL half way is
// taken down whole by down.
func TestRootlessLabs(t *testing.T) {
	u := newRootlessUser(t, "netlabt6", 1<<20+4<<16)
	u.up(t, "labs/lan.yaml", "lan")
	if got := u.must(t, "exec", "h1", "--", "ping", "-c1", "-W2", "h4"); !strings.Contains(got, "1 received") {
		t.Errorf("lan: h1 -> h4: %s", got)
	}
	if got := u.must(t, "exec", "h1", "--", "ping", "-6", "-c1", "-W2", "h4"); !strings.Contains(got, "1 received") {
		t.Errorf("lan: h1 -> h4 over IPv6: %s", got)
	}
	u.up(t, "labs/ipv6.yaml", "ipv6")

	file := u.topology(t, "labs/triangle.yaml")
	before := u.processes()
	t.Cleanup(func() { u.run(t, nil, "down", "triangle") })
	for i := 0; i < 10; i++ {
		u.must(t, "up", "-q", file)
		u.must(t, "down", "triangle")
	}
	if procs := u.newProcesses(before); len(procs) > 0 {
		t.Errorf("processes after 10 cycles: %v", procs)
	}

	// SIGKILL of up while it starts the nodes of a 60-node chain.
	chain := filepath.Join(u.files, "chain.yaml")
	if err := os.Rename(chainTopology(t, "rlkill", 60), chain); err != nil {
		t.Fatal(err)
	}
	os.Chmod(chain, 0o644)
	cmd := u.command(nil, "up", chain)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.run(t, nil, "down", "rlkill") })
	state := filepath.Join(u.stateRoot(), "rlkill", "state.json")
	waitFor(t, 20*time.Second, "the supervisor in up's state", func() error {
		if b, err := os.ReadFile(state); err != nil || !strings.Contains(string(b), `"supervisor"`) {
			return errors.New("not yet")
		}
		return nil
	})
	cmd.Process.Kill()
	var ee *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("up ended before it was killed: %v", err)
	}
	u.must(t, "down", "rlkill")
	if procs := u.newProcesses(before); len(procs) > 0 {
		t.Errorf("processes after a killed up and down: %v", procs)
	}
	if _, err := os.Stat(filepath.Dir(state)); err == nil {
		t.Errorf("state left after a killed up and down")
	}
}

// TestRootlessEveryday: the core suite's everyday cases for an ordinary
// user: two labs at once, an up of a running lab, an unknown node, a bad
// topology, shell with a command, and a garbage state that down still
// removes whole.
func TestRootlessEveryday(t *testing.T) {
	needCommand(t, "ping")
	u := newRootlessUser(t, "netlabt8", 1<<20+6<<16)
	u.up(t, renamedTriangle(t, "rl-a"), "rl-a")
	u.up(t, renamedTriangle(t, "rl-b"), "rl-b")
	for _, lab := range []string{"rl-a", "rl-b"} {
		if got := u.must(t, "exec", lab+"/r1", "--", "ping", "-c1", "-W2", "r3"); !strings.Contains(got, "1 received") {
			t.Errorf("%s: ping r1 -> r3: %s", lab, got)
		}
	}
	if r := u.run(t, nil, "up", u.topology(t, renamedTriangle(t, "rl-a"))); r.code != 1 || !strings.Contains(r.stderr, "already up") {
		t.Errorf("up of a running lab: exit %d, %q", r.code, r.stderr)
	}
	if r := u.run(t, nil, "exec", "rl-a/r9", "--", "true"); r.code != 2 || !strings.Contains(r.stderr, `lab rl-a has no node "r9" (nodes: r1, r2, r3)`) {
		t.Errorf("exec of an unknown node: exit %d, %q", r.code, r.stderr)
	}
	bad := u.topology(t, writeTopology(t, "rl-bad", "name: rl-bad\nnodes:\n  h1: {kind: nosuch}\n"))
	if r := u.run(t, nil, "up", bad); r.code != 2 || !strings.Contains(r.stderr, "rl-bad.yaml:3:") {
		t.Errorf("up of a bad topology: exit %d, %q", r.code, r.stderr)
	}
	if r := u.run(t, nil, "shell", "rl-b/r3", "--", "sh", "-c", "tty; hostname; exit 4"); r.code != 4 || !strings.Contains(r.stdout, "/dev/pts/") || !strings.Contains(r.stdout, "r3") {
		t.Errorf("shell NODE -- COMMAND: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}

	before := u.processes()
	t.Cleanup(func() { u.run(t, nil, "down", "rl-junk") })
	u.must(t, "up", "-q", u.topology(t, renamedTriangle(t, "rl-junk")))
	state := filepath.Join(u.runtimeDir, "netlab", "rl-junk", "state.json")
	if err := os.WriteFile(state, []byte("\x00{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := u.must(t, "status", "rl-junk"); !strings.Contains(got, "netlab down rl-junk") {
		t.Errorf("status of a lab with garbage state: %q", got)
	}
	u.must(t, "down", "rl-junk")
	if procs := u.newProcesses(before); len(procs) > 0 {
		t.Errorf("processes after down of a lab with garbage state: %v", procs)
	}
	if _, err := os.Stat(filepath.Dir(state)); err == nil {
		t.Errorf("state left after down of a lab with garbage state")
	}

	// Without XDG_RUNTIME_DIR the state goes to ~/.netlab, where no other
	// user can make it first, and goes with the last lab's down.
	home := filepath.Join(u.files, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chown(home, u.uid, u.gid)
	noXDG := []string{"XDG_RUNTIME_DIR=", "HOME=" + home}
	t.Cleanup(func() { u.run(t, noXDG, "down", "rl-home") })
	if r := u.run(t, noXDG, "up", "-q", u.topology(t, renamedTriangle(t, "rl-home"))); r.code != 0 {
		t.Fatalf("up without XDG_RUNTIME_DIR: exit %d, %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(home, ".netlab", "rl-home", "state.json")); err != nil {
		t.Errorf("state of a lab without XDG_RUNTIME_DIR: %v", err)
	}
	if r := u.run(t, noXDG, "exec", "rl-home/r1", "--", "ping", "-c1", "-W2", "r3"); r.code != 0 {
		t.Errorf("exec in a lab with its state in ~/.netlab: exit %d, %s", r.code, r.stderr)
	}
	if r := u.run(t, noXDG, "down", "rl-home"); r.code != 0 {
		t.Errorf("down: exit %d, %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(home, ".netlab")); !os.IsNotExist(err) {
		t.Errorf("~/.netlab left after the last lab's down: %v", err)
	}
}

// TestRootlessIsolation: the isolation checks of a root-started lab
// (security_test.go), in a user's: siblings apart, the supervisor in
// namespaces of its own, names a node chose escaped, and the caller's
// terminal never handed to the node.
func TestRootlessIsolation(t *testing.T) {
	u := newRootlessUser(t, "netlabt9", 1<<20+7<<16)
	u.up(t, "labs/triangle.yaml", "triangle")
	c := u.caller()
	checkSiblingsApart(t, c)
	checkSupervisorApart(t, readLabState(t, u.stateRoot(), "triangle").Supervisor.Pid)
	checkHostileNames(t, c)
	checkTerminalNotHanded(t, c)
}

// TestRootlessImpair: an ordinary user's links take a rate (tbf, which
// needs no privilege in the lab's namespaces), declared and with link set;
// loss, which on this kernel is a BPF program only root may load, is
// refused before anything is made, at up and at link set.
func TestRootlessImpair(t *testing.T) {
	needCommand(t, "tc")
	u := newRootlessUser(t, "netlabt10", 1<<20+8<<16)
	u.up(t, hostPair(t, "rlrate", "    rate: 10mbit\n"), "rlrate")
	if got := u.must(t, "exec", "h1", "--", "tc", "qdisc", "show", "dev", "eth1"); !strings.Contains(got, "qdisc tbf") || !strings.Contains(got, "rate 10Mbit") {
		t.Errorf("h1's eth1 after up with rate 10mbit: %q", got)
	}
	u.must(t, "link", "set", "h2:eth1", "--rate", "2mbit")
	if got := u.must(t, "exec", "h1", "--", "tc", "qdisc", "show", "dev", "eth1"); !strings.Contains(got, "rate 2Mbit") {
		t.Errorf("h1's eth1 after link set --rate 2mbit: %q", got)
	}
	if got := u.must(t, "status", "rlrate"); !strings.Contains(got, "rate 2mbit") {
		t.Errorf("status: %s", got)
	}
	if got := u.must(t, "exec", "h1", "--", "ping", "-c1", "-W2", "192.0.2.2"); !strings.Contains(got, "1 received") {
		t.Errorf("ping across a rate-limited link: %s", got)
	}

	before := u.processes()
	r := u.run(t, nil, "up", u.topology(t, hostPair(t, "rlloss", "    loss: 5%\n")))
	if r.code == 0 {
		// The probe found sch_netem: loss is netem, refused nowhere.
		u.must(t, "down", "rlloss")
		t.Skip("this kernel has sch_netem (up made the loss), so rootless refuses nothing")
	}
	if r.code != 1 || !strings.Contains(r.stderr, "rlloss.yaml:6:5: link 1:") || !strings.Contains(r.stderr, "needs root here") {
		t.Errorf("rootless up with loss: exit %d, %q", r.code, r.stderr)
	}
	if procs := u.newProcesses(before); len(procs) > 0 {
		t.Errorf("processes after a refused up: %v", procs)
	}
	if _, err := os.Stat(filepath.Join(u.runtimeDir, "netlab", "rlloss")); err == nil {
		t.Errorf("state after a refused up")
	}
	if r := u.run(t, nil, "link", "set", "h1:eth1", "--loss", "5%"); r.code != 1 || !strings.Contains(r.stderr, "needs root here") {
		t.Errorf("rootless link set --loss: exit %d, %q", r.code, r.stderr)
	}
}

// TestRootlessLimits: where the user's own cgroup is delegated to it (here
// a v1 pids cgroup an admin chowned to the user), a rootless lab gets its
// cgroup under it, with its pids limit, removed at down.
func TestRootlessLimits(t *testing.T) {
	u := newRootlessUser(t, "netlabt7", 1<<20+5<<16)
	deleg := "/sys/fs/cgroup/pids/netlab-test-deleg-" + u.name
	if _, err := os.Stat("/sys/fs/cgroup/pids/cgroup.procs"); err != nil {
		t.Skipf("no cgroup v1 pids hierarchy to delegate here: %v", err)
	}
	if err := os.Mkdir(deleg, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, d := range []string{deleg + "/netlab/lim", deleg + "/netlab", deleg} {
			os.Remove(d)
		}
	})
	filepath.WalkDir(deleg, func(p string, _ os.DirEntry, _ error) error { return os.Chown(p, u.uid, u.gid) })
	file := filepath.Join(u.files, "lim.yaml")
	os.WriteFile(file, []byte("name: lim\nlimits: {pids: 120}\nnodes:\n  h1: {}\n"), 0o644)
	// netlab starts in the delegated cgroup, as a process of a delegated
	// systemd unit would.
	as := fmt.Sprintf("setpriv --reuid %d --regid %d --clear-groups env XDG_RUNTIME_DIR=%s HOME=%s %s", u.uid, u.gid, u.runtimeDir, u.files, netlabBin)
	out, err := exec.Command("sh", "-c", "echo $$ > "+deleg+"/cgroup.procs && exec "+as+" up "+file).CombinedOutput()
	if err != nil {
		t.Fatalf("up in a delegated cgroup: %v: %s", err, out)
	}
	if strings.Contains(string(out), "not applied") {
		t.Errorf("up warned: %s", out)
	}
	defer u.run(t, nil, "down", "lim")
	if max, _ := os.ReadFile(deleg + "/netlab/lim/pids.max"); strings.TrimSpace(string(max)) != "120" {
		t.Errorf("the lab's pids.max under the delegated cgroup = %q, want 120", max)
	}
	r := u.run(t, nil, "exec", "h1", "--", "sh", "-c", `for i in $(seq 300); do sleep 30 </dev/null >/dev/null 2>&1 & done`)
	if r.code == 0 || !strings.Contains(r.stderr, "fork") {
		t.Errorf("300 forks under a limit of 120: exit %d %q", r.code, r.stderr)
	}
	u.must(t, "down", "lim")
	if _, err := os.Stat(deleg + "/netlab/lim"); err == nil {
		t.Errorf("the lab's cgroup is left after down")
	}
}
