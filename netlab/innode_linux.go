package netlab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/netlab-dev/netlab/netlab/parallel"
	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// putFiles writes each node's `files:` through its agent, as the node's
// root, nodes in parallel.
func (u *bringup) putFiles(ctx context.Context, step *stepTimer) error {
	t := u.t
	return parallel.Each(ctx, len(t.Nodes), u.opts.Parallel, func(i int) error {
		return u.steps().putFiles(ctx, t.Nodes[i])
	})
}

// startDaemons starts the routing daemons of frr and bird nodes, nodes in
// parallel.
func (u *bringup) startDaemons(ctx context.Context, step *stepTimer) error {
	t := u.t
	return parallel.Each(ctx, len(t.Nodes), u.opts.Parallel, func(i int) error {
		return u.steps().startDaemons(ctx, t.Nodes[i])
	})
}

// runExecSteps runs each node's exec steps in order, with its env, nodes
// in parallel, a node's after those of the nodes it waits for (wait-for)
// have ended. A failing step fails up with its output; one that runs
// longer than the step timeout fails it saying what to do instead.
func (u *bringup) runExecSteps(ctx context.Context, step *stepTimer) error {
	t := u.t
	order := execOrder(t)
	done := map[string]chan struct{}{}
	for _, n := range t.Nodes {
		done[n.Name] = make(chan struct{})
	}
	var failed sync.Map // node name → true once its steps failed
	return parallel.Each(ctx, len(order), u.opts.Parallel, func(i int) error {
		n := order[i]
		defer close(done[n.Name])
		for _, w := range n.WaitFor {
			if done[w] == nil {
				continue // no such node: the rules refuse it
			}
			select {
			case <-done[w]:
			case <-ctx.Done():
				failed.Store(n.Name, true)
				return ctx.Err()
			}
			if _, bad := failed.Load(w); bad {
				failed.Store(n.Name, true)
				return fmt.Errorf("node %s: exec steps not run: node %s, which it waits for, failed", n.Name, w)
			}
		}
		if err := u.steps().runExec(ctx, n); err != nil {
			failed.Store(n.Name, true)
			return err
		}
		step.add(1)
		return nil
	})
}

// startServices starts each node's services, in the order of their names,
// nodes in parallel, and waits until those that say when they are ready
// (ready:) are. Their output goes to the node's log of each name.
func (u *bringup) startServices(ctx context.Context, step *stepTimer) error {
	t := u.t
	return parallel.Each(ctx, len(t.Nodes), u.opts.Parallel, func(i int) error {
		if err := u.steps().startServices(ctx, t.Nodes[i]); err != nil {
			return err
		}
		step.add(1)
		return nil
	})
}

// nodeSteps are up's steps inside one node, after its wiring: its files,
// daemons, exec steps and services. Up runs them for every node; start
// and restart for the nodes they start.
type nodeSteps struct {
	m       *Machine
	t       *topology.Topology // the lab's
	timeout time.Duration      // of each exec step, and of each start
}

func (u *bringup) steps() nodeSteps {
	return nodeSteps{m: u.m, t: u.st.Topology, timeout: u.stepTimeout()}
}

// socket is n's exec socket.
func (s nodeSteps) socket(n *topology.Node) string { return s.m.socketPath(s.t.Name, n.Name) }

// putFiles writes n's `files:` through its agent, as the node's root.
func (s nodeSteps) putFiles(ctx context.Context, n *topology.Node) error {
	for _, f := range n.Files {
		pctx, cancel := context.WithTimeout(ctx, s.timeout)
		err := nsproc.Put(pctx, s.socket(n), nsproc.File{
			Path: f.Key, Data: []byte(f.Value), Mode: fileMode(f.Value),
		})
		cancel()
		if err != nil {
			return fmt.Errorf("%s: node %s: %w", f.Pos.In(s.t.File), n.Name, err)
		}
	}
	return nil
}

