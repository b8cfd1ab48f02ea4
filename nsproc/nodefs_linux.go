package nsproc

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// layerRoot is where the init builds the upper and work directories of its
// /etc overlay: a tmpfs of its own, mounted on /run and then covered by the
// node's real /run, so it is out of sight but needs no unmount (which would
// wait for an RCU grace period).
const layerRoot = "/run/.netlab-layer"

// setupFilesystem gives the node its own view: private mount propagation,
// the host's tree read-only, its own /proc, /sys, /dev (with its own devpts),
// an overlay on /etc, and fresh tmpfs where daemons write. The agent's copy
// of this mount namespace locks all of it (see initMain). Each error names
// the step that failed.
func setupFilesystem(hostname string, hosts *os.File, layer []LayerFile, hide []string) error {
	// Held by descriptor: the node's /run covers it.
	skel, err := os.OpenFile(etcSkeleton, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open the /etc skeleton: %w", err)
	}
	defer skel.Close()
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", os.NewSyscallError("mount", err))
	}
	// Node root is an unprivileged host uid, but any host directory that
	// anyone may write (/var/crash, a scratch disk) would be a way out of
	// the node. Read-only here, and locked so in the agent's copy.
	err = unix.MountSetattr(unix.AT_FDCWD, "/", unix.AT_RECURSIVE, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY})
	if err != nil {
		return fmt.Errorf("make the host's tree read-only: %w", os.NewSyscallError("mount_setattr", err))
	}
	const noexec = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	const nosuid = unix.MS_NOSUID | unix.MS_NODEV
	for _, m := range []mount{
		{"proc", "/proc", noexec, "", false},
		// The supervisor's network namespace, which has nothing but lo:
		// the agent mounts its own over it.
		{"sysfs", "/sys", noexec, "", false},
		{"tmpfs", "/run", nosuid, "mode=0755", false}, // holds layerRoot, then covered
	} {
		if err := m.mount(); err != nil {
			return err
		}
	}
	if err := mountEtc(hostname, hosts, layer, skel); err != nil {
		return err
	}
	for _, dir := range hide {
		if !filepath.IsAbs(dir) || !isRealDir(dir) {
			continue
		}
		if err := unix.Mount("tmpfs", dir, "tmpfs", noexec|unix.MS_RDONLY, "mode=0755,size=4k"); err != nil {
			return fmt.Errorf("hide %s: %w", dir, os.NewSyscallError("mount", err))
		}
	}
	if err := mountDev(); err != nil {
		return err
	}
	for _, m := range []mount{
		{"tmpfs", "/run", nosuid, "mode=0755," + nodeRootOwns, false},
		{"tmpfs", "/tmp", nosuid, "mode=1777," + nodeRootOwns, false},
		{"tmpfs", "/var/tmp", nosuid, "mode=1777," + nodeRootOwns, true},
		{"tmpfs", "/var/run", nosuid, "mode=0755," + nodeRootOwns, true},
		{"tmpfs", "/root", nosuid, "mode=0700," + nodeRootOwns, true},
	} {
		if err := m.mount(); err != nil {
			return err
		}
	}
	return nil
}

// devices are the host's device nodes a node gets in its /dev, bound one by
// one (a user namespace cannot make device nodes). Missing ones are left
// out. Nothing else of the host's /dev is there: not its ptys, not its
// /dev/shm or /dev/mqueue.
var devices = []string{"null", "zero", "full", "random", "urandom", "tty", "net/tun"}

// mountDev gives the node a /dev of its own: a tmpfs with the devices
// above, /dev/shm as a directory of it, and a devpts instance of its own
// that /dev/ptmx points at. It is built aside, on the layer tmpfs, while
// the host's devices can still be bound, then moved over /dev.
func mountDev() error {
	const dev = layerRoot + "-dev"
	if err := os.Mkdir(dev, 0o755); err != nil {
		return fmt.Errorf("make /dev: %w", err)
	}
	if err := unix.Mount("tmpfs", dev, "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=0755,"+nodeRootOwns); err != nil {
		return fmt.Errorf("mount tmpfs for /dev: %w", os.NewSyscallError("mount", err))
	}
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{{"pts", 0o755}, {"shm", os.ModeSticky | 0o777}, {"net", 0o755}} {
		p := dev + "/" + d.path
		if err := os.Mkdir(p, d.mode); err != nil {
			return fmt.Errorf("make /dev/%s: %w", d.path, err)
		}
		if err := os.Chmod(p, d.mode); err != nil { // past the umask
			return fmt.Errorf("make /dev/%s: %w", d.path, err)
		}
		if err := os.Chown(p, nodeRootID, nodeRootID); err != nil {
			return fmt.Errorf("make /dev/%s: %w", d.path, err)
		}
	}
	for _, name := range devices {
		src := "/dev/" + name
		if fi, err := os.Stat(src); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			continue
		}
		dst := dev + "/" + name
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
		if err != nil {
			return fmt.Errorf("make /dev/%s: %w", name, err)
		}
		f.Close()
		if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind /dev/%s: %w", name, os.NewSyscallError("mount", err))
		}
	}
	if err := unix.Mount("devpts", dev+"/pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"); err != nil {
		return fmt.Errorf("mount devpts on /dev/pts: %w", os.NewSyscallError("mount", err))
	}
	for link, target := range map[string]string{
		"ptmx": "pts/ptmx", "fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
		"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2",
	} {
		if err := os.Symlink(target, dev+"/"+link); err != nil {
			return fmt.Errorf("make /dev/%s: %w", link, err)
		}
	}
	if err := unix.Mount(dev, "/dev", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move the node's /dev over /dev: %w", os.NewSyscallError("mount", err))
	}
	return nil
}

