package netlab

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// startTime reads when pid started, in clock ticks since boot (field 22 of
// /proc/PID/stat). A pid with another start time is another process.
func startTime(pid int) (uint64, error) {
	f, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(string(f[22-3]), 10, 64)
}

// statFields returns the fields of /proc/PID/stat after the command name:
// field N of proc(5) is element N-3.
func statFields(pid int) ([][]byte, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	// The command name in field 2 may hold spaces and parentheses; the
	// fields after its last ')' are plain.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no command field", pid)
	}
	fields := bytes.Fields(b[i+1:])
	if len(fields) < 22-3+1 {
		return nil, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	return fields, nil
}

// procOf records a running process.
func procOf(pid int) (*Proc, error) {
	st, err := startTime(pid)
	if err != nil {
		return nil, fmt.Errorf("process %d: %w", pid, err)
	}
	return &Proc{Pid: pid, StartTime: st}, nil
}

// open returns a pidfd for p if p still runs: the same pid with the same
// start time. A pidfd keeps pointing at that process even if the pid is
// reused afterwards, so signals sent through it cannot hit a stranger.
// It returns nil and no error when p is gone.
func (p *Proc) open() (*os.File, error) {
	if p == nil || p.Pid <= 0 {
		return nil, nil
	}
	fd, err := unix.PidfdOpen(p.Pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil, nil
	}
	if err != nil {
		return nil, os.NewSyscallError("pidfd_open", err)
	}
	st, err := startTime(p.Pid)
	if err != nil || st != p.StartTime {
		unix.Close(fd)
		return nil, nil
	}
	return os.NewFile(uintptr(fd), "pidfd"), nil
}

// alive reports whether p still runs: its pid has its start time. One
// read of /proc/PID/stat, no pidfd: status asks it of every node.
func (p *Proc) alive() bool {
	if p == nil || p.Pid <= 0 {
		return false
	}
	st, err := startTime(p.Pid)
	return err == nil && st == p.StartTime
}

// kill sends SIGKILL to p if it still runs and waits until it has exited.
func (p *Proc) kill(timeout time.Duration) error {
	pidfd, err := p.sendKill()
	if err != nil || pidfd == nil {
		return err
	}
	defer pidfd.Close()
	return p.awaitExit(pidfd, timeout)
}

// sendKill sends SIGKILL to p if it still runs, and returns a pidfd to wait
// for its exit with (awaitExit); nil when p is gone.
func (p *Proc) sendKill() (*os.File, error) {
	pidfd, err := p.open()
	if err != nil || pidfd == nil {
		return nil, err
	}
	if err := unix.PidfdSendSignal(int(pidfd.Fd()), unix.SIGKILL, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
		pidfd.Close()
		return nil, fmt.Errorf("kill process %d: %w", p.Pid, os.NewSyscallError("pidfd_send_signal", err))
	}
	return pidfd, nil
}

// awaitExit waits until the process of pidfd, p, has exited, at most
// timeout.
func (p *Proc) awaitExit(pidfd *os.File, timeout time.Duration) error {
	// A pidfd polls readable once the process has exited, reaped or not.
	fds := []unix.PollFd{{Fd: int32(pidfd.Fd()), Events: unix.POLLIN}}
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("process %d did not exit %v after SIGKILL", p.Pid, timeout)
		}
		n, err := unix.Poll(fds, int(left/time.Millisecond)+1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("wait for process %d: %w", p.Pid, os.NewSyscallError("poll", err))
		}
		if n > 0 {
			return nil
		}
	}
}
