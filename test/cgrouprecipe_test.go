package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// readmeCode is the nth code block (indented four spaces) of README.md's
// section that starts with heading, its lines unindented.
func readmeCode(t *testing.T, heading string, n int) []string {
	t.Helper()
	var blocks [][]string
	in := false
	for _, l := range strings.Split(readmeSection(t, heading), "\n") {
		code, ok := strings.CutPrefix(l, "    ")
		switch {
		case ok && !in:
			blocks = append(blocks, []string{code})
		case ok:
			blocks[len(blocks)-1] = append(blocks[len(blocks)-1], code)
		}
		in = ok
	}
	if n >= len(blocks) {
		t.Fatalf("README.md's %q has %d code blocks, not %d", heading, len(blocks), n+1)
	}
	return blocks[n]
}

// TestCgroupRecipe runs the README's recipe for a user's limits without
// systemd on cgroup v1, as written, for a user of the test's instead of
// alice: root's part as root, the user's in the shell that then runs
// netlab up. The lab's cgroup is made under the user's, with its limit,
// without a warning; the caps root set are not the user's to raise.
func TestCgroupRecipe(t *testing.T) {
	if _, err := os.Stat("/sys/fs/cgroup/pids/cgroup.procs"); err != nil {
		t.Skipf("no cgroup v1 pids hierarchy here: the recipe tested is v1's (%v)", err)
	}
	u := newRootlessUser(t, "netlabcg", 1<<20+14<<16)
	lines := readmeCode(t, "### Limits for ordinary users, without systemd", 0)
	script := strings.ReplaceAll(strings.Join(lines, "\n"), "alice", u.name)
	asRoot, asUser, ok := strings.Cut(script, "# as "+u.name)
	_, asUser, _ = strings.Cut(asUser, "\n") // the rest of the comment
	if !ok {
		t.Fatalf("the recipe has no part for the user:\n%s", script)
	}
	ctrls := []string{"pids", "memory", "cpu"}
	t.Cleanup(func() {
		for _, c := range ctrls {
			d := fmt.Sprintf("/sys/fs/cgroup/%s/netlab-%s", c, u.name)
			os.Remove(filepath.Join(d, "netlab"))
			if err := os.Remove(d); err != nil && !os.IsNotExist(err) {
				t.Errorf("remove %s: %v", d, err)
			}
		}
	})
	if out, err := exec.Command("bash", "-ec", asRoot).CombinedOutput(); err != nil {
		t.Fatalf("the recipe's root part: %v\n%s\n%s", err, asRoot, out)
	}
	file := u.topology(t, writeTopology(t, "cglab", "name: cglab\nlimits: {pids: 120}\nnodes:\n  h1: {}\n"))
	cmd := u.command([]string{"PATH=" + filepath.Dir(netlabBin) + ":/usr/bin:/bin"}, "")
	cmd.Path = "/bin/sh"
	cmd.Args = []string{"sh", "-ec", asUser + "\nexec netlab up " + file}
	r := runIn(t, cmd)
	if r.code != 0 {
		t.Fatalf("the recipe's user part, then up: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	defer u.run(t, nil, "down", "cglab")
	if strings.Contains(r.stderr, "not applied") {
		t.Errorf("up warned: %s", r.stderr)
	}
	base := "/sys/fs/cgroup/pids/netlab-" + u.name
	if max, _ := os.ReadFile(base + "/netlab/cglab/pids.max"); strings.TrimSpace(string(max)) != "120" {
		t.Errorf("the lab's pids.max under the user's cgroup = %q, want 120", max)
	}
	if max, _ := os.ReadFile(base + "/pids.max"); strings.TrimSpace(string(max)) != "4096" {
		t.Errorf("the user's cap, pids.max = %q, want 4096 as the recipe says", max)
	}
	// The caps are root's: the user cannot raise them.
	raise := u.command(nil, "")
	raise.Path, raise.Args = "/bin/sh", []string{"sh", "-c", "echo max > " + base + "/pids.max"}
	if r := runIn(t, raise); r.code == 0 {
		t.Errorf("the user raised the cap root set")
	}
	u.must(t, "down", "cglab")
	if _, err := os.Stat(base + "/netlab/cglab"); err == nil {
		t.Errorf("the lab's cgroup is left after down")
	}
}
