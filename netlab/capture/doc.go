// Package capture records the frames of interfaces of running lab nodes as
// one pcapng stream, as `netlab capture` does. It needs no libpcap and no
// tcpdump, neither on the host nor in the nodes.
//
// # Contract
//
// Sockets. Open asks each node's agent, over the node's exec socket, for an
// AF_PACKET socket (SOCK_RAW, every protocol) bound to the interface's
// index in the node's network namespace; the agent hands it back with
// SCM_RIGHTS (see nsproc.Packet). That is the path rootless wiring takes,
// so capture works alike for root and for the ordinary user who owns a
// rootless lab; nothing enters a namespace, and whoever may reach a lab's
// exec sockets may capture in it. What comes back is checked to be a packet
// socket bound to an interface of a kind capture can describe: Ethernet and
// loopback (LINKTYPE_ETHERNET) or raw IP devices (LINKTYPE_RAW); another
// kind is refused by name. An interface the node does not have is refused
// with the list of those it has, wrapping netlab.ErrBadName, as is a node
// its lab does not have.
//
// Output. Run writes one pcapng section: a section header, one interface
// description block per Point, in the order given, named NODE:IF ("r1:eth1",
// or LAB/NODE:IF when the points span several labs), then the packets of
// every interface in one stream, then an interface statistics block per
// interface when the capture ends (not when its reader went away: nobody
// is left to read it). All blocks are written by this package (pcapng.go):
// gopacket's pcapgo writes no packet options, and importing it would cost
// every netlab command the ~4 ms initialisation of gopacket/layers (the
// tests read the output back with pcapgo, tcpdump and tshark). Timestamps are in
// nanoseconds. Frames are kept whole up to Options.Snaplen bytes (default
// 262144, as tcpdump); the block records the length on the wire.
//
// Timestamps and order. Each socket has SO_TIMESTAMPNS set: a packet's time
// is the kernel's (when the frame passed the interface, in CLOCK_REALTIME),
// or the time of receipt for a frame queued before the option was set.
// Every socket is read by a goroutine of its own into one channel; the
// writer keeps what arrived in a heap ordered by timestamp and writes a
// packet once it is older than the reorder window (Options.Window, default
// 50 ms), flushing the stream at least every half window while packets come:
// the output is in time order across interfaces unless a reader fell more
// than a window behind (then a late packet is written as it comes, out of
// order, and counted in Stats.Late), and a live reader of a pipe sees a
// packet about a window after it crossed the wire. At the end, everything
// still held is written in order.
//
// Direction. Every packet block carries epb_flags: inbound or outbound from
// the packet type that recvmsg reports in the sender's sockaddr_ll
// (PACKET_OUTGOING is outbound, every other type inbound), and the
// reception type (unicast, multicast, broadcast, promiscuous) for inbound
// ones. On a loopback interface the kernel
// shows every frame twice, as it leaves and as it arrives: the outgoing
// copy is skipped, as libpcap does. A VLAN tag the kernel took off the
// frame (PACKET_AUXDATA) is put back in, as libpcap does.
//
// Drops. When the capture ends, each interface's statistics block gives
// isb_ifrecv and isb_osdrop from PACKET_STATISTICS of its socket: the
// frames that reached the socket and those the kernel dropped because the
// socket's queue was full.
// Nothing is dropped in this process: a reader that cannot hand a packet on
// waits, and the kernel's queue (SO_RCVBUF, asked for 4 MiB) takes up the
// slack, then drops, and counts.
//
// End. Run returns when Options.Count packets are written, when
// Options.Duration has passed, when its context ends (Ctrl-C), in each case
// with the stream complete and flushed and nil error; when its writer is a
// pipe or socket whose reader went away (found by polling it, even while no
// packet comes, or by EPIPE on a write), with an error that wraps
// ErrReaderGone, having written nothing more; when a write fails, with that
// error; and when every interface went away (its lab taken down), with an
// error wrapping ErrGone after completing the stream. A link taken down and
// up again meanwhile only pauses its interface. Run never leaves a
// goroutine behind, and Close releases the sockets.
package capture
