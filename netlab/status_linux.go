package netlab

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"time"

	"github.com/netlab-dev/netlab/netlab/parallel"
	"github.com/netlab-dev/netlab/netlab/wire"
	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// LabStatus is what status reports of one lab.
type LabStatus struct {
	Name  string `json:"name"`
	Owner string `json:"owner"` // the user whose lab it is
	File  string `json:"file"`  // the topology file, absolute
	// Started is when up began; zero when the state does not say.
	Started time.Time `json:"started,omitzero"`
	State   string    `json:"state"` // up, starting, stopping, broken
	// Problem says what is wrong with a broken lab and what to do.
	Problem    string `json:"problem,omitempty"`
	Supervisor int    `json:"supervisor_pid,omitempty"`
	// Host is which of a lab's hosts this machine is, for a lab across
	// hosts, whose Nodes are then this host's.
	Host string `json:"host,omitempty"`
	// Links is how many of the lab's links have an end on this host.
	Links int          `json:"links,omitempty"`
	Nodes []NodeStatus `json:"nodes"`
	// Ref names the lab for commands (USER:LAB for another user's).
	Ref LabRef `json:"-"`
}

// NodeStatus is one node as it is now.
type NodeStatus struct {
	Name       string            `json:"name"`
	Kind       string            `json:"kind"`
	Pid        int               `json:"pid,omitempty"`
	Running    bool              `json:"running"`
	Stopped    bool              `json:"stopped,omitempty"` // by netlab stop: netlab start starts it
	NetNS      string            `json:"netns"`
	Interfaces []InterfaceStatus `json:"interfaces"`
	Services   []nsproc.Service  `json:"services"` // in the order they started
}

// InterfaceStatus is one interface as the kernel reports it now.
type InterfaceStatus struct {
	Name      string   `json:"name"`
	State     string   `json:"state"` // up, down, no-carrier
	MTU       int      `json:"mtu"`
	MAC       string   `json:"mac,omitempty"`
	Addresses []string `json:"addresses"`
	Peer      string   `json:"peer,omitempty"` // NODE:IFNAME at the other end
	// PeerHost is the host of the other end when it is on another host
	// than this one: the link is a tunnel to it.
	PeerHost string `json:"peer_host,omitempty"`
	// Impairment is what the link does to what this end sends, as tc
	// would write it: "rate 10mbit loss 1%".
	Impairment string `json:"impairment,omitempty"`
}

// statusLabs is how many labs StatusOf asks at once: a class of students'
// labs is asked in about the time of its slowest lab.
const statusLabs = 8

// StatusOf reports the labs refs name, of any machines, in that order,
// several at a time.
func StatusOf(refs []LabRef) ([]LabStatus, error) { return statusOf(refs, true) }

// BriefStatusOf is StatusOf without what the nodes' kernels and agents
// say (their interfaces and services): which nodes run, and the lab's
// state, read from the state alone, whatever the lab's size.
func BriefStatusOf(refs []LabRef) ([]LabStatus, error) { return statusOf(refs, false) }

