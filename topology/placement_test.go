package topology

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// spread is a lab of the given nodes and links (A-B pairs of node names)
// with placement: auto over hosts, named in the order given.
func spread(nodes []string, links [][2]string, hosts ...string) *Topology {
	t := &Topology{Name: "lab", Placement: PlacementAuto}
	for i, h := range hosts {
		t.Hosts = append(t.Hosts, &Host{Name: h, Address: netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)}), VXLANPort: DefaultVXLANPort})
	}
	ifs := map[string]int{}
	for _, n := range nodes {
		t.Nodes = append(t.Nodes, &Node{Name: n, Kind: KindRouter})
	}
	for _, l := range links {
		var ends [2]Endpoint
		for k, n := range l {
			ifs[n]++
			ends[k] = Endpoint{Node: n, Interface: fmt.Sprintf("eth%d", ifs[n])}
			t.Node(n).Interfaces = append(t.Node(n).Interfaces, &Interface{Name: ends[k].Interface})
		}
		t.Links = append(t.Links, &Link{Endpoints: ends})
	}
	return t
}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i+1)
	}
	return out
}

func chainLinks(nodes []string) [][2]string {
	var out [][2]string
	for i := 1; i < len(nodes); i++ {
		out = append(out, [2]string{nodes[i-1], nodes[i]})
	}
	return out
}

// counts is how many nodes each host got, by host name.
func counts(t *Topology) map[string]int {
	out := map[string]int{}
	for _, n := range t.Nodes {
		out[n.Host]++
	}
	return out
}

// TestPlace: placement: auto is balanced by node count, cuts few links,
// and depends on nothing but the lab (not the order hosts are listed in).
func TestPlace(t *testing.T) {
	chain := names("r", 1000)
	ring := names("r", 6)
	grid := names("g", 16)
	var gridLinks [][2]string
	for i := range 16 {
		if i%4 < 3 {
			gridLinks = append(gridLinks, [2]string{grid[i], grid[i+1]})
		}
		if i < 12 {
			gridLinks = append(gridLinks, [2]string{grid[i], grid[i+4]})
		}
	}
	// A chain written from its middle: breadth-first order alternates
	// sides, and the exchange mends it.
	middle := []string{"m5", "m4", "m6", "m3", "m7", "m2", "m8", "m1"}
	middleLinks := chainLinks([]string{"m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8"})
	// Two triangles joined by one link, and a LAN: a bridge with six
	// members.
	triangles := [][2]string{{"a1", "a2"}, {"a2", "a3"}, {"a3", "a1"}, {"b1", "b2"}, {"b2", "b3"}, {"b3", "b1"}, {"a1", "b1"}}
	lan := [][2]string{{"sw", "h1"}, {"sw", "h2"}, {"sw", "h3"}, {"sw", "h4"}, {"sw", "h5"}, {"sw", "h6"}}
	for _, tt := range []struct {
		name    string
		nodes   []string
		links   [][2]string
		hosts   []string
		want    map[string]int
		maxCuts int
	}{
		{"chain of 1000 on 2", chain, chainLinks(chain), []string{"a", "b"}, map[string]int{"a": 500, "b": 500}, 1},
		{"chain of 1000 on 3", chain, chainLinks(chain), []string{"b", "c", "a"}, map[string]int{"a": 334, "b": 333, "c": 333}, 2},
		{"ring of 6 on 3", ring, append(chainLinks(ring), [2]string{"r6", "r1"}), []string{"a", "b", "c"}, map[string]int{"a": 2, "b": 2, "c": 2}, 3},
		{"chain from its middle on 2", middle, middleLinks, []string{"a", "b"}, map[string]int{"a": 4, "b": 4}, 1},
		{"4x4 grid on 2", grid, gridLinks, []string{"a", "b"}, map[string]int{"a": 8, "b": 8}, 4},
		{"two triangles on 2", []string{"a1", "a2", "a3", "b1", "b2", "b3"}, triangles, []string{"x", "y"}, map[string]int{"x": 3, "y": 3}, 1},
		{"a LAN on 2", []string{"sw", "h1", "h2", "h3", "h4", "h5", "h6"}, lan, []string{"a", "b"}, map[string]int{"a": 4, "b": 3}, 3},
		{"more hosts than nodes", []string{"n1", "n2"}, [][2]string{{"n1", "n2"}}, []string{"a", "b", "c"}, map[string]int{"a": 1, "b": 1}, 1},
		{"unlinked nodes", []string{"u1", "u2", "u3"}, nil, []string{"a", "b"}, map[string]int{"a": 2, "b": 1}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			top := spread(tt.nodes, tt.links, tt.hosts...)
			top.Place()
			if got := counts(top); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("nodes per host %v, want %v", got, tt.want)
			}
			if cuts := len(top.CutLinks()); cuts > tt.maxCuts {
				t.Errorf("%d links cut, want at most %d", cuts, tt.maxCuts)
			}
			// The same on every host: whatever order the hosts come in.
			hosts := slices.Clone(tt.hosts)
			slices.Reverse(hosts)
			again := spread(tt.nodes, tt.links, hosts...)
			again.Place()
			for i, n := range top.Nodes {
				if again.Nodes[i].Host != n.Host {
					t.Errorf("node %s is on %s with hosts %v, on %s with %v", n.Name, n.Host, tt.hosts, again.Nodes[i].Host, hosts)
				}
			}
		})
	}
}

// TestPlaceOnlyAuto: a lab without placement: auto keeps its nodes'
// host: as written.
func TestPlaceOnlyAuto(t *testing.T) {
	top := spread([]string{"r1", "r2"}, [][2]string{{"r1", "r2"}}, "a", "b")
	top.Placement = ""
	top.Nodes[0].Host, top.Nodes[1].Host = "b", "b"
	top.Place()
	if top.Nodes[0].Host != "b" || top.Nodes[1].Host != "b" {
		t.Errorf("hosts changed: %s %s", top.Nodes[0].Host, top.Nodes[1].Host)
	}
	if strings.Join([]string{top.HostNames()}, "") != "a, b" {
		t.Errorf("HostNames = %q", top.HostNames())
	}
}

// TestHostsEncoded: Encode writes hosts:, placement: and each node's
// host:, which Parse reads back as they were.
func TestHostsEncoded(t *testing.T) {
	for _, file := range []string{"testdata/valid/hosts.yaml", "testdata/valid/placement.yaml"} {
		top, err := Load(file)
		if err != nil {
			t.Fatal(err)
		}
		back, _ := encodedBack(t, top)
		for i, h := range top.Hosts {
			if b := back.Hosts[i]; b.Name != h.Name || b.Address != h.Address || b.VXLANPort != h.VXLANPort {
				t.Errorf("%s: host %+v read back as %+v", file, h, b)
			}
		}
		for i, n := range top.Nodes {
			if back.Nodes[i].Host != n.Host || n.Host == "" {
				t.Errorf("%s: node %s on host %q read back on %q", file, n.Name, n.Host, back.Nodes[i].Host)
			}
		}
		if back.Placement != top.Placement {
			t.Errorf("%s: placement %q read back as %q", file, top.Placement, back.Placement)
		}
	}
}
