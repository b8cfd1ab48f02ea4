package nsproc

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// serveExec runs commands for clients of the node's exec socket until the
// listener fails.
func serveExec(l *net.UnixListener, r *reaper, node string) {
	svc := &services{}
	for {
		c, err := l.AcceptUnix()
		if err != nil {
			fmt.Fprintf(os.Stderr, "netlab agent %s: accept: %v\n", node, err)
			return
		}
		go serveOne(c, r, svc)
	}
}

func serveOne(c *net.UnixConn, r *reaper, svc *services) {
	defer c.Close()
	var req nodeRequest
	files, err := recvPacket(c, &req)
	if err != nil {
		return
	}
	var info exitInfo
	switch {
	case req.Services:
		closeAll(files)
		sendPacket(c, servicesReply{Services: svc.snapshot()})
		return
	case req.Netlink:
		closeAll(files)
		sock, err := netlinkSocket()
		sendSocket(c, sock, 1, err)
		return
	case req.Packet != "":
		closeAll(files)
		sock, code, err := packetSocket(req.Packet)
		sendSocket(c, sock, code, err)
		return
	case req.Sysctls != nil:
		closeAll(files)
		if err := writeSysctls(req.Sysctls); err != nil {
			info = exitInfo{Code: 1, Error: err.Error()}
		}
	case req.Exec != nil && req.Exec.Log != "":
		closeAll(files)
		info = runLogged(c, r, svc, *req.Exec)
	case req.Exec != nil:
		info = runRequest(c, r, *req.Exec, files)
	case req.Put != nil:
		closeAll(files)
		if err := putFile(*req.Put); err != nil {
			info = exitInfo{Code: 1, Error: err.Error()}
		}
	default:
		closeAll(files)
		info = exitInfo{Code: 2, Error: "empty request"}
	}
	sendPacket(c, execEvent{Exit: &info})
}

// sendSocket answers a request for a socket opened in the node: the socket,
// or the exit code and err saying why there is none.
func sendSocket(c *net.UnixConn, sock *os.File, code int, err error) {
	if err != nil {
		sendPacket(c, execEvent{Exit: &exitInfo{Code: code, Error: err.Error()}})
		return
	}
	sendPacket(c, execEvent{Exit: &exitInfo{}}, sock)
	sock.Close()
}

// putFile writes a file as the node's root. An existing file is removed
// first: one of the host's, seen through the /etc overlay, is owned by an
// id the node cannot map and could not be rewritten in place.
func putFile(p putRequest) error {
	if !filepath.IsAbs(p.Path) {
		return fmt.Errorf("put %s: path is not absolute", p.Path)
	}
	if err := mkdirAllOwned(filepath.Dir(p.Path), p.UID, p.GID); err != nil {
		return fmt.Errorf("put %s: %w", p.Path, err)
	}
	if err := os.Remove(p.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("put %s: %w", p.Path, err)
	}
	f, err := os.OpenFile(p.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("put %s: %w", p.Path, err)
	}
	_, err = f.Write(p.Data)
	if err == nil {
		err = f.Chown(p.UID, p.GID)
	}
	if err == nil {
		err = f.Chmod(os.FileMode(p.Mode).Perm())
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("put %s: %w", p.Path, err)
	}
	return nil
}

// mkdirAllOwned makes dir and its missing parents, owned by uid and gid.
func mkdirAllOwned(dir string, uid, gid int) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		return nil
	}
	if err := mkdirAllOwned(filepath.Dir(dir), uid, gid); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return os.Chown(dir, uid, gid)
}

// runLogged runs a command whose output goes to one of the node's logs. A
// service is started and left running; anything else is waited for, and
// its exit carries the end of what it wrote.
func runLogged(c *net.UnixConn, r *reaper, svc *services, req execRequest) exitInfo {
	log, from, err := openLog(req.Log)
	if err != nil {
		return exitInfo{Code: 126, Error: err.Error()}
	}
	defer log.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		return exitInfo{Code: 126, Error: err.Error()}
	}
	defer null.Close()
	req.PTY = false
	if req.Service == "" {
		info := runRequest(c, r, req, []*os.File{null, log, log})
		info.Output = logTail(req.Log, from)
		return info
	}
	pid, status, fail := startCommand(r, req, [3]*os.File{null, log, log})
	if fail != nil {
		return *fail
	}
	sv := svc.add(req.Service, pid)
	go func() { svc.exited(sv, <-status) }()
	return exitInfo{}
}

// startCommand starts req's command with stdio in a session of its own
// (signals for it reach its whole process group; with req.PTY, stdio is a
// terminal that becomes its controlling one). A command that cannot start
// returns the exit to report: 127 not found, 126 otherwise.
func startCommand(r *reaper, req execRequest, stdio [3]*os.File) (int, <-chan unix.WaitStatus, *exitInfo) {
	if len(req.Argv) == 0 {
		return 0, nil, &exitInfo{Code: 126, Error: "no command given"}
	}
	path, err := lookPath(req.Argv[0], req.Env)
	if err != nil {
		return 0, nil, &exitInfo{Code: 127, Error: err.Error()}
	}
	dir := req.Dir
	if dir == "" {
		dir = "/"
	}
	attr := &syscall.ProcAttr{
		Dir:   dir,
		Env:   req.Env,
		Files: []uintptr{stdio[0].Fd(), stdio[1].Fd(), stdio[2].Fd()},
		Sys:   &syscall.SysProcAttr{Setsid: true, Setctty: req.PTY, Ctty: 0},
	}
	pid, status, err := r.start(path, req.Argv, attr)
	if err != nil {
		code := 126
		if errors.Is(err, unix.ENOENT) {
			code = 127
		}
		return 0, nil, &exitInfo{Code: code, Error: fmt.Sprintf("%s: %v", req.Argv[0], err)}
	}
	return pid, status, nil
}

