package netlab

// Per-lab cgroups: they bound what one lab may take of a shared server
// (processes and threads, memory, CPU time), whatever root in a node runs.
//
// Layout, root mode:
//
//	cgroup v1: /sys/fs/cgroup/<controller>/netlab/<lab>   one per hierarchy used
//	cgroup v2: /sys/fs/cgroup/netlab/<lab>                one for all controllers
//
// Which version serves a controller is read from /proc/self/mountinfo, per
// controller: a controller bound to a v1 hierarchy is not available in v2
// (hybrid machines mount a v2 tree at /sys/fs/cgroup/unified with few or no
// controllers in it), and one a v1 hierarchy does not take is looked for in
// the v2 tree's cgroup.controllers. The parent "netlab" directory is made
// when missing and never removed: other labs may be using it.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cgroupLimits is what a lab's cgroup enforces; zero means the default or none.
type cgroupLimits struct {
	// Pids bounds the lab's tasks (processes and threads). Zero means
	// DefaultPids: the pids limit always applies.
	Pids int
	// MemoryBytes bounds the lab's memory, swap included. Zero: none.
	MemoryBytes int64
	// MemoryDefault says MemoryBytes is netlab's default, not the
	// topology's: where it cannot be applied, nothing is said.
	MemoryDefault bool
	// CPUs bounds the lab's CPU time, in CPUs (0.5: half of one). Zero: none.
	CPUs float64
	// DefaultPids is the pids limit when Pids is zero: the lab's budget
	// (see planPids). Zero means not known: the ceiling that protects the
	// host (3/4 of pid_max), not the small limit of an empty lab.
	DefaultPids int
}

// explicit reports whether any limit was asked for rather than defaulted.
func (l cgroupLimits) explicit() bool {
	return l.Pids > 0 || l.MemoryBytes > 0 && !l.MemoryDefault || l.CPUs > 0
}

// labCgroup is one lab's cgroup: one directory per v1 controller, or one v2 directory.
type labCgroup struct {
	Paths []string // absolute directories, recorded in the lab's state
}

// The controllers a lab's cgroup uses, in the order they are reported.
var labControllers = []string{"pids", "memory", "cpu"}

const (
	cgroupParent    = "netlab"
	cpuPeriodMicros = 100000
	// The kernel refuses a CFS quota below 1 ms.
	cpuMinQuotaMicros = 1000
	// How long Remove waits for the kernel to free a killed lab's tasks.
	cgroupRemoveWait = 5 * time.Second
)

// cgroupHier is one mounted cgroup hierarchy.
type cgroupHier struct {
	mount string   // mount point
	base  string   // where labs' cgroups go: the mount, or rootless the caller's own (delegated) cgroup
	v2    bool     // cgroup2
	ctrls []string // v1: bound controllers (mount options); v2: cgroup.controllers of the root
}

// pidsCeiling is 3/4 of the kernel's pid_max: more than this a lab never
// gets, so that however large the lab, the host keeps a quarter of its pid
// space to log in and take the lab down.
func pidsCeiling() int { return pidMax() / 4 * 3 }

// pidMax is the kernel's pid_max: pids are below it.
func pidMax() int {
	if b, err := os.ReadFile("/proc/sys/kernel/pid_max"); err == nil {
		if v, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && v > 0 {
			return v
		}
	}
	return 32768 // the kernel's default
}

// createLabCgroup makes netlab/<lab> under each controller's hierarchy,
// writes the limits, and returns it. Controllers that are missing or not
// writable are skipped and named in the warnings, one line each; the error
// is for bad limits, a leftover directory that still holds a process, or
// nothing at all made while a limit was explicitly asked for.
func (m *Machine) createLabCgroup(lab string, lim cgroupLimits) (*labCgroup, []string, error) {
	hs, err := m.cgroupHierarchies()
	if err != nil {
		// Treated as no controllers: the warnings say why.
		return createLabCgroupIn(nil, m.CgroupParent, lab, lim, err)
	}
	return createLabCgroupIn(hs, m.CgroupParent, lab, lim, nil)
}

// cgroupTarget is one directory to make: a hierarchy and the lab
// controllers it serves.
type cgroupTarget struct {
	hier  cgroupHier
	ctrls []string
	dir   string
}

