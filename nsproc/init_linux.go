package nsproc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// initMain is a node's init: PID 1 of the node's PID namespace, in the
// lab's user namespace. It builds the node's filesystem view, then starts
// the node's agent in a user namespace of the node's own (nested in the
// lab's, mapping the same ids), with the node's network, UTS, IPC and
// cgroup namespaces and a copy of the mount namespace it built. That copy
// is made by a less privileged user namespace, so the kernel locks every
// mount in it: node root can neither unmount nor remount what the init set
// up, and cannot ptrace the init, which holds capabilities over the whole
// lab (it is not dumpable, and node root has none in the lab's namespace).
// The init then only reaps, and ends with the agent.
func initMain() int {
	// Before anything else: from here on only holders of capabilities in
	// the lab's user namespace may read or write this process.
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	setProcessName("netlab-init")
	conn, err := controlConn()
	if err != nil {
		fmt.Fprintf(os.Stderr, "netlab init: %v\n", err)
		return 1
	}
	fail := func(err error) int {
		sendPacket(conn, readyReport{Error: err.Error()})
		return 1
	}
	var cfg initConfig
	files, err := recvPacket(conn, &cfg)
	if err != nil {
		return fail(fmt.Errorf("init: read configuration: %w", err))
	}
	if len(files) != 2 {
		closeAll(files)
		return fail(fmt.Errorf("init: configuration carried %d files, want 2", len(files)))
	}
	listener, hosts := files[0], files[1]
	err = setupFilesystem(cfg.Hostname, hosts, cfg.Layer, cfg.Hide)
	hosts.Close()
	if err != nil {
		listener.Close()
		return fail(err)
	}
	agent, pidfd, err := startAgent(cfg, listener)
	listener.Close()
	if err != nil {
		return fail(err)
	}
	if err := sendPacket(conn, readyReport{}, pidfd); err != nil {
		return 1
	}
	pidfd.Close()
	conn.Close()
	// Nothing of the node may reach the host's log from now on.
	quietStdio()
	return reapUntil(agent)
}

// agentReadyTimeout bounds how long an agent may take to set itself up.
const agentReadyTimeout = 20 * time.Second

// startAgent starts the node's agent and waits for its ready report. It
// returns the agent's pid (in the node's PID namespace) and a pidfd of it.
func startAgent(cfg initConfig, listener *os.File) (int, *os.File, error) {
	ours, theirs, err := socketPair("agent-control")
	if err != nil {
		return 0, nil, fmt.Errorf("agent control socket: %w", err)
	}
	defer ours.Close()
	cmd := exec.Command(selfExe, argAgent, cfg.Node)
	cmd.Args[0] = "netlab"
	// One P is plenty for an agent, which mostly waits.
	cmd.Env = []string{"GOMAXPROCS=1"}
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.ExtraFiles = []*os.File{theirs}
	uids, err := nodeMap("/proc/self/uid_map")
	if err != nil {
		return 0, nil, err
	}
	gids, err := nodeMap("/proc/self/gid_map")
	if err != nil {
		return 0, nil, err
	}
	pidfd := -1
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWNET |
			unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWCGROUP,
		UidMappings: uids,
		GidMappings: gids,
		// Daemons that drop privileges call setgroups; every id of the
		// lab is mapped, so allowing it gives away nothing.
		GidMappingsEnableSetgroups: true,
		Credential:                 &syscall.Credential{Uid: 0, Gid: 0},
		PidFD:                      &pidfd,
	}
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		return 0, nil, fmt.Errorf("start agent: %w", err)
	}
	pf := os.NewFile(uintptr(pidfd), "pidfd")
	err = sendPacket(ours, cfg.agentConfig, listener)
	var report readyReport
	if err == nil {
		ours.SetReadDeadline(time.Now().Add(agentReadyTimeout))
		var files []*os.File
		files, err = recvPacket(ours, &report)
		closeAll(files)
	}
	if err == nil && report.Error == "" {
		return cmd.Process.Pid, pf, nil
	}
	pf.Close()
	cmd.Process.Kill()
	werr := cmd.Wait()
	switch {
	case report.Error != "":
		return 0, nil, errors.New(report.Error)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return 0, nil, fmt.Errorf("agent not ready after %v", agentReadyTimeout)
	default:
		return 0, nil, fmt.Errorf("agent exited before it was ready (%v): %v", err, werr)
	}
}

// reapUntil waits for every child that ends here (the agent, and any
// orphan the agent did not take) until the agent has exited, and returns
// the code the init exits with: the node ends with its agent.
func reapUntil(agent int) int {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 1
		}
		if pid == agent {
			return waitCode(ws)
		}
	}
}

// nodeMap maps node ids 0.. to this (the lab's) user namespace's ids
// nodeRootID.. as far as the map file (/proc/self/uid_map or gid_map) lists
// them: node root is never the lab's root. The ids must lie in one extent
// of the lab's map, as the kernel takes a child's extent only so (a
// rootless lab maps lab root to the user and lab ids 1.. to the user's
// subordinate range: node ids are all subordinate ones).
func nodeMap(file string) ([]syscall.SysProcIDMap, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var inside, outside, count int
		if _, err := fmt.Sscan(line, &inside, &outside, &count); err != nil {
			return nil, fmt.Errorf("read %s: %q", file, line)
		}
		if inside <= nodeRootID && nodeRootID < inside+count {
			return []syscall.SysProcIDMap{{ContainerID: 0, HostID: nodeRootID, Size: inside + count - nodeRootID}}, nil
		}
	}
	return nil, fmt.Errorf("%s maps no id %d for node root", file, nodeRootID)
}
