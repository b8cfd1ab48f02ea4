package netlab

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/topology"
)

// Other users' machines: root in class mode reaches an ordinary user's
// labs as a Machine of that user's, whose state root it found where the
// user's netlab keeps it.
//
// A user's state directory is hostile input to root: the user may put
// anything there, swap any of it at any moment, and make its files
// symlinks, FIFOs or huge. So root opens it once, checks it is a 0700
// directory of the user's own, and from then on reaches what is in it only
// beneath that descriptor: no symlink is followed, every file must be the
// user's, of the type expected and within a size bound, and a node's socket
// is dialled through the descriptor of the very socket that was checked.
// Root only reads there; what changes a user's lab (down, up) runs as that
// user (see RunAsOwner).

// ErrNotRoot is wrapped by errors about reaching other users' labs without
// being root.
var ErrNotRoot = errors.New("only root may reach other users' labs")

// Bounds on what root reads of a user's state directory.
const (
	maxForeignLabs  = 1024     // lab directories read in one state directory
	maxForeignState = 32 << 20 // bytes of one state.json (a 1000-node lab's is ~1 MB)
)

// account is a user as the state directories of its labs are found.
type account struct {
	name     string
	uid, gid int
	home     string
}

// stateDirCandidates are where an ordinary user's netlab keeps its labs'
// state when NETLAB_STATE_DIR does not say (see Machine.StateRoot), in the
// order it picks them.
func stateDirCandidates(a account) []string {
	out := []string{fmt.Sprintf("/run/user/%d/netlab", a.uid)}
	if filepath.IsAbs(a.home) {
		out = append(out, filepath.Join(a.home, ".netlab"))
	}
	return append(out, fmt.Sprintf("/tmp/netlab-%d", a.uid))
}

// UserMachines are the machines of user name (a name or a uid) as m's
// owner reaches them, one per state directory of the user's that holds
// labs: for m's own user, m; for another user's, only when m is root's.
// What is in the way of reading one (a symlink, another owner, open modes)
// is an error.
func (m *Machine) UserMachines(name string) ([]*Machine, error) {
	a, err := lookupAccount(name)
	if err != nil {
		return nil, err
	}
	if a.uid == m.UID {
		return []*Machine{m}, nil
	}
	if m.Rootless {
		return nil, fmt.Errorf("%w: the labs of user %s are theirs alone (run netlab as %s)", ErrNotRoot, a.name, a.name)
	}
	dirs, refused := openUserMachines(a, "")
	if len(dirs) == 0 && len(refused) > 0 {
		return nil, errors.Join(refused...)
	}
	return dirs, nil
}

// openUserMachines opens the state directories of user a that are there
// (but skip), and says why of each it refuses.
func openUserMachines(a account, skip string) (dirs []*Machine, refused []error) {
	for _, p := range stateDirCandidates(a) {
		if p == skip {
			continue
		}
		d, err := openUserMachine(p, a)
		switch {
		case err != nil:
			refused = append(refused, err)
		case d != nil:
			dirs = append(dirs, d)
		}
	}
	return dirs, refused
}

// UserDefaultMachine is user name's machine when the user has no lab yet,
// its state root where the user's netlab would put it (see
// Machine.StateRoot): /run/user/UID/netlab when the user has a runtime
// directory, else ~/.netlab in a home of the user's own, else
// /tmp/netlab-UID. It is not there yet: only RunAsOwner may use it, and
// the user's netlab makes and checks it. Root's machine m only.
func (m *Machine) UserDefaultMachine(name string) (*Machine, error) {
	a, err := lookupAccount(name)
	if err != nil {
		return nil, err
	}
	if m.Rootless {
		return nil, fmt.Errorf("%w: the labs of user %s are theirs alone (run netlab as %s)", ErrNotRoot, a.name, a.name)
	}
	ownedDir := func(p string) bool {
		fi, err := os.Lstat(p)
		return err == nil && fi.IsDir() && int(fi.Sys().(*syscall.Stat_t).Uid) == a.uid
	}
	d := userMachine(a, "")
	candidates := stateDirCandidates(a)
	switch {
	case ownedDir(filepath.Dir(candidates[0])):
		d.StateRoot = candidates[0]
	case len(candidates) == 3 && ownedDir(a.home):
		d.StateRoot = candidates[1]
	default:
		d.StateRoot = candidates[len(candidates)-1]
	}
	return d, nil
}