// createLabCgroupIn is createLabCgroup on the given hierarchies, in parent
// under each; detectErr, when not nil, is why there are none.
func createLabCgroupIn(hs []cgroupHier, parent, lab string, lim cgroupLimits, detectErr error) (*labCgroup, []string, error) {
	if lab == "" || lab == "." || lab == ".." || strings.ContainsAny(lab, "/\x00") {
		return nil, nil, fmt.Errorf("cgroup: bad lab name %q", lab)
	}
	if lim.Pids < 0 || lim.MemoryBytes < 0 || lim.CPUs < 0 || math.IsNaN(lim.CPUs) || math.IsInf(lim.CPUs, 0) {
		return nil, nil, fmt.Errorf("cgroup limits of lab %s: pids %d, memory %d bytes, cpus %g: none may be negative", lab, lim.Pids, lim.MemoryBytes, lim.CPUs)
	}
	asked := map[string]bool{"pids": true, "memory": lim.MemoryBytes > 0 && !lim.MemoryDefault, "cpu": lim.CPUs > 0}

	var warns []string
	warn := func(ctrl string, format string, args ...any) {
		if asked[ctrl] {
			warns = append(warns, fmt.Sprintf("%s limit not applied: ", ctrl)+fmt.Sprintf(format, args...))
		}
	}

	// Which hierarchy serves each controller; v1 first, since a controller
	// bound to v1 is absent from v2 even when a v2 tree is mounted.
	var targets []*cgroupTarget
	byMount := map[string]*cgroupTarget{}
	for _, c := range labControllers {
		var h *cgroupHier
		for _, v2 := range []bool{false, true} {
			for i := range hs {
				if hs[i].v2 == v2 && slices.Contains(hs[i].ctrls, c) {
					h = &hs[i]
					break
				}
			}
			if h != nil {
				break
			}
		}
		if h == nil {
			if detectErr != nil {
				warn(c, "no %s cgroup controller: %v", c, detectErr)
			} else {
				warn(c, "no %s cgroup controller", c)
			}
			continue
		}
		t := byMount[h.mount]
		if t == nil {
			t = &cgroupTarget{hier: *h, dir: filepath.Join(h.base, parent, lab)}
			byMount[h.mount] = t
			targets = append(targets, t)
		}
		t.ctrls = append(t.ctrls, c)
	}

	// A leftover directory of this name is reused only when empty; checked
	// for all before anything is made, so a refusal leaves nothing behind.
	for _, t := range targets {
		if pid, err := cgroupBusy(t.dir); err != nil {
			return nil, nil, fmt.Errorf("cgroup %s of lab %s: %w", t.dir, lab, err)
		} else if pid != 0 {
			return nil, nil, fmt.Errorf("cgroup %s is in use by pid %d: a lab named %s is still running (take it down with netlab down %s) or left that process behind (kill it)", t.dir, pid, lab, lab)
		}
	}

	cg := &labCgroup{}
	for _, t := range targets {
		var ctrls []string
		var made bool
		var err error
		if t.hier.v2 {
			ctrls, made, err = makeV2Dir(t, warn)
		} else {
			ctrls = t.ctrls
			made, err = makeDir(t.dir)
		}
		if err != nil {
			for _, c := range t.ctrls {
				warn(c, "%v", err)
			}
			continue
		}
		if len(ctrls) == 0 {
			if made {
				unix.Rmdir(t.dir)
			}
			continue
		}
		for _, c := range ctrls {
			if err := writeLimit(t.dir, t.hier.v2, c, lim); err != nil {
				if asked[c] {
					warn(c, "%v", err)
				} else {
					warns = append(warns, fmt.Sprintf("%s cgroup of lab %s: %v", c, lab, err))
				}
			}
		}
		cg.Paths = append(cg.Paths, t.dir)
	}
	if len(cg.Paths) == 0 && lim.explicit() {
		return nil, warns, fmt.Errorf("no cgroup could be made for lab %s, so its limits cannot be applied: %s", lab, strings.Join(warns, "; "))
	}
	return cg, warns, nil
}

// makeDir makes dir and its parent, reporting whether dir is new.
func makeDir(dir string) (bool, error) {
	for try := 0; ; try++ {
		if err := os.Mkdir(filepath.Dir(dir), 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return false, err
		}
		err := os.Mkdir(dir, 0o755)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, os.ErrExist):
			return false, nil
		case errors.Is(err, os.ErrNotExist) && try < 3:
			continue // the last lab's down removed netlab/ meanwhile
		}
		return false, err
	}
}