// nodeRootID is the uid and gid, in the lab's user namespace, of node root:
// a node's own user namespace maps node id k to lab id k+1. Node root is
// so never the init's uid (lab root), which holds capabilities over the
// whole lab, nor, rootless, the user's own uid on the host. What the init
// makes for the node is owned by it.
const nodeRootID = 1

// nodeRootOwns is the tmpfs option that gives a fresh tmpfs to node root.
var nodeRootOwns = fmt.Sprintf("uid=%d,gid=%d", nodeRootID, nodeRootID)

type mount struct {
	fstype, target string
	flags          uintptr
	data           string
	optional       bool // skipped unless the target is a real directory here
}

func (m mount) mount() error {
	if m.optional && !isRealDir(m.target) {
		return nil
	}
	if err := unix.Mount(m.fstype, m.target, m.fstype, m.flags, m.data); err != nil {
		return fmt.Errorf("mount %s on %s: %w", m.fstype, m.target, os.NewSyscallError("mount", err))
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
// lab's skeleton of its directories over it, the node's own tmpfs layer
// above, seeded with its hostname, the lab's hosts
// file and the layer directory netlab prepared, if any. The node's writes
// to /etc land in its layer.
func mountEtc(hostname string, hosts *os.File, layer []LayerFile, skel *os.File) error {
	upper, work := filepath.Join(layerRoot, "etc"), filepath.Join(layerRoot, "work")
	for _, d := range []string{layerRoot, work} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return fmt.Errorf("make /etc layer: %w", err)
		}
	}
	if err := os.Mkdir(upper, 0o755); err != nil {
		return fmt.Errorf("make /etc layer: %w", err)
	}
	if err := os.WriteFile(filepath.Join(upper, "hostname"), []byte(hostname+"\n"), 0o644); err != nil {
		return fmt.Errorf("write /etc/hostname: %w", err)
	}
	if err := copyFile(hosts, filepath.Join(upper, "hosts"), 0o644); err != nil {
		return fmt.Errorf("write /etc/hosts: %w", err)
	}
	// The upper directory is the merged /etc's own: node root's, as
	// are the files the init wrote.
	for _, p := range []string{upper, filepath.Join(upper, "hostname"), filepath.Join(upper, "hosts")} {
		if err := os.Chown(p, nodeRootID, nodeRootID); err != nil {
			return fmt.Errorf("make /etc layer: %w", err)
		}
	}
	if err := writeLayer(upper, layer); err != nil {
		return fmt.Errorf("write /etc layer: %w", err)
	}
	// userxattr: in a user namespace overlayfs keeps its metadata, like
	// the opaque marks, in user.overlay.* attributes.
	// The skeleton over the host's /etc: see etcSkeleton.
	opts := fmt.Sprintf("lowerdir=/proc/self/fd/%d:/etc,upperdir=%s,workdir=%s,userxattr", skel.Fd(), upper, work)
	if err := unix.Mount("overlay", "/etc", "overlay", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("mount overlay on /etc: %w", os.NewSyscallError("mount", err))
	}
	return nil
}

// writeLayer writes the layer's files under dir, with their modes and
// owners; its directories are opaque (see NodeConfig.Layer).
func writeLayer(dir string, layer []LayerFile) error {
	for _, f := range layer {
		p := filepath.Join(dir, filepath.Clean("/"+f.Path))
		var err error
		if f.Dir {
			err = os.Mkdir(p, 0o700)
			if err == nil {
				err = unix.Setxattr(p, "user.overlay.opaque", []byte("y"), 0)
			}
		} else {
			err = os.WriteFile(p, f.Data, 0o600)
		}
		if err == nil {
			err = os.Lchown(p, f.UID+nodeRootID, f.GID+nodeRootID)
		}
		if err == nil {
			err = os.Chmod(p, f.Mode)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
	}
	return nil
}

// copyFile copies in, from its start, to a new file dst.
func copyFile(in *os.File, dst string, mode os.FileMode) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, io.NewSectionReader(in, 0, 1<<40))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
