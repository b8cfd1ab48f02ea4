package netlab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
	"golang.org/x/sys/unix"
)

// Lab is a lab that has state on this machine.
type Lab struct {
	state *State
}

// Open returns the lab called name from its state.
func Open(name string) (*Lab, error) {
	if err := checkLabName(name); err != nil {
		return nil, err
	}
	st, err := readState(name)
	if err != nil {
		return nil, err
	}
	return &Lab{state: st}, nil
}

// Name is the lab's name.
func (l *Lab) Name() string { return l.state.Name }

// Nodes lists the lab's node names in topology order.
func (l *Lab) Nodes() []string {
	var out []string
	for _, n := range l.state.Nodes {
		out = append(out, n.Name)
	}
	return out
}

// Down takes the lab down.
func (l *Lab) Down(ctx context.Context) error { return Down(ctx, l.state.Name) }

// Exec runs cmd in node and returns its exit code; see nsproc.Run.
func (l *Lab) Exec(ctx context.Context, node string, cmd nsproc.Command) (int, error) {
	if l.state.node(node) == nil {
		return 0, unknownNode(l.state, node)
	}
	return nsproc.Run(ctx, socketPath(l.state.Name, node), cmd, nil)
}

// Packet returns an AF_PACKET socket bound to interface ifname of node,
// opened by the node's agent; see nsproc.Packet. A node that cannot be
// reached gets Exec's message of why.
func (l *Lab) Packet(ctx context.Context, node, ifname string) (*os.File, error) {
	if l.state.node(node) == nil {
		return nil, unknownNode(l.state, node)
	}
	f, err := nsproc.Packet(ctx, socketPath(l.state.Name, node), ifname)
	if errors.Is(err, unix.ECONNREFUSED) || errors.Is(err, unix.EACCES) || errors.Is(err, os.ErrNotExist) {
		return nil, unreachable(l.state.Name, node, err)
	}
	return f, err
}

// NodeAlive reports whether node's agent, and with it the node, still runs.
func (l *Lab) NodeAlive(node string) bool {
	ns := l.state.node(node)
	return ns != nil && ns.Agent.alive()
}

// Exec runs cmd in node of lab, relaying signals to it; see nsproc.Run. It
// reads the lab's state only when the node cannot be reached, to say why.
func Exec(ctx context.Context, lab, node string, cmd nsproc.Command, signals <-chan os.Signal) (int, error) {
	if err := checkLabName(lab); err != nil {
		return 0, err
	}
	if !topology.ValidNodeName(node) {
		return 0, fmt.Errorf("%w: node %q", ErrBadName, node)
	}
	if err := checkStateRoot(); err != nil {
		return 0, err
	}
	sock := socketPath(lab, node)
	if _, err := os.Stat(sock); err != nil {
		return 0, unreachable(lab, node, err)
	}
	code, err := nsproc.Run(ctx, sock, cmd, signals)
	if err != nil && !errors.As(err, new(*nsproc.ExitError)) && ctx.Err() == nil {
		if errors.Is(err, unix.ECONNREFUSED) || errors.Is(err, unix.EACCES) || errors.Is(err, os.ErrNotExist) {
			return code, unreachable(lab, node, err)
		}
		return code, fmt.Errorf("node %s/%s: %w", lab, node, err)
	}
	return code, err
}

// unreachable says why a node's exec socket could not be reached (err):
// the lab is another user's, it has no such node, or the node is not
// running, with what to do about it.
func unreachable(lab, node string, err error) error {
	if errors.Is(err, unix.EACCES) {
		owner := "another user"
		if fi, serr := os.Stat(StateRoot()); serr == nil {
			if u := fi.Sys().(*syscall.Stat_t).Uid; u == 0 {
				owner = "root"
			} else {
				owner = fmt.Sprintf("uid %d", u)
			}
		}
		return fmt.Errorf("lab %s is %s's: only its owner may enter its nodes (run netlab as that user)", lab, owner)
	}
	st, serr := readState(lab)
	if serr != nil {
		return serr
	}
	ns := st.node(node)
	if ns == nil {
		return unknownNode(st, node)
	}
	why := "its init is gone"
	if ns.Init.alive() {
		why = "its agent is gone, and with it every process of the node"
	}
	return fmt.Errorf("node %s of lab %s is not running (%s%s); take the lab down with: netlab down %s", node, lab, why, oomNote(st), lab)
}

