package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newSaveCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "save LAB -o DIR",
		Short: "Write a topology that brings the lab back as it runs now",
		Long: `Write DIR/LAB.yaml: the lab's topology with each running node's addresses and
static routes as its kernel has them now, each FRR node's running
configuration (vtysh show running-config), each BIRD node's bird.conf, the
files under /etc the topology wrote as they are now, and every link's state
and impairments. netlab up DIR/LAB.yaml brings the same lab back (take this
one down first, or up --replace). What a topology cannot say (a route through
no gateway, an interface the node made itself) is named on stderr.`,
		Args: wantArgs(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usageError("save: say where with -o DIR")
			}
			ref, err := findLab(args[0])
			if err != nil {
				return err
			}
			l, err := ref.Open()
			if err != nil {
				return err
			}
			path, notes, err := l.Save(cmd.Context(), dir)
			if err != nil {
				return err
			}
			for _, n := range notes {
				fmt.Fprintln(cmd.ErrOrStderr(), termSafe("netlab: "+n))
			}
			fmt.Fprintln(cmd.OutOrStdout(), termSafe(path))
			return nil
		},
	}
	cmd.Flags().StringVarP(&dir, "output", "o", "", "the directory to write LAB.yaml in (made if missing)")
	return cmd
}
