package check

import (
	"context"
	"errors"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// running is a Lab that runs on this machine, with its topology.
type running struct {
	lab  *netlab.Lab
	topo *topology.Topology
}

// Open returns the running lab ref names, or an error saying why it is
// not up.
func Open(ref netlab.LabRef) (Lab, error) {
	l, err := ref.Open()
	if err != nil {
		if errors.Is(err, netlab.ErrNoLab) {
			return nil, errors.New("lab " + ref.String() + " is not up (no such lab)")
		}
		return nil, err
	}
	if err := l.Running(); err != nil {
		return nil, err
	}
	t, err := l.Topology()
	if err != nil {
		return nil, err
	}
	return running{l, t}, nil
}

// Suites are the suites of the labs named, each with the topology's own
// checks, or with checks(topology) when checks is not nil; a lab that is
// not up gets a suite that says why.
func Suites(refs []netlab.LabRef, checks func(*topology.Topology) []*topology.Check) []Suite {
	out := make([]Suite, len(refs))
	for i, ref := range refs {
		lab, err := Open(ref)
		out[i] = Suite{Name: ref.Name, Owner: ref.Owner(), Lab: lab, Err: err}
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
func (r running) Topology() *topology.Topology { return r.topo }

func (r running) Routes(ctx context.Context, node string) ([]netlab.Route, error) {
	return r.lab.Routes(ctx, node)
}

// Run runs argv in node (see netlab.Lab.Run); a command that could not
// start is its exit code with the reason as its output.
func (r running) Run(ctx context.Context, node string, argv []string) (int, []byte, error) {
	code, out, err := r.lab.Run(ctx, node, argv)
	var ee *nsproc.ExitError
	if errors.As(err, &ee) {
		return ee.Code, []byte(ee.Reason), nil
	}
	return code, out, err
}
