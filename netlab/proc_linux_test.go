package netlab

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func TestStartTime(t *testing.T) {
	st, err := startTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st == 0 {
		t.Error("startTime of this process is 0")
	}
	if again, err := startTime(os.Getpid()); err != nil || again != st {
		t.Errorf("startTime changed: %d then %d, %v", st, again, err)
	}
	// The parent started no later than this process.
	if pst, err := startTime(os.Getppid()); err != nil || pst > st {
		t.Errorf("parent's startTime = %d, %v; this process's %d", pst, err, st)
	}
	if _, err := startTime(-1); err == nil {
		t.Error("startTime(-1) succeeded")
	}
}

func TestStatFields(t *testing.T) {
	f, err := statFields(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Field 3 is the state, field 4 the parent, field 5 the process group.
	if s := string(f[3-3]); len(s) != 1 || s[0] < 'A' || s[0] > 'Z' {
		t.Errorf("field 3 (state) = %q", s)
	}
	if got, want := string(f[4-3]), strconv.Itoa(os.Getppid()); got != want {
		t.Errorf("field 4 (ppid) = %s, want %s", got, want)
	}
	if got, want := string(f[5-3]), strconv.Itoa(syscall.Getpgrp()); got != want {
		t.Errorf("field 5 (pgrp) = %s, want %s", got, want)
	}
	if _, err := statFields(0); err == nil {
		t.Error("statFields(0) succeeded")
	}
}

// A command name may hold spaces and parentheses: the fields are found
// after its last ')'.
func TestStatFieldsOddCommandName(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	odd := filepath.Join(t.TempDir(), "a) b (c) 1 2")
	b, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(odd, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(odd, "30")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot run a copy of sleep: %v", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	pid := cmd.Process.Pid
	comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	t.Logf("comm %q", comm)
	if f, err := statFields(pid); err != nil {
		t.Errorf("statFields(child %q): %v", comm, err)
	} else if string(f[1]) != strconv.Itoa(os.Getpid()) {
		t.Errorf("statFields(child %q): ppid field %q, want %d", comm, f[1], os.Getpid())
	}
	if _, err := startTime(pid); err != nil {
		t.Errorf("startTime(child %q): %v", comm, err)
	}
}

func TestProcAlive(t *testing.T) {
	self, err := procOf(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if self.Pid != os.Getpid() || self.StartTime == 0 {
		t.Errorf("procOf(self) = %+v", self)
	}
	if !self.alive() {
		t.Error("this process is not alive")
	}
	tests := []struct {
		name string
		p    *Proc
	}{
		{"nil", nil},
		{"pid 0", &Proc{}},
		{"negative pid", &Proc{Pid: -1, StartTime: self.StartTime}},
		{"other start time", &Proc{Pid: self.Pid, StartTime: self.StartTime + 1}},
		{"start time 0", &Proc{Pid: self.Pid}},
	}
	for _, tt := range tests {
		if tt.p.alive() {
			t.Errorf("%s: %+v is alive", tt.name, tt.p)
		}
		// kill of a process that is not there does nothing.
		if err := tt.p.kill(time.Second); err != nil {
			t.Errorf("%s: kill: %v", tt.name, err)
		}
	}
	if _, err := procOf(-1); err == nil {
		t.Error("procOf(-1) succeeded")
	}
}

func TestProcKill(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	cmd := exec.Command(sleep, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p, err := procOf(cmd.Process.Pid)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal(err)
	}
	if !p.alive() {
		t.Error("child is not alive")
	}
	if err := p.kill(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	// kill returns once the process has exited, before it is reaped.
	if err := cmd.Wait(); err == nil {
		t.Error("child exited 0 after SIGKILL")
	}
	if p.alive() {
		t.Error("child is alive after kill and wait")
	}
	if err := p.kill(time.Second); err != nil {
		t.Errorf("second kill: %v", err)
	}
}
