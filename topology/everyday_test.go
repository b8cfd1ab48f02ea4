package topology

import (
	"fmt"
	"strings"
	"testing"
)

// TestServices: services merge with defaults key by key, sorted by name,
// a node's own entry winning, with the position of each entry.
func TestServices(t *testing.T) {
	top, err := Parse("lab.yaml", []byte(`name: lab
defaults:
  services: {log: "syslogd -n", web: "httpd -f -p 8080"}
nodes:
  a:
    services:
      web: "httpd -f -p 80"
      db.1_x-y: "sleep infinity"
  b:
`))
	if err != nil {
		t.Fatal(err)
	}
	got := func(n string) []KeyValue { return top.Node(n).Services }
	want := []KeyValue{
		{Key: "db.1_x-y", Value: "sleep infinity", Pos: Pos{8, 7}},
		{Key: "log", Value: "syslogd -n", Pos: Pos{3, 14}},
		{Key: "web", Value: "httpd -f -p 80", Pos: Pos{7, 7}},
	}
	if g := got("a"); !equalKV(g, want) {
		t.Errorf("a: got %v, want %v", g, want)
	}
	want = []KeyValue{{Key: "log", Value: "syslogd -n", Pos: Pos{3, 14}}, {Key: "web", Value: "httpd -f -p 8080", Pos: Pos{3, 33}}}
	if g := got("b"); !equalKV(g, want) {
		t.Errorf("b: got %v, want %v", g, want)
	}
}

func equalKV(a, b []KeyValue) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || a[i].Value != b[i].Value || a[i].Pos != b[i].Pos {
			return false
		}
	}
	return true
}

func TestServiceNameProblem(t *testing.T) {
	for name, ok := range map[string]bool{
		"web": true, "0": true, "a.b_c-d": true, strings.Repeat("a", 32): true,
		strings.Repeat("a", 33): false, "": false, "Web": false, "-web": false, ".web": false, "_web": false,
		"web/x": false, "web x": false, "..": false, "wéb": false, "web\n": false,
	} {
		if got := serviceNameProblem(name) == ""; got != ok {
			t.Errorf("serviceNameProblem(%q) = %q, want ok %v", name, serviceNameProblem(name), ok)
		}
	}
}

// TestRelativeFilePathHidesNothing: a relative files: path is reported
// along with every other error of the file, including what netlab.Check
// would only say once the rest is fixed.
func TestRelativeFilePathHidesNothing(t *testing.T) {
	_, err := Parse("lab.yaml", []byte(`name: lab
nodes:
  h1:
    files:
      etc/motd: "hello\n"
      /usr/local/bin/x: "x"
    kind: rooter
`))
	errs := Errors(err)
	want := []string{
		`lab.yaml:5:7: file path "etc/motd" of node h1 is relative`,
		`lab.yaml:6:7: file /usr/local/bin/x of node h1 is outside the node's private view`,
		`lab.yaml:7:11: unknown kind "rooter" of node h1`,
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(want), err)
	}
	for i, e := range errs {
		if !strings.HasPrefix(e.Error(), want[i]) {
			t.Errorf("error %d = %q, want prefix %q", i, e, want[i])
		}
	}

	// Alone, a file outside the private view is netlab.Check's to refuse.
	if _, err := Parse("lab.yaml", []byte("name: lab\nnodes:\n  h1:\n    files: {/opt/x: \"x\"}\n")); err != nil {
		t.Errorf("Parse refused a file outside the private view by itself: %v", err)
	}
}

// TestValidateEveryError: Validate too reports a bad files: path along
// with the rest, files outside the private view included, and checks
// services.
func TestValidateEveryError(t *testing.T) {
	top := &Topology{Name: "lab", Nodes: []*Node{{Name: "a", Kind: KindHost,
		Files: []KeyValue{{Key: "etc/motd", Value: "x"}, {Key: "/opt/x", Value: "x"}},
		Services: []KeyValue{{Key: "Web", Value: "httpd"}, {Key: "db", Value: " "}, {Key: "x", Value: "a"}, {Key: "x", Value: "b"},
			{Key: strings.Repeat("s", 33), Value: "sleep 1"}},
	}}}
	err := Validate(top)
	if err == nil {
		t.Fatal("Validate accepted it")
	}
	for _, want := range []string{`file path "etc/motd" of node a is relative`, "file /opt/x of node a is outside the node's private view",
		`service name "Web" of node a is not a plain name`, "empty command of service db of node a",
		"service x of node a is listed twice", "is 33 bytes long, over 32"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate's errors lack %q:\n%v", want, err)
		}
	}
	top.Nodes[0].Files, top.Nodes[0].Services = []KeyValue{{Key: "/opt/x", Value: "x"}}, []KeyValue{{Key: "web", Value: "httpd"}}
	if err := Validate(top); err != nil {
		t.Errorf("Validate refused what is netlab.Check's to refuse: %v", err)
	}
}

func TestInPrivateView(t *testing.T) {
	for p, want := range map[string]bool{
		"/etc/motd": true, "/tmp/a/../b": true, "/dev/shm/x": true,
		"/etc": false, "/etcetera/x": false, "/etc/../usr/x": false, "etc/motd": false, "/opt/x": false,
	} {
		if got := InPrivateView(p); got != want {
			t.Errorf("InPrivateView(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestContainerlabLinks: the link form containerlab files use most,
// endpoints of quoted NODE:IFNAME strings, is netlab's long form.
func TestContainerlabLinks(t *testing.T) {
	top, err := Parse("lab.yaml", []byte(`name: lab
nodes:
  srl1:
  srl2:
links:
  - endpoints: ["srl1:e1-1", "srl2:e1-1"]
  - endpoints:
      - "srl1:e1-2"
      - "srl2:e1-2"
    mtu: 9000
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(top.Links) != 2 || top.Links[0].Endpoints[1] != (Endpoint{"srl2", "e1-1"}) || top.Links[1].MTU != 9000 {
		t.Errorf("links: %+v", top.Links)
	}
}

// TestBridgePorts: a bridge takes MaxBridgePorts link ends and no more; the
// one too many is refused at its link, naming the limit and the way out.
func TestBridgePorts(t *testing.T) {
	star := func(ports int) string {
		var b strings.Builder
		b.WriteString("name: star\nnodes:\n  sw: {kind: bridge}\n")
		for i := 1; i <= ports; i++ {
			fmt.Fprintf(&b, "  h%d: {interfaces: {eth1: []}}\n", i)
		}
		b.WriteString("links:\n")
		for i := 1; i <= ports; i++ {
			fmt.Fprintf(&b, "  - [h%d:eth1, sw:p%d]\n", i, i)
		}
		return b.String()
	}
	if _, err := Parse("star.yaml", []byte(star(MaxBridgePorts))); err != nil {
		t.Errorf("a bridge of %d ports: %v", MaxBridgePorts, err)
	}
	_, err := Parse("star.yaml", []byte(star(MaxBridgePorts+1)))
	// The bridge's end of the 1024th link: line 3 + 1024 nodes + "links:" + 1024.
	want := fmt.Sprintf("star.yaml:%d:18: bridge sw has 1024 ports, and a Linux bridge takes at most 1023; split the LAN into bridges of at most 1023 ports joined by links between them", 3+MaxBridgePorts+1+1+MaxBridgePorts+1)
	if err == nil || err.Error() != want {
		t.Errorf("a bridge of %d ports: %v\nwant %s", MaxBridgePorts+1, err, want)
	}
}
