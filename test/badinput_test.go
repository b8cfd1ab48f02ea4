package test

import (
	"os"
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
	for _, f := range files {
		rel, _ := filepath.Rel(repoRoot, f)
		t.Run(filepath.Base(f), func(t *testing.T) {
			// Whatever lab the file names (if it names one at all).
			lab := labNameIn(f)
			before := takeSnapshot(t, lab, nil)
			defer assertNoLeftovers(t, before, nil)
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
}

// labNameIn returns the value of the file's top-level name key, or a name
// no lab has.
func labNameIn(file string) string {
	b, _ := os.ReadFile(file)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "name:"); ok {
			if v = strings.Trim(strings.TrimSpace(v), `"'`); v != "" {
				return v
			}
		}
	}
	return "no-name-given"
}

// TestLongStateDir: a state directory so deep that a node's socket path
// would not fit a unix socket is refused before anything is made, saying
// what to do.
func TestLongStateDir(t *testing.T) {
	needRoot(t)
	deep := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 40))
	if err := os.MkdirAll(deep, 0o700); err != nil {
		t.Fatal(err)
	}
	before := takeSnapshot(t, "triangle", nil)
	r := netlabWith(t, nil, []string{"NETLAB_STATE_DIR=" + filepath.Join(deep, "st")}, "up", "labs/triangle.yaml")
	if r.code != 1 || !strings.Contains(r.stderr, "more than a unix socket's path may be (107): set NETLAB_STATE_DIR to a shorter directory") {
		t.Errorf("up with a deep state directory: exit %d, %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(deep, "st")); err == nil {
		t.Errorf("the refused up made its state directory")
	}
	assertNoLeftovers(t, before, nil)
}

// TestForeignStateDir: a state directory another user made (here nobody's)
// is refused by reading and writing verbs alike, saying whose it is, and
// nothing is made in it.
func TestForeignStateDir(t *testing.T) {
	needRoot(t)
	dir := filepath.Join(t.TempDir(), "st")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	env := []string{"NETLAB_STATE_DIR=" + dir}
	for _, args := range [][]string{{"status"}, {"up", "labs/triangle.yaml"}, {"down", "--all"}, {"exec", "triangle/r1", "--", "true"}} {
		r := netlabWith(t, nil, env, args...)
		if r.code == 0 || !strings.Contains(r.stderr, "is not a 0700 directory of yours (owner uid 65534") {
			t.Errorf("netlab %s with nobody's state directory: exit %d, %q", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("netlab wrote into nobody's state directory: %v", entries)
	}
}
