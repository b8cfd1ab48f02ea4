package nsproc

import "errors"

// errEOF is a zero-length packet: on SOCK_SEQPACKET, the peer hung up.
var errEOF = errors.New("connection closed")

// errProtocol is a packet that does not start with packetMagic: its sender
// speaks another version of protocol.go (a lab started by another netlab
// binary), or is not netlab's.
var errProtocol = errors.New("a packet of another protocol version (was the lab started by another netlab version? take it down with netlab down and up again)")
