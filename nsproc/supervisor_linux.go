package nsproc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// SupervisorConfig says how to start a lab's supervisor.
type SupervisorConfig struct {
	Lab string
	// UIDMap and GIDMap map the ids of the lab's user namespace, from 0,
	// to host ids.
	UIDMap, GIDMap []syscall.SysProcIDMap
	// MapHelpers has the setuid helpers newuidmap and newgidmap write the
	// maps, as an ordinary user's process cannot write maps of more than
	// its own id.
	MapHelpers bool
	// Log receives what the supervisor and the node inits print on stderr.
	Log *os.File
	// Binary is the program to run as supervisor and node inits (see
	// InitBinary); empty means this process's own binary.
	Binary string
}

// NodeConfig says how to start one node.
type NodeConfig struct {
	Name     string // "lab/node", shown in ps and messages
	Hostname string // the node's hostname
	// Sysctls are KEY=VALUE pairs (net.ipv4.ip_forward=1) of the node's
	// network namespace, written before it is ready, so before any of its
	// interfaces exist: new interfaces inherit .default. values.
	Sysctls []string
	Socket  *os.File // listening SOCK_SEQPACKET socket on which the node's agent serves exec requests
	Hosts   *os.File // the lab's /etc/hosts, which the init copies into the node's /etc
	// Layer is what the node's /etc has over the host's from the start,
	// written by the init with the owners given. Each directory replaces
	// the host's directory of that name entirely (an opaque overlay
	// directory), so that, for example, a node's /etc/frr shows only
	// what netlab wrote, not the host's unreadable one.
	Layer []LayerFile
	// Hide are host directories covered in the node by an empty,
	// read-only tmpfs (locked like every mount of the node): a rootless
	// lab hides the user's home and the state root.
	Hide []string
}

// Supervisor is the host side of a running lab supervisor.
type Supervisor struct {
	cmd  *exec.Cmd
	conn *net.UnixConn

	mu       sync.Mutex // guards writes to conn, nextID and pending
	nextID   int
	pending  map[int]chan spawnReply
	dead     error         // set once the connection broke; guarded by mu
	closed   chan struct{} // closed once the connection broke
	detached atomic.Bool   // the supervisor said it detached before it closed
}

// StartSupervisor starts a lab supervisor in a new user namespace whose root
// is cfg.UID/cfg.GID on the host, and in a new PID namespace of which it is
// PID 1. It dies, with every node it started, when the returned Supervisor's
// connection closes, unless Detach was called.
func StartSupervisor(cfg SupervisorConfig) (*Supervisor, error) {
	conn, theirs, err := socketPair("supervisor-control")
	if err != nil {
		return nil, fmt.Errorf("supervisor control socket: %w", err)
	}
	defer theirs.Close()

	bin := selfExe
	if cfg.Binary != "" {
		// Exec it through a descriptor: by path, the child, already the
		// lab's unprivileged root, may not be allowed to reach it. The
		// descriptor sits above the ones ExtraFiles will take.
		f, err := os.Open(cfg.Binary)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("open %s: %w", cfg.Binary, err)
		}
		fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 10)
		f.Close()
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("open %s: %w", cfg.Binary, os.NewSyscallError("fcntl", err))
		}
		defer unix.Close(fd)
		bin = fmt.Sprintf("/proc/self/fd/%d", fd)
	}
	cmd := exec.Command(bin, argSupervisor, cfg.Lab)
	cmd.Args[0] = "netlab"
	cmd.Env = []string{}
	cmd.Dir = "/" // hold no host directory busy for the lab's life
	cmd.Stdout, cmd.Stderr = cfg.Log, cfg.Log
	cmd.ExtraFiles = []*os.File{theirs}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Namespaces of its own, all of them: the supervisor holds every
		// capability over the lab, so nothing of the host's may be in
		// reach of it either (its network has only a loopback that is down).
		Cloneflags: unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNS | unix.CLONE_NEWNET |
			unix.CLONE_NEWIPC | unix.CLONE_NEWUTS | unix.CLONE_NEWCGROUP,
		Setsid: true,
	}
	if !cfg.MapHelpers {
		cmd.SysProcAttr.UidMappings, cmd.SysProcAttr.GidMappings = cfg.UIDMap, cfg.GIDMap
		// Daemons that drop privileges call setgroups; the whole range
		// is mapped, so allowing it gives away nothing.
		cmd.SysProcAttr.GidMappingsEnableSetgroups = true
		// Without this the supervisor would keep host uid 0 as its
		// fsuid: unmapped, shown as nobody, yet owner of the host's root
		// files.
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: 0, Gid: 0}
	}
	if err := cmd.Start(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("start lab supervisor: %w", err)
	}
	if cfg.MapHelpers {
		// It waits, unmapped and without capabilities, for its maps,
		// then starts again with them (see supervisorMain).
		err := runMapHelper("newuidmap", cmd.Process.Pid, cfg.UIDMap)
		if err == nil {
			err = runMapHelper("newgidmap", cmd.Process.Pid, cfg.GIDMap)
		}
		if err == nil {
			err = sendPacket(conn, control{Mapped: true})
		}
		if err != nil {
			conn.Close()
			cmd.Process.Kill()
			cmd.Wait()
			return nil, fmt.Errorf("map the lab's user namespace: %w", err)
		}
	}
	s := &Supervisor{cmd: cmd, conn: conn, pending: map[int]chan spawnReply{}, closed: make(chan struct{})}
	go s.readReplies()
	return s, nil
}

