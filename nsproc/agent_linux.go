package nsproc

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// agentMain is a node's agent: root of the node's own user namespace,
// which owns the node's network, UTS and IPC namespaces, so node root can
// configure them (and run FRR) while holding nothing over the rest of the
// lab. It mounts the node's /sys, sets the hostname and early sysctls,
// then runs commands for the node's exec socket, as the parent and child
// subreaper of everything the node runs.
func agentMain() int {
	setProcessName("netlab-agent")
	conn, err := controlConn()
	if err != nil {
		fmt.Fprintf(os.Stderr, "netlab agent: %v\n", err)
		return 1
	}
	defer conn.Close()
	fail := func(err error) int {
		sendPacket(conn, readyReport{Error: err.Error()})
		return 1
	}
	var cfg agentConfig
	files, err := recvPacket(conn, &cfg)
	if err != nil {
		return fail(fmt.Errorf("agent: read configuration: %w", err))
	}
	if len(files) != 1 {
		closeAll(files)
		return fail(fmt.Errorf("agent: configuration carried %d files, want the exec socket", len(files)))
	}
	l, err := net.FileListener(files[0])
	files[0].Close()
	if err != nil {
		return fail(fmt.Errorf("exec socket: %w", err))
	}
	if err := setupAgent(cfg); err != nil {
		return fail(err)
	}
	// Orphans of the node's commands come here, not to the init: the init
	// must never have to wait for what node root started.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fail(fmt.Errorf("set child subreaper: %w", os.NewSyscallError("prctl", err)))
	}
	r := newReaper()
	if err := sendPacket(conn, readyReport{}); err != nil {
		return 1
	}
	conn.Close()
	quietStdio()
	serveExec(l.(*net.UnixListener), r, cfg.Node)
	return 1
}

// setupAgent mounts the node's own /sys (its network namespace's), sets
// its hostname and writes its early sysctls. Each error names the step.
func setupAgent(cfg agentConfig) error {
	// Over the init's /sys, which shows the supervisor's empty network
	// namespace: this one is not locked, and what unmounting it uncovers
	// names no interface of the host's.
	if err := unix.Mount("sysfs", "/sys", "sysfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount the node's own sysfs on /sys: %w", os.NewSyscallError("mount", err))
	}
	if err := unix.Sethostname([]byte(cfg.Hostname)); err != nil {
		return fmt.Errorf("set hostname: %w", os.NewSyscallError("sethostname", err))
	}
	return writeSysctls(cfg.Sysctls)
}
