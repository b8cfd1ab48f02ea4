package nsproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	// The node side, which this package starts: linked into every program
	// that imports nsproc, it takes over a process started as a supervisor
	// before the Go runtime does.
	_ "github.com/netlab-dev/netlab/nsproc/node"
)

// SupervisorConfig says how to start a lab's supervisor.
type SupervisorConfig struct {
	Lab string
	// UIDMap and GIDMap map the ids of the lab's user namespace, from 0,
	// to host ids.
	UIDMap, GIDMap []syscall.SysProcIDMap
	// MapHelpers has the setuid helpers newuidmap and newgidmap write the
	// maps, as an ordinary user's process cannot write maps of more than
	// its own id. The lab's user namespace is then the user's.
	MapHelpers bool
	// OwnerUID and OwnerGID, without MapHelpers (root's netlab), own the
	// lab's user namespace: host ids that the maps leave out, so that no
	// process ever holds them, and that no other lab uses. What the lab's
	// processes make is counted against them, and root's counts are
	// never touched.
	OwnerUID, OwnerGID int
	// Log receives what the supervisor and the nodes print on stderr
	// before they are ready (then a node's stdio is /dev/null).
	Log *os.File
	// Hosts is the lab's /etc/hosts, which every node sees (one copy for
	// the whole lab, under each node's own /etc layer).
	Hosts *os.File
	// Hide are host directories covered in every node by an empty,
	// read-only tmpfs: a rootless lab hides the user's home and the state
	// root.
	Hide []string
	// Caps are the lab user namespace's bounds (KEY=VALUE of
	// /proc/sys/user, such as max_inotify_instances=256) on what all its
	// nodes make, and NProc its RLIMIT_NPROC: see labSetup.
	Caps  []string
	NProc int
	// Enter, when set, puts pid in the lab's cgroup: the process that
	// will clone the supervisor proper, before it does.
	Enter func(pid int) error
	// Listen, when set, is a listening SOCK_SEQPACKET unix socket on
	// which the supervisor accepts later connections (DialSupervisor),
	// after up has detached it too.
	Listen *os.File
}

// NodeBinaryEnv names an environment variable that, when set, is the
// program StartSupervisor runs (by path) in place of this process's own
// binary: the node side built alone (nsproc/node/standalone), with
// AddressSanitizer or under valgrind, for the tests (make node-check).
const NodeBinaryEnv = "NETLAB_NODE_BINARY"

// checkNodeBinary refuses a NodeBinaryEnv program that anyone but root or
// the caller could have put there: it runs with the caller's rights.
func checkNodeBinary(path string) error {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return fmt.Errorf("%s=%s: %w", NodeBinaryEnv, path, os.NewSyscallError("stat", err))
	}
	if (st.Uid != 0 && int(st.Uid) != os.Geteuid()) || st.Mode&0o022 != 0 {
		return fmt.Errorf("%s=%s: owned by uid %d with mode %o: only root's or your own, writable by no one else, runs as a lab supervisor", NodeBinaryEnv, path, st.Uid, st.Mode&0o7777)
	}
	return nil
}

// argSupervisor is the first argument by which a program linking the node
// side knows it is to be a lab supervisor (see node/node.c).
const argSupervisor = "__netlab_supervisor"

// titleRoom is how many empty arguments follow the supervisor's: room in
// its argument area for each clone to write its own title (see
// node/sys.c), so that ps tells the supervisor and each node apart.
const titleRoom = 80

// argAgent is the first argument by which a program linking the node side
// runs a node's agent alone, in its own namespaces, serving the listening
// socket on fd 3: what the tests drive the agent through.
const argAgent = "__netlab_agent"