// lookupAccount finds user name (or uid) among the host's accounts.
func lookupAccount(name string) (account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		if _, nerr := strconv.Atoi(name); nerr == nil {
			u, err = user.LookupId(name)
		}
	}
	if err != nil {
		return account{}, fmt.Errorf("%w: user %q: no such user on this machine", ErrBadName, name)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return account{name: u.Username, uid: uid, gid: gid, home: u.HomeDir}, nil
}

// AllMachines are, for root's m, m itself and the machines of every user
// that has a state directory: users with an account in /etc/passwd, and
// any uid with a /run/user/UID/netlab or /tmp/netlab-UID. It returns as
// refused, each with why, those it will not read (see above). A user who
// pointed NETLAB_STATE_DIR elsewhere is not found.
func (m *Machine) AllMachines() (dirs []*Machine, refused []error, err error) {
	if m.Rootless {
		return nil, nil, fmt.Errorf("%w: an ordinary user sees its own labs only; leave out --all-users, or run netlab as root", ErrNotRoot)
	}
	dirs = []*Machine{m}
	for _, a := range accounts() {
		d, r := openUserMachines(a, m.StateRoot)
		dirs, refused = append(dirs, d...), append(refused, r...)
	}
	return dirs, refused, nil
}

// AllLabs are, for root's m, the labs of every machine AllMachines finds,
// and as refused what it would not read. A user's lab of a name that one
// of the user's earlier directories has is left out: USER:LAB names the
// first (in the order a user's netlab picks its directory).
func (m *Machine) AllLabs() (refs []LabRef, refused []error, err error) {
	dirs, refused, err := m.AllMachines()
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	for _, d := range dirs {
		names, err := d.Labs()
		if err != nil {
			refused = append(refused, err)
			continue
		}
		for _, n := range names {
			if ref := (LabRef{Machine: d, Name: n}); !seen[ref.String()] {
				seen[ref.String()] = true
				refs = append(refs, ref)
			}
		}
	}
	return refs, refused, nil
}

// accounts are the users whose state directories root looks for, by
// name: every account of /etc/passwd but root, and every uid that has a
// directory where netlab would keep a user's state, with or without an
// account (NSS users who logged in, accounts since removed).
func accounts() []account {
	byUID := map[int]account{}
	if f, err := os.Open("/etc/passwd"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Split(sc.Text(), ":")
			if len(fields) < 7 {
				continue
			}
			uid, err1 := strconv.Atoi(fields[2])
			gid, err2 := strconv.Atoi(fields[3])
			if err1 != nil || err2 != nil || uid == 0 {
				continue
			}
			if _, seen := byUID[uid]; !seen {
				byUID[uid] = account{name: fields[0], uid: uid, gid: gid, home: fields[5]}
			}
		}
		f.Close()
	}
	var uids []int
	if entries, err := os.ReadDir("/run/user"); err == nil {
		for _, e := range entries {
			if uid, err := strconv.Atoi(e.Name()); err == nil {
				uids = append(uids, uid)
			}
		}
	}
	if matches, err := filepath.Glob("/tmp/netlab-*"); err == nil {
		for _, m := range matches {
			if uid, err := strconv.Atoi(strings.TrimPrefix(m, "/tmp/netlab-")); err == nil {
				uids = append(uids, uid)
			}
		}
	}
	for _, uid := range uids {
		if _, seen := byUID[uid]; seen || uid == 0 {
			continue
		}
		a := account{name: strconv.Itoa(uid), uid: uid, gid: -1}
		if u, err := user.LookupId(a.name); err == nil {
			a.name, a.home = u.Username, u.HomeDir
			a.gid, _ = strconv.Atoi(u.Gid)
		}
		byUID[uid] = a
	}
	out := make([]account, 0, len(byUID))
	for _, a := range byUID {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// openUserMachine opens path as a state directory of user a, the machine
// of a's labs there, or returns nil when there is none. It refuses one that is a symlink, is not
// a directory, is not a's, or is open to others, and one whose parent
// another user could have swapped it in (a parent of neither root nor a,
// writable by others without the sticky bit).
func openUserMachine(path string, a account) (*Machine, error) {
	refuse := func(why string) error {
		return fmt.Errorf("state directory %s of user %s is refused: %s", path, a.name, why)
	}
	parent, err := os.OpenFile(filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil // no parent, no state directory
	}
	defer parent.Close()
	var pst unix.Stat_t
	if err := unix.Fstat(int(parent.Fd()), &pst); err != nil {
		return nil, refuse(err.Error())
	}
	if pst.Uid != 0 && int(pst.Uid) != a.uid || pst.Mode&0o002 != 0 && pst.Mode&unix.S_ISVTX == 0 {
		return nil, refuse(fmt.Sprintf("its parent is owned by uid %d, mode %o: another user could have put it there", pst.Uid, pst.Mode&0o7777))
	}
	fd, err := unix.Openat2(int(parent.Fd()), filepath.Base(path), &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_BENEATH,
	})
	switch {
	case errors.Is(err, unix.ENOENT):
		return nil, nil
	case errors.Is(err, unix.ELOOP):
		return nil, refuse("it is a symlink")
	case errors.Is(err, unix.ENOTDIR):
		return nil, refuse("it is not a directory")
	case err != nil:
		return nil, refuse(err.Error())
	}
	f := os.NewFile(uintptr(fd), path)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, refuse(err.Error())
	}
	if int(st.Uid) != a.uid || st.Mode&0o077 != 0 {
		f.Close()
		return nil, refuse(fmt.Sprintf("it is owned by uid %d, mode %o, not a 0700 directory of the user's", st.Uid, st.Mode&0o7777))
	}
	m := userMachine(a, path)
	m.foreign = f
	return m, nil
}

