// Package netlab brings labs up and down: it plans a lab from a validated
// topology, starts its nodes (package nsproc), wires them (package
// netlab/wire), records every step in a state directory, and answers status
// and exec from that state alone, never from the topology file.
//
// State of lab L lives in STATEROOT/L/ (/run/netlab/L/ for root):
//
//	state.json      the lab as resolved plus its runtime facts, written
//	                atomically before anything depends on them
//	NODE.sock       each node's exec socket, served by the node's init
//	hosts           the lab's /etc/hosts; each init copies it into its /etc
//	nodes/NODE/etc/ daemon configuration (frr, bird nodes only) that the
//	                node's init copies into its /etc layer
//	supervisor.log  what the supervisor and the nodes printed before they
//	                were ready
//	supervisor.sock where the supervisor listens after up: restart, stop,
//	                start, events (0600, the lab owner's)
//	events.log      what verbs did (link set, impairments, restart, stop,
//	                start), JSON lines that netlab events follows
//
// Network namespaces are also registered as /run/netns/LAB-NODE for
// iproute2, each only after state.json records the namespace's inode, so
// that down never unregisters a name it did not make.
//
// Locking: /run/netlab itself is flocked only while a lab directory is
// created or its uid range chosen; a lab's directory is flocked for the
// whole of an up or a down, so two of them on one lab never interleave.
//
// The machine is a value: a Machine says whose labs they are, where their
// state lives (Machine.StateRoot), where their ids and cgroups come from
// and whether their netns get names, chosen once by the program
// (ThisMachine) and carried by Up and by every Lab. Every operation on a
// lab is a method of *Lab, opened once (Machine.OpenLab). Root reaches an
// ordinary user's labs through a Machine of that user's (UserMachines,
// AllMachines), whose state it reads as hostile input, beneath one checked
// descriptor, and changes only by running netlab as that user
// (Machine.RunAsOwner). LabRef and NodeRef name a lab or node with its
// machine (USER:LAB/NODE on the command line; see Machine.ResolveNode and
// Machine.FindLab).
//
// A node's binds are mounted by the node side as the node starts
// (nsproc.NodeConfig.Binds), before any of its processes run. After
// wiring, each node's exec steps run with its env, a node's after those of
// the nodes it waits for (wait-for); then its services, with its env too,
// and up waits until those that say when they are ready (ready:) are.
// A node with limits: gets a cgroup of its own under the lab's, which its
// init enters before anything else (nsproc.NodeConfig.Cgroups).
//
// A lab across hosts (hosts_linux.go): every host runs the same
// topology, and up brings up this host's part, its nodes and their links,
// and a VXLAN tunnel (wire.Tunnel) for each link to a node of another
// host, numbered (VNI) from lab and link the same on every host. The
// state is this host's part (State.Host); status shows far ends with
// their host.
//
// A node's life (life_linux.go): Lab.Stop kills a node's processes
// through the supervisor, which keeps its user and network namespaces,
// and takes its link ends down; Lab.Start has the supervisor start it
// again in the held namespaces and runs up's steps for that node
// (interfaces up, addresses and routes the kernel dropped, sysctls, files,
// daemons, exec steps, services); Lab.Restart is both. Machine.Watch
// streams labs' events (package events); Lab.Save writes a topology of a
// lab as it runs.
//
// Up is all-or-nothing: on any error, or when its context is cancelled, it
// removes what it made before returning. If up is killed outright, the lab
// supervisor notices its control connection close and takes every node
// process with it; Down removes the rest from state.json.
package netlab
