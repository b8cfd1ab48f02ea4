package netlab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
	"golang.org/x/sys/unix"
)

// Lab is a lab that has state on a machine, opened once (OpenLab) for
// every operation on it. Its state is read at most once, when an
// operation first needs it: entering a node needs only the node's socket,
// and a 1000-node lab's state.json (half a megabyte) costs more to decode
// than a command's round trip. What changes the lab (Down, ImpairLink)
// takes the lab's lock and reads the state anew under it.
type Lab struct {
	m     *Machine
	name  string
	state func() (*State, error)
}

// OpenLab opens m's lab called name: the name checked, the lab there (up,
// or with anything left of it). A lab that is not is an error wrapping
// ErrNoLab that lists those that are.
func (m *Machine) OpenLab(name string) (*Lab, error) {
	if err := checkLabName(name); err != nil {
		return nil, err
	}
	if m.Own() {
		if err := m.checkStateRoot(); err != nil {
			return nil, err
		}
	}
	if !m.hasLab(name) {
		up, err := m.Labs()
		if err != nil {
			return nil, err
		}
		user := ""
		if !m.Own() {
			user = m.User
		}
		return nil, m.NotUpError(name, user, up)
	}
	return m.openedLab(name, nil), nil
}

// openedLab is m's lab name, whose state is st when the caller has read
// it, else read when first needed.
func (m *Machine) openedLab(name string, st *State) *Lab {
	l := &Lab{m: m, name: name}
	if st != nil {
		l.state = func() (*State, error) { return st, nil }
	} else {
		l.state = sync.OnceValues(func() (*State, error) { return m.readState(name) })
	}
	return l
}

// Open opens the lab ref names (see Machine.OpenLab).
func (r LabRef) Open() (*Lab, error) { return r.Machine.OpenLab(r.Name) }

// Name is the lab's name.
func (l *Lab) Name() string { return l.name }

// Ref names the lab and its machine.
func (l *Lab) Ref() LabRef { return LabRef{Machine: l.m, Name: l.name} }

// Host is which of the lab's hosts this machine is, for a lab across
// hosts; "" for a lab of one machine, or when its state cannot be read.
func (l *Lab) Host() string {
	st, err := l.state()
	if err != nil {
		return ""
	}
	return st.Host
}

// Nodes lists the lab's node names in topology order: of a lab across
// hosts, those of this host.
func (l *Lab) Nodes() ([]string, error) {
	st, err := l.state()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range st.Nodes {
		out = append(out, n.Name)
	}
	return out, nil
}

// Exec runs cmd in node, relaying signals to it, and returns its exit
// code; see nsproc.Run. The lab's state is read only when the node cannot
// be reached, to say why.
func (l *Lab) Exec(ctx context.Context, node string, cmd nsproc.Command, signals <-chan os.Signal) (int, error) {
	if err := checkCommand(cmd); err != nil {
		return 0, err
	}
	if !topology.ValidNodeName(node) {
		return 0, l.unknownNode(node)
	}
	if l.m.Own() {
		if _, err := os.Stat(l.m.socketPath(l.name, node)); err != nil {
			return 0, l.unreachable(node, err)
		}
	}
	sock, release, err := l.m.socket(l.name, node)
	if err != nil {
		return 0, l.unreachable(node, err)
	}
	defer release()
	code, err := nsproc.Run(ctx, sock, cmd, signals)
	if err != nil && !errors.As(err, new(*nsproc.ExitError)) && ctx.Err() == nil {
		// Exec reads no state on its way (it is the round trip users
		// wait for); when the node did not answer, the state may say why.
		if st, serr := l.state(); serr == nil {
			if perr := l.otherProtocol(st); perr != nil {
				return code, perr
			}
		}
		if errors.Is(err, unix.ECONNREFUSED) || errors.Is(err, unix.EACCES) || errors.Is(err, os.ErrNotExist) {
			return code, l.unreachable(node, err)
		}
		return code, fmt.Errorf("node %s: %w", NodeRef{LabRef: l.Ref(), Node: node}, err)
	}
	return code, err
}

