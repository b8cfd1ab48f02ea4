package clab

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/netlab-dev/netlab/test/golden"
	"github.com/netlab-dev/netlab/topology"
)

// testOptions are a machine of the tests' own: a few variables set, and
// every program there but those missing, so that golden files say the
// same on every machine.
func testOptions(missing ...string) Options {
	env := map[string]string{"GREETING": "hello", "HOME_DIR": ""}
	return Options{
		LookupEnv:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		HasProgram: func(p string) bool { return !slices.Contains(missing, p) },
	}
}

// labFiles are every containerlab file under testdata: containerlab's own
// lab-examples and tests, public labs of other repositories, and netlab's.
func labFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err == nil && (strings.HasSuffix(p, ".clab.yml") || strings.HasSuffix(p, ".clab.yaml")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("no containerlab files under testdata (%v)", err)
	}
	return files
}

// TestLabs reads every file under testdata as netlab up would and
// compares with testdata/golden: for a lab netlab runs, its warnings and
// the topology netlab import writes; for one it refuses, every error, each
// at FILE:LINE:COL.
func TestLabs(t *testing.T) {
	for _, file := range labFiles(t) {
		t.Run(file, func(t *testing.T) {
			lab, err := Load(file, testOptions("nginx", "ash", "bgpd"))
			want := filepath.Join("testdata", "golden", strings.TrimPrefix(file, "testdata/")+".golden")
			if err != nil {
				for _, e := range topology.Errors(err) {
					if e.Pos.Line < 1 || !strings.Contains(e.Msg, "; ") && !strings.Contains(e.Msg, ": ") {
						t.Errorf("error without a place or a fix: %v", e)
					}
				}
				golden.Check(t, want, []byte(err.Error()+"\n"))
				return
			}
			dir, _ := filepath.Abs(filepath.Dir(file))
			out, err := topology.Encode(lab.Topology, topology.EncodeOptions{Dir: dir, Comments: Comments(lab, filepath.Base(file))})
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, want, []byte(strings.Join(lab.Warnings, "\n")+"\n---\n"+string(out)))
		})
	}
}

// TestImportRoundTrip: the topology netlab import writes of each lab
// validates, and reads back as the same lab as the containerlab file.
func TestImportRoundTrip(t *testing.T) {
	for _, file := range labFiles(t) {
		lab, err := Load(file, testOptions())
		if err != nil {
			continue // refused: TestLabs shows why
		}
		dir, _ := filepath.Abs(filepath.Dir(file))
		imported, err := topology.Encode(lab.Topology, topology.EncodeOptions{Dir: dir, Comments: Comments(lab, file)})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		back, err := topology.Parse(filepath.Join(dir, "imported.yaml"), imported)
		if err != nil {
			t.Errorf("%s: the imported topology does not read back:\n%v\n%s", file, err, imported)
			continue
		}
		direct, _ := topology.Encode(lab.Topology, topology.EncodeOptions{Dir: dir})
		again, _ := topology.Encode(back, topology.EncodeOptions{Dir: dir})
		if string(direct) != string(again) {
			t.Errorf("%s: the imported topology reads back as another lab:\n--- direct\n%s\n--- imported\n%s", file, direct, again)
		}
	}
}

// TestFrr01: containerlab's frr01 as netlab runs it: three FRR routers with
// ospfd and ldpd from their daemons files, frr.conf as config, hosts with
// their exec steps, links at containerlab's MTU, and nothing but the image
// tags left out.
func TestFrr01(t *testing.T) {
	lab, err := Load("testdata/containerlab/lab-examples/frr01/frr01.clab.yml", testOptions())
	if err != nil {
		t.Fatal(err)
	}
	top := lab.Topology
	if top.Name != "frr01" || len(top.Nodes) != 6 || len(top.Links) != 6 {
		t.Fatalf("lab %s: %d nodes, %d links", top.Name, len(top.Nodes), len(top.Links))
	}
	r1 := top.Node("router1")
	if r1.Kind != topology.KindFRR || !slices.Equal(r1.Daemons, []string{"ospfd", "ldpd"}) || !strings.Contains(r1.Config, "router ospf") {
		t.Errorf("router1: kind %s, daemons %v, config %q", r1.Kind, r1.Daemons, r1.Config)
	}
	if len(r1.DaemonOptions) != 1 || r1.DaemonOptions[0] != (topology.KeyValue{Key: "zebra", Value: "-s 90000000", Pos: r1.DaemonOptions[0].Pos, ValuePos: r1.DaemonOptions[0].ValuePos}) {
		t.Errorf("router1's daemon options: %+v", r1.DaemonOptions)
	}
	if len(r1.Binds) != 0 {
		t.Errorf("router1's FRR files are read, not mounted: %v", r1.Binds)
	}
	pc1 := top.Node("PC1")
	if pc1.Kind != topology.KindHost || len(pc1.Exec) != 4 || !strings.HasPrefix(pc1.Exec[1], "ip addr add 192.168.11.2/24 dev eth1 || ") {
		t.Errorf("PC1: kind %s, exec %q", pc1.Kind, pc1.Exec)
	}
	for _, l := range top.Links {
		if l.MTU != DefaultMTU {
			t.Errorf("link %v: mtu %d", l.Endpoints, l.MTU)
		}
	}
	if len(lab.Warnings) != 1 || !strings.Contains(lab.Warnings[0], "image tags (line 7)") {
		t.Errorf("warnings: %q", lab.Warnings)
	}
}