func statusOf(refs []LabRef, live bool) ([]LabStatus, error) {
	each := make([][]LabStatus, len(refs))
	err := parallel.Each(context.Background(), len(refs), statusLabs, func(i int) error {
		var err error
		each[i], err = refs[i].Machine.status(live, refs[i].Name)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []LabStatus
	for _, ls := range each {
		out = append(out, ls...)
	}
	return out, nil
}

// Status reports the labs of m named, or every one when none is.
func (m *Machine) Status(names ...string) ([]LabStatus, error) { return m.status(true, names...) }

// status is Status, with the nodes' interfaces and services when live.
func (m *Machine) status(live bool, names ...string) ([]LabStatus, error) {
	if len(names) == 0 {
		var err error
		if names, err = m.Labs(); err != nil {
			return nil, err
		}
	}
	var out []LabStatus
	for _, name := range names {
		if err := checkLabName(name); err != nil {
			return nil, err
		}
		ref := LabRef{Machine: m, Name: name}
		st, err := m.readState(name)
		if err != nil {
			if m.hasLab(name) {
				out = append(out, LabStatus{Name: name, Owner: m.User, State: "broken", Nodes: []NodeStatus{}, Ref: ref,
					Problem: fmt.Sprintf("%v; remove it with: netlab down %s", err, ref)})
				continue
			}
			return nil, err
		}
		out = append(out, m.labStatus(st, live))
	}
	return out, nil
}

func (m *Machine) labStatus(st *State, live bool) LabStatus {
	ref := LabRef{Machine: m, Name: st.Name}
	ls := LabStatus{Name: st.Name, Owner: m.User, File: st.File, Started: st.Started, Host: st.Host, Nodes: []NodeStatus{}, Ref: ref}
	if st.Supervisor != nil {
		ls.Supervisor = st.Supervisor.Pid
	}
	t := st.Topology
	byName := make(map[string]*topology.Node, len(t.Nodes))
	for _, n := range t.Nodes {
		byName[n.Name] = n
	}
	here := make(map[string]bool, len(st.Nodes))
	for _, n := range st.Nodes {
		here[n.Name] = true
	}
	for _, l := range t.Links {
		if here[l.Endpoints[0].Node] || here[l.Endpoints[1].Node] {
			ls.Links++
		}
	}
	// Which nodes run, and what their kernels say of their interfaces:
	// through sockets of the supervisor's, which read any node's (a few
	// dumps each), else through each node's agent.
	ls.Nodes = make([]NodeStatus, len(st.Nodes))
	for i := range st.Nodes {
		rt := &st.Nodes[i]
		n := byName[rt.Name]
		ns := NodeStatus{Name: n.Name, Kind: string(n.Kind), Interfaces: []InterfaceStatus{}, Services: []nsproc.Service{}, Stopped: rt.Stopped}
		if m.Own() && m.NetnsDir != "" {
			ns.NetNS = netnsName(st.Name, n.Name)
		}
		if rt.Init != nil {
			ns.Pid = rt.Init.Pid
			ns.Running = rt.Init.alive()
		}
		ls.Nodes[i] = ns
	}
	if live {
		m.readLive(st, ls.Nodes, byName)
	}
	ls.State, ls.Problem = st.health(ref, m.busy(st.Name), func(i int) bool { return i >= len(ls.Nodes) || ls.Nodes[i].Running })
	return ls
}

// readLive fills nodes' interfaces and services from what their kernels
// and agents say.
func (m *Machine) readLive(st *State, nodes []NodeStatus, byName map[string]*topology.Node) {
	// The other end of each link end, and its host when that is not this
	// one; and each end's impairment.
	peerOf := func(e topology.Endpoint) peer {
		p := peer{end: e.String()}
		if n := byName[e.Node]; n != nil && st.Host != "" && n.Host != st.Host {
			p.host = n.Host
		}
		return p
	}
	peers, impairs := map[string]peer{}, map[string]string{}
	for _, l := range st.Topology.Links {
		a, b := l.Endpoints[0], l.Endpoints[1]
		peers[a.String()], peers[b.String()] = peerOf(b), peerOf(a)
		if !l.Impair.Zero() {
			impairs[a.String()], impairs[b.String()] = l.Impair.String(), l.Impair.String()
		}
	}
	read := m.kernelViews(st, nodes, func(i int, links []wire.LinkInfo, addrs []wire.AddrInfo) {
		nodes[i].Interfaces = interfaceStatus(links, addrs, byName[st.Nodes[i].Name], peers, impairs)
	})
	// Nodes are asked at once, a few at a time: a wedged one costs its
	// timeout once, not once per node after it.
	parallel.Each(context.Background(), len(st.Nodes), statusAsks, func(i int) error {
		rt, ns := &st.Nodes[i], &nodes[i]
		n := byName[rt.Name]
		asked := read != nil && read[i]
		if !ns.Running || asked && len(n.Services) == 0 {
			return nil
		}
		sock, release, err := m.socket(st.Name, n.Name)
		if err != nil {
			return nil
		}
		defer release()
		if !asked {
			if live := liveInterfaces(sock, rt, n, peers, impairs); live != nil {
				ns.Interfaces = live
			}
		}
		if len(n.Services) > 0 {
			ns.Services = liveServices(sock)
		}
		return nil
	})
}

// health is the state of st's lab as status shows it (up, starting,
// stopping, broken) and, for a broken one, what is wrong and what to do.
// nodeRuns tells whether node i of st.Nodes runs.
// ref names the lab in what to do; held tells whether a netlab holds its
// lock now.
func (st *State) health(ref LabRef, held bool, nodeRuns func(i int) bool) (state, problem string) {
	switch {
	case held:
		if st.Phase == PhaseUp {
			return "stopping", ""
		}
		return string(st.Phase), ""
	case st.Phase != PhaseUp:
		return "broken", "up did not finish (killed?); remove what it made with: netlab down " + ref.String()
	case !st.Supervisor.alive():
		return "broken", "the lab's processes are gone; remove the rest with: netlab down " + ref.String()
	}
	for i, n := range st.Nodes {
		if !nodeRuns(i) && !n.Stopped {
			return "broken", fmt.Sprintf("node %s is not running%s; start it again with netlab start %s/%s, or remove the lab with: netlab down %s", n.Name, oomNote(st), ref, n.Name, ref)
		}
	}
	return string(PhaseUp), ""
}

// peer is the other end of a link, as status shows it: NODE:IFNAME, and
// its host when that is not this one.
type peer struct{ end, host string }

// liveInterfaces asks the node's kernel for its interfaces and addresses,
// through a socket its agent opens. A node that cannot be asked shows
// none: status reports, it does not fail.
func liveInterfaces(socket string, rt *NodeState, node *topology.Node, peers map[string]peer, impairs map[string]string) []InterfaceStatus {
	h, err := nodeNetlink(context.Background(), socket, rt)
	if err != nil {
		return nil
	}
	defer h.Close()
	links, err := h.Links()
	if err != nil {
		return nil
	}
	addrs, _ := h.Addrs()
	return interfaceStatus(links, addrs, node, peers, impairs)
}

// interfaceStatus is what status shows of node's interfaces, as its kernel
// reported links and addrs: in the topology's order, lo first, others
// after.
func interfaceStatus(links []wire.LinkInfo, addrs []wire.AddrInfo, node *topology.Node, peers map[string]peer, impairs map[string]string) []InterfaceStatus {
	byIndex := map[int][]string{}
	for _, a := range addrs {
		if a.Addr.IP.IsLinkLocalUnicast() {
			continue
		}
		byIndex[a.Index] = append(byIndex[a.Index], a.Addr.String())
	}
	out := []InterfaceStatus{}
	for _, l := range links {
		end := node.Name + ":" + l.Name
		is := InterfaceStatus{Name: l.Name, MTU: l.MTU, Addresses: byIndex[l.Index], Peer: peers[end].end, PeerHost: peers[end].host, Impairment: impairs[end]}
		if is.Addresses == nil {
			is.Addresses = []string{}
		}
		if len(l.MAC) > 0 && !l.Loopback {
			is.MAC = l.MAC.String()
		}
		switch {
		case !l.Up:
			is.State = "down"
		// Carrier from the device flags: operstate follows it only
		// after the kernel's link watch runs, up to a second later.
		case !l.Carrier:
			is.State = "no-carrier"
		default:
			is.State = "up"
		}
		out = append(out, is)
	}
	rank := func(name string) int {
		if name == "lo" {
			return -1
		}
		for i, ifc := range node.Interfaces {
			if ifc.Name == name {
				return i
			}
		}
		return len(node.Interfaces)
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i].Name) < rank(out[j].Name) })
	return out
}

