package netlab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/netlab-dev/netlab/netlab/events"
	"github.com/netlab-dev/netlab/netlab/parallel"
	"github.com/netlab-dev/netlab/netlab/wire"
	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// lifeTimeout bounds a stop, a start or a restart of nodes whose caller
// set no deadline: a node must never hang netlab.
const lifeTimeout = 5 * time.Minute

// Stop ends the named nodes of the lab, in parallel: every process of
// each is killed, as a power cut would, and each one's interfaces go down,
// so its neighbours lose carrier. Its network namespace stays, held by the
// lab's supervisor: its interfaces keep their indexes, and Start brings
// the node back.
func (l *Lab) Stop(ctx context.Context, nodes ...string) error {
	return l.life(ctx, "stop", nodes, func(c *lifeChange, n *topology.Node) error { return c.stop(ctx, n) })
}

// Start starts the named nodes of the lab again, in parallel, each one
// stopped or ended (its process gone): in its own network namespace, with
// its interfaces up again and its addresses and routes put back where the
// kernel dropped them, then its files, sysctls, daemons, exec steps and
// services, from the topology, as up does.
func (l *Lab) Start(ctx context.Context, nodes ...string) error {
	return l.life(ctx, "start", nodes, func(c *lifeChange, n *topology.Node) error { return c.start(ctx, n) })
}

// Restart stops and starts the named nodes of the lab, in parallel: what a
// node changed at run time that lives in its processes, files or
// interfaces' down time is gone (a route added by hand, through an
// interface that went down); what its network namespace keeps is kept.
func (l *Lab) Restart(ctx context.Context, nodes ...string) error {
	return l.life(ctx, "restart", nodes, func(c *lifeChange, n *topology.Node) error {
		if err := c.stop(ctx, n); err != nil {
			return err
		}
		return c.start(ctx, n)
	})
}

// lifeChange is one stop, start or restart of nodes of a lab: the lab's
// state read under its lock, a connection to its supervisor, and what
// starting a node needs.
type lifeChange struct {
	m     *Machine
	st    *State
	sup   *nsproc.Supervisor
	users daemonUsers
	index map[topology.Endpoint]int
	mu    sync.Mutex // guards st.Nodes
}

// life runs do for each of nodes (each a node of the lab on this host)
// under the lab's lock, records the nodes' new state and logs verb for
// each one done.
func (l *Lab) life(ctx context.Context, verb string, nodes []string, do func(*lifeChange, *topology.Node) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, lifeTimeout)
		defer cancel()
	}
	st, lock, err := l.lockForChange(ctx, verb+" the nodes of")
	if err != nil {
		return err
	}
	defer lock.unlock()
	if st.Phase != PhaseUp {
		return fmt.Errorf("lab %s is not up (up did not finish); take it down with: netlab down %s", l.Ref(), l.Ref())
	}
	var todo []*topology.Node
	for _, node := range nodes {
		if host, ok := st.elsewhere(node); ok {
			return fmt.Errorf("%w: node %s of lab %s runs on host %s, not on this one (%s): %s it there", ErrBadName, node, st.Name, host, st.Host, verb)
		}
		if st.node(node) == nil {
			return unknownNode(st, node)
		}
		todo = append(todo, st.Topology.Node(node))
	}
	c := &lifeChange{m: l.m, st: st, index: ifindexes(st.Topology)}
	if verb != "stop" {
		// The software of the nodes to start, not of the whole lab's
		// (of a lab across hosts, another host's nodes are its own).
		part := *st.Topology
		part.Nodes = todo
		if c.users, err = checkDaemonSoftware(&part); err != nil {
			return err
		}
	}
	if c.sup, err = nsproc.DialSupervisor(ctx, l.m.supervisorPath(l.name)); err != nil {
		return fmt.Errorf("lab %s: %w (its supervisor is gone, or the lab was brought up by a netlab without restart: take it down and up again)", l.Ref(), err)
	}
	defer c.sup.Close()
	err = parallel.Each(ctx, len(todo), len(todo), func(i int) error {
		if err := do(c, todo[i]); err != nil {
			return err
		}
		return events.Log(l.m.eventsPath(l.name), events.Event{Lab: l.name, Node: todo[i].Name, Kind: verb})
	})
	if werr := l.m.writeState(st); werr != nil && err == nil {
		err = werr
	}
	return err
}

