package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/nsproc"
)

// Defaults of Options.
const (
	DefaultSnaplen = 262144
	DefaultWindow  = 50 * time.Millisecond
)

// ErrReaderGone is wrapped by Run's error when the pipe or socket it wrote
// to lost its reader.
var ErrReaderGone = errors.New("the reader of the capture went away")

// ErrGone is wrapped by Run's error when every interface it captured went
// away (their lab was taken down).
var ErrGone = errors.New("every interface captured went away")

// Point is an interface of a node to capture.
type Point struct {
	Lab, Node, Interface string
}

func (p Point) String() string { return p.Lab + "/" + p.Node + ":" + p.Interface }

// ParsePoint reads NODE:IF or LAB/NODE:IF of m's labs; NODE alone belongs
// to lab, or with lab empty to the only lab that is up (see
// netlab.Machine.ResolveNode).
func ParsePoint(m *netlab.Machine, arg, lab string) (Point, error) {
	nodeArg, ifname, ok := strings.Cut(arg, ":")
	if !ok || nodeArg == "" || ifname == "" {
		return Point{}, fmt.Errorf("%q: write NODE:IF, e.g. r1:eth1", arg)
	}
	if len(ifname) > unix.IFNAMSIZ-1 || strings.ContainsAny(ifname, "/: \t\n") {
		return Point{}, fmt.Errorf("%w: %q: no interface is called %q", netlab.ErrBadName, arg, ifname)
	}
	ref, err := m.ResolveNode(nodeArg, lab)
	if err != nil {
		return Point{}, err
	}
	if !ref.Machine.Own() {
		return Point{}, fmt.Errorf("%s is another user's lab: capture reaches the caller's own labs only", ref.LabRef)
	}
	return Point{Lab: ref.Name, Node: ref.Node, Interface: ifname}, nil
}

// Options says when a capture ends and how it keeps packets.
type Options struct {
	Count    int           // end once this many packets are written; 0: no limit
	Duration time.Duration // end after this long; 0: no limit
	Snaplen  int           // bytes kept of a frame; 0: DefaultSnaplen
	Window   time.Duration // reorder window; 0: DefaultWindow
}

// Stats is what a capture wrote.
type Stats struct {
	Packets    int // written, all interfaces together
	Late       int // written out of time order (see the package doc)
	Interfaces []InterfaceStats
}

// InterfaceStats is what one interface of a capture saw.
type InterfaceStats struct {
	Name     string // as in the file: NODE:IF
	Written  int
	Received uint64 // frames that reached the socket (PACKET_STATISTICS)
	Dropped  uint64 // of those, dropped by the kernel: the socket's queue was full
	Gone     bool   // the interface went away during the capture
}

// Capture is a set of packet sockets, one per point, ready to Run.
type Capture struct {
	sources []*source
	ran     bool
}

// source is one interface's socket.
type source struct {
	point    Point
	name     string      // NODE:IF, or LAB/NODE:IF
	alive    func() bool // whether the node still runs; nil: always (a test's socket pair)
	f        *os.File
	hatype   uint16
	linkType linkType
	start    time.Time

	// Counters: PACKET_STATISTICS resets on every read.
	received, dropped uint64
	written           int
	gone              bool
}

// Open asks the agents of the points' nodes, of m's labs, for packet
// sockets bound to their interfaces (see the package doc). A point named twice, a lab or
// node that does not exist and an interface the node lacks are refused,
// wrapping netlab.ErrBadName; nothing stays open on error.
func Open(ctx context.Context, m *netlab.Machine, points []Point) (*Capture, error) {
	if len(points) == 0 {
		return nil, fmt.Errorf("%w: no interface to capture: name one as NODE:IF", netlab.ErrBadName)
	}
	labs := map[string]*netlab.Lab{}
	for i, p := range points {
		if slices.Contains(points[:i], p) {
			return nil, fmt.Errorf("%w: %s:%s is named twice", netlab.ErrBadName, p.Node, p.Interface)
		}
		if labs[p.Lab] == nil {
			l, err := m.OpenLab(p.Lab)
			if err != nil {
				return nil, err
			}
			labs[p.Lab] = l
		}
	}
	c := &Capture{}
	for _, p := range points {
		name := p.Node + ":" + p.Interface
		if len(labs) > 1 {
			name = p.String()
		}
		s, err := openSource(ctx, labs[p.Lab], p, name)
		if err != nil {
			c.Close()
			return nil, err
		}
		c.sources = append(c.sources, s)
	}
	return c, nil
}

