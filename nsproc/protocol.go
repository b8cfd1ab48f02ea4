package nsproc

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// The processes of a lab and what passes between them. Every channel is a
// SOCK_SEQPACKET unix socket carrying one JSON object per packet, with file
// descriptors attached as SCM_RIGHTS where a message carries any.
//
//	from → to             message          files attached
//	netlab → supervisor   control.Mapped   - (rootless: first, raw on fd 3)
//	netlab → supervisor   control.Spawn    exec socket, hosts file
//	supervisor → init     initConfig       exec socket, hosts file
//	init → agent          agentConfig      exec socket
//	agent → init          readyReport      -
//	init → supervisor     readyReport      pidfd of the agent (when ready)
//	supervisor → netlab   spawnReply       pidfd of the init, pidfd of the agent
//	netlab → supervisor   control.Detach   -
//	supervisor → netlab   spawnReply{Detached} -, then it closes its end
//	client → agent        nodeRequest      stdin, stdout, stderr (Exec), none (Exec.PTY)
//	agent → client        execEvent{PTY}   the pty's master (Exec.PTY only)
//	agent → client        execEvent{Exit}  -
//	client → agent        execEvent{Signal} -
//	client → agent        nodeRequest{Services} -
//	agent → client        servicesReply    -
//	client → agent        nodeRequest{Netlink} -, answered by execEvent{Exit} + a netlink socket
//	client → agent        nodeRequest{Sysctls} -, answered by execEvent{Exit}
//	client → agent        nodeRequest{Packet} -, answered by execEvent{Exit} + a packet socket
//	netlab → supervisor   control.Netlink  -, answered by spawnReply + a netlink socket
//
// Each role gets exactly one inherited descriptor, fd 3: its socket to its
// parent. Everything else comes as a typed message on it.

// spawnRequest asks the supervisor for one node: the configuration of its
// init, which the supervisor passes on. Its packet carries, in order, the
// node's listening exec socket and the lab's hosts file.
type spawnRequest struct {
	ID int `json:"id"`
	initConfig
}

// LayerFile is a file or directory a node's /etc starts with, over the
// host's (see NodeConfig.Layer).
type LayerFile struct {
	Path     string      `json:"path"` // relative to /etc
	Dir      bool        `json:"dir,omitempty"`
	Data     []byte      `json:"data,omitempty"`
	Mode     os.FileMode `json:"mode"`
	UID, GID int         // as the node sees them
}

// spawnReply answers a spawnRequest once the node reported ready or failed.
// A success carries a pidfd of the init and one of the agent. The
// supervisor also sends one with Detached set, and nothing after it, when
// it has detached.
type spawnReply struct {
	ID       int    `json:"id"`
	Error    string `json:"error,omitempty"`
	Detached bool   `json:"detached,omitempty"`

	files []*os.File // what it carried, on the host side
}

// control is a message from netlab to the supervisor that is not a spawn.
type control struct {
	Spawn  *spawnRequest `json:"spawn,omitempty"`
	Detach bool          `json:"detach,omitempty"` // outlive the control connection from now on
	// Netlink asks for a NETLINK_ROUTE socket of the supervisor's own
	// network namespace, whose opener may place devices in every node's:
	// the spawnReply with this ID carries it.
	Netlink int `json:"netlink,omitempty"`
	// Mapped tells a supervisor started unmapped that the setuid helpers
	// wrote its user namespace's maps.
	Mapped bool `json:"mapped,omitempty"`
}

// initConfig is the whole configuration of a node's init, the first packet
// on its fd 3. The packet carries the exec socket and the hosts file.
// It holds the agent's, which the init passes on.
type initConfig struct {
	agentConfig
	// Hide are host directories the node sees as empty and read-only
	// (see NodeConfig.Hide).
	Hide  []string    `json:"hide,omitempty"`
	Layer []LayerFile `json:"layer,omitempty"` // the node's /etc layer
}

// agentConfig is the whole configuration of a node's agent, the first
// packet on its fd 3. The packet carries the exec socket.
type agentConfig struct {
	Node     string   `json:"node"`     // "lab/node", for messages and ps
	Hostname string   `json:"hostname"` // set in the node's UTS namespace
	Sysctls  []string `json:"sysctls"`  // KEY=VALUE, written before the agent reports ready
}

