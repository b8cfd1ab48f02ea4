package nsproc

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// LogDir is where, inside a node, the logs of its exec steps and services
// are: on the node's own /run, so they count against the lab's memory, and
// vanish with the node.
const LogDir = "/run/log/netlab"

// outputTail is how much of a logged command's output its exit reports:
// the end, where the reason usually is.
const outputTail = 4096

// services is the agent's table of the node's services.
type services struct {
	mu   sync.Mutex
	list []*Service
}

func (s *services) add(name string, pid int) *Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := &Service{Name: name, Pid: pid, Running: true}
	s.list = append(s.list, sv)
	return sv
}

func (s *services) exited(sv *Service, ws unix.WaitStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv.Running = false
	sv.Exit = waitCode(ws)
}

func (s *services) snapshot() []Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Service, len(s.list))
	for i, sv := range s.list {
		out[i] = *sv
	}
	return out
}

// waitCode is the exit code a shell would report for ws.
func waitCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// openLog opens the node's log name for appending (making LogDir) and
// returns it with its size now, where this command's output will start.
func openLog(name string) (*os.File, int64, error) {
	if name == "" || strings.ContainsAny(name, "/\x00") || strings.HasPrefix(name, ".") {
		return nil, 0, fmt.Errorf("bad log name %q", name)
	}
	if err := os.MkdirAll(LogDir, 0o755); err != nil {
		return nil, 0, fmt.Errorf("make %s: %w", LogDir, err)
	}
	f, err := os.OpenFile(filepath.Join(LogDir, name+".log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_NOFOLLOW, 0o640)
	if err != nil {
		return nil, 0, fmt.Errorf("open log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// logTail reads the end of what log name holds past offset from, at most
// outputTail bytes.
func logTail(name string, from int64) []byte {
	f, err := os.Open(filepath.Join(LogDir, name+".log"))
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	if fi.Size()-from > outputTail {
		from = fi.Size() - outputTail
	}
	b, _ := io.ReadAll(io.NewSectionReader(f, from, fi.Size()-from))
	return b
}
