package netlab

import (
	"fmt"

	"github.com/netlab-dev/netlab/topology"
)

// The node side does not yet apply two things a topology may declare:
// binds (a mount in the node's own mount namespace, for which
// nsproc.NodeConfig needs Binds, filled by startNode from each node's
// Binds) and per-node limits (a cgroup per node under the lab's, made by
// the lab's cgroup code from each node's Limits). Until it does, Check
// refuses binds at their line, since a lab without its files would not be
// the lab the file describes, and Unapplied names the per-node limits up
// goes on without, since dropping a bound keeps the lab's meaning.

// unmountedBinds refuses every bind of t, each at its line.
func unmountedBinds(t *topology.Topology) error {
	var errs []*topology.Error
	for _, n := range t.Nodes {
		for _, b := range n.Binds {
			errs = append(errs, &topology.Error{File: t.File, Pos: b.Pos, Msg: fmt.Sprintf(
				"bind %s of node %s: this netlab does not mount binds in nodes yet; copy the file under files: (in /etc, /root, /tmp or /run) if the node only reads it, or remove the bind",
				b, n.Name)})
		}
	}
	return topology.Join(errs)
}

// Unapplied lists, one line each, what t declares that up goes on
// without: each node's limits.
func Unapplied(t *topology.Topology) []string {
	var out []string
	for _, n := range t.Nodes {
		if !n.Limits.Zero() {
			out = append(out, fmt.Sprintf("%s: limits of node %s are not applied: this netlab bounds the lab as a whole (limits: at the top), not each node",
				n.Limits.Pos.In(t.File), n.Name))
		}
	}
	return out
}
