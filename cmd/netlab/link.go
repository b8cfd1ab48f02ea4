package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/netlab"
)

func newLinkCommand() *cobra.Command {
	link := &cobra.Command{
		Use:   "link",
		Short: "Change links of a running lab",
	}
	var lab string
	set := &cobra.Command{
		Use:   "set [--lab LAB] NODE:IFNAME down|up",
		Short: "Take a link down or up at both ends, as pulling or replugging its cable",
		Long: `Take the link at NODE:IFNAME down or up at both of its ends: both sides lose or
regain carrier, as a routing protocol would see a pulled or replugged cable.
NODE may be LAB/NODE. The state shows in netlab status.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			nodeArg, ifname, ok := strings.Cut(args[0], ":")
			if !ok || ifname == "" {
				return usageError("link set: %q: write NODE:IFNAME, e.g. r1:eth1", args[0])
			}
			var up bool
			switch args[1] {
			case "up":
				up = true
			case "down":
			default:
				return usageError("link set: %q: write down or up", args[1])
			}
			labName, node, err := netlab.ResolveNode(nodeArg, lab)
			if err != nil {
				return usageError("%v", err)
			}
			return netlab.SetLink(labName, node, ifname, up)
		},
	}
	set.Flags().StringVar(&lab, "lab", "", "the lab of NODE (default: the only lab that is up)")
	link.AddCommand(set)
	return link
}
