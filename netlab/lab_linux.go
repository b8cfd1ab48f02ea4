package netlab

import (
	"context"
	"errors"
	"fmt"
	"os"
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
	dir   *StateDir // nil: the caller's own (see LabRef.dir)
}

// Open returns the caller's lab called name from its state.
func Open(name string) (*Lab, error) { return OwnStateDir().Open(name) }

// Open returns d's lab called name from its state.
func (d *StateDir) Open(name string) (*Lab, error) {
	if err := checkLabName(name); err != nil {
		return nil, err
	}
	st, err := d.readState(name)
	if err != nil {
		return nil, err
	}
	return &Lab{state: st, dir: d}, nil
}

// Open returns the lab ref names from its state.
func (r LabRef) Open() (*Lab, error) { return r.dir().Open(r.Name) }

// Name is the lab's name.
func (l *Lab) Name() string { return l.state.Name }

// Ref names the lab and its state directory.
func (l *Lab) Ref() LabRef { return LabRef{Dir: l.dir, Name: l.state.Name} }

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
	if err := checkCommand(cmd); err != nil {
		return 0, err
	}
	if l.state.node(node) == nil {
		return 0, unknownNode(l.state, node)
	}
	sock, release, err := l.Ref().dir().socket(l.state.Name, node)
	if err != nil {
		return 0, err
	}
	defer release()
	return nsproc.Run(ctx, sock, cmd, nil)
}

// Run runs argv in node with an empty stdin and returns its exit code and
// the end of its output (at most maxOutput bytes), stdout and stderr
// together, kept in a memory file that is read once the command exits: no
// pipe to drain, and nothing to wait for when the command leaves a
// process behind that holds its output open. A command that could not
// start is its *nsproc.ExitError.
func (l *Lab) Run(ctx context.Context, node string, argv []string) (int, []byte, error) {
	if l.state.node(node) == nil {
		return 0, nil, unknownNode(l.state, node)
	}
	sock, release, err := l.Ref().dir().socket(l.state.Name, node)
	if err != nil {
		return 0, nil, err
	}
	defer release()
	return runCaptured(ctx, sock, argv, nil)
}

// maxOutput is how much of a command's output Lab.Run keeps: its end.
const maxOutput = 64 << 10

// runCaptured is Lab.Run on the node whose agent serves socket, with env
// (KEY=VALUE) over netlab's environment.
func runCaptured(ctx context.Context, socket string, argv, env []string) (int, []byte, error) {
	fd, err := unix.MemfdCreate("netlab-run", unix.MFD_CLOEXEC)
	if err != nil {
		return 0, nil, os.NewSyscallError("memfd_create", err)
	}
	out := os.NewFile(uintptr(fd), "output")
	defer out.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		return 0, nil, err
	}
	defer null.Close()
	code, err := nsproc.Run(ctx, socket, nsproc.Command{Argv: argv, Env: Env(env), Dir: "/", Stdin: null, Stdout: out, Stderr: out}, nil)
	if err != nil {
		return code, nil, err
	}
	return code, readTail(out, maxOutput), nil
}

// readTail reads the last limit bytes of f.
func readTail(f *os.File, limit int64) []byte {
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	off := max(st.Size()-limit, 0)
	b := make([]byte, st.Size()-off)
	n, _ := f.ReadAt(b, off) // what could be read is what there is
	return b[:n]
}

// Packet returns an AF_PACKET socket bound to interface ifname of node,
// opened by the node's agent; see nsproc.Packet. A node that cannot be
// reached gets Exec's message of why.
func (l *Lab) Packet(ctx context.Context, node, ifname string) (*os.File, error) {
	if l.state.node(node) == nil {
		return nil, unknownNode(l.state, node)
	}
	sock, release, err := l.Ref().dir().socket(l.state.Name, node)
	if err != nil {
		return nil, err
	}
	defer release()
	f, err := nsproc.Packet(ctx, sock, ifname)
	if errors.Is(err, unix.ECONNREFUSED) || errors.Is(err, unix.EACCES) || errors.Is(err, os.ErrNotExist) {
		return nil, unreachable(l.Ref().dir(), l.state.Name, node, err)
	}
	return f, err
}

