package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/topology"
	"github.com/netlab-dev/netlab/topology/clab"
)

func newImportCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "import FILE.clab.yml [-o FILE]",
		Short: "Write a containerlab topology as a netlab topology, with what was mapped or dropped as comments",
		Long: `Read a containerlab topology as netlab up reads it and write the netlab
topology it stands for: an FRR image is kind frr (its bound daemons file and
frr.conf become daemons: and config:), a BIRD image kind bird, any other image
kind host running this host's programs, cmd a service, kind bridge a netlab
bridge. A comment says wherever something was mapped or dropped; warnings
(what only an engine has, software this host lacks) go to stderr. No root
needed.

Without -o the topology goes to stdout; with it, bound host paths are written
relative to FILE's directory.`,
		Args: wantArgs(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src := args[0]
			data, err := topology.ReadFile(src)
			if err != nil {
				return &exitError{code: exitUsage, msg: err.Error()}
			}
			lab, err := clab.Parse(src, data, clab.Options{})
			if err != nil {
				return err
			}
			for _, w := range lab.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "netlab: warning: %s\n", termSafe(w))
			}
			dir := ""
			if out != "" {
				if dir, err = filepath.Abs(filepath.Dir(out)); err != nil {
					return err
				}
			}
			text, err := topology.Encode(lab.Topology, topology.EncodeOptions{Dir: dir, Comments: clab.Comments(lab, src)})
			if err != nil {
				return err
			}
			if out == "" {
				_, err = cmd.OutOrStdout().Write(text)
				return err
			}
			if err := os.WriteFile(out, text, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: lab %s, %s, %s; bring it up with: netlab up %s\n", termSafe(out), termSafe(lab.Topology.Name),
				count(len(lab.Topology.Nodes), "node"), count(len(lab.Topology.Links), "link"), termSafe(out))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the netlab topology to this file instead of stdout")
	return cmd
}
