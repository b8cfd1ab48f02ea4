package netlab

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// nodeBinds are a node's binds as the node side mounts them
// (nsproc.NodeConfig.Binds): host root's netlab hands it a detached copy
// of each host path's mount, an ordinary user's lab binds it by path, as
// the node sees it.
func nodeBinds(n *topology.Node) []nsproc.Bind {
	var out []nsproc.Bind
	for _, b := range n.Binds {
		out = append(out, nsproc.Bind{Source: b.Host, Target: b.Node, ReadOnly: b.ReadOnly})
	}
	return out
}

// bindProblems refuses, each at its line, the binds of t's nodes the node side
// could not mount for this user: a node path outside the node's own view
// (topology.PrivateRoots, where the node side makes what is missing) that
// the host does not have, or that lies under a directory the node sees
// empty (hiddenDirs); and, in a rootless lab, whose nodes bind host paths
// as they see them, a host path that the node's own view covers.
func (m *Machine) bindProblems(t *topology.Topology, nodes []*topology.Node) error {
	hidden := m.hiddenDirs()
	// What covers a host path in a rootless node: its own tmpfs (every
	// private root but /etc, an overlay over the host's) and the hidden
	// directories.
	var covered []string
	if m.Rootless {
		covered = slices.DeleteFunc(slices.Clone(topology.PrivateRoots), func(r string) bool { return r == "/etc" })
		covered = append(covered, hidden...)
	}
	var errs []*topology.Error
	for _, n := range nodes {
		for _, b := range n.Binds {
			bad := func(format string, args ...any) {
				errs = append(errs, &topology.Error{File: t.File, Pos: b.Pos,
					Msg: fmt.Sprintf("bind %s of node %s ", b, n.Name) + fmt.Sprintf(format, args...)})
			}
			switch dir := under(b.Node, hidden); {
			case topology.InPrivateView(b.Node): // the node side makes it there
			case dir != "":
				bad("mounts on %s, under %s, which the node sees empty; mount it under %s instead",
					b.Node, dir, strings.Join(topology.PrivateRoots, ", "))
			default:
				if _, err := os.Lstat(b.Node); err != nil {
					bad("mounts on %s, which the host does not have and the node cannot make (the host's tree is read-only in it); mount it under %s, or over a path the host has",
						b.Node, strings.Join(topology.PrivateRoots, ", "))
				}
			}
			if dir := under(b.Host, covered); dir != "" {
				bad("has its host path under %s, which the nodes of an ordinary user's lab see as their own, and they bind host paths as they see them; move it elsewhere, e.g. under /srv or /var/lib, or bring the lab up as root", dir)
			}
		}
	}
	return topology.Join(errs)
}

// under returns the directory of dirs that holds path (or is it), or "".
func under(path string, dirs []string) string {
	path = filepath.Clean(path)
	for _, d := range dirs {
		if path == d || strings.HasPrefix(path, strings.TrimSuffix(d, "/")+"/") {
			return d
		}
	}
	return ""
}

// bindPlace is where t's file writes the bind of n that err, the node
// side's refusal to start n, names ("bind PATH: ..." or "bind PATH on
// PATH: ..."), so that the error says which line to fix; else n's place.
func bindPlace(t *topology.Topology, n *topology.Node, err error) topology.Pos {
	msg := err.Error()
	for _, b := range n.Binds {
		for _, p := range []string{b.Node, b.Host} {
			if strings.Contains(msg, "bind "+p+":") || strings.Contains(msg, "bind "+p+" on ") {
				return b.Pos
			}
		}
	}
	return n.Pos
}
