package netlab

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/netlab-dev/netlab/topology"
)

// acrossHosts is topology/testdata/valid/hosts.yaml: a LAN whose bridge
// is on host a with a member on b, and a link from r1 on a to r2 on b.
func acrossHosts(t *testing.T) *topology.Topology {
	t.Helper()
	top, err := topology.Load("../topology/testdata/valid/hosts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return top
}

// TestHostPart: each host brings up its own nodes, the links between
// them, and a tunnel for each link to another host, numbered the same on
// both hosts.
func TestHostPart(t *testing.T) {
	top := acrossHosts(t)
	parts := map[string][]string{}
	tunnels := map[string][]tunnelEnd{}
	for _, h := range top.Hosts {
		part, cross := partOn(top, h.Name)
		for _, n := range part.Nodes {
			parts[h.Name] = append(parts[h.Name], n.Name)
		}
		if len(cross) != 2 {
			t.Errorf("host %s: %d links to the other host, want 2", h.Name, len(cross))
		}
		tunnels[h.Name] = planTunnels(top, h)
		if part.Name != top.Name || part.File != top.File {
			t.Errorf("host %s's part is lab %s of %s", h.Name, part.Name, part.File)
		}
	}
	if got := strings.Join(parts["a"], " ") + " | " + strings.Join(parts["b"], " "); got != "sw1 h1 r1 | h2 r2" {
		t.Errorf("parts: %s", got)
	}
	a, b := tunnels["a"], tunnels["b"]
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("tunnels: a %d, b %d; want 2 each", len(a), len(b))
	}
	for i := range a {
		if a[i].vni != b[i].vni || a[i].link != b[i].link || a[i].end == b[i].end {
			t.Errorf("tunnel %d: a %+v, b %+v: the same link and VNI, the two ends", i, a[i], b[i])
		}
		if a[i].remote.Name != "b" || b[i].remote.Name != "a" {
			t.Errorf("tunnel %d: remotes %s and %s", i, a[i].remote.Name, b[i].remote.Name)
		}
	}
	// The bridge's port to h2 is a tunnel of sw1's; r1-r2 keeps its MTU.
	if a[0].end.String() != "sw1:p2" || b[0].end.String() != "h2:eth1" || a[1].mtu != 1400 || a[0].mtu != 0 {
		t.Errorf("tunnels of a: %v %v (mtu %d, %d)", a[0].end, a[1].end, a[0].mtu, a[1].mtu)
	}
	if whole, cross := partOn(top, ""); whole != top || cross != nil {
		t.Errorf("a lab of one machine is not its own part")
	}
}

// TestLinkVNI: VNIs are 24 bits and never 0, the same for the same lab
// and link, a run per lab, apart for two labs of the same links.
func TestLinkVNI(t *testing.T) {
	seen := map[uint32]string{}
	for _, lab := range []string{"lab-a", "lab-b", "triangle"} {
		for i := range 1000 {
			v := linkVNI(lab, i)
			if v == 0 || v > 1<<24-1 {
				t.Fatalf("VNI %d of %s link %d", v, lab, i)
			}
			if v != linkVNI(lab, i) {
				t.Fatalf("VNI of %s link %d changes", lab, i)
			}
			if other, dup := seen[v]; dup {
				t.Errorf("VNI %d of %s link %d is %s's too", v, lab, i, other)
			}
			seen[v] = lab
		}
		if linkVNI(lab, 1) != linkVNI(lab, 0)%(1<<24-1)+1 {
			t.Errorf("%s's VNIs are not a run", lab)
		}
	}
}