// TestWarningLine: every engine setting left out is named on one line,
// each with its first line.
func TestWarningLine(t *testing.T) {
	lab, err := Parse("lab.clab.yml", []byte(`name: w
mgmt: {network: m}
topology:
  defaults: {kind: linux, image: "alpine:3", labels: {a: b}}
  nodes:
    h1: {mgmt-ipv4: 172.20.20.2, ports: ["80:80"], labels: {c: d}}
    h2: {healthcheck: {test: [CMD, "true"]}, hostname: x}
`), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := "lab.clab.yml: left out what only a container engine has, which changes nothing in the lab's network: " +
		"healthcheck (line 7), hostname (line 7), image tags (line 4), labels (line 4), mgmt (line 2), mgmt-ipv4 (line 6), ports (line 6)"
	if len(lab.Warnings) != 1 || lab.Warnings[0] != want {
		t.Errorf("warnings:\n%q\nwant\n%q", lab.Warnings, want)
	}
}

// TestExpand: containerlab's envsubst forms, an unset variable without a
// default kept as written.
func TestExpand(t *testing.T) {
	env := map[string]string{"SET": "v", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for in, want := range map[string]string{
		"$SET ${SET}":                      "v v",
		"$UNSET ${UNSET}":                  "$UNSET ${UNSET}",
		"${UNSET:=d} ${UNSET:-d}":          "d d",
		"${EMPTY:=d} ${EMPTY=d}":           "d ",
		"${EMPTY-d} ${UNSET-d}":            " d",
		"${SET:+w} ${EMPTY:+w}|${EMPTY+w}": "w |w",
		"${UNSET:-${SET}}":                 "v",
		"$$SET costs $5":                   "$SET costs $5",
		"a$":                               "a$",
		"${unclosed":                       "${unclosed",
		"__clab${SET}__":                   "__clabv__",
	} {
		if got := expand(in, lookup); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSplitWords: a command as containerlab's exec splits it, and the
// shell line netlab runs gives the program the same words.
func TestSplitWords(t *testing.T) {
	for in, want := range map[string][]string{
		`ip addr add 10.0.0.1/24 dev eth1`:              {"ip", "addr", "add", "10.0.0.1/24", "dev", "eth1"},
		`ash -c "echo $MYVAR > /tmp/var && sleep 9999"`: {"ash", "-c", "echo $MYVAR > /tmp/var && sleep 9999"},
		`bash -c 'echo "hi" ; ls' # comment`:            {"bash", "-c", `echo "hi" ; ls`},
		`echo a\ b "c\"d" e\\f`:                         {"echo", "a b", `c"d`, `e\f`},
		`echo && echo`:                                  {"echo", "&&", "echo"},
	} {
		got, why := splitWords(in)
		if why != "" || !slices.Equal(got, want) {
			t.Errorf("splitWords(%q) = %q, %q; want %q", in, got, why, want)
			continue
		}
		back, _ := splitWords(shellLine(got))
		if !slices.Equal(back, want) {
			t.Errorf("shellLine(%q) = %q reads back as %q", got, shellLine(got), back)
		}
	}
	if _, why := splitWords(`echo "open`); why == "" {
		t.Error("an open quote was accepted")
	}
}

func TestDockerBytes(t *testing.T) {
	for in, want := range map[string]int64{"1G": 1 << 30, "512mb": 512 << 20, "1.5g": 3 << 29, "2048": 2048, "1GiB": 1 << 30, "64 KB": 64 << 10} {
		if got, ok := dockerBytes(in); !ok || got != want {
			t.Errorf("dockerBytes(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "lots", "-1G", "1X"} {
		if _, ok := dockerBytes(in); ok {
			t.Errorf("dockerBytes(%q) accepted it", in)
		}
	}
}

func TestIs(t *testing.T) {
	for _, tt := range []struct {
		file, data string
		want       bool
	}{
		{"lab.clab.yml", "", true},
		{"lab.clab.yaml", "", true},
		{"lab.yaml", "name: x\ntopology:\n  nodes: {}\n", true},
		{"lab.yaml", "name: x\nnodes: {h1: {}}\n", false},
		{"lab.yaml", "- not a mapping\n", false},
	} {
		if got := Is(tt.file, []byte(tt.data)); got != tt.want {
			t.Errorf("Is(%s, %q) = %v", tt.file, tt.data, got)
		}
	}
}

// FuzzParse: whatever the file, Parse returns a lab or errors with places,
// never both, never a panic.
func FuzzParse(f *testing.F) {
	for _, file := range []string{"testdata/netlab/merge.clab.yml", "testdata/netlab/unsupported.clab.yml", "testdata/netlab/software.clab.yml",
		"testdata/containerlab/lab-examples/frr01/frr01.clab.yml", "testdata/containerlab/tests/01-smoke/stages.clab.yml"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lab, err := Parse("testdata/netlab/fuzz.clab.yml", data, testOptions())
		if (lab == nil) == (err == nil) {
			t.Fatalf("got lab %v and error %v, want exactly one", lab, err)
		}
		for _, e := range topology.Errors(err) {
			if e.Pos.Line < 1 || e.Pos.Col < 1 {
				t.Fatalf("error without a place: %#v", e)
			}
		}
	})
}
