// Package floor holds the floor programs that `make bench` measures netlab
// against: what bringing a lab up costs with everything but the essential
// stripped away.
//
//   - netfloor: networking alone. N network namespaces kept by file
//     descriptors, a chain of veth pairs created straight into them, /30
//     addresses, links up, from one Go process through netlink.
//   - nodefloor: the node model. A supervisor in a new user namespace spawns
//     N Go node inits in new mount, UTS, IPC, PID, network and cgroup
//     namespaces, each with its own /proc and hostname, reporting ready on a
//     pipe; then the same wiring as netfloor.
//
// Both wire with package chainwire, so the difference between them is the
// cost of the node model, and the difference between nodefloor and netlab
// is the cost of everything netlab adds (state, exec sockets, /etc overlay,
// tmpfs, validation, hosts files).
package floor
