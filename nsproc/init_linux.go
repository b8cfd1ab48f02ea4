package nsproc

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"

	"golang.org/x/sys/unix"
)

// A node's layer directory holds LayerUpper, the node's own files over the
// host's /etc, and LayerWork, overlayfs's scratch directory on the same
// filesystem.
const (
	LayerUpper = "etc"
	LayerWork  = "work"
)

// initMain is a node's init: PID 1 of the node's PID namespace. fd 3 is its
// ready pipe, fd 4 its listening exec socket, fd 5 its layer directory.
func initMain(args []string) int {
	ready := os.NewFile(3, "ready")
	listener := os.NewFile(4, "exec-socket")
	layer := os.NewFile(5, "layer")
	if len(args) < 2 {
		fmt.Fprintf(ready, "init: want NODE HOSTNAME [SYSCTL=VALUE...], got %q", args)
		return 2
	}
	node, hostname, sysctls := args[0], args[1], args[2:]
	setProcessName("netlab-init")
	// Before anything can fork: a signal to PID 1 without a handler is
	// dropped, so these are the only way to stop the node from inside.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, unix.SIGTERM, unix.SIGINT, unix.SIGHUP)

	if err := setupNode(hostname, layer, sysctls); err != nil {
		fmt.Fprintf(ready, "%v", err)
		return 1
	}
	layer.Close()
	l, err := net.FileListener(listener)
	listener.Close()
	if err != nil {
		fmt.Fprintf(ready, "exec socket: %v", err)
		return 1
	}
	r := newReaper()
	if _, err := ready.WriteString(readyOK); err != nil {
		return 1
	}
	ready.Close()

	go serveExec(l.(*net.UnixListener), r, node)
	<-stop
	return 0
}

// setupNode gives the node its own view: private mount propagation, its own
// /proc and /sys, fresh tmpfs where daemons write, netlab's /etc/hosts and
// /etc/hostname, and its hostname. Each error names the step that failed.
func setupNode(hostname string, layer *os.File, sysctls []string) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", os.NewSyscallError("mount", err))
	}
	type mount struct {
		fstype, target string
		flags          uintptr
		data           string
		optional       bool // skipped when the target is absent on this host
	}
	const noexec = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	for _, m := range []mount{
		{"proc", "/proc", noexec, "", false},
		{"sysfs", "/sys", noexec, "", false},
		{"tmpfs", "/tmp", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777", false},
		{"tmpfs", "/run", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755", false},
		{"tmpfs", "/var/tmp", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777", true},
		{"tmpfs", "/var/run", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755", true},
		{"tmpfs", "/dev/shm", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777", true},
		{"tmpfs", "/root", unix.MS_NOSUID | unix.MS_NODEV, "mode=0700", true},
	} {
		if m.optional && !isRealDir(m.target) {
			continue
		}
		if err := unix.Mount(m.fstype, m.target, m.fstype, m.flags, m.data); err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.fstype, m.target, os.NewSyscallError("mount", err))
		}
	}
	if err := mountEtc(layer); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte(hostname)); err != nil {
		return fmt.Errorf("set hostname: %w", os.NewSyscallError("sethostname", err))
	}
	for _, kv := range sysctls {
		key, value, _ := strings.Cut(kv, "=")
		path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
		if err := os.WriteFile(path, []byte(value), 0); err != nil {
			return fmt.Errorf("sysctl %s: %w", kv, err)
		}
	}
	return nil
}

// isRealDir reports whether path is a directory and not a symlink to one
// (Debian's /var/run → /run needs no mount of its own).
func isRealDir(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.IsDir()
}

// mountEtc makes the node's /etc an overlay: the host's /etc below, the
// node's own layer above, where netlab put /etc/hosts, /etc/hostname and the
// node's files, and where the node's writes go.
//
// The layer arrives as a detached mount that netlab cloned on the host
// (open_tree): its host path lies under root-only /run/netlab, and overlayfs
// takes layers only from the mounter's own mount namespace. It is attached
// at a scratch point just long enough to mount the overlay, which keeps
// private clones of its layers, then detached again.
func mountEtc(layer *os.File) error {
	const scratch = "/run/.netlab-layer"
	if err := os.Mkdir(scratch, 0o700); err != nil {
		return fmt.Errorf("make scratch mount point: %w", err)
	}
	if err := unix.MoveMount(int(layer.Fd()), "", unix.AT_FDCWD, scratch, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("attach node layer: %w", os.NewSyscallError("move_mount", err))
	}
	opts := fmt.Sprintf("lowerdir=/etc,upperdir=%s/%s,workdir=%s/%s", scratch, LayerUpper, scratch, LayerWork)
	if err := unix.Mount("overlay", "/etc", "overlay", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("mount overlay on /etc: %w", os.NewSyscallError("mount", err))
	}
	if err := unix.Unmount(scratch, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach node layer: %w", os.NewSyscallError("umount", err))
	}
	return os.Remove(scratch)
}
