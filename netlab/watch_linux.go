package netlab

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netlab-dev/netlab/netlab/events"
	"github.com/netlab-dev/netlab/netlab/wire"
	"github.com/netlab-dev/netlab/nsproc"
)

// WatchOptions tune Watch.
type WatchOptions struct {
	Routes bool // route changes of the nodes' main tables too
	// All watches every lab of the caller's, those brought up after the
	// stream began included.
	All bool
}

// labPoll is how often Watch looks for labs brought up (All) and for OOM
// kills.
const labPoll = 500 * time.Millisecond

// Watch sends to out what happens in m's labs named (with none named,
// every one up now; with All, and every one brought up later) until ctx
// ends, or every lab watched went down when not All: the nodes' kernels'
// link, address (and route) changes, nodes that start, stop or end,
// services that end, OOM kills and what netlab's verbs did (see package
// events). Of a lab across hosts, what happens on this host.
func (m *Machine) Watch(ctx context.Context, labs []string, opts WatchOptions, out chan<- events.Event) error {
	if !m.Own() {
		return fmt.Errorf("%w: netlab events streams your own labs; another user's are theirs to watch", ErrBadName)
	}
	if len(labs) > 0 && opts.All {
		return fmt.Errorf("%w: --all watches every lab; name labs or give --all, not both", ErrBadName)
	}
	if len(labs) == 0 {
		var err error
		if labs, err = m.Labs(); err != nil {
			return err
		}
		if len(labs) == 0 && !opts.All {
			return fmt.Errorf("%w; start one with: netlab up FILE, or watch for labs to come with --all", ErrNoLabUp)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(labs))
	watched := map[string]bool{}
	for _, name := range labs {
		if err := checkLabName(name); err != nil {
			return err
		}
		st, err := m.readState(name)
		if err != nil {
			return err
		}
		watched[name] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.watchLab(ctx, st, opts, out); err != nil {
				errs <- err
			}
		}()
	}
	if opts.All {
		for ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-time.After(labPoll):
			}
			names, _ := m.Labs()
			for _, name := range names {
				if watched[name] {
					continue
				}
				st, err := m.readState(name)
				if err != nil || st.Phase != PhaseUp {
					continue // not up yet
				}
				watched[name] = true
				out <- events.Event{Time: time.Now(), Lab: name, Kind: "lab-up"}
				wg.Add(1)
				go func() {
					defer wg.Done()
					m.watchLab(ctx, st, opts, out)
				}()
			}
		}
	}
	wg.Wait()
	close(errs)
	return errors.Join(func() []error {
		var all []error
		for err := range errs {
			all = append(all, err)
		}
		return all
	}()...)
}

// watchLab streams one lab's events until ctx ends or the lab goes down.
func (m *Machine) watchLab(ctx context.Context, st *State, opts WatchOptions, out chan<- events.Event) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lab := st.Name
	sw, err := nsproc.WatchLab(ctx, m.supervisorPath(lab))
	if err != nil {
		return fmt.Errorf("lab %s: %w", lab, err)
	}
	defer sw.Close()
	// The supervisor's stream ends with the lab, or here when ctx does.
	stopWatch := context.AfterFunc(ctx, func() { sw.Close() })
	defer stopWatch()
	sup, err := nsproc.DialSupervisor(ctx, m.supervisorPath(lab))
	if err != nil {
		return fmt.Errorf("lab %s: %w", lab, err)
	}
	defer sup.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // before the wait: every source of the lab ends with it
	go0 := func(f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f()
		}()
	}
	go0(func() { events.Follow(ctx, m.eventsPath(lab), out) })
	go0(func() { m.watchOOM(ctx, st, out) })
	// Interface names from the topology: the kernel's messages name only
	// interfaces they change.
	names := map[string]map[int]string{}
	for e, i := range ifindexes(st.Topology) {
		if names[e.Node] == nil {
			names[e.Node] = map[int]string{wire.LoopbackIndex: "lo", wire.BridgeIndex: wire.BridgeName}
		}
		names[e.Node][i] = e.Interface
	}
	for _, ns := range st.Nodes {
		names := names[ns.Name]
		if names == nil {
			names = map[int]string{wire.LoopbackIndex: "lo", wire.BridgeIndex: wire.BridgeName}
		}
		f, err := sup.NodeNetlink(ctx, lab+"/"+ns.Name)
		if err != nil {
			return fmt.Errorf("lab %s: %w", lab, err)
		}
		from := events.Event{Lab: lab, Node: ns.Name}
		go0(func() {
			defer f.Close()
			if err := events.WatchNetlink(ctx, f, from, opts.Routes, names, out); err != nil && ctx.Err() == nil {
				out <- events.Event{Time: time.Now(), Lab: lab, Node: from.Node, Kind: "events-lost", Details: map[string]string{"why": err.Error()}}
			}
		})
		if !ns.Stopped && ns.Init.alive() {
			node := ns.Name
			go0(func() { m.watchServices(ctx, lab, node, out) })
		}
	}
	for ev := range sw.C {
		node := strings.TrimPrefix(ev.Node, lab+"/")
		e := events.Event{Time: time.Now(), Lab: lab, Node: node, Kind: "node-" + ev.Kind}
		if ev.Kind != "started" {
			e.Details = map[string]string{"status": exitStatus(ev.Code)}
		}
		out <- e
		if ev.Kind == "started" {
			go0(func() { m.watchServices(ctx, lab, node, out) })
		}
	}
	if ctx.Err() == nil {
		out <- events.Event{Time: time.Now(), Lab: lab, Kind: "lab-down"}
	}
	return nil
}

