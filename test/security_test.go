package test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

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
	for _, p := range []string{"/run/netlab", "/run/netlab/other/r1.sock"} {
		if r := netlab(t, "exec", "triangle/r1", "--", "test", "-e", p); r.code == 0 {
			t.Errorf("r1 sees %s", p)
		}
	}

	// State is root's alone.
	for p, want := range map[string]os.FileMode{
		"/run/netlab":                  0o700 | os.ModeDir,
		"/run/netlab/other":            0o700 | os.ModeDir,
		"/run/netlab/other/state.json": 0o600,
	} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v (%v), want %v", p, fi.Mode(), err, want)
		}
	}
	fi, err := os.Stat("/run/netlab/other/r1.sock")
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Sys().(*syscall.Stat_t).Uid != 0 {
		t.Errorf("exec socket: %v %v", fi.Mode(), err)
	}

	// A user other than root cannot enter a node.
	cmd := exec.Command(netlabBin, "exec", "other/r1", "--", "true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Errorf("uid 65534 could exec in a node: %s", out)
	} else if !strings.Contains(string(out), "permission denied") {
		t.Errorf("uid 65534: want permission denied, got %s", out)
	}
}

// TestNodeRootCannotReachHost: node root may unmount its own /proc (the
// lab, not the node, is the isolation boundary inside a lab), but what it
// finds below still gives it nothing of the host: not the host's network
// namespace, not the host's files.
func TestNodeRootCannotReachHost(t *testing.T) {
	needRoot(t)
	upLab(t, "labs/triangle.yaml", "triangle")
	script := `umount -l /proc && [ "$(cat /proc/1/comm)" != netlab-init ] && echo SEES-HOST-PROC
nsenter --net=/proc/1/ns/net true && echo ENTERED-HOST-NETNS
nsenter --mount=/proc/1/ns/mnt true && echo ENTERED-HOST-MNTNS
echo x >> /proc/1/root/etc/motd 2>/dev/null && echo WROTE-HOST-FILE
true`
	out := mustNetlab(t, "exec", "triangle/r1", "--", "sh", "-c", script)
	if !strings.Contains(out, "SEES-HOST-PROC") {
		t.Fatalf("the test could not unmount /proc in the node to look below it: %q", out)
	}
	for _, bad := range []string{"ENTERED-HOST-NETNS", "ENTERED-HOST-MNTNS", "WROTE-HOST-FILE"} {
		if strings.Contains(out, bad) {
			t.Errorf("node root escaped: %s", bad)
		}
	}
}
