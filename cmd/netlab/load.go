package main

import (
	"errors"
	"io/fs"
	"os"

	"github.com/netlab-dev/netlab/topology"
)

// loadTopology is topology.Load for the verbs that take a FILE. A file that
// does not exist, is no regular file or is too large is the caller's
// mistake, exit code 2 like an invalid one, with a one-line message naming it.
func loadTopology(path string) (*topology.Topology, error) {
	t, err := topology.Load(path)
	var fe *topology.FileError
	if errors.As(err, &fe) && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, os.ErrPermission) {
		return nil, &exitError{code: exitUsage, msg: err.Error()}
	}
	if err != nil && errors.Is(err, os.ErrNotExist) {
		msg := err.Error()
		// The system's own "open FILE: no such file or directory".
		var pe *fs.PathError
		if errors.As(err, &pe) && pe == err {
			msg = path + ": no such file"
		}
		return nil, &exitError{code: exitUsage, msg: msg}
	}
	return t, err
}
