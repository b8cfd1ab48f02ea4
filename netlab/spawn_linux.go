package netlab

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// startNode makes a node's exec socket and has the supervisor start its
// init. The files it opens for that are closed once the init has its own
// copies, so a lab holds O(parallelism) of them.
func (u *bringup) startNode(ctx context.Context, n *topology.Node) (nsproc.Node, error) {
	lab := u.st.Name
	sock, err := listenExec(u.m.socketPath(lab, n.Name))
	if err != nil {
		return nsproc.Node{}, fmt.Errorf("node %s: %w", n.Name, err)
	}
	defer sock.Close()
	cfg := nsproc.NodeConfig{
		Name: lab + "/" + n.Name, Hostname: n.Name, Socket: sock,
		Sysctls: earlySysctls(n.Kind), Layer: daemonLayer(n, u.users), TmpfsSize: defaultTmpfsSize,
		Binds: nodeBinds(n),
	}
	if t := u.t; !n.Limits.Zero() && len(u.cgroup.Paths) == 0 {
		// As for the lab's own limits: said, and up goes on.
		if u.opts.Warn != nil {
			u.opts.Warn(fmt.Sprintf("%s: limits of node %s are not applied: the lab has no cgroup", n.Limits.Pos.In(t.File), n.Name))
		}
	} else if !n.Limits.Zero() {
		if cfg.Cgroups, err = u.cgroup.nodeCgroup(n.Name, cgroupLimits{Pids: n.Limits.Pids, MemoryBytes: n.Limits.Memory, CPUs: n.Limits.CPUs}); err != nil {
			return nsproc.Node{}, fmt.Errorf("%s: %w", n.Limits.Pos.In(t.File), err)
		}
		defer closeFiles(cfg.Cgroups)
	}
	node, err := u.sup.Spawn(ctx, cfg)
	if err != nil && len(n.Binds) > 0 {
		t := u.t
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
