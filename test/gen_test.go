package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// chainTopology writes a lab of n routers in a chain, as make bench makes
// them (scripts/gen-topology.sh), and returns the file's path.
func chainTopology(t testing.TB, name string, n int) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(repoRoot, "scripts/gen-topology.sh"), "chain", fmt.Sprint(n), name).Output()
	if err != nil {
		t.Fatalf("gen-topology.sh: %v", err)
	}
	return writeTopology(t, name, string(out))
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
