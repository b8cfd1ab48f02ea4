package netlab

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/topology"
)

// Descriptors an up holds, which fix how many nodes it may start or wire
// at once (see fitParallel): a few for the whole of it (standard streams,
// the runtime's poller, the lab's lock, the supervisor's connection, the
// sockets that make links) and, per node being worked on, its exec
// socket, its init's pidfd, its namespace, its binds and cgroup files
// while it starts, a netlink socket and a connection to its agent while
// it is configured, and the namespaces wiring keeps open for the links it
// makes (wire.Wire: 2 + 8 per worker).
const (
	upFilesBase      = 48
	upFilesPerWorker = 16
)

// fitParallel is how many nodes an up may work on at once: want, or fewer
// so that what it holds open fits this process's limit on open files. Go
// raised the soft limit to the hard one at start. What an up holds does
// not grow with the lab, so only a limit too small for one worker, or a
// node with more binds than it leaves room for, is refused, before
// anything is made, saying what to raise.
func fitParallel(want, binds int) (int, error) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0, os.NewSyscallError("getrlimit", err)
	}
	perWorker := uint64(upFilesPerWorker + binds)
	room := int64(lim.Cur) - upFilesBase
	if room < int64(perWorker) {
		need := upFilesBase + perWorker
		return 0, fmt.Errorf("bringing a lab up needs at least %d open files, and this process may open at most %d; raise the limit (ulimit -n %d, or LimitNOFILE= in a systemd unit)", need, lim.Cur, max(need, 1024))
	}
	return int(min(int64(want), room/int64(perWorker))), nil
}

// nodeTasks is how many tasks (processes and threads: what the pids
// controller and RLIMIT_NPROC count) node n runs once it is up, as measured
// on FRR 8.4 and BIRD 2: its one process (init and agent); for FRR, zebra
// (7 threads), staticd and mgmtd (FRR 9 and later), and up to 4 per daemon
// of daemons: (bgpd has 4, ospfd 1); for BIRD, bird; one per service.
func nodeTasks(n *topology.Node) int {
	tasks := 1 + len(n.Services)
	switch n.Kind.Facts().Suite {
	case topology.SuiteFRR:
		tasks += 9 + 4*len(n.Daemons)
	case topology.SuiteBIRD:
		tasks++
	}
	return tasks
}

// The pids budget of a lab whose topology sets none: room for the
// supervisor and the commands netlab and its users run in nodes
// (minPidsBudget, which small labs get at least), and per node what it runs
// twice over and a few more: a router's one process and room for a shell
// pipeline or a ping, an FRR node's daemons and as many again.
const (
	minPidsBudget = 256
	labTasksBase  = 16 // the supervisor, and exec steps and checks running at once
)

// pidsPlan is what a lab may run: its budget (its cgroup's pids.max and its
// RLIMIT_NPROC) and the least it needs to come up at all.
type pidsPlan struct {
	budget, need int
}

// planPids sizes the pids budget of t (this host's part) from what its
// nodes run, and refuses, naming the limit and the fix, a lab that cannot
// fit: below its own limits: pids: or a node's, over the share of pid_max
// a lab may take (pidsCeiling), over the pids this host has free now, or
// over RLIMIT_NPROC, which the lab's RLIMIT_NPROC cannot exceed.
func planPids(t *topology.Topology) (pidsPlan, error) {
	var p pidsPlan
	p.need, p.budget = labTasksBase, minPidsBudget
	for _, n := range t.Nodes {
		tasks := nodeTasks(n)
		p.need += tasks
		p.budget += 2*tasks + 4
		if n.Limits.Pids > 0 && n.Limits.Pids < tasks {
			return p, &topology.Error{File: t.File, Pos: n.Limits.At.Of("pids", n.Limits.Pos),
				Msg: fmt.Sprintf("limits: pids: %d of node %s is fewer than the %d tasks it runs (%s); raise it to at least %d", n.Limits.Pids, n.Name, tasks, tasksWhy(n), tasks)}
		}
	}
	ceiling := pidsCeiling()
	if t.Limits.Pids > 0 {
		if t.Limits.Pids < p.need {
			return p, &topology.Error{File: t.File, Pos: t.Limits.At.Of("pids", t.Limits.Pos),
				Msg: fmt.Sprintf("limits: pids: %d is fewer than the %d tasks the lab's %d nodes run at least (one per node, more for daemons and services); raise it to at least %d, or leave it out for a budget sized from the nodes", t.Limits.Pids, p.need, len(t.Nodes), p.need)}
		}
		p.budget = t.Limits.Pids
	}
	if p.need > ceiling {
		return p, fmt.Errorf("a lab of %d nodes runs at least %d tasks, more than the %d a lab may take (3/4 of kernel.pid_max, %d); raise it: sysctl -w kernel.pid_max=%d",
			len(t.Nodes), p.need, ceiling, pidMax(), min(roundUp(p.need*4/3+p.need/10, 1024), maxPidMax))
	}
	if running, ok := hostTasks(); ok && running+p.need > pidMax() {
		return p, fmt.Errorf("a lab of %d nodes runs at least %d tasks, and this host runs %d of the %d that kernel.pid_max allows; take other labs down, or raise it: sysctl -w kernel.pid_max=%d",
			len(t.Nodes), p.need, running, pidMax(), min(roundUp(running+p.need*2, 1024), maxPidMax))
	}
	var nproc unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NPROC, &nproc) == nil && nproc.Max != unix.RLIM_INFINITY {
		// The lab's RLIMIT_NPROC is its budget, and no lab may raise it
		// over what netlab may (the supervisor holds no capability in the
		// host's user namespace).
		if uint64(p.need) > nproc.Max {
			return p, fmt.Errorf("a lab of %d nodes runs at least %d tasks, and this process may run at most %d (RLIMIT_NPROC); raise the limit (ulimit -u %d, or LimitNPROC= in a systemd unit)",
				len(t.Nodes), p.need, nproc.Max, p.need*2)
		}
		p.budget = int(min(uint64(p.budget), nproc.Max))
	}
	p.budget = min(p.budget, max(ceiling, minPidsBudget))
	return p, nil
}

