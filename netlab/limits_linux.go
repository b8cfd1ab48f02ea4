package netlab

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// checkFileLimit makes sure this process may open the files an up of a lab
// with n nodes holds at once: while wiring, a network namespace and a
// netlink socket per node, plus a few per worker. Go already raised the
// soft limit to the hard one at start; a lab that still does not fit is
// refused before anything is made, saying what to raise.
func checkFileLimit(nodes, parallel int) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return os.NewSyscallError("getrlimit", err)
	}
	need := uint64(2*nodes + 4*parallel + 64)
	if need <= lim.Cur {
		return nil
	}
	return fmt.Errorf("a lab of %d nodes needs about %d open files, and this process may open at most %d; raise the limit (ulimit -n %d, or LimitNOFILE= in a systemd unit)", nodes, need, lim.Cur, need)
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
