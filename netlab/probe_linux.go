package netlab

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/topology"
)

// ErrKernelFeature is wrapped by errors about something this kernel lacks.
var ErrKernelFeature = errors.New("missing kernel feature")

// probeKernel checks, before anything is made, that the kernel has what t
// needs: user namespaces always, veth pairs when t has links, bridges when
// it has bridge nodes, VXLAN devices when it has tunnels to other hosts;
// and, when one of links (those t makes, whole or its end) is impaired,
// what the kernel can do to links. Devices and qdiscs are tried in one network namespace of
// a throwaway thread, which the kernel removes with them when the thread
// ends.
func (m *Machine) probeKernel(t *topology.Topology, links []*topology.Link, tunnels bool) (impairSupport, error) {
	var s impairSupport
	if err := probeUserNamespaces(); err != nil {
		return s, err
	}
	var kinds []string
	if len(t.Links) > 0 {
		kinds = append(kinds, "veth")
	}
	if tunnels {
		kinds = append(kinds, "vxlan")
	}
	for _, n := range t.Nodes {
		if n.Kind.Facts().Bridge {
			kinds = append(kinds, "bridge")
			break
		}
	}
	impaired := slices.ContainsFunc(links, func(l *topology.Link) bool { return !l.Impair.Zero() })
	if m.Rootless {
		// An ordinary user cannot make a network namespace to try
		// devices in; a missing kind then fails wiring, with the same
		// message.
		if impaired {
			s = m.probeImpair()
		}
		return s, nil
	}
	if len(kinds) == 0 && !impaired {
		return s, nil
	}
	return probeNetns(kinds, impaired)
}

// probeNetns runs on a thread of its own, never unlocked (the thread, and
// the namespace only it is in, end with it): it moves into a new network
// namespace, creates one device of each kind there and, with impair, tries
// a netem qdisc. Root only.
func probeNetns(kinds []string, impair bool) (impairSupport, error) {
	type result struct {
		s   impairSupport
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		s := impairSupport{bpf: true}
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			if len(kinds) > 0 {
				done <- result{s, fmt.Errorf("probe kernel: %w", os.NewSyscallError("unshare", err))}
				return
			}
			s.netem = moduleAvailable("sch_netem")
			done <- result{s, nil}
			return
		}
		err := probeLinks(kinds)
		if err == nil && impair {
			s.netem = netemWorks()
		}
		done <- result{s, err}
	}()
	r := <-done
	return r.s, r.err
}

func probeUserNamespaces() error {
	b, err := os.ReadFile("/proc/sys/user/max_user_namespaces")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w: user namespaces (CONFIG_USER_NS): this kernel has none", ErrKernelFeature)
		}
		return err
	}
	if n, _ := strconv.Atoi(strings.TrimSpace(string(b))); n == 0 {
		return fmt.Errorf("%w: user namespaces are disabled (sysctl user.max_user_namespaces = 0); enable them, as root: sysctl -w user.max_user_namespaces=15000", ErrKernelFeature)
	}
	return nil
}

// probeLinks creates one device of each kind in the thread's network
// namespace (see probeNetns).
func probeLinks(kinds []string) error {
	if len(kinds) == 0 {
		return nil
	}
	h, err := netlink.NewHandle()
	if err != nil {
		return fmt.Errorf("probe kernel: %w", err)
	}
	defer h.Close()
	for _, kind := range kinds {
		var l netlink.Link
		switch kind {
		case "veth":
			l = &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "probe0", TxQLen: -1}, PeerName: "probe1"}
		case "bridge":
			l = &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "probe2", TxQLen: -1}}
		case "vxlan":
			l = &netlink.Vxlan{LinkAttrs: netlink.LinkAttrs{Name: "probe3", TxQLen: -1}, VxlanId: 1, Port: topology.DefaultVXLANPort}
		}
		if err := h.LinkAdd(l); err != nil {
			if errors.Is(err, unix.EOPNOTSUPP) {
				return fmt.Errorf("%w: %s devices (kernel module %s); load it with: modprobe %s", ErrKernelFeature, kind, kind, kind)
			}
			return fmt.Errorf("probe kernel for %s devices: %w", kind, err)
		}
	}
	return nil
}

// checkClocks refuses, before anything is made, clock: offsets on a
// kernel without time namespaces (CONFIG_TIME_NS, Linux 5.6), at each
// place one is written.
func checkClocks(t *topology.Topology) error {
	if _, err := os.Stat("/proc/self/ns/time"); err == nil {
		return nil
	}
	var errs []error
	for _, n := range t.Nodes {
		if !n.Clock.Zero() {
			errs = append(errs, fmt.Errorf("%s: clock of node %s: %w: this kernel has no time namespaces (CONFIG_TIME_NS, Linux 5.6 or later); remove clock:, or bring the lab up on a newer kernel", n.Clock.Pos.In(t.File), n.Name, ErrKernelFeature))
		}
	}
	return errors.Join(errs...)
}