// TestStateOfHost: the state of a host's part holds that host's nodes,
// in the topology's order; one naming another host's is refused.
func TestStateOfHost(t *testing.T) {
	top := acrossHosts(t)
	st := State{Name: top.Name, Topology: top, Host: "b", Nodes: []NodeState{{Name: "h2"}, {Name: "r2"}}}
	b, err := json.Marshal(&st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeState(top.Name, b); err != nil {
		t.Errorf("host b's state: %v", err)
	}
	st.Nodes = []NodeState{{Name: "h2"}, {Name: "r1"}}
	b, _ = json.Marshal(&st)
	if _, err := decodeState(top.Name, b); err == nil || !strings.Contains(err.Error(), `node 2 is "r1", not a node of its topology on this host`) {
		t.Errorf("a state of host b naming r1 of a: %v", err)
	}
}

// TestLocalHost: --host must name one of the lab's hosts; without it, a
// machine none of whose addresses is a host's is told what to do.
func TestLocalHost(t *testing.T) {
	top := acrossHosts(t)
	if h, err := localHost(top, "b"); err != nil || h.Name != "b" {
		t.Errorf("localHost b: %v, %v", h, err)
	}
	_, err := localHost(top, "c")
	if !errors.Is(err, ErrNoHost) || err.Error() != `lab hosts has no host "c" (hosts: a, b); give --host one of them` {
		t.Errorf("localHost c: %v", err)
	}
	_, err = localHost(top, "")
	if !errors.Is(err, ErrNoHost) || !strings.Contains(err.Error(), "no host of lab hosts has an address of this machine (hosts: a 198.51.100.1, b 198.51.100.2); give --host NAME") {
		t.Errorf("localHost without a name, on a machine of none: %v", err)
	}
}

// TestTunnelsInUse: a lab whose VNIs meet those another lab uses on this
// host is refused before anything is made, naming both labs' links; on a
// port of its own it is not. hosts-vni1102 and hosts-vni1724 are two
// names whose runs of VNIs start at the same one.
func TestTunnelsInUse(t *testing.T) {
	lab := func(name string, port int) *topology.Topology {
		t.Helper()
		top, err := topology.Parse(name+".yaml", []byte(`name: `+name+`
hosts:
  a: {address: 198.51.100.1, vxlan_port: `+strconv.Itoa(port)+`}
  b: {address: 198.51.100.2}
nodes:
  r1: {host: a}
  r2: {host: b}
links:
  - [r1:eth1, r2:eth1]
`))
		if err != nil {
			t.Fatal(err)
		}
		return top
	}
	if linkVNI("hosts-vni1102", 0) != linkVNI("hosts-vni1724", 0) {
		t.Fatal("hosts-vni1102 and hosts-vni1724 no longer share a VNI: find another pair")
	}
	m := &Machine{StateRoot: filepath.Join(t.TempDir(), "state"), UID: os.Geteuid(), own: true}
	if err := os.Mkdir(m.StateRoot, 0o700); err != nil {
		t.Fatal(err)
	}
	up := lab("hosts-vni1102", 4789)
	if err := os.Mkdir(m.labDir(up.Name), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := m.writeState(&State{Name: up.Name, Topology: up, Host: "a", Nodes: []NodeState{{Name: "r1"}}}); err != nil {
		t.Fatal(err)
	}
	next := lab("hosts-vni1724", 4789)
	a := next.HostOf("a")
	err := m.tunnelsInUse(next, a, planTunnels(next, a))
	want := fmt.Sprintf("hosts-vni1724.yaml:9:5: link r1:eth1 - r2:eth1 would use VXLAN VNI %d on UDP port 4789, as lab hosts-vni1102's link r1:eth1 - r2:eth1 does on this host; rename one of the two labs (a lab's VNIs follow from its name)", linkVNI(next.Name, 0))
	if err == nil || err.Error() != want {
		t.Errorf("tunnelsInUse: %v\nwant %s", err, want)
	}
	other := lab("hosts-vni1724", 4790)
	a = other.HostOf("a")
	if err := m.tunnelsInUse(other, a, planTunnels(other, a)); err != nil {
		t.Errorf("on a port of its own: %v", err)
	}
}