// makeV2Dir enables the target's controllers from the v2 root down to
// netlab/, makes the lab's directory, and returns the controllers that the
// directory has; those it has not are warned about with why.
func makeV2Dir(t *cgroupTarget, warn func(string, string, ...any)) ([]string, bool, error) {
	why := map[string]error{}
	enable := func(dir string) {
		have, _ := readFields(filepath.Join(dir, "cgroup.subtree_control"))
		for _, c := range t.ctrls {
			if why[c] != nil || slices.Contains(have, c) {
				continue
			}
			// One controller per write: a write of several fails as a whole.
			if err := writeCgroupFile(filepath.Join(dir, "cgroup.subtree_control"), "+"+c); err != nil {
				why[c] = err
			}
		}
	}
	enable(filepath.Dir(filepath.Dir(t.dir))) // the hierarchy's root, or a delegated cgroup
	if err := os.Mkdir(filepath.Dir(t.dir), 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, false, err
	}
	enable(filepath.Dir(t.dir))
	made, err := makeDir(t.dir)
	if err != nil {
		return nil, false, err
	}
	have, err := readFields(filepath.Join(t.dir, "cgroup.controllers"))
	if err != nil {
		return nil, made, err
	}
	var ctrls []string
	for _, c := range t.ctrls {
		switch {
		case slices.Contains(have, c):
			ctrls = append(ctrls, c)
		case why[c] != nil:
			warn(c, "cannot enable the %s controller: %v", c, why[c])
		default:
			warn(c, "the %s controller is not enabled in %s", c, t.dir)
		}
	}
	return ctrls, made, nil
}

// writeLimit writes controller c's limit into dir, or resets it to
// unlimited when none is asked, so that a reused leftover keeps nothing of
// the lab it served before.
func writeLimit(dir string, v2 bool, c string, lim cgroupLimits) error {
	file := func(name string) string { return filepath.Join(dir, name) }
	switch c {
	case "pids":
		p := lim.Pids
		if p == 0 {
			p = lim.DefaultPids
		}
		if p == 0 {
			p = max(pidsCeiling(), minPidsBudget)
		}
		return writeCgroupFile(file("pids.max"), strconv.Itoa(p))

	case "memory":
		if v2 {
			limit, swap := "max", "max"
			if lim.MemoryBytes > 0 {
				// Without swap.max at 0 the lab could push its pages out to
				// swap and go on growing there: memory.max alone bounds RAM,
				// not memory.
				limit, swap = strconv.FormatInt(lim.MemoryBytes, 10), "0"
			}
			if err := writeCgroupFile(file("memory.max"), limit); err != nil {
				return err
			}
			if _, err := os.Stat(file("memory.swap.max")); err == nil {
				return writeCgroupFile(file("memory.swap.max"), swap)
			}
			return nil
		}
		// v1: memsw (memory plus swap, present when swap accounting is on)
		// may never be below the memory limit: raise it first, set the
		// limit, then bring memsw down to it. Its errors are ignored: the
		// memory limit is what is promised.
		memsw := file("memory.memsw.limit_in_bytes")
		_, err := os.Stat(memsw)
		hasMemsw := err == nil
		if hasMemsw {
			writeCgroupFile(memsw, "-1")
		}
		limit := "-1"
		if lim.MemoryBytes > 0 {
			limit = strconv.FormatInt(lim.MemoryBytes, 10)
		}
		if err := writeCgroupFile(file("memory.limit_in_bytes"), limit); err != nil {
			return err
		}
		if hasMemsw && lim.MemoryBytes > 0 {
			writeCgroupFile(memsw, limit)
		}
		return nil

	case "cpu":
		quota := "-1"
		if lim.CPUs > 0 {
			quota = strconv.FormatInt(max(int64(math.Round(lim.CPUs*cpuPeriodMicros)), cpuMinQuotaMicros), 10)
		}
		if v2 {
			if quota == "-1" {
				quota = "max"
			}
			return writeCgroupFile(file("cpu.max"), fmt.Sprintf("%s %d", quota, cpuPeriodMicros))
		}
		if err := writeCgroupFile(file("cpu.cfs_period_us"), strconv.Itoa(cpuPeriodMicros)); err != nil {
			return err
		}
		return writeCgroupFile(file("cpu.cfs_quota_us"), quota)
	}
	return fmt.Errorf("unknown cgroup controller %q", c)
}