// maxPidMax is the kernel's largest pid_max (PID_MAX_LIMIT, 64-bit).
const maxPidMax = 4194304

// tasksWhy says what node n's tasks are, for a message.
func tasksWhy(n *topology.Node) string {
	why := "its process"
	switch n.Kind.Facts().Suite {
	case topology.SuiteFRR:
		why += fmt.Sprintf(", FRR's zebra, staticd and mgmtd, and %d daemons", len(n.Daemons))
	case topology.SuiteBIRD:
		why += ", bird"
	}
	if len(n.Services) > 0 {
		why += fmt.Sprintf(", %d services", len(n.Services))
	}
	return why
}

func roundUp(v, to int) int { return (v + to - 1) / to * to }

// hostTasks is how many tasks run on this host now, as /proc/loadavg
// counts them (its fourth field: runnable/total).
func hostTasks() (int, bool) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 4 {
		return 0, false
	}
	_, total, ok := strings.Cut(f[3], "/")
	n, err := strconv.Atoi(total)
	return n, ok && err == nil
}

// nodeMemory is what a node takes of the host's memory beyond what its
// daemons and services allocate: its process, page tables, namespaces,
// network devices, mounts and tmpfs. Measured as the drop of MemAvailable
// across the up of a 10,000-node chain (0.62 MB per node), rounded up.
const nodeMemory = 640 << 10

// checkMemory refuses, naming the limit and the fix, a lab whose nodes
// alone take more memory than this host has available, or than the lab's
// memory limit allows (its limits: memory:, else defaultMemory): the
// kernel charges their namespaces, devices and mounts to the lab's cgroup.
// Daemons' memory is the lab's business: a limit that cannot hold it fails
// the daemons, which say so.
func checkMemory(t *topology.Topology) error {
	need := int64(len(t.Nodes)) * nodeMemory
	switch lim := t.Limits.Memory; {
	case lim > 0 && lim < need:
		return &topology.Error{File: t.File, Pos: t.Limits.At.Of("memory", t.Limits.Pos),
			Msg: fmt.Sprintf("limits: memory: %s is less than the %s the lab's %d nodes take before any daemon runs (%d KiB each); raise it to at least %s", mib(lim), mib(need), len(t.Nodes), nodeMemory>>10, mib(need))}
	case lim == 0 && defaultMemory(len(t.Nodes)) < need:
		return fmt.Errorf("a lab of %d nodes takes about %s of memory (%d KiB each), more than the half of this host's memory a lab gets unless its topology says: add limits: {memory: %s} to it, or bring it up on several hosts (hosts: and placement: auto)",
			len(t.Nodes), mib(need), nodeMemory>>10, mib(need*5/4))
	}
	if avail, ok := memAvailable(); ok && need > avail {
		return fmt.Errorf("a lab of %d nodes takes about %s of memory (%d KiB each), and this host has %s available; take other labs down, or bring it up on several hosts (hosts: and placement: auto)",
			len(t.Nodes), mib(need), nodeMemory>>10, mib(avail))
	}
	return nil
}

// mib is a size in MiB, as messages show it.
func mib(b int64) string { return fmt.Sprintf("%d MiB", (b+1<<20-1)>>20) }

// memAvailable is MemAvailable of /proc/meminfo, in bytes.
func memAvailable() (int64, bool) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// labCaps are the bounds the lab's user namespace puts on what all its
// nodes make: each of the host's per-user limits of /proc/sys/user
// (max_inotify_instances, max_user_namespaces, ...), halved. What a lab's
// processes make is counted against the lab's owner at the host's level:
// the lab's own ids in root's labs (the supervisor becomes them before it
// makes the lab's user namespace), the user in a rootless lab. Halved, a
// lab can take at most half of that budget, and the user keeps the rest.
func labCaps() []string {
	names, err := os.ReadDir("/proc/sys/user")
	if err != nil {
		return nil
	}
	var caps []string
	for _, n := range names {
		b, err := os.ReadFile("/proc/sys/user/" + n.Name())
		if err != nil {
			continue
		}
		v, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || v <= 1 {
			continue
		}
		caps = append(caps, fmt.Sprintf("%s=%d", n.Name(), v/2))
	}
	return caps
}

// defaultTmpfsSize bounds each tmpfs of a node (/run, /tmp, /var/tmp,
// /root, /dev, its /etc layer) when the topology sets no limits: tmpfs
// pages are memory, and the kernel's default, half the machine's memory
// for each, let one node take it all.
const defaultTmpfsSize = 128 << 20

// defaultMemory is a lab's memory limit when its topology sets none: 512
// MiB and 64 MiB per node (an FRR node's daemons take about 16 MiB), at
// most half the machine's memory, so that one lab cannot starve the
// others and the host.
func defaultMemory(nodes int) int64 {
	lim := int64(512<<20) + int64(max(nodes, 0))*(64<<20)
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil && si.Totalram > 0 {
		lim = min(lim, int64(si.Totalram)*int64(si.Unit)/2)
	}
	return lim
}
