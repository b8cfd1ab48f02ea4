// Command nodefloor is the floor of netlab's node model: a supervisor in a
// new user and PID namespace spawns N Go node inits in new mount, UTS, IPC,
// PID, network and cgroup namespaces; each makes its mounts private, mounts
// its own /proc, sets its hostname and reports ready on a pipe. Then the
// chain is wired as netfloor wires it. Nothing else: no state, no exec
// socket, no /etc overlay, no tmpfs.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/test/floor/floorwire"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "supervisor":
			os.Exit(supervisor(os.Args[2:]))
		case "init":
			os.Exit(nodeInit(os.Args[2]))
		}
	}
	n := flag.Int("n", 100, "nodes to spawn")
	par := flag.Int("parallel", 8, "spawns and netlink operations in flight")
	flag.Parse()
	start := time.Now()
	sup := exec.Command("/proc/self/exe", "supervisor", strconv.Itoa(*n), strconv.Itoa(*par))
	sup.Stderr = os.Stderr
	out, _ := sup.StdoutPipe()
	m := []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0x7ff00000, Size: 65536}}
	sup.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  unix.CLONE_NEWUSER | unix.CLONE_NEWPID,
		UidMappings: m, GidMappings: m, GidMappingsEnableSetgroups: true,
		Credential: &syscall.Credential{},
	}
	if err := sup.Start(); err != nil {
		fail(err)
	}
	io.ReadAll(out) // the supervisor closes stdout once every init is ready
	spawned := time.Since(start)
	pids, err := children(sup.Process.Pid)
	if err != nil || len(pids) != *n {
		fail(fmt.Errorf("found %d inits of %d: %v", len(pids), *n, err))
	}
	fds := make([]int, len(pids))
	for i, pid := range pids {
		if fds[i], err = unix.Open(fmt.Sprintf("/proc/%d/ns/net", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
			fail(err)
		}
	}
	if err := floorwire.Wire(fds, floorwire.Chain(len(fds)), *par); err != nil {
		fail(err)
	}
	up := time.Since(start)
	start = time.Now()
	for _, fd := range fds {
		unix.Close(fd)
	}
	sup.Process.Kill()
	sup.Wait()
	fmt.Printf("nodes=%d up=%.3fs (spawn %.3fs) down=%.3fs\n", *n, up.Seconds(), spawned.Seconds(), time.Since(start).Seconds())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "nodefloor:", err)
	os.Exit(1)
}

// children lists the host pids of pid's children, whichever of its threads
// forked them.
func children(pid int) ([]int, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil {
		return nil, err
	}
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			return nil, err
		}
		for _, f := range strings.Fields(string(b)) {
			p, _ := strconv.Atoi(f)
			out = append(out, p)
		}
	}
	return out, nil
}

func supervisor(args []string) int {
	n, _ := strconv.Atoi(args[0])
	par, _ := strconv.Atoi(args[1])
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			r, w, _ := os.Pipe()
			c := exec.Command("/proc/self/exe", "init", fmt.Sprintf("n%d", i))
			c.Stderr = os.Stderr
			c.ExtraFiles = []*os.File{w}
			c.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWNS | unix.CLONE_NEWUTS |
				unix.CLONE_NEWIPC | unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP}
			if err := c.Start(); err != nil {
				fail(err)
			}
			w.Close()
			if b, _ := io.ReadAll(r); string(b) != "ok" {
				fail(fmt.Errorf("init %d: %q", i, b))
			}
			r.Close()
			go c.Wait()
		}()
	}
	wg.Wait()
	os.Stdout.Close()
	waitForSignal()
	return 0
}

// waitForSignal blocks until SIGTERM. (A bare select{} in a static binary
// is a deadlock to the Go runtime.)
func waitForSignal() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, unix.SIGTERM)
	<-c
}

func nodeInit(name string) int {
	ready := os.NewFile(3, "ready")
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		fmt.Fprint(ready, err)
		return 1
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		fmt.Fprint(ready, err)
		return 1
	}
	if os.Getenv("FLOOR_SYSFS") != "" {
		if err := unix.Mount("sysfs", "/sys", "sysfs", 0, ""); err != nil {
			fmt.Fprint(ready, err)
			return 1
		}
	}
	if err := unix.Sethostname([]byte(name)); err != nil {
		fmt.Fprint(ready, err)
		return 1
	}
	ready.WriteString("ok")
	ready.Close()
	waitForSignal()
	return 0
}
