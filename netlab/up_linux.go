package netlab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/netlab-dev/netlab/netlab/parallel"
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
	// StepTimeout bounds each exec step; 0 means a minute.
	StepTimeout time.Duration
	// Warn, if set, is told once of each thing up could not do and went
	// on without, such as a limit this machine's cgroups cannot apply.
	Warn func(string)
	// Host is which of the lab's hosts this machine is, for a lab that
	// spans hosts; "" for the one whose address is an address of this
	// machine.
	Host string
}

// ErrLabExists is returned by Up for a lab that already has state.
var ErrLabExists = errors.New("lab exists")

// killTimeout bounds how long teardown waits for a killed process to exit.
const killTimeout = 10 * time.Second

// Up brings the lab t describes up on m and returns it once every node
// runs and is wired and every exec step succeeded. On any error, or when
// ctx ends first, everything made so far is removed before Up returns.
//
// Of a lab that spans hosts it brings up this host's part (see
// UpOptions.Host): the nodes placed here, the links between them, and a
// tunnel for each link to a node of another host. Its /etc/hosts names
// every node of the lab, wherever it runs.
func (m *Machine) Up(ctx context.Context, t *topology.Topology, opts UpOptions) (*Lab, error) {
	if !m.Own() {
		return nil, fmt.Errorf("lab %s would be user %s's: bring it up as that user (netlab up --user %s)", t.Name, m.User, m.User)
	}
	if t.Spans() && m.Rootless {
		return nil, &topology.Error{File: t.File, Pos: t.HostsPos, Msg: "a lab across hosts needs root: its tunnels' UDP sockets live in the host's network namespace; bring it up as root, or remove hosts: (and host:) to run it on this machine alone"}
	}
	if t.HostsFrom != "" && len(t.Hosts) == 0 {
		return nil, &topology.Error{File: t.File, Pos: t.HostsPos, Msg: "hosts: " + t.HostsFrom + " are found inside the cluster, by netlab-kube resolve FILE (which writes the topology with its hosts listed, for netlab up); run them in the cluster's DaemonSet (deploy/kubernetes), or list the hosts"}
	}
	var sub *subIDs // rootless: the user's subordinate ids
	if m.Rootless {
		ids, err := checkRootless(m)
		if err != nil {
			return nil, err
		}
		sub = &ids
	}
	if err := checkTopology(t); err != nil {
		return nil, err
	}
	u := &bringup{m: m, opts: opts, hide: m.hiddenDirs(), sub: sub}
	if err := u.placeHere(t); err != nil {
		return nil, err
	}
	part := u.t
	if err := m.bindProblems(t, part.Nodes); err != nil {
		return nil, err
	}
	if err := m.checkSocketPaths(part); err != nil {
		return nil, err
	}
	var err error
	if u.impair, err = m.probeKernel(part, u.localLinks(), len(u.tunnels) > 0); err != nil {
		return nil, err
	}
	if u.users, err = checkDaemonSoftware(part); err != nil {
		return nil, err
	}
	if err := checkImpairments(t, u.localLinks(), u.impair); err != nil {
		return nil, err
	}
	if err := checkClocks(part); err != nil {
		return nil, err
	}
	if u.opts.Parallel <= 0 {
		u.opts.Parallel = 4 * runtime.NumCPU()
	}
	binds := 0
	for _, n := range part.Nodes {
		binds = max(binds, len(n.Binds))
	}
	if u.opts.Parallel, err = fitParallel(u.opts.Parallel, binds); err != nil {
		return nil, err
	}
	pids, err := planPids(part)
	if err != nil {
		return nil, err
	}
	u.pids = pids.budget
	if err := checkMemory(part); err != nil {
		return nil, err
	}
	st, lock, err := m.createLab(ctx, t, part, u.host, sub)
	if err != nil {
		return nil, err
	}
	defer lock.unlock()
	u.st = st
	if err := u.run(ctx); err != nil {
		if ctx.Err() != nil {
			// What failed then is only the messenger; the cause (a
			// signal, a timeout, in the caller's words) is the news.
			err = fmt.Errorf("up stopped: %w; what it made is removed", context.Cause(ctx))
		}
		if u.sup != nil {
			u.sup.Kill()
		}
		if terr := m.teardown(st); terr != nil {
			return nil, fmt.Errorf("%w (and cleaning up: %v)", err, terr)
		}
		return nil, err
	}
	// The kept encoding was for up's own writes; whoever changes the lab
	// from the Lab returned encodes its topology anew.
	st.topologyJSON = nil
	return m.openedLab(st.Name, st), nil
}