// runMapHelper runs newuidmap or newgidmap for pid with m.
func runMapHelper(helper string, pid int, m []syscall.SysProcIDMap) error {
	args := []string{strconv.Itoa(pid)}
	for _, e := range m {
		args = append(args, strconv.Itoa(e.ContainerID), strconv.Itoa(e.HostID), strconv.Itoa(e.Size))
	}
	out, err := exec.Command(helper, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", helper, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Pid is the host pid of the supervisor.
func (s *Supervisor) Pid() int { return s.cmd.Process.Pid }

func (s *Supervisor) readReplies() {
	for {
		var r spawnReply
		files, err := recvPacket(s.conn, &r)
		if err == nil && r.Detached {
			closeAll(files)
			s.detached.Store(true)
			err = errEOF
		}
		if err == nil && r.Error == "" {
			r.files, files = files, nil
		}
		closeAll(files)
		if err != nil {
			defer close(s.closed)
			s.mu.Lock()
			s.dead = s.connReason(err)
			for id, ch := range s.pending {
				ch <- spawnReply{ID: id, Error: s.dead.Error()}
				delete(s.pending, id)
			}
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		if ch, ok := s.pending[r.ID]; ok {
			ch <- r
			delete(s.pending, r.ID)
		} else {
			closeAll(r.files) // its caller gave up waiting
		}
		s.mu.Unlock()
	}
}

// connReason says why the control connection ended. Its end closing
// means the supervisor exited, or detached: that is for Detach to know.
func (s *Supervisor) connReason(err error) error {
	if errors.Is(err, errEOF) || errors.Is(err, io.EOF) {
		return errors.New("lab supervisor closed its connection (it exited or detached)")
	}
	if errors.Is(err, net.ErrClosed) {
		return errors.New("lab supervisor connection closed")
	}
	return fmt.Errorf("lab supervisor connection: %w", err)
}

// Node is a started node as the host sees it: two processes, each with a
// pidfd that keeps naming it even after its pid is reused.
type Node struct {
	// Init is PID 1 of the node, in the lab's user namespace. The node
	// lives as long as it does.
	InitPid int
	Init    *os.File
	// Agent is root of the node's own user namespace, which owns the
	// node's network namespace (open it through AgentPid) and serves its
	// exec socket.
	AgentPid int
	Agent    *os.File
}

// Close closes the pidfds.
func (n Node) Close() {
	for _, f := range []*os.File{n.Init, n.Agent} {
		if f != nil {
			f.Close()
		}
	}
}

// nodeOfPidfds reads the pids of the init and agent whose pidfds a spawn
// reply carried.
func nodeOfPidfds(files []*os.File) (Node, error) {
	if len(files) != 2 {
		closeAll(files)
		return Node{}, fmt.Errorf("spawn reply carried %d files, want two pidfds", len(files))
	}
	n := Node{Init: files[0], Agent: files[1]}
	var err error
	if n.InitPid, err = pidOfPidfd(n.Init); err == nil {
		n.AgentPid, err = pidOfPidfd(n.Agent)
	}
	if err != nil {
		n.Close()
		return Node{}, err
	}
	return n, nil
}

// pidOfPidfd reads the pid, as this process's PID namespace numbers it, of
// the process a pidfd refers to.
func pidOfPidfd(f *os.File) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", f.Fd()))
	if err != nil {
		return 0, fmt.Errorf("read pidfd: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Pid:"); ok {
			pid, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || pid <= 0 {
				return 0, fmt.Errorf("pidfd of a process that is gone (Pid: %s)", strings.TrimSpace(v))
			}
			return pid, nil
		}
	}
	return 0, errors.New("pidfd without a Pid")
}

// Spawn starts one node and waits until it reported ready. Spawn may be
// called from several goroutines at once.
func (s *Supervisor) Spawn(ctx context.Context, n NodeConfig) (Node, error) {
	got, err := s.ask(ctx, func(id int) control {
		return control{Spawn: &spawnRequest{ID: id, initConfig: initConfig{
			agentConfig: agentConfig{Node: n.Name, Hostname: n.Hostname, Sysctls: n.Sysctls},
			Layer:       n.Layer, Hide: n.Hide,
		}}}
	}, []*os.File{n.Socket, n.Hosts})
	if err != nil {
		return Node{}, err
	}
	return nodeOfPidfds(got)
}

// Netlink returns a NETLINK_ROUTE socket of the supervisor's network
// namespace. Its opener, the supervisor, holds every capability over the
// nodes' namespaces, so devices can be placed in them from it.
func (s *Supervisor) Netlink(ctx context.Context) (*os.File, error) {
	got, err := s.ask(ctx, func(id int) control { return control{Netlink: id} }, nil)
	if err != nil {
		return nil, fmt.Errorf("netlink socket from the lab supervisor: %w", err)
	}
	if len(got) != 1 {
		closeAll(got)
		return nil, fmt.Errorf("netlink socket from the lab supervisor: reply carried %d files", len(got))
	}
	return got[0], nil
}

// ask sends the request msg(id) makes, with files, and waits for the
// reply of that id: the files it carried, or its error.
func (s *Supervisor) ask(ctx context.Context, msg func(id int) control, files []*os.File) ([]*os.File, error) {
	ch := make(chan spawnReply, 1)
	s.mu.Lock()
	if s.dead != nil {
		s.mu.Unlock()
		return nil, s.dead
	}
	s.nextID++
	id := s.nextID
	s.pending[id] = ch
	err := sendPacket(s.conn, msg(id), files...)
	if err != nil {
		delete(s.pending, id)
	}
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("ask lab supervisor: %w", err)
	}
	select {
	case r := <-ch:
		if r.Error != "" {
			closeAll(r.files)
			return nil, errors.New(r.Error)
		}
		return r.files, nil
	case <-ctx.Done():
		s.mu.Lock()
		delete(s.pending, id)
		s.mu.Unlock()
		return nil, ctx.Err()
	}
}

// Detach lets the supervisor outlive this process: from now on only a
// signal ends it. The Supervisor is unusable afterwards.
func (s *Supervisor) Detach(ctx context.Context) error {
	s.mu.Lock()
	err := sendPacket(s.conn, control{Detach: true})
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("detach lab supervisor: %w", err)
	}
	// The supervisor acknowledges with a packet, then closes its end. A
	// close without it means it died.
	select {
	case <-s.closed:
	case <-ctx.Done():
		return fmt.Errorf("detach lab supervisor: %w", ctx.Err())
	}
	s.conn.Close()
	if !s.detached.Load() {
		return fmt.Errorf("detach lab supervisor: %w", s.dead)
	}
	// Reap it if it ends while this process still runs (a long-lived
	// user of the Go API); otherwise whoever inherits it does.
	go s.cmd.Wait()
	return nil
}

