package topology

import (
	"net/netip"
	"time"
)

// Pos is a place in a topology file, 1-based; the zero Pos is no place (a
// Topology built in Go).
type Pos struct {
	Line, Col int
}

// At records where a file writes the values of a thing's keys, by key: what
// the rules point at. It is empty for what was built in Go, and not part of
// a lab's state.
type At map[string]Pos

// Of is where key's value is, or else where the thing itself is.
func (a At) Of(key string, or Pos) Pos {
	if p, ok := a[key]; ok {
		return p
	}
	return or
}

// Topology is a validated topology file.
type Topology struct {
	File    string  // the path it was read from, as given
	Name    string  // lab name: [a-z0-9-], at most 32 bytes
	NamePos Pos     `json:"-"`
	Nodes   []*Node // in file order
	Links   []*Link // in file order
	// Limits bound the whole lab; all zero when the file has no limits:.
	Limits Limits
	// Checks are the file's checks:, in file order (see Check).
	Checks []*Check `json:",omitempty"`
	// Hosts are the machines the lab spans (hosts:), in file order; none
	// for a lab of one machine, or when HostsFrom says where they come
	// from (HostsKubernetes) until they are found.
	Hosts     []*Host `json:",omitempty"`
	HostsFrom string  `json:",omitempty"`
	HostsPos  Pos     `json:"-"` // where the hosts key is
	// Placement is PlacementAuto when netlab places the nodes on the
	// hosts (see Place), "" when each node's host: says.
	Placement    string `json:",omitempty"`
	PlacementPos Pos    `json:"-"`

	// defaults is the file's defaults: as written, so that the rules
	// report what every node inherits from it once, as defaults'. nil for
	// a Topology built in Go.
	defaults *Node
	// lost is what the file has but could not be read, so that rules that
	// would miss it say nothing.
	lost lost
}

// lost is what a file held that its decoding dropped.
type lost struct {
	name  bool            // name: is missing or not a single value
	nodes bool            // nodes: was not a mapping: a check may name a node that is there
	ends  bool            // a link end could not be read: an interface may be on that link
	addrs map[string]bool // labels of nodes (and defaults) with an address that could not be read
	// values are where values are that could not be read, so that the
	// rules do not take them for empty.
	values map[Pos]bool
	// strays are the ends of what should have been links but did not
	// have two ends.
	strays []stray
}

// stray is an end of a list that was not a link.
type stray struct {
	Endpoint
	pos Pos
}

// Limits bound resources: the lab's as a whole (a cgroup per lab), or one
// node's within it. Zero values mean the default.
type Limits struct {
	Pids   int     // most processes and threads at once; at least MinPids
	Memory int64   // bytes; at least MinMemory
	CPUs   float64 // CPUs' worth of time, e.g. 1.5; from MinCPUs to MaxCPUs
	Pos    Pos     // where the limits key is
	At     At      `json:"-"` // where pids, memory and cpus are
}

// Zero reports whether l limits nothing.
func (l Limits) Zero() bool { return l.Pids == 0 && l.Memory == 0 && l.CPUs == 0 }

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
	Name    string
	Kind    Kind
	KindPos Pos `json:"-"` // where the kind's value is, the node's own or defaults'
	// At is where each key the node's own entry writes is (keys it
	// inherits from defaults are not in it).
	At At `json:"-"`
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
	DaemonPos  []Pos      `json:"-"` // where each of Daemons is
	// DaemonOptions are FRR daemons' command-line options beyond netlab's
	// own, daemon → options (kind frr only), sorted by daemon.
	DaemonOptions []KeyValue `json:",omitempty"`
	Config        string     // frr.conf or bird.conf, verbatim (kind frr/bird only)
	// Env is the environment of the node's exec steps, services and
	// ready: commands beyond netlab's own (PATH, HOME, TERM), name → value,
	// sorted by name.
	Env []KeyValue `json:",omitempty"`
	// Binds are host files or directories mounted in the node.
	Binds []Bind `json:",omitempty"`
	// Limits bound the node within the lab's limits; zero for none.
	Limits Limits `json:",omitzero"`
	// Clock offsets the node's monotonic and boot clocks; zero: the host's.
	Clock Clock `json:",omitzero"`
	// WaitFor are nodes whose exec steps end before this node's begin.
	WaitFor    []string `json:",omitempty"`
	WaitForPos []Pos    `json:"-"` // where each of WaitFor is
	// Host is the host the node runs on, of the lab's Hosts: its host:,
	// or where Place put it; "" for a lab of one machine.
	Host    string `json:",omitempty"`
	HostPos Pos    `json:"-"` // where the host's value is, the node's own or defaults'
	Pos     Pos    // where the node's key is
}

// Bind mounts a host file or directory at a path of the node: the node's
// own mount, over its private view or an existing path of the host's tree,
// which it never writes.
type Bind struct {
	Host     string // an absolute path on the host (a file's relative path is resolved against its directory)
	Node     string // an absolute path in the node
	ReadOnly bool   `json:",omitempty"`
	Pos      Pos
}

func (b Bind) String() string {
	s := b.Host + ":" + b.Node
	if b.ReadOnly {
		s += ":ro"
	}
	return s
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
	Name    string
	Addrs   []netip.Prefix // address with its prefix length, e.g. 10.0.12.1/24
	AddrPos []Pos          `json:"-"` // where each of Addrs is
	Pos     Pos
}

// Route is a static route. A `to: default` route is 0.0.0.0/0 or ::/0,
// by the family of Via.
type Route struct {
	To     netip.Prefix
	Via    netip.Addr
	Pos    Pos
	ToPos  Pos `json:"-"`
	ViaPos Pos `json:"-"`
}

// KeyValue is one entry of an ordered string map.
type KeyValue struct {
	Key, Value string
	Pos        Pos // where the key is
	ValuePos   Pos `json:"-"`
}

// Link joins two interfaces of two nodes with a veth pair.
type Link struct {
	Endpoints [2]Endpoint
	MTU       int        // 0: the kernel's default
	Impair    Impairment // what each end does to what it sends
	// Down is a link taken down at both ends, as netlab link set down
	// does: up brings it up so (state: down).
	Down bool `json:",omitempty"`
	// MACs are the ends' MAC addresses as written, e.g. aa:c1:ab:00:00:01;
	// "" for one netlab derives from lab, node and interface names.
	MACs   [2]string `json:",omitzero"`
	Pos    Pos
	EndPos [2]Pos `json:"-"` // where each end is
	At     At     `json:"-"` // where mtu, mac and the impairments are
	index  int    // its place in the file's links:, from 1 (0: built in Go)
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
