package nsproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// Command is a command to run in a node.
type Command struct {
	Argv                  []string
	Env                   []string // the whole environment; nothing is inherited
	Dir                   string   // working directory in the node; "/" when empty
	Stdin, Stdout, Stderr *os.File
	// PTY runs the command on a pty of the node's own, as its controlling
	// terminal: Stdin is copied to the pty and the pty to Stdout (Stderr
	// is unused). The pty takes the window size of Stdin when that is a
	// terminal, at start and on every receive from Winch.
	PTY   bool
	Winch <-chan os.Signal
}

// ExitError is a command that ran, or could not start, in a node.
type ExitError struct {
	Code   int    // 126 not executable, 127 not found, 128+n killed by signal n
	Reason string // why it could not start; empty when it ran
}

func (e *ExitError) Error() string {
	if e.Reason != "" {
		return e.Reason
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// Run runs cmd in the node whose agent serves socket and returns the
// command's exit code. Signals received on signals are delivered to the
// command's process group. A command that could not start returns an
// *ExitError with its Reason.
//
// A terminal is never handed to the node: node root could keep it after the
// command ends, read what is typed next, or push keystrokes into it. A
// Stdout or Stderr that is a terminal is replaced by a pipe whose far end
// this process copies to it; a Stdin that is one by /dev/null (ask for PTY
// to type into a command). Pipes and files pass through as they are.
func Run(ctx context.Context, socket string, cmd Command, signals <-chan os.Signal) (int, error) {
	c, err := dialNode(ctx, socket)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	req := execRequest{Argv: cmd.Argv, Env: cmd.Env, Dir: cmd.Dir, PTY: cmd.PTY}
	var relays sync.WaitGroup
	var relayed []*os.File
	if cmd.PTY {
		if cmd.Stdin != nil && isTerminal(cmd.Stdin) {
			if ws, err := unix.IoctlGetWinsize(int(cmd.Stdin.Fd()), unix.TIOCGWINSZ); err == nil {
				req.Rows, req.Cols = int(ws.Row), int(ws.Col)
			}
		}
		err = sendPacket(c, nodeRequest{Exec: &req})
	} else {
		var stdio [3]*os.File
		var closeAfter []*os.File
		stdio, closeAfter, relayed, err = safeStdio(cmd, &relays)
		if err == nil {
			err = sendPacket(c, nodeRequest{Exec: &req}, stdio[:]...)
		}
		// The node has its own copies now: ours must go, or the relays
		// would never see the pipes end.
		closeAll(closeAfter)
	}
	if errors.Is(err, unix.EMSGSIZE) {
		n := 0
		for _, a := range append(cmd.Argv, cmd.Env...) {
			n += len(a)
		}
		return 0, fmt.Errorf("the command's arguments and environment (%d bytes) are more than a node takes in one request (about 200 KiB): pass large data through stdin or a file", n)
	}
	if err != nil {
		return 0, fmt.Errorf("send command to node: %w", err)
	}
	// Until the node says the command started, the wait is bounded (a
	// node root can wedge its agent), and a signal ends it within
	// interruptGrace; after, it lasts as long as the command. Signals are
	// the command's either way: a node may have started it without having
	// said so yet (the agent signals, or kills, one not started).
	var started, timedOut, interrupted atomic.Bool
	startTimer := time.AfterFunc(commandStartTimeout, func() {
		if !started.Load() {
			timedOut.Store(true)
			c.Close()
		}
	})
	defer startTimer.Stop()
	graceTimer := time.AfterFunc(time.Hour, func() {
		if !started.Load() {
			interrupted.Store(true)
			c.Close()
		}
	})
	graceTimer.Stop() // armed by the first signal before the start
	defer graceTimer.Stop()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		graced := false
		for {
			select {
			case sig := <-signals:
				if n, ok := sig.(syscall.Signal); ok {
					sendPacket(c, execEvent{Signal: int(n)})
				}
				if !started.Load() && !graced {
					graced = true
					graceTimer.Reset(interruptGrace)
				}
			case <-ctx.Done():
				c.Close()
				return
			case <-stop:
				return
			}
		}
	}()
	var master *os.File
	var ev execEvent
	var files []*os.File
	for err == nil && ev.Exit == nil {
		closeAll(files)
		ev, files, err = recvEvent(c)
		switch {
		case err != nil:
		case ev.Started:
			started.Store(true)
		case ev.PTY && (!cmd.PTY || master != nil):
			// A pty nobody asked for: relaying it would hand the node
			// the caller's stdin, which safeStdio kept from it.
			closeAll(files)
			return 0, errors.New("node answered with a pty, which was not asked for")
		case ev.PTY:
			if len(files) != 1 {
				closeAll(files)
				return 0, fmt.Errorf("node sent %d files with its pty, want its master", len(files))
			}
			// The node is not trusted: relay only from a pty's master (a
			// pipe or a file would do no harm but is not what was asked
			// for).
			if _, err := unix.IoctlGetInt(int(files[0].Fd()), unix.TIOCGPTN); err != nil {
				closeAll(files)
				return 0, fmt.Errorf("node sent a file that is not a pty's master: %w", os.NewSyscallError("ioctl TIOCGPTN", err))
			}
			if master, err = pollable(files[0]); err != nil {
				return 0, err
			}
			files = nil
			defer master.Close()
			relayPTY(master, cmd, stop, &relays)
		case ev.Exit == nil:
			err = errors.New("node sent no exit status")
		}
	}
	closeAll(files)
	switch {
	case timedOut.Load():
		err = fmt.Errorf("the node did not start the command within %v (its agent may be wedged: netlab restart the node)", commandStartTimeout)
	case interrupted.Load():
		err = errors.New("interrupted before the node started the command")
	}
	// Take what the command printed last, but do not wait for what it
	// left running: a pty reads EIO, and a pipe EOF, only once every holder
	// of its far end closed it, which a background process may never do.
	for _, f := range append(relayed, master) {
		if f != nil {
			f.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		}
	}
	relays.Wait()
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, fmt.Errorf("wait for command: %w", err)
	}
	if ev.Exit.Error != "" {
		return ev.Exit.Code, &ExitError{Code: ev.Exit.Code, Reason: ev.Exit.Error}
	}
	return ev.Exit.Code, nil
}

