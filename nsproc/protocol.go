package nsproc

import "os"

// The processes of a lab and what passes between them. Every channel is a
// SOCK_SEQPACKET unix socket carrying one message per packet, with file
// descriptors attached as SCM_RIGHTS where a message carries any. A packet
// is the 4 bytes of packetMagic, then the message: a sequence of fields,
// each a 32-bit tag, a 32-bit length (both little-endian) and that many
// bytes (see tlv.go), a format both sides read with a few lines and no
// general-purpose parser, the C side included. The magic says which
// version of this table a peer speaks: a lab outlives the netlab binary
// that started it, and a newer one must say so rather than misread it.
//
//	from → to             message                     files attached
//	netlab → supervisor   control{Begin}              -, answered by spawnReply once it unshared its user namespace
//	netlab → supervisor   control{Mapped}             -, answered by spawnReply{Pid} of the supervisor proper
//	netlab → supervisor   control{Setup}              the lab's hosts file, the lab's listening control socket (Listen)
//	netlab → supervisor   control{Spawn}              exec socket, then a detached mount per bind with Tree, then cgroup.procs files
//	supervisor → node     (nothing: the node is a clone of the supervisor, its configuration already in memory)
//	node → supervisor     "u", one raw byte           -: it made its user namespace; the supervisor maps it
//	supervisor → node     "m", one raw byte           -: mapped
//	node → supervisor     readyReport                 its user and network namespaces (when ready)
//	supervisor → netlab   spawnReply                  pidfd of the node (Spawn)
//	netlab → supervisor   control{Netlink}            -, answered by spawnReply + a netlink socket
//	netlab → supervisor   control{Detach}             -
//	supervisor → netlab   spawnReply{Detached}        -, then it closes its end
//	netlab → supervisor   control{Stop}               -, answered by spawnReply once the node's process is reaped
//	netlab → supervisor   control{NodeNetlink}        -, answered by spawnReply + a netlink socket of the node's held netns
//	netlab → supervisor   control{Watch}              -, answered by spawnReply, then a watchEvent per node started or ended
//	client → agent        nodeRequest{Watch}          -, answered by execEvent{Exit}, then a watchEvent per service ended
//	client → agent        nodeRequest{Exec}           stdin, stdout, stderr (none with PTY or Log)
//	agent → client        execEvent{PTY}              the pty's master (Exec.PTY only)
//	client → agent        execEvent{Signal}           -
//	agent → client        execEvent{Exit}             -
//	client → agent        nodeRequest{Put}            -, answered by execEvent{Exit}
//	client → agent        nodeRequest{Services}       -, answered by servicesReply
//	client → agent        nodeRequest{Netlink}        -, answered by execEvent{Exit} + a netlink socket
//	client → agent        nodeRequest{Sysctls}        -, answered by execEvent{Exit}
//	client → agent        nodeRequest{Packet}         -, answered by execEvent{Exit} + a packet socket
//
// The supervisor and each node's one process (the node's agent once it is
// set up) are C (node/): one thread each, no exec but the supervisor's. They parse only what netlab sends (control,
// nodeRequest, execEvent{Signal}); nothing a node sends reaches them, and
// netlab reads what comes back from a node as hostile. The supervisor
// inherits exactly one descriptor, fd 3, its control socket; every other
// file comes as a typed message on it. Once up has detached it, netlab
// reaches it again through the listening socket Setup carried (made by
// netlab in the lab's state directory, 0600), one connection per verb,
// each speaking control as fd 3 does (but Begin, Mapped, Setup and
// Detach, which are fd 3's alone).
//
// Each field's tag is its number in the `tlv` struct tag, unique across all
// messages. node/protocol.h is generated from these types, with the fuzz
// target's seeds (go test -tags netlab_protogen ./nsproc -run
// 'TestProtocolHeader|TestFuzzSeeds' -update), and checked against them.

