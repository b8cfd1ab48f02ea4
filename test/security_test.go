package test

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"
	"github.com/vishvananda/netlink"
)

// TestSecurity: from inside a node, the host's network, processes and
// netlab's own state are out of reach, and only host root can enter a node.
func TestSecurity(t *testing.T) {
	needRoot(t)
	upLab(t, "labs/triangle.yaml", "triangle")
	upLab(t, renamedTriangle(t, "other"), "other")

	// The host's addresses have no route from a node: nothing can even
	// be sent to them.
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if a.IP.IsLoopback() || a.IP.IsLinkLocalUnicast() {
			continue
		}
		r := netlab(t, "exec", "triangle/r1", "--", "ip", "route", "get", a.IP.String())
		if r.code == 0 {
			t.Errorf("r1 has a route to the host's address %s: %s", a.IP, r.stdout)
		}
	}
	// The node's loopback is its own: a listener on the host's is not there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	r := netlab(t, "exec", "triangle/r1", "--", "bash", "-c", fmt.Sprintf("echo hi > /dev/tcp/127.0.0.1/%d", port))
	if r.code == 0 {
		t.Errorf("r1 connected to a listener on the host's loopback")
	}

	// Host processes: not visible, not signalable.
	if r := netlab(t, "exec", "triangle/r1", "--", "kill", "-0", fmt.Sprint(os.Getpid())); r.code == 0 {
		t.Errorf("r1 can signal the test process %d", os.Getpid())
	}

	// netlab's state and the other lab's sockets are not in a node's view.
	for _, p := range []string{stateRoot(), filepath.Join(stateRoot(), "other", "r1.sock")} {
		if r := netlab(t, "exec", "triangle/r1", "--", "test", "-e", p); r.code == 0 {
			t.Errorf("r1 sees %s", p)
		}
	}

	// State is root's alone.
	for p, want := range map[string]os.FileMode{
		stateRoot():                                       0o700 | os.ModeDir,
		filepath.Join(stateRoot(), "other"):               0o700 | os.ModeDir,
		filepath.Join(stateRoot(), "other", "state.json"): 0o600,
	} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v (%v), want %v", p, fi.Mode(), err, want)
		}
	}
	fi, err := os.Stat(filepath.Join(stateRoot(), "other", "r1.sock"))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Sys().(*syscall.Stat_t).Uid != 0 {
		t.Errorf("exec socket: %v %v", fi.Mode(), err)
	}

	// A user other than root cannot enter a node.
	cmd := exec.Command(netlabBin, "exec", "other/r1", "--", "true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Errorf("uid 65534 could exec in a node: %s", out)
	} else if got := strings.TrimSpace(string(out)); got != "netlab: no lab other of user nobody is up (no lab is up; labs of other users, and root's, are theirs alone)" {
		t.Errorf("uid 65534: want a one-line refusal naming the owner, got %q", got)
	}
}