// NodeConfig says how to start one node.
type NodeConfig struct {
	Name     string // "lab/node", shown in ps and messages
	Hostname string // the node's hostname
	// Sysctls are KEY=VALUE pairs (net.ipv4.ip_forward=1) of the node's
	// network namespace, written before it is ready, so before any of its
	// interfaces exist: new interfaces inherit .default. values.
	Sysctls []string
	Socket  *os.File // listening SOCK_SEQPACKET socket on which the node's agent serves exec requests
	// Layer is what the node's /etc has over the host's from the start,
	// written by the node as it starts, with the owners given (ids of the
	// node's, 0 to 65535). Each directory replaces the host's directory of
	// that name entirely (an opaque overlay directory), so that, for
	// example, a node's /etc/frr shows only what netlab wrote, not the
	// host's unreadable one.
	Layer []LayerFile
	// Binds are host files and directories mounted in the node.
	Binds []Bind
	// TmpfsSize bounds each of the node's tmpfs (/run, /tmp, /var/tmp,
	// /root, /dev and its /etc layer), in bytes; 0 is the kernel's
	// default, half the machine's memory each.
	TmpfsSize int64
	// Cgroups are the cgroup.procs files of the node's own cgroup, one
	// per hierarchy, opened for writing by netlab: the node's process enters
	// them first thing.
	Cgroups []*os.File
	// Held starts again a node of this name that was started before and
	// has stopped (Stop) or ended: in the user and network namespaces the
	// supervisor kept of it, so with its interfaces, addresses and routes.
	Held bool
	// ClockOffset puts the processes the node runs in a time namespace of
	// their own whose monotonic and boot clocks are that far ahead of the
	// host's (behind when negative).
	ClockOffset time.Duration
}

// Bind is a host file or directory the node sees at Target, read-only or
// writable, locked like every mount of the node. Host root's netlab hands
// the node side a copy of the host's mount of Source (open_tree), so that
// the lab, unprivileged, needs no right to reach it by path; an ordinary
// user's lab binds it by path, with the user's own rights.
type Bind struct {
	Source   string // absolute, on the host
	Target   string // absolute, in the node
	ReadOnly bool
}

// Supervisor is the host side of a running lab supervisor.
type Supervisor struct {
	proc *os.Process // the supervisor proper, this process's child
	conn *net.UnixConn

	mu       sync.Mutex // guards writes to conn, nextID and pending
	nextID   int
	pending  map[int]chan spawnReply
	dead     error         // set once the connection broke; guarded by mu
	closed   chan struct{} // closed once the connection broke
	detached atomic.Bool   // the supervisor said it detached before it closed
}

// StartSupervisor starts a lab supervisor in a new user namespace mapped
// by cfg.UIDMap and cfg.GIDMap, owned by cfg.OwnerUID (root's netlab) or
// the user (rootless), never root, and in a new PID namespace
// of which it is PID 1, and has it set up what the lab's nodes share. It
// dies, with every node it started, when the returned Supervisor's
// connection closes, unless Detach was called.
func StartSupervisor(ctx context.Context, cfg SupervisorConfig) (*Supervisor, error) {
	conn, theirs, err := socketPair("supervisor-control")
	if err != nil {
		return nil, fmt.Errorf("supervisor control socket: %w", err)
	}
	defer theirs.Close()
	// This very program: it links the node side (see node/).
	bin := "/proc/self/exe"
	if b := os.Getenv(NodeBinaryEnv); b != "" {
		if err := checkNodeBinary(b); err != nil {
			conn.Close()
			return nil, err
		}
		bin = b
	}
	cmd := exec.Command(bin, argSupervisor, cfg.Lab)
	cmd.Args[0] = "netlab"
	cmd.Args = append(cmd.Args, make([]string, titleRoom)...)
	cmd.Env = []string{}
	cmd.Dir = "/" // hold no host directory busy for the lab's life
	cmd.Stdout, cmd.Stderr = cfg.Log, cfg.Log
	cmd.ExtraFiles = []*os.File{theirs}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("start lab supervisor: %w", err)
	}
	theirs.Close()
	s := &Supervisor{conn: conn, pending: map[int]chan spawnReply{}, closed: make(chan struct{})}
	if err := s.begin(ctx, cmd, cfg); err != nil {
		conn.Close()
		cmd.Process.Kill()
		cmd.Wait()
		if s.proc != nil {
			s.proc.Kill()
			s.proc.Wait()
		}
		return nil, fmt.Errorf("start lab supervisor: %w", err)
	}
	go s.readReplies()
	var hosts []*os.File
	if cfg.Hosts != nil {
		hosts = append(hosts, cfg.Hosts)
	}
	setup := &labSetup{Hide: cfg.Hide, Caps: cfg.Caps, NProc: cfg.NProc, Listen: cfg.Listen != nil}
	if cfg.Listen != nil {
		hosts = append(hosts, cfg.Listen)
	}
	files, err := s.ask(ctx, func(id int) control { setup.ID = id; return control{Setup: setup} }, hosts)
	closeAll(files)
	if err != nil {
		s.Kill()
		return nil, fmt.Errorf("lab supervisor: %w", err)
	}
	return s, nil
}

