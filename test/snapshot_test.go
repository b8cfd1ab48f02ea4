package test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

// snapshot is what a lab could leave behind on the host, as sorted lines.
type snapshot struct {
	netns     []string // names under /run/netns
	links     []string // host interfaces
	mounts    []string // host mount points
	processes []string // processes of any netlab lab, zombies included
	state     []string // entries under /run/netlab
	hostname  string
}

// takeSnapshot records the host's view of everything netlab makes.
func takeSnapshot(t testing.TB) snapshot {
	t.Helper()
	var s snapshot
	s.netns = dirNames("/run/netns")
	s.state = dirNames("/run/netlab")
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
		if len(f) > 4 {
			s.mounts = append(s.mounts, f[4])
		}
	}
	s.processes = labProcesses()
	s.hostname, _ = os.Hostname()
	slices.Sort(s.links)
	slices.Sort(s.mounts)
	return s
}

func dirNames(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// labProcesses lists every process that runs as a uid of netlab's lab
// ranges (everything inside a lab) or is a netlab supervisor or init.
func labProcesses() []string {
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
		if inLabRange(status) || strings.Contains(cmd, "__netlab_") {
			out = append(out, pid+" "+cmd+" "+statusField(status, "State"))
		}
	}
	return out
}

func inLabRange(status []byte) bool {
	f := strings.Fields(statusField(status, "Uid"))
	if len(f) == 0 {
		return false
	}
	uid, err := strconv.ParseUint(f[0], 10, 32)
	return err == nil && uid >= 0x70000000 && uid < 0x7ffe0000
}

func statusField(status []byte, key string) string {
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// /run/netns is made a shared mount of itself the first time any lab (or
// `ip netns add`) registers a namespace, and stays one, as with iproute2.
// It belongs to the host from then on, not to a lab.
func ignoreNetnsDirMount(mounts []string) []string {
	return slices.DeleteFunc(slices.Clone(mounts), func(m string) bool { return m == "/run/netns" })
}

// assertNoLeftovers fails the test if the host differs from before.
func assertNoLeftovers(t testing.TB, before snapshot) {
	t.Helper()
	after := takeSnapshot(t)
	diff := func(what string, a, b []string) {
		if !slices.Equal(a, b) {
			t.Errorf("%s differ after down:\n before: %q\n after:  %q", what, a, b)
		}
	}
	diff("network namespaces in /run/netns", before.netns, after.netns)
	diff("host interfaces", before.links, after.links)
	diff("host mounts", ignoreNetnsDirMount(before.mounts), ignoreNetnsDirMount(after.mounts))
	diff("lab processes", before.processes, after.processes)
	diff("state in /run/netlab", before.state, after.state)
	if before.hostname != after.hostname {
		t.Errorf("host name changed from %q to %q", before.hostname, after.hostname)
	}
}
