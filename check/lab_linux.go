package check

import (
	"context"
	"errors"
	"os"

	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// maxOutput is how much of a command's output a check keeps: its end.
const maxOutput = 64 << 10

// running is a Lab that runs on this machine.
type running struct{ lab *netlab.Lab }

// Open returns the running lab called name, or an error saying why it is
// not up.
func Open(name string) (Lab, error) {
	l, err := netlab.Open(name)
	if err != nil {
		if errors.Is(err, netlab.ErrNoLab) {
			return nil, errors.New("lab " + name + " is not up (no such lab)")
		}
		return nil, err
	}
	if err := l.Running(); err != nil {
		return nil, err
	}
	return running{l}, nil
}

// Suites are the suites of the labs named, each with the topology's own
// checks, or with checks(topology) when checks is not nil; a lab that is
// not up gets a suite that says why.
func Suites(names []string, checks func(*topology.Topology) []*topology.Check) []Suite {
	out := make([]Suite, len(names))
	for i, name := range names {
		lab, err := Open(name)
		out[i] = Suite{Name: name, Lab: lab, Err: err}
		switch {
		case lab == nil:
		case checks != nil:
			out[i].Checks = checks(lab.Topology())
		default:
			out[i].Checks = lab.Topology().Checks
		}
	}
	return out
}

func (r running) Name() string                 { return r.lab.Name() }
func (r running) Topology() *topology.Topology { return r.lab.Topology() }

func (r running) Routes(ctx context.Context, node string) ([]netlab.Route, error) {
	return r.lab.Routes(ctx, node)
}

// Run runs argv in node with its output in a memory file, read back once
// it exits: no pipe to drain, and nothing to wait for if the command
// leaves a process behind that holds its output open.
func (r running) Run(ctx context.Context, node string, argv []string) (int, []byte, error) {
	fd, err := unix.MemfdCreate("netlab-check", unix.MFD_CLOEXEC)
	if err != nil {
		return 0, nil, os.NewSyscallError("memfd_create", err)
	}
	out := os.NewFile(uintptr(fd), "output")
	defer out.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		return 0, nil, err
	}
	defer null.Close()
	code, err := r.lab.Exec(ctx, node, nsproc.Command{Argv: argv, Env: netlab.Env(nil), Dir: "/", Stdin: null, Stdout: out, Stderr: out})
	var ee *nsproc.ExitError
	if errors.As(err, &ee) {
		return ee.Code, []byte(ee.Reason), nil
	}
	if err != nil {
		return code, nil, err
	}
	return code, readTail(out), nil
}

// readTail reads the last maxOutput bytes of f.
func readTail(f *os.File) []byte {
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	off := max(st.Size()-maxOutput, 0)
	b := make([]byte, st.Size()-off)
	n, _ := f.ReadAt(b, off) // what could be read is what there is
	return b[:n]
}
