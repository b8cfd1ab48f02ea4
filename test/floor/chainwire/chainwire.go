// Package chainwire wires a chain of network namespaces the plainest way
// netlink allows: node i and i+1 joined by a veth pair whose ends are
// created straight in their namespaces, a /30 on each end, links up.
package chainwire

import (
	"context"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/netlab-dev/netlab/netlab/parallel"
)

// Wire chains the namespaces whose descriptors are nsfds, with at most
// limit netlink operations at once.
func Wire(nsfds []int, limit int) error {
	handles := make([]*netlink.Handle, len(nsfds))
	for i, fd := range nsfds {
		h, err := netlink.NewHandleAt(netns.NsHandle(fd))
		if err != nil {
			return err
		}
		defer h.Close()
		handles[i] = h
	}
	return parallel.Each(context.Background(), len(nsfds)-1, limit, func(i int) error {
		veth := &netlink.Veth{
			LinkAttrs:     netlink.LinkAttrs{Name: "eth2", Index: 10000 + 2, TxQLen: -1},
			PeerName:      "eth1",
			PeerNamespace: netlink.NsFd(nsfds[i+1]),
		}
		if err := handles[i].LinkAdd(veth); err != nil {
			return fmt.Errorf("link %d: %w", i, err)
		}
		for end, h := range []*netlink.Handle{handles[i], handles[i+1]} {
			name := []string{"eth2", "eth1"}[end]
			l, err := h.LinkByName(name)
			if err != nil {
				return err
			}
			ip := net.IPv4(10, 64, 0, 0).To4()
			v := uint32(i)*4 + uint32(end) + 1
			ip[1] += byte(v >> 16)
			ip[2] += byte(v >> 8)
			ip[3] += byte(v)
			if err := h.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: net.CIDRMask(30, 32)}}); err != nil {
				return err
			}
			if err := h.LinkSetUp(l); err != nil {
				return err
			}
		}
		return nil
	})
}
