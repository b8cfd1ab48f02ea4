package netlab

import (
	"fmt"

	"github.com/netlab-dev/netlab/topology"
)

// Topology is the lab's topology as up resolved it, from its state: what
// status, checks and graph read instead of the file, which may have
// changed since.
func (l *Lab) Topology() *topology.Topology { return l.state.Topology }

// Running says why the lab is not up and running, or returns nil: up did
// not finish, or the lab's supervisor or one of its nodes is gone. It
// reads no more than the state and /proc, so it is cheap to ask.
func (l *Lab) Running() error {
	st := l.state
	switch {
	case busy(labDir(st.Name)):
		return fmt.Errorf("lab %s is being brought up or taken down; check it once that is done", st.Name)
	case st.Phase != PhaseUp:
		return fmt.Errorf("lab %s is not up: up did not finish (killed?); remove what it made with: netlab down %s", st.Name, st.Name)
	case !st.Supervisor.alive():
		return fmt.Errorf("lab %s is not up: its processes are gone; remove the rest with: netlab down %s", st.Name, st.Name)
	}
	for _, n := range st.Nodes {
		if !n.Init.alive() {
			return fmt.Errorf("lab %s is broken: node %s is not running; remove the lab with: netlab down %s", st.Name, n.Name, st.Name)
		}
	}
	return nil
}