// commandStartTimeout bounds how long Run waits for a node to say the
// command started (its agent kills one that has not exec'd in half that).
var commandStartTimeout = 20 * time.Second

// interruptGrace is how long Run waits, after a signal, for a node that
// has not said the command started to say so.
const interruptGrace = 2 * time.Second

// safeStdio returns the three files to hand the node for cmd's stdio, with
// terminals replaced (see Run), the files to close once they are sent, and
// the read ends of the pipes it relays. A relay is counted in relays and
// ends when the node's last holder of its pipe closes it, or at the read
// deadline Run sets once the command has ended.
func safeStdio(cmd Command, relays *sync.WaitGroup) ([3]*os.File, []*os.File, []*os.File, error) {
	var out [3]*os.File
	var relayed []*os.File
	var closeAfter []*os.File
	for i, f := range []*os.File{cmd.Stdin, cmd.Stdout, cmd.Stderr} {
		if f == nil || !isTerminal(f) {
			out[i] = f
			continue
		}
		if i == 0 {
			null, err := os.Open(os.DevNull)
			if err != nil {
				closeAll(closeAfter)
				return out, nil, nil, err
			}
			out[i] = null
			closeAfter = append(closeAfter, null)
			continue
		}
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(closeAfter)
			return out, nil, nil, err
		}
		out[i] = w
		closeAfter = append(closeAfter, w)
		relays.Add(1)
		go func(dst *os.File) {
			defer relays.Done()
			defer r.Close()
			io.Copy(dst, r)
		}(f)
		relayed = append(relayed, r)
	}
	return out, closeAfter, relayed, nil
}