// Kill ends the supervisor, and with it every node, and waits for it.
func (s *Supervisor) Kill() error {
	s.conn.Close()
	err := s.cmd.Process.Kill()
	if err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill lab supervisor: %w", err)
	}
	s.cmd.Wait()
	return nil
}

// supervisorMain is the lab supervisor: PID 1 of the lab's PID namespace,
// root of its user namespace. fd 3 is its control connection.
func supervisorMain() int {
	// Nothing without capabilities in the lab's user namespace may read or
	// write this process; no node has any there.
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	if err := awaitMaps(); err != nil {
		fmt.Fprintf(os.Stderr, "netlab supervisor: %v\n", err)
		return 1
	}
	setProcessName("netlab-super")
	lab := strings.Join(os.Args[2:], " ")
	conn, err := controlConn()
	if err != nil {
		fmt.Fprintf(os.Stderr, "netlab supervisor: %v\n", err)
		return 1
	}
	var writeMu sync.Mutex
	reply := func(r spawnReply, files ...*os.File) {
		writeMu.Lock()
		defer writeMu.Unlock()
		if err := sendPacket(conn, r, files...); err != nil {
			fmt.Fprintf(os.Stderr, "netlab supervisor: reply: %v\n", err)
		}
	}
	// Host mount events have no business reaching the lab.
	if err = unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		err = fmt.Errorf("make mounts private: %w", os.NewSyscallError("mount", err))
	}
	if err == nil {
		err = buildEtcSkeleton()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "netlab supervisor %s: %v\n", lab, err)
		return 1
	}
	for {
		var c control
		files, err := recvPacket(conn, &c)
		if err != nil {
			// netlab up went away before the lab was complete: exiting
			// as PID 1 makes the kernel kill every node.
			fmt.Fprintf(os.Stderr, "netlab supervisor %s: control connection: %v; taking the lab down\n", lab, err)
			return 1
		}
		switch {
		case c.Detach:
			reply(spawnReply{Detached: true})
			writeMu.Lock()
			conn.Close()
			writeMu.Unlock()
			// Nothing a node does may reach the host's log from now on.
			quietStdio()
			// From now on the lab lives until a signal ends it; the
			// node goroutines reap their inits meanwhile.
			sig := make(chan os.Signal, 1)
			signal.Notify(sig, unix.SIGTERM, unix.SIGINT, unix.SIGHUP)
			<-sig
			return 0
		case c.Netlink != 0:
			closeAll(files)
			sock, err := netlinkSocket()
			if err != nil {
				reply(spawnReply{ID: c.Netlink, Error: err.Error()})
				break
			}
			reply(spawnReply{ID: c.Netlink}, sock)
			sock.Close()
		case c.Spawn != nil:
			go func(req spawnRequest, files []*os.File) {
				init, agent, err := spawnNode(req, files)
				if err != nil {
					reply(spawnReply{ID: req.ID, Error: err.Error()})
					return
				}
				reply(spawnReply{ID: req.ID}, init, agent)
				init.Close()
				agent.Close()
			}(*c.Spawn, files)
		default:
			closeAll(files)
		}
	}
}

