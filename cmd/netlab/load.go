package main

import (
	"errors"
	"os"

	"github.com/netlab-dev/netlab/topology"
)

// loadTopology is topology.Load for the verbs that take a FILE. A file that
// does not exist, is no regular file or is too large is the caller's
// mistake, exit code 2 like an invalid one, with a one-line message naming it.
func loadTopology(path string) (*topology.Topology, error) {
	t, err := topology.Load(path)
	// Load says each of these as a *FileError that names the file; one it
	// may not read stays an error of the machine's.
	var fe *topology.FileError
	if errors.As(err, &fe) && !errors.Is(err, os.ErrPermission) {
		return nil, &exitError{code: exitUsage, msg: err.Error()}
	}
	return t, err
}
