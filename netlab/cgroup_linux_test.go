package netlab

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/topology"
)

// cgroupNeedRoot skips a test that makes real cgroups when not root, or
// fails it under CI, where it must run.
func cgroupNeedRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("cgroup tests need root, and CI is set: run them as root")
	}
	t.Skip("cgroup tests need root")
}

// newTestCgroup makes a lab cgroup and removes it when the test ends,
// whatever happened.
func newTestCgroup(t *testing.T, lab string, lim cgroupLimits) *labCgroup {
	t.Helper()
	cg, warns, err := ThisMachine().createLabCgroup(lab, lim)
	if err != nil {
		t.Fatalf("createLabCgroup(%s): %v", lab, err)
	}
	t.Cleanup(func() {
		if err := cg.Remove(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	for _, w := range warns {
		t.Logf("warning: %s", w)
	}
	if len(cg.Paths) == 0 {
		t.Fatalf("createLabCgroup(%s) made no directory; warnings: %q", lab, warns)
	}
	return cg
}

// startKilledAtCleanup starts cmd and kills (its process group, when it has
// one) and reaps it when the test ends.
func startKilledAtCleanup(t *testing.T, cmd *exec.Cmd) <-chan error {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", cmd.Args, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	killed := false
	kill := func() {
		if killed {
			return
		}
		killed = true
		if cmd.SysProcAttr != nil && cmd.SysProcAttr.Setpgid {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		cmd.Process.Kill()
	}
	t.Cleanup(kill)
	return done
}

func cgRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func isCgroup2(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestLabCgroupLimitsAndMembership(t *testing.T) {
	cgroupNeedRoot(t)
	lab := fmt.Sprintf("cgtest-%d", os.Getpid())
	const mem = 256 << 20
	cg := newTestCgroup(t, lab, cgroupLimits{Pids: 100, MemoryBytes: mem, CPUs: 0.5})

	// Every limit is in some directory, in the form its version wants.
	covered := map[string]bool{}
	for _, dir := range cg.Paths {
		if want := filepath.Join(cgroupParent, lab); !strings.HasSuffix(dir, "/"+want) {
			t.Errorf("cgroup directory %s does not end in %s", dir, want)
		}
		check := func(file, want string) {
			t.Helper()
			if got := cgRead(t, filepath.Join(dir, file)); got != want {
				t.Errorf("%s/%s = %q, want %q", dir, file, got, want)
			}
		}
		v2 := isCgroup2(dir)
		if exists(filepath.Join(dir, "pids.max")) {
			covered["pids"] = true
			check("pids.max", "100")
		}
		switch {
		case v2 && exists(filepath.Join(dir, "memory.max")):
			covered["memory"] = true
			check("memory.max", strconv.Itoa(mem))
			if exists(filepath.Join(dir, "memory.swap.max")) {
				check("memory.swap.max", "0")
			}
		case !v2 && exists(filepath.Join(dir, "memory.limit_in_bytes")):
			covered["memory"] = true
			check("memory.limit_in_bytes", strconv.Itoa(mem))
			if exists(filepath.Join(dir, "memory.memsw.limit_in_bytes")) {
				check("memory.memsw.limit_in_bytes", strconv.Itoa(mem))
			}
		}
		switch {
		case v2 && exists(filepath.Join(dir, "cpu.max")):
			covered["cpu"] = true
			check("cpu.max", "50000 100000")
		case !v2 && exists(filepath.Join(dir, "cpu.cfs_quota_us")):
			covered["cpu"] = true
			check("cpu.cfs_quota_us", "50000")
			check("cpu.cfs_period_us", "100000")
		}
	}
	for _, c := range labControllers {
		if !covered[c] {
			t.Errorf("no directory of %q enforces the %s limit", cg.Paths, c)
		}
	}

	sleep := exec.Command("sleep", "30")
	done := startKilledAtCleanup(t, sleep)
	pid := sleep.Process.Pid
	if err := cg.Add(pid); err != nil {
		t.Fatal(err)
	}
	// /proc/PID/cgroup names the lab's directory in each hierarchy.
	lines := strings.Split(cgRead(t, fmt.Sprintf("/proc/%d/cgroup", pid)), "\n")
	var in []string
	for _, l := range lines {
		if strings.HasSuffix(l, ":/"+cgroupParent+"/"+lab) {
			in = append(in, l)
		}
	}
	if len(in) != len(cg.Paths) {
		t.Errorf("/proc/%d/cgroup has %d lines naming /%s/%s, want one per directory %q:\n%s", pid, len(in), cgroupParent, lab, cg.Paths, strings.Join(lines, "\n"))
	}
	for _, dir := range cg.Paths {
		if procs := cgRead(t, filepath.Join(dir, "cgroup.procs")); !slices.Contains(strings.Fields(procs), strconv.Itoa(pid)) {
			t.Errorf("%s/cgroup.procs = %q, want pid %d in it", dir, procs, pid)
		}
	}

	// Remove while the process lives waits, then fails, naming it.
	// (Bounded: about 5 s.) Not worth the time in every run.
	if !testing.Short() {
		start := time.Now()
		err := cg.Remove()
		if err == nil || !strings.Contains(err.Error(), strconv.Itoa(pid)) {
			t.Errorf("Remove with pid %d inside: %v, want an error naming the pid", pid, err)
		}
		if d := time.Since(start); d < 4*time.Second || d > 10*time.Second {
			t.Errorf("Remove with a process inside gave up after %v, want about %v", d, cgroupRemoveWait)
		}
	}

	sleep.Process.Kill()
	<-done
	// Another lab's cgroup beside this one: the shared parent stays for it.
	var others []string
	for _, dir := range cg.Paths {
		other := filepath.Join(filepath.Dir(dir), filepath.Base(dir)+"-other")
		if err := os.Mkdir(other, 0o755); err != nil {
			t.Fatal(err)
		}
		others = append(others, other)
	}
	if err := cg.Remove(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range cg.Paths {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there after Remove: %v", dir, err)
		}
		if parent := filepath.Dir(dir); !exists(parent) {
			t.Errorf("Remove took the shared parent %s away while another lab's cgroup is in it", parent)
		}
	}
	// The last lab's Remove takes the parent too.
	if err := (&labCgroup{Paths: others}).Remove(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range cg.Paths {
		// Labs of other tests running meanwhile keep it, rightly.
		if parent := filepath.Dir(dir); exists(parent) && len(cgroupDirsDeepestFirst(parent)) == 1 {
			t.Errorf("the last lab's Remove left %s", parent)
		}
	}
	if err := cg.Remove(); err != nil {
		t.Errorf("second Remove: %v, want nil (already gone is fine)", err)
	}
}

func TestLabCgroupBoundsForkStorm(t *testing.T) {
	cgroupNeedRoot(t)
	const limit = 20
	lab := fmt.Sprintf("cgstorm-%d", os.Getpid())
	cg := newTestCgroup(t, lab, cgroupLimits{Pids: limit})
	var pidsDir string
	for _, dir := range cg.Paths {
		if exists(filepath.Join(dir, "pids.current")) {
			pidsDir = dir
		}
	}
	if pidsDir == "" {
		t.Fatalf("no pids controller in %q", cg.Paths)
	}

	// The shell waits on stdin until it is in the cgroup, so nothing it
	// forks starts outside. Its stderr is a file, not a pipe, so that Wait
	// does not also wait for the sleeps that inherit it.
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	sh := exec.Command("/bin/sh", "-c", "read go; for i in $(seq 60); do sleep 5 & done; wait")
	sh.Stderr = stderr
	sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := sh.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	done := startKilledAtCleanup(t, sh)
	if err := cg.Add(sh.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if _, err := stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	stdin.Close()

	// Watch pids.current until the shell gives up (or 3 s pass), and once
	// more after: the sleeps it started outlive it.
	peak, peakProcs := 0, 0
	sample := func() {
		if n, err := strconv.Atoi(cgRead(t, filepath.Join(pidsDir, "pids.current"))); err != nil {
			t.Fatal(err)
		} else {
			peak = max(peak, n)
		}
		peakProcs = max(peakProcs, len(strings.Fields(cgRead(t, filepath.Join(pidsDir, "cgroup.procs")))))
	}
	timeout := time.After(3 * time.Second)
	var shErr error
	exited := false
watch:
	for {
		sample()
		select {
		case shErr = <-done:
			exited = true
			sample()
			break watch
		case <-timeout:
			break watch
		case <-time.After(time.Millisecond):
		}
	}
	// The kernel's own high-water mark, where it keeps one, sees every fork.
	if f := filepath.Join(pidsDir, "pids.peak"); exists(f) {
		if n, err := strconv.Atoi(cgRead(t, f)); err != nil || n > limit {
			t.Errorf("pids.peak = %d (%v), over the limit of %d", n, err, limit)
		}
	}
	out, _ := os.ReadFile(stderr.Name())
	t.Logf("peak pids.current %d, peak processes %d, shell: %v, stderr: %q", peak, peakProcs, shErr, out)
	if peak > limit || peakProcs > limit {
		t.Errorf("pids.current reached %d (%d processes), over the limit of %d", peak, peakProcs, limit)
	}
	if peak < limit/2 {
		t.Errorf("pids.current peaked at %d: the storm never came near the limit of %d", peak, limit)
	}
	if !strings.Contains(strings.ToLower(string(out)), "fork") {
		t.Errorf("the shell reported no fork failure; its stderr: %q", out)
	}
	if ev, err := os.ReadFile(filepath.Join(pidsDir, "pids.events")); err == nil {
		f := strings.Fields(string(ev))
		if i := slices.Index(f, "max"); i < 0 || i+1 >= len(f) || f[i+1] == "0" {
			t.Errorf("pids.events = %q: no fork refused", ev)
		}
	}

	syscall.Kill(-sh.Process.Pid, syscall.SIGKILL)
	if !exited {
		<-done
	}
	if err := cg.Remove(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range cg.Paths {
		if exists(dir) {
			t.Errorf("%s still there after Remove", dir)
		}
	}
}

func TestLabCgroupLeftover(t *testing.T) {
	cgroupNeedRoot(t)
	lab := fmt.Sprintf("cgleft-%d", os.Getpid())
	first := newTestCgroup(t, lab, cgroupLimits{Pids: 50})

	// An empty leftover is reused, with the new limits.
	again, _, err := ThisMachine().createLabCgroup(lab, cgroupLimits{Pids: 60})
	if err != nil {
		t.Fatalf("reusing an empty leftover: %v", err)
	}
	if !slices.Equal(again.Paths, first.Paths) {
		t.Errorf("reuse gave %q, want %q", again.Paths, first.Paths)
	}
	for _, dir := range again.Paths {
		if f := filepath.Join(dir, "pids.max"); exists(f) {
			if got := cgRead(t, f); got != "60" {
				t.Errorf("%s = %q after reuse, want 60", f, got)
			}
		}
	}

	// One that holds a process is refused, by name.
	sleep := exec.Command("sleep", "30")
	done := startKilledAtCleanup(t, sleep)
	if err := again.Add(sleep.Process.Pid); err != nil {
		t.Fatal(err)
	}
	_, _, err = ThisMachine().createLabCgroup(lab, cgroupLimits{})
	if err == nil {
		t.Fatal("createLabCgroup over a cgroup holding a process: no error")
	}
	if !strings.Contains(err.Error(), first.Paths[0]) || !strings.Contains(err.Error(), strconv.Itoa(sleep.Process.Pid)) {
		t.Errorf("error %q names neither the directory %s nor pid %d", err, first.Paths[0], sleep.Process.Pid)
	}
	for _, dir := range first.Paths {
		if !exists(dir) {
			t.Errorf("refused create removed %s", dir)
		}
	}
	sleep.Process.Kill()
	<-done
}

// TestLabCgroupV2Writes runs the v2 path against a fake tree shaped like
// cgroupfs (this machine's controllers are all on v1), to check what goes
// into which file.
func TestLabCgroupV2Writes(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, cgroupParent, "lab")
	write := func(path, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "cgroup.controllers"), "cpuset cpu io memory pids\n")
	write(filepath.Join(root, "cgroup.subtree_control"), "")
	write(filepath.Join(root, cgroupParent, "cgroup.subtree_control"), "")
	for _, f := range []string{"cgroup.procs", "pids.max", "memory.max", "memory.swap.max", "cpu.max"} {
		write(filepath.Join(dir, f), "")
	}
	write(filepath.Join(dir, "cgroup.controllers"), "cpu memory pids\n")
	hs := []cgroupHier{{mount: root, base: root, v2: true, ctrls: []string{"cpuset", "cpu", "io", "memory", "pids"}}}
	files := func(want map[string]string) {
		t.Helper()
		for f, w := range want {
			if got := cgRead(t, filepath.Join(dir, f)); got != w {
				t.Errorf("%s = %q, want %q", f, got, w)
			}
		}
	}

	cg, warns, err := createLabCgroupIn(hs, cgroupParent, "lab", cgroupLimits{Pids: 42, MemoryBytes: 1 << 30, CPUs: 1.5}, nil)
	if err != nil || len(warns) > 0 {
		t.Fatalf("create: %v, warnings %q", err, warns)
	}
	if !slices.Equal(cg.Paths, []string{dir}) {
		t.Errorf("paths %q, want [%s]", cg.Paths, dir)
	}
	files(map[string]string{"pids.max": "42", "memory.max": "1073741824", "memory.swap.max": "0", "cpu.max": "150000 100000"})
	// The controllers were enabled for the lab's cgroup in the root and
	// in netlab/, one per write (the fake file keeps the last).
	for _, d := range []string{root, filepath.Join(root, cgroupParent)} {
		if got := cgRead(t, filepath.Join(d, "cgroup.subtree_control")); got != "+cpu" {
			t.Errorf("%s/cgroup.subtree_control last written %q, want +cpu (after +pids, +memory)", d, got)
		}
	}

	// Reused with no limits asked: defaults, and the old ones cleared.
	if _, _, err := createLabCgroupIn(hs, cgroupParent, "lab", cgroupLimits{DefaultPids: 300}, nil); err != nil {
		t.Fatal(err)
	}
	files(map[string]string{"pids.max": "300", "memory.max": "max", "memory.swap.max": "max", "cpu.max": "max 100000"})

	// A tiny CPU share still gets the kernel's smallest quota.
	if _, _, err := createLabCgroupIn(hs, cgroupParent, "lab", cgroupLimits{CPUs: 0.001}, nil); err != nil {
		t.Fatal(err)
	}
	files(map[string]string{"cpu.max": "1000 100000"})

	// A controller the directory did not get is a warning naming it.
	write(filepath.Join(dir, "cgroup.controllers"), "cpu pids\n")
	_, warns, err = createLabCgroupIn(hs, cgroupParent, "lab", cgroupLimits{MemoryBytes: 1 << 30}, nil)
	if err != nil || len(warns) != 1 || !strings.HasPrefix(warns[0], "memory limit not applied: ") {
		t.Errorf("memory not enabled: %v, warnings %q; want one memory warning", err, warns)
	}

	// A leftover holding a process is refused.
	write(filepath.Join(dir, "cgroup.procs"), "1234\n")
	if _, _, err := createLabCgroupIn(hs, cgroupParent, "lab", cgroupLimits{}, nil); err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "1234") {
		t.Errorf("busy leftover: %v, want an error naming %s and pid 1234", err, dir)
	}
}

func TestLabCgroupNoControllers(t *testing.T) {
	cg, warns, err := createLabCgroupIn(nil, cgroupParent, "lab", cgroupLimits{DefaultPids: 300}, nil)
	if err != nil {
		t.Fatalf("no controllers, no limit asked: %v, want only a warning", err)
	}
	if len(cg.Paths) != 0 || !slices.Equal(warns, []string{"pids limit not applied: no pids cgroup controller"}) {
		t.Errorf("got %q, warnings %q", cg.Paths, warns)
	}
	if err := cg.Add(os.Getpid()); err != nil {
		t.Errorf("Add on an empty cgroup: %v", err)
	}
	if err := cg.Remove(); err != nil {
		t.Errorf("Remove on an empty cgroup: %v", err)
	}

	// netlab's default memory limit is no limit asked: where it cannot
	// be applied (a container's read-only cgroupfs), up goes on.
	if _, warns, err := createLabCgroupIn(nil, cgroupParent, "lab", cgroupLimits{DefaultPids: 300, MemoryBytes: 1 << 30, MemoryDefault: true}, nil); err != nil || len(warns) != 1 {
		t.Errorf("no controllers, the default memory limit: %v, warnings %q; want only pids' warning", err, warns)
	}

	_, warns, err = createLabCgroupIn(nil, cgroupParent, "lab", cgroupLimits{MemoryBytes: 1 << 30}, nil)
	if err == nil || !strings.Contains(err.Error(), "memory limit not applied: no memory cgroup controller") {
		t.Errorf("no controllers, memory asked: %v, want an error saying memory is not applied", err)
	}
	if len(warns) != 2 {
		t.Errorf("warnings %q, want pids and memory", warns)
	}

	for _, lim := range []cgroupLimits{{Pids: -1}, {MemoryBytes: -1}, {CPUs: -0.5}} {
		if _, _, err := createLabCgroupIn(nil, cgroupParent, "lab", lim, nil); err == nil {
			t.Errorf("%+v: no error", lim)
		}
	}
	for _, name := range []string{"", ".", "..", "a/b"} {
		if _, _, err := createLabCgroupIn(nil, cgroupParent, name, cgroupLimits{}, nil); err == nil {
			t.Errorf("lab name %q: no error", name)
		}
	}
}

func TestLabCgroupRemoveLeavesOtherDirectories(t *testing.T) {
	dir := filepath.Join(t.TempDir(), cgroupParent, "lab")
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	cg := &labCgroup{Paths: []string{dir}}
	if err := cg.Remove(); err == nil || !strings.Contains(err.Error(), "left alone") {
		t.Errorf("Remove of a directory not on cgroupfs: %v, want a refusal", err)
	}
	if !exists(filepath.Join(dir, "sub")) {
		t.Error("Remove removed a directory that is no cgroup")
	}
}

func TestParseCgroupMounts(t *testing.T) {
	hybrid := `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw
`
	comounted := `25 20 0:22 / /sys/fs/cgroup rw - tmpfs tmpfs ro,mode=755
30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:12 - cgroup cgroup rw,cpu,cpuacct
31 25 0:27 / /sys/fs/cgroup/pids rw,nosuid shared:13 - cgroup cgroup rw,pids
90 80 0:27 /docker/abc /host/pids\040dir rw - cgroup cgroup rw,pids
`
	v2 := `26 20 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`
	escaped := `90 80 0:27 / /mnt/my\040cg rw - cgroup2 none rw
`
	for _, tc := range []struct {
		name, in string
		want     []cgroupHier
	}{
		{"hybrid", hybrid, []cgroupHier{
			{mount: "/sys/fs/cgroup/cpu", ctrls: []string{"cpu"}},
			{mount: "/sys/fs/cgroup/cpuacct", ctrls: []string{"cpuacct"}},
			{mount: "/sys/fs/cgroup/memory", ctrls: []string{"memory"}},
			{mount: "/sys/fs/cgroup/pids", ctrls: []string{"pids"}},
			{mount: "/sys/fs/cgroup/unified", v2: true},
		}},
		{"comounted", comounted, []cgroupHier{
			{mount: "/sys/fs/cgroup/cpu,cpuacct", ctrls: []string{"cpu", "cpuacct"}},
			{mount: "/sys/fs/cgroup/pids", ctrls: []string{"pids"}},
		}},
		{"v2", v2, []cgroupHier{{mount: "/sys/fs/cgroup", v2: true}}},
		{"escaped", escaped, []cgroupHier{{mount: "/mnt/my cg", v2: true}}},
	} {
		got, err := parseCgroupMounts(strings.NewReader(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.name, got, tc.want)
		}
	}
}

// TestPlanPids: a lab's pids budget is sized from what its nodes run, within
// the share of pid_max a lab may take; a lab whose own limits cannot hold
// its nodes, or that pid_max cannot hold, is refused naming the limit.
func TestPlanPids(t *testing.T) {
	ceiling := pidsCeiling()
	if ceiling < 1000 {
		t.Skipf("pid_max is tiny (ceiling %d)", ceiling)
	}
	lab := func(n int, kind topology.Kind) *topology.Topology {
		top := &topology.Topology{Name: "lab", File: "lab.yaml"}
		for i := range n {
			top.Nodes = append(top.Nodes, &topology.Node{Name: fmt.Sprintf("r%d", i), Kind: kind})
		}
		return top
	}
	p, err := planPids(lab(10, topology.KindRouter))
	if err != nil || p.need != labTasksBase+10 || p.budget != minPidsBudget+10*6 {
		t.Errorf("10 routers: %+v, %v; want need %d, budget %d", p, err, labTasksBase+10, minPidsBudget+60)
	}
	frr := lab(1, topology.KindFRR)
	frr.Nodes[0].Daemons = []string{"bgpd", "ospfd"}
	if got := nodeTasks(frr.Nodes[0]); got != 18 {
		t.Errorf("an FRR node with two daemons runs %d tasks, want 18", got)
	}
	if p, err := planPids(lab(1, topology.KindHost)); err != nil || p.budget < minPidsBudget {
		t.Errorf("one host: %+v, %v; want at least %d", p, err, minPidsBudget)
	}
	// However large, never over the ceiling, while it fits.
	if p, err := planPids(lab(ceiling/2, topology.KindRouter)); err != nil || p.budget > ceiling || p.budget < p.need {
		t.Errorf("%d routers: %+v, %v; want a budget from %d to the ceiling %d", ceiling/2, p, err, p.need, ceiling)
	}

	small := lab(10, topology.KindRouter)
	small.Limits = topology.Limits{Pids: 20, Pos: topology.Pos{Line: 2, Col: 1}, At: topology.At{"pids": {Line: 2, Col: 16}}}
	_, err = planPids(small)
	if want := "lab.yaml:2:16: limits: pids: 20 is fewer than the 26 tasks the lab's 10 nodes run at least"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("limits: pids: 20 for 10 routers: %v, want %q...", err, want)
	}
	small.Limits.Pids = 26
	if p, err := planPids(small); err != nil || p.budget != 26 {
		t.Errorf("limits: pids: 26 for 10 routers: %+v, %v; want a budget of 26", p, err)
	}
	frr.Nodes[0].Limits = topology.Limits{Pids: 16, Pos: topology.Pos{Line: 5, Col: 5}}
	if _, err := planPids(frr); err == nil || !strings.Contains(err.Error(), "lab.yaml:5:5: limits: pids: 16 of node r0 is fewer than the 18 tasks it runs") {
		t.Errorf("an FRR node limited to 16 pids: %v", err)
	}
	// More than pid_max can hold: refused, with the sysctl that fixes it.
	if _, err := planPids(lab(ceiling, topology.KindRouter)); err == nil || !strings.Contains(err.Error(), "sysctl -w kernel.pid_max=") {
		t.Errorf("%d routers: %v, want a refusal naming kernel.pid_max", ceiling, err)
	}
}

// TestCheckMemory: a lab whose nodes alone do not fit its memory limit,
// the default's or its own, is refused naming the limit.
func TestCheckMemory(t *testing.T) {
	lab := &topology.Topology{Name: "lab", File: "lab.yaml"}
	for i := range 100 {
		lab.Nodes = append(lab.Nodes, &topology.Node{Name: fmt.Sprintf("r%d", i), Kind: topology.KindRouter})
	}
	if err := checkMemory(lab); err != nil {
		t.Errorf("100 routers: %v", err)
	}
	lab.Limits = topology.Limits{Memory: 32 << 20, Pos: topology.Pos{Line: 2, Col: 1}, At: topology.At{"memory": {Line: 2, Col: 18}}}
	if err := checkMemory(lab); err == nil || !strings.HasPrefix(err.Error(), "lab.yaml:2:18: limits: memory: 32 MiB is less than the 63 MiB the lab's 100 nodes take") {
		t.Errorf("100 routers in 32 MiB: %v", err)
	}
}

// TestOOMKills: the OOM kills of a lab are summed over its directories,
// from v1's memory.oom_control and v2's memory.events alike.
func TestOOMKills(t *testing.T) {
	v1, v2, pids := t.TempDir(), t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(v1, "memory.oom_control"), []byte("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"), 0o644)
	os.WriteFile(filepath.Join(v2, "memory.events"), []byte("low 0\nhigh 0\nmax 7\noom 3\noom_kill 1\noom_group_kill 0\n"), 0o644)
	if got := oomKills([]string{pids, v1, v2}); got != 3 {
		t.Errorf("oomKills = %d, want 3", got)
	}
	if got := oomNote(&State{Cgroup: []string{pids}}); got != "" {
		t.Errorf("no OOM kill: note %q", got)
	}
	if got := oomNote(&State{Cgroup: []string{v1}}); !strings.Contains(got, "killed 2 processes") {
		t.Errorf("two OOM kills: note %q", got)
	}
}

// TestDelegatedV2Base: a rootless lab's v2 cgroups go beside netlab's own
// leaf when the leaf's parent is the user's (the README's recipe), under
// the leaf otherwise.
func TestDelegatedV2Base(t *testing.T) {
	mount := t.TempDir()
	uid := os.Getuid()
	user := filepath.Join(mount, "netlab-users", "alice")
	login := filepath.Join(user, "login")
	if err := os.MkdirAll(login, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := delegatedV2Base(mount, login, uid); got != user {
		t.Errorf("a leaf whose parent is the user's: %s, want %s", got, user)
	}
	if got := delegatedV2Base(mount, login, uid+1); got != login {
		t.Errorf("a leaf whose parent is another's: %s, want the leaf %s", got, login)
	}
	top := filepath.Join(mount, "top")
	os.Mkdir(top, 0o755)
	if got := delegatedV2Base(mount, top, uid); got != top {
		t.Errorf("a cgroup right under the mount: %s, want itself", got)
	}
}
