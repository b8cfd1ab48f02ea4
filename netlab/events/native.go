package events

import (
	"encoding/binary"
	"unsafe"
)

// unsafePointer points at the start of a netlink message's data, which the
// kernel aligns for its header structs.
func unsafePointer(b []byte) unsafe.Pointer { return unsafe.Pointer(&b[0]) }

func nativeUint32(b []byte) uint32 { return binary.NativeEndian.Uint32(b) }
