package nsproc

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// etcSkeleton is, in the supervisor's mount namespace, a copy of what of
// the host's /etc any host user may read, owned by the node root: a
// directory for each directory, and a copy of each world-readable file
// (up to etcCopyMax each, etcCopyBudget in all). Every node's /etc overlay
// has it as its upper lower layer, over the host's /etc: a merged entry
// takes its owner from the uppermost layer that has it, so node root owns
// every directory and every public file of its /etc and may add, edit in
// place, replace or remove anything in it (copy-up into the node's own
// layer), never changing the host's. What the copy leaves out keeps its
// host owner: a secret such as /etc/shadow stays unreadable (and a file
// over the bounds can be replaced, not edited in place). A host directory
// that is not open to everyone (/etc/ssl/private, /etc/frr) is an empty,
// opaque one of the node's own instead: its contents are the host's secret
// too. Built once per lab (~2 MB and a few ms for a Debian /etc), it costs
// a node nothing. The copy is of /etc as it was at up, as an image would be.
const etcSkeleton = "/run/netlab-etc"

// Bounds of the copy of the host's files in etcSkeleton.
const (
	etcCopyMax    = 1 << 20
	etcCopyBudget = 16 << 20
)

// buildEtcSkeleton makes etcSkeleton on a tmpfs of the supervisor's own.
func buildEtcSkeleton() error {
	if err := unix.Mount("tmpfs", "/run", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0755"); err != nil {
		return fmt.Errorf("mount tmpfs for the /etc skeleton: %w", os.NewSyscallError("mount", err))
	}
	if err := os.Mkdir(etcSkeleton, 0o755); err != nil {
		return fmt.Errorf("make the /etc skeleton: %w", err)
	}
	budget := int64(etcCopyBudget)
	return filepath.WalkDir("/etc", func(path string, d fs.DirEntry, err error) error {
		if path == "/etc" || err != nil || !(d.IsDir() || d.Type().IsRegular()) {
			return nil // unreadable entries and symlinks stay as the host has them
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		dst := filepath.Join(etcSkeleton, path[len("/etc"):])
		perm := fi.Mode().Perm()
		if !d.IsDir() {
			if perm&0o004 == 0 || fi.Size() > etcCopyMax || fi.Size() > budget {
				return nil
			}
			budget -= fi.Size()
			return copyEtcFile(path, dst, fi)
		}
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

// copyEtcFile copies the host's world-readable file src to dst in the
// skeleton, owned by the node root, with its permission bits (no set-id:
// the node's /etc is nosuid anyway) and times. A file that cannot be read
// after all (changed since the walk) is left to the host's layer.
func copyEtcFile(src, dst string, fi fs.FileInfo) error {
	in, err := os.OpenFile(src, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("make the /etc skeleton: %w", err)
	}
	// A file that grew since the walk is copied only as far as it was.
	_, cerr := io.Copy(out, io.LimitReader(in, fi.Size()))
	if err := out.Close(); cerr == nil {
		cerr = err
	}
	if cerr == nil {
		cerr = os.Chown(dst, nodeRootID, nodeRootID)
	}
	if cerr == nil {
		cerr = os.Chmod(dst, fi.Mode().Perm())
	}
	if cerr != nil {
		return fmt.Errorf("make the /etc skeleton: %w", cerr)
	}
	os.Chtimes(dst, fi.ModTime(), fi.ModTime())
	return nil
}
