package netlab

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Machine is a machine that runs labs, as one netlab sees it: whose labs
// they are and all that differs with that. ThisMachine is the caller's
// own, chosen once from the effective uid and the environment; root in
// class mode reaches each ordinary user's labs as a Machine of that user's
// (UserMachines, AllMachines), read as hostile input (see users_linux.go).
// Up, and every operation on a lab (OpenLab), carry the Machine they were
// given: nothing in netlab reads the process's uid or environment for it.
type Machine struct {
	// Rootless: the labs are an ordinary user's, root inside them and
	// that user on the host.
	Rootless bool
	// StateRoot holds one directory per lab: /run/netlab for root;
	// rootless, $XDG_RUNTIME_DIR/netlab (systemd's per-user 0700 tmpfs),
	// else ~/.netlab, in a home of the user's own, where no other user
	// can make it first; only a user with neither gets /tmp/netlab-UID,
	// which must then be a 0700 directory of its own (another user could
	// make it first: refused, not used). NETLAB_STATE_DIR overrides all.
	StateRoot string
	// NetnsDir is where each node's netns is made visible to iproute2,
	// /run/netns; "" when it is not (rootless: the directory is root's).
	NetnsDir string
	// CgroupParent is the directory, under each cgroup hierarchy's base
	// (its root for root, the user's delegated cgroup rootless), that
	// holds the labs' cgroups: CgroupParent/LAB. Root's is "netlab" for
	// /run/netlab and netlab-HASH for another state root, whose labs'
	// names are another namespace (as hosts emulated on one machine
	// have: each its own state root, the same lab on each).
	CgroupParent string
	UID, GID     int    // the labs' owner
	User         string // the owner's name (a uid for an account that is gone), for messages and /etc/subuid
	Home         string // the owner's home directory, "" when unknown

	// own: the caller's own machine, trusted as it is. Another user's,
	// as root in class mode reaches it, is read only beneath foreign,
	// its state root opened without following a symlink and checked
	// (nil for one not there yet, which only RunAsOwner uses).
	own     bool
	foreign *os.File
}

// ownHome is $HOME when it is a directory of uid's own (not a symlink),
// else "".
func ownHome(uid int) string {
	home := os.Getenv("HOME")
	fi, err := os.Lstat(home)
	if !filepath.IsAbs(home) || err != nil || !fi.IsDir() || int(fi.Sys().(*syscall.Stat_t).Uid) != uid {
		return ""
	}
	return filepath.Clean(home)
}

// rootStateRoot is root's state root, unless StateDirEnv says.
const rootStateRoot = "/run/netlab"

// StateDirEnv names the environment variable that overrides the state root.
const StateDirEnv = "NETLAB_STATE_DIR"

// ThisMachine is this machine as the calling process's netlab sees it:
// root's labs when it runs as root, else the user's own (rootless), with
// the state root of the environment (see Machine.StateRoot). A program
// makes it once, at start, and hands it to what it calls.
func ThisMachine() *Machine {
	m := &Machine{UID: os.Geteuid(), GID: os.Getegid(), CgroupParent: cgroupParent, own: true}
	m.Rootless = m.UID != 0
	m.User = strconv.Itoa(m.UID)
	if u, err := user.LookupId(m.User); err == nil {
		m.User, m.Home = u.Username, u.HomeDir
	}
	switch {
	case os.Getenv(StateDirEnv) != "":
		m.StateRoot = os.Getenv(StateDirEnv)
		if !m.Rootless && filepath.Clean(m.StateRoot) != rootStateRoot {
			sum := sha256.Sum256([]byte(filepath.Clean(m.StateRoot)))
			m.CgroupParent = cgroupParent + "-" + hex.EncodeToString(sum[:4])
		}
	case !m.Rootless:
		m.StateRoot = rootStateRoot
	case os.Getenv("XDG_RUNTIME_DIR") != "":
		m.StateRoot = filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "netlab")
	case ownHome(m.UID) != "":
		m.StateRoot = filepath.Join(ownHome(m.UID), ".netlab")
	default:
		m.StateRoot = fmt.Sprintf("/tmp/netlab-%d", m.UID)
	}
	if !m.Rootless {
		m.NetnsDir = "/run/netns"
	}
	return m
}

// Own reports whether m is the caller's own machine, not another user's
// reached by root.
func (m *Machine) Own() bool { return m.own }

// checkStateRoot refuses a state root that is not a 0700 directory of the
// caller's own (not a symlink): another user could have made it first, with
// a state and exec sockets of its own for this user's netlab to trust.
// A missing one is fine: there are no labs.
func (m *Machine) checkStateRoot() error {
	root := m.StateRoot
	fi, err := os.Lstat(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return stateRootError(root, err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || int(st.Uid) != m.UID || fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("state directory %s is not a 0700 directory of yours (owner uid %d, %v); remove it, or set XDG_RUNTIME_DIR or %s", root, st.Uid, fi.Mode(), StateDirEnv)
	}
	return nil
}

// stateRootError says what a failed look at (or making of) the state root
// means: a state root the caller may not enter is another user's, whose
// labs are theirs alone.
func stateRootError(root string, err error) error {
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("state directory %s is not yours (permission denied): another user's labs are theirs alone; run netlab as that user, or point XDG_RUNTIME_DIR or %s at a directory of yours", root, StateDirEnv)
	}
	return fmt.Errorf("state directory %s: %w", root, err)
}