// readyReport says a role is set up (Error empty) or why it failed: the
// step and the errno, which netlab shows as they are.
type readyReport struct {
	Error string `json:"error,omitempty"`
}

// nodeRequest is the first packet on a connection to a node's agent: one
// of its fields is set.
type nodeRequest struct {
	Exec     *execRequest `json:"exec,omitempty"`
	Put      *putRequest  `json:"put,omitempty"`
	Services bool         `json:"services,omitempty"` // answered with a servicesReply
	// Netlink asks for a NETLINK_ROUTE socket of the node's network
	// namespace: the answer, an execEvent{Exit}, carries it.
	Netlink bool `json:"netlink,omitempty"`
	// Sysctls are KEY=VALUE pairs to write as the node sees them.
	Sysctls []string `json:"sysctls,omitempty"`
	// Packet names an interface of the node's network namespace: the
	// answer, an execEvent{Exit}, carries an AF_PACKET socket (SOCK_RAW,
	// every protocol) bound to it, or Code 2 and an Error that lists the
	// node's interfaces when it has no such one.
	Packet string `json:"packet,omitempty"`
}

// servicesReply lists the node's services in the order they started.
type servicesReply struct {
	Services []Service `json:"services"`
}

// Service is the state of one of a node's services.
type Service struct {
	Name    string `json:"name"`
	Pid     int    `json:"pid"` // in the node's PID namespace
	Running bool   `json:"running"`
	Exit    int    `json:"exit"` // the exit code, 128+n if signal n ended it, once not running
}

// putRequest asks a node's agent to write a file in the node's own view of
// the filesystem. The agent answers with an execEvent whose Exit has Code 0
// or an Error.
type putRequest struct {
	Path string `json:"path"`
	Data []byte `json:"data"`
	Mode uint32 `json:"mode"`
	UID  int    `json:"uid"` // as the node sees it; also owns directories made for the file
	GID  int    `json:"gid"`
}

// execRequest asks a node's agent to run a command. Its packet carries the
// command's stdin, stdout and stderr, or nothing when PTY is set: then the
// agent opens a pty of the node's own devpts, runs the command on it as
// its controlling terminal, and answers first with an execEvent{PTY}
// carrying the pty's master, which the client relays.
type execRequest struct {
	Argv []string      `json:"argv"`
	Env  []string      `json:"env"`
	Dir  string        `json:"dir"`
	PTY  bool          `json:"pty"`
	Size *unix.Winsize `json:"size,omitempty"` // of the pty, when PTY is set
	// Log, when set, names a log of the node's (see LogDir) that the
	// command's stdout and stderr append to, with stdin /dev/null; the
	// packet carries no files, and the exit reports the output's end.
	// Processes the command leaves running keep writing there.
	Log string `json:"log,omitempty"`
	// Service, when set (with Log), starts the command as the node's
	// service of that name and answers at once; the agent keeps its
	// state for a servicesRequest.
	Service string `json:"service,omitempty"`
}

// execEvent flows both ways once a command runs: the client sends signals
// to deliver, the agent sends the pty's master (PTY) and the final status.
type execEvent struct {
	Signal int       `json:"signal,omitempty"`
	PTY    bool      `json:"pty,omitempty"`
	Exit   *exitInfo `json:"exit,omitempty"`
}

// codeNoInterface is the exit code of a Packet request for an interface
// the node lacks: the caller's mistake, told apart from other failures
// (2 is a request the agent could not read).
const codeNoInterface = 3

// exitInfo is how a request to the agent ended.
type exitInfo struct {
	Code  int    `json:"code"`            // what `netlab exec` exits with: 128+n if signal n killed it
	Error string `json:"error,omitempty"` // the command could not be started
	// Output is the end of what a command with a Log wrote there.
	Output []byte `json:"output,omitempty"`
}

// controlFD is the one descriptor each role inherits: its socket to its
// parent.
const controlFD = 3

// controlConn returns the role's inherited control socket as a connection,
// with fd 3 itself closed: otherwise its parent would never see it close.
func controlConn() (*net.UnixConn, error) {
	f := os.NewFile(controlFD, "control")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return c.(*net.UnixConn), nil
}