// control is a message from netlab to the supervisor: one field is set.
type control struct {
	// Mapped tells the supervisor that its user namespace's maps are
	// written and it is in the lab's cgroup: it makes the lab's other
	// namespaces and answers, with this ID, the pid of the supervisor
	// proper (PID 1 of the lab, netlab's child), then exits.
	Mapped int           `tlv:"1"`
	Begin  *labBegin     `tlv:"6"`
	Setup  *labSetup     `tlv:"2"`
	Spawn  *spawnRequest `tlv:"3"`
	// Netlink asks for a NETLINK_ROUTE socket of the supervisor's own
	// network namespace, whose opener may place devices in every node's:
	// the spawnReply with this ID carries it.
	Netlink int  `tlv:"4"`
	Detach  bool `tlv:"5"` // outlive the control connection from now on
	// Stop kills a node's process, and with it every process of the
	// node, and is answered once the supervisor reaped it. The node's
	// user and network namespaces stay: the supervisor holds them, so a
	// spawn with Held starts the node again with its interfaces.
	Stop *nodeOp `tlv:"7"`
	// NodeNetlink asks for a NETLINK_ROUTE socket of a node's held
	// network namespace, opened by the supervisor: one that works whether
	// the node runs or not.
	NodeNetlink *nodeOp `tlv:"8"`
	// Watch makes this connection a watcher: answered with this ID, it
	// then gets a watchEvent each time a node starts or its process ends,
	// until it closes. A watcher that does not read loses them.
	Watch int `tlv:"9"`
}

// nodeOp names a node for Stop and NodeNetlink, by its spawnRequest.Node.
type nodeOp struct {
	ID   int    `tlv:"17"`
	Node string `tlv:"18"`
}

// labBegin is the first request to a supervisor, which netlab started in
// the host's namespaces: become UID and GID on the host (root's netlab:
// the lab's own ids; none when 0, rootless), then make the lab's user
// namespace, owned so by the lab's ids and not by root, so that what the
// lab's processes make (inotify instances, namespaces, message queues) is
// counted against the lab's ids, not root's. The answer, with ID, says it
// waits for its maps.
type labBegin struct {
	ID  int `tlv:"12"`
	UID int `tlv:"13"`
	GID int `tlv:"14"`
}

// labSetup is the first request to the supervisor proper (after Begin and
// Mapped, its start's): what every node of the lab shares, made once (the
// host's tree read-only, the /etc skeleton with the lab's hosts file, the
// hidden directories). Its packet carries the hosts file, then (Listen)
// the listening socket. It is answered by a spawnReply of its ID.
type labSetup struct {
	ID int `tlv:"10"`
	// Hide are host directories every node sees as empty and read-only
	// (see SupervisorConfig.Hide).
	Hide []string `tlv:"11"`
	// Caps are KEY=VALUE of /proc/sys/user (max_inotify_instances=...),
	// the lab user namespace's bounds on what all its nodes make,
	// written before any node runs.
	Caps []string `tlv:"15"`
	// NProc, when set, is the lab's RLIMIT_NPROC: every process of the
	// lab's nodes is counted against the lab's root for it, which bounds
	// a lab without a pids cgroup (rootless without a delegated cgroup).
	NProc int `tlv:"16"`
	// Listen says the packet's last file is a listening SOCK_SEQPACKET
	// socket on which the supervisor accepts netlab's later connections
	// (stop, start, watch), before and after it detached.
	Listen bool `tlv:"19"`
}

// spawnRequest asks the supervisor for one node. Its packet carries the
// node's listening exec socket, then a detached mount for each bind with
// Tree set, in the order of the binds, then the Cgroups cgroup.procs
// files.
type spawnRequest struct {
	ID       int    `tlv:"20"`
	Node     string `tlv:"21"` // "lab/node", for messages and ps
	Hostname string `tlv:"22"` // set in the node's UTS namespace
	// Sysctls are KEY=VALUE, written before the node is ready.
	Sysctls []string    `tlv:"23"`
	Layer   []LayerFile `tlv:"24"` // the node's /etc layer
	Binds   []bindSpec  `tlv:"25"`
	// TmpfsSize bounds each of the node's tmpfs (/run, /tmp, /var/tmp,
	// /root, /dev, its /etc layer), in bytes.
	TmpfsSize int `tlv:"26"`
	// Cgroups is how many cgroup.procs files of the node's own cgroup
	// come last in the packet (one per controller hierarchy): the node
	// enters them before it does anything else.
	Cgroups int `tlv:"27"`
	// Held starts a node that ran before (and was stopped, or ended) into
	// the user and network namespaces the supervisor kept of it: its
	// interfaces, addresses and routes are there already.
	Held bool `tlv:"28"`
	// ClockOffset, in nanoseconds, puts the node's processes in a time
	// namespace of their own whose monotonic and boot clocks run that far
	// ahead (or, negative, behind) the host's. The wall clock is not the
	// kernel's to offset.
	ClockOffset int64 `tlv:"29"`
}

