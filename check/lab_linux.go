package check

import (
	"context"
	"errors"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// running is a Lab that runs on this machine, with its topology and the
// nodes that run here: all of them, or of a lab across hosts this host's.
type running struct {
	lab  *netlab.Lab
	topo *topology.Topology
	here map[string]bool
}

// Open returns the running lab ref names, or an error saying why it is
// not up.
func Open(ref netlab.LabRef) (Lab, error) {
	r, err := open(ref)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func open(ref netlab.LabRef) (running, error) {
	l, err := ref.Open()
	if err != nil {
		if errors.Is(err, netlab.ErrNoLab) {
			return running{}, errors.New("lab " + ref.String() + " is not up (no such lab)")
		}
		return running{}, err
	}
	if err := l.Running(); err != nil {
		return running{}, err
	}
	t, err := l.Topology()
	if err != nil {
		return running{}, err
	}
	nodes, err := l.Nodes()
	if err != nil {
		return running{}, err
	}
	r := running{lab: l, topo: t, here: map[string]bool{}}
	for _, n := range nodes {
		r.here[n] = true
	}
	return r, nil
}

// Suites are the suites of the labs named, each with the topology's own
// checks, or with checks(topology) when checks is not nil; a lab that is
// not up gets a suite that says why. A lab across hosts is graded by the
// checks that run on its nodes of this host (a ping may go to any node).
func Suites(refs []netlab.LabRef, checks func(*topology.Topology) []*topology.Check) []Suite {
	out := make([]Suite, len(refs))
	for i, ref := range refs {
		out[i] = Suite{Name: ref.Name, Owner: ref.Owner()}
		lab, err := open(ref)
		if err != nil {
			out[i].Err = err
			continue
		}
		out[i].Lab = lab
		cs := lab.topo.Checks
		if checks != nil {
			cs = checks(lab.topo)
		}
		for _, c := range cs {
			if lab.here[c.Node] {
				out[i].Checks = append(out[i].Checks, c)
			}
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
