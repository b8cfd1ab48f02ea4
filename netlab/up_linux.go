package netlab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/netlab-dev/netlab/netlab/parallel"
	"github.com/netlab-dev/netlab/netlab/wire"
	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// UpOptions tune Up.
type UpOptions struct {
	// Parallel bounds how many nodes start, and how many netlink
	// operations run, at once. 0 picks a default for this machine.
	Parallel int
	// Progress, if set, is called as up goes: once with Took set when a
	// step ends and, for steps that take long (starting nodes), with
	// Done < Total while they run. Calls come from one goroutine at a time.
	Progress func(Progress)
	// Warn, if set, is told once of each thing up could not do and went
	// on without, such as a limit this machine's cgroups cannot apply.
	Warn func(string)
}

// Progress is how far a step of up or down got.
type Progress struct {
	Step        string // what is being done: "start nodes", "wire links", ...
	Done, Total int
	Took        time.Duration // set on the call that reports the step finished
}

// stepTimer reports one step's progress to a callback, if there is one.
type stepTimer struct {
	report func(Progress)
	step   string
	total  int
	start  time.Time
	mu     sync.Mutex
	done   int
}

func startStep(report func(Progress), step string, total int) *stepTimer {
	return &stepTimer{report: report, step: step, total: total, start: time.Now()}
}

// add counts n more items done.
func (s *stepTimer) add(n int) {
	if s.report == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done += n
	s.report(Progress{Step: s.step, Done: s.done, Total: s.total})
}

// end reports the step finished.
func (s *stepTimer) end() {
	if s.report == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.report(Progress{Step: s.step, Done: s.total, Total: s.total, Took: time.Since(s.start)})
}

// ErrLabExists is returned by Up for a lab that already has state.
var ErrLabExists = errors.New("lab exists")

// killTimeout bounds how long teardown waits for a killed process to exit.
const killTimeout = 10 * time.Second

// Up brings the lab t describes up and returns it once every node runs and
// is wired and every exec step succeeded. On any error, or when ctx ends
// first, everything made so far is removed before Up returns.
func Up(ctx context.Context, t *topology.Topology, opts UpOptions) (*Lab, error) {
	if err := needRoot("up"); err != nil {
		return nil, err
	}
	if err := Check(t); err != nil {
		return nil, err
	}
	if err := probeKernel(t); err != nil {
		return nil, err
	}
	users, err := checkDaemonSoftware(t)
	if err != nil {
		return nil, err
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 4 * runtime.NumCPU()
	}
	if err := checkFileLimit(len(t.Nodes), opts.Parallel); err != nil {
		return nil, err
	}
	st, lock, err := createLab(ctx, t)
	if err != nil {
		return nil, err
	}
	defer lock.unlock()
	u := &bringup{st: st, opts: opts, users: users}
	defer u.close()
	if err := u.run(ctx); err != nil {
		if u.sup != nil {
			u.sup.Kill()
		}
		if terr := teardown(st); terr != nil {
			return nil, fmt.Errorf("%w (and cleaning up: %v)", err, terr)
		}
		return nil, err
	}
	return &Lab{state: st}, nil
}

// needRoot fails clearly when this process cannot manage namespaces.
func needRoot(verb string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("netlab %s needs root (try: sudo netlab %s ...)", verb, verb)
	}
	return nil
}

