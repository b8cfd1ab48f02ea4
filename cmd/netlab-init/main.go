// Command netlab-init is the lab supervisor and node init of netlab, and
// nothing else: netlab starts it (from beside its own binary) in place of
// re-executing itself, because a binary without the CLI, YAML and netlink
// code starts over a millisecond sooner, once per node. Without it netlab
// works the same, re-executing itself.
package main

import (
	"fmt"
	"os"

	"github.com/netlab-dev/netlab/nsproc"
)

func main() {
	if nsproc.Main() {
		return
	}
	fmt.Fprintln(os.Stderr, "netlab-init: netlab starts this program for its labs; it is not run by hand")
	os.Exit(2)
}
