package netlab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// nodeLog is one log of a node: its name (what `netlab logs NODE NAME`
// takes) and where it is in the node.
type nodeLog struct{ name, path string }

// nodeLogs are the logs of node n, netlab's own aside (those are every
// file of nsproc.LogDir: exec, daemons and each service): for an FRR node
// each daemon's log, which its start script puts in /run/frr, and the
// files its frr.conf logs to; for a BIRD node the files its bird.conf logs
// to.
func nodeLogs(n *topology.Node) []nodeLog {
	var out []nodeLog
	add := func(name, path string) {
		if !slices.ContainsFunc(out, func(l nodeLog) bool { return l.name == name || l.path == path }) {
			out = append(out, nodeLog{name, path})
		}
	}
	switch n.Kind.Facts().Suite {
	case topology.SuiteFRR:
		for _, d := range append(slices.Clone(frrAlways), n.Daemons...) {
			add(d, "/run/frr/"+d+".log")
		}
		add("vtysh-boot", "/run/frr/vtysh-boot.log")
		for _, m := range frrLogFile.FindAllStringSubmatch(n.Config, -1) {
			add(logName(m[1]), m[1])
		}
	case topology.SuiteBIRD:
		for _, m := range birdLogFile.FindAllStringSubmatch(n.Config, -1) {
			add(logName(m[1]), m[1])
		}
	}
	return out
}

// frrLogFile finds `log file PATH [LEVEL]` in an frr.conf.
var frrLogFile = regexp.MustCompile(`(?m)^\s*log\s+file\s+(/\S+)`)

// birdLogFile finds `log "PATH" ...;` in a bird.conf.
var birdLogFile = regexp.MustCompile(`(?m)^\s*log\s+"(/[^"]+)"`)

// logName names a log file a daemon's configuration chose: its base name
// without .log.
func logName(path string) string {
	return strings.TrimSuffix(filepath.Base(path), ".log")
}

// Logs shows node's logs on stdout: with service empty every log of the
// node (its exec steps, daemons and services, see nsproc.LogDir, and its
// routing daemons' own, see nodeLogs), else the one of that name; from the
// start, and with follow set as they grow until ctx ends. It runs the
// node's own tail(1).
func (l *Lab) Logs(ctx context.Context, node, service string, follow bool, stdout, stderr *os.File) (int, error) {
	st, err := l.state()
	if err != nil {
		return 0, err
	}
	n := st.Topology.Node(node)
	if n == nil {
		return 0, unknownNode(st, node)
	}
	ref := NodeRef{LabRef: l.Ref(), Node: node}
	daemons := nodeLogs(n)
	tailFlags := "-n +1"
	if follow {
		tailFlags += " -F"
	}
	var script string
	var args []string
	if service == "" {
		// Every log there is: netlab's, then the daemons'; the paths of
		// those come as arguments, never inside the script.
		script = `extra=$#
for f in ` + nsproc.LogDir + `/*.log "$@"; do [ -f "$f" ] && set -- "$@" "$f"; done
shift $extra
[ $# -gt 0 ] || exit 0
exec tail ` + tailFlags + ` "$@"`
		for _, l := range daemons {
			args = append(args, l.path)
		}
	} else {
		path := ""
		names := []string{"exec", "daemons"}
		for _, sv := range n.Services {
			names = append(names, sv.Key)
		}
		if slices.Contains(names, service) {
			path = nsproc.LogDir + "/" + service + ".log"
		}
		for _, l := range daemons {
			names = append(names, l.name)
			if l.name == service && path == "" {
				path = l.path
			}
		}
		if path == "" {
			return 0, badName(fmt.Sprintf("node %s has no log %q (logs: %s)%s", ref, service, strings.Join(names, ", "), DidYouMean(service, names)))
		}
		// A log not written yet: nothing to show, or, followed, what
		// comes once it is.
		// One that is not a regular file (node root may have put a FIFO
		// there) would block tail: refused.
		script = `if [ -e "$1" ] && [ ! -f "$1" ]; then echo "$1 is not a regular file" >&2; exit 1; fi
[ -f "$1" ] || [ -n "$FOLLOW" ] || exit 0; exec tail ` + tailFlags + ` "$1"`
		args = []string{path}
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return 0, err
	}
	defer null.Close()
	env := Env(nil)
	if follow {
		env = Env([]string{"FOLLOW=1"})
	}
	argv := append([]string{"/bin/sh", "-c", script, "logs"}, args...)
	return l.Exec(ctx, node, nsproc.Command{Argv: argv, Env: env, Stdin: null, Stdout: stdout, Stderr: stderr}, nil)
}