// LayerFile is a file or directory a node's /etc starts with, over the
// host's (see NodeConfig.Layer).
type LayerFile struct {
	Path string `tlv:"30"` // relative to /etc
	Dir  bool   `tlv:"31"`
	Data []byte `tlv:"32"`
	Mode uint32 `tlv:"33"` // permission bits
	UID  int    `tlv:"34"` // as the node sees it
	GID  int    `tlv:"35"`
}

// bindSpec is a host path bound into the node at Target. With Tree set,
// the packet carries the source as a detached mount (open_tree, made by
// netlab as root), in the order of the binds; without, the node binds
// Source by path, with the lab's own rights to reach it (rootless: the
// user's).
type bindSpec struct {
	Source   string `tlv:"36"`
	Target   string `tlv:"37"`
	ReadOnly bool   `tlv:"38"`
	Tree     bool   `tlv:"39"`
}

// spawnReply answers a labSetup, a spawnRequest or a Netlink request. A
// spawn's success carries a pidfd of the node's process. The
// supervisor also sends one with Detached set, and nothing after it, when
// it has detached.
type spawnReply struct {
	ID       int    `tlv:"40"`
	Error    string `tlv:"41"`
	Detached bool   `tlv:"42"`
	Pid      int    `tlv:"43"` // the supervisor proper's, answering Mapped

	files []*os.File // what the packet carried, on the host side (no tag: not sent)
}

// readyReport says a node is set up (Error empty) or why it failed: the
// step and the errno. Only the C side writes and reads it, before anything
// of the node runs; the supervisor passes its Error on in a spawnReply. A
// ready one carries the node's user and network namespaces, which the
// supervisor keeps (a held start's must be the very ones it keeps).
type readyReport struct {
	Error string `tlv:"50"`
}

// nodeRequest is the first packet on a connection to a node's agent: one
// of its fields is set.
type nodeRequest struct {
	Exec     *execRequest `tlv:"60"`
	Put      *putRequest  `tlv:"61"`
	Services bool         `tlv:"62"` // answered with a servicesReply
	// Netlink asks for a NETLINK_ROUTE socket of the node's network
	// namespace: the answer, an execEvent{Exit}, carries it.
	Netlink bool `tlv:"63"`
	// Sysctls are KEY=VALUE pairs to write as the node sees them.
	Sysctls []string `tlv:"64"`
	// Packet names an interface of the node's network namespace: the
	// answer, an execEvent{Exit}, carries an AF_PACKET socket (SOCK_RAW,
	// every protocol) bound to it, or codeNoInterface and an Error that
	// lists the node's interfaces when it has no such one.
	Packet string `tlv:"65"`
	// Watch makes the connection a watcher: answered by an
	// execEvent{Exit}, it then gets a watchEvent each time one of the
	// node's services ends, until it closes.
	Watch bool `tlv:"66"`
}

// execRequest asks a node's agent to run a command. Its packet carries the
// command's stdin, stdout and stderr, or nothing when PTY is set: then the
// agent opens a pty of the node's own devpts, runs the command on it as
// its controlling terminal, and answers first with an execEvent{PTY}
// carrying the pty's master, which the client relays.
type execRequest struct {
	Argv []string `tlv:"70"`
	Env  []string `tlv:"71"`
	Dir  string   `tlv:"72"`
	PTY  bool     `tlv:"73"`
	// The pty's size, when PTY is set and the caller's stdin is a
	// terminal.
	Rows int `tlv:"74"`
	Cols int `tlv:"75"`
	// Log, when set, names a log of the node's (see LogDir) that the
	// command's stdout and stderr append to, with stdin /dev/null; the
	// packet carries no files, and the exit reports the output's end.
	// Processes the command leaves running keep writing there.
	Log string `tlv:"76"`
	// Service, when set (with Log), starts the command as the node's
	// service of that name and answers at once; the agent keeps its
	// state for a Services request.
	Service string `tlv:"77"`
}