// TestNodeRootCannotUncoverHost: node root tries every way the isolation
// issue's attacker used to reach the host through the node's mounts. Each
// private mount is locked (made by the lab's user namespace, more
// privileged than the node's), the host's tree is read-only, and the only
// mount node root may remove, its own /sys, uncovers the supervisor's empty
// network namespace.
func TestNodeRootCannotUncoverHost(t *testing.T) {
	needRoot(t)
	// Host files a node must never see, in every place its private mounts
	// cover, and a world-writable host directory it must not write.
	marker := fmt.Sprintf("netlab-marker-%d", os.Getpid())
	var planted []string
	for _, dir := range []string{"/tmp", "/var/tmp", "/dev/shm", "/run", "/root"} {
		p := filepath.Join(dir, marker)
		if err := os.WriteFile(p, []byte("host\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		planted = append(planted, p)
	}
	open := "/" + marker + "-open"
	if err := os.Mkdir(open, 0o1777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o1777)
	t.Cleanup(func() {
		for _, p := range planted {
			os.Remove(p)
		}
		os.RemoveAll(open)
	})
	upLab(t, "labs/triangle.yaml", "triangle")

	script := `mount -t tmpfs control /mnt && umount /mnt && echo CONTROL-UNMOUNTED
for m in /proc /sys /tmp /var/tmp /dev/shm /dev/pts /dev /run /root /etc /; do
  umount -l $m 2>/dev/null && echo "UNMOUNTED $m"
done
mount -o remount,rw / 2>/dev/null && echo REMOUNTED-ROOT-RW
mount -o remount,rw /usr 2>/dev/null && echo REMOUNTED-USR-RW
for f in ` + strings.Join(planted, " ") + `; do [ -e $f ] && echo "SEES $f"; done
touch ` + open + `/x 2>/dev/null && echo WROTE-OPEN-DIR
echo "SYS-NET $(ls /sys/class/net | tr '\n' ' ')"
[ "$(cat /proc/1/comm)" = netlab-init ] || echo "PID1 $(cat /proc/1/comm)"
ls /proc | grep -c '^[0-9]'
ls /dev/pts | tr '\n' ' '; echo
stat -c 'PTS-DEV %d' /dev/pts/ptmx
true`
	out := mustNetlab(t, "exec", "triangle/r1", "--", "sh", "-c", script)
	// The unmounts below fail for the mounts' sake, not umount's: node
	// root can unmount what it mounted itself.
	if !strings.Contains(out, "CONTROL-UNMOUNTED\n") {
		t.Errorf("node root could not mount and unmount a tmpfs of its own: %q", out)
	}
	assertOwnDevpts(t, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines {
		switch {
		case l == "UNMOUNTED /sys":
			// The agent's own sysfs: allowed, checked below.
		case strings.HasPrefix(l, "UNMOUNTED"), strings.HasPrefix(l, "REMOUNTED"),
			strings.HasPrefix(l, "SEES"), strings.HasPrefix(l, "WROTE"), strings.HasPrefix(l, "PID1"):
			t.Errorf("node root: %s", l)
		}
	}
	// What is below the node's /sys names no interface of the host's.
	hostLinks, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	// Once the agent's sysfs is gone, the supervisor's empty netns shows:
	// lo alone, or the node's own interfaces if the unmount did not hold.
	sysNet := regexp.MustCompile(`(?m)^SYS-NET (.*)$`).FindStringSubmatch(out)
	if sysNet == nil || (sysNet[1] != "lo " && sysNet[1] != "eth1 eth2 lo ") {
		t.Errorf("the node's /sys/class/net after the unmounts: %q, want lo (or the node's own)", sysNet)
	}
	for _, l := range hostLinks {
		name := l.Attrs().Name
		if name == "lo" {
			continue
		}
		if sysNet != nil && strings.Contains(" "+sysNet[1], " "+name+" ") {
			t.Errorf("node root sees the host's interface %s below /sys: %q", name, out)
		}
	}
	if !strings.Contains(out, "\nptmx \n") && !strings.Contains(out, "\nptmx\n") {
		t.Errorf("the node's /dev/pts is not a devpts of its own (want only ptmx): %q", out)
	}
}

// assertOwnDevpts checks the "PTS-DEV N" line of out, the device of the
// node's /dev/pts/ptmx: a devpts instance of the node's own has a device
// of its own, whatever ptys the host has open.
func assertOwnDevpts(t *testing.T, out string) {
	t.Helper()
	var host syscall.Stat_t
	if err := syscall.Stat("/dev/pts/ptmx", &host); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`PTS-DEV (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no device of the node's /dev/pts: %q", out)
	}
	if m[1] == strconv.FormatUint(host.Dev, 10) {
		t.Errorf("the node's /dev/pts is the host's devpts (device %s)", m[1])
	}
}

// TestNodeRootCannotTouchLabProcesses: the init (PID 1 of the node) and the
// supervisor hold capabilities over the whole lab; node root can neither
// read nor write their memory, nor enter their namespaces, and the
// supervisor lives in namespaces of its own, none of them the host's.
func TestNodeRootCannotTouchLabProcesses(t *testing.T) {
	needRoot(t)
	upLab(t, "labs/triangle.yaml", "triangle")
	// Controls first: nsenter works on the shell itself, and the scan of
	// /proc finds the shell's own process.
	script := `nsenter -t $$ -n true && echo CONTROL-NSENTER
for p in /proc/[0-9]*; do tr '\0' ' ' < $p/cmdline 2>/dev/null | grep -q 'CONTROL-SCA[N]' && { echo CONTROL-SCAN; break; }; done
for f in mem environ maps; do
  (exec 3<>/proc/1/$f) 2>/dev/null && echo "OPENED-RW /proc/1/$f"
  cat /proc/1/$f >/dev/null 2>&1 && echo "READ /proc/1/$f"
done
ls /proc/1/root/ >/dev/null 2>&1 && echo SEES-INIT-ROOT
nsenter -t 1 -n true 2>/dev/null && echo ENTERED-INIT-NETNS
nsenter -t 1 -m true 2>/dev/null && echo ENTERED-INIT-MNTNS
for p in /proc/[0-9]*; do tr '\0' ' ' < $p/cmdline 2>/dev/null | grep -q '__netlab_[s]upervisor' && echo "SEES-SUPERVISOR $p"; done
true`
	out := mustNetlab(t, "exec", "triangle/r1", "--", "sh", "-c", script)
	if out != "CONTROL-NSENTER\nCONTROL-SCAN\n" {
		t.Errorf("node root reached the init or the supervisor (or the controls failed):\n%s", out)
	}
	if r := netlab(t, "exec", "triangle/r1", "--", "sh", "-c", "exec 3>/proc/1/mem"); r.code == 0 || !strings.Contains(r.stderr, "ermission denied") {
		t.Errorf("node root opened its init's memory for writing")
	}

	st := readLabState(t, stateRoot(), "triangle")
	// Not dumpable: from the host, neither the lab root's uid (the
	// supervisor's and the inits') nor node root's may open their memory,
	// though the first may open that of a process of its own that is.
	needCommand(t, "setpriv")
	ids := &st.IDs
	asUID := func(uid uint64, script string) result {
		id := strconv.FormatUint(uid, 10)
		return runIn(t, exec.Command("setpriv", "--reuid="+id, "--regid="+id, "--clear-groups", "--", "sh", "-c", script))
	}
	if r := asUID(ids.First, "sleep 5 & exec 3<>/proc/$!/mem && echo OPENED; kill $!; wait"); !strings.Contains(r.stdout, "OPENED") {
		t.Fatalf("control: uid %d cannot open the memory of its own sleep: %q %q", ids.First, r.stdout, r.stderr)
	}
	for _, uid := range []uint64{ids.First, ids.First + 1} {
		for what, pid := range map[string]int{"supervisor": st.Supervisor.Pid, "r1's init": st.Nodes[0].Init.Pid} {
			if r := asUID(uid, fmt.Sprintf("exec 3<>/proc/%d/mem && echo OPENED", pid)); strings.Contains(r.stdout, "OPENED") {
				t.Errorf("host uid %d opened the %s's memory for writing", uid, what)
			}
		}
	}

	// No process of the nodes (their inits, and all they start) holds a
	// file of the host's state directory, such as the lab's log, which
	// node root could fill.
	for _, p := range labProcesses("triangle", ids) {
		if strings.Contains(p, "__netlab_supervisor") {
			continue
		}
		pid := strings.Fields(p)[0]
		fds, _ := os.ReadDir("/proc/" + pid + "/fd")
		for _, fd := range fds {
			if target, err := os.Readlink("/proc/" + pid + "/fd/" + fd.Name()); err == nil && strings.HasPrefix(target, stateRoot()+"/") {
				t.Errorf("%s holds %s (fd %s)", p, target, fd.Name())
			}
		}
	}

	checkSupervisorApart(t, st.Supervisor.Pid)
}

// checkSupervisorApart: the supervisor (pid) is in none of the host's
// namespaces.
func checkSupervisorApart(t *testing.T, pid int) {
	t.Helper()
	for _, ns := range []string{"net", "mnt", "ipc", "uts", "cgroup", "pid", "user"} {
		host, err1 := os.Readlink("/proc/self/ns/" + ns)
		sup, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
		if err1 != nil || err2 != nil {
			t.Fatalf("read %s namespaces: %v %v", ns, err1, err2)
		}
		if host == sup {
			t.Errorf("the supervisor shares the host's %s namespace (%s)", ns, host)
		}
	}
}

// caller is who runs netlab in an isolation check: root, or a rootless
// test user (rootless_test.go), so that each check holds in both modes.
// The checks take the lab triangle, up.
type caller struct {
	command   func(args ...string) *exec.Cmd // netlab as the caller
	processes func() []string                // the lab's processes on the host, "PID ..."
}

// asRoot is root's netlab, with the processes of its lab lab.
func asRoot(t *testing.T, lab string) caller {
	return caller{
		command:   func(args ...string) *exec.Cmd { return exec.Command(netlabBin, args...) },
		processes: func() []string { return labProcesses(lab, labIDs(t, lab)) },
	}
}

func (c caller) run(t *testing.T, args ...string) result {
	t.Helper()
	return runIn(t, c.command(args...))
}

func (c caller) must(t *testing.T, args ...string) string {
	t.Helper()
	r := c.run(t, args...)
	if r.code != 0 {
		t.Fatalf("netlab %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// TestSiblingsApart: r1's root cannot see r2's processes, enter its
// namespaces or change settings that apply to r2.
func TestSiblingsApart(t *testing.T) {
	needRoot(t)
	upLab(t, "labs/triangle.yaml", "triangle")
	checkSiblingsApart(t, asRoot(t, "triangle"))
}

func checkSiblingsApart(t *testing.T, c caller) {
	t.Helper()
	c.must(t, "exec", "triangle/r2", "--", "sh", "-c", "sleep 3001 >/dev/null 2>&1 &")
	r2Before := strings.TrimSpace(c.must(t, "exec", "triangle/r2", "--", "cat", "/proc/sys/user/max_user_namespaces"))
	script := `echo 0 > /proc/sys/user/max_user_namespaces 2>/dev/null
for p in /proc/[0-9]*; do tr '\0' ' ' < $p/cmdline 2>/dev/null | grep -q 'sleep 3[0]01' && echo "SEES-R2-PROCESS $p"; done
ls /run/netns 2>/dev/null | grep -q . && echo SEES-NETNS-NAMES
hostname pwned
true`
	// r2 itself sees its process, so the search below could find it.
	search := `for p in /proc/[0-9]*; do tr '\0' ' ' < $p/cmdline 2>/dev/null | grep -q 'sleep 3[0]01' && echo "SEES-R2-PROCESS $p"; done; true`
	if out := c.must(t, "exec", "triangle/r2", "--", "sh", "-c", search); !strings.Contains(out, "SEES-R2-PROCESS") {
		t.Fatalf("r2 does not see its own sleep: %q", out)
	}
	if out := strings.TrimSpace(c.must(t, "exec", "triangle/r1", "--", "sh", "-c", script)); out != "" {
		t.Errorf("r1 reached r2: %s", out)
	}
	if got := strings.TrimSpace(c.must(t, "exec", "triangle/r2", "--", "cat", "/proc/sys/user/max_user_namespaces")); got != r2Before {
		t.Errorf("r1 changed r2's user.max_user_namespaces: %s -> %s", r2Before, got)
	}
	// r1 may rename itself (its own UTS namespace), and only itself.
	if got := strings.TrimSpace(c.must(t, "exec", "triangle/r1", "--", "hostname")); got != "pwned" {
		t.Errorf("r1 could not set its own hostname: %q", got)
	}
	if got := strings.TrimSpace(c.must(t, "exec", "triangle/r2", "--", "hostname")); got != "r2" {
		t.Errorf("r1's hostname change reached r2: %q", got)
	}
	// r1 set only its own node's limit to 0.
	if r := c.run(t, "exec", "triangle/r2", "--", "unshare", "-U", "true"); r.code != 0 {
		t.Errorf("r2 can no longer make a user namespace after r1's attempt: %s", r.stderr)
	}
}

// TestTerminalNotHanded: with a terminal as stdio, exec gives the node a pty
// of the node's own (or pipes), never the caller's terminal: after the
// command returns, no process of the lab holds it, though one it started
// still runs.
func TestTerminalNotHanded(t *testing.T) {
	needRoot(t)
	upLab(t, "labs/triangle.yaml", "triangle")
	checkTerminalNotHanded(t, asRoot(t, "triangle"))
}

func checkTerminalNotHanded(t *testing.T, c caller) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	defer tty.Close()
	go io.Copy(io.Discard, ptmx)
	var ttySt syscall.Stat_t
	if err := syscall.Fstat(int(tty.Fd()), &ttySt); err != nil {
		t.Fatal(err)
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	for _, stdin := range []*os.File{tty, null} { // a pty in the node; pipes
		cmd := c.command("exec", "triangle/r1", "--", "sh", "-c", "trap '' HUP; sleep 3002 </dev/null & tty; true")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, tty, tty
		if err := cmd.Run(); err != nil {
			t.Fatalf("exec with a terminal: %v", err)
		}
	}
	var leaks []string
	procs := c.processes()
	sleeps := 0
	for _, p := range procs {
		pid := strings.Fields(p)[0]
		if cmdline, _ := os.ReadFile("/proc/" + pid + "/cmdline"); string(cmdline) == "sleep\x003002\x00" {
			sleeps++
		}
		fds, _ := os.ReadDir("/proc/" + pid + "/fd")
		for _, fd := range fds {
			var st syscall.Stat_t
			p := "/proc/" + pid + "/fd/" + fd.Name()
			// The node's own ptys have the same device numbers as the host's:
			// only the devpts instance and inode tell them apart.
			if syscall.Stat(p, &st) == nil && st.Dev == ttySt.Dev && st.Ino == ttySt.Ino {
				leaks = append(leaks, p)
			}
		}
	}
	if len(procs) < 6 || sleeps != 2 { // the supervisor, three nodes, the sleeps
		t.Fatalf("found %d processes of the lab to examine, %d of them the background sleeps: %v", len(procs), sleeps, procs)
	}
	if len(leaks) > 0 {
		t.Errorf("lab processes hold the caller's terminal: %v", leaks)
	}
	if got := c.must(t, "exec", "triangle/r1", "--", "sh", "-c", "pgrep -c -f 'sleep 300[2]'"); strings.TrimSpace(got) != "2" {
		t.Errorf("the background sleeps should still run in r1: %q", got)
	}
}

// TestHostileNames: an interface name node root chose, holding escape
// sequences, reaches the terminal escaped.
func TestHostileNames(t *testing.T) {
	needRoot(t)
	upLab(t, "labs/triangle.yaml", "triangle")
	checkHostileNames(t, asRoot(t, "triangle"))
}

func checkHostileNames(t *testing.T, c caller) {
	t.Helper()
	c.must(t, "exec", "triangle/r1", "--", "sh", "-c",
		`ip link add "$(printf '\033]0;pwned\007')" type veth peer name "$(printf '\033[2J')"`)
	out := c.must(t, "status", "triangle")
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("status prints raw control characters: %q", out)
	}
	if !strings.Contains(out, `\x1b]0;pwned\x07`) {
		t.Errorf("status does not show the hostile name escaped: %q", out)
	}
}

// TestForkStormBounded: a fork storm in one node stops at the lab's pids
// limit, while another lab and the host go on.
func TestForkStormBounded(t *testing.T) {
	needRoot(t)
	file := writeTopology(t, "storm", `name: storm
limits: {pids: 200}
nodes:
  h1: {}
`)
	upLab(t, file, "storm")
	upLab(t, "labs/triangle.yaml", "triangle")
	st := readLabState(t, stateRoot(), "storm")
	var pidsDir string
	for _, d := range st.Cgroup {
		if _, err := os.Stat(filepath.Join(d, "pids.max")); err == nil {
			pidsDir = d
		}
	}
	if pidsDir == "" {
		t.Fatalf("lab storm has no pids cgroup: %v", st.Cgroup)
	}
	if max, _ := os.ReadFile(filepath.Join(pidsDir, "pids.max")); strings.TrimSpace(string(max)) != "200" {
		t.Errorf("pids.max = %q, want 200", max)
	}
	// The shell gives up at its first failed fork; its sleeps stay.
	r := netlab(t, "exec", "storm/h1", "--", "sh", "-c",
		`for i in $(seq 400); do sleep 60 </dev/null >/dev/null 2>&1 & done`)
	if r.code == 0 || !strings.Contains(r.stderr, "fork") {
		t.Errorf("400 forks in a lab limited to 200 processes: exit %d, %q; want a fork failure", r.code, r.stderr)
	}
	cur, _ := os.ReadFile(filepath.Join(pidsDir, "pids.current"))
	if n, err := strconv.Atoi(strings.TrimSpace(string(cur))); err != nil || n > 200 || n < 150 {
		t.Errorf("pids.current = %q during the storm; want at the limit of 200", cur)
	}
	if got := mustNetlab(t, "exec", "triangle/r1", "--", "ping", "-c1", "-W2", "r3"); !strings.Contains(got, "1 received") {
		t.Errorf("another lab stopped working during the storm: %s", got)
	}
	if out, err := exec.Command("true").CombinedOutput(); err != nil {
		t.Errorf("the host cannot fork during the storm: %v %s", err, out)
	}
}