// Add moves process pid (and so all its future descendants) into the
// cgroup: cgroup.procs of each directory. A process moves with all its
// threads; children it has already forked stay where they are, so call it
// before the process forks.
func (c *labCgroup) Add(pid int) error {
	if c == nil {
		return nil
	}
	var errs []error
	for _, p := range c.Paths {
		if err := writeCgroupFile(filepath.Join(p, "cgroup.procs"), strconv.Itoa(pid)); err != nil {
			errs = append(errs, fmt.Errorf("move pid %d into cgroup %s: %w", pid, p, err))
		}
	}
	return errors.Join(errs...)
}

// Remove removes the directories; it waits (bounded, about 5 s, polling)
// until they hold no process, since the kernel frees tasks asynchronously
// after a kill. It goes on after an error and returns all of them. A
// directory already gone is fine.
func (c *labCgroup) Remove() error {
	if c == nil {
		return nil
	}
	deadline := time.Now().Add(cgroupRemoveWait)
	var errs []error
	for _, p := range c.Paths {
		if err := removeCgroupDir(p, deadline); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeCgroupDir removes dir and any cgroups below it, deepest first.
// It only ever removes directories of a cgroup file system named
// .../netlab/<lab> (or netlab-HASH/<lab>, see Machine.CgroupParent): the
// paths come from a state file.
func removeCgroupDir(dir string, deadline time.Time) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return fmt.Errorf("remove cgroup %s: %w", dir, os.NewSyscallError("statfs", err))
	}
	if (st.Type != unix.CGROUP_SUPER_MAGIC && st.Type != unix.CGROUP2_SUPER_MAGIC) ||
		!cgroupParentRE.MatchString(filepath.Base(filepath.Dir(dir))) || !filepath.IsAbs(dir) {
		return fmt.Errorf("remove cgroup %s: not a lab's cgroup directory (%s/<lab> on a cgroup file system); left alone", dir, cgroupParent)
	}
	var errs []error
	for _, d := range cgroupDirsDeepestFirst(dir) {
		if err := rmdirWait(d, deadline); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		// The last lab takes netlab/ with it; while another lab has
		// its directory there, rmdir fails and it stays.
		unix.Rmdir(filepath.Dir(dir))
	}
	return errors.Join(errs...)
}

// cgroupParentRE matches what Machine.CgroupParent may be.
var cgroupParentRE = regexp.MustCompile(`^` + cgroupParent + `(-[0-9a-f]{8})?$`)

// cgroupDirsDeepestFirst lists dir and the directories below it, children
// before their parents.
func cgroupDirsDeepestFirst(dir string) []string {
	var out []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, cgroupDirsDeepestFirst(filepath.Join(dir, e.Name()))...)
		}
	}
	return append(out, dir)
}

