// Package floor holds the floor programs that `make bench` measures netlab
// against: what bringing a lab up costs with everything but the essential
// stripped away.
//
//   - netfloor: networking alone. N network namespaces kept by file
//     descriptors, a chain (or, -grid, a square grid) of veth pairs
//     created straight into them, /30 addresses, links up, from one Go
//     process through netlink.
//   - cnodefloor: the node model without a runtime, in C: a supervisor
//     clones N processes without exec, each in new mount, UTS, IPC, PID,
//     network and cgroup namespaces with its own /proc and hostname. No
//     wiring: with netfloor at the same N, it is what the kernel needs of a
//     lab (make bench's ratio column).
//   - nodefloor: the node model. A supervisor in a new user namespace spawns
//     N Go node inits in new mount, UTS, IPC, PID, network and cgroup
//     namespaces, each with its own /proc and hostname, reporting ready on a
//     pipe; then the same wiring as netfloor.
//
// netfloor and nodefloor wire with package floorwire, so the difference between them is the
// cost of the node model, and the difference between nodefloor and netlab
// is the cost of everything netlab adds (state, exec sockets, /etc overlay,
// tmpfs, validation, hosts files).
package floor
