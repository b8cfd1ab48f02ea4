package topology

import (
	"encoding/json"
	"strings"
	"testing"
)

func parseGraph(t *testing.T, src string) *Topology {
	t.Helper()
	top, err := Parse("g.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return top
}

const ring = `
name: ring
defaults: {kind: router}
nodes:
  r1: {interfaces: {lo: [10.255.0.1/32], eth1: [10.0.12.1/24], eth2: [10.0.14.1/24]}}
  r2: {interfaces: {eth1: [10.0.23.2/24], eth2: [10.0.12.2/24]}}
  r3: {interfaces: {eth1: [10.0.34.3/24], eth2: [10.0.23.3/24]}}
  r4: {interfaces: {eth1: [10.0.14.4/24], eth2: [10.0.34.4/24]}}
links:
  - [r1:eth1, r2:eth2]
  - [r2:eth1, r3:eth2]
  - [r3:eth1, r4:eth2]
  - endpoints: [r4:eth1, r1:eth2]
    mtu: 9000
`

const lan = `
name: lan
nodes:
  h1: {interfaces: {eth1: [10.0.0.1/24]}}
  h2: {interfaces: {eth1: [10.0.0.2/24]}}
  sw: {kind: bridge}
links:
  - [h1:eth1, sw:p1]
  - [h2:eth1, sw:p2]
`

// TestDotLayout: rings and meshes, and anything without a LAN, are drawn
// with circo (a ring as a ring, not as a column); LANs without a cycle
// with dot.
func TestDotLayout(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"ring", ring, "\tlayout=circo;\n"},
		{"lan", lan, "\tlayout=dot;"},
		{"lan with a ring", lan + "  - [h1:eth2, h2:eth2]\n", "\tlayout=circo;\n"},
		{"chain", "name: c\nnodes: {a: {}, b: {}, c: {}}\nlinks: [[a:e1, b:e1], [b:e2, c:e1]]\n", "\tlayout=circo;\n"},
	} {
		if dot := parseGraph(t, tt.src).Dot(); !strings.Contains(dot, tt.want) {
			t.Errorf("%s: no %q in\n%s", tt.name, tt.want, dot)
		}
	}
}

func TestDotShapes(t *testing.T) {
	dot := parseGraph(t, ring).Dot()
	// Interface names at the link ends, addresses in the nodes.
	for _, want := range []string{
		`"r1" -- "r2" [taillabel="eth1", headlabel="eth2"];`,
		`"r4" -- "r1" [taillabel="eth1", headlabel="eth2", label="mtu 9000"];`,
		`<b>r1</b> router</td></tr><tr><td colspan="2">10.255.0.1/32</td></tr>`,
		`<font point-size="9">eth1</font></td><td align="left"><font point-size="9">10.0.12.1/24</font>`,
		`"r1" [style="rounded,filled"`,
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("no %s in\n%s", want, dot)
		}
	}
	if strings.Contains(dot, "dashed") {
		t.Errorf("a topology file has a dashed link:\n%s", dot)
	}
	dot = parseGraph(t, lan).Dot()
	for _, want := range []string{`"sw" [shape=box3d, style=filled, fillcolor="#eeeeee", label="sw\nbridge"];`, `"h1" [label=<`} {
		if !strings.Contains(dot, want) {
			t.Errorf("no %s in\n%s", want, dot)
		}
	}
}

// TestDotQuoting: what an interface name may hold is quoted for a quoted
// label and escaped for an HTML one.
func TestDotQuoting(t *testing.T) {
	top := parseGraph(t, `
name: q
nodes:
  a: {interfaces: {'e<b>&"\': [10.0.0.1/24]}}
  b: {}
links:
  - ['a:e<b>&"\', b:eth1]
`)
	dot := top.Dot()
	for _, want := range []string{`taillabel="e<b>&\"\\"`, `<font point-size="9">e&lt;b&gt;&amp;&#34;\</font>`} {
		if !strings.Contains(dot, want) {
			t.Errorf("no %s in\n%s", want, dot)
		}
	}
}

func TestDrawingDown(t *testing.T) {
	top := parseGraph(t, ring)
	up := map[*Link]bool{top.Links[0]: true, top.Links[1]: true, top.Links[3]: true} // r3:eth1-r4:eth2 down
	d := Drawing{Topology: top, Up: up}
	dot := d.Dot()
	if n := strings.Count(dot, "style=dashed"); n != 1 || !strings.Contains(dot, `"r3" -- "r4" [taillabel="eth1", headlabel="eth2", style=dashed, color="#999999"];`) {
		t.Errorf("want r3 -- r4 alone dashed:\n%s", dot)
	}
	mmd := d.Mermaid()
	if n := strings.Count(mmd, " -.-|"); n != 1 || !strings.Contains(mmd, "n3 -.-|") || strings.Count(mmd, " ---|") != 3 {
		t.Errorf("want n3 -.- n4 alone dotted:\n%s", mmd)
	}
	var g GraphJSON
	if err := json.Unmarshal(d.JSON(), &g); err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, l := range g.Links {
		states = append(states, l.State)
	}
	if strings.Join(states, " ") != "up up down up" {
		t.Errorf("link states %q", states)
	}
}

func TestGraphJSON(t *testing.T) {
	got := string(parseGraph(t, lan).JSON())
	want := `{
  "name": "lan",
  "nodes": [
    {
      "name": "h1",
      "kind": "host"
    },
    {
      "name": "h2",
      "kind": "host"
    },
    {
      "name": "sw",
      "kind": "bridge"
    }
  ],
  "links": [
    {
      "a": "h1:eth1",
      "b": "sw:p1",
      "mtu": 0
    },
    {
      "a": "h2:eth1",
      "b": "sw:p2",
      "mtu": 0
    }
  ]
}
`
	if got != want {
		t.Errorf("JSON:\n%s\nwant\n%s", got, want)
	}
	if got := string((&Topology{Name: "empty"}).JSON()); got != "{\n  \"name\": \"empty\",\n  \"nodes\": [],\n  \"links\": []\n}\n" {
		t.Errorf("JSON of no nodes: %s", got)
	}
}
