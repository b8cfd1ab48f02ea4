package nsproc

import "errors"

// errEOF is a zero-length packet: on SOCK_SEQPACKET, the peer hung up.
var errEOF = errors.New("connection closed")
