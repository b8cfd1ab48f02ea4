package netlab

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// startNode makes a node's exec socket and has the supervisor start it.
// The files it opens for that are closed once the node has its own
// copies, so a lab holds O(parallelism) of them.
func (u *bringup) startNode(ctx context.Context, n *topology.Node) (nsproc.Node, error) {
	sp := nodeSpawner{m: u.m, t: u.t, sup: u.sup, users: u.users, cgroup: u.cgroup, warn: u.opts.Warn}
	return sp.spawn(ctx, n, false)
}

// nodeSpawner is what starting a node needs: at up, and (held) at start.
type nodeSpawner struct {
	m      *Machine
	t      *topology.Topology // the lab's, or its part on this host
	sup    *nsproc.Supervisor
	users  daemonUsers
	cgroup *labCgroup
	warn   func(string) // nil: say nothing
}

// spawn makes n's exec socket (anew: a stopped node's is gone) and has the
// supervisor start n, into the namespaces it holds of n when held.
func (sp nodeSpawner) spawn(ctx context.Context, n *topology.Node, held bool) (nsproc.Node, error) {
	t := sp.t
	path := sp.m.socketPath(t.Name, n.Name)
	if held {
		os.Remove(path)
	}
	sock, err := listenExec(path)
	if err != nil {
		return nsproc.Node{}, fmt.Errorf("node %s: %w", n.Name, err)
	}
	defer sock.Close()
	cfg := nsproc.NodeConfig{
		Name: t.Name + "/" + n.Name, Hostname: n.Name, Socket: sock,
		Sysctls: earlySysctls(n.Kind), Layer: daemonLayer(n, sp.users), TmpfsSize: defaultTmpfsSize,
		Binds: nodeBinds(n), Held: held, ClockOffset: n.Clock.Offset,
	}
	if !n.Limits.Zero() && len(sp.cgroup.Paths) == 0 {
		// As for the lab's own limits: said, and up goes on.
		if sp.warn != nil {
			sp.warn(fmt.Sprintf("%s: limits of node %s are not applied: the lab has no cgroup", n.Limits.Pos.In(t.File), n.Name))
		}
	} else if !n.Limits.Zero() {
		if cfg.Cgroups, err = sp.cgroup.nodeCgroup(n.Name, cgroupLimits{Pids: n.Limits.Pids, MemoryBytes: n.Limits.Memory, CPUs: n.Limits.CPUs}); err != nil {
			return nsproc.Node{}, fmt.Errorf("%s: %w", n.Limits.Pos.In(t.File), err)
		}
		defer closeFiles(cfg.Cgroups)
	}
	node, err := sp.sup.Spawn(ctx, cfg)
	if err != nil && len(n.Binds) > 0 {
		return node, fmt.Errorf("%s: %w", bindPlace(t, n, err).In(t.File), err)
	}
	return node, err
}

// hiddenDirs are the host directories a node sees empty: in a rootless lab
// the user's home and the state root (its labs' exec sockets). Node root is
// a subordinate id of the user's and could read only what anyone may, but
// a home's world-readable files are the user's business, not the node's.
func (m *Machine) hiddenDirs() []string {
	if !m.Rootless {
		return nil
	}
	dirs := []string{m.StateRoot}
	if m.Home != "" {
		dirs = append(dirs, m.Home)
	}
	if h := os.Getenv("HOME"); h != "" && !slices.Contains(dirs, h) {
		dirs = append(dirs, h)
	}
	return dirs
}
