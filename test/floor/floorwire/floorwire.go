// Package floorwire wires network namespaces the plainest way netlink
// allows, for the floor programs: each pair joined by a veth pair whose
// ends are created straight in their namespaces, a /30 on each end, links
// up. Chain and Grid are the pairs of make bench's labs.
package floorwire

import (
	"context"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/netlab/parallel"
)

// Chain is the pairs of a chain of n namespaces: i and i+1.
func Chain(n int) [][2]int {
	var out [][2]int
	for i := 0; i+1 < n; i++ {
		out = append(out, [2]int{i, i + 1})
	}
	return out
}

// Grid is the pairs of a side x side grid, in the order
// scripts/gen-topology.sh makes its links: row by row, each namespace's
// east link, then its south link.
func Grid(side int) [][2]int {
	var out [][2]int
	for r := range side {
		for c := range side {
			if c+1 < side {
				out = append(out, [2]int{r*side + c, r*side + c + 1})
			}
			if r+1 < side {
				out = append(out, [2]int{r*side + c, (r+1)*side + c})
			}
		}
	}
	return out
}

// Wire joins the namespaces whose descriptors are nsfds as pairs says,
// with at most limit netlink operations at once. A namespace's first end
// is eth1, its next eth2, and so on. A link's two ends are configured
// through sockets opened in their namespaces for it, and closed after:
// one socket held per namespace would not fit a 10,000-node lab in a
// limit of 20,000 open files (this machine's, with no CAP_SYS_RESOURCE to
// raise it), besides its namespaces' own descriptors.
func Wire(nsfds []int, pairs [][2]int, limit int) error {
	// Each end's name, numbered in each namespace in the pairs' order.
	ends := make([]int, len(nsfds))
	names := make([][2]string, len(pairs))
	for k, p := range pairs {
		for e, i := range p {
			ends[i]++
			names[k][e] = fmt.Sprintf("eth%d", ends[i])
		}
	}
	// The first end gets a fixed ifindex, as netlab pins them (see
	// wire.End), the second the kernel's.
	return parallel.Each(context.Background(), len(pairs), limit, func(k int) error {
		p := pairs[k]
		var handles [2]*netlink.Handle
		for e, i := range p {
			h, err := netlink.NewHandleAt(netns.NsHandle(nsfds[i]), unix.NETLINK_ROUTE)
			if err != nil {
				return err
			}
			defer h.Close()
			handles[e] = h
		}
		veth := &netlink.Veth{
			LinkAttrs:     netlink.LinkAttrs{Name: names[k][0], Index: 10000 + endNumber(names[k][0]), TxQLen: -1},
			PeerName:      names[k][1],
			PeerNamespace: netlink.NsFd(nsfds[p[1]]),
		}
		if err := handles[0].LinkAdd(veth); err != nil {
			return fmt.Errorf("link %d: %w", k, err)
		}
		for e, h := range handles {
			l, err := h.LinkByName(names[k][e])
			if err != nil {
				return err
			}
			ip := net.IPv4(10, 64, 0, 0).To4()
			v := uint32(k)*4 + uint32(e) + 1
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

// endNumber is N of ethN.
func endNumber(name string) int {
	var n int
	fmt.Sscanf(name, "eth%d", &n)
	return n
}
