package test

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestScaleFewFiles: a 2000-node chain comes up under `ulimit -n 256`: up
// holds descriptors in proportion to how many nodes it works on at once,
// not to the lab's size, and so does the lab's supervisor afterwards. The
// chain is wired end to end, and down leaves nothing.
func TestScaleFewFiles(t *testing.T) {
	needRoot(t)
	const lab, n = "scale-files", 2000
	file := chainTopology(t, lab, n)
	before := takeSnapshot(t, lab, nil)
	downAtEnd(t, lab)
	r := runIn(t, exec.Command("sh", "-c", `ulimit -n 256 && exec "$0" up -q "$1"`, netlabBin, file))
	if r.code != 0 {
		t.Fatalf("up of %d nodes under ulimit -n 256: exit %d\n%s%s", n, r.code, r.stdout, r.stderr)
	}
	ids := labIDs(t, lab)
	// The last link: r(n-1) reaches r(n) (scripts/gen-topology.sh's
	// addressing: end 2 of link k is 10.64.0.0 + 4k + 2).
	end := 4*(n-1) + 2
	last := netip.AddrFrom4([4]byte{10, 64, byte(end >> 8), byte(end & 0xff)})
	mustNetlab(t, "exec", fmt.Sprintf("%s/r%d", lab, n-1), "--", "ping", "-c1", "-W2", last.String())
	if fds := supervisorFiles(t, lab); fds > 32 {
		t.Errorf("the supervisor of a %d-node lab holds %d descriptors, want a few", n, fds)
	}
	mustNetlab(t, "down", lab)
	assertNoLeftovers(t, before, ids)
}

// supervisorFiles counts the descriptors the lab's supervisor holds.
func supervisorFiles(t *testing.T, lab string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stateRoot(), lab, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Supervisor struct{ Pid int } `json:"supervisor"`
	}
	if err := json.Unmarshal(b, &st); err != nil || st.Supervisor.Pid == 0 {
		t.Fatalf("state of %s: no supervisor (%v)", lab, err)
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", st.Supervisor.Pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// TestScaleRefused: a lab that cannot fit is refused before anything is
// made, in one line that names the limit and the fix: more tasks than its
// own pids limit, or than pid_max can hold; a bridge with more ports than
// the kernel's bridge takes.
func TestScaleRefused(t *testing.T) {
	needRoot(t)
	chain := func(name string, n int, extra string) string {
		out, err := exec.Command(filepath.Join(repoRoot, "scripts/gen-topology.sh"), "chain", fmt.Sprint(n), name).Output()
		if err != nil {
			t.Fatalf("gen-topology.sh: %v", err)
		}
		return writeTopology(t, name, strings.Replace(string(out), "\n", "\n"+extra, 1))
	}
	star := func(name string, n int) string {
		out, err := exec.Command(filepath.Join(repoRoot, "scripts/gen-topology.sh"), "star", fmt.Sprint(n), name).Output()
		if err != nil {
			t.Fatalf("gen-topology.sh: %v", err)
		}
		return writeTopology(t, name, string(out))
	}
	pidMax := 32768
	if b, err := os.ReadFile("/proc/sys/kernel/pid_max"); err == nil {
		fmt.Sscan(string(b), &pidMax)
	}
	for _, tc := range []struct {
		lab, file string
		code      int
		want      string // a regular expression: the whole of stderr
	}{
		{"scale-pids", chain("scale-pids", 100, "limits: {pids: 100}\n"), 2,
			`^\S+/scale-pids.yaml:2:16: limits: pids: 100 is fewer than the 116 tasks the lab's 100 nodes run at least .*; raise it to at least 116, or leave it out for a budget sized from the nodes\n$`},
		// One node more than 3/4 of pid_max: every node is a task.
		{"scale-pidmax", chain("scale-pidmax", pidMax/4*3+1, ""), 1,
			`^netlab: a lab of \d+ nodes runs at least \d+ tasks, more than the \d+ a lab may take \(3/4 of kernel.pid_max, \d+\); raise it: sysctl -w kernel.pid_max=\d+\n$`},
		{"scale-ports", star("scale-ports", 1025), 2,
			`^\S+/scale-ports.yaml:\d+:\d+: bridge sw has 1024 ports, and a Linux bridge takes at most 1023; split the LAN into bridges of at most 1023 ports joined by links between them\n$`},
	} {
		t.Run(tc.lab, func(t *testing.T) {
			before := takeSnapshot(t, tc.lab, nil)
			r := netlab(t, "up", tc.file)
			if r.code != tc.code || !regexpMatch(tc.want, r.stderr) {
				t.Errorf("up: exit %d, stderr %q; want exit %d, stderr matching %s", r.code, r.stderr, tc.code, tc.want)
			}
			assertNoLeftovers(t, before, nil)
		})
	}
}
