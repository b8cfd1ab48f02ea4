package netlab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lockedDir is an open directory held under flock. The lock goes with the
// file descriptor, so a killed holder never leaves a stale lock behind.
type lockedDir struct{ f *os.File }

// lockDir opens dir and takes an exclusive flock on it, waiting until ctx
// ends. It returns an error wrapping os.ErrNotExist if dir is absent or was
// removed while this waited.
func lockDir(ctx context.Context, dir string) (*lockedDir, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", dir, os.NewSyscallError("flock", err))
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("wait for lock on %s: %w", dir, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	// The holder before us may have removed the directory: then it is
	// not the lab we meant any more.
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Nlink == 0 {
		f.Close()
		return nil, fmt.Errorf("%s: %w", dir, os.ErrNotExist)
	}
	return &lockedDir{f: f}, nil
}

// Busy reports whether another netlab command holds lab right now: an up
// still running, a down or a link set under way. Down waits for it.
func (m *Machine) Busy(lab string) bool { return checkLabName(lab) == nil && m.busy(lab) }

// busy reports whether someone holds the lock on dir right now.
func busy(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); err != nil {
		return errors.Is(err, unix.EWOULDBLOCK)
	}
	return false
}

func (l *lockedDir) unlock() { l.f.Close() }