// NodeAlive reports whether node's agent, and with it the node, still runs.
func (l *Lab) NodeAlive(node string) bool {
	ns := l.state.node(node)
	return ns != nil && ns.Init.alive()
}

// ErrBadCommand is what errors about a command no node could run as given
// are.
var ErrBadCommand = errors.New("bad command")

type badCommand string

func (e badCommand) Error() string        { return string(e) }
func (e badCommand) Is(target error) bool { return target == ErrBadCommand }

// checkCommand refuses, before anything is sent, a command with a NUL
// byte in an argument, a variable or its directory: no program can
// receive one (the kernel ends each string at the first), so the node
// would run something other than what was asked.
func checkCommand(cmd nsproc.Command) error {
	for i, a := range cmd.Argv {
		if strings.IndexByte(a, 0) >= 0 {
			return badCommand(fmt.Sprintf("argument %d of the command holds a NUL byte, which no program can receive; pass such data on stdin or in a file", i+1))
		}
	}
	for _, kv := range cmd.Env {
		if strings.IndexByte(kv, 0) >= 0 {
			k, _, _ := strings.Cut(kv, "=")
			return badCommand(fmt.Sprintf("environment variable %q holds a NUL byte, which no program can receive", k))
		}
	}
	if strings.IndexByte(cmd.Dir, 0) >= 0 {
		return badCommand("the working directory holds a NUL byte, which no program can be given")
	}
	return nil
}

// Exec runs cmd in the node ref names, relaying signals to it; see
// nsproc.Run. It reads the lab's state only when the node cannot be
// reached, to say why.
func Exec(ctx context.Context, ref NodeRef, cmd nsproc.Command, signals <-chan os.Signal) (int, error) {
	d, lab, node := ref.dir(), ref.Name, ref.Node
	if err := checkCommand(cmd); err != nil {
		return 0, err
	}
	if err := checkLabName(lab); err != nil {
		return 0, err
	}
	if !topology.ValidNodeName(node) {
		return 0, fmt.Errorf("%w: node %q", ErrBadName, node)
	}
	if d.Own() {
		if err := checkStateRoot(); err != nil {
			return 0, err
		}
		if _, err := os.Stat(socketPath(lab, node)); err != nil {
			return 0, unreachable(d, lab, node, err)
		}
	}
	sock, release, err := d.socket(lab, node)
	if err != nil {
		return 0, unreachable(d, lab, node, err)
	}
	defer release()
	code, err := nsproc.Run(ctx, sock, cmd, signals)
	if err != nil && !errors.As(err, new(*nsproc.ExitError)) && ctx.Err() == nil {
		if errors.Is(err, unix.ECONNREFUSED) || errors.Is(err, unix.EACCES) || errors.Is(err, os.ErrNotExist) {
			return code, unreachable(d, lab, node, err)
		}
		return code, fmt.Errorf("node %s: %w", ref, err)
	}
	return code, err
}

// unreachable says why a node's exec socket of lab in d could not be
// reached (err): the lab is another user's, it has no such node, or the
// node is not running, with what to do about it.
func unreachable(d *StateDir, lab, node string, err error) error {
	if errors.Is(err, unix.EACCES) && d.Own() {
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
	st, serr := d.readState(lab)
	if serr != nil {
		return serr
	}
	ns := st.node(node)
	if ns == nil {
		return unknownNode(st, node)
	}
	if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ECONNREFUSED) && !d.Own() {
		return fmt.Errorf("node %s of lab %s of user %s: %w", node, lab, d.User, err)
	}
	why := "its init is gone"
	if ns.Init.alive() {
		why = "its init does not answer on its exec socket"
	}
	ref := LabRef{Dir: d, Name: lab}
	return fmt.Errorf("node %s of lab %s is not running (%s%s); take the lab down with: netlab down %s", node, ref, why, oomNote(st), ref)
}

// unknownNode says that st's lab has no node called node, which it has,
// and which of them node may be a misspelling of.
func unknownNode(st *State, node string) error {
	var names []string
	for _, n := range st.Nodes {
		names = append(names, n.Name)
	}
	return badName(fmt.Sprintf("lab %s has no node %q (nodes: %s)%s", st.Name, node, strings.Join(names, ", "), DidYouMean(node, names)))
}

// Labs lists the names of the caller's labs that have state, sorted.
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
