package netlab

import (
	"context"
	"fmt"

	"github.com/netlab-dev/netlab/netlab/events"
	"github.com/netlab-dev/netlab/netlab/wire"
	"github.com/netlab-dev/netlab/topology"
)

// SetLink takes the link that ends at node:ifname down or up, at both of
// its ends, so that each side loses or regains carrier as a pulled or
// replugged cable would look to a routing protocol. Of a link to another
// host, this host's end: the other host sets its own. The link's state is
// recorded (a node started again brings up only links that are up, and
// save writes it), under the lab's lock, and told to netlab events.
func (l *Lab) SetLink(ctx context.Context, node, ifname string, up bool) error {
	st, lock, err := l.lockForChange(ctx, "change")
	if err != nil {
		return err
	}
	defer lock.unlock()
	link, err := linkAt(st, node, ifname)
	if err != nil {
		return err
	}
	socks, index, err := l.openLinkEnds(ctx, st, link)
	if err != nil {
		return err
	}
	defer closeLinkEnds(socks)
	for i, e := range link.Endpoints {
		if socks[i] == nil {
			continue // another host's
		}
		if err := socks[i].SetUp(index[i], up); err != nil {
			return fmt.Errorf("%s: set link: %w", e, err)
		}
	}
	link.Down = !up
	if err := l.m.writeState(st); err != nil {
		return err
	}
	state := "up"
	if !up {
		state = "down"
	}
	return events.Log(l.m.eventsPath(l.name), events.Event{Lab: l.name, Node: node, Interface: ifname, Kind: "link-set",
		Details: map[string]string{"state": state, "link": link.Endpoints[0].String() + " - " + link.Endpoints[1].String()}})
}

// linkAt finds the link that ends at node:ifname, a node of this host.
func linkAt(st *State, node, ifname string) (*topology.Link, error) {
	if host, ok := st.elsewhere(node); ok {
		return nil, fmt.Errorf("%w: node %s of lab %s runs on host %s, not on this one (%s): change its links there; each host changes its own end of a link", ErrBadName, node, st.Name, host, st.Host)
	}
	for _, l := range st.Topology.Links {
		for _, e := range l.Endpoints {
			if e.Node == node && e.Interface == ifname {
				return l, nil
			}
		}
	}
	if st.node(node) == nil {
		return nil, unknownNode(st, node)
	}
	return nil, fmt.Errorf("%w: lab %s has no link at %s:%s", ErrBadName, st.Name, node, ifname)
}

// openLinkEnds opens a netlink socket in the node of each end of link, and
// gives each end's ifindex: the one up gave it, nothing to look up. An end
// on another host gets no socket. The caller closes the sockets with
// closeLinkEnds.
func (l *Lab) openLinkEnds(ctx context.Context, st *State, link *topology.Link) ([2]*wire.Socket, [2]int, error) {
	var socks [2]*wire.Socket
	var index [2]int
	ifindex := ifindexes(st.Topology)
	for i, e := range link.Endpoints {
		ns := st.node(e.Node)
		if _, ok := st.elsewhere(e.Node); ok {
			continue
		}
		var err error
		switch {
		case ns == nil:
			err = fmt.Errorf("node %s is not running", e.Node)
		case ns.Stopped:
			err = stoppedNode(l.Ref(), e.Node)
		default:
			socks[i], err = nodeNetlink(ctx, l.m.socketPath(st.Name, ns.Name), ns)
		}
		if err != nil {
			closeLinkEnds(socks)
			return socks, index, fmt.Errorf("%s: %w", e, err)
		}
		index[i] = ifindex[e]
	}
	return socks, index, nil
}

func closeLinkEnds(socks [2]*wire.Socket) {
	for _, s := range socks {
		if s != nil {
			s.Close()
		}
	}
}