// begin takes the supervisor netlab just started (cmd, in the host's
// namespaces) through its start (see node/supervisor.c, begin_lab): it
// becomes the lab's ids and unshares the lab's user namespace; netlab maps
// it and puts it in the lab's cgroup (cfg.Enter); it clones the
// supervisor proper, this process's child, and exits.
func (s *Supervisor) begin(ctx context.Context, cmd *exec.Cmd, cfg SupervisorConfig) error {
	deadline, ok := ctx.Deadline()
	if !ok || time.Until(deadline) > startTimeout {
		deadline = time.Now().Add(startTimeout)
	}
	s.conn.SetDeadline(deadline)
	defer s.conn.SetDeadline(time.Time{})
	b := &labBegin{ID: 1}
	if !cfg.MapHelpers {
		if cfg.OwnerUID <= 0 || cfg.OwnerGID <= 0 {
			return errors.New("no owner of the lab's user namespace")
		}
		b.UID, b.GID = cfg.OwnerUID, cfg.OwnerGID
	}
	if err := s.exchange(control{Begin: b}, 1, nil); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	var err error
	if cfg.MapHelpers {
		// An ordinary user may map only its own id itself.
		err = runMapHelper("newuidmap", pid, cfg.UIDMap)
		if err == nil {
			err = runMapHelper("newgidmap", pid, cfg.GIDMap)
		}
	} else {
		err = writeMaps(pid, cfg.UIDMap, cfg.GIDMap)
	}
	if err != nil {
		return fmt.Errorf("map the lab's user namespace: %w", err)
	}
	if cfg.Enter != nil {
		// Before the supervisor proper exists: it and every node are
		// started straight into the lab's cgroup.
		if err := cfg.Enter(pid); err != nil {
			return err
		}
	}
	var r spawnReply
	if err := s.exchange(control{Mapped: 2}, 2, &r); err != nil {
		return err
	}
	if r.Pid <= 0 {
		return fmt.Errorf("the supervisor answered pid %d", r.Pid)
	}
	// Its parent is this process (CLONE_PARENT): found by pidfd, it is
	// this process's to wait for and to kill.
	if s.proc, err = os.FindProcess(r.Pid); err != nil {
		return err
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("the supervisor's start ended with %v", err)
	}
	return nil
}

// startTimeout bounds the supervisor's start.
const startTimeout = 30 * time.Second

// exchange sends c and reads the answer of id (into r when not nil),
// before readReplies runs: during begin.
func (s *Supervisor) exchange(c control, id int, r *spawnReply) error {
	if err := sendPacket(s.conn, c); err != nil {
		return err
	}
	var got spawnReply
	files, err := recvPacket(s.conn, &got)
	closeAll(files)
	switch {
	case err != nil:
		return fmt.Errorf("no answer: %w", s.connReason(err))
	case got.Error != "":
		return errors.New(got.Error)
	case got.ID != id:
		return fmt.Errorf("an answer to request %d, want %d", got.ID, id)
	}
	if r != nil {
		*r = got
	}
	return nil
}

