package netlab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Down takes lab name of m down, if it has one (see Lab.Down): a lab that
// is not up is not an error.
func (m *Machine) Down(ctx context.Context, name string) error {
	l, err := m.OpenLab(name)
	if errors.Is(err, ErrNoLab) {
		return nil
	}
	if err != nil {
		return err
	}
	return l.Down(ctx)
}

// Down takes the lab down from its state: it ends the lab's processes,
// unregisters its network namespaces and removes its state. It waits
// while an up or down of the same lab holds its lock, until ctx ends, and
// reads the state under that lock; a lab that another down removed
// meanwhile is not an error.
func (l *Lab) Down(ctx context.Context) error {
	m, name := l.m, l.name
	if !m.Own() {
		return fmt.Errorf("lab %s is user %s's: it goes down as that user (netlab down %s runs netlab as them)", l.Ref(), m.User, l.Ref())
	}
	if err := m.checkStateRoot(); err != nil {
		return err
	}
	lock, err := lockDir(ctx, m.labDir(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer lock.unlock()
	st, err := m.readState(name)
	switch {
	case errors.Is(err, ErrNoLab):
		// Up writes state.json right after it makes the directory, under
		// the lock we now hold: without one, nothing else was made.
		st = &State{Name: name}
	case errors.Is(err, ErrCorruptState):
		// What down needs is kept twice.
		var terr error
		if st, terr = m.readTeardownState(name); terr != nil {
			return fmt.Errorf("%w, and %v: remove what the lab made by hand", err, terr)
		}
	case err != nil:
		return err
	}
	return m.teardown(st)
}

// DownAll takes down every lab of m that has state, and nothing else.
func (m *Machine) DownAll(ctx context.Context) error {
	names, err := m.Labs()
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		if err := m.Down(ctx, name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// teardown removes what st names. It goes on after an error and returns
// all of them: a half-removed lab is worse than a slow one.
func (m *Machine) teardown(st *State) error {
	var errs []error
	// The supervisor is PID 1 of the PID namespace that holds every node:
	// once it is gone, so is every process of the lab.
	if err := st.Supervisor.kill(killTimeout); err != nil {
		errs = append(errs, fmt.Errorf("lab supervisor: %w", err))
	}
	for _, n := range st.Nodes {
		if err := n.Init.kill(killTimeout); err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", n.Name, err))
		}
		if n.NetNSInode != 0 && m.NetnsDir != "" {
			if err := unregisterNetns(m.NetnsDir, netnsName(st.Name, n.Name), n.NetNSInode); err != nil {
				errs = append(errs, fmt.Errorf("node %s: %w", n.Name, err))
			}
		}
	}
	// Once the processes are gone (the kernel frees them shortly after).
	if err := (&labCgroup{Paths: m.labCgroupDirs(st.Name, st.Cgroup)}).Remove(); err != nil {
		errs = append(errs, fmt.Errorf("remove cgroup: %w", err))
	}
	if len(errs) == 0 {
		if err := os.RemoveAll(m.labDir(st.Name)); err != nil {
			errs = append(errs, fmt.Errorf("remove state: %w", err))
		} else {
			m.removeEmptyStateRoot()
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("lab %s: %w", st.Name, err)
	}
	return nil
}

// removeEmptyStateRoot removes the state root once it holds no lab: the
// last down leaves nothing of netlab behind. Under the root's lock, so that
// no up is making a lab in it meanwhile; an up that waited for that lock
// finds the root gone and makes it anew. The uid rotation's file goes with
// it (see pickIDRangeIn).
func (m *Machine) removeEmptyStateRoot() {
	// An up may hold the lock a while (it looks up the host's accounts).
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	root, err := lockDir(ctx, m.StateRoot)
	if err != nil {
		return
	}
	defer root.unlock()
	entries, err := os.ReadDir(m.StateRoot)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Name() != idNextFile {
			return
		}
	}
	os.Remove(filepath.Join(m.StateRoot, idNextFile))
	os.Remove(m.StateRoot)
}