// nodeState is the state of l's node, or an error that says which nodes
// the lab has.
func (l *Lab) nodeState(node string) (*State, *NodeState, error) {
	st, err := l.state()
	if err != nil {
		return nil, nil, err
	}
	ns := st.node(node)
	if ns == nil {
		return nil, nil, unknownNode(st, node)
	}
	if err := l.otherProtocol(st); err != nil {
		return nil, nil, err
	}
	return st, ns, nil
}

// otherProtocol says so when st's lab was started by a netlab whose nodes
// speak another version of nsproc's protocol than this one.
func (l *Lab) otherProtocol(st *State) error {
	if st.Protocol == nsproc.ProtocolVersion {
		return nil
	}
	return fmt.Errorf("lab %s was started by another version of netlab, whose nodes speak another protocol (%d; this netlab's is %d): take it down (netlab down %s works with any version) and bring it up again", l.name, st.Protocol, nsproc.ProtocolVersion, l.name)
}

// unknownNode says that l has no node called node, and which it has (or
// why its state cannot say).
func (l *Lab) unknownNode(node string) error {
	st, err := l.state()
	if err != nil {
		return fmt.Errorf("%w: node %q", ErrBadName, node)
	}
	return unknownNode(st, node)
}

// Run runs argv in node with an empty stdin and returns its exit code and
// the end of its output (at most maxOutput bytes), stdout and stderr
// together, kept in a memory file that is read once the command exits: no
// pipe to drain, and nothing to wait for when the command leaves a
// process behind that holds its output open. A command that could not
// start is its *nsproc.ExitError.
func (l *Lab) Run(ctx context.Context, node string, argv []string) (int, []byte, error) {
	if _, _, err := l.nodeState(node); err != nil {
		return 0, nil, err
	}
	sock, release, err := l.m.socket(l.name, node)
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
	if _, _, err := l.nodeState(node); err != nil {
		return nil, err
	}
	sock, release, err := l.m.socket(l.name, node)
	if err != nil {
		return nil, err
	}
	defer release()
	// A socket is the agent's to open at once: a node that does not
	// answer in that time will not.
	actx, cancel := context.WithTimeout(ctx, serviceAskTimeout)
	defer cancel()
	f, err := nsproc.Packet(actx, sock, ifname)
	if errors.Is(err, unix.ECONNREFUSED) || errors.Is(err, unix.EACCES) || errors.Is(err, os.ErrNotExist) {
		return nil, l.unreachable(node, err)
	}
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("node %s of lab %s did not answer within %v", node, l.name, serviceAskTimeout)
	}
	return f, err
}

// NodeAlive reports whether node's process, and with it the node, still runs.
func (l *Lab) NodeAlive(node string) bool {
	_, ns, err := l.nodeState(node)
	return err == nil && ns.Init.alive()
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

// unreachable says why node's exec socket could not be reached (err): the
// lab is another user's, it has no such node, or the node is not running,
// with what to do about it.
func (l *Lab) unreachable(node string, err error) error {
	d, lab := l.m, l.name
	if errors.Is(err, unix.EACCES) && d.Own() {
		owner := "another user"
		if fi, serr := os.Stat(d.StateRoot); serr == nil {
			if u := fi.Sys().(*syscall.Stat_t).Uid; u == 0 {
				owner = "root"
			} else {
				owner = fmt.Sprintf("uid %d", u)
			}
		}
		return fmt.Errorf("lab %s is %s's: only its owner may enter its nodes (run netlab as that user)", lab, owner)
	}
	st, ns, serr := l.nodeState(node)
	if serr != nil {
		return serr
	}
	if ns.Stopped {
		return stoppedNode(l.Ref(), node)
	}
	if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ECONNREFUSED) && !d.Own() {
		return fmt.Errorf("node %s of lab %s of user %s: %w", node, lab, d.User, err)
	}
	why := "its init is gone"
	if ns.Init.alive() {
		why = "its init does not answer on its exec socket"
	}
	ref := l.Ref()
	return fmt.Errorf("node %s of lab %s is not running (%s%s); start it again with: netlab start %s/%s", node, ref, why, oomNote(st), ref, node)
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

// ownLabs lists the names of the labs of the caller's own m that have
// state, sorted.
func (m *Machine) ownLabs() ([]string, error) {
	if err := m.checkStateRoot(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(m.StateRoot)
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
