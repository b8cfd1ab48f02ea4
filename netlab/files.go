package netlab

import (
	"os"
	"strings"

	"github.com/netlab-dev/netlab/topology"
)

// Check reports what the topology asks that netlab cannot do, beyond what
// the file format itself rules out, each error at its place in the file.
// Up runs it before it makes anything (on a lab across hosts, the binds
// of this host's nodes only); `netlab validate` runs it too. What it
// cannot do differs with m's owner: an ordinary user's nodes bind host
// paths as they see them.
func (m *Machine) Check(t *topology.Topology) error {
	if err := checkTopology(t); err != nil {
		return err
	}
	return m.bindProblems(t, t.Nodes)
}

// checkTopology is what Check asks of t whatever the machine.
func checkTopology(t *topology.Topology) error {
	// A Topology built in Go has not been through Load: its names become
	// paths and its sysctl keys files that root writes.
	if err := topology.Validate(t); err != nil {
		return err
	}
	if err := interfaceRangeProblems(t); err != nil {
		return err
	}
	return topology.ViewErrors(t)
}

// fileMode is 0755 for a script (content starting with #!), else 0644.
func fileMode(content string) os.FileMode {
	if strings.HasPrefix(content, "#!") {
		return 0o755
	}
	return 0o644
}