// runRequest starts the command with the client's stdio, or on a pty of
// the node's own, relays the client's signals to it, and returns how it
// ended.
func runRequest(c *net.UnixConn, r *reaper, req execRequest, stdio []*os.File) exitInfo {
	defer closeAll(stdio)
	if req.PTY {
		if len(stdio) != 0 {
			return exitInfo{Code: 126, Error: fmt.Sprintf("pty request carried %d files, want none", len(stdio))}
		}
		master, slave, err := openPTY(req.Size)
		if err != nil {
			return exitInfo{Code: 126, Error: err.Error()}
		}
		err = sendPacket(c, execEvent{PTY: true}, master)
		master.Close()
		if err != nil {
			slave.Close()
			return exitInfo{Code: 126, Error: fmt.Sprintf("send pty: %v", err)}
		}
		stdio = []*os.File{slave, slave, slave}
	}
	if len(stdio) != 3 {
		return exitInfo{Code: 126, Error: fmt.Sprintf("request carried %d files, want stdin, stdout, stderr", len(stdio))}
	}
	pid, status, fail := startCommand(r, req, [3]*os.File(stdio))
	if fail != nil {
		return *fail
	}
	closeAll(stdio)
	stdio = nil

	// The client speaks while the command runs only to pass signals; if it
	// goes away, nobody is left to see the command, so it is killed.
	var exited atomic.Bool
	go func() {
		for {
			var ev execEvent
			files, err := recvPacket(c, &ev)
			closeAll(files)
			if err != nil {
				if !exited.Load() {
					unix.Kill(-pid, unix.SIGKILL)
				}
				return
			}
			if ev.Signal > 0 {
				unix.Kill(-pid, unix.Signal(ev.Signal))
			}
		}
	}()
	ws := <-status
	exited.Store(true)
	if !ws.Exited() && !ws.Signaled() {
		return exitInfo{Code: 1, Error: fmt.Sprintf("unexpected wait status %#x", ws)}
	}
	return exitInfo{Code: waitCode(ws)}
}

// lookPath finds a command the way a shell with env's PATH would, in the
// node's own view of the filesystem.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: command not found", name)
}

// openPTY opens a pty of the node's own devpts (its /dev/ptmx) and returns
// its master and slave. The slave is opened through the master
// (TIOCGPTPEER), never by a path node root could have swapped.
func openPTY(size *unix.Winsize) (*os.File, *os.File, error) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open a pty: %w", os.NewSyscallError("open /dev/ptmx", err))
	}
	master := os.NewFile(uintptr(fd), "pty-master")
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("unlock pty: %w", os.NewSyscallError("ioctl TIOCSPTLCK", err))
	}
	if size != nil {
		unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, size)
	}
	sfd, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if errno != 0 {
		master.Close()
		return nil, nil, fmt.Errorf("open pty slave: %w", os.NewSyscallError("ioctl TIOCGPTPEER", errno))
	}
	return master, os.NewFile(uintptr(sfd), "pty-slave"), nil
}

// netlinkSocket opens a NETLINK_ROUTE socket in this process's network
// namespace, blocking, bound, for a client to use.
func netlinkSocket() (*os.File, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	return os.NewFile(uintptr(fd), "netlink"), nil
}

// packetSocket opens an AF_PACKET socket (SOCK_RAW: whole frames, link
// header included) of this process's network namespace, bound to the
// interface ifname for every protocol (ETH_P_ALL), blocking, for a client
// to read. It is made with protocol 0, which queues nothing, and the bind
// names the protocol and the interface at once: no frame of another
// interface is ever queued on it. An interface that is not there is the
// caller's mistake, codeNoInterface, and the error lists those that are.
func packetSocket(ifname string) (*os.File, int, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		var names []string
		if all, lerr := net.Interfaces(); lerr == nil {
			for _, i := range all {
				names = append(names, i.Name)
			}
		}
		return nil, codeNoInterface, fmt.Errorf("no interface %q (interfaces: %s)", ifname, strings.Join(names, ", "))
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, 1, os.NewSyscallError("socket AF_PACKET", err)
	}
	all := uint16(unix.ETH_P_ALL)
	sa := &unix.SockaddrLinklayer{Protocol: all<<8 | all>>8, Ifindex: ifi.Index} // network byte order
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return nil, 1, fmt.Errorf("bind packet socket to %s: %w", ifname, os.NewSyscallError("bind", err))
	}
	return os.NewFile(uintptr(fd), "packet:"+ifname), 0, nil
}

// writeSysctls writes KEY=VALUE pairs under /proc/sys, as this process's
// namespaces see them. A key written with slashes keeps its dots, for
// interface names like eth1.10.
func writeSysctls(kvs []string) error {
	for _, kv := range kvs {
		key, value, _ := strings.Cut(kv, "=")
		if !strings.Contains(key, "/") {
			key = strings.ReplaceAll(key, ".", "/")
		}
		if strings.Contains(key, "..") {
			return fmt.Errorf("sysctl %s: bad key", kv)
		}
		if err := os.WriteFile("/proc/sys/"+key, []byte(value), 0); err != nil {
			return fmt.Errorf("sysctl %s: %w", kv, errors.Unwrap(err))
		}
	}
	return nil
}