// rmdirWait removes an empty cgroup, retrying while the kernel still counts
// tasks in it, until deadline.
func rmdirWait(dir string, deadline time.Time) error {
	wait := 5 * time.Millisecond
	for {
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			return fmt.Errorf("remove cgroup %s: %w", dir, os.NewSyscallError("rmdir", err))
		}
		if time.Now().After(deadline) {
			held := "tasks the kernel has not yet freed"
			if pids, _ := readFields(filepath.Join(dir, "cgroup.procs")); len(pids) > 0 {
				if len(pids) > 10 {
					pids = append(pids[:10], "...")
				}
				held = "pid " + strings.Join(pids, " ")
			}
			return fmt.Errorf("remove cgroup %s: still holds %s after %v: %w", dir, held, cgroupRemoveWait, os.NewSyscallError("rmdir", err))
		}
		time.Sleep(wait)
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// cgroupBusy returns a pid in dir or below it, 0 when none (or no dir).
func cgroupBusy(dir string) (int, error) {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	for _, d := range cgroupDirsDeepestFirst(dir) {
		pids, err := readFields(filepath.Join(d, "cgroup.procs"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, err
		}
		if len(pids) > 0 {
			pid, _ := strconv.Atoi(pids[0])
			return pid, nil
		}
	}
	return 0, nil
}

// writeCgroupFile writes val to a cgroup interface file in one write, as
// the kernel wants it.
func writeCgroupFile(path, val string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(val)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("write %q to %s: %w", val, path, err)
	}
	return nil
}

func readFields(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	return strings.Fields(string(b)), err
}

// cgroupHierarchies lists the cgroup hierarchies mounted in this process's
// mount namespace, with the controllers each one has, each with its base
// for m's labs: its root for root, the user's delegated cgroup rootless.
func (m *Machine) cgroupHierarchies() ([]cgroupHier, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hs, err := parseCgroupMounts(f)
	if err != nil {
		return nil, fmt.Errorf("read /proc/self/mountinfo: %w", err)
	}
	own := ownCgroups()
	for i := range hs {
		hs[i].base = hs[i].mount
		if m.Rootless {
			// An ordinary user can make cgroups only under one that
			// was delegated to it (systemd's Delegate=yes, or an admin's
			// chown): its own, if that is the user's.
			key := "0::"
			if !hs[i].v2 {
				key = strings.Join(hs[i].ctrls, ",")
			}
			hs[i].base = filepath.Join(hs[i].mount, own[key])
			if hs[i].v2 {
				hs[i].base = delegatedV2Base(hs[i].mount, hs[i].base, m.UID)
			}
		}
		if hs[i].v2 {
			// A v2 root whose controllers cannot be read has none for us.
			hs[i].ctrls, _ = readFields(filepath.Join(hs[i].base, "cgroup.controllers"))
		}
	}
	return hs, nil
}

// delegatedV2Base is where a rootless lab's cgroups go in a v2 tree: v2
// lets no cgroup that holds processes (own, where netlab runs) have
// children with controllers, so when own's parent is the user's too (the
// README's recipe: a cgroup of the user's with a leaf for their shells),
// the labs go beside own, under that parent; else under own, as before.
func delegatedV2Base(mount, own string, uid int) string {
	parent := filepath.Dir(own)
	if parent == mount || !strings.HasPrefix(parent, mount+"/") {
		return own
	}
	var st unix.Stat_t
	if unix.Stat(parent, &st) != nil || int(st.Uid) != uid {
		return own
	}
	return parent
}

// ownCgroups maps each hierarchy of /proc/self/cgroup ("pids", "cpu,cpuacct",
// or "0::" for v2) to this process's cgroup in it.
func ownCgroups() map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		if f[0] == "0" && f[1] == "" {
			out["0::"] = f[2]
		} else {
			out[f[1]] = f[2]
		}
	}
	return out
}