// kernelViews reads the interfaces and addresses of st's running nodes
// (nodes[i].Running) through netlink sockets of the lab's supervisor, each
// node's namespace by its id there (NodeState.NSID), and hands each to
// view. One socket reads any node's in two dumps: no connection to each
// node's agent, no socket per node, which for 10,000 nodes cost seconds.
// It reports which nodes it read; the caller asks the others' agents: all
// of them when it could read none (a lab brought up before nodes had ids,
// another user's lab, a supervisor that does not answer), and after a
// dump that failed or took too long (a node that made itself a huge
// table), the rest of that socket's nodes.
func (m *Machine) kernelViews(st *State, nodes []NodeStatus, view func(i int, links []wire.LinkInfo, addrs []wire.AddrInfo)) (read []bool) {
	if !m.Own() || len(st.Nodes) == 0 {
		return nil
	}
	for i, ns := range st.Nodes {
		if nodes[i].Running && ns.NSID == 0 {
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), serviceAskTimeout)
	defer cancel()
	sup, err := nsproc.DialSupervisor(ctx, m.supervisorPath(st.Name))
	if err != nil {
		return nil
	}
	defer sup.Close()
	// A socket per CPU: the dumps are the kernel's work, done in the
	// asking thread.
	socks := make([]*wire.Socket, min(runtime.NumCPU(), len(st.Nodes)))
	for k := range socks {
		f, err := sup.Netlink(ctx)
		if err != nil {
			closeSockets(socks)
			return nil
		}
		socks[k] = wire.NewSocket(f)
	}
	defer closeSockets(socks)
	views := make([]struct {
		links []wire.LinkInfo
		addrs []wire.AddrInfo
	}, len(st.Nodes))
	read = make([]bool, len(st.Nodes))
	parallel.Each(context.Background(), len(socks), len(socks), func(k int) error {
		for i := k; i < len(st.Nodes); i += len(socks) {
			if !nodes[i].Running {
				continue
			}
			// After a failed dump the socket may still hold the rest of
			// its answer: this socket's nodes from here on are asked of
			// their agents.
			links, err := socks[k].LinksAt(st.Nodes[i].NSID)
			if err != nil {
				return nil
			}
			addrs, err := socks[k].AddrsAt(st.Nodes[i].NSID)
			if err != nil {
				return nil
			}
			views[i].links, views[i].addrs = links, addrs
			read[i] = true
		}
		return nil
	})
	for i, v := range views {
		if read[i] {
			view(i, v.links, v.addrs)
		}
	}
	return read
}

func closeSockets(socks []*wire.Socket) {
	for _, s := range socks {
		if s != nil {
			s.Close()
		}
	}
}

// statusAsks is how many nodes status asks at once.
const statusAsks = 16

// serviceAskTimeout bounds how long status waits for a node to list its
// services: status reports, it does not hang on a wedged node.
const serviceAskTimeout = 2 * time.Second

// liveServices asks the node's agent for its services; none when it
// cannot be asked.
func liveServices(socket string) []nsproc.Service {
	ctx, cancel := context.WithTimeout(context.Background(), serviceAskTimeout)
	defer cancel()
	svc, err := nsproc.Services(ctx, socket)
	if err != nil || svc == nil {
		return []nsproc.Service{}
	}
	return svc
}
