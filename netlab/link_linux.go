package netlab

import (
	"fmt"

	"github.com/netlab-dev/netlab/topology"
)

// SetLink takes the link that ends at node:ifname of lab down or up, at
// both of its ends, so that each side loses or regains carrier as a pulled
// or replugged cable would look to a routing protocol.
func SetLink(lab, node, ifname string, up bool) error {
	if err := checkLabName(lab); err != nil {
		return err
	}
	st, err := readState(lab)
	if err != nil {
		return err
	}
	link, err := linkAt(st, node, ifname)
	if err != nil {
		return err
	}
	// Each end's ifindex is the one up gave it: nothing to look up.
	index := ifindexes(st.Topology)
	for _, e := range link.Endpoints {
		if err := setInterface(st, e, index[e], up); err != nil {
			return fmt.Errorf("%s: %w", e, err)
		}
	}
	return nil
}

func setInterface(st *State, e topology.Endpoint, index int, up bool) error {
	ns := st.node(e.Node)
	if ns == nil {
		return fmt.Errorf("node %s is not running", e.Node)
	}
	h, err := nodeNetlink(st.Name, ns)
	if err != nil {
		return err
	}
	defer h.Close()
	if err := h.SetUp(index, up); err != nil {
		return fmt.Errorf("set link: %w", err)
	}
	return nil
}
