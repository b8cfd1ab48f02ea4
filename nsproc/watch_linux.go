package nsproc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// Event is what a watcher hears: of a lab, from its supervisor (WatchLab),
// a node that started or whose process ended; of a node, from its agent
// (WatchNode), a service that ended.
type Event struct {
	// Kind is "started", "exited" (the node's process ended with no Stop:
	// killed from outside the node, or its agent failed), "stopped" (a
	// Stop ended it) or "service-exited".
	Kind    string
	Node    string // NodeConfig.Name, in a lab's events
	Service string // in a node's events
	Code    int    // how it ended: its exit code, 128+n for signal n
	Pid     int    // the service's, in the node's PID namespace
}

// Watch is a stream of events from a lab's supervisor or a node's agent.
type Watch struct {
	// C gets each event as it comes, and is closed when the connection
	// ends: the lab or the node is gone, or Close was called.
	C    <-chan Event
	conn *net.UnixConn
	done chan struct{}
	err  error
}

// Close ends the watch; C is closed once it has.
func (w *Watch) Close() error {
	err := w.conn.Close()
	<-w.done
	return err
}

// Err says why C was closed (nil after Close, or for a lab or node that
// went away).
func (w *Watch) Err() error {
	<-w.done
	return w.err
}

// WatchLab watches the lab whose supervisor listens at path
// (SupervisorConfig.Listen): every node that starts, and every node's process
// that ends, with how.
func WatchLab(ctx context.Context, path string) (*Watch, error) {
	// A connection of its own, read without DialSupervisor's request
	// machinery: the supervisor answers the Watch request, then sends
	// events only.
	ctx, cancel := withRequestDeadline(ctx)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unixpacket", path)
	if err != nil {
		return nil, fmt.Errorf("connect to the lab supervisor: %w", err)
	}
	c := nc.(*net.UnixConn)
	if err := sendPacket(c, control{Watch: 1}); err != nil {
		c.Close()
		return nil, fmt.Errorf("watch the lab: %w", err)
	}
	var r spawnReply
	if err := recvFirst(ctx, c, &r); err != nil {
		return nil, fmt.Errorf("watch the lab: %w", err)
	}
	if r.Error != "" {
		c.Close()
		return nil, fmt.Errorf("watch the lab: %s", r.Error)
	}
	return startWatch(c), nil
}

// WatchNode watches the node whose agent serves socket: every service of
// it that ends, with its exit code. What the agent sends is read as
// hostile: node root may have replaced it.
func WatchNode(ctx context.Context, socket string) (*Watch, error) {
	ctx, cancel := withRequestDeadline(ctx)
	defer cancel()
	c, err := dialNode(ctx, socket)
	if err != nil {
		return nil, err
	}
	if err := sendPacket(c, nodeRequest{Watch: true}); err != nil {
		c.Close()
		return nil, fmt.Errorf("watch node: %w", err)
	}
	var ev execEvent
	if err := recvFirst(ctx, c, &ev); err != nil {
		return nil, fmt.Errorf("watch node: %w", err)
	}
	if ev.Exit == nil || ev.Exit.Error != "" {
		c.Close()
		return nil, fmt.Errorf("watch node: the node refused: %v", ev.Exit)
	}
	return startWatch(c), nil
}

// recvFirst reads the answer to a watch request into v by ctx's deadline
// (withRequestDeadline); on an error it closes c.
func recvFirst(ctx context.Context, c *net.UnixConn, v any) error {
	deadline, _ := ctx.Deadline()
	c.SetReadDeadline(deadline)
	files, err := recvPacket(c, v)
	closeAll(files)
	c.SetReadDeadline(time.Time{})
	if errors.Is(err, errEOF) {
		err = errors.New("went away before it answered")
	}
	if err != nil {
		c.Close()
	}
	return err
}

// startWatch reads events from c until it ends.
func startWatch(c *net.UnixConn) *Watch {
	ch := make(chan Event, 64)
	w := &Watch{C: ch, conn: c, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		defer close(ch)
		for {
			var ev watchEvent
			files, err := recvPacket(c, &ev)
			closeAll(files) // an event carries none
			switch {
			case errors.Is(err, errEOF) || errors.Is(err, net.ErrClosed):
				return
			case err != nil:
				w.err = err
				c.Close()
				return
			}
			ch <- Event{Kind: ev.Kind, Node: ev.Node, Service: ev.Service, Code: ev.Code, Pid: ev.Pid}
		}
	}()
	return w
}