// relayPTY copies the caller's stdin to the pty's master and the master to
// the caller's stdout until the master reads an error (all slaves closed,
// or the deadline Run sets after the command ended). Input stops with it.
func relayPTY(master *os.File, cmd Command, stop <-chan struct{}, relays *sync.WaitGroup) {
	if cmd.Stdin != nil {
		go io.Copy(master, cmd.Stdin)
	}
	if cmd.Winch != nil && cmd.Stdin != nil && isTerminal(cmd.Stdin) {
		go func() {
			for {
				select {
				case <-cmd.Winch:
					if ws, err := unix.IoctlGetWinsize(int(cmd.Stdin.Fd()), unix.TIOCGWINSZ); err == nil {
						unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws)
					}
				case <-stop:
					return
				}
			}
		}()
	}
	if cmd.Stdout != nil {
		relays.Add(1)
		go func() {
			defer relays.Done()
			io.Copy(cmd.Stdout, master)
		}()
	}
}

// pollable returns f, received as a blocking descriptor, as a file whose
// reads take deadlines.
func pollable(f *os.File) (*os.File, error) {
	fd, err := unix.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		return nil, os.NewSyscallError("dup", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	unix.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// dialNode connects to a node's exec socket.
func dialNode(ctx context.Context, socket string) (*net.UnixConn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unixpacket", socket)
	if err != nil {
		return nil, fmt.Errorf("connect to node: %w", err)
	}
	return nc.(*net.UnixConn), nil
}

// recvEvent reads the agent's next event.
func recvEvent(c *net.UnixConn) (execEvent, []*os.File, error) {
	var ev execEvent
	files, err := recvPacket(c, &ev)
	if errors.Is(err, errEOF) {
		err = errors.New("node went away before it answered")
	}
	return ev, files, err
}

// MaxFileSize bounds what Put writes: its packet, base64 in JSON, must fit
// a unix socket's default send buffer (about 208 KiB), or the kernel
// refuses it (EMSGSIZE) with no word of why. (topology.MaxFileContent is
// the same bound, at validation.)
const MaxFileSize = 128 << 10

// File is a file to write in a node.
type File struct {
	Path     string // absolute, as the node sees it
	Data     []byte
	Mode     os.FileMode
	UID, GID int // as the node sees them
}

// Put writes f in the node whose agent serves socket, replacing any file at
// its path and making missing directories (owned like the file).
func Put(ctx context.Context, socket string, f File) error {
	if len(f.Data) > MaxFileSize {
		return fmt.Errorf("put %s: %d bytes is too large; files are for configuration, at most %d bytes", f.Path, len(f.Data), MaxFileSize)
	}
	req := nodeRequest{Put: &putRequest{Path: f.Path, Data: f.Data, Mode: uint32(f.Mode.Perm()), UID: f.UID, GID: f.GID}}
	exit, files, err := askExit(ctx, socket, req)
	closeAll(files)
	if err != nil {
		return fmt.Errorf("put %s: %w", f.Path, err)
	}
	if exit.Error != "" {
		return errors.New(exit.Error)
	}
	return nil
}

// RunLogged runs argv in the node with its output appended to the node's
// log of that name (see LogDir) and stdin /dev/null, so that what it leaves
// running keeps a place to write. It returns the exit code and the end of
// the output. With service set, the command is started as the node's
// service of that name, and RunLogged returns once it runs.
func RunLogged(ctx context.Context, socket string, argv, env []string, log, service string) (int, []byte, error) {
	req := nodeRequest{Exec: &execRequest{Argv: argv, Env: env, Dir: "/", Log: log, Service: service}}
	exit, files, err := askExit(ctx, socket, req)
	closeAll(files)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		return 0, nil, fmt.Errorf("wait for command: %w", err)
	}
	if exit.Error != "" {
		return exit.Code, exit.Output, &ExitError{Code: exit.Code, Reason: exit.Error}
	}
	return exit.Code, exit.Output, nil
}

// Services lists the services of the node whose agent serves socket.
func Services(ctx context.Context, socket string) ([]Service, error) {
	var r servicesReply
	files, err := exchange(ctx, socket, nodeRequest{Services: true}, &r)
	closeAll(files)
	if err != nil {
		return nil, fmt.Errorf("read node's services: %w", err)
	}
	return r.Services, nil
}

// Netlink returns a NETLINK_ROUTE socket of the network namespace of the
// node whose agent serves socket, opened by the agent.
func Netlink(ctx context.Context, socket string) (*os.File, error) {
	files, err := ask(ctx, socket, nodeRequest{Netlink: true})
	if err != nil {
		return nil, fmt.Errorf("netlink socket from node: %w", err)
	}
	if len(files) != 1 {
		closeAll(files)
		return nil, fmt.Errorf("netlink socket from node: answer carried %d files", len(files))
	}
	err = checkSocket(files[0], unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE)
	if err == nil {
		err = checkQuietNetlink(files[0])
	}
	if err != nil {
		files[0].Close()
		return nil, fmt.Errorf("netlink socket from node: %w", err)
	}
	return files[0], nil
}

// checkQuietNetlink makes sure a netlink socket from a node hears nothing
// but the answers to what netlab asks: bound to no multicast group (whose
// messages would keep coming), with no filter attached (which could drop
// the answers).
func checkQuietNetlink(f *os.File) error {
	fd := int(f.Fd())
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return os.NewSyscallError("getsockname", err)
	}
	if nl, ok := sa.(*unix.SockaddrNetlink); !ok || nl.Groups != 0 {
		return fmt.Errorf("node sent a netlink socket bound to multicast groups (%+v)", sa)
	}
	groups := make([]byte, 64)
	n, err := getsockoptBytes(fd, unix.SOL_NETLINK, unix.NETLINK_LIST_MEMBERSHIPS, groups)
	if err != nil {
		return os.NewSyscallError("getsockopt NETLINK_LIST_MEMBERSHIPS", err)
	}
	for _, b := range groups[:min(n, len(groups))] {
		if b != 0 {
			return errors.New("node sent a netlink socket that joined multicast groups")
		}
	}
	// SO_GET_FILTER answers the length of an attached classic filter.
	if l, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_GET_FILTER); err == nil && l != 0 {
		return errors.New("node sent a netlink socket with a filter attached")
	}
	return nil
}

