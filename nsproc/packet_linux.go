package nsproc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// packetBuffers recycles receive buffers: a packet may be up to maxPacket
// long, and a lab's up receives one per node.
var packetBuffers = sync.Pool{New: func() any {
	b := make([]byte, maxPacket)
	return &b
}}

// sendPacket writes v as one packet with files attached.
func sendPacket(c *net.UnixConn, v any, files ...*os.File) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	b = append(packetMagic[:], b...)
	if len(b) > maxPacket || len(files) > maxFiles {
		return fmt.Errorf("send %T: %d bytes and %d files, more than a packet takes: %w", v, len(b), len(files), unix.EMSGSIZE)
	}
	var oob []byte
	if len(files) > 0 {
		fds := make([]int, len(files))
		for i, f := range files {
			fds[i] = int(f.Fd())
		}
		oob = unix.UnixRights(fds...)
	}
	_, _, err = c.WriteMsgUnix(b, oob, nil)
	return err
}

// recvPacket reads one packet into v and returns the files it carried.
// io.EOF means the peer closed the connection.
func recvPacket(c *net.UnixConn, v any) ([]*os.File, error) {
	bp := packetBuffers.Get().(*[]byte)
	defer packetBuffers.Put(bp)
	buf := *bp
	oob := make([]byte, unix.CmsgSpace(4*maxFiles))
	n, oobn, flags, _, err := c.ReadMsgUnix(buf, oob)
	// Go reports an empty packet as io.EOF, but it may still carry files.
	files, ferr := parseRights(oob[:oobn])
	if errors.Is(err, io.EOF) {
		closeAll(files)
		return nil, errEOF
	}
	if err != nil {
		closeAll(files)
		return nil, err
	}
	if flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
		closeAll(files)
		return nil, fmt.Errorf("packet truncated")
	}
	if ferr != nil {
		return nil, ferr
	}
	if n == 0 {
		closeAll(files)
		return nil, errEOF
	}
	if n < len(packetMagic) || [4]byte(buf[:4]) != packetMagic {
		closeAll(files)
		return nil, fmt.Errorf("%w: %q", errProtocol, buf[:min(n, 4)])
	}
	if err := unmarshal(buf[4:n], v); err != nil {
		closeAll(files)
		return nil, fmt.Errorf("bad packet: %w", err)
	}
	return files, nil
}

func parseRights(oob []byte) ([]*os.File, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, os.NewSyscallError("parse control message", err)
	}
	var files []*os.File
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			unix.CloseOnExec(fd)
			// A socket that came from a node may have been set to
			// linger, which would block its close(): closing it here
			// resets it at once instead.
			unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
			files = append(files, os.NewFile(uintptr(fd), fmt.Sprintf("fd%d", fd)))
		}
	}
	return files, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// socketPair makes a connected SOCK_SEQPACKET pair: ours to speak on here,
// theirs (close-on-exec, so only a child's ExtraFiles pass it on) for a
// child to inherit.
func socketPair(name string) (*net.UnixConn, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, os.NewSyscallError("socketpair", err)
	}
	mine := os.NewFile(uintptr(fds[0]), name)
	theirs := os.NewFile(uintptr(fds[1]), name)
	fc, err := net.FileConn(mine)
	mine.Close()
	if err != nil {
		theirs.Close()
		return nil, nil, err
	}
	return fc.(*net.UnixConn), theirs, nil
}