// awaitMaps returns at once when this user namespace is mapped. An
// ordinary user's netlab has the setuid helpers map it after the start, so
// this process began unmapped, and so without capabilities: it waits for
// netlab's word that the maps are written and starts again, as root of
// the namespace with every capability in it. fd 3 is read as it is, so
// that it passes to the new start untouched.
func awaitMaps() error {
	// Whether the maps are written yet does not tell: the helpers may
	// have been faster than this process. Capabilities do: they are given
	// at exec, only to a process mapped then.
	if haveCapSysAdmin() {
		return nil
	}
	buf := make([]byte, 4096)
	n, err := unix.Read(controlFD, buf)
	if err != nil {
		return fmt.Errorf("wait for the user namespace's maps: %w", os.NewSyscallError("read", err))
	}
	var c control
	if err := json.Unmarshal(buf[:n], &c); err != nil || !c.Mapped {
		return fmt.Errorf("wait for the user namespace's maps: got %q", buf[:n])
	}
	return syscall.Exec(selfExe, os.Args, os.Environ())
}

// haveCapSysAdmin reports whether this process has CAP_SYS_ADMIN in its
// effective set.
func haveCapSysAdmin() bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<unix.CAP_SYS_ADMIN) != 0
		}
	}
	return false
}

// readyTimeout bounds how long a node may take to set itself up.
const readyTimeout = 30 * time.Second