// userMachine is the machine of user a's labs at stateRoot, reached
// through foreign (nil for one not there yet, which only RunAsOwner uses).
// The user's labs are rootless: their cgroups are under the user's, and
// their netns have no names.
func userMachine(a account, stateRoot string) *Machine {
	return &Machine{Rootless: true, StateRoot: stateRoot, CgroupParent: cgroupParent, UID: a.uid, GID: a.gid, User: a.name, Home: a.home}
}

// openIn opens rel beneath the state root of another user's m: no symlink, no "..",
// no other mount on the way. The file must be the owner's.
func (m *Machine) openIn(rel string, flags int) (*os.File, *unix.Stat_t, error) {
	fd, err := unix.Openat2(int(m.foreign.Fd()), rel, &unix.OpenHow{
		Flags:   uint64(flags) | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV,
	})
	if err != nil {
		return nil, nil, &os.PathError{Op: "open", Path: filepath.Join(m.StateRoot, rel), Err: err}
	}
	f := os.NewFile(uintptr(fd), filepath.Join(m.StateRoot, rel))
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, nil, os.NewSyscallError("fstat", err)
	}
	if int(st.Uid) != m.UID {
		f.Close()
		return nil, nil, fmt.Errorf("%s is owned by uid %d, not by user %s: refused", f.Name(), st.Uid, m.User)
	}
	return f, &st, nil
}

// readFile reads the regular file rel of another user's m, of at most max
// bytes. A FIFO or device there is refused before it is read: reading
// one could block root's netlab.
func (m *Machine) readFile(rel string, max int64) ([]byte, error) {
	f, st, err := m.openIn(rel, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("%s is not a regular file: refused", f.Name())
	}
	if st.Size > max {
		return nil, fmt.Errorf("%s is %d bytes, more than a state file may be (%d): refused", f.Name(), st.Size, max)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(b)) > max {
		err = fmt.Errorf("%s grew past %d bytes: refused", f.Name(), max)
	}
	return b, err
}

// Labs lists the names of m's labs that have state, sorted.
func (m *Machine) Labs() ([]string, error) {
	if m.Own() {
		return m.ownLabs()
	}
	f, _, err := m.openIn(".", unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return nil, fmt.Errorf("list labs of user %s: %w", m.User, err)
	}
	defer f.Close()
	entries, err := f.ReadDir(maxForeignLabs)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("list labs of user %s: %w", m.User, err)
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsDir() && checkLabName(e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// readState reads lab name's state.json.
func (m *Machine) readState(name string) (*State, error) {
	if m.Own() {
		return m.readOwnState(name)
	}
	b, err := m.readFile(filepath.Join(name, "state.json"), maxForeignState)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("lab %s: %w of user %s", name, ErrNoLab, m.User)
	}
	if err != nil {
		return nil, fmt.Errorf("state of lab %s of user %s: %w", name, m.User, err)
	}
	st, err := decodeState(name, b)
	if err != nil {
		return nil, fmt.Errorf("state of lab %s of user %s is corrupt (%v): %w", name, m.User, err, ErrCorruptState)
	}
	// The recorded cgroups are read for oom counts: only cgroupfs ones,
	// where no FIFO or symlink can be.
	st.Cgroup = slices.DeleteFunc(st.Cgroup, func(p string) bool {
		return !strings.HasPrefix(p, "/sys/fs/cgroup/") || filepath.Clean(p) != p
	})
	return st, nil
}

// decodeState decodes a state.json of lab name, and refuses one that
// netlab would not have written: status and exec index nodes by it and
// dial sockets named after them.
func decodeState(name string, b []byte) (*State, error) {
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	if s.Name != name {
		return nil, fmt.Errorf("it names lab %q", s.Name)
	}
	if s.Topology == nil {
		return nil, errors.New("it holds no topology")
	}
	if len(s.Nodes) > len(s.Topology.Nodes) {
		return nil, fmt.Errorf("%d nodes run, %d are in its topology", len(s.Nodes), len(s.Topology.Nodes))
	}
	// The nodes are those of its topology, in its order: all of them,
	// or those of this host; the first so many, as up started them.
	next := 0
	for i, n := range s.Nodes {
		for next < len(s.Topology.Nodes) && (s.Topology.Nodes[next] == nil || s.Topology.Nodes[next].Name != n.Name || s.Topology.Nodes[next].Host != s.Host) {
			next++
		}
		if next == len(s.Topology.Nodes) || !topology.ValidNodeName(n.Name) {
			return nil, fmt.Errorf("node %d is %q, not a node of its topology on this host", i+1, n.Name)
		}
		next++
	}
	return &s, nil
}

// busy reports whether another netlab holds lab name right now.
func (m *Machine) busy(name string) bool {
	if m.Own() {
		return busy(m.labDir(name))
	}
	f, _, err := m.openIn(name, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return false
	}
	defer f.Close()
	return unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB) == unix.EWOULDBLOCK
}

