package netlab

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/topology"
)

// ErrKernelFeature is wrapped by errors about something this kernel lacks.
var ErrKernelFeature = errors.New("missing kernel feature")

// probeKernel checks, before anything is made, that the kernel has what t
// needs: user namespaces always, veth pairs when t has links, bridges when
// it has bridge nodes. Devices are tried in a network namespace of a
// throwaway thread, which the kernel removes with them when the thread ends.
func probeKernel(t *topology.Topology) error {
	if err := probeUserNamespaces(); err != nil {
		return err
	}
	var kinds []string
	if len(t.Links) > 0 {
		kinds = append(kinds, "veth")
	}
	for _, n := range t.Nodes {
		if n.Kind == topology.KindBridge {
			kinds = append(kinds, "bridge")
			break
		}
	}
	// An ordinary user cannot make a network namespace to try devices
	// in; a missing kind then fails wiring, with the same message.
	if len(kinds) == 0 || CurrentMode().Rootless {
		return nil
	}
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread, and the namespace only it is in,
		// end with this goroutine.
		runtime.LockOSThread()
		errc <- probeLinks(kinds)
	}()
	return <-errc
}

func probeUserNamespaces() error {
	b, err := os.ReadFile("/proc/sys/user/max_user_namespaces")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w: user namespaces (CONFIG_USER_NS): this kernel has none", ErrKernelFeature)
		}
		return err
	}
	if n, _ := strconv.Atoi(strings.TrimSpace(string(b))); n == 0 {
		return fmt.Errorf("%w: user namespaces are disabled (sysctl user.max_user_namespaces = 0); enable them, as root: sysctl -w user.max_user_namespaces=15000", ErrKernelFeature)
	}
	return nil
}

// probeLinks runs on a locked thread: it moves the thread into a new
// network namespace and creates one device of each kind there.
func probeLinks(kinds []string) error {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("probe kernel: %w", os.NewSyscallError("unshare", err))
	}
	h, err := netlink.NewHandle()
	if err != nil {
		return fmt.Errorf("probe kernel: %w", err)
	}
	defer h.Close()
	for _, kind := range kinds {
		var l netlink.Link
		switch kind {
		case "veth":
			l = &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "probe0", TxQLen: -1}, PeerName: "probe1"}
		case "bridge":
			l = &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "probe2", TxQLen: -1}}
		}
		if err := h.LinkAdd(l); err != nil {
			if errors.Is(err, unix.EOPNOTSUPP) {
				return fmt.Errorf("%w: %s devices (kernel module %s); load it with: modprobe %s", ErrKernelFeature, kind, kind, kind)
			}
			return fmt.Errorf("probe kernel for %s devices: %w", kind, err)
		}
	}
	return nil
}