// parseCgroupMounts reads mountinfo and returns one entry per cgroup
// hierarchy: each v1 controller once (a hierarchy mounted twice, as bind
// mounts into containers do, counts once, at /sys/fs/cgroup by preference),
// and one cgroup2 mount, /sys/fs/cgroup by preference. v2 entries come
// without controllers: those are read from the mounted tree.
func parseCgroupMounts(r io.Reader) ([]cgroupHier, error) {
	pref := func(mount string) bool {
		return mount == "/sys/fs/cgroup" || strings.HasPrefix(mount, "/sys/fs/cgroup/")
	}
	var v1 []cgroupHier
	var v2 *cgroupHier
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional...] - fstype source superoptions
		f := strings.Fields(sc.Text())
		sep := slices.Index(f, "-")
		if sep < 6 || len(f) < sep+4 {
			continue
		}
		mount := unescapeMountinfo(f[4])
		switch f[sep+1] {
		case "cgroup2":
			if v2 == nil || (!pref(v2.mount) && pref(mount)) || mount == "/sys/fs/cgroup" {
				v2 = &cgroupHier{mount: mount, v2: true}
			}
		case "cgroup":
			var ctrls []string
			for _, o := range strings.Split(f[sep+3], ",") {
				if isV1Controller(o) {
					ctrls = append(ctrls, o)
				}
			}
			if len(ctrls) == 0 {
				continue // a named hierarchy such as name=systemd
			}
			dup := false
			for i := range v1 {
				if slices.Equal(v1[i].ctrls, ctrls) {
					dup = true
					if !pref(v1[i].mount) && pref(mount) {
						v1[i].mount = mount
					}
				}
			}
			if !dup {
				v1 = append(v1, cgroupHier{mount: mount, ctrls: ctrls})
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if v2 != nil {
		v1 = append(v1, *v2)
	}
	return v1, nil
}

// isV1Controller reports whether a cgroup mount option names a controller.
func isV1Controller(o string) bool {
	switch o {
	case "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls",
		"blkio", "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc":
		return true
	}
	return false
}

// unescapeMountinfo undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// labCgroupDirs is every cgroup directory of lab that exists, whether or
// not its state names it: an up killed between making them and recording
// them leaves some only its name points at (netlab/LAB is netlab's own).
func (m *Machine) labCgroupDirs(lab string, recorded []string) []string {
	out := slices.Clone(recorded)
	hs, _ := m.cgroupHierarchies()
	for _, h := range hs {
		d := filepath.Join(h.base, m.CgroupParent, lab)
		// Only the caller's own: a lab of root's may have this name.
		fi, err := os.Stat(d)
		if err == nil && fi.IsDir() && int(fi.Sys().(*syscall.Stat_t).Uid) == m.UID && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// oomNote says, for a message about a node that died, whether the lab's
// memory limit has killed, and what to do: "" if it has not.
func oomNote(st *State) string {
	switch n := oomKills(st.Cgroup); {
	case n == 1:
		return "; the lab's memory limit has killed a process (raise limits: memory)"
	case n > 1:
		return fmt.Sprintf("; the lab's memory limit has killed %d processes (raise limits: memory)", n)
	}
	return ""
}

// oomKills is how many processes the memory limit of the lab's cgroup
// (dirs, as recorded) has killed: oom_kill of memory.oom_control (v1) or
// memory.events (v2); 0 where neither says.
func oomKills(dirs []string) uint64 {
	var n uint64
	for _, dir := range dirs {
		for _, f := range []string{"memory.oom_control", "memory.events"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "oom_kill "); ok {
					k, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
					n += k
				}
			}
		}
	}
	return n
}

// nodeCgroupPrefix starts the name of a node's cgroup under its lab's: no
// cgroup control file starts so, whatever the node is called.
const nodeCgroupPrefix = "node."

// nodeCgroup makes node's cgroup under the lab's in each of the lab's
// hierarchies, with the node's limits (those left at zero are the lab's
// alone), and returns each one's cgroup.procs opened for writing: the
// node's init enters them before it does anything else, so nothing of the
// node ever runs outside them. Down removes them with the lab's.
func (c *labCgroup) nodeCgroup(node string, lim cgroupLimits) ([]*os.File, error) {
	if c == nil || len(c.Paths) == 0 {
		return nil, fmt.Errorf("limits of node %s cannot be applied: the lab has no cgroup", node)
	}
	var files []*os.File
	fail := func(err error) ([]*os.File, error) {
		closeFiles(files)
		return nil, fmt.Errorf("cgroup of node %s: %w", node, err)
	}
	for _, lab := range c.Paths {
		var st unix.Statfs_t
		if err := unix.Statfs(lab, &st); err != nil {
			return fail(os.NewSyscallError("statfs", err))
		}
		v2 := st.Type == unix.CGROUP2_SUPER_MAGIC
		if v2 {
			// A v2 cgroup's children get only the controllers its
			// subtree_control enables.
			have, _ := readFields(filepath.Join(lab, "cgroup.controllers"))
			for _, ctrl := range have {
				if slices.Contains(labControllers, ctrl) {
					writeCgroupFile(filepath.Join(lab, "cgroup.subtree_control"), "+"+ctrl)
				}
			}
		}
		dir := filepath.Join(lab, nodeCgroupPrefix+node)
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fail(err)
		}
		for _, ctrl := range labControllers {
			if !cgroupHas(dir, v2, ctrl) {
				continue
			}
			if err := writeLimit(dir, v2, ctrl, lim); err != nil {
				return fail(err)
			}
		}
		f, err := os.OpenFile(filepath.Join(dir, "cgroup.procs"), os.O_WRONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fail(err)
		}
		files = append(files, f)
	}
	return files, nil
}

// cgroupHas reports whether the cgroup dir has controller ctrl.
func cgroupHas(dir string, v2 bool, ctrl string) bool {
	if v2 {
		have, _ := readFields(filepath.Join(dir, "cgroup.controllers"))
		return slices.Contains(have, ctrl)
	}
	file := map[string]string{"pids": "pids.max", "memory": "memory.limit_in_bytes", "cpu": "cpu.cfs_quota_us"}[ctrl]
	_, err := os.Stat(filepath.Join(dir, file))
	return err == nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}
