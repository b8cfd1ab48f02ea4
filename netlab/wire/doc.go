// Package wire builds the network of a lab between network namespaces that
// already exist: veth pairs created with each end straight in its node's
// namespace, bridges, addresses and routes.
//
// It works only through netlink sockets it is handed (Socket), opened by
// the lab itself: one in the lab supervisor's namespace, from which veth
// pairs are made with each end placed in its node's by IFLA_NET_NS_FD, and
// one per node, opened by the node's agent in the node's namespace, for
// everything else. No thread ever changes namespace, so an ordinary user
// who owns the lab's user namespace wires it the same way root does.
//
// A link to a node of another host is a Tunnel: a VXLAN device made in the
// node's namespace through a socket of the host's, so that its UDP socket
// is the host's, on the underlay (vxlan_linux.go).
//
// Nothing is ever created in the host's namespace, so a crash cannot strand
// an interface there: whatever exists dies with the node namespaces (a
// tunnel's UDP socket with its device).
// Sysctls are the agent's job: the kernel resolves them by the namespace of
// the writing thread.
package wire
