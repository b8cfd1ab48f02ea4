package netlab

import (
	"fmt"

	"github.com/netlab-dev/netlab/topology"
)

// The node side does not yet apply one thing a topology may declare:
// per-node limits (a cgroup per node under the lab's, made by the lab's
// cgroup code from each node's Limits). Until it does, Unapplied names the
// per-node limits up goes on without, since dropping a bound keeps the
// lab's meaning. Binds it does apply: startNode hands them to the node side
// (nsproc.NodeConfig.Binds).

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
