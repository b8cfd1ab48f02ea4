package nsproc

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// etcSkeleton is, in the supervisor's mount namespace, a tree of empty
// directories, one for each directory of the host's /etc, owned by the
// node root. Every node's /etc overlay has it as its upper lower layer,
// over the host's /etc: a merged directory takes its owner from the
// uppermost layer that has it, so node root owns every directory of its
// /etc and may add, replace or remove files anywhere in it (copy-up into
// the node's own layer), while the host's files keep their host owners:
// a secret such as /etc/shadow stays unreadable. A host directory that is
// not open to everyone (/etc/ssl/private, /etc/frr) is an empty, opaque
// one of the node's own instead: its contents are the host's secret too.
// Built once per lab, it costs a node nothing.
const etcSkeleton = "/run/netlab-etc"

// buildEtcSkeleton makes etcSkeleton on a tmpfs of the supervisor's own.
func buildEtcSkeleton() error {
	if err := unix.Mount("tmpfs", "/run", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0755"); err != nil {
		return fmt.Errorf("mount tmpfs for the /etc skeleton: %w", os.NewSyscallError("mount", err))
	}
	if err := os.Mkdir(etcSkeleton, 0o755); err != nil {
		return fmt.Errorf("make the /etc skeleton: %w", err)
	}
	return filepath.WalkDir("/etc", func(path string, d fs.DirEntry, err error) error {
		if path == "/etc" || err != nil || !d.IsDir() {
			return nil // unreadable entries stay as the host has them
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		dst := filepath.Join(etcSkeleton, path[len("/etc"):])
		perm := fi.Mode().Perm()
		if perm&0o005 != 0o005 {
			// Hidden from everyone but its owner on the host: the node
			// gets an empty directory of its own in its place.
			if err := os.Mkdir(dst, 0o755); err == nil {
				err = os.Chown(dst, nodeRootID, nodeRootID)
			}
			if err != nil {
				return fmt.Errorf("make the /etc skeleton: %w", err)
			}
			if err := unix.Setxattr(dst, "user.overlay.opaque", []byte("y"), 0); err != nil {
				return fmt.Errorf("make the /etc skeleton: %w", os.NewSyscallError("setxattr "+dst, err))
			}
			return fs.SkipDir
		}
		if err := os.Mkdir(dst, perm); err != nil {
			return fmt.Errorf("make the /etc skeleton: %w", err)
		}
		if err := os.Chown(dst, nodeRootID, nodeRootID); err != nil {
			return fmt.Errorf("make the /etc skeleton: %w", err)
		}
		return os.Chmod(dst, fi.Mode()&(fs.ModePerm|fs.ModeSticky|fs.ModeSetgid))
	})
}