// lockForChange takes the lab's lock for a change (verb, as its refusal
// to another user says) and reads its state anew under it. The caller
// unlocks.
func (l *Lab) lockForChange(ctx context.Context, verb string) (*State, *lockedDir, error) {
	if !l.m.Own() {
		return nil, nil, fmt.Errorf("lab %s is user %s's: only its owner may %s it", l.Ref(), l.m.User, verb)
	}
	lock, err := lockDir(ctx, l.m.labDir(l.name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, l.m.NotUpError(l.name, "", nil)
	}
	if err != nil {
		return nil, nil, err
	}
	st, err := l.m.readState(l.name)
	if err != nil {
		lock.unlock()
		return nil, nil, err
	}
	return st, lock, nil
}

// setState records what became of node's processes.
func (c *lifeChange) setState(node string, set func(*NodeState)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	set(c.st.node(node))
}

// ends are n's link ends (tunnels to other hosts among them): their
// ifindexes in n, and which are to be up (state: down, or link set down,
// keeps one down).
func (c *lifeChange) ends(n *topology.Node) (up, all []int) {
	for _, l := range c.st.Topology.Links {
		for _, e := range l.Endpoints {
			if e.Node != n.Name {
				continue
			}
			all = append(all, c.index[e])
			if !l.Down {
				up = append(up, c.index[e])
			}
		}
	}
	return up, all
}

// stop kills n's processes through the supervisor, which answers once it
// reaped n's process, then takes n's link ends down through a socket the
// supervisor opens in n's held network namespace.
func (c *lifeChange) stop(ctx context.Context, n *topology.Node) error {
	name := c.st.Name + "/" + n.Name
	if err := c.sup.Stop(ctx, name); err != nil {
		return err
	}
	c.setState(n.Name, func(ns *NodeState) { ns.Stopped, ns.Init = true, nil })
	f, err := c.sup.NodeNetlink(ctx, name)
	if err != nil {
		return err
	}
	h := wire.NewSocket(f)
	defer h.Close()
	_, all := c.ends(n)
	for _, idx := range all {
		if err := h.SetUp(idx, false); err != nil {
			return fmt.Errorf("node %s: take interface %d down: %w", n.Name, idx, err)
		}
	}
	return nil
}

// start starts n again in the namespaces the supervisor held of it and
// runs up's steps for it. If a step fails, n is stopped again: a failed
// start leaves a stopped node, not a half-made one.
func (c *lifeChange) start(ctx context.Context, n *topology.Node) error {
	c.mu.Lock()
	ns := *c.st.node(n.Name)
	c.mu.Unlock()
	if !ns.Stopped && ns.Init.alive() {
		return fmt.Errorf("node %s of lab %s runs; restart it with: netlab restart %s/%s", n.Name, c.st.Name, c.st.Name, n.Name)
	}
	cg := &labCgroup{Paths: c.m.labCgroupDirs(c.st.Name, c.st.Cgroup)}
	sp := nodeSpawner{m: c.m, t: c.st.Topology, sup: c.sup, users: c.users, cgroup: cg}
	node, err := sp.spawn(ctx, n, true)
	if err != nil {
		return err
	}
	defer node.Close()
	if err := c.started(ctx, n, node); err != nil {
		c.sup.Stop(ctx, c.st.Name+"/"+n.Name)
		c.setState(n.Name, func(ns *NodeState) { ns.Stopped, ns.Init = true, nil })
		return fmt.Errorf("%w; node %s is stopped", err, n.Name)
	}
	return nil
}

// started records n's new process, checks that it is in the network
// namespace it had, and runs up's steps for it.
func (c *lifeChange) started(ctx context.Context, n *topology.Node, node nsproc.Node) error {
	init, err := procOf(node.Pid)
	if err != nil {
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	c.setState(n.Name, func(ns *NodeState) { ns.Stopped, ns.Init = false, init })
	netns, ino, err := openNetNS(node.Pid, node.Pidfd)
	if err != nil {
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	netns.Close()
	c.mu.Lock()
	want := c.st.node(n.Name).NetNSInode
	c.mu.Unlock()
	if ino != want {
		return fmt.Errorf("node %s: started in network namespace %d, not its own (%d)", n.Name, ino, want)
	}
	sock := c.m.socketPath(c.st.Name, n.Name)
	h, err := nodeSocket(ctx, sock, n.Name)
	if err != nil {
		return err
	}
	defer h.Close()
	up, _ := c.ends(n)
	if err := wire.Restore(wireNode(n, c.index, nil, nil), h, up); err != nil {
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	if err := setNodeSysctls(ctx, sock, n); err != nil {
		return err
	}
	s := nodeSteps{m: c.m, t: c.st.Topology, timeout: defaultStepTimeout}
	for _, step := range []func(context.Context, *topology.Node) error{s.putFiles, s.startDaemons, s.runExec, s.startServices} {
		if err := step(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// stoppedNode says that node of lab (ref) is stopped, and how to start it.
func stoppedNode(ref LabRef, node string) error {
	return fmt.Errorf("node %s of lab %s is stopped; start it with: netlab start %s/%s", node, ref, ref, node)
}

// NodesOf names nodes of m's labs for a verb given NODE, LAB/NODE and
// USER:LAB/NODE arguments, with lab (--lab) saying the lab of those that
// do not: the labs in the order first named, and each one's nodes.
func (m *Machine) NodesOf(args []string, lab string) ([]LabRef, [][]string, error) {
	var labs []LabRef
	var nodes [][]string
	at := map[string]int{} // a lab's place in labs, by its LabRef.String
	for _, a := range args {
		ref, err := m.ResolveNode(a, lab)
		if err != nil {
			return nil, nil, err
		}
		i, ok := at[ref.LabRef.String()]
		if !ok {
			i = len(labs)
			at[ref.LabRef.String()] = i
			labs, nodes = append(labs, ref.LabRef), append(nodes, nil)
		}
		if !slices.Contains(nodes[i], ref.Node) { // named twice: once is what was meant
			nodes[i] = append(nodes[i], ref.Node)
		}
	}
	return labs, nodes, nil
}
