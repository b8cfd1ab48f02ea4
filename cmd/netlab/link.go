package main

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/topology"
)

func newLinkCommand() *cobra.Command {
	link := &cobra.Command{
		Use:   "link",
		Short: "Change links of a running lab",
	}
	var lab, rate, delay, jitter, loss, duplicate, corrupt string
	var clear bool
	set := &cobra.Command{
		Use:   "set [--lab LAB] NODE:IFNAME [down|up] [--rate R] [--delay D] [--jitter D] [--loss P] [--clear]",
		Short: "Take a link down or up, or change what it does to packets",
		Long: `Take the link at NODE:IFNAME down or up at both of its ends: both sides lose or
regain carrier, as a routing protocol would see a pulled or replugged cable.

--rate, --delay, --jitter, --loss, --duplicate and --corrupt set what the link
does to what each of its ends sends, as the same keys of a long-form link in a
topology do: the options given replace the link's impairments; --clear removes
them. So a round trip sees them twice. Rate is bits per second as tc spells it
(10mbit, 500kbit); delay and jitter Go durations (20ms); the rest percentages.
delay, jitter, duplicate and corrupt need sch_netem in the kernel.
NODE may be LAB/NODE. Both show in netlab status.`,
		Args: wantArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			// NODE:IFNAME, the node maybe USER:LAB/NODE: no interface
			// name holds a colon.
			i := strings.LastIndex(args[0], ":")
			nodeArg, ifname, ok := args[0][:max(i, 0)], args[0][i+1:], i >= 0
			if !ok || ifname == "" || nodeArg == "" {
				return usageError("link set: %q: write NODE:IFNAME, e.g. r1:eth1", args[0])
			}
			var im topology.Impairment
			var errs []error
			bad := func(flag string, err error) { errs = append(errs, usageError("link set: --%s: %v", flag, err)) }
			for _, f := range []struct{ name, val string }{
				{"rate", rate}, {"loss", loss}, {"duplicate", duplicate}, {"corrupt", corrupt}, {"delay", delay}, {"jitter", jitter},
			} {
				if f.val != "" {
					if err := im.Set(f.name, f.val); err != nil {
						bad(f.name, err)
					}
				}
			}
			if len(errs) > 0 {
				return errors.Join(errs...)
			}
			impair := clear || !im.Zero()
			if clear && !im.Zero() {
				return usageError("link set: --clear removes every impairment; give it alone")
			}
			if len(args) == 1 && !impair {
				return usageError("link set: say down, up, or an impairment such as --rate 10mbit")
			}
			ref, err := thisMachine().ResolveNode(nodeArg, lab)
			if err != nil {
				return err
			}
			if !ref.Machine.Own() {
				return usageError("link set: %s is user %s's lab: root only reads other users' labs (and takes them down); changing them is theirs", termSafe(ref.LabRef.String()), termSafe(ref.Machine.User))
			}
			l, err := ref.Open()
			if err != nil {
				return err
			}
			node := ref.Node
			if len(args) == 2 {
				var up bool
				switch args[1] {
				case "up":
					up = true
				case "down":
				default:
					return usageError("link set: %q: write down or up", args[1])
				}
				if err := l.SetLink(cmd.Context(), node, ifname, up); err != nil {
					return err
				}
			}
			if impair {
				return l.ImpairLink(cmd.Context(), node, ifname, im)
			}
			return nil
		},
	}
	set.Flags().StringVar(&lab, "lab", "", "the lab of NODE (default: the only lab that is up)")
	set.Flags().StringVar(&rate, "rate", "", "limit each end's sending to this rate, e.g. 10mbit")
	set.Flags().StringVar(&delay, "delay", "", "delay what each end sends, e.g. 20ms (sch_netem)")
	set.Flags().StringVar(&jitter, "jitter", "", "vary the delay by up to this, e.g. 5ms (sch_netem)")
	set.Flags().StringVar(&loss, "loss", "", "drop this share of what each end sends, e.g. 1%")
	set.Flags().StringVar(&duplicate, "duplicate", "", "duplicate this share, e.g. 0.5% (sch_netem)")
	set.Flags().StringVar(&corrupt, "corrupt", "", "corrupt this share, e.g. 0.1% (sch_netem)")
	set.Flags().BoolVar(&clear, "clear", false, "remove every impairment of the link")
	link.AddCommand(set)
	return link
}