// getsockoptBytes reads a socket option into b and returns its length.
func getsockoptBytes(fd, level, opt int, b []byte) (int, error) {
	l := uint32(len(b))
	_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&l)), 0)
	if errno != 0 {
		return 0, errno
	}
	return int(l), nil
}

// ErrNoInterface is wrapped by Packet's error for an interface the node
// does not have; the error lists those it has.
var ErrNoInterface = errors.New("no such interface")

// noInterfaceError is the agent's word that it has no such interface,
// with the list of those it has.
type noInterfaceError string

func (e noInterfaceError) Error() string        { return string(e) }
func (e noInterfaceError) Is(target error) bool { return target == ErrNoInterface }

// Packet returns an AF_PACKET socket (SOCK_RAW, every protocol) bound to
// interface ifname of the network namespace of the node whose agent serves
// socket, opened by the agent: the way to capture a node's frames that
// needs no privilege over the node beyond reaching its socket. The socket
// is blocking, as it came. What came is checked to be a packet socket: an
// agent that node root tampered with could send anything.
func Packet(ctx context.Context, socket, ifname string) (*os.File, error) {
	files, err := ask(ctx, socket, nodeRequest{Packet: ifname})
	var ee *ExitError
	switch {
	case errors.As(err, &ee) && ee.Code == codeNoInterface:
		return nil, noInterfaceError(ee.Reason)
	case err == nil && len(files) != 1:
		err = fmt.Errorf("answer carried %d files, want a packet socket", len(files))
	case err == nil:
		err = checkPacketSocket(files[0])
	}
	if err != nil {
		closeAll(files)
		return nil, fmt.Errorf("packet socket from node: %w", err)
	}
	return files[0], nil
}