// startDaemons starts the routing daemons of an frr or bird node.
func (s nodeSteps) startDaemons(ctx context.Context, n *topology.Node) error {
	script := daemonStartScript(n)
	if script == "" {
		return nil
	}
	out, code, err := s.run(ctx, n, "daemons", script, "", nil)
	if err != nil {
		return fmt.Errorf("%s: node %s: start %s daemons: %w", n.Pos.In(s.t.File), n.Name, n.Kind, err)
	}
	if code != 0 {
		return fmt.Errorf("%s: node %s: %s daemons did not start: %s", n.Pos.In(s.t.File), n.Name, n.Kind, oneLine(strings.TrimSpace(string(out))))
	}
	return nil
}

// runExec runs n's exec steps in order, with its env. A failing step
// fails it with its output; one that runs longer than the step timeout
// fails it saying what to do instead.
func (s nodeSteps) runExec(ctx context.Context, n *topology.Node) error {
	for k, line := range n.Exec {
		out, code, err := s.run(ctx, n, "exec", line, "", n.Env)
		at := n.Pos
		if k < len(n.ExecPos) {
			at = n.ExecPos[k]
		}
		where := fmt.Sprintf("%s: node %s: exec step %d %q", at.In(s.t.File), n.Name, k+1, line)
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return fmt.Errorf("%s still runs after %v; end it with & to leave it running, or declare it under services:", where, s.timeout)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if code != 0 {
			msg := strings.TrimSpace(string(out))
			if msg == "" {
				msg = "no output"
			}
			return fmt.Errorf("%s exited %d: %s", where, code, oneLine(msg))
		}
	}
	return nil
}

// startServices starts n's services, in the order of their names, and
// waits until those that say when they are ready (ready:) are.
func (s nodeSteps) startServices(ctx context.Context, n *topology.Node) error {
	for _, sv := range n.Services {
		// Node code has run by now: a tampered agent must not hang
		// netlab, so the step timeout bounds the start too.
		if _, _, err := s.run(ctx, n, sv.Key, sv.Value, sv.Key, n.Env); err != nil {
			return fmt.Errorf("%s: node %s: start service %s: %w", sv.Pos.In(s.t.File), n.Name, sv.Key, err)
		}
	}
	for _, r := range n.Ready {
		if err := awaitReady(ctx, s.socket(n), r, n.Env); err != nil {
			return fmt.Errorf("%s: node %s: %w", r.Pos.In(s.t.File), n.Name, err)
		}
	}
	return nil
}

// readyTryTimeout bounds one try of a service's ready: command.
const readyTryTimeout = 5 * time.Second