// Close releases the sockets.
func (c *Capture) Close() error {
	for _, s := range c.sources {
		s.f.Close()
	}
	return nil
}

func openSource(ctx context.Context, lab *netlab.Lab, p Point, name string) (*source, error) {
	f, err := lab.Packet(ctx, p.Node, p.Interface)
	switch {
	case errors.Is(err, nsproc.ErrNoInterface):
		return nil, fmt.Errorf("%w: %s: node %s of lab %s has %v", netlab.ErrBadName, name, p.Node, p.Lab, err)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	fd := int(f.Fd())
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, os.NewSyscallError("getsockname", err))
	}
	ll, ok := sa.(*unix.SockaddrLinklayer)
	if !ok || ll.Ifindex <= 0 {
		return nil, fmt.Errorf("%s: the node's packet socket is bound to no interface", name)
	}
	s := &source{point: p, name: name, alive: func() bool { return lab.NodeAlive(p.Node) }, hatype: ll.Hatype}
	switch ll.Hatype {
	case unix.ARPHRD_ETHER, unix.ARPHRD_LOOPBACK:
		s.linkType = linkTypeEthernet
	case unix.ARPHRD_NONE:
		s.linkType = linkTypeRaw
	default:
		return nil, fmt.Errorf("%s: its link type (ARPHRD %d) is none capture writes: Ethernet, loopback, raw IP", name, ll.Hatype)
	}
	for _, o := range []struct{ level, opt, value int }{
		{unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1},
		{unix.SOL_PACKET, unix.PACKET_AUXDATA, 1},
	} {
		if err := unix.SetsockoptInt(fd, o.level, o.opt, o.value); err != nil {
			return nil, fmt.Errorf("%s: %w", name, os.NewSyscallError("setsockopt", err))
		}
	}
	// As much queue as the host allows (net.core.rmem_max caps it).
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	// Nonblocking, so that reads wait in Go's poller and take deadlines.
	nfd, err := unix.Dup(fd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, os.NewSyscallError("dup", err))
	}
	unix.CloseOnExec(nfd)
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return nil, fmt.Errorf("%s: %w", name, os.NewSyscallError("fcntl", err))
	}
	s.f = os.NewFile(uintptr(nfd), "packet:"+name)
	s.start = time.Now()
	return s, nil
}

