package main

import (
	"errors"
	"os"

	"github.com/netlab-dev/netlab/topology"
	"github.com/netlab-dev/netlab/topology/clab"
)

// loadTopology is topology.Load for the verbs that take a FILE, or
// clab.Load for a containerlab file (*.clab.yml, or with a top-level
// topology:), whose warnings go to warn when it is not nil. A file that
// does not exist, is no regular file or is too large is the caller's
// mistake, exit code 2 like an invalid one, with a one-line message naming
// it.
func loadTopology(path string, warn func(string)) (*topology.Topology, error) {
	t, err := readTopology(path, warn)
	// Load says each of these as a *FileError that names the file; one it
	// may not read stays an error of the machine's.
	var fe *topology.FileError
	if errors.As(err, &fe) && !errors.Is(err, os.ErrPermission) {
		return nil, &exitError{code: exitUsage, msg: err.Error()}
	}
	return t, err
}

func readTopology(path string, warn func(string)) (*topology.Topology, error) {
	data, err := topology.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !clab.Is(path, data) {
		return topology.Parse(path, data)
	}
	lab, err := clab.Parse(path, data, clab.Options{})
	if err != nil {
		return nil, err
	}
	if warn != nil {
		for _, w := range lab.Warnings {
			warn(w)
		}
	}
	return lab.Topology, nil
}
