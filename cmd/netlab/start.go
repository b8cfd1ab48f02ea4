package main

import (
	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/netlab"
)

func newStartCommand() *cobra.Command {
	return newLifeCommand("start", "Start a stopped node again, with its links",
		`Start NODE, stopped by netlab stop (or ended: its processes gone), as up
started it, in the network namespace the lab kept: its interfaces come up
again (but those of links taken down with link set), and its addresses, routes,
files, sysctls, daemons, exec steps and services come from the topology.`,
		(*netlab.Lab).Start)
}
