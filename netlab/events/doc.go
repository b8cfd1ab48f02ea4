// Package events is what `netlab events` streams: an Event (time, lab,
// node, interface, kind, details) as one line of text or of JSON, and the
// sources that make them that need nothing of netlab's own:
//
//   - a lab's events log (Log, Follow): an append-only file of JSON lines
//     in the lab's state directory, which netlab's verbs write (link set,
//     impairments, restart, stop, start) and a stream tails;
//   - netlink (WatchNetlink): a NETLINK_ROUTE socket of a node's network
//     namespace, subscribed to links and addresses (and routes) by the
//     stream itself once it has the socket, whose messages become link,
//     address and route events, the kernel's alone counted.
//
// The other sources are the lab's own processes, reached through package
// nsproc: the supervisor (a node started, stopped or exited, with how)
// and each node's agent (a service exited, with its code); package
// netlab's Watch joins them all into one stream.
//
// Kinds, by source:
//
//	verbs      restart stop start link-set impair
//	supervisor node-started node-stopped node-exited
//	agents     service-exited
//	cgroups    oom-kill
//	netlink    link-state link-deleted address-added address-deleted route-added route-deleted events-lost
//	stream     lab-up lab-down
package events
