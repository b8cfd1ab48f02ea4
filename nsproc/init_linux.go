package nsproc

import (
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// initMain is a node's init: PID 1 of the node's PID namespace. fd 3 is its
// ready pipe, fd 4 its listening exec socket, fd 5 the lab's hosts file,
// fd 6 its layer directory if it has one.
func initMain(args []string) int {
	ready := os.NewFile(3, "ready")
	listener := os.NewFile(4, "exec-socket")
	hosts := os.NewFile(5, "hosts")
	if len(args) < 3 {
		fmt.Fprintf(ready, "init: want NODE HOSTNAME LAYER [SYSCTL=VALUE...], got %q", args)
		return 2
	}
	node, hostname, sysctls := args[0], args[1], args[3:]
	var layer *os.File
	if args[2] == "layer" {
		layer = os.NewFile(6, "layer")
	}
	setProcessName("netlab-init")

	if err := setupNode(hostname, hosts, layer, sysctls); err != nil {
		fmt.Fprintf(ready, "%v", err)
		return 1
	}
	hosts.Close()
	if layer != nil {
		layer.Close()
	}
	l, err := net.FileListener(listener)
	listener.Close()
	if err != nil {
		fmt.Fprintf(ready, "exec socket: %v", err)
		return 1
	}
	r := newReaper()
	if _, err := ready.WriteString(readyOK); err != nil {
		return 1
	}
	ready.Close()
	// The node's root could make its init write anything (it may ptrace
	// it): nothing of it may reach the host's log.
	quietStdio()

	// The init lives as long as it serves; the Go runtime's default
	// handlers end it on SIGTERM, SIGINT or SIGHUP.
	serveExec(l.(*net.UnixListener), r, node)
	return 1
}

// setupNode gives the node its own view of the filesystem, its hostname
// and its early sysctls. Each error names the step that failed.
func setupNode(hostname string, hosts, layer *os.File, sysctls []string) error {
	if err := setupFilesystem(hostname, hosts, layer); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte(hostname)); err != nil {
		return fmt.Errorf("set hostname: %w", os.NewSyscallError("sethostname", err))
	}
	for _, kv := range sysctls {
		key, value, _ := strings.Cut(kv, "=")
		path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
		if err := os.WriteFile(path, []byte(value), 0); err != nil {
			return fmt.Errorf("sysctl %s: %w", kv, err)
		}
	}
	return nil
}
