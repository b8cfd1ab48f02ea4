// Package node is netlab's node side, in C: the lab supervisor and each
// node's one process, single-threaded, none of them an exec but the
// supervisor's. Importing it (nsproc does) links an ELF constructor that
// runs before the Go runtime starts: when the program was started as a lab
// supervisor (nsproc.StartSupervisor execs it so, once per lab), the
// constructor runs the supervisor and never returns, so the Go runtime
// never starts in it; otherwise it returns at once and the program goes on
// as usual. This is runc's nsexec pattern, and it keeps netlab one binary
// that `go install` builds wherever cgo works.
//
//	netlab up ──exec──▶ supervisor: becomes an id of the lab's own, makes the
//	                    lab's user namespace, then (exec once more inside
//	                    it) new PID, mount, net, IPC, UTS, cgroup
//	                    namespaces; makes what all nodes share
//	                      ├─clone─▶ r1: new mount + PID namespaces (PID 1);
//	                      │         as lab root, builds the node's view;
//	                      │         then a user namespace of its own (node
//	                      │         ids from lab id 1, mapped by the
//	                      │         supervisor), net, UTS, IPC, cgroup and a
//	                      │         locked copy of its mounts; serves the
//	                      │         node's exec socket as its agent
//	                      └─clone─▶ r2 ...
//
// A clone carries its parent's memory: the supervisor decodes a spawn
// request once and the node starts with it decoded, so nothing is parsed
// in a node. What the C side parses (config.c: netlab's control and exec
// requests) is fuzzed (fuzz/). The supervisor reads what its own node's
// process sends (the "u" that asks for maps, the ready report with its
// namespaces) only before any code of the node runs, and nothing from a
// node after that; an agent reads only its clients'. The whole side is
// built alone (standalone/) to run under AddressSanitizer and valgrind
// (make node-check).
//
// The supervisor holds each node's network namespace (sent up with the
// node's ready report), and through it the user namespace that owns it,
// for as long as the lab runs: a node it stops (its process killed, and
// with it every process of the node) keeps its interfaces, and a held
// spawn clones a process that enters them with setns instead of making new
// ones. It holds them as bind mounts in a mount namespace of its own that
// no node copies, not as descriptors: the supervisor of a 10,000-node lab
// holds a dozen descriptors, as does a 10-node lab's. It serves netlab on up's connection
// and, later, on a listening socket up handed it; watchers there hear of
// nodes that start and end. An agent's watchers hear of services that end.
// Events are sent without blocking: a watcher that does not read is
// dropped, never waited for.
//
// The messages are nsproc/protocol.go's; protocol.h is generated from it.
package node
