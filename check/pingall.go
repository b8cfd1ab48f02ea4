package check

import (
	"fmt"

	"github.com/netlab-dev/netlab/topology"
)

// PingAll is Mininet's pingall for a netlab lab: a ping check from every
// node but bridges to every address of every other node, one request each,
// named "ping-all FROM to NODE-IFNAME (ADDRESS)". Each check waits the
// runner's default window.
func PingAll(t *topology.Topology) []*topology.Check {
	var out []*topology.Check
	for _, from := range t.Nodes {
		if from.Kind.Facts().Bridge {
			continue
		}
		for _, to := range t.Nodes {
			if to == from || to.Kind.Facts().Bridge {
				continue
			}
			for _, ifc := range to.Interfaces {
				for _, p := range ifc.Addrs {
					name := to.Name + "-" + ifc.Name
					out = append(out, &topology.Check{
						Kind: topology.CheckPing,
						Name: fmt.Sprintf("ping-all %s to %s (%s)", from.Name, name, p.Addr()),
						Node: from.Name,
						Ping: &topology.PingCheck{To: name, Addr: p.Addr(), Count: 1},
					})
				}
			}
		}
	}
	return out
}
