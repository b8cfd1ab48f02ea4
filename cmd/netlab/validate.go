package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func newValidateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check topology files without root; every error as FILE:LINE:COL",
		Args:  wantArgs(1, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var errs []error
			for _, f := range args {
				t, err := loadTopology(f, func(msg string) {
					fmt.Fprintf(cmd.ErrOrStderr(), "netlab: warning: %s\n", termSafe(msg))
				})
				if err == nil {
					err = thisMachine().Check(t)
				}
				if err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: lab %s is valid: %s, %s\n", termSafe(f), termSafe(t.Name),
					count(len(t.Nodes), "node"), count(len(t.Links), "link"))
			}
			return errors.Join(errs...)
		},
	}
}
