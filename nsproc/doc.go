// Package nsproc runs the processes of a lab: a lab supervisor that owns the
// lab's user namespace, one init per node as PID 1 of the node's own mount,
// UTS, IPC, PID, network and cgroup namespaces, and commands run inside a
// node on request.
//
// The netlab binary plays every role. main calls Main first: when the
// process was re-executed as a supervisor or a node init, Main runs that role
// and never returns; otherwise it returns false and the CLI runs.
//
// Shape of a running lab, and why:
//
//	netlab up (host root)
//	  └─ supervisor: new user + PID namespace, root mapped to an unprivileged range
//	       ├─ init of node r1: new mnt/uts/ipc/pid/net/cgroup namespaces
//	       └─ init of node r2 ...
//
// The supervisor is PID 1 of a PID namespace that holds every node's PID
// namespace, so killing it kills every process of the lab, daemons that
// double-forked included: nothing can escape a down. Until the caller
// detaches it, the supervisor also dies when its control connection closes,
// so an `up` killed at any moment takes its half-built lab with it.
//
// Go cannot enter a user or mount namespace once it runs threads, so
// commands are not run by setns: a node's init accepts requests on a unix
// socket created by netlab on the host, forks the command with the stdio
// file descriptors the client sent (SCM_RIGHTS), and reports its exit status.
//
// This package knows nothing of YAML or of links; it only makes processes.
package nsproc