// Run writes the capture to w as pcapng until it ends (see the package
// doc). A Capture runs once.
func (c *Capture) Run(ctx context.Context, w io.Writer, opts Options) (Stats, error) {
	if c.ran {
		return Stats{}, errors.New("capture: Run called twice")
	}
	c.ran = true
	if opts.Snaplen <= 0 {
		opts.Snaplen = DefaultSnaplen
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	var ifaces []iface
	for _, s := range c.sources {
		ifaces = append(ifaces, iface{Name: s.name, LinkType: s.linkType,
			Description: fmt.Sprintf("interface %s of node %s in lab %s", s.point.Interface, s.point.Node, s.point.Lab)})
	}
	nw, err := newNgWriter(w, ifaces, opts.Snaplen)
	if err == nil {
		// A live reader (wireshark -k) learns the interfaces at once.
		err = nw.flush()
	}
	if err != nil {
		return c.stats(0, 0), writeError(err)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if opts.Duration > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(ctx, opts.Duration)
		defer stop()
	}
	if f, ok := w.(*os.File); ok {
		if stop := watchReader(f, func() { cancel(ErrReaderGone) }); stop != nil {
			defer stop()
		}
	}

	pkts := make(chan packet, 4096)
	ended := make(chan readEnd, len(c.sources))
	stopRead := make(chan struct{})
	var readers sync.WaitGroup
	for i, s := range c.sources {
		readers.Add(1)
		go func() {
			defer readers.Done()
			ended <- readEnd{i, s.read(i, opts.Snaplen, pkts, stopRead)}
		}()
	}

	var r reorder
	var werr, rerr error
	written := 0
	full := func() bool { return opts.Count > 0 && written >= opts.Count }
	emit := func(upTo int64) {
		for werr == nil && !full() {
			p, ok := r.pop(upTo)
			if !ok {
				return
			}
			if werr = nw.writePacket(p.intf, p.ts, p.data, p.length, p.flags); werr == nil {
				written++
				c.sources[p.intf].written++
			}
		}
	}
	due := func() int64 { return time.Now().Add(-opts.Window).UnixNano() }
	tick := time.NewTicker(opts.Window / 2)
	defer tick.Stop()
	lastCheck := time.Now()
	running := len(c.sources)
loop:
	for werr == nil && !full() && running > 0 {
		select {
		case p := <-pkts:
			r.push(p)
			emit(due())
		case <-tick.C:
			emit(due())
			if werr == nil && nw.buffered() {
				werr = nw.flush()
			}
			if time.Since(lastCheck) >= time.Second {
				lastCheck = time.Now()
				alive := map[Point]bool{} // by node: one look per node
				for _, s := range c.sources {
					node := Point{Lab: s.point.Lab, Node: s.point.Node}
					up, ok := alive[node]
					if !ok {
						up = s.alive == nil || s.alive()
						alive[node] = up
					}
					if !s.gone && !up {
						s.gone = true
						s.f.SetReadDeadline(time.Now()) // its reader ends
					}
				}
			}
		case e := <-ended:
			running--
			switch {
			case errors.Is(e.err, errGone):
				c.sources[e.intf].gone = true
			case e.err != nil && rerr == nil:
				rerr = fmt.Errorf("%s: %w", c.sources[e.intf].name, e.err)
				break loop
			}
		case <-ctx.Done():
			break loop
		}
	}

	close(stopRead)
	for _, s := range c.sources {
		s.f.SetReadDeadline(time.Now())
	}
	readers.Wait()
	if werr == nil && errors.Is(context.Cause(ctx), ErrReaderGone) {
		werr = ErrReaderGone
	}
	if werr != nil {
		return c.stats(written, r.late), writeError(werr)
	}
	// What was read before the end is written, in order.
	for drained := false; !drained; {
		select {
		case p := <-pkts:
			r.push(p)
		default:
			drained = true
		}
	}
	emit(math.MaxInt64)
	end := time.Now()
	for i, s := range c.sources {
		s.readStats()
		if werr == nil {
			werr = nw.writeStats(i, s.start, end, s.received, s.dropped)
		}
	}
	if werr == nil {
		werr = nw.flush()
	}
	st := c.stats(written, r.late)
	switch {
	case werr != nil:
		return st, writeError(werr)
	case rerr != nil:
		return st, rerr
	case running == 0 && !full():
		return st, ErrGone
	}
	return st, nil
}

func (c *Capture) stats(written, late int) Stats {
	st := Stats{Packets: written, Late: late}
	for _, s := range c.sources {
		st.Interfaces = append(st.Interfaces, InterfaceStats{Name: s.name, Written: s.written,
			Received: s.received, Dropped: s.dropped, Gone: s.gone})
	}
	return st
}

// writeError says that a write failed, as ErrReaderGone when the reader
// of a pipe went away.
func writeError(err error) error {
	if errors.Is(err, ErrReaderGone) {
		return err
	}
	if errors.Is(err, unix.EPIPE) || errors.Is(err, unix.ECONNRESET) {
		return fmt.Errorf("%w: %v", ErrReaderGone, err)
	}
	return fmt.Errorf("write capture: %w", err)
}

// readStats adds the socket's PACKET_STATISTICS to the source's counters.
func (s *source) readStats() {
	rc, err := s.f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		if st, err := unix.GetsockoptTpacketStats(int(fd), unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
			s.received += uint64(st.Packets)
			s.dropped += uint64(st.Drops)
		}
	})
}

// watchReader calls gone once f, a pipe or a socket, has lost its reader,
// even while nothing is written to it, until the returned stop is called.
// For anything else it does nothing and returns nil.
func watchReader(f *os.File, gone func()) (stop func()) {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return nil
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return nil
	}
	fd := -1
	rc.Control(func(f uintptr) { fd, _ = unix.Dup(int(f)) })
	if fd < 0 {
		return nil
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(fd)
		return nil
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer unix.Close(fd)
		for {
			// No events asked for: POLLERR (a pipe without readers) and
			// POLLHUP (a socket whose peer closed) come regardless.
			fds := []unix.PollFd{{Fd: int32(fd)}, {Fd: int32(wake), Events: unix.POLLIN}}
			if _, err := unix.Poll(fds, -1); err == unix.EINTR {
				continue
			} else if err != nil {
				return
			}
			if fds[1].Revents != 0 {
				return
			}
			if fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
				gone()
				return
			}
		}
	}()
	return func() {
		unix.Write(wake, []byte{1, 0, 0, 0, 0, 0, 0, 0})
		<-done
		unix.Close(wake)
	}
}
