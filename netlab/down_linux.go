package netlab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/netlab-dev/netlab/netlab/parallel"
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
	// once it is gone, so is every process of the lab. The kernel ends
	// them all before the supervisor counts as exited, each taking its
	// namespaces down: seconds for thousands of nodes, which the names
	// are unregistered meanwhile.
	sup, err := st.Supervisor.sendKill()
	if err != nil {
		errs = append(errs, fmt.Errorf("lab supervisor: %w", err))
	}
	errs = append(errs, m.unregisterAll(st)...)
	if sup != nil {
		if err := st.Supervisor.awaitExit(sup, labExitTimeout(len(st.Nodes))); err != nil {
			errs = append(errs, fmt.Errorf("lab supervisor: %w", err))
		}
		sup.Close()
	}
	errs = append(errs, killNodes(st.Nodes)...)
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

// labExitTimeout bounds the wait for a killed lab's supervisor to exit,
// which it does once every process of the lab has: each node's exit
// unmounts its view, ~2 ms of the kernel's time on this machine class,
// several times that on a loaded one. The wait ends when the supervisor
// does, so the bound is generous: 10 ms a node beyond killTimeout (110 s
// for 10,000).
func labExitTimeout(nodes int) time.Duration {
	return killTimeout + time.Duration(nodes)*10*time.Millisecond
}

// killNodes kills any node of nodes still running: none is, unless the
// supervisor could not be killed. A few at a time, all within one
// killTimeout, so that a lab of stuck processes does not cost killTimeout
// a node.
func killNodes(nodes []NodeState) []error {
	deadline := time.Now().Add(killTimeout)
	errs := make([]error, len(nodes))
	parallel.Each(context.Background(), len(nodes), killParallel, func(i int) error {
		n := nodes[i]
		if err := n.Init.kill(max(time.Until(deadline), time.Millisecond)); err != nil {
			errs[i] = fmt.Errorf("node %s: %w", n.Name, err)
		}
		return nil
	})
	return slices.DeleteFunc(errs, func(e error) bool { return e == nil })
}

// killParallel is how many nodes killNodes works on at once.
const killParallel = 32

// unregisterAll removes the iproute2 names of st's nodes. Each is an
// unmount in the host's mount namespace, which waits for an RCU grace
// period: done a few at a time, the waits overlap.
func (m *Machine) unregisterAll(st *State) []error {
	if m.NetnsDir == "" {
		return nil
	}
	errs := make([]error, len(st.Nodes))
	parallel.Each(context.Background(), len(st.Nodes), unregisterParallel, func(i int) error {
		n := st.Nodes[i]
		if n.NetNSInode != 0 {
			if err := unregisterNetns(m.NetnsDir, netnsName(st.Name, n.Name), n.NetNSInode); err != nil {
				errs[i] = fmt.Errorf("node %s: %w", n.Name, err)
			}
		}
		return nil
	})
	return slices.DeleteFunc(errs, func(e error) bool { return e == nil })
}

// unregisterParallel is how many names unregisterAll removes at once.
const unregisterParallel = 8

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
