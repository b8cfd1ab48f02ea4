package netlab

import (
	"fmt"

	"github.com/netlab-dev/netlab/topology"
)

// Topology is the lab's topology as up resolved it, from its state: what
// status, checks and graph read instead of the file, which may have
// changed since.
func (l *Lab) Topology() (*topology.Topology, error) {
	st, err := l.state()
	if err != nil {
		return nil, err
	}
	return st.Topology, nil
}

// Running says why the lab is not up and running, or returns nil: up did
// not finish, or the lab's supervisor or one of its nodes is gone. It
// reads no more than the state and /proc, so it is cheap to ask.
func (l *Lab) Running() error {
	st, err := l.state()
	if err != nil {
		return err
	}
	switch state, problem := st.health(l.Ref(), l.m.busy(st.Name), func(i int) bool { return st.Nodes[i].Init.alive() }); {
	case state == string(PhaseUp):
		return nil
	case problem == "":
		return fmt.Errorf("lab %s is %s; check it once that is done", l.Ref(), state)
	default:
		return fmt.Errorf("lab %s is %s: %s", l.Ref(), state, problem)
	}
}
