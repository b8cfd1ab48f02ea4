package netlab

import (
	"errors"
	"os"
	"path"
	"strings"

	"github.com/netlab-dev/netlab/topology"
)

// privateRoots are the directories a node has a view of its own: an
// overlay over the host's /etc, and tmpfs for the rest. `files:` may write
// only under them; anywhere else would be the host's own directory.
var privateRoots = []string{"/etc", "/root", "/tmp", "/run", "/var/run", "/var/tmp", "/dev/shm"}

// Check reports what the topology asks that netlab cannot do, beyond what
// the file format itself rules out, each error at its place in the file.
// Up runs it before it makes anything; `netlab validate` runs it too.
func Check(t *topology.Topology) error {
	// A Topology built in Go has not been through Load: its names become
	// paths and its sysctl keys files that root writes.
	if err := topology.Validate(t); err != nil {
		return err
	}
	return checkFiles(t)
}

// checkFiles reports every `files:` path outside a node's private view.
func checkFiles(t *topology.Topology) error {
	var errs []error
	for _, n := range t.Nodes {
		for _, f := range n.Files {
			if !inPrivateView(f.Key) {
				errs = append(errs, &topology.Error{File: t.File, Pos: f.Pos,
					Msg: "file " + f.Key + " of node " + n.Name + " is outside the node's private view; write it under " + strings.Join(privateRoots, ", ")})
			}
		}
	}
	return errors.Join(errs...)
}

func inPrivateView(p string) bool {
	p = path.Clean(p)
	for _, root := range privateRoots {
		if strings.HasPrefix(p, root+"/") {
			return true
		}
	}
	return false
}

// fileMode is 0755 for a script (content starting with #!), else 0644.
func fileMode(content string) os.FileMode {
	if strings.HasPrefix(content, "#!") {
		return 0o755
	}
	return 0o644
}
