package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/topology"
)

func newValidateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check topology files without root; every error as FILE:LINE:COL",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var errs []error
			for _, f := range args {
				t, err := topology.Load(f)
				if err == nil {
					err = netlab.Check(t)
				}
				if err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: lab %s is valid: %d nodes, %d links\n", f, t.Name, len(t.Nodes), len(t.Links))
			}
			return errors.Join(errs...)
		},
	}
}
