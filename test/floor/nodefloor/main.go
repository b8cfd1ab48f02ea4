// Command nodefloor is the floor of netlab's node model: a supervisor in a
// new user namespace spawns N node inits in new mount, UTS, IPC, PID,
// network and cgroup namespaces; each mounts its own /proc, sets its
// hostname and reports ready on a pipe. Nothing else: no state, no exec
// socket, no /etc overlay, no wiring. `make bench` puts netlab's own times
// next to it.
//
//	nodefloor -n 1000            spawn 1000 nodes, print the time, tear down
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "supervisor":
			os.Exit(supervisor(os.Args[2:]))
		case "init":
			os.Exit(nodeInit(os.Args[2], os.Args[3]))
		}
	}
	n := flag.Int("n", 100, "nodes to spawn")
	par := flag.Int("parallel", 8, "spawns in flight")
	etc := flag.String("etc", "", "experiment: tmpfs = overlay /etc with upper on the node's /run tmpfs")
	flag.Parse()
	start := time.Now()
	sup := exec.Command("/proc/self/exe", "supervisor", fmt.Sprint(*n), fmt.Sprint(*par), *etc)
	sup.Stderr = os.Stderr
	out, _ := sup.StdoutPipe()
	m := []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0x7ff00000, Size: 65536}}
	sup.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  unix.CLONE_NEWUSER | unix.CLONE_NEWPID,
		UidMappings: m, GidMappings: m, GidMappingsEnableSetgroups: true,
		Credential: &syscall.Credential{},
	}
	if err := sup.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	b, _ := io.ReadAll(out) // the supervisor prints "ready" then closes stdout
	up := time.Since(start)
	start = time.Now()
	sup.Process.Kill()
	sup.Wait()
	fmt.Printf("nodes=%d up=%.3fs down=%.3fs (%s)\n", *n, up.Seconds(), time.Since(start).Seconds(), strings.TrimSpace(string(b)))
}

func supervisor(args []string) int {
	var n, par int
	fmt.Sscan(args[0], &n)
	fmt.Sscan(args[1], &par)
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			r, w, _ := os.Pipe()
			c := exec.Command("/proc/self/exe", "init", fmt.Sprintf("n%d", i), args[2])
			c.ExtraFiles = []*os.File{w}
			c.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWNS | unix.CLONE_NEWUTS |
				unix.CLONE_NEWIPC | unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP}
			if err := c.Start(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			w.Close()
			io.ReadAll(r)
			r.Close()
			go c.Wait()
		}()
	}
	wg.Wait()
	fmt.Println("ready")
	os.Stdout.Close()
	select {}
}

func nodeInit(name, etc string) int {
	ready := os.NewFile(3, "ready")
	unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "")
	if err := unix.Mount("proc", "/proc", "proc", 0, ""); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if etc == "tmpfs" {
		t := time.Now()
		unix.Mount("tmpfs", "/run", "tmpfs", 0, "mode=0755")
		os.MkdirAll("/run/.l/etc", 0o755)
		os.MkdirAll("/run/.l/work", 0o755)
		if err := unix.Mount("overlay", "/etc", "overlay", 0, "lowerdir=/etc,upperdir=/run/.l/etc,workdir=/run/.l/work,userxattr"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "overlay", time.Since(t).Microseconds())
	}
	unix.Sethostname([]byte(name))
	ready.WriteString("ok")
	ready.Close()
	select {}
}