// checkPacketSocket makes sure f is an AF_PACKET socket of type SOCK_RAW.
func checkPacketSocket(f *os.File) error {
	return checkSocket(f, unix.AF_PACKET, unix.SOCK_RAW, -1)
}

// checkSocket makes sure f is a socket of that domain and type (and, when
// proto is not -1, protocol): a node's agent that node root tampered with
// could send anything.
func checkSocket(f *os.File, wantDomain, wantType, wantProto int) error {
	fd := int(f.Fd())
	domain, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err != nil {
		return fmt.Errorf("node sent no socket: %w", os.NewSyscallError("getsockopt SO_DOMAIN", err))
	}
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return os.NewSyscallError("getsockopt SO_TYPE", err)
	}
	proto := wantProto
	if wantProto != -1 {
		if proto, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PROTOCOL); err != nil {
			return os.NewSyscallError("getsockopt SO_PROTOCOL", err)
		}
	}
	if domain != wantDomain || typ != wantType || proto != wantProto {
		return fmt.Errorf("node sent a socket of domain %d type %d protocol %d, want %d %d %d", domain, typ, proto, wantDomain, wantType, wantProto)
	}
	return nil
}

// SetSysctls writes KEY=VALUE pairs (net.ipv4.ip_forward=1) under the
// /proc/sys of the node whose agent serves socket, in order.
func SetSysctls(ctx context.Context, socket string, kvs []string) error {
	files, err := ask(ctx, socket, nodeRequest{Sysctls: kvs})
	closeAll(files)
	return err
}

// nodeRequestTimeout bounds a request to a node's agent, or to a lab's
// supervisor, whose caller set no deadline: a node must never hang netlab.
const nodeRequestTimeout = 30 * time.Second

// withRequestDeadline is ctx, ending after nodeRequestTimeout when it has
// no deadline of its own.
func withRequestDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, nodeRequestTimeout)
}

// exchange sends req, which carries no files, to the node's agent and
// reads its one answer into reply, returning the files that came with it.
// The connection closes when ctx ends (nodeRequestTimeout at the latest),
// and the error is then ctx's.
func exchange(ctx context.Context, socket string, req nodeRequest, reply any) ([]*os.File, error) {
	ctx, cancel := withRequestDeadline(ctx)
	defer cancel()
	c, err := dialNode(ctx, socket)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := sendPacket(c, req); err != nil {
		return nil, fmt.Errorf("send request to node: %w", err)
	}
	files, err := recvPacket(c, reply)
	switch {
	case err != nil && ctx.Err() != nil:
		err = ctx.Err()
	case errors.Is(err, errEOF):
		err = errors.New("node went away before it answered")
	}
	if err != nil {
		closeAll(files)
		return nil, err
	}
	return files, nil
}

// askExit is exchange for a request the agent answers with an exit.
func askExit(ctx context.Context, socket string, req nodeRequest) (*exitInfo, []*os.File, error) {
	var ev execEvent
	files, err := exchange(ctx, socket, req, &ev)
	if err == nil && ev.Exit == nil {
		closeAll(files)
		err = errors.New("node sent no answer")
	}
	if err != nil {
		return nil, nil, err
	}
	return ev.Exit, files, nil
}

// ask is askExit for a request that either works, giving files, or fails
// with the exit's reason (an *ExitError).
func ask(ctx context.Context, socket string, req nodeRequest) ([]*os.File, error) {
	exit, files, err := askExit(ctx, socket, req)
	if err == nil && exit.Error != "" {
		closeAll(files)
		return nil, &ExitError{Code: exit.Code, Reason: exit.Error}
	}
	return files, err
}