// socket is the path to dial node's exec socket of lab at, and what to
// call once it is dialled. For another user's m it is the descriptor of the
// socket file itself, checked to be a socket of the user's: what the user
// swaps in after the check is never dialled.
func (m *Machine) socket(lab, node string) (string, func(), error) {
	if m.Own() {
		return m.socketPath(lab, node), func() {}, nil
	}
	f, st, err := m.openIn(filepath.Join(lab, node+".sock"), unix.O_PATH)
	if err != nil {
		return "", nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		f.Close()
		return "", nil, fmt.Errorf("%s is not a socket: refused", f.Name())
	}
	return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())), func() { f.Close() }, nil
}

// LabRef names a lab of a machine.
type LabRef struct {
	Machine *Machine
	Name    string
}

// String is the lab as a command names it: LAB for the caller's own,
// USER:LAB for another user's.
func (r LabRef) String() string {
	if r.Machine.Own() {
		return r.Name
	}
	return r.Machine.User + ":" + r.Name
}

// Owner is the name of the lab's owner.
func (r LabRef) Owner() string { return r.Machine.User }

// RunAsOwner runs this netlab, with args, as another user's m's owner on
// m: with the user's uid, gid and groups and NETLAB_STATE_DIR naming m's
// state root, as the user
// would run it. Whatever changes a user's lab (down, up) runs so, with the
// user's rights: nothing of root's is then misused in a directory the
// user controls (a state.json naming root's processes, a lab directory
// swapped for a symlink). Its stdin is /dev/null; what it writes goes to
// stdout and stderr, which must take it as the user's words: the user may
// write there too. It returns the exit code, 128+N for a signal N.
func (m *Machine) RunAsOwner(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	if m.Own() {
		return 0, errors.New("RunAsOwner is for another user's state directory")
	}
	u, err := user.LookupId(strconv.Itoa(m.UID))
	if err != nil || m.GID < 0 {
		return 0, fmt.Errorf("uid %d has no account here: remove its labs by hand (%s)", m.UID, m.StateRoot)
	}
	var groups []uint32
	if gids, err := u.GroupIds(); err == nil {
		for _, g := range gids {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil {
				groups = append(groups, uint32(n))
			}
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	home := m.Home
	if home == "" {
		home = "/"
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=" + DefaultPath, "HOME=" + home, "USER=" + m.User, "LOGNAME=" + m.User, StateDirEnv + "=" + m.StateRoot}
	if run := fmt.Sprintf("/run/user/%d", m.UID); filepath.Dir(m.StateRoot) == run {
		cmd.Env = append(cmd.Env, "XDG_RUNTIME_DIR="+run)
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uint32(m.UID), Gid: uint32(m.GID), Groups: groups},
		Pdeathsig:  syscall.SIGTERM,
	}
	// Stopped as a person stops netlab, so that it cleans up as it would.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = killTimeout
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	case errors.Is(err, os.ErrPermission):
		return 0, fmt.Errorf("user %s may not run %s: install netlab where every user can run it (e.g. /usr/local/bin)", m.User, exe)
	case err != nil:
		return 0, fmt.Errorf("run netlab as user %s: %w", m.User, err)
	}
	return 0, nil
}
