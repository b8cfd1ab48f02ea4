package nsproc

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"
)

// TestRunRefusesFakePTY: a node that answers a pty request with a file
// that is not a pty's master (here a pipe) gets no relay: Run fails naming
// it. A real master passes the same check (TestRunPTY).
func TestRunRefusesFakePTY(t *testing.T) {
	sock, l := testListener(t)
	go func() {
		c, err := l.AcceptUnix()
		if err != nil {
			return
		}
		defer c.Close()
		var req nodeRequest
		if _, err := recvPacket(c, &req); err != nil {
			return
		}
		r, w, err := os.Pipe()
		if err != nil {
			return
		}
		defer w.Close()
		sendPacket(c, execEvent{PTY: true}, r)
		r.Close()
		sendPacket(c, execEvent{Exit: &exitInfo{}})
	}()
	_, err := Run(context.Background(), sock, Command{Argv: []string{"sh"}, PTY: true}, nil)
	if err == nil || !strings.Contains(err.Error(), "not a pty's master") {
		t.Errorf("a pipe for a pty master: %v", err)
	}
}

// testListener is an exec socket of a node's, closed when the test ends.
func testListener(t *testing.T) (string, *net.UnixListener) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "node.sock")
	l, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: sock, Net: "unixpacket"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return sock, l
}

// TestRunPTY: the agent's own pty passes the check and relays output.
func TestRunPTY(t *testing.T) {
	sock := testAgent(t, "")
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	code, err := Run(context.Background(), sock, Command{Argv: []string{"/bin/echo", "hello"}, Env: []string{"PATH=/bin:/usr/bin"}, Stdout: out, PTY: true}, nil)
	if err != nil || code != 0 {
		t.Fatalf("echo on a pty: %d %v", code, err)
	}
	b, _ := os.ReadFile(out.Name())
	if !strings.Contains(string(b), "hello") {
		t.Errorf("pty output %q, want hello", b)
	}
}

// TestRunTooLong: a command too long for one packet is refused saying so,
// not with the kernel's bare EMSGSIZE.
func TestRunTooLong(t *testing.T) {
	sock := testAgent(t, "")
	argv := []string{"/bin/true"}
	for range 4 {
		argv = append(argv, strings.Repeat("a", 100<<10))
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	_, err = Run(context.Background(), sock, Command{Argv: argv, Stdin: null, Stdout: null, Stderr: null}, nil)
	if err == nil || !strings.Contains(err.Error(), "arguments and environment (409609 bytes) are more than a node takes") {
		t.Errorf("a 400 KiB command: %v", err)
	}
}

// TestRunPTYSize: the node's pty takes the size of the caller's terminal.
func TestRunPTYSize(t *testing.T) {
	sock := testAgent(t, "")
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	defer tty.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 33, Cols: 99}); err != nil {
		t.Fatal(err)
	}
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	code, err := Run(context.Background(), sock, Command{Argv: []string{"stty", "size"}, Env: []string{"PATH=/bin:/usr/bin"}, Stdin: tty, Stdout: out, PTY: true}, nil)
	if err != nil || code != 0 {
		t.Fatalf("stty size on a pty: %d %v", code, err)
	}
	if b, _ := os.ReadFile(out.Name()); !strings.Contains(string(b), "33 99") {
		t.Errorf("stty size in the node's pty: %q, want 33 99 (the caller's)", b)
	}
}
