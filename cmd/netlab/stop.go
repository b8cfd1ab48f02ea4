package main

import (
	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/netlab"
)

func newStopCommand() *cobra.Command {
	return newLifeCommand("stop", "Stop a node as a power cut would; its links lose carrier",
		`Stop NODE: every process of it is killed and its interfaces go down, so its
neighbours lose carrier. The lab keeps its network namespace (its interfaces,
their indexes and addresses) until netlab start NODE brings it back, or down
removes the lab. netlab status shows it stopped; exec into it says so.`,
		(*netlab.Lab).Stop)
}
