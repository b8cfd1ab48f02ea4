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
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/topology"
)

// StateDir is a directory that holds labs' state, and whose it is: the
// caller's own state root, or, for root in class mode, an ordinary user's.
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
type StateDir struct {
	Path string // the directory
	User string // its owner's name (a uid for an account that is gone)
	UID  int
	GID  int
	Home string // the owner's home directory, "" when unknown

	// own: the caller's own, trusted as it is. Another user's is reached
	// only through fd, the directory, opened without following a symlink
	// and checked.
	own bool
	fd  *os.File
}

// Own reports whether d is the caller's own state root.
func (d *StateDir) Own() bool { return d.own }

var ownStateDir = sync.OnceValue(func() *StateDir {
	m := CurrentMode()
	d := &StateDir{Path: m.StateRoot, User: m.User, UID: m.UID, GID: m.GID, own: true}
	if u, err := user.LookupId(strconv.Itoa(m.UID)); err == nil {
		d.Home = u.HomeDir
	}
	return d
})

// OwnStateDir is the caller's own state root.
func OwnStateDir() *StateDir { return ownStateDir() }

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
// state when NETLAB_STATE_DIR does not say (see Mode.StateRoot), in the
// order it picks them.
func stateDirCandidates(a account) []string {
	out := []string{fmt.Sprintf("/run/user/%d/netlab", a.uid)}
	if filepath.IsAbs(a.home) {
		out = append(out, filepath.Join(a.home, ".netlab"))
	}
	return append(out, fmt.Sprintf("/tmp/netlab-%d", a.uid))
}

// UserStateDirs are the state directories of user name (a name or a uid)
// that hold labs: for the caller's own name, its own state root; for
// another user's, only when the caller is root. What is in the way of
// reading one (a symlink, another owner, open modes) is an error.
func UserStateDirs(name string) ([]*StateDir, error) {
	a, err := lookupAccount(name)
	if err != nil {
		return nil, err
	}
	if own := OwnStateDir(); a.uid == own.UID {
		return []*StateDir{own}, nil
	}
	if CurrentMode().Rootless {
		return nil, fmt.Errorf("%w: the labs of user %s are theirs alone (run netlab as %s)", ErrNotRoot, a.name, a.name)
	}
	dirs, refused := openStateDirs(a, "")
	if len(dirs) == 0 && len(refused) > 0 {
		return nil, errors.Join(refused...)
	}
	return dirs, nil
}

// openStateDirs opens the state directories of user a that are there (but
// skip), and says why of each it refuses.
func openStateDirs(a account, skip string) (dirs []*StateDir, refused []error) {
	for _, p := range stateDirCandidates(a) {
		if p == skip {
			continue
		}
		d, err := openForeignStateDir(p, a)
		switch {
		case err != nil:
			refused = append(refused, err)
		case d != nil:
			dirs = append(dirs, d)
		}
	}
	return dirs, refused
}

