package nsproc

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestPacket: an agent answers nodeRequest{Packet} with an AF_PACKET
// socket bound to the interface named, or the list of its interfaces.
func TestPacket(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("a packet socket needs root, and CI is set")
		}
		t.Skip("a packet socket needs root")
	}
	sock := testAgent(t, "")

	f, err := Packet(context.Background(), sock, "lo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sa, err := unix.Getsockname(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	lo, _ := net.InterfaceByName("lo")
	if ll, ok := sa.(*unix.SockaddrLinklayer); !ok || ll.Ifindex != lo.Index || ll.Hatype != unix.ARPHRD_LOOPBACK || ll.Protocol != 0x0300 {
		t.Errorf("socket bound to %+v, want lo (index %d) for ETH_P_ALL", sa, lo.Index)
	}

	_, err = Packet(context.Background(), sock, "nosuch0")
	if !errors.Is(err, ErrNoInterface) || !strings.Contains(err.Error(), `"nosuch0"`) || !strings.Contains(err.Error(), "lo") {
		t.Errorf("an interface that is not there: %v", err)
	}
	if _, err := Packet(context.Background(), filepath.Join(t.TempDir(), "none.sock"), "lo"); err == nil || errors.Is(err, ErrNoInterface) {
		t.Errorf("no agent: %v", err)
	}
}

// TestCheckPacketSocket: only an AF_PACKET SOCK_RAW socket passes.
func TestCheckPacketSocket(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := checkPacketSocket(r); err == nil {
		t.Error("a pipe passed for a packet socket")
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	udp := os.NewFile(uintptr(fd), "udp")
	defer udp.Close()
	if err := checkPacketSocket(udp); err == nil || !strings.Contains(err.Error(), "want 17 3") {
		t.Errorf("a UDP socket: %v", err)
	}
	// What Netlink checks: a NETLINK_ROUTE raw socket, nothing else.
	nfd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	nl := os.NewFile(uintptr(nfd), "netlink")
	defer nl.Close()
	if err := checkSocket(nl, unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE); err != nil {
		t.Errorf("a NETLINK_ROUTE socket refused: %v", err)
	}
	if err := checkSocket(udp, unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE); err == nil {
		t.Error("a UDP socket passed for a netlink socket")
	}
}