func unknownNode(st *State, node string) error {
	var names []string
	for _, n := range st.Nodes {
		names = append(names, n.Name)
	}
	return fmt.Errorf("%w: lab %s has no node %q (nodes: %s)", ErrBadName, st.Name, node, strings.Join(names, ", "))
}

// Labs lists the names of labs that have state, sorted.
func Labs() ([]string, error) {
	if err := checkStateRoot(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(StateRoot())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list labs: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && checkLabName(e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// ResolveNode turns a node argument into lab and node: "LAB/NODE", or NODE
// of the lab given, or of the only lab that is up. Names that no lab or
// node could have are refused: they become paths.
func ResolveNode(arg, lab string) (string, string, error) {
	l, n, err := resolveNode(arg, lab)
	if err == nil && !topology.ValidNodeName(n) {
		err = fmt.Errorf("%w: node %q", ErrBadName, n)
	}
	if err == nil {
		err = checkLabName(l)
	}
	return l, n, err
}

func resolveNode(arg, lab string) (string, string, error) {
	if l, n, ok := strings.Cut(arg, "/"); ok {
		if lab != "" && lab != l {
			return "", "", fmt.Errorf("node %s names lab %s but --lab says %s", arg, l, lab)
		}
		return l, n, nil
	}
	if lab != "" {
		return lab, arg, nil
	}
	labs, err := Labs()
	if err != nil {
		return "", "", err
	}
	switch len(labs) {
	case 0:
		return "", "", errors.New("no lab is up; start one with: netlab up FILE")
	case 1:
		return labs[0], arg, nil
	}
	return "", "", fmt.Errorf("several labs are up (%s); say which with --lab LAB or LAB/%s", strings.Join(labs, ", "), arg)
}

// DefaultPath is PATH in a node unless the caller sets another.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Env is the clean environment of a command in a node: PATH, HOME, TERM
// when the caller has one, then extra (KEY=VALUE) pairs added or overriding.
func Env(extra []string) []string {
	env := map[string]string{"PATH": DefaultPath, "HOME": "/root"}
	if t := os.Getenv("TERM"); t != "" {
		env["TERM"] = t
	}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Logs shows a node's logs (see nsproc.LogDir) on stdout: the log of one
// service, or with service empty every log of the node (its exec steps,
// daemons and services), from the start, and with follow set as they grow
// until ctx ends. It runs the node's own tail(1).
func Logs(ctx context.Context, lab, node, service string, follow bool, stdout, stderr *os.File) (int, error) {
	if service != "" && !topology.ValidServiceName(service) {
		return 0, fmt.Errorf("%w: service %q", ErrBadName, service)
	}
	st, err := readState(lab)
	if err != nil {
		return 0, err
	}
	n := st.Topology.Node(node)
	if n == nil {
		return 0, unknownNode(st, node)
	}
	if service != "" && service != "exec" && service != "daemons" {
		var names []string
		for _, sv := range n.Services {
			names = append(names, sv.Key)
		}
		if !slices.Contains(names, service) {
			return 0, fmt.Errorf("%w: node %s/%s has no service %q (services: %s; logs exec and daemons hold its exec steps and daemons)",
				ErrBadName, lab, node, service, strings.Join(append(names, "none")[:max(len(names), 1)], ", "))
		}
	}
	script := `cd ` + nsproc.LogDir + ` 2>/dev/null || exit 0; set -- *.log; [ -e "$1" ] || exit 0; exec tail -n +1 ` + map[bool]string{true: "-F ", false: ""}[follow] + `"$@"`
	if service != "" {
		script = `f=` + nsproc.LogDir + `/` + service + `.log; [ -e "$f" ] || [ -n "$FOLLOW" ] || exit 0; exec tail -n +1 ` + map[bool]string{true: "-F ", false: ""}[follow] + `"$f"`
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
	return Exec(ctx, lab, node, nsproc.Command{Argv: []string{"/bin/sh", "-c", script}, Env: env, Stdin: null, Stdout: stdout, Stderr: stderr}, nil)
}
