// Package wire builds the network of a lab between network namespaces that
// already exist: veth pairs created with each end straight in its node's
// namespace, bridges, addresses, routes and sysctls.
//
// Veth pairs are made from netlink sockets of the caller's own namespace,
// each end placed in its node's by IFLA_NET_NS_FD; everything else goes
// through a netlink socket bound to the node's namespace. The calling
// thread never changes namespace. The one exception is sysctls, which the
// kernel resolves by the namespace of the writing thread: they are written
// from a locked OS thread that enters the node's namespace and is then
// discarded, never returned to Go's pool.
//
// Nothing is ever created in the host's namespace, so a crash cannot strand
// an interface there: whatever exists dies with the node namespaces.
package wire
