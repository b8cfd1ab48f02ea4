// Command netlab brings network labs up and down from YAML topology files.
package main

import (
	"os"

	// The node side: when this program was started as a lab supervisor,
	// it runs before main, and main never runs (see nsproc/node).
	_ "github.com/netlab-dev/netlab/nsproc/node"
)

func main() {
	os.Exit(run(os.Args[1:]))
}
