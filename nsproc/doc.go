// Package nsproc runs the processes of a lab: a lab supervisor that owns the
// lab's user namespace, and per node an init (PID 1 of the node's mount and
// PID namespaces, in the lab's user namespace) and an agent (root of a user
// namespace of the node's own, which owns the node's network, UTS, IPC and
// cgroup namespaces) that runs commands inside the node on request.
//
// The netlab binary plays every role. main calls Main first: when the
// process was re-executed as a supervisor or a node init, Main runs that role
// and never returns; otherwise it returns false and the CLI runs.
//
// Shape of a running lab, and why:
//
//	netlab up (host root, or a user: rootless)
//	  └─ supervisor: new user, PID, mount, net, IPC, UTS and cgroup namespaces;
//	     lab root is an unprivileged host id (rootless: the user), not dumpable
//	       ├─ init of node r1: new mount + PID namespaces, builds the node's
//	       │  view (locked mounts), not dumpable
//	       │    └─ agent of r1: new user (node ids from lab id 1), net, UTS,
//	       │       IPC and cgroup namespaces; serves the node's exec socket
//	       └─ init of node r2 ...
//
// The supervisor is PID 1 of a PID namespace that holds every node's PID
// namespace, so killing it kills every process of the lab, daemons that
// double-forked included: nothing can escape a down. Until the caller
// detaches it, the supervisor also dies when its control connection closes,
// so an `up` killed at any moment takes its half-built lab with it.
//
// Go cannot enter a user or mount namespace once it runs threads, so
// commands are not run by setns: a node's agent accepts requests on a unix
// socket created by netlab on the host, forks the command with the stdio
// file descriptors the client sent (SCM_RIGHTS), and reports its exit status.
// It also hands out sockets opened in the node (netlink, packet), so that
// netlab never enters a namespace. protocol.go has every message.
//
// This package knows nothing of YAML or of links; it only makes processes.
package nsproc
