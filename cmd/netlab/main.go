// Command netlab brings network labs up and down from YAML topology files.
package main

import (
	"os"

	"github.com/netlab-dev/netlab/nsproc"
)

func main() {
	// A re-executed supervisor or node init runs its role here and exits.
	if nsproc.Main() {
		return
	}
	os.Exit(run(os.Args[1:]))
}
