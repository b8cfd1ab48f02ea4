package netlab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// createLab makes the state directory and first state.json of lab t, of
// which this machine brings up part (all of t, or of a lab across hosts
// the nodes of host), holding the lock on the state root so that two ups
// never pick the same name or uid range. It returns with the lab's own
// lock held.
func (m *Machine) createLab(ctx context.Context, t, part *topology.Topology, host *topology.Host, sub *subIDs) (*State, *lockedDir, error) {
	var root *lockedDir
	for try := 0; root == nil; try++ {
		if err := m.ensureStateRoot(); err != nil {
			return nil, nil, err
		}
		var err error
		root, err = lockDir(ctx, m.StateRoot)
		// The last lab's down may have removed the root meanwhile.
		if err != nil && (!errors.Is(err, os.ErrNotExist) || try == 3) {
			return nil, nil, err
		}
	}
	defer root.unlock()

	dir := m.labDir(t.Name)
	if _, err := os.Stat(dir); err == nil {
		return nil, nil, m.existingLabError(t.Name)
	}
	var ids IDRange
	if sub != nil {
		// The user's own subordinate ids, as every lab of the user's has
		// them: nothing to pick, nothing of the host's accounts to read.
		ids = IDRange{First: sub.uids.First, Count: idRangeSize - 1}
	} else {
		used, err := m.usedIDRanges()
		if err == nil {
			ids, err = pickIDRangeIn(m.StateRoot, used)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	// The file's absolute path: status shows where a lab came from
	// whatever directory it is asked in.
	file := t.File
	if abs, err := filepath.Abs(file); err == nil && file != "" {
		file = abs
	}
	st := &State{Name: t.Name, File: file, Phase: PhaseStarting, Started: time.Now(), Protocol: nsproc.ProtocolVersion, IDs: ids, Topology: t}
	if host != nil {
		st.Host = host.Name
	}
	for _, n := range part.Nodes {
		st.Nodes = append(st.Nodes, NodeState{Name: n.Name})
	}
	if err := st.keepTopology(); err != nil {
		return nil, nil, err
	}
	// The directory appears under its name already locked and holding
	// state.json, so that a down of the same name never finds it bare.
	// A leftover of an up killed right here is the only thing named so.
	tmp := filepath.Join(m.StateRoot, "."+t.Name+".new")
	os.RemoveAll(tmp)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create lab directory: %w", err)
	}
	lock, err := lockDir(ctx, tmp)
	if err == nil {
		err = st.writeTo(filepath.Join(tmp, "state.json"))
	}
	if err == nil {
		err = os.Rename(tmp, dir)
	}
	if err != nil {
		if lock != nil {
			lock.unlock()
		}
		os.RemoveAll(tmp)
		return nil, nil, fmt.Errorf("create lab directory: %w", err)
	}
	return st, lock, nil
}

// usedIDRanges are the uid ranges of m's labs. The
// teardown record comes first: it holds the range without the topology,
// and survives a damaged state.json.
func (m *Machine) usedIDRanges() ([]IDRange, error) {
	names, err := m.Labs()
	if err != nil {
		return nil, err
	}
	var used []IDRange
	for _, name := range names {
		if s, err := m.readTeardownState(name); err == nil {
			used = append(used, s.IDs)
		} else if s, err := m.readState(name); err == nil {
			used = append(used, s.IDs)
		}
	}
	return used, nil
}

// existingLabError says what is in the way of bringing lab name up. It
// is ErrLabExists.
func (m *Machine) existingLabError(name string) error {
	if busy(m.labDir(name)) {
		return labExists(fmt.Sprintf("lab %s is being brought up or down by another netlab", name))
	}
	st, err := m.readState(name)
	if err == nil && st.Phase == PhaseUp && st.Supervisor.alive() {
		// Up whatever its nodes do (status says which are not running).
		return labExists(fmt.Sprintf("lab %s is already up (from %s); take it down first (netlab down %s), or bring it up anew with netlab up --replace", name, st.File, name))
	}
	return labExists(fmt.Sprintf("lab %s has leftovers of a run that did not finish; remove them with netlab down %s, or bring it up anew with netlab up --replace", name, name))
}

// labExists is an error about a lab in the way: it is ErrLabExists.
type labExists string

func (e labExists) Error() string        { return string(e) }
func (e labExists) Is(target error) bool { return target == ErrLabExists }

// writeHosts writes the lab's /etc/hosts and returns it open for reading:
// every node's init copies it from that one descriptor.
func writeHosts(path string, content []byte) (*os.File, error) {
	if err := os.WriteFile(path, content, 0o644); err != nil {
		return nil, fmt.Errorf("write hosts file: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("write hosts file: %w", err)
	}
	return f, nil
}

// listenExec makes a listening socket of the lab's (a node's exec socket,
// the supervisor's), reachable by the lab's owner only.
func listenExec(path string) (*os.File, error) {
	l, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return nil, fmt.Errorf("exec socket: %w", err)
	}
	l.SetUnlinkOnClose(false)
	defer l.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("exec socket: %w", err)
	}
	f, err := l.File()
	if err != nil {
		return nil, fmt.Errorf("exec socket: %w", err)
	}
	return f, nil
}

// maxSocketPath is the longest path a unix socket may be bound at
// (sun_path holds 108 bytes with the terminating NUL).
const maxSocketPath = 107

// checkSocketPaths refuses, before anything is made, a lab whose nodes'
// exec sockets would not fit sun_path: a long state directory (a deep
// $HOME) with long lab and node names.
func (m *Machine) checkSocketPaths(t *topology.Topology) error {
	if p := m.supervisorPath(t.Name); len(p) > maxSocketPath {
		return fmt.Errorf("lab %s: its supervisor's socket %s is %d bytes, more than a unix socket's path may be (%d): set %s to a shorter directory, or shorten the lab's name", t.Name, p, len(p), maxSocketPath, StateDirEnv)
	}
	for _, n := range t.Nodes {
		if p := m.socketPath(t.Name, n.Name); len(p) > maxSocketPath {
			return fmt.Errorf("node %s: its socket %s is %d bytes, more than a unix socket's path may be (%d): set %s to a shorter directory, or shorten the lab's or node's name", n.Name, p, len(p), maxSocketPath, StateDirEnv)
		}
	}
	return nil
}
