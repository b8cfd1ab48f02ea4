package topology

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/netlab-dev/netlab/test/golden"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files match %s (%v)", pattern, err)
	}
	return files
}

func TestInvalid(t *testing.T) {
	for _, file := range glob(t, "testdata/invalid/*.yaml") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			top, err := Load(file)
			if err == nil {
				t.Fatalf("Load succeeded with %d nodes, want errors", len(top.Nodes))
			}
			if top != nil {
				t.Errorf("Load returned a topology along with errors")
			}
			golden.Check(t, strings.TrimSuffix(file, ".yaml")+".golden", []byte(err.Error()+"\n"))
		})
	}
}

var errorLine = regexp.MustCompile(`^testdata/invalid/[^:]+\.yaml:\d+:\d+: `)

func TestInvalidErrorsArePositioned(t *testing.T) {
	for _, file := range glob(t, "testdata/invalid/*.yaml") {
		_, err := Load(file)
		if err == nil {
			t.Errorf("%s: no error", file)
			continue
		}
		lines := strings.Split(err.Error(), "\n")
		for _, line := range lines {
			if !errorLine.MatchString(line) {
				t.Errorf("%s: error line without FILE:LINE:COL: %q", file, line)
			}
			if !strings.Contains(line, "; ") {
				t.Errorf("%s: error line without a hint after \"; \": %q", file, line)
			}
			if !printable(line) {
				t.Errorf("%s: error line with characters that do not print: %q", file, line)
			}
		}
		errs := Errors(err)
		if len(errs) != len(lines) {
			t.Errorf("%s: Errors returned %d errors for %d lines", file, len(errs), len(lines))
		}
		for _, e := range errs {
			if e.File != file || e.Pos.Line < 1 || e.Pos.Col < 1 {
				t.Errorf("%s: bad error %#v", file, e)
			}
		}
	}
}

func TestValid(t *testing.T) {
	for _, file := range glob(t, "testdata/valid/*.yaml") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			top, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			model, err := json.MarshalIndent(top, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			// Binds' host paths are absolute: the golden file has them
			// from this directory.
			here, err := filepath.Abs(".")
			if err != nil {
				t.Fatal(err)
			}
			model = []byte(strings.ReplaceAll(string(model), here+"/", "$TOPOLOGY/"))
			base := strings.TrimSuffix(file, ".yaml")
			golden.Check(t, base+".json", append(model, '\n'))
			golden.Check(t, base+".dot", []byte(top.Dot()))
			golden.Check(t, base+".mmd", []byte(top.Mermaid()))
		})
	}
}

func TestRouteTo(t *testing.T) {
	const lab = `
name: lab
nodes:
  h1:
    interfaces:
      eth1: [10.0.0.1/24, "2001:db8::1/64"]
    routes: [{to: %s, via: "%s"}]
  h2:
links:
  - [h1:eth1, h2:eth1]
`
	tests := []struct {
		to, via string
		want    netip.Prefix
	}{
		{"default", "10.0.0.2", netip.MustParsePrefix("0.0.0.0/0")},
		{"default", "2001:db8::2", netip.MustParsePrefix("::/0")},
		{"192.0.2.7", "10.0.0.2", netip.MustParsePrefix("192.0.2.7/32")},
		{`"2001:db8:9::7"`, "2001:db8::2", netip.MustParsePrefix("2001:db8:9::7/128")},
		{"192.0.2.0/24", "10.0.0.2", netip.MustParsePrefix("192.0.2.0/24")},
	}
	for _, tt := range tests {
		top, err := Parse("lab.yaml", fmt.Appendf(nil, lab, tt.to, tt.via))
		if err != nil {
			t.Errorf("to %s via %s: %v", tt.to, tt.via, err)
			continue
		}
		r := top.Node("h1").Routes[0]
		if r.To != tt.want || r.Via != netip.MustParseAddr(tt.via) {
			t.Errorf("to %s via %s: got to %s via %s, want to %s", tt.to, tt.via, r.To, r.Via, tt.want)
		}
	}
}

func TestErrors(t *testing.T) {
	_, err := Parse("x.yaml", []byte("name: x\nnodes: {}\nlinks: 1\n"))
	wrapped := fmt.Errorf("validate: %w", err)
	errs := Errors(wrapped)
	if len(errs) != 2 {
		t.Fatalf("Errors(%q) = %d errors, want 2", wrapped, len(errs))
	}
	want := "x.yaml:2:1: no nodes; add at least one node under nodes:, e.g. h1: {}"
	if errs[0].Error() != want {
		t.Errorf("got %q, want %q", errs[0].Error(), want)
	}
	var e *Error
	if !errors.As(wrapped, &e) || e != errs[0] {
		t.Errorf("errors.As does not find the first *Error")
	}

	_, err = Load("testdata/no-such-file.yaml")
	if !errors.Is(err, os.ErrNotExist) || Errors(err) != nil {
		t.Errorf("Load of a missing file: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.yaml")
	labs, _ := filepath.Glob("../labs/*.yaml")
	for _, file := range append(seeds, labs...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		top, err := Parse("fuzz.yaml", data)
		if (top == nil) == (err == nil) {
			t.Fatalf("got topology %v and error %v, want exactly one", top, err)
		}
		if err != nil {
			joined, ok := err.(interface{ Unwrap() []error })
			if !ok {
				t.Fatalf("error is %T, want errors.Join of *Error", err)
			}
			for _, e := range joined.Unwrap() {
				e, ok := e.(*Error)
				if !ok {
					t.Fatalf("error %v is %T, want *Error", e, e)
				}
				if e.Pos.Line < 1 || e.Pos.Col < 1 || e.File != "fuzz.yaml" || !printable(e.Msg) {
					t.Fatalf("bad error %#v", e)
				}
			}
			return
		}
		for _, l := range top.Links {
			for _, e := range l.Endpoints {
				if n := top.Node(e.Node); n == nil || n.Interface(e.Interface) == nil {
					t.Fatalf("link end %s has no node or interface", e)
				}
			}
		}
		top.Dot()
		top.Mermaid()
	})
}
