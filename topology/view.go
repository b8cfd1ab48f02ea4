package topology

import (
	"fmt"
	"path"
	"strings"
)

// PrivateRoots are the directories of which a node has a view of its own:
// an overlay over the host's /etc, and tmpfs for the rest. A file under
// `files:` must be under one of them; anywhere else would be the host's own
// directory. netlab.Check refuses the others.
var PrivateRoots = []string{"/etc", "/root", "/tmp", "/run", "/var/run", "/var/tmp", "/dev/shm"}

// InPrivateView reports whether the file at p, once cleaned, is inside one
// of PrivateRoots (not one of them itself).
func InPrivateView(p string) bool {
	p = path.Clean(p)
	for _, root := range PrivateRoots {
		if strings.HasPrefix(p, root+"/") {
			return true
		}
	}
	return false
}

// viewError is the error for a file outside the private view, worded as
// netlab.Check words it. Parse and Validate add these only to a file that
// has other errors, so that fixing those does not uncover more: where the
// file has none, netlab.Check reports them itself.
func viewError(file string, at Pos, name, label string) *Error {
	return &Error{File: file, Pos: at, Msg: fmt.Sprintf("file %s of %s is outside the node's private view; write it under %s",
		show(name), label, strings.Join(PrivateRoots, ", "))}
}
