// Package nsproc runs the processes of a lab, from the host's side: it
// starts a lab's supervisor and has it clone nodes (Supervisor), and it
// talks to a node's agent to run commands, write files and open sockets
// in the node (Run, Put, RunLogged, Services, Netlink, Packet).
//
// The processes themselves are C, in node/: a lab supervisor that owns the
// lab's user namespace, and per node one process: PID 1 of the node's
// mount and PID namespaces, which builds the node's view as the lab's root
// and then becomes root of a user namespace of the node's own (which owns
// the node's network, UTS, IPC and cgroup namespaces), where it serves as
// the node's agent, running commands inside the node on request. The
// supervisor is the only exec of a lab: it is this program, started with a
// hidden first argument that the node side's ELF constructor catches
// before the Go runtime starts; nodes are its clones. Each is one thread.
//
//	netlab up (host root, or a user: rootless)
//	  └─ supervisor: new user, PID, mount, net, IPC, UTS and cgroup namespaces;
//	     lab root is an unprivileged host id (rootless: the user), not dumpable
//	       ├─ r1: PID 1 of new mount + PID namespaces; builds the node's view,
//	       │  then new user (node ids from lab id 1), net, UTS, IPC and cgroup
//	       │  namespaces and a locked copy of its mounts; serves the node's
//	       │  exec socket; not dumpable
//	       └─ r2 ...
//
// The supervisor is PID 1 of a PID namespace that holds every node's PID
// namespace, so killing it kills every process of the lab, daemons that
// double-forked included: nothing can escape a down. Until the caller
// detaches it, the supervisor also dies when its control connection closes,
// so an `up` killed at any moment takes its half-built lab with it.
//
// netlab never enters a namespace (Go cannot, once it runs threads): a
// node's agent accepts requests on a unix socket netlab created on the
// host, forks each command with the stdio descriptors the client sent
// (SCM_RIGHTS), and reports its exit status; it also hands out sockets
// opened in the node (netlink, packet). protocol.go has every message;
// what comes back from a node is read as hostile.
//
// The supervisor keeps each node's network namespace, and so the user
// namespace that owns it, from the node's first ready report on (the
// node's process sends them, opened from its own /proc, before any code of
// the node runs; the supervisor holds the network namespace bind-mounted in
// a mount namespace of its own, not by descriptor, and finds the user
// namespace from it with NS_GET_USERNS), so that a node's
// processes can end (Supervisor.Stop) while its interfaces stay, and start
// again in them (NodeConfig.Held: the node's new process setns()s into the
// held user, then network namespace, and makes fresh mount, UTS, IPC and
// cgroup ones, locked as a first start's are). After up detached it,
// netlab reaches it through a listening socket of the lab's
// (DialSupervisor), also to watch nodes start and end (WatchLab); a node's
// agent tells watchers of its services that end (WatchNode). A node with a
// clock offset (NodeConfig.ClockOffset) has its processes in a time
// namespace whose offsets its process writes, as the lab's root, before
// it becomes node root.
//
// This package knows nothing of YAML or of links; it only makes processes.
package nsproc
