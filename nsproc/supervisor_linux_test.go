package nsproc

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
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
	m := []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0x7ffe0000, Size: 65535}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := StartSupervisor(ctx, SupervisorConfig{Lab: "nsproc-test", UIDMap: m, GIDMap: m, Log: log, Hosts: hosts, Hide: []string{testHidden},
		OwnerUID: 0x7ffe0000 + 65535, OwnerGID: 0x7ffe0000 + 65535})
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
	return s, log
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
	sock := filepath.Join(t.TempDir(), name+".sock")
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
	n, err := s.Spawn(ctx, NodeConfig{Name: "nsproc-test/" + name, Hostname: name, Socket: f, Binds: binds, Layer: layer,
		Sysctls: []string{"net.ipv4.ip_forward=1"}})
	if err != nil {
		return "", err
	}
	n.Close()
	return sock, nil
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