// createLab makes the lab's state directory and first state.json, holding
// the lock on StateRoot so that two ups never pick the same name or uid
// range. It returns with the lab's own lock held.
func createLab(ctx context.Context, t *topology.Topology) (*State, *lockedDir, error) {
	if err := os.MkdirAll(StateRoot, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create %s: %w", StateRoot, err)
	}
	if err := os.Chmod(StateRoot, 0o700); err != nil {
		return nil, nil, fmt.Errorf("secure %s: %w", StateRoot, err)
	}
	root, err := lockDir(ctx, StateRoot)
	if err != nil {
		return nil, nil, err
	}
	defer root.unlock()

	dir := labDir(t.Name)
	if _, err := os.Stat(dir); err == nil {
		return nil, nil, existingLabError(t.Name)
	}
	var used []IDRange
	names, err := Labs()
	if err != nil {
		return nil, nil, err
	}
	for _, name := range names {
		if s, err := readState(name); err == nil {
			used = append(used, s.IDs)
		}
	}
	ids, err := pickIDRange(used)
	if err != nil {
		return nil, nil, err
	}
	st := &State{Name: t.Name, File: t.File, Phase: PhaseStarting, IDs: ids, Topology: t}
	for _, n := range t.Nodes {
		st.Nodes = append(st.Nodes, NodeState{Name: n.Name})
	}
	// The directory appears under its name already locked and holding
	// state.json, so that a down of the same name never finds it bare.
	// A leftover of an up killed right here is the only thing named so.
	tmp := filepath.Join(StateRoot, "."+t.Name+".new")
	os.RemoveAll(tmp)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create lab directory: %w", err)
	}
	lock, err := lockDir(ctx, tmp)
	if err == nil {
		err = st.writeTo(filepath.Join(tmp, "state.json"))
	}
	if err == nil {
		err = os.Rename(tmp, dir)
	}
	if err != nil {
		if lock != nil {
			lock.unlock()
		}
		os.RemoveAll(tmp)
		return nil, nil, fmt.Errorf("create lab directory: %w", err)
	}
	return st, lock, nil
}

// existingLabError says what is in the way of bringing lab name up.
func existingLabError(name string) error {
	if busy(labDir(name)) {
		return fmt.Errorf("lab %s is being brought up or down by another netlab: %w", name, ErrLabExists)
	}
	st, err := readState(name)
	if err == nil && st.Phase == PhaseUp && st.Supervisor.alive() {
		return fmt.Errorf("lab %s is already up (from %s); take it down first: netlab down %s: %w", name, st.File, name, ErrLabExists)
	}
	return fmt.Errorf("lab %s has leftovers of a run that did not finish; remove them with: netlab down %s: %w", name, name, ErrLabExists)
}

// bringup is one run of Up.
type bringup struct {
	st    *State
	opts  UpOptions
	sup   *nsproc.Supervisor
	netns []*os.File // each node's network namespace, by node index, once started
	users daemonUsers
}

// close releases what the bringup holds open.
func (u *bringup) close() {
	for _, f := range u.netns {
		if f != nil {
			f.Close()
		}
	}
}

