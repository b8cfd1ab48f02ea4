package nsproc

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// serveExec runs commands for clients of the node's exec socket until the
// listener fails.
func serveExec(l *net.UnixListener, r *reaper, node string) {
	for {
		c, err := l.AcceptUnix()
		if err != nil {
			fmt.Fprintf(os.Stderr, "netlab init %s: accept: %v\n", node, err)
			return
		}
		go serveOne(c, r)
	}
}

func serveOne(c *net.UnixConn, r *reaper) {
	defer c.Close()
	var req execRequest
	files, err := recvPacket(c, &req)
	if err != nil {
		return
	}
	info := runRequest(c, r, req, files)
	sendPacket(c, execEvent{Exit: &info})
}

// runRequest starts the command with the client's stdio, relays the client's
// signals to it, and returns how it ended.
func runRequest(c *net.UnixConn, r *reaper, req execRequest, stdio []*os.File) exitInfo {
	defer closeAll(stdio)
	if len(stdio) != 3 {
		return exitInfo{Code: 126, Error: fmt.Sprintf("request carried %d files, want stdin, stdout, stderr", len(stdio))}
	}
	if len(req.Argv) == 0 {
		return exitInfo{Code: 126, Error: "no command given"}
	}
	path, err := lookPath(req.Argv[0], req.Env)
	if err != nil {
		return exitInfo{Code: 127, Error: err.Error()}
	}
	dir := req.Dir
	if dir == "" {
		dir = "/"
	}
	attr := &syscall.ProcAttr{
		Dir:   dir,
		Env:   req.Env,
		Files: []uintptr{stdio[0].Fd(), stdio[1].Fd(), stdio[2].Fd()},
		// Its own session: signals for the command reach its whole
		// process group, and a terminal becomes its controlling one.
		Sys: &syscall.SysProcAttr{Setsid: true, Setctty: req.TTY, Ctty: 0},
	}
	pid, status, err := r.start(path, req.Argv, attr)
	if err != nil {
		code := 126
		if errors.Is(err, unix.ENOENT) {
			code = 127
		}
		return exitInfo{Code: code, Error: fmt.Sprintf("%s: %v", req.Argv[0], err)}
	}
	closeAll(stdio)
	stdio = nil

	// The client speaks while the command runs only to pass signals; if it
	// goes away, nobody is left to see the command, so it is killed.
	var exited atomic.Bool
	go func() {
		for {
			var ev execEvent
			files, err := recvPacket(c, &ev)
			closeAll(files)
			if err != nil {
				if !exited.Load() {
					unix.Kill(-pid, unix.SIGKILL)
				}
				return
			}
			if ev.Signal > 0 {
				unix.Kill(-pid, unix.Signal(ev.Signal))
			}
		}
	}()
	ws := <-status
	exited.Store(true)
	switch {
	case ws.Exited():
		return exitInfo{Code: ws.ExitStatus()}
	case ws.Signaled():
		return exitInfo{Code: 128 + int(ws.Signal()), Signal: int(ws.Signal())}
	}
	return exitInfo{Code: 1, Error: fmt.Sprintf("unexpected wait status %#x", ws)}
}

// lookPath finds a command the way a shell with env's PATH would, in the
// node's own view of the filesystem.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: command not found", name)
}