// UserDefaultStateDir is where user name's netlab keeps its labs' state
// when it has none yet, as Mode.StateRoot picks it: /run/user/UID/netlab
// when the user has a runtime directory, else ~/.netlab in a home of the
// user's own, else /tmp/netlab-UID. It is not there yet: only
// RunAsOwner may use it, and the user's netlab makes and checks it.
func UserDefaultStateDir(name string) (*StateDir, error) {
	a, err := lookupAccount(name)
	if err != nil {
		return nil, err
	}
	if CurrentMode().Rootless {
		return nil, fmt.Errorf("%w: the labs of user %s are theirs alone (run netlab as %s)", ErrNotRoot, a.name, a.name)
	}
	ownedDir := func(p string) bool {
		fi, err := os.Lstat(p)
		return err == nil && fi.IsDir() && int(fi.Sys().(*syscall.Stat_t).Uid) == a.uid
	}
	d := &StateDir{User: a.name, UID: a.uid, GID: a.gid, Home: a.home}
	candidates := stateDirCandidates(a)
	switch {
	case ownedDir(filepath.Dir(candidates[0])):
		d.Path = candidates[0]
	case len(candidates) == 3 && ownedDir(a.home):
		d.Path = candidates[1]
	default:
		d.Path = candidates[len(candidates)-1]
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

// AllStateDirs are, for root, its own state root and the state
// directories of every user that has one: users with an account in
// /etc/passwd, and any uid with a /run/user/UID/netlab or /tmp/netlab-UID.
// It returns as refused, each with why, those it will not read (see
// StateDir). A user who pointed NETLAB_STATE_DIR elsewhere is not found.
func AllStateDirs() (dirs []*StateDir, refused []error, err error) {
	if CurrentMode().Rootless {
		return nil, nil, fmt.Errorf("%w: an ordinary user sees its own labs only; leave out --all-users, or run netlab as root", ErrNotRoot)
	}
	own := OwnStateDir()
	dirs = []*StateDir{own}
	for _, a := range accounts() {
		d, r := openStateDirs(a, own.Path)
		dirs, refused = append(dirs, d...), append(refused, r...)
	}
	return dirs, refused, nil
}

// AllLabs are, for root, the labs of every state directory AllStateDirs
// finds, and as refused what it would not read. A user's lab of a name
// that one of the user's earlier directories has is left out: USER:LAB
// names the first (in the order a user's netlab picks its directory).
func AllLabs() (refs []LabRef, refused []error, err error) {
	dirs, refused, err := AllStateDirs()
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
			if ref := (LabRef{Dir: d, Name: n}); !seen[ref.String()] {
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

// openForeignStateDir opens path as a state directory of user a, or
// returns nil when there is none. It refuses one that is a symlink, is not
// a directory, is not a's, or is open to others, and one whose parent
// another user could have swapped it in (a parent of neither root nor a,
// writable by others without the sticky bit).
func openForeignStateDir(path string, a account) (*StateDir, error) {
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
	return &StateDir{Path: path, User: a.name, UID: a.uid, GID: a.gid, Home: a.home, fd: f}, nil
}

// openIn opens rel beneath the foreign directory d: no symlink, no "..",
// no other mount on the way. The file must be the owner's.
func (d *StateDir) openIn(rel string, flags int) (*os.File, *unix.Stat_t, error) {
	fd, err := unix.Openat2(int(d.fd.Fd()), rel, &unix.OpenHow{
		Flags:   uint64(flags) | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV,
	})
	if err != nil {
		return nil, nil, &os.PathError{Op: "open", Path: filepath.Join(d.Path, rel), Err: err}
	}
	f := os.NewFile(uintptr(fd), filepath.Join(d.Path, rel))
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, nil, os.NewSyscallError("fstat", err)
	}
	if int(st.Uid) != d.UID {
		f.Close()
		return nil, nil, fmt.Errorf("%s is owned by uid %d, not by user %s: refused", f.Name(), st.Uid, d.User)
	}
	return f, &st, nil
}

// readFile reads the regular file rel of a foreign d, of at most max
// bytes. A FIFO or device there is refused before it is read: reading
// one could block root's netlab.
func (d *StateDir) readFile(rel string, max int64) ([]byte, error) {
	f, st, err := d.openIn(rel, unix.O_RDONLY|unix.O_NONBLOCK)
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

// Labs lists the names of d's labs, sorted.
func (d *StateDir) Labs() ([]string, error) {
	if d.Own() {
		return Labs()
	}
	f, _, err := d.openIn(".", unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return nil, fmt.Errorf("list labs of user %s: %w", d.User, err)
	}
	defer f.Close()
	entries, err := f.ReadDir(maxForeignLabs)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("list labs of user %s: %w", d.User, err)
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

// readState reads lab name's state.json from d.
func (d *StateDir) readState(name string) (*State, error) {
	if d.Own() {
		return readState(name)
	}
	b, err := d.readFile(filepath.Join(name, "state.json"), maxForeignState)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("lab %s: %w of user %s", name, ErrNoLab, d.User)
	}
	if err != nil {
		return nil, fmt.Errorf("state of lab %s of user %s: %w", name, d.User, err)
	}
	st, err := decodeState(name, b)
	if err != nil {
		return nil, fmt.Errorf("state of lab %s of user %s is corrupt (%v): %w", name, d.User, err, ErrCorruptState)
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
	for i, n := range s.Nodes {
		if s.Topology.Nodes[i] == nil || n.Name != s.Topology.Nodes[i].Name || !topology.ValidNodeName(n.Name) {
			return nil, fmt.Errorf("node %d is %q, not a node of its topology", i+1, n.Name)
		}
	}
	return &s, nil
}

// busy reports whether another netlab holds lab name of d right now.
func (d *StateDir) busy(name string) bool {
	if d.Own() {
		return busy(labDir(name))
	}
	f, _, err := d.openIn(name, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return false
	}
	defer f.Close()
	return unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB) == unix.EWOULDBLOCK
}

// socket is the path to dial node's exec socket of lab at, and what to
// call once it is dialled. For a foreign d it is the descriptor of the
// socket file itself, checked to be a socket of the user's: what the user
// swaps in after the check is never dialled.
func (d *StateDir) socket(lab, node string) (string, func(), error) {
	if d.Own() {
		return socketPath(lab, node), func() {}, nil
	}
	f, st, err := d.openIn(filepath.Join(lab, node+".sock"), unix.O_PATH)
	if err != nil {
		return "", nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		f.Close()
		return "", nil, fmt.Errorf("%s is not a socket: refused", f.Name())
	}
	return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())), func() { f.Close() }, nil
}

// LabRef names a lab of a state directory.
type LabRef struct {
	Dir  *StateDir
	Name string
}

// String is the lab as a command names it: LAB for the caller's own,
// USER:LAB for another user's.
func (r LabRef) String() string {
	if r.Dir == nil || r.Dir.Own() {
		return r.Name
	}
	return r.Dir.User + ":" + r.Name
}

// Owner is the name of the lab's owner.
func (r LabRef) Owner() string {
	if r.Dir == nil {
		return OwnStateDir().User
	}
	return r.Dir.User
}

// RunAsOwner runs this netlab, with args, as d's owner on d: with the
// user's uid, gid and groups and NETLAB_STATE_DIR naming d, as the user
// would run it. Whatever changes a user's lab (down, up) runs so, with the
// user's rights: nothing of root's is then misused in a directory the
// user controls (a state.json naming root's processes, a lab directory
// swapped for a symlink). Its stdin is /dev/null; what it writes goes to
// stdout and stderr, which must take it as the user's words: the user may
// write there too. It returns the exit code, 128+N for a signal N.
func (d *StateDir) RunAsOwner(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	if d.Own() {
		return 0, errors.New("RunAsOwner is for another user's state directory")
	}
	u, err := user.LookupId(strconv.Itoa(d.UID))
	if err != nil || d.GID < 0 {
		return 0, fmt.Errorf("uid %d has no account here: remove its labs by hand (%s)", d.UID, d.Path)
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
	home := d.Home
	if home == "" {
		home = "/"
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=" + DefaultPath, "HOME=" + home, "USER=" + d.User, "LOGNAME=" + d.User, StateDirEnv + "=" + d.Path}
	if run := fmt.Sprintf("/run/user/%d", d.UID); filepath.Dir(d.Path) == run {
		cmd.Env = append(cmd.Env, "XDG_RUNTIME_DIR="+run)
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uint32(d.UID), Gid: uint32(d.GID), Groups: groups},
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
		return 0, fmt.Errorf("user %s may not run %s: install netlab where every user can run it (e.g. /usr/local/bin)", d.User, exe)
	case err != nil:
		return 0, fmt.Errorf("run netlab as user %s: %w", d.User, err)
	}
	return 0, nil
}