func (u *bringup) run(ctx context.Context) error {
	t := u.st.Topology
	log, err := os.OpenFile(filepath.Join(labDir(t.Name), "supervisor.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open supervisor log: %w", err)
	}
	defer log.Close()

	// The lab's cgroup exists, and is recorded, before its first process:
	// the supervisor is put in it before it starts any node, so nothing of
	// the lab ever runs outside it.
	cg, warnings, err := createLabCgroup(t.Name, cgroupLimits{
		Pids: t.Limits.Pids, MemoryBytes: t.Limits.Memory, CPUs: t.Limits.CPUs, Nodes: len(t.Nodes),
	})
	if err != nil {
		return err
	}
	for _, w := range warnings {
		if u.opts.Warn != nil {
			u.opts.Warn(w)
		}
	}
	u.st.Cgroup = cg.Paths
	if err := u.st.write(); err != nil {
		return err
	}

	ids := u.st.IDs
	step := u.step("start supervisor", 1)
	u.sup, err = nsproc.StartSupervisor(nsproc.SupervisorConfig{
		Lab: t.Name, UID: ids.First, GID: ids.First, IDCount: ids.Count, Log: log,
		Binary: initBinary(),
	})
	if err != nil {
		return err
	}
	if u.st.Supervisor, err = procOf(u.sup.Pid()); err != nil {
		return fmt.Errorf("lab supervisor: %w", err)
	}
	if err := cg.Add(u.sup.Pid()); err != nil {
		return fmt.Errorf("put the lab supervisor in the lab's cgroup: %w", err)
	}
	if err := u.st.write(); err != nil {
		return err
	}
	step.end()

	step = u.step("start nodes", len(t.Nodes))
	hosts, err := writeHosts(filepath.Join(labDir(t.Name), "hosts"), hostsFile(t))
	if err != nil {
		return err
	}
	defer hosts.Close()
	nodes := make([]nsproc.Node, len(t.Nodes))
	defer func() {
		for _, n := range nodes {
			n.Close()
		}
	}()
	err = parallel.Each(ctx, len(t.Nodes), u.opts.Parallel, func(i int) error {
		n, err := u.startNode(ctx, t.Nodes[i], hosts)
		if err != nil {
			return err
		}
		nodes[i] = n
		step.add(1)
		return nil
	})
	if err != nil {
		return fmt.Errorf("start nodes: %w", err)
	}
	hostNetNS, err := netnsInode(os.Getpid())
	if err != nil {
		return err
	}
	u.netns = make([]*os.File, len(t.Nodes))
	for i := range u.st.Nodes {
		ns, n := &u.st.Nodes[i], nodes[i]
		if ns.Init, err = procOf(n.InitPid); err == nil {
			ns.Agent, err = procOf(n.AgentPid)
		}
		if err != nil {
			return fmt.Errorf("node %s: %w", ns.Name, err)
		}
		// Everything after this writes into the node's network namespace,
		// through this one descriptor: it must be the node's, never the
		// host's, even if the agent died and its pid was reused meanwhile.
		if u.netns[i], ns.NetNSInode, err = openNetNS(n.AgentPid, n.Agent); err != nil {
			return fmt.Errorf("node %s: %w", ns.Name, err)
		}
		if ns.NetNSInode == hostNetNS {
			return fmt.Errorf("node %s: process %d is in the host's network namespace; refusing to wire it", ns.Name, n.AgentPid)
		}
	}
	// Recorded before any name is registered: down unregisters only
	// names bound to a namespace it knows.
	if err := u.st.write(); err != nil {
		return err
	}
	step.end()

	// Names for iproute2 are for people, not for wiring: register them
	// while the network is wired.
	var registerErr error
	registered := make(chan struct{})
	go func() {
		defer close(registered)
		registerErr = u.registerNetns()
	}()
	// Never return, and so tear down, while it still runs.
	defer func() { <-registered }()
	step = u.step("write files", len(t.Nodes))
	if err := u.putFiles(ctx); err != nil {
		return err
	}
	step.end()
	step = u.step("wire", len(t.Links))
	if err := u.wire(ctx); err != nil {
		return err
	}
	step.end()
	step = u.step("start daemons", len(t.Nodes))
	if err := u.startDaemons(ctx); err != nil {
		return err
	}
	step.end()
	step = u.step("run exec steps", len(t.Nodes))
	if err := u.runExecSteps(ctx); err != nil {
		return err
	}
	step.end()
	step = u.step("register netns", len(u.st.Nodes))
	<-registered
	if registerErr != nil {
		return registerErr
	}
	step.end()
	if err := u.sup.Detach(ctx); err != nil {
		return err
	}
	u.sup = nil
	u.st.Phase = PhaseUp
	return u.st.write()
}

func (u *bringup) step(name string, total int) *stepTimer {
	return startStep(u.opts.Progress, name, total)
}

// registerNetns makes every node's network namespace visible to iproute2
// as /run/netns/LAB-NODE.
func (u *bringup) registerNetns() error {
	if err := prepareNetnsDir(); err != nil {
		return err
	}
	for i, ns := range u.st.Nodes {
		if err := registerNetns(netnsName(u.st.Name, ns.Name), u.netns[i]); err != nil {
			return fmt.Errorf("node %s: %w", ns.Name, err)
		}
	}
	return nil
}

// initBinary is netlab-init beside this binary, if it is there and of this
// build's protocol: it starts faster than this whole binary, once per node.
func initBinary() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	path := filepath.Join(filepath.Dir(exe), "netlab-init")
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	return nsproc.InitBinary(path)
}

