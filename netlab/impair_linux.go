package netlab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/netlab/events"
	"github.com/netlab-dev/netlab/netlab/wire"
	"github.com/netlab-dev/netlab/topology"
)

// impairSupport is what this kernel and mode can do to a link, probed once
// per up (or link set).
type impairSupport struct {
	netem bool // sch_netem: delay, jitter, duplicate, corrupt, and loss
	bpf   bool // a tc BPF program may be loaded: loss without netem
}

// probeImpair finds out whether the kernel has sch_netem and whether this
// process may load BPF programs. As root it tries a netem qdisc (see
// probeNetns); an ordinary user cannot make the network namespace to try
// it in, so it looks for the module instead, and may not load BPF.
func (m *Machine) probeImpair() impairSupport {
	if m.Rootless {
		return impairSupport{netem: moduleAvailable("sch_netem")}
	}
	s, _ := probeNetns(nil, true)
	return s
}

// netemWorks tries a netem qdisc on the loopback of the thread's network
// namespace (see probeNetns).
func netemWorks() bool {
	lo, err := netlink.LinkByIndex(wire.LoopbackIndex)
	if err != nil {
		return false
	}
	q := netlink.NewNetem(netlink.QdiscAttrs{LinkIndex: lo.Attrs().Index, Parent: netlink.HANDLE_ROOT, Handle: netlink.MakeHandle(1, 0)}, netlink.NetemQdiscAttrs{Latency: 1000})
	return netlink.QdiscAdd(q) == nil
}

// moduleAvailable reports whether a kernel module is loaded, built in, or
// there to load.
func moduleAvailable(name string) bool {
	if _, err := os.Stat("/sys/module/" + name); err == nil {
		return true
	}
	var uts unix.Utsname
	if unix.Uname(&uts) != nil {
		return false
	}
	dir := "/lib/modules/" + unix.ByteSliceToString(uts.Release[:])
	for _, f := range []string{"modules.builtin", "modules.dep"} {
		if b, err := os.ReadFile(dir + "/" + f); err == nil && strings.Contains(string(b), "/"+name+".ko") {
			return true
		}
	}
	return false
}

// checkImpair refuses, before anything is made, impairments this kernel
// or mode cannot make, naming what is missing.
func (s impairSupport) check(im topology.Impairment) error {
	switch {
	case im.NeedsNetem() && !s.netem:
		return fmt.Errorf("%w: %s needs sch_netem (CONFIG_NET_SCH_NETEM), which this kernel lacks; rate (tbf) and loss work without it", ErrKernelFeature, im)
	case im.Loss > 0 && !s.netem && !s.bpf:
		return fmt.Errorf("loss without sch_netem (CONFIG_NET_SCH_NETEM, which this kernel lacks) is a BPF program, and loading one needs root here (kernel.unprivileged_bpf_disabled)")
	}
	return nil
}

// checkImpairments checks every impaired link of links, t's, at its place
// against what the kernel can do (s, from probeKernel).
func checkImpairments(t *topology.Topology, links []*topology.Link, s impairSupport) error {
	var errs []error
	for _, l := range links {
		if l.Impair.Zero() {
			continue
		}
		if err := s.check(l.Impair); err != nil {
			errs = append(errs, fmt.Errorf("%s: link %d: %w", l.Pos.In(t.File), slices.Index(t.Links, l)+1, err))
		}
	}
	return errors.Join(errs...)
}

// lossPrograms loads a loss program (see wire.LossProgram) once per
// percentage, for every link that asks for it; close releases them, once
// attached.
type lossPrograms map[float64]*ebpf.Program

func (p lossPrograms) get(pct float64) (*ebpf.Program, error) {
	if prog, ok := p[pct]; ok {
		return prog, nil
	}
	prog, err := wire.LossProgram(pct)
	if err != nil {
		return nil, err
	}
	p[pct] = prog
	return prog, nil
}

func (p lossPrograms) close() {
	for _, prog := range p {
		prog.Close()
	}
}

// forLink is the loss program that impairments im need on this kernel
// (loss without sch_netem), loaded once per percentage; nil when they need
// none.
func (p lossPrograms) forLink(im topology.Impairment, s impairSupport) (*ebpf.Program, error) {
	if im.Loss > 0 && !s.netem {
		return p.get(im.Loss)
	}
	return nil, nil
}

// impairedEnd is a link end of this host and what its link does.
type impairedEnd struct {
	link  *topology.Link // for messages, at up
	im    topology.Impairment
	index int           // its ifindex in its node
	prog  *ebpf.Program // the loss program where loss is one (see lossPrograms.forLink)
}

// apply impairs the end through s, a socket of its node: what it sends
// (its egress) and, where loss is a BPF program, what the other end sends
// it, dropped at its ingress. Each end so applies its own half: a link to
// another host's node is impaired at each host by its own end. The zero
// Impairment clears what the end had.
func (e impairedEnd) apply(s *wire.Socket, sup impairSupport) error {
	if err := s.Impair(e.index, e.im, sup.netem); err != nil {
		return err
	}
	if !sup.netem {
		return s.DropIngress(e.index, e.prog)
	}
	return nil
}

// impairEnds applies im to both ends of a link, each through its socket
// (nil for an end of another host, which impairs its own).
func impairEnds(im topology.Impairment, s impairSupport, progs lossPrograms, ends [2]*wire.Socket, index [2]int) error {
	prog, err := progs.forLink(im, s)
	if err != nil {
		return err
	}
	for i := range ends {
		if ends[i] != nil {
			if err := (impairedEnd{im: im, index: index[i], prog: prog}).apply(ends[i], s); err != nil {
				return err
			}
		}
	}
	return nil
}

// ImpairLink sets the impairments of the link that ends at node:ifname,
// at both of its ends, and records them: im replaces what the link had,
// the zero value clears it. It holds the lab's lock meanwhile, and reads
// the state anew under it.
func (l *Lab) ImpairLink(ctx context.Context, node, ifname string, im topology.Impairment) error {
	st, lock, err := l.lockForChange(ctx, "change")
	if err != nil {
		return err
	}
	defer lock.unlock()
	link, err := linkAt(st, node, ifname)
	if err != nil {
		return err
	}
	s := l.m.probeImpair()
	if err := s.check(im); err != nil {
		return err
	}
	socks, idx, err := l.openLinkEnds(ctx, st, link)
	if err != nil {
		return err
	}
	defer closeLinkEnds(socks)
	progs := lossPrograms{}
	defer progs.close()
	if err := impairEnds(im, s, progs, socks, idx); err != nil {
		return fmt.Errorf("link %s - %s: %w", link.Endpoints[0], link.Endpoints[1], err)
	}
	link.Impair = im
	if err := l.m.writeState(st); err != nil {
		return err
	}
	what := im.String()
	if im.Zero() {
		what = "none"
	}
	return events.Log(l.m.eventsPath(l.name), events.Event{Lab: l.name, Node: node, Interface: ifname, Kind: "impair",
		Details: map[string]string{"impairment": what, "link": link.Endpoints[0].String() + " - " + link.Endpoints[1].String()}})
}
