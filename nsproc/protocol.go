package nsproc

import "os"

// Messages cross SOCK_SEQPACKET unix sockets, one JSON object per packet,
// with file descriptors attached as SCM_RIGHTS where a message carries any.

// spawnRequest asks the supervisor for one node. Its packet carries, in
// order, the node's listening exec socket, the lab's hosts file and, if the
// node has one, its layer directory.
type spawnRequest struct {
	ID       int      `json:"id"`
	Node     string   `json:"node"`     // "lab/node", for messages and ps
	Hostname string   `json:"hostname"` // set in the node's UTS namespace
	Sysctls  []string `json:"sysctls"`  // KEY=VALUE, written before the init reports ready
}

// spawnReply answers a spawnRequest once the init reported ready or failed.
// A success carries a pidfd of the init. The supervisor also sends one with
// Detached set, and nothing after it, when it has detached.
type spawnReply struct {
	ID       int    `json:"id"`
	Error    string `json:"error,omitempty"`
	Detached bool   `json:"detached,omitempty"`

	pid   int      // the init's pid on the host, read from the pidfd
	pidfd *os.File // the pidfd itself, handed to the caller of Spawn
}

// control is a message from netlab to the supervisor that is not a spawn.
type control struct {
	Spawn  *spawnRequest `json:"spawn,omitempty"`
	Detach bool          `json:"detach,omitempty"` // outlive the control connection from now on
}

// nodeRequest is the first packet on a connection to a node's init: one of
// its fields is set.
type nodeRequest struct {
	Exec *execRequest `json:"exec,omitempty"`
	Put  *putRequest  `json:"put,omitempty"`
}

// putRequest asks a node's init to write a file in the node's own view of
// the filesystem. The init answers with an execEvent whose Exit has Code 0
// or an Error.
type putRequest struct {
	Path string `json:"path"`
	Data []byte `json:"data"`
	Mode uint32 `json:"mode"`
	UID  int    `json:"uid"` // as the node sees it; also owns directories made for the file
	GID  int    `json:"gid"`
}

// execRequest asks a node's init to run a command. Its packet carries the
// command's stdin, stdout and stderr.
type execRequest struct {
	Argv []string `json:"argv"`
	Env  []string `json:"env"`
	Dir  string   `json:"dir"`
	TTY  bool     `json:"tty"` // stdin is a terminal to make the controlling one
}

// execEvent flows both ways once a command runs: the client sends signals
// to deliver, the init sends the final status.
type execEvent struct {
	Signal int       `json:"signal,omitempty"`
	Exit   *exitInfo `json:"exit,omitempty"`
}

type exitInfo struct {
	Code  int    `json:"code"`            // what `netlab exec` exits with: 128+n if signal n killed it
	Error string `json:"error,omitempty"` // the command could not be started
}

// readyOK is what a node's init writes on its ready pipe when it is set up.
// Anything else it writes is the reason it failed.
const readyOK = "ok"
