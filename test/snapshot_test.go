package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

// snapshot is what one lab could leave behind on the host, as sorted
// lines. It is scoped to the lab's name and uid range so that other labs
// running meanwhile (other tests, other people) do not count.
type snapshot struct {
	lab       string
	netns     []string // /run/netns entries named LAB-*
	links     []string // every host interface: no lab may ever make one
	mounts    []string // host mount points that name the lab
	processes []string // processes in the lab's uid range or naming the lab
	state     []string // STATE_ROOT/LAB and its contents
	cgroups   []string // the lab's cgroup directories, v1 and v2
	hostname  string
}

// takeSnapshot records the host's view of everything lab could make. ids
// is the lab's uid range when it is known (from its state), or nil.
func takeSnapshot(t testing.TB, lab string, ids *idRange) snapshot {
	t.Helper()
	s := snapshot{lab: lab}
	for _, n := range dirNames(netnsDir()) {
		if strings.HasPrefix(n, lab+"-") {
			s.netns = append(s.netns, n)
		}
	}
	filepath.WalkDir(filepath.Join(stateRoot(), lab), func(p string, _ os.DirEntry, err error) error {
		if err == nil {
			s.state = append(s.state, p)
		}
		return nil
	})
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatalf("list host links: %v", err)
	}
	for _, l := range links {
		s.links = append(s.links, fmt.Sprintf("%s/%d", l.Attrs().Name, l.Attrs().Index))
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mi), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (strings.HasPrefix(f[4], filepath.Join(netnsDir(), lab)+"-") || strings.Contains(f[4], filepath.Join(stateRoot(), lab))) {
			s.mounts = append(s.mounts, f[4])
		}
	}
	s.processes = labProcesses(lab, ids)
	// netlab/LAB, or netlab-HASH/LAB of a state root not root's own.
	for _, pattern := range []string{"/sys/fs/cgroup/*/netlab*/" + lab, "/sys/fs/cgroup/netlab*/" + lab} {
		m, _ := filepath.Glob(pattern)
		s.cgroups = append(s.cgroups, m...)
	}
	s.hostname, _ = os.Hostname()
	slices.Sort(s.links)
	slices.Sort(s.mounts)
	return s
}

func dirNames(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		// Hidden entries are netlab's own files of the state root, not labs.
		if !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// labState is what tests read of a running lab's state.json.
type labState struct {
	Supervisor struct{ Pid int }
	IDs        idRange
	Cgroup     []string
	Nodes      []struct {
		Name        string
		Init, Agent struct{ Pid int }
	}
}

// readLabState reads the state of lab from the state root root (root's
// netlab's: stateRoot(); a test user's: its own).
func readLabState(t testing.TB, root, lab string) labState {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, lab, "state.json"))
	if err != nil {
		t.Fatalf("read state of %s: %v", lab, err)
	}
	var st labState
	if err := json.Unmarshal(b, &st); err != nil || st.Supervisor.Pid == 0 || len(st.Nodes) == 0 {
		t.Fatalf("state of %s has no supervisor or nodes: %v", lab, err)
	}
	return st
}

// nodeProc reads the host pid of a running node's one process from
// its lab's state.
func nodeProc(t testing.TB, lab, node string) int {
	t.Helper()
	for _, n := range readLabState(t, stateRoot(), lab).Nodes {
		if n.Name == node {
			return n.Init.Pid
		}
	}
	t.Fatalf("state of %s has no node %s", lab, node)
	return 0
}

// idRange is a lab's host uid range as state.json records it.
type idRange struct{ First, Count uint64 }

// labIDs reads the uid range of a running lab from its state.
func labIDs(t testing.TB, lab string) *idRange {
	t.Helper()
	st := readLabState(t, stateRoot(), lab)
	if st.IDs.Count == 0 {
		t.Fatalf("state of %s has no uid range", lab)
	}
	return &st.IDs
}

// labProcesses lists processes, zombies included, that run as a uid of the
// lab's range or are the lab's supervisor or node inits.
func labProcesses(lab string, ids *idRange) []string {
	var out []string
	for _, pid := range dirNames("/proc") {
		if _, err := strconv.Atoi(pid); err != nil {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", pid, "status"))
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", pid, "cmdline"))
		cmd := string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
		named := strings.Contains(cmd, "__netlab_supervisor "+lab+" ") || strings.Contains(cmd, "__netlab_init "+lab+"/")
		if named || ids != nil && inRange(status, ids) {
			out = append(out, pid+" "+cmd+" "+statusField(status, "State"))
		}
	}
	return out
}

func inRange(status []byte, ids *idRange) bool {
	f := strings.Fields(statusField(status, "Uid"))
	if len(f) == 0 {
		return false
	}
	uid, err := strconv.ParseUint(f[0], 10, 32)
	return err == nil && uid >= ids.First && uid < ids.First+ids.Count
}

func statusField(status []byte, key string) string {
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// assertNoLeftovers fails the test if anything of the lab is on the host
// that was not there before. ids, when known, widens the process check to
// every process of the lab's uid range.
func assertNoLeftovers(t testing.TB, before snapshot, ids *idRange) {
	t.Helper()
	after := takeSnapshot(t, before.lab, ids)
	if ids != nil {
		before.processes = nil // the range was unknown then; none may run now
	}
	diff := func(what string, a, b []string) {
		if !slices.Equal(a, b) {
			t.Errorf("lab %s: %s differ after down:\n before: %q\n after:  %q", before.lab, what, a, b)
		}
	}
	diff("network namespaces in /run/netns", before.netns, after.netns)
	diff("host interfaces", before.links, after.links)
	diff("host mounts", before.mounts, after.mounts)
	diff("lab processes", before.processes, after.processes)
	diff("state in /run/netlab", before.state, after.state)
	diff("cgroups", before.cgroups, after.cgroups)
	if before.hostname != after.hostname {
		t.Errorf("host name changed from %q to %q", before.hostname, after.hostname)
	}
}
