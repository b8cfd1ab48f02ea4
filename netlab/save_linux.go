package netlab

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/topology"
)

// saveAskTimeout bounds what save asks of one node.
const saveAskTimeout = 30 * time.Second

// Save writes to dir/LAB.yaml a topology that brings the lab back as it
// runs now: the lab's topology, with each running node's addresses and
// routes as its kernel has them (static routes through a gateway: those a
// routing daemon learns it learns again), each FRR node's running
// configuration (vtysh show running-config) and each BIRD node's
// bird.conf as they are, the files under /etc the topology wrote as they
// are now, and every link's state and impairments. It returns the file's
// path and what it could not save, a line each (a route through no
// gateway, a stopped node's run-time changes). Of a lab across hosts, the
// nodes of this host are saved as they run, the others' as the topology
// says: each host saves its own.
func (l *Lab) Save(ctx context.Context, dir string) (string, []string, error) {
	st, err := l.m.readState(l.name)
	if err != nil {
		return "", nil, err
	}
	t := st.Topology
	var notes []string
	for _, n := range t.Nodes {
		ns := st.node(n.Name)
		switch {
		case ns == nil:
			notes = append(notes, fmt.Sprintf("node %s runs on host %s: saved as its topology says (save it there)", n.Name, n.Host))
			continue
		case ns.Stopped || !ns.Init.alive():
			notes = append(notes, fmt.Sprintf("node %s is not running: saved as its topology says", n.Name))
			continue
		}
		nctx, cancel := context.WithTimeout(ctx, saveAskTimeout)
		more, err := l.saveNode(nctx, n, ns)
		cancel()
		if err != nil {
			return "", nil, fmt.Errorf("save node %s: %w", n.Name, err)
		}
		notes = append(notes, more...)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("save: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, err
	}
	b, err := topology.Encode(t, topology.EncodeOptions{Dir: abs, Comments: map[string][]string{"": {
		fmt.Sprintf("Lab %s as it ran, saved by netlab save from %s.", t.Name, st.File),
		"netlab up this file brings it back."}}})
	if err != nil {
		return "", nil, err
	}
	path := filepath.Join(abs, t.Name+".yaml")
	// What is written must come up: read back as up will read it.
	if _, err := topology.Parse(path, b); err != nil {
		return "", nil, fmt.Errorf("save: the lab as it runs is no valid topology: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return "", nil, fmt.Errorf("save: %w", err)
	}
	return path, notes, nil
}

// saveNode puts into n what its kernel, its daemons and its /etc hold now.
func (l *Lab) saveNode(ctx context.Context, n *topology.Node, ns *NodeState) ([]string, error) {
	sock, release, err := l.m.socket(l.name, n.Name)
	if err != nil {
		return nil, err
	}
	defer release()
	var notes []string
	if !n.Kind.Facts().Bridge {
		more, err := saveNetwork(ctx, sock, n, ns)
		if err != nil {
			return nil, err
		}
		notes = append(notes, more...)
	}
	switch n.Kind.Facts().Suite {
	case topology.SuiteFRR:
		out, err := saveOutput(ctx, sock, "vtysh", "-c", "show running-config")
		if err != nil {
			return nil, fmt.Errorf("FRR's running configuration: %w", err)
		}
		n.Config = frrConfig(out)
	case topology.SuiteBIRD:
		out, err := saveOutput(ctx, sock, "cat", n.Kind.Facts().Config)
		if err != nil {
			return nil, fmt.Errorf("BIRD's configuration: %w", err)
		}
		n.Config = out
	}
	for i, f := range n.Files {
		if !strings.HasPrefix(f.Key, "/etc/") {
			continue
		}
		out, err := saveOutput(ctx, sock, "cat", f.Key)
		switch {
		case err != nil:
			notes = append(notes, fmt.Sprintf("node %s: %s is saved as the topology wrote it: %v", n.Name, f.Key, err))
		case len(out) > topology.MaxFileContent:
			notes = append(notes, fmt.Sprintf("node %s: %s is saved as the topology wrote it: it grew past %d bytes", n.Name, f.Key, topology.MaxFileContent))
		case out == "":
			notes = append(notes, fmt.Sprintf("node %s: %s is saved as the topology wrote it: it is empty now", n.Name, f.Key))
		default:
			n.Files[i].Value = out
		}
	}
	return notes, nil
}

// saveNetwork replaces n's addresses and static routes by what its kernel
// has now. Interfaces the topology does not know, and routes through no
// gateway, cannot be written as a topology: said in a note each.
func saveNetwork(ctx context.Context, sock string, n *topology.Node, ns *NodeState) ([]string, error) {
	h, err := nodeNetlink(ctx, sock, ns)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	links, err := h.Links()
	if err != nil {
		return nil, err
	}
	addrs, err := h.Addrs()
	if err != nil {
		return nil, err
	}
	routes, err := h.Routes()
	if err != nil {
		return nil, err
	}
	var notes []string
	names := map[int]string{}
	for _, l := range links {
		names[l.Index] = l.Name
	}
	now := map[string][]netip.Prefix{}
	for _, a := range addrs {
		ip, _ := netip.AddrFromSlice(unmap(a.Addr.IP))
		ones, _ := a.Addr.Mask.Size()
		if ip.IsLinkLocalUnicast() || ip.IsLoopback() {
			continue
		}
		name := names[a.Index]
		if n.Interface(name) == nil && name != "lo" {
			notes = append(notes, fmt.Sprintf("node %s: address %s of %s is not saved: the topology has no interface %s", n.Name, netip.PrefixFrom(ip, ones), name, name))
			continue
		}
		now[name] = append(now[name], netip.PrefixFrom(ip, ones))
	}
	for _, ifc := range n.Interfaces {
		ifc.Addrs, ifc.AddrPos = now[ifc.Name], nil
		delete(now, ifc.Name)
	}
	if lo := now["lo"]; len(lo) > 0 {
		n.Interfaces = append([]*topology.Interface{{Name: "lo", Addrs: lo}}, n.Interfaces...)
	}
	n.Routes = nil
	for _, r := range routes {
		if r.Protocol != unix.RTPROT_BOOT && r.Protocol != unix.RTPROT_STATIC {
			continue // the kernel's, or a daemon's: made again by them
		}
		ones, _ := r.Dst.Mask.Size()
		dst, _ := netip.AddrFromSlice(unmap(r.Dst.IP))
		to := netip.PrefixFrom(dst, ones)
		if len(r.Nexthops) != 1 || r.Nexthops[0].Gateway == nil || r.Type != unix.RTN_UNICAST {
			notes = append(notes, fmt.Sprintf("node %s: route %s is not saved: a topology's routes go through one gateway", n.Name, routeOf(r, names)))
			continue
		}
		via, _ := netip.AddrFromSlice(unmap(r.Nexthops[0].Gateway))
		n.Routes = append(n.Routes, topology.Route{To: to, Via: via})
	}
	slices.SortStableFunc(n.Routes, func(a, b topology.Route) int { return strings.Compare(a.To.String(), b.To.String()) })
	return notes, nil
}

// saveOutput runs argv in the node and returns its output, which must
// have exited 0.
func saveOutput(ctx context.Context, sock string, argv ...string) (string, error) {
	code, out, err := runCaptured(ctx, sock, argv, nil)
	if err != nil {
		return "", err
	}
	if code != 0 {
		return "", fmt.Errorf("%s exited %d: %s", argv[0], code, oneLine(strings.TrimSpace(string(out))))
	}
	return string(out), nil
}

// frrConfig is vtysh's running configuration as an frr.conf: without the
// lines vtysh writes around it.
func frrConfig(out string) string {
	var b bytes.Buffer
	for _, line := range strings.Split(out, "\n") {
		if line == "Building configuration..." || strings.HasPrefix(line, "Current configuration:") {
			continue
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimLeft(strings.TrimRight(b.String(), "\n"), "\n!") + "\n"
}
