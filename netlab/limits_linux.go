package netlab

import (
	"fmt"
	"os"

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