// bringup is one run of Up.
type bringup struct {
	m  *Machine
	st *State // its Topology is the whole lab's
	// t is what this host brings up: the lab, or of a lab across hosts
	// its part on this host (see partOn), whose tunnels are these.
	t       *topology.Topology
	host    *topology.Host // nil for a lab of one machine
	tunnels []tunnelEnd
	opts    UpOptions
	cgroup  *labCgroup
	pids    int // the lab's pids budget (planPids): its cgroup's, and its RLIMIT_NPROC
	sup     *nsproc.Supervisor
	users   daemonUsers
	impair  impairSupport // what the kernel can do to links, when some link asks
	hide    []string      // host directories every node sees empty (see hiddenDirs)
	sub     *subIDs       // rootless: the user's subordinate ids
	// registered gets the result of registering the netns names, while
	// that runs; teardown must not begin before it ends.
	registered chan error
}

// close waits for what the bringup still runs.
func (u *bringup) close() {
	if u.registered != nil {
		<-u.registered
		u.registered = nil
	}
}

// run brings the lab up, one step after the other. Each step records in
// state what it is about to make before it makes it, so that teardown
// finds everything whenever run stops.
func (u *bringup) run(ctx context.Context) error {
	t := u.t
	defer u.close()
	for _, s := range []struct {
		name  string
		total int
		run   func(context.Context, *stepTimer) error
	}{
		{"make cgroup", 1, u.makeCgroup},
		{"start supervisor", 1, u.startSupervisor},
		{"start nodes", len(t.Nodes), u.startNodes},
		{"write files", len(t.Nodes), u.putFiles},
		{"wire", len(t.Links), u.wire},
		{"start daemons", len(t.Nodes), u.startDaemons},
		{"run exec steps", len(t.Nodes), u.runExecSteps},
		{"start services", len(t.Nodes), u.startServices},
		{"register netns", len(t.Nodes), u.awaitRegistered},
		{"detach", 1, u.detach},
	} {
		step := startStep(u.opts.Progress, s.name, s.total)
		if err := s.run(ctx, step); err != nil {
			return u.withSupervisorLog(err)
		}
		step.end()
	}
	return nil
}

// withSupervisorLog adds to err the last line the lab's supervisor or a
// node's init printed, if any: when one of them died, that says why.
func (u *bringup) withSupervisorLog(err error) error {
	b, rerr := os.ReadFile(filepath.Join(u.m.labDir(u.st.Name), "supervisor.log"))
	if rerr != nil || len(bytes.TrimSpace(b)) == 0 {
		return err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return fmt.Errorf("%w (the lab's log says: %s)", err, oneLine(lines[len(lines)-1]))
}

// makeCgroup makes the lab's cgroup and records it, before the lab's first
// process: the supervisor is put in it before it starts any node, so
// nothing of the lab ever runs outside it.
func (u *bringup) makeCgroup(ctx context.Context, _ *stepTimer) error {
	t := u.t
	lim := cgroupLimits{Pids: t.Limits.Pids, MemoryBytes: t.Limits.Memory, CPUs: t.Limits.CPUs, DefaultPids: u.pids}
	if lim.Pids > 0 {
		// limits: pids: as planned (planPids): at most 3/4 of pid_max and
		// RLIMIT_NPROC, the same number as the lab's RLIMIT_NPROC.
		lim.Pids = u.pids
	}
	if lim.MemoryBytes == 0 {
		lim.MemoryBytes, lim.MemoryDefault = defaultMemory(len(t.Nodes)), true
	}
	cg, warnings, err := u.m.createLabCgroup(t.Name, lim)
	if m := u.m; m.Rootless && (err != nil || len(cg.Paths) == 0) {
		// Said once, and up goes on: an ordinary user has cgroups only
		// under one delegated to it. The lab's processes stay bounded by
		// its RLIMIT_NPROC (see startSupervisor).
		warnings = []string{fmt.Sprintf("the lab's memory and CPU limits are not applied (its processes are bounded, to %d): user %s's own cgroup is not delegated to it (README: \"Limits for ordinary users, without systemd\")", u.pids, m.User)}
		cg, err = &labCgroup{}, nil
	}
	if err != nil {
		return err
	}
	for _, w := range warnings {
		if u.opts.Warn != nil {
			u.opts.Warn(w)
		}
	}
	u.cgroup = cg
	u.st.Cgroup = cg.Paths
	return u.save()
}

// startSupervisor starts the lab's supervisor in its own namespaces and
// its cgroup, and records it.
func (u *bringup) startSupervisor(ctx context.Context, _ *stepTimer) error {
	t := u.t
	log, err := os.OpenFile(filepath.Join(u.m.labDir(t.Name), "supervisor.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open supervisor log: %w", err)
	}
	defer log.Close()
	// One /etc/hosts for the whole lab: every node sees the supervisor's
	// copy, under its own /etc layer.
	hosts, err := writeHosts(filepath.Join(u.m.labDir(t.Name), "hosts"), hostsFile(u.st.Topology))
	if err != nil {
		return err
	}
	defer hosts.Close()
	// Where netlab reaches the supervisor after up (restart, stop, start,
	// events): only the lab's owner may (the socket is 0600, in a 0700
	// directory).
	listen, err := listenExec(u.m.supervisorPath(t.Name))
	if err != nil {
		return fmt.Errorf("lab supervisor: %w", err)
	}
	defer listen.Close()
	cfg := nsproc.SupervisorConfig{Lab: t.Name, Log: log, Hosts: hosts, Hide: u.hide,
		Caps: labCaps(), NProc: u.pids, Enter: u.cgroup.Add, Listen: listen}
	ids := u.st.IDs
	if m := u.m; u.sub != nil {
		// Lab root is the user; lab ids 1.. (node root among them) the
		// user's subordinate ones, mapped by the setuid helpers (an
		// ordinary user may map only its own id itself).
		gids := u.sub.gids
		cfg.UIDMap = []syscall.SysProcIDMap{{ContainerID: 0, HostID: m.UID, Size: 1}, {ContainerID: 1, HostID: int(ids.First), Size: int(ids.Count)}}
		cfg.GIDMap = []syscall.SysProcIDMap{{ContainerID: 0, HostID: m.GID, Size: 1}, {ContainerID: 1, HostID: int(gids.First), Size: idRangeSize - 1}}
		cfg.MapHelpers = true
	} else {
		// The last id of the lab's range owns its user namespace and is
		// mapped to nothing in it (see nsproc.SupervisorConfig).
		cfg.UIDMap = []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(ids.First), Size: int(ids.Count) - 1}}
		cfg.GIDMap = cfg.UIDMap
		cfg.OwnerUID = int(ids.First + ids.Count - 1)
		cfg.OwnerGID = cfg.OwnerUID
	}
	u.sup, err = nsproc.StartSupervisor(ctx, cfg)
	if err != nil {
		return err
	}
	if u.st.Supervisor, err = procOf(u.sup.Pid()); err != nil {
		return fmt.Errorf("lab supervisor: %w", err)
	}
	return u.save()
}

