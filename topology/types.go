package topology

import (
	"net/netip"
	"time"
)

// Kind is what a node is for. It decides what netlab sets up in it.
type Kind string

const (
	KindHost   Kind = "host"   // an end host: forwarding off
	KindRouter Kind = "router" // IPv4 and IPv6 forwarding on
	KindBridge Kind = "bridge" // a LAN: one bridge device, link ends are its ports
	KindFRR    Kind = "frr"    // a router running FRR daemons from Config
	KindBIRD   Kind = "bird"   // a router running BIRD 2 from Config
)

// Kinds lists every kind, in the order the documentation gives them.
var Kinds = []Kind{KindHost, KindRouter, KindBridge, KindFRR, KindBIRD}

// Forwards reports whether nodes of this kind forward packets.
func (k Kind) Forwards() bool { return k == KindRouter || k == KindFRR || k == KindBIRD }

// Pos is a place in a topology file, 1-based.
type Pos struct {
	Line, Col int
}

// Topology is a validated topology file.
type Topology struct {
	File  string  // the path it was read from, as given
	Name  string  // lab name: [a-z0-9-], at most 32 bytes
	Nodes []*Node // in file order
	Links []*Link // in file order
	// Limits bound the whole lab; all zero when the file has no limits:.
	Limits Limits
	// Checks are the file's checks:, in file order (see Check).
	Checks []*Check `json:",omitempty"`
}

// Limits bound the lab's resources as a whole (a cgroup per lab). Zero values mean the default.
type Limits struct {
	Pids   int     // most processes and threads at once; at least MinPids
	Memory int64   // bytes; at least MinMemory
	CPUs   float64 // CPUs' worth of time, e.g. 1.5; from MinCPUs to MaxCPUs
	Pos    Pos     // where the limits key is
}

// The bounds of Limits' values, where they are not zero.
const (
	MinPids   = 16
	MaxPids   = 4194304 // the kernel's PID_MAX_LIMIT
	MinMemory = 16 << 20
	MinCPUs   = 0.01 // cpu.max takes a quota of at least 1ms per 100ms period
	MaxCPUs   = 1024
)

// MaxFileContent bounds one `files:` entry: netlab hands it to the node in
// one message, which a unix socket's default buffer must hold.
const MaxFileContent = 128 << 10

// Node is one node after `defaults` were merged into it.
type Node struct {
	Name string
	Kind Kind
	// Interfaces holds every interface of the node in file order: those
	// declared under `interfaces:` (with their addresses, "lo" included)
	// followed by those that only appear as link ends (no addresses).
	Interfaces []*Interface
	Routes     []Route
	Sysctls    []KeyValue // sorted by key
	Files      []KeyValue // path → content, sorted by path
	Exec       []string   // shell command lines, in order
	ExecPos    []Pos      // where each of Exec is (none for a Topology built in Go)
	Services   []KeyValue // name → command line, sorted by name
	Ready      []Ready    `json:",omitempty"` // when services that say so are ready, sorted by service
	Daemons    []string   // FRR daemons beyond the always-on ones (kind frr only)
	Config     string     // frr.conf or bird.conf, verbatim (kind frr/bird only)
	Pos        Pos        // where the node's key is
}

// Ready is when a service counts as ready: a TCP port some socket in the
// node listens on, or a command that exits 0 in the node. Up returns only
// once every service that says is ready, and fails naming the service
// when one is not within Wait.
type Ready struct {
	Service string
	Port    int            // a TCP port to listen on, IPv4 or IPv6; or
	Cmd     string         // /bin/sh -c Cmd exits 0
	Wait    *time.Duration `json:",omitempty"` // how long up waits; nil: DefaultReadyWait
	Pos     Pos
}

// DefaultReadyWait is how long up waits for a service that sets no wait:.
const DefaultReadyWait = 30 * time.Second

// Interface is one interface of a node.
type Interface struct {
	Name  string
	Addrs []netip.Prefix // address with its prefix length, e.g. 10.0.12.1/24
	Pos   Pos
}

// Route is a static route. A `to: default` route is 0.0.0.0/0 or ::/0,
// by the family of Via.
type Route struct {
	To  netip.Prefix
	Via netip.Addr
	Pos Pos
}

// KeyValue is one entry of an ordered string map.
type KeyValue struct {
	Key, Value string
	Pos        Pos
}

// Link joins two interfaces of two nodes with a veth pair.
type Link struct {
	Endpoints [2]Endpoint
	MTU       int        // 0: the kernel's default
	Impair    Impairment // what each end does to what it sends
	Pos       Pos
}

// Endpoint is one end of a link: NODE:IFNAME.
type Endpoint struct {
	Node      string
	Interface string
}

func (e Endpoint) String() string { return e.Node + ":" + e.Interface }

// Node returns the node with that name, or nil.
func (t *Topology) Node(name string) *Node {
	for _, n := range t.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Interface returns the node's interface with that name, or nil.
func (n *Node) Interface(name string) *Interface {
	for _, i := range n.Interfaces {
		if i.Name == name {
			return i
		}
	}
	return nil
}
