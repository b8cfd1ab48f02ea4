package netlab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/netlab-dev/netlab/netlab/wire"
	"github.com/netlab-dev/netlab/nsproc"
	"golang.org/x/sys/unix"
)

// prepareNetnsDir makes dir, where iproute2 looks for named network
// namespaces (/run/netns), a shared mount of itself, as `ip netns add`
// does, so that a namespace bound there is visible in every mount
// namespace that later copies the host's (`ip netns exec` among them).
func prepareNetnsDir(netnsDir string) error {
	if err := os.MkdirAll(netnsDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", netnsDir, err)
	}
	err := unix.Mount("", netnsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
	if errors.Is(err, unix.EINVAL) {
		// Not a mount point yet: make it one, then share it.
		if err = unix.Mount(netnsDir, netnsDir, "none", unix.MS_BIND|unix.MS_REC, ""); err == nil {
			err = unix.Mount("", netnsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
		}
	}
	if err != nil {
		return fmt.Errorf("make %s a shared mount: %w", netnsDir, os.NewSyscallError("mount", err))
	}
	return nil
}

// registerNetns binds the network namespace ns refers to to
// netnsDir/NAME. It fails if that name is taken.
func registerNetns(netnsDir, name string, ns *os.File) error {
	path := filepath.Join(netnsDir, name)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("network namespace name %s is taken (see ip netns list)", name)
	}
	if err != nil {
		return fmt.Errorf("register netns %s: %w", name, err)
	}
	f.Close()
	src := fmt.Sprintf("/proc/self/fd/%d", ns.Fd())
	if err := unix.Mount(src, path, "none", unix.MS_BIND, ""); err != nil {
		os.Remove(path)
		return fmt.Errorf("register netns %s: %w", name, os.NewSyscallError("mount", err))
	}
	return nil
}

// unregisterNetns removes netnsDir/NAME if the namespace bound there is
// the one with inode ino, or if it is still the empty file registerNetns
// binds over (an up killed between the two steps). A name that another lab
// or a user holds is left alone.
func unregisterNetns(netnsDir, name string, ino uint64) error {
	path := filepath.Join(netnsDir, name)
	var st, dir unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return fmt.Errorf("unregister netns %s: %w", name, os.NewSyscallError("stat", err))
	}
	if err := unix.Stat(netnsDir, &dir); err != nil {
		return fmt.Errorf("unregister netns %s: %w", name, os.NewSyscallError("stat", err))
	}
	placeholder := st.Dev == dir.Dev && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size == 0
	if placeholder {
		return os.Remove(path)
	}
	if st.Ino != ino || !isNsfs(st.Dev) {
		return nil
	}
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("unregister netns %s: %w", name, os.NewSyscallError("umount", err))
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("unregister netns %s: %w", name, err)
	}
	return nil
}

// openNetNS opens the network namespace of pid, which pidfd refers to, and
// returns it with its inode. The pidfd closes the race with pid reuse: if
// the process is still alive after the open, the pid was still its own.
func openNetNS(pid int, pidfd *os.File) (*os.File, uint64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return nil, 0, err
	}
	if err := unix.PidfdSendSignal(int(pidfd.Fd()), 0, nil, 0); err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("process %d is gone: %w", pid, os.NewSyscallError("pidfd_send_signal", err))
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, 0, os.NewSyscallError("fstat", err)
	}
	return f, st.Ino, nil
}

// openNodeNetNS opens the network namespace of node ns as its state
// records it: through its init's /proc entry, and only if it is the very
// namespace recorded (the same inode on nsfs), so that a pid reused since
// can never have netlab place a link end, or a name, in another namespace.
// A path walk and an fstat: cheap enough to open it anew each time rather
// than hold one descriptor per node.
func openNodeNetNS(ns *NodeState) (*os.File, error) {
	if ns.Init == nil || ns.NetNSInode == 0 {
		return nil, fmt.Errorf("node %s has not started", ns.Name)
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", ns.Init.Pid))
	if err != nil {
		return nil, fmt.Errorf("node %s is not running: %w", ns.Name, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, os.NewSyscallError("fstat", err)
	}
	if st.Ino != ns.NetNSInode || !isNsfs(st.Dev) {
		f.Close()
		return nil, fmt.Errorf("node %s is not running: process %d is another one now", ns.Name, ns.Init.Pid)
	}
	return f, nil
}

// nodeNetlink returns a netlink socket of a running node's network
// namespace, opened by the node's agent, which has serviceAskTimeout (or
// less, by ctx) to answer.
func nodeNetlink(ctx context.Context, socket string, ns *NodeState) (*wire.Socket, error) {
	if !ns.Init.alive() {
		return nil, fmt.Errorf("node %s is not running", ns.Name)
	}
	ctx, cancel := context.WithTimeout(ctx, serviceAskTimeout)
	defer cancel()
	f, err := nsproc.Netlink(ctx, socket)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", ns.Name, err)
	}
	return wire.NewSocket(f), nil
}

// netnsInode is the inode that identifies pid's network namespace.
func netnsInode(pid int) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st); err != nil {
		return 0, os.NewSyscallError("stat", err)
	}
	return st.Ino, nil
}

// isNsfs reports whether dev is the device of namespace files (nsfs).
func isNsfs(dev uint64) bool {
	d, ok := nsfsDev()
	return ok && d == dev
}

// nsfsDev is the device of namespace files, looked up once.
var nsfsDev = sync.OnceValues(func() (uint64, bool) {
	var self unix.Stat_t
	if unix.Stat("/proc/self/ns/net", &self) != nil {
		return 0, false
	}
	return self.Dev, true
})