// startNodes starts every node and records it: its init, and the inode of
// its network namespace, by which everything after opens that namespace
// again and knows it for the node's (see openNodeNetNS). Then it starts
// registering the namespaces' names for iproute2. What a node's start
// opens is closed as soon as the node is recorded: up holds descriptors in
// proportion to its parallelism, not to the lab's size.
func (u *bringup) startNodes(ctx context.Context, step *stepTimer) error {
	t := u.t
	hostNetNS, err := netnsInode(os.Getpid())
	if err != nil {
		return err
	}
	err = parallel.Each(ctx, len(t.Nodes), u.opts.Parallel, func(i int) error {
		n, err := u.startNode(ctx, t.Nodes[i])
		if err != nil {
			return err
		}
		defer n.Close()
		// Each goroutine writes only its own node's record.
		ns := &u.st.Nodes[i]
		if ns.Init, err = procOf(n.Pid); err != nil {
			return fmt.Errorf("node %s: %w", ns.Name, err)
		}
		// It must be the node's, never the host's, even if the init
		// died and its pid was reused meanwhile.
		netns, ino, err := openNetNS(n.Pid, n.Pidfd)
		if err != nil {
			return fmt.Errorf("node %s: %w", ns.Name, err)
		}
		netns.Close()
		if ino == hostNetNS {
			return fmt.Errorf("node %s: process %d is in the host's network namespace; refusing to wire it", ns.Name, n.Pid)
		}
		ns.NetNSInode = ino
		step.add(1)
		return nil
	})
	// Recorded even when a node failed: down ends what did start.
	if serr := u.save(); err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("start nodes: %w", err)
	}
	// Names for iproute2 are for people, not for wiring: they are
	// registered while the network is wired. Recorded before any name is
	// registered: down unregisters only names bound to a namespace it
	// knows.
	u.registered = make(chan error, 1)
	go func() { u.registered <- u.registerNetns() }()
	return nil
}

// awaitRegistered waits for the registration startNodes began.
func (u *bringup) awaitRegistered(ctx context.Context, _ *stepTimer) error {
	err := <-u.registered
	u.registered = nil
	return err
}

// save records the lab's state as it is now.
func (u *bringup) save() error { return u.m.writeState(u.st) }

// detach lets the supervisor outlive this process and marks the lab up.
func (u *bringup) detach(ctx context.Context, _ *stepTimer) error {
	if err := u.sup.Detach(ctx); err != nil {
		return err
	}
	u.sup = nil
	u.st.Phase = PhaseUp
	return u.save()
}

// registerNetns makes every node's network namespace visible to iproute2
// as NetnsDir/LAB-NODE.
func (u *bringup) registerNetns() error {
	dir := u.m.NetnsDir
	if dir == "" {
		return nil
	}
	if err := prepareNetnsDir(dir); err != nil {
		return err
	}
	for i := range u.st.Nodes {
		ns := &u.st.Nodes[i]
		netns, err := openNodeNetNS(ns)
		if err == nil {
			err = registerNetns(dir, netnsName(u.st.Name, ns.Name), netns)
			netns.Close()
		}
		if err != nil {
			return fmt.Errorf("node %s: %w", ns.Name, err)
		}
	}
	return nil
}