// writeMaps writes the maps of pid's user namespace, as root may: lab ids
// from 0 to host ids. Daemons that drop privileges call setgroups; the
// whole range is mapped, so allowing it gives away nothing.
func writeMaps(pid int, uids, gids []syscall.SysProcIDMap) error {
	format := func(m []syscall.SysProcIDMap) string {
		var b strings.Builder
		for _, e := range m {
			fmt.Fprintf(&b, "%d %d %d\n", e.ContainerID, e.HostID, e.Size)
		}
		return b.String()
	}
	for _, w := range []struct{ file, data string }{
		{"uid_map", format(uids)}, {"setgroups", "allow"}, {"gid_map", format(gids)},
	} {
		if err := os.WriteFile(fmt.Sprintf("/proc/%d/%s", pid, w.file), []byte(w.data), 0); err != nil {
			return err
		}
	}
	return nil
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
func (s *Supervisor) Pid() int { return s.proc.Pid }

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

// Node is a started node as the host sees it: one process, PID 1 of the
// node, root of the node's own user namespace (which owns its network
// namespace: open it through Pid) and its agent, which serves its exec
// socket. The node lives as long as it does. Pidfd keeps naming it even
// after its pid is reused.
type Node struct {
	Pid   int
	Pidfd *os.File
}

// Close closes the pidfd.
func (n Node) Close() {
	if n.Pidfd != nil {
		n.Pidfd.Close()
	}
}

// nodeOfPidfds reads the pid of the node whose pidfd a spawn reply
// carried.
func nodeOfPidfds(files []*os.File) (Node, error) {
	if len(files) != 1 {
		closeAll(files)
		return Node{}, fmt.Errorf("spawn reply carried %d files, want the node's pidfd", len(files))
	}
	n := Node{Pidfd: files[0]}
	var err error
	if n.Pid, err = pidOfPidfd(n.Pidfd); err != nil {
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
	files := []*os.File{n.Socket}
	var binds []bindSpec
	trees := 1
	defer func() { closeAll(files[1:trees]) }()
	for _, b := range n.Binds {
		spec := bindSpec{Source: b.Source, Target: b.Target, ReadOnly: b.ReadOnly}
		if os.Geteuid() == 0 {
			fd, err := unix.OpenTree(unix.AT_FDCWD, b.Source, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
			if err != nil {
				return Node{}, fmt.Errorf("bind %s: %w", b.Source, os.NewSyscallError("open_tree", err))
			}
			files = append(files, os.NewFile(uintptr(fd), b.Source))
			trees++
			spec.Tree = true
		}
		binds = append(binds, spec)
	}
	files = append(files, n.Cgroups...)
	got, err := s.ask(ctx, func(id int) control {
		return control{Spawn: &spawnRequest{ID: id, Node: n.Name, Hostname: n.Hostname, Sysctls: n.Sysctls, Layer: n.Layer, Binds: binds,
			TmpfsSize: int(n.TmpfsSize), Cgroups: len(n.Cgroups), Held: n.Held, ClockOffset: int64(n.ClockOffset)}}
	}, files)
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

// Stop ends the node called name (NodeConfig.Name) of a lab: its process
// and with it every process of the node, and returns once the supervisor
// has reaped it. Its user and network namespaces stay, held by the
// supervisor, for a Spawn with Held. A node that is not running is
// stopped already.
func (s *Supervisor) Stop(ctx context.Context, name string) error {
	_, err := s.ask(ctx, func(id int) control { return control{Stop: &nodeOp{ID: id, Node: name}} }, nil)
	if err != nil {
		return fmt.Errorf("stop node %s: %w", name, err)
	}
	return nil
}

// NodeNetlink returns a NETLINK_ROUTE socket of the network namespace the
// supervisor holds of node name, opened by the supervisor: one that works
// whether the node runs or not, and that node root never handled.
func (s *Supervisor) NodeNetlink(ctx context.Context, name string) (*os.File, error) {
	got, err := s.ask(ctx, func(id int) control { return control{NodeNetlink: &nodeOp{ID: id, Node: name}} }, nil)
	if err == nil && len(got) != 1 {
		closeAll(got)
		err = fmt.Errorf("reply carried %d files", len(got))
	}
	if err == nil {
		err = checkSocket(got[0], unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE)
	}
	if err != nil {
		closeAll(got)
		return nil, fmt.Errorf("netlink socket of node %s from the lab supervisor: %w", name, err)
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
		// The reply may have come as ctx ended: what it carried (a
		// node's pidfd) is not to be left open, nor the node running
		// unseen.
		select {
		case r := <-ch:
			closeAll(r.files)
		default:
		}
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
	go s.proc.Wait()
	return nil
}

// DialSupervisor connects to a running lab's supervisor through the
// listening socket at path (SupervisorConfig.Listen), for Spawn, Stop,
// Netlink and NodeNetlink. The connection closes with Close (or when ctx
// ends while it is made); closing it leaves the lab as it is.
func DialSupervisor(ctx context.Context, path string) (*Supervisor, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unixpacket", path)
	if err != nil {
		return nil, fmt.Errorf("connect to the lab supervisor: %w", err)
	}
	s := &Supervisor{conn: c.(*net.UnixConn), pending: map[int]chan spawnReply{}, closed: make(chan struct{})}
	go s.readReplies()
	return s, nil
}

// Close closes a connection DialSupervisor made.
func (s *Supervisor) Close() error { return s.conn.Close() }

// Kill ends the supervisor, and with it every node, and waits for it.
func (s *Supervisor) Kill() error {
	s.conn.Close()
	err := s.proc.Kill()
	if err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill lab supervisor: %w", err)
	}
	s.proc.Wait()
	return nil
}
