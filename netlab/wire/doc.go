// Package wire builds the network of a lab between network namespaces that
// already exist: veth pairs created with each end straight in its node's
// namespace, bridges, addresses, routes and sysctls.
//
// Every node gets its own netlink handle bound to its namespace; the calling
// thread never changes namespace. The one exception is sysctls, which the
// kernel resolves by the namespace of the writing thread: they are written
// from a locked OS thread that enters the node's namespace and is then
// discarded, never returned to Go's pool.
//
// Nothing is ever created in the host's namespace, so a crash cannot strand
// an interface there: whatever exists dies with the node namespaces.
package wire
