package test

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBadTopologies brings up every invalid topology of the parser's test
// data: each must exit 2 naming FILE:LINE, and create nothing at all.
func TestBadTopologies(t *testing.T) {
	needRoot(t)
	files, err := filepath.Glob(filepath.Join(repoRoot, "topology/testdata/invalid/*.yaml"))
	if err != nil || len(files) < 10 {
		t.Fatalf("want the invalid topologies of topology/testdata, got %d (%v)", len(files), err)
	}
	before := takeSnapshot(t)
	for _, f := range files {
		rel, _ := filepath.Rel(repoRoot, f)
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := netlab(t, "up", rel)
			if r.code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			at := regexp.MustCompile(`^` + regexp.QuoteMeta(rel) + `:\d+:\d+: \S`)
			for _, l := range lines {
				if !at.MatchString(l) {
					t.Errorf("error line without %s:LINE:COL: %q", rel, l)
				}
			}
		})
	}
	assertNoLeftovers(t, before)
}
