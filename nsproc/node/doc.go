// Package node is netlab's node side, in C: the lab supervisor, each
// node's init and each node's agent, one single-threaded process each and
// none of them an exec. Importing it (nsproc does) links an ELF
// constructor that runs before the Go runtime starts: when the program
// was started as a lab supervisor (nsproc.StartSupervisor execs it so,
// once per lab), the constructor runs the supervisor and never returns,
// so the Go runtime never starts in it; otherwise it returns at once and
// the program goes on as usual. This is runc's nsexec pattern, and it
// keeps netlab one binary that `go install` builds wherever cgo works.
//
//	netlab up ──exec──▶ supervisor: new user, PID, mount, net, IPC, UTS,
//	                    cgroup namespaces; makes what all nodes share
//	                      ├─clone─▶ init of r1: new mount + PID namespaces;
//	                      │         builds the node's view, clones:
//	                      │           └─clone─▶ agent of r1: new user (node
//	                      │                     ids from lab id 1), net, UTS,
//	                      │                     IPC, cgroup namespaces; serves
//	                      │                     the node's exec socket
//	                      └─clone─▶ init of r2 ...
//
// A clone carries its parent's memory: the supervisor decodes a spawn
// request once and its init clone starts with it decoded, so nothing is
// parsed in a node. What the C side parses at all (config.c: netlab's
// control and exec requests, never anything from a node) is fuzzed
// (fuzz/), and the whole side is built alone (standalone/) to run under
// AddressSanitizer and valgrind in make test.
//
// The messages are nsproc/protocol.go's; protocol.h is generated from it.
package node