// ensureStateRoot makes the state root if it is missing and refuses one
// that another user could read or has made: a 0700 directory, not a
// symlink, owned by the caller.
func (m *Machine) ensureStateRoot() error {
	root := m.StateRoot
	if err := os.MkdirAll(filepath.Dir(root), 0o755); err != nil && m.Rootless {
		return stateRootError(root, err)
	}
	if err := os.Mkdir(root, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return stateRootError(root, err)
	}
	// Root's own /run/netlab from an older netlab, open to others, is
	// made safe; a user's that was may hold what others planted, and is
	// refused.
	if fi, err := os.Lstat(root); err == nil && !m.Rootless && fi.IsDir() &&
		fi.Sys().(*syscall.Stat_t).Uid == 0 && fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(root, 0o700); err != nil {
			return fmt.Errorf("secure %s: %w", root, err)
		}
	}
	return m.checkStateRoot()
}

// subordinateRange finds the user's first range of at least need ids in
// file (/etc/subuid or /etc/subgid), by name or by uid.
func subordinateRange(file, name string, id int, need uint32) (IDRange, error) {
	entries, err := readSubIDEntries(file)
	if err != nil {
		return IDRange{}, err
	}
	for _, e := range entries {
		if (e.Owner == name || e.Owner == strconv.Itoa(id)) && e.Count >= need {
			return e.IDRange, nil
		}
	}
	return IDRange{}, errNoSubIDs
}

var errNoSubIDs = errors.New("no subordinate range")

// subIDs are a rootless user's subordinate uid and gid ranges, to which
// its labs map node ids 1..65535.
type subIDs struct{ uids, gids IDRange }

// rootlessIDs finds the subordinate uid and gid ranges of the caller that
// a rootless lab maps node ids 1..65535 to, or says what to add and where.
func rootlessIDs(m *Machine) (uids, gids IDRange, err error) {
	const need = idRangeSize - 1
	uids, uerr := subordinateRange(subIDFiles[0], m.User, m.UID, need)
	gids, gerr := subordinateRange(subIDFiles[1], m.User, m.UID, need)
	if errors.Is(uerr, errNoSubIDs) || errors.Is(gerr, errNoSubIDs) {
		return uids, gids, fmt.Errorf("user %s has no range of %d subordinate ids for the nodes' users; as root, add the line %s:%d:%d to %s and to %s (or run: usermod --add-subuids %d-%d --add-subgids %d-%d %s)",
			m.User, idRangeSize, m.User, suggestSubStart(), idRangeSize, subIDFiles[0], subIDFiles[1],
			suggestSubStart(), suggestSubStart()+idRangeSize-1, suggestSubStart(), suggestSubStart()+idRangeSize-1, m.User)
	}
	if uerr != nil {
		return uids, gids, uerr
	}
	return uids, gids, gerr
}

// suggestSubStart is a start for a new subordinate range past those in
// /etc/subuid, as useradd would pick.
func suggestSubStart() uint32 {
	next := uint64(100000)
	if r, err := readSubIDs(subIDFiles[0]); err == nil {
		for _, x := range r {
			if end := uint64(x.First) + uint64(x.Count); end > next {
				next = end
			}
		}
	}
	return uint32(next)
}

// checkRootless refuses, before anything is made, what keeps an ordinary
// user from running a lab here, each with its fix, and returns the user's
// subordinate ranges.
func checkRootless(m *Machine) (subIDs, error) {
	for _, helper := range []string{"newuidmap", "newgidmap"} {
		if _, err := exec.LookPath(helper); err != nil {
			return subIDs{}, fmt.Errorf("netlab without root needs %s, which maps the lab's users to yours (Debian and Ubuntu: apt-get install uidmap)", helper)
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/unprivileged_userns_clone"); err == nil && strings.TrimSpace(string(b)) == "0" {
		return subIDs{}, fmt.Errorf("%w: user namespaces are closed to ordinary users here; as root: sysctl -w kernel.unprivileged_userns_clone=1", ErrKernelFeature)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"); err == nil && strings.TrimSpace(string(b)) == "1" {
		return subIDs{}, fmt.Errorf("%w: AppArmor keeps ordinary users from using user namespaces; as root: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or install an AppArmor profile for netlab that allows userns", ErrKernelFeature)
	}
	var sub subIDs
	var err error
	sub.uids, sub.gids, err = rootlessIDs(m)
	return sub, err
}
