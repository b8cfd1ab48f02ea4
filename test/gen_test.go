package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// chainTopology writes a lab of n routers in a chain, r1 - r2 - ... - rn,
// each link a /30 of 10.64.0.0/10, and returns the file's path.
func chainTopology(t testing.TB, name string, n int) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\ndefaults: {kind: router}\nnodes:\n", name)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  r%d:\n    interfaces:\n", i)
		if i > 1 {
			fmt.Fprintf(&b, "      eth1: [%s/30]\n", chainAddr(i-1, 2))
		}
		if i < n {
			fmt.Fprintf(&b, "      eth2: [%s/30]\n", chainAddr(i, 1))
		}
	}
	b.WriteString("links:\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  - [r%d:eth2, r%d:eth1]\n", i, i+1)
	}
	return writeTopology(t, name, b.String())
}

// chainAddr is host h (1 or 2) of the /30 of link i.
func chainAddr(i, h int) string {
	v := 10<<24 | 64<<16 | i*4 + h
	return fmt.Sprintf("%d.%d.%d.%d", v>>24&255, v>>16&255, v>>8&255, v&255)
}

// writeTopology writes text to NAME.yaml in a directory removed with the test.
func writeTopology(t testing.TB, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// renamedTriangle is labs/triangle.yaml under another lab name.
func renamedTriangle(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "labs/triangle.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return writeTopology(t, name, strings.Replace(string(b), "name: triangle", "name: "+name, 1))
}
