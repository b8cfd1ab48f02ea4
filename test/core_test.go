package test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestTriangle brings the example lab up, pings every node from every other
// by name, reads status, and takes it down leaving nothing.
func TestTriangle(t *testing.T) {
	needRoot(t)
	needCommand(t, "ping")
	upLab(t, "labs/triangle.yaml", "triangle")
	nodes := []string{"r1", "r2", "r3"}
	for _, from := range nodes {
		for _, to := range nodes {
			if from == to {
				continue
			}
			mustNetlab(t, "exec", "triangle/"+from, "--", "ping", "-c1", "-W2", to)
		}
	}
	// Every interface address, by its NODE-IFNAME name, from r1.
	for _, name := range []string{"r2-eth2", "r3-eth2", "r3-lo"} {
		mustNetlab(t, "exec", "triangle/r1", "--", "ping", "-c1", "-W2", name)
	}

	var st struct {
		Labs []struct {
			Name  string
			State string
			Nodes []struct {
				Name       string
				Pid        int
				Running    bool
				Interfaces []struct {
					Name      string
					State     string
					Addresses []string
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(mustNetlab(t, "status", "--json", "triangle")), &st); err != nil {
		t.Fatalf("status --json: %v", err)
	}
	if len(st.Labs) != 1 || st.Labs[0].Name != "triangle" || st.Labs[0].State != "up" {
		t.Fatalf("status --json: want lab triangle up, got %+v", st.Labs)
	}
	var got []string
	for _, n := range st.Labs[0].Nodes {
		got = append(got, n.Name)
		if !n.Running || n.Pid <= 1 {
			t.Errorf("node %s: running %v pid %d", n.Name, n.Running, n.Pid)
		}
		for _, i := range n.Interfaces {
			if i.Name == "eth1" && (i.State != "up" || len(i.Addresses) != 1) {
				t.Errorf("node %s eth1: %+v", n.Name, i)
			}
		}
	}
	if !slices.Equal(got, nodes) {
		t.Errorf("status nodes: got %v, want %v", got, nodes)
	}
	table := mustNetlab(t, "status", "triangle")
	for _, want := range []string{"triangle", "r1", "10.0.12.1/24", "r2:eth1"} {
		if !strings.Contains(table, want) {
			t.Errorf("status table lacks %q:\n%s", want, table)
		}
	}
	// The netns is registered for iproute2 too.
	if _, err := os.Stat(filepath.Join(netnsDir(), "triangle-r1")); err != nil {
		t.Errorf("netns not registered: %v", err)
	}
}

// TestIsolation asserts, from inside a node, that it has its own view of
// everything a namespace separates, and cannot write the host's files.
func TestIsolation(t *testing.T) {
	needRoot(t)
	upLab(t, "labs/triangle.yaml", "triangle")
	inNode := func(node, script string) string {
		t.Helper()
		return strings.TrimSpace(mustNetlab(t, "exec", "triangle/"+node, "--", "sh", "-c", script))
	}

	hostName, _ := os.Hostname()
	if got := inNode("r1", "hostname"); got != "r1" {
		t.Errorf("hostname in r1: %q", got)
	}
	if got := inNode("r1", "cat /etc/hostname"); got != "r1" {
		t.Errorf("/etc/hostname in r1: %q", got)
	}
	if now, _ := os.Hostname(); now != hostName {
		t.Errorf("host name changed to %q", now)
	}

	if got := inNode("r1", "tr '\\0' ' ' < /proc/1/cmdline"); !strings.Contains(got, "__netlab_init") {
		t.Errorf("PID 1 in r1 is %q, not the node's init", got)
	}
	// /proc lists PID 1 (the init), the agent, the shell, ls and grep:
	// nothing of the host, nothing of the supervisor.
	pids := strings.Fields(inNode("r1", "ls /proc | grep '^[0-9]'"))
	if len(pids) > 5 || !slices.Contains(pids, "1") {
		t.Errorf("r1 sees processes %v; want only its own", pids)
	}
	if slices.Contains(pids, strconv.Itoa(os.Getpid())) && os.Getpid() > 4 {
		t.Errorf("r1 sees the test's own pid %d", os.Getpid())
	}

	if got := inNode("r1", "id -u"); got != "0" {
		t.Errorf("id -u in r1: %q", got)
	}
	// Node root is root of the node's own user namespace, which maps node
	// ids to the lab's from 1: node root is never the lab's root, which the
	// init (holding the lab's capabilities) runs as. The lab maps 65535 of
	// its range's 65536 host ids: the last owns its user namespace.
	f := strings.Fields(inNode("r1", "cat /proc/self/uid_map"))
	if len(f) != 3 || f[0] != "0" || f[1] != "1" || f[2] != "65534" {
		t.Errorf("uid_map in r1 %q: want node ids mapped to the lab's from 1", f)
	}
	ids := labIDs(t, "triangle")
	// The node's one process (PID 1, its agent) runs as node root, lab id
	// 1, never as the lab's root: it keeps nothing of the lab's.
	pid := nodeProc(t, "triangle", "r1")
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if uids, ok := strings.CutPrefix(line, "Uid:"); ok {
			for _, u := range strings.Fields(uids) {
				if u != strconv.FormatUint(ids.First+1, 10) {
					t.Errorf("process %d of r1 runs as host uid %s; want %d", pid, u, ids.First+1)
				}
			}
		}
	}
	if ids.First == 0 {
		t.Errorf("the lab's ids start at host uid 0")
	}

	tmpName := fmt.Sprintf("netlab-isolation-%d", os.Getpid())
	inNode("r1", "echo secret > /tmp/"+tmpName)
	if got := inNode("r1", "cat /tmp/"+tmpName); got != "secret" {
		t.Errorf("r1 cannot read its own /tmp file: %q", got)
	}
	if got := inNode("r2", "ls /tmp"); strings.Contains(got, tmpName) {
		t.Errorf("r2 sees r1's /tmp file")
	}
	if _, err := os.Stat(filepath.Join("/tmp", tmpName)); err == nil {
		t.Errorf("the host sees r1's /tmp file")
	}

	inNode("r1", "ipcmk -Q >/dev/null")
	if got := inNode("r1", "ipcs -q | grep -c '^0x' || true"); got != "1" {
		t.Errorf("r1 does not see its own message queue: %q", got)
	}
	if got := inNode("r2", "ipcs -q | grep -c '^0x' || true"); got != "0" {
		t.Errorf("r2 sees %s message queues made in r1", got)
	}

	ifaces := strings.Fields(inNode("r1", "ls /sys/class/net"))
	slices.Sort(ifaces)
	if !slices.Equal(ifaces, []string{"eth1", "eth2", "lo"}) {
		t.Errorf("r1 sees interfaces %v, want eth1 eth2 lo", ifaces)
	}

	for _, ns := range []string{"user", "net", "mnt", "pid", "ipc", "uts", "cgroup"} {
		host, err := os.Readlink("/proc/self/ns/" + ns)
		if err != nil {
			t.Fatal(err)
		}
		if node := inNode("r1", "readlink /proc/self/ns/"+ns); node == host {
			t.Errorf("r1 shares the host's %s namespace (%s)", ns, host)
		}
	}
}

// TestNodeCannotWriteHostFiles: node root is not host root. A root-owned
// host file stays as it was whatever the node tries, /etc's included
// (the node edits its own copy).
func TestNodeCannotWriteHostFiles(t *testing.T) {
	needRoot(t)
	upLab(t, "labs/triangle.yaml", "triangle")
	dir, err := os.MkdirTemp("/var/lib", "netlab-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	motd, _ := os.ReadFile("/etc/motd")
	for _, script := range []string{
		"echo node >> " + victim,
		"rm -f " + victim,
		"chmod 666 " + victim,
		"touch " + dir + "/new",
	} {
		r := netlab(t, "exec", "triangle/r1", "--", "sh", "-c", script)
		if r.code == 0 {
			t.Errorf("node root could run %q on a host file", script)
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "host\n" {
		t.Errorf("host file changed to %q", b)
	}
	if fi, err := os.Stat(victim); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("host file mode changed: %v %v", fi.Mode(), err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); err == nil {
		t.Errorf("node created a file in a host directory")
	}
	// The node's /etc is its own: the edit lands there, not in the host's.
	if got := mustNetlab(t, "exec", "triangle/r1", "--", "sh", "-c", "echo node >> /etc/motd && tail -n1 /etc/motd"); got != "node\n" {
		t.Errorf("the node's /etc/motd after the append ends %q", got)
	}
	if b, _ := os.ReadFile("/etc/motd"); string(b) != string(motd) {
		t.Errorf("host /etc/motd changed")
	}
}

// TestBinaryInPrivateDirectory: netlab works from a directory only root
// may enter (the supervisor, unprivileged in its user namespace, is
// executed through /proc/self/exe), and the nodes run no program of their
// own: each init is a clone of the supervisor, netlab's own image.
func TestBinaryInPrivateDirectory(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o700)
	b, err := os.ReadFile(netlabBin)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "netlab")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	file := renamedTriangle(t, "privdir")
	before := takeSnapshot(t, "privdir", nil)
	if out, err := exec.Command(bin, "up", "-q", file).CombinedOutput(); err != nil {
		t.Fatalf("up: %v\n%s", err, out)
	}
	ids := labIDs(t, "privdir")
	defer func() {
		exec.Command(bin, "down", "privdir").Run()
		assertNoLeftovers(t, before, ids)
	}()
	st := readLabState(t, stateRoot(), "privdir")
	if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", st.Nodes[0].Init.Pid)); err != nil || exe != bin {
		t.Errorf("r1 runs %q (%v), want %s, cloned", exe, err, bin)
	}
	if out, err := exec.Command(bin, "exec", "privdir/r1", "--", "hostname").Output(); err != nil || string(out) != "r1\n" {
		t.Errorf("exec: %q %v", out, err)
	}
}
