package netlab

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
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
