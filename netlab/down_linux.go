package netlab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Down takes lab name down from its state: it ends the lab's processes,
// unregisters its network namespaces and removes its state. A lab that is
// not up is not an error. Down waits while an up or down of the same lab
// holds its lock, until ctx ends.
func Down(ctx context.Context, name string) error {
	if err := checkLabName(name); err != nil {
		return err
	}
	if err := checkStateRoot(); err != nil {
		return err
	}
	lock, err := lockDir(ctx, labDir(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer lock.unlock()
	st, err := readState(name)
	switch {
	case errors.Is(err, ErrNoLab):
		// Up writes state.json right after it makes the directory, under
		// the lock we now hold: without one, nothing else was made.
		st = &State{Name: name}
	case errors.Is(err, ErrCorruptState):
		// What down needs is kept twice.
		var terr error
		if st, terr = readTeardownState(name); terr != nil {
			return fmt.Errorf("%w, and %v: remove what the lab made by hand", err, terr)
		}
	case err != nil:
		return err
	}
	return teardown(st)
}

// DownAll takes down every lab that has state, and nothing else.
func DownAll(ctx context.Context) error {
	names, err := Labs()
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		if err := Down(ctx, name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// teardown removes what st names. It goes on after an error and returns
// all of them: a half-removed lab is worse than a slow one.
func teardown(st *State) error {
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
		if n.NetNSInode != 0 && CurrentMode().RegisterNetns {
			if err := unregisterNetns(netnsName(st.Name, n.Name), n.NetNSInode); err != nil {
				errs = append(errs, fmt.Errorf("node %s: %w", n.Name, err))
			}
		}
	}
	// Once the processes are gone (the kernel frees them shortly after).
	if err := (&labCgroup{Paths: labCgroupDirs(st.Name, st.Cgroup)}).Remove(); err != nil {
		errs = append(errs, fmt.Errorf("remove cgroup: %w", err))
	}
	if len(errs) == 0 {
		if err := os.RemoveAll(labDir(st.Name)); err != nil {
			errs = append(errs, fmt.Errorf("remove state: %w", err))
		} else {
			removeEmptyStateRoot()
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
func removeEmptyStateRoot() {
	// An up may hold the lock a while (it looks up the host's accounts).
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	root, err := lockDir(ctx, StateRoot())
	if err != nil {
		return
	}
	defer root.unlock()
	entries, err := os.ReadDir(StateRoot())
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Name() != idNextFile {
			return
		}
	}
	os.Remove(filepath.Join(StateRoot(), idNextFile))
	os.Remove(StateRoot())
}
