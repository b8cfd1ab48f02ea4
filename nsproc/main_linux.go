package nsproc

import (
	"os"
	"os/exec"
	"strings"
)

// Hidden first arguments by which the netlab binary, re-executed through
// /proc/self/exe, knows its role. They are caught before the CLI parses
// anything, so no user-visible command can collide with them. The argument
// after the role is a name for ps only; the configuration comes as a typed
// message on fd 3 (see protocol.go).
const (
	argSupervisor = "__netlab_supervisor"
	argInit       = "__netlab_init"
	argAgent      = "__netlab_agent"
	argProtocol   = "__netlab_protocol" // print ProtocolVersion and exit
)

// ProtocolVersion names the messages and arguments by which netlab speaks to
// its supervisor, inits and agents. A separate netlab-init binary is used
// only if it speaks the same one. Change it with any change to protocol.go
// or to the roles' arguments.
const ProtocolVersion = "netlab-nsproc-4"

// selfExe is the running binary. Re-executing it rather than a path keeps
// working when the file on disk was replaced, as go test and go run do.
const selfExe = "/proc/self/exe"

// Main runs the supervisor, node-init or agent role when this process was
// started as one, and never returns then. Otherwise it returns false at
// once. Call it first thing in main.
func Main() bool {
	if len(os.Args) < 2 {
		return false
	}
	switch os.Args[1] {
	case argSupervisor:
		os.Exit(supervisorMain())
	case argInit:
		os.Exit(initMain())
	case argAgent:
		os.Exit(agentMain())
	case argProtocol:
		os.Stdout.WriteString(ProtocolVersion + "\n")
		os.Exit(0)
	}
	return false
}

// InitBinary returns path if it is a netlab-init that speaks this
// ProtocolVersion, else "" (then the supervisor and inits are this binary).
func InitBinary(path string) string {
	out, err := exec.Command(path, argProtocol).Output()
	if err != nil || strings.TrimSpace(string(out)) != ProtocolVersion {
		return ""
	}
	return path
}