// awaitReady waits until the service r names, of the node whose agent
// serves socket, is ready: a socket of the node listens on r.Port, or
// r.Cmd exits 0, run with the node's env as its service is. It tries again
// and again, for at most r's wait, and gives up at once when the service
// has exited. Its error names the service and says what was found.
func awaitReady(ctx context.Context, socket string, r topology.Ready, env []topology.KeyValue) error {
	wait := topology.DefaultReadyWait
	if r.Wait != nil {
		wait = *r.Wait
	}
	argv := []string{"/bin/sh", "-c", r.Cmd}
	if r.Port != 0 {
		// The node's own /proc/net: a listening socket (state 0A) on
		// the port, any address, IPv4 or IPv6; no tool needed in the
		// node but grep.
		argv = []string{"grep", "-qE", fmt.Sprintf(`^ *[0-9]+: [0-9A-F]+:%04X [0-9A-F]+:[0-9A-F]+ 0A `, r.Port), "/proc/net/tcp", "/proc/net/tcp6"}
	}
	start := time.Now()
	pause := 20 * time.Millisecond
	for tries := 1; ; tries++ {
		tctx, cancel := context.WithTimeout(ctx, readyTryTimeout)
		code, out, err := runCaptured(tctx, socket, argv, envPairs(env))
		cancel()
		if err == nil && code == 0 {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		sctx, cancel := context.WithTimeout(ctx, serviceAskTimeout)
		svcs, serr := nsproc.Services(sctx, socket)
		cancel()
		if serr == nil {
			for _, sv := range svcs {
				if sv.Name == r.Service && !sv.Running {
					return fmt.Errorf("service %s exited (code %d) before it was ready%s", r.Service, sv.Exit, serviceOutput(ctx, socket, r.Service))
				}
			}
		}
		if time.Since(start) >= wait {
			found := fmt.Sprintf("no socket of the node listens on TCP port %d", r.Port)
			if r.Port == 0 {
				found = fmt.Sprintf("its ready command %q still fails", r.Cmd)
				switch {
				case err != nil:
					found += ": " + err.Error()
				case len(bytes.TrimSpace(out)) > 0:
					found += fmt.Sprintf(" (exit %d: %s)", code, oneLine(strings.TrimSpace(string(out))))
				default:
					found += fmt.Sprintf(" (exit %d)", code)
				}
			}
			return fmt.Errorf("service %s is not ready after %v (%d tries): %s%s; fix the service, or give its ready: a longer wait:", r.Service, wait.Round(time.Millisecond), tries, found, serviceOutput(ctx, socket, r.Service))
		}
		select {
		case <-time.After(min(pause, wait-time.Since(start))):
		case <-ctx.Done():
			return ctx.Err()
		}
		pause = min(2*pause, 250*time.Millisecond)
	}
}

// defaultStepTimeout bounds one exec step when UpOptions has no timeout.
const defaultStepTimeout = 60 * time.Second

func (u *bringup) stepTimeout() time.Duration {
	if u.opts.StepTimeout > 0 {
		return u.opts.StepTimeout
	}
	return defaultStepTimeout
}

// run runs one shell command line in node n, with netlab's environment
// and env (the node's env:) over it, its output appended to the node's log
// of that name (see netlab logs), and returns the end of that output and
// its exit code. Processes it leaves running keep writing to the log. A
// step that outlives the step timeout is killed, with all it started in
// its session. With service set, the line is started as the node's service
// of that name, and run returns once it runs.
func (s nodeSteps) run(ctx context.Context, n *topology.Node, log, line, service string, env []topology.KeyValue) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	code, out, err := nsproc.RunLogged(ctx, s.socket(n), []string{"/bin/sh", "-c", line}, Env(envPairs(env)), log, service)
	return out, code, err
}

// serviceOutput is "; it printed: ..." with the last lines a service of the
// node whose agent serves socket wrote to its log, or "" if none: up
// removes the lab, and the log with it, once it fails.
func serviceOutput(ctx context.Context, socket, service string) string {
	ctx, cancel := context.WithTimeout(ctx, readyTryTimeout)
	defer cancel()
	code, out, err := runCaptured(ctx, socket, []string{"tail", "-n", "5", nsproc.LogDir + "/" + service + ".log"}, nil)
	if err != nil || code != 0 || len(bytes.TrimSpace(out)) == 0 {
		return ""
	}
	return "; it printed: " + oneLine(strings.TrimSpace(string(out)))
}

// envPairs is a node's env: as KEY=VALUE pairs.
func envPairs(env []topology.KeyValue) []string {
	out := make([]string, len(env))
	for i, kv := range env {
		out[i] = kv.Key + "=" + kv.Value
	}
	return out
}

// execOrder is the order in which nodes' exec steps are started: every
// node after those it waits for (the rules refuse cycles), else in file
// order. Started in this order by a bounded pool, a node only ever waits
// for nodes already started, so the pool cannot fill with waiters.
func execOrder(t *topology.Topology) []*topology.Node {
	byName := make(map[string]*topology.Node, len(t.Nodes))
	for _, n := range t.Nodes {
		byName[n.Name] = n
	}
	placed := map[*topology.Node]bool{}
	order := make([]*topology.Node, 0, len(t.Nodes))
	var place func(n *topology.Node)
	place = func(n *topology.Node) {
		if placed[n] {
			return
		}
		placed[n] = true
		for _, w := range n.WaitFor {
			if m := byName[w]; m != nil {
				place(m)
			}
		}
		order = append(order, n)
	}
	for _, n := range t.Nodes {
		place(n)
	}
	return order
}

// oneLine folds output into one line for an error message, keeping the end,
// where the reason usually is.
func oneLine(s string) string {
	s = string(bytes.Join(bytes.Fields([]byte(strings.ReplaceAll(s, "\n", " | "))), []byte(" ")))
	if len(s) > 400 {
		s = "..." + s[len(s)-400:]
	}
	return s
}