// spawnNode starts a node's init, hands it its configuration and waits for
// its ready report. It returns pidfds of the init and of the node's agent:
// pids here are those of the lab's PID namespace, and only a pidfd carries
// the process itself across to the host. The init is reaped by a goroutine
// that lives as long as it does.
func spawnNode(req spawnRequest, files []*os.File) (*os.File, *os.File, error) {
	defer closeAll(files)
	if len(files) != 2 {
		return nil, nil, fmt.Errorf("node %s: spawn request carried %d files, want 2", req.Node, len(files))
	}
	ours, theirs, err := socketPair("init-control")
	if err != nil {
		return nil, nil, fmt.Errorf("node %s: init control socket: %w", req.Node, err)
	}
	defer ours.Close()
	cmd := exec.Command(selfExe, argInit, req.Node)
	cmd.Args[0] = "netlab"
	// One P is plenty for an init, which mostly waits; fewer threads start
	// with it, and each node starts a little faster.
	cmd.Env = []string{"GOMAXPROCS=1"}
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.ExtraFiles = []*os.File{theirs}
	pidfd := -1
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// The node's user, network, UTS, IPC and cgroup namespaces are
		// its agent's (see initMain).
		Cloneflags: unix.CLONE_NEWNS | unix.CLONE_NEWPID,
		PidFD:      &pidfd,
	}
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("node %s: start init: %w", req.Node, err)
	}
	pf := os.NewFile(uintptr(pidfd), "pidfd")
	cfg := req.initConfig
	err = sendPacket(ours, cfg, files...)
	var report readyReport
	var got []*os.File
	if err == nil {
		// An init that never reports would hang up forever.
		ours.SetReadDeadline(time.Now().Add(readyTimeout))
		got, err = recvPacket(ours, &report)
	}
	if err == nil && report.Error == "" && len(got) == 1 {
		go cmd.Wait()
		return pf, got[0], nil
	}
	closeAll(got)
	pf.Close()
	cmd.Process.Kill()
	werr := cmd.Wait()
	switch {
	case report.Error != "":
		return nil, nil, fmt.Errorf("node %s: %s", req.Node, report.Error)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, nil, fmt.Errorf("node %s: init not ready after %v", req.Node, readyTimeout)
	case err == nil:
		return nil, nil, fmt.Errorf("node %s: ready report carried %d files, want the agent's pidfd", req.Node, len(got))
	}
	return nil, nil, fmt.Errorf("node %s: init exited before it was ready (%v): %v", req.Node, err, werr)
}
