// Command netfloor is the floor of networking alone: N network namespaces,
// held by file descriptors, wired into a chain, or with -grid a square
// grid, by package floorwire. It
// prints the time to make and wire them, and to release them.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/test/floor/floorwire"
)

func main() {
	n := flag.Int("n", 100, "namespaces in the chain")
	par := flag.Int("parallel", 8, "netlink operations in flight")
	grid := flag.Bool("grid", false, "wire a square grid, not a chain")
	flag.Parse()
	start := time.Now()
	fds := make([]int, *n)
	for i := range fds {
		fd, err := newNetns()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fds[i] = fd
	}
	pairs := floorwire.Chain(*n)
	if *grid {
		side := int(math.Sqrt(float64(*n)))
		if side*side != *n {
			fmt.Fprintf(os.Stderr, "netfloor: a grid of %d namespaces is not a square\n", *n)
			os.Exit(2)
		}
		pairs = floorwire.Grid(side)
	}
	if err := floorwire.Wire(fds, pairs, *par); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	up := time.Since(start)
	start = time.Now()
	for _, fd := range fds {
		unix.Close(fd)
	}
	fmt.Printf("nodes=%d up=%.3fs down=%.3fs\n", *n, up.Seconds(), time.Since(start).Seconds())
}

// newNetns makes a network namespace on a throwaway thread and returns a
// descriptor that keeps it alive.
func newNetns() (int, error) {
	type result struct {
		fd  int
		err error
	}
	c := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with us
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			c <- result{-1, err}
			return
		}
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		c <- result{fd, err}
	}()
	r := <-c
	return r.fd, r.err
}