// startNode makes a node's exec socket and has the supervisor start its
// init. The files it opens for that are closed once the init has its own
// copies, so a lab holds O(parallelism) of them.
func (u *bringup) startNode(ctx context.Context, n *topology.Node, hosts *os.File) (nsproc.Node, error) {
	lab := u.st.Name
	sock, err := listenExec(socketPath(lab, n.Name))
	if err != nil {
		return nsproc.Node{}, fmt.Errorf("node %s: %w", n.Name, err)
	}
	defer sock.Close()
	cfg := nsproc.NodeConfig{
		Name: lab + "/" + n.Name, Hostname: n.Name, Socket: sock, Hosts: hosts,
		Sysctls: earlySysctls(n.Kind),
	}
	if entries := daemonLayer(n, u.st.IDs, u.users); len(entries) > 0 {
		dir := layerDir(lab, n.Name)
		if err := writeLayer(dir, int(u.st.IDs.First), entries); err != nil {
			return nsproc.Node{}, fmt.Errorf("node %s: layer: %w", n.Name, err)
		}
		if cfg.Layer, err = os.Open(dir); err != nil {
			return nsproc.Node{}, fmt.Errorf("node %s: layer: %w", n.Name, err)
		}
		defer cfg.Layer.Close()
	}
	return u.sup.Spawn(ctx, cfg)
}