// putRequest asks a node's agent to write a file in the node's own view of
// the filesystem, replacing what is at Path. The agent answers with an
// execEvent whose Exit has Code 0 or an Error.
type putRequest struct {
	Path string `tlv:"80"`
	Data []byte `tlv:"81"`
	Mode uint32 `tlv:"82"`
	UID  int    `tlv:"83"` // as the node sees it; also owns directories made for the file
	GID  int    `tlv:"84"`
}

// execEvent flows both ways once a command runs: the client sends signals
// to deliver, the agent sends the pty's master (PTY) and the final status.
type execEvent struct {
	Signal int       `tlv:"90"`
	PTY    bool      `tlv:"91"`
	Exit   *exitInfo `tlv:"92"`
	// Started says the command exec'd: the client waits for it (or for
	// an Exit) a bounded time, and for the Exit as long as the command
	// runs. Not sent for a command with a Log.
	Started bool `tlv:"93"`
}

// exitInfo is how a request to the agent ended.
type exitInfo struct {
	Code  int    `tlv:"100"` // what `netlab exec` exits with: 128+n if signal n killed it
	Error string `tlv:"101"` // the command could not be started
	// Output is the end of what a command with a Log wrote there.
	Output []byte `tlv:"102"`
}

// codeNoInterface is the exit code of a Packet request for an interface
// the node lacks: the caller's mistake, told apart from other failures
// (2 is a request the agent could not read).
const codeNoInterface = 3

// servicesReply lists the node's services in the order they started.
type servicesReply struct {
	Services []Service `tlv:"110"`
}

// Service is the state of one of a node's services.
type Service struct {
	Name    string `tlv:"120" json:"name"`
	Pid     int    `tlv:"121" json:"pid"` // in the node's PID namespace
	Running bool   `tlv:"122" json:"running"`
	Exit    int    `tlv:"123" json:"exit"` // the exit code, 128+n if signal n ended it, once not running
}

// watchEvent is what a watcher hears: from the supervisor, a node that
// started ("started") or whose process ended ("exited", or "stopped" when
// a Stop asked for it); from an agent, a service that ended
// ("service-exited"). Code is the exit code (128+n for signal n).
type watchEvent struct {
	Kind    string `tlv:"130"`
	Node    string `tlv:"131"` // spawnRequest.Node (the supervisor's events)
	Service string `tlv:"132"`
	Code    int    `tlv:"133"`
	Pid     int    `tlv:"134"` // the service's, in the node's PID namespace
}

// protocol names each message type for node/protocol.h.
var protocol = []struct {
	name string
	msg  any
}{
	{"CONTROL", control{}},
	{"BEGIN", labBegin{}},
	{"SETUP", labSetup{}},
	{"SPAWN", spawnRequest{}},
	{"LAYER", LayerFile{}},
	{"BIND", bindSpec{}},
	{"REPLY", spawnReply{}},
	{"READY", readyReport{}},
	{"REQ", nodeRequest{}},
	{"EXEC", execRequest{}},
	{"PUT", putRequest{}},
	{"EVENT", execEvent{}},
	{"EXIT", exitInfo{}},
	{"SERVICES", servicesReply{}},
	{"SERVICE", Service{}},
	{"NODEOP", nodeOp{}},
	{"WATCH", watchEvent{}},
}

// Fixed facts both sides rely on, in node/protocol.h too.
const (
	// controlFD is the one descriptor the supervisor inherits.
	controlFD = 3
	// maxPacket bounds one message either way. An exec request carries
	// argv and env; a unix socket's send buffer (about 208 KiB by
	// default) bounds it before this does.
	maxPacket = 1 << 20
	// maxFiles bounds the descriptors one message carries: a spawn
	// request's exec socket and its binds.
	maxFiles = 64
	// protocolVersion is the version of this table, in packetMagic.
	// Change it with any change to a message.
	protocolVersion = 9
)

// ProtocolVersion is the version of this table, which a lab's state
// records: a lab's processes outlive the netlab that started them.
const ProtocolVersion = protocolVersion

// packetMagic starts every packet: "nl" and the protocol version.
var packetMagic = [4]byte{'n', 'l', protocolVersion, 0}
