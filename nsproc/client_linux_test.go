package nsproc

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
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

// fakeAgent serves sock as a hostile node's agent would: answer gets each
// request and answers it (or not) on the connection.
func fakeAgent(t *testing.T, answer func(c *net.UnixConn, req nodeRequest)) string {
	t.Helper()
	sock, l := testListener(t)
	go func() {
		for {
			c, err := l.AcceptUnix()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var req nodeRequest
				if _, err := recvPacket(c, &req); err != nil {
					return
				}
				answer(c, req)
			}()
		}
	}()
	return sock
}

// TestNetlinkFromHostileNode: a netlink socket a node hands back that
// would hear more than the answers (multicast groups, joined at bind or
// after; a filter that could drop the answers) is refused.
func TestNetlinkFromHostileNode(t *testing.T) {
	for _, c := range []struct {
		name string
		make func(fd int) error
		want string
	}{
		{"clean", func(int) error { return nil }, ""},
		{"bound to groups", func(fd int) error {
			return unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_LINK})
		}, "multicast groups"},
		{"joined a group", func(fd int) error {
			return unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, unix.RTNLGRP_IPV4_IFADDR)
		}, "multicast groups"},
		{"filtered", func(fd int) error {
			// A filter that drops everything.
			prog := []unix.SockFilter{{Code: 0x06, K: 0}} // ret #0
			return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: 1, Filter: &prog[0]})
		}, "filter attached"},
	} {
		sock := fakeAgent(t, func(conn *net.UnixConn, req nodeRequest) {
			fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
			if err != nil {
				return
			}
			f := os.NewFile(uintptr(fd), "netlink")
			defer f.Close()
			if err := c.make(fd); err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			sendPacket(conn, execEvent{Exit: &exitInfo{}}, f)
		})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		f, err := Netlink(ctx, sock)
		cancel()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if f != nil {
			f.Close()
		}
	}
}

// TestNodeNeverAnswers: a node that takes a request and never answers
// costs its caller its deadline, no more.
func TestNodeNeverAnswers(t *testing.T) {
	hang := make(chan struct{})
	defer close(hang)
	sock := fakeAgent(t, func(*net.UnixConn, nodeRequest) { <-hang })
	for name, ask := range map[string]func(context.Context) error{
		"services": func(ctx context.Context) error { _, err := Services(ctx, sock); return err },
		"netlink":  func(ctx context.Context) error { _, err := Netlink(ctx, sock); return err },
		"packet":   func(ctx context.Context) error { _, err := Packet(ctx, sock, "eth1"); return err },
		"put":      func(ctx context.Context) error { return Put(ctx, sock, File{Path: "/x"}) },
		"sysctls":  func(ctx context.Context) error { return SetSysctls(ctx, sock, []string{"a=1"}) },
		"logged": func(ctx context.Context) error {
			_, _, err := RunLogged(ctx, sock, []string{"true"}, nil, "x", "")
			return err
		},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		start := time.Now()
		err := ask(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
			t.Errorf("%s of a node that never answers: %v after %v", name, err, time.Since(start))
		}
	}
}

// TestLingeringSocketFromNode: a socket a node hands back set to linger
// with data it cannot send does not block its close.
func TestLingeringSocketFromNode(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() { // a peer that never reads
		c, err := l.Accept()
		if err == nil {
			time.Sleep(time.Minute)
			c.Close()
		}
	}()
	sock := fakeAgent(t, func(conn *net.UnixConn, req nodeRequest) {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			return
		}
		f, _ := c.(*net.TCPConn).File()
		c.Close()
		defer f.Close()
		fd := int(f.Fd())
		unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 60})
		unix.SetNonblock(fd, true)
		for { // fill the send buffer and the peer's receive buffer
			if _, err := unix.Write(fd, make([]byte, 1<<16)); err != nil {
				break
			}
		}
		unix.SetNonblock(fd, false)
		sendPacket(conn, execEvent{Exit: &exitInfo{}}, f)
	})
	start := time.Now()
	_, err = Packet(context.Background(), sock, "eth1")
	if err == nil || !strings.Contains(err.Error(), "want 17 3") {
		t.Errorf("a TCP socket for a packet socket: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("refusing the lingering socket took %v", d)
	}
}

// TestRunRefusesUnaskedPTY: a node that answers a command run with pipes
// by a pty (whose relay would copy the caller's stdin into the node) is
// refused.
func TestRunRefusesUnaskedPTY(t *testing.T) {
	sock := fakeAgent(t, func(c *net.UnixConn, req nodeRequest) {
		master, slave, err := pty.Open()
		if err != nil {
			return
		}
		defer master.Close()
		defer slave.Close()
		sendPacket(c, execEvent{PTY: true}, master)
		sendPacket(c, execEvent{Exit: &exitInfo{}})
	})
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	_, err = Run(context.Background(), sock, Command{Argv: []string{"true"}, Stdin: null, Stdout: null, Stderr: null}, nil)
	if err == nil || !strings.Contains(err.Error(), "not asked for") {
		t.Errorf("a pty answer to a command without one: %v", err)
	}
}

// TestRunNodeNeverStarts: a node that takes a command and never says it
// started costs Run a bounded wait, and a signal before it started aborts
// it (a node root can wedge its own agent: netlab must not hang with it).
func TestRunNodeNeverStarts(t *testing.T) {
	hang := make(chan struct{})
	defer close(hang)
	sock := fakeAgent(t, func(*net.UnixConn, nodeRequest) { <-hang })
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	defer func(d time.Duration) { commandStartTimeout = d }(commandStartTimeout)
	commandStartTimeout = 300 * time.Millisecond
	cmd := Command{Argv: []string{"true"}, Stdin: null, Stdout: null, Stderr: null}
	start := time.Now()
	if _, err := Run(context.Background(), sock, cmd, nil); err == nil || !strings.Contains(err.Error(), "did not start the command within") || time.Since(start) > 5*time.Second {
		t.Errorf("a node that never starts the command: %v after %v", err, time.Since(start))
	}
	commandStartTimeout = time.Minute
	sig := make(chan os.Signal, 1)
	sig <- syscall.SIGINT
	start = time.Now()
	if _, err := Run(context.Background(), sock, cmd, sig); err == nil || !strings.Contains(err.Error(), "interrupted before the node started") || time.Since(start) > 5*time.Second {
		t.Errorf("an interrupt before the node started the command: %v after %v", err, time.Since(start))
	}
}