// watchServices streams the service exits of node, from its agent, until
// the node or ctx ends.
func (m *Machine) watchServices(ctx context.Context, lab, node string, out chan<- events.Event) {
	actx, cancel := context.WithTimeout(ctx, serviceAskTimeout)
	w, err := nsproc.WatchNode(actx, m.socketPath(lab, node))
	cancel()
	if err != nil {
		return // it ended meanwhile: the supervisor says so
	}
	stop := context.AfterFunc(ctx, func() { w.Close() })
	defer stop()
	for ev := range w.C {
		if ev.Kind != "service-exited" {
			continue
		}
		out <- events.Event{Time: time.Now(), Lab: lab, Node: node, Kind: ev.Kind,
			Details: map[string]string{"service": ev.Service, "status": exitStatus(ev.Code), "pid": strconv.Itoa(ev.Pid)}}
	}
}

// exitStatus says how a process ended, from its exit code (128+n: signal
// n).
func exitStatus(code int) string {
	if code > 128 && code < 128+65 {
		return fmt.Sprintf("killed by signal %d", code-128)
	}
	return fmt.Sprintf("exit %d", code)
}

// watchOOM tells of processes the memory limits of the lab's cgroup and of
// its nodes' own kill, polling their counters: per node where a node has a
// cgroup of its own, else the lab's.
func (m *Machine) watchOOM(ctx context.Context, st *State, out chan<- events.Event) {
	labDirs := m.labCgroupDirs(st.Name, st.Cgroup)
	nodeDirs := map[string][]string{}
	for _, n := range st.Topology.Nodes {
		if n.Limits.Zero() || st.node(n.Name) == nil {
			continue
		}
		for _, d := range labDirs {
			nodeDirs[n.Name] = append(nodeDirs[n.Name], filepath.Join(d, nodeCgroupPrefix+n.Name))
		}
	}
	last, lastNode := oomKills(labDirs), map[string]uint64{}
	for n, dirs := range nodeDirs {
		lastNode[n] = oomKills(dirs)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(labPoll):
		}
		var inNodes uint64
		for n, dirs := range nodeDirs {
			k := oomKills(dirs)
			if k > lastNode[n] {
				out <- events.Event{Time: time.Now(), Lab: st.Name, Node: n, Kind: "oom-kill",
					Details: map[string]string{"killed": strconv.FormatUint(k-lastNode[n], 10), "limit": "the node's"}}
				inNodes += k - lastNode[n]
				lastNode[n] = k
			}
		}
		// A v2 lab's counter counts its nodes' kills too.
		if k := oomKills(labDirs); k > last {
			if k-last > inNodes {
				out <- events.Event{Time: time.Now(), Lab: st.Name, Kind: "oom-kill",
					Details: map[string]string{"killed": strconv.FormatUint(k-last-inNodes, 10), "limit": "the lab's"}}
			}
			last = k
		}
	}
}