// writeLayer writes a node's layer directory (see nsproc.LayerEtc). The
// directory is the node root's, so that its init can read it through the
// descriptor it is handed.
func writeLayer(dir string, root int, entries []layerEntry) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return err
	}
	etc := filepath.Join(dir, nsproc.LayerEtc)
	for _, d := range []string{dir, etc} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
		if err := os.Chown(d, root, root); err != nil {
			return err
		}
	}
	for _, e := range entries {
		p := filepath.Join(etc, e.path)
		var err error
		if e.dir {
			err = os.Mkdir(p, e.mode)
		} else {
			err = os.WriteFile(p, e.data, e.mode)
		}
		if err == nil {
			err = os.Chown(p, e.uid, e.gid)
		}
		if err == nil {
			err = os.Chmod(p, e.mode)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeHosts writes the lab's /etc/hosts and returns it open for reading:
// every node's init copies it from that one descriptor.
func writeHosts(path string, content []byte) (*os.File, error) {
	if err := os.WriteFile(path, content, 0o644); err != nil {
		return nil, fmt.Errorf("write hosts file: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("write hosts file: %w", err)
	}
	return f, nil
}

// listenExec makes a node's exec socket, reachable by host root only.
func listenExec(path string) (*os.File, error) {
	l, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return nil, fmt.Errorf("exec socket: %w", err)
	}
	l.SetUnlinkOnClose(false)
	defer l.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("exec socket: %w", err)
	}
	f, err := l.File()
	if err != nil {
		return nil, fmt.Errorf("exec socket: %w", err)
	}
	return f, nil
}

// wire creates the links and configures every node's network.
func (u *bringup) wire(ctx context.Context) error {
	t := u.st.Topology
	index := ifindexes(t)
	byName := map[string]*wire.Node{}
	var nodes []*wire.Node
	for i, n := range t.Nodes {
		wn := &wire.Node{Name: n.Name, NetNS: u.netns[i], Bridge: n.Kind == topology.KindBridge}
		for _, ifc := range n.Interfaces {
			idx := wire.LoopbackIndex
			if ifc.Name != "lo" {
				idx = index[topology.Endpoint{Node: n.Name, Interface: ifc.Name}]
			}
			wn.Interfaces = append(wn.Interfaces, wire.Interface{Name: ifc.Name, Index: idx, Addrs: ifc.Addrs})
		}
		for _, r := range n.Routes {
			wn.Routes = append(wn.Routes, wire.Route{To: r.To, Via: r.Via})
		}
		for _, kv := range n.Sysctls {
			wn.Sysctls = append(wn.Sysctls, wire.Sysctl{Key: kv.Key, Value: kv.Value})
		}
		byName[n.Name] = wn
		nodes = append(nodes, wn)
	}
	var links []*wire.Link
	for _, l := range t.Links {
		end := func(e topology.Endpoint) wire.End {
			return wire.End{Node: byName[e.Node], Name: e.Interface, MAC: macAddress(t.Name, e.Node, e.Interface), Index: index[e]}
		}
		links = append(links, &wire.Link{A: end(l.Endpoints[0]), B: end(l.Endpoints[1]), MTU: l.MTU})
	}
	return wire.Wire(ctx, nodes, links, u.opts.Parallel)
}

// putFiles writes each node's `files:` through its init, as the node's
// root, nodes in parallel.
func (u *bringup) putFiles(ctx context.Context) error {
	t := u.st.Topology
	return parallel.Each(ctx, len(t.Nodes), u.opts.Parallel, func(i int) error {
		n := t.Nodes[i]
		for _, f := range n.Files {
			err := nsproc.Put(ctx, socketPath(t.Name, n.Name), nsproc.File{
				Path: f.Key, Data: []byte(f.Value), Mode: fileMode(f.Value),
			})
			if err != nil {
				return fmt.Errorf("node %s: %w", n.Name, err)
			}
		}
		return nil
	})
}

// startDaemons starts the routing daemons of frr and bird nodes, nodes in
// parallel.
func (u *bringup) startDaemons(ctx context.Context) error {
	t := u.st.Topology
	return parallel.Each(ctx, len(t.Nodes), u.opts.Parallel, func(i int) error {
		n := t.Nodes[i]
		script := daemonStartScript(n)
		if script == "" {
			return nil
		}
		out, code, err := u.runStep(ctx, n.Name, script)
		if err != nil {
			return fmt.Errorf("node %s: start %s daemons: %w", n.Name, n.Kind, err)
		}
		if code != 0 {
			return fmt.Errorf("node %s: %s daemons did not start: %s", n.Name, n.Kind, oneLine(strings.TrimSpace(string(out))))
		}
		return nil
	})
}

// runExecSteps runs each node's exec steps in order, nodes in parallel. A
// failing step fails up with its output.
func (u *bringup) runExecSteps(ctx context.Context) error {
	t := u.st.Topology
	return parallel.Each(ctx, len(t.Nodes), u.opts.Parallel, func(i int) error {
		n := t.Nodes[i]
		for _, step := range n.Exec {
			out, code, err := u.runStep(ctx, n.Name, step)
			if err != nil {
				return fmt.Errorf("node %s: exec %q: %w", n.Name, step, err)
			}
			if code != 0 {
				msg := strings.TrimSpace(string(out))
				if msg == "" {
					msg = "no output"
				}
				return fmt.Errorf("node %s: exec %q exited %d: %s", n.Name, step, code, oneLine(msg))
			}
		}
		return nil
	})
}

// stepOutputTail is how much of an exec step's output up keeps for its
// error message: the end, where the reason usually is.
const stepOutputTail = 4096

// runStep runs one exec step with its stdout and stderr captured together,
// keeping only their last stepOutputTail bytes.
func (u *bringup) runStep(ctx context.Context, node, step string) ([]byte, int, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	tail := make(chan []byte, 1)
	go func() {
		var keep []byte
		buf := make([]byte, 32*1024)
		for {
			n, err := r.Read(buf)
			keep = append(keep, buf[:n]...)
			if len(keep) > stepOutputTail {
				keep = append(keep[:0], keep[len(keep)-stepOutputTail:]...)
			}
			if err != nil {
				tail <- keep
				return
			}
		}
	}()
	null, err := os.Open(os.DevNull)
	if err != nil {
		w.Close()
		return nil, 0, err
	}
	defer null.Close()
	code, err := nsproc.Run(ctx, socketPath(u.st.Name, node), nsproc.Command{
		Argv: []string{"/bin/sh", "-c", step}, Env: Env(nil),
		Stdin: null, Stdout: w, Stderr: w,
	}, nil)
	w.Close()
	if err != nil {
		return nil, code, err
	}
	// A daemon the step left running may hold the pipe open: take what
	// came until now rather than wait for it.
	r.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	return <-tail, code, nil
}

// oneLine folds output into one line for an error message, keeping the end,
// where the reason usually is.
func oneLine(s string) string {
	s = string(bytes.Join(bytes.Fields([]byte(strings.ReplaceAll(s, "\n", " | "))), []byte(" ")))
	if len(s) > 400 {
		s = "..." + s[len(s)-400:]
	}
	return s
}
