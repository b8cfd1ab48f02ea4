package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlab-dev/netlab/topology"
)

// clabTestdata is where containerlab's labs and the public labs the tests
// bring up are kept, unchanged, with their licence notes.
const clabTestdata = "topology/clab/testdata"

// clabCopy copies a containerlab lab's directory (its .clab.yml and the
// files it binds) to a directory of the test's own, named as the test
// says so that no other test's lab has its name, and returns the copy's
// topology file. Only the name: line changes.
func clabCopy(t *testing.T, dir, file, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(dir))
	cp := exec.Command("cp", "-r", filepath.Join(repoRoot, clabTestdata, dir), dst)
	if out, err := cp.CombinedOutput(); err != nil {
		t.Fatalf("copy %s: %v: %s", dir, err, out)
	}
	path := filepath.Join(dst, file)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	renamed := regexp.MustCompile(`(?m)^name: .*$`).ReplaceAll(data, []byte("name: "+name))
	if err := os.WriteFile(path, renamed, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// pingEach is a ping check from every node to every address of others,
// from the address src names for the node, if any.
func pingEach(pairs map[string][]string, src map[string]string) []*topology.Check {
	var out []*topology.Check
	for from, addrs := range pairs {
		for _, a := range addrs {
			c := pingCheck(from, a)
			c.Ping.Src = src[from]
			out = append(out, c)
		}
	}
	return out
}

// frr01Pings: every PC of containerlab's frr01 reaches every other.
var frr01Pings = map[string][]string{
	"PC1": {"192.168.12.2", "192.168.13.2"},
	"PC2": {"192.168.11.2", "192.168.13.2"},
	"PC3": {"192.168.11.2", "192.168.12.2"},
}

// TestClabFrr01: containerlab's own lab-examples/frr01 comes up as it is
// written, its three FRR routers from their bound daemons and frr.conf and
// its PCs from their exec steps; OSPF converges and every PC reaches every
// other. Its netlab import, brought up beside it, is the same lab: it
// converges and pings the same.
func TestClabFrr01(t *testing.T) {
	needRoot(t)
	direct := clabCopy(t, "containerlab/lab-examples/frr01", "frr01.clab.yml", "clabt-frr01")
	imported := filepath.Join(filepath.Dir(direct), "frr01-imported.yaml")
	mustNetlab(t, "import", direct, "-o", imported)
	data, err := os.ReadFile(imported)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(imported, []byte(strings.Replace(string(data), "name: clabt-frr01", "name: clabt-frr01-imp", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	start := upRoutingLab(t, direct, "clabt-frr01")
	upLab(t, imported, "clabt-frr01-imp")
	var wg sync.WaitGroup
	for _, lab := range []string{"clabt-frr01", "clabt-frr01-imp"} {
		wg.Go(func() {
			took := mustHold(t, lab, 90*time.Second, pingEach(frr01Pings, nil)...)
			t.Logf("%s: every PC reaches every other %v after up began (%v of waiting)", lab, time.Since(start), took)
		})
	}
	wg.Wait()
	out := mustNetlab(t, "exec", "clabt-frr01/router1", "--", "vtysh", "-c", "show ip ospf neighbor")
	if n := strings.Count(out, "Full/"); n != 2 {
		t.Errorf("router1 has %d Full OSPF neighbours, want 2:\n%s", n, out)
	}
	// The host's FRR runs with the lab's daemons: ldpd too, as router1/daemons asks.
	if out := mustNetlab(t, "exec", "clabt-frr01/router2", "--", "sh", "-c", "cat /run/frr/ldpd.pid >/dev/null && echo ldpd runs"); !strings.Contains(out, "ldpd runs") {
		t.Errorf("router2: %s", out)
	}
}

// TestClabPublicLabs: public containerlab labs of another repository come
// up as they are written: eBGP between four FRR routers of three ASes (r1
// and r4, both AS 100, each reach the networks of AS 200 and AS 300 from
// their own; not each other's, whose AS path holds their own AS), and
// Linux hosts routed by
// a host that turns forwarding on in an exec step. A third, whose frr.conf
// FRR rejects in part (containerlab's FRR image loads the rest and goes
// on), is refused by up with FRR's own words, and leaves nothing.
func TestClabPublicLabs(t *testing.T) {
	needRoot(t)
	labs := []struct {
		dir, name string
		pings     map[string][]string
		src       map[string]string
	}{
		{"containerlab-free-labs/bgp-ebgp-basics", "clabt-bgp", map[string][]string{
			"r1": {"192.168.2.1", "192.168.3.1"}, "r4": {"192.168.3.1", "192.168.2.1"}}, map[string]string{"r1": "192.168.1.1", "r4": "192.168.4.1"}},
		{"containerlab-free-labs/linux-network-namespaces", "clabt-netns", map[string][]string{
			"host1": {"10.0.3.20", "10.0.2.10"}, "host2": {"10.0.1.10", "10.0.2.10"}, "host3": {"10.0.1.10", "10.0.3.20"}}, nil},
	}
	before := takeSnapshot(t, "clabt-ospf", nil)
	r := netlab(t, "up", clabCopy(t, "containerlab-free-labs/ospf-basics", "topology.clab.yml", "clabt-ospf"))
	// Which router's config is said first depends on which is read first.
	if r.code != 1 || !strings.Contains(r.stderr, "frr daemons did not start: frr.conf rejected") ||
		!regexpMatch(`Please remove all ip ospf area x.x.x.x commands first. \| line \d+: Failure to communicate\[13\] to ospfd, line: network 10\.0\.\d\.0/24 area 0`, r.stderr) {
		t.Errorf("up of ospf-basics: exit %d, want 1 with FRR's words on the rejected line:\n%s", r.code, r.stderr)
	}
	assertNoLeftovers(t, before, nil)
	start := time.Now()
	for _, l := range labs {
		upRoutingLab(t, clabCopy(t, l.dir, "topology.clab.yml", l.name), l.name)
	}
	var wg sync.WaitGroup
	for _, l := range labs {
		wg.Go(func() {
			took := mustHold(t, l.name, 90*time.Second, pingEach(l.pings, l.src)...)
			t.Logf("%s: converged %v after up began (%v of waiting)", l.dir, time.Since(start), took)
		})
	}
	wg.Wait()
	if out := mustNetlab(t, "exec", "clabt-bgp/r2", "--", "vtysh", "-c", "show bgp summary"); strings.Count(out, "\n10.") != 2 {
		t.Errorf("r2's BGP summary lacks its two peers:\n%s", out)
	}
}

// TestClabBridge: a containerlab LAN, a bridge node and hosts whose
// addresses the links give (brief and veth forms, a declared MAC), comes
// up with netlab's own bridge: the hosts reach each other over IPv4 and
// IPv6, and the declared MAC is the interface's.
func TestClabBridge(t *testing.T) {
	needRoot(t)
	upLab(t, clabCopy(t, "netlab/bridge", "bridge.clab.yml", "clabt-lan"), "clabt-lan")
	mustHold(t, "clabt-lan", 10*time.Second, pingEach(map[string][]string{
		"h1": {"10.0.0.2", "10.0.0.3"}, "h2": {"10.0.0.1", "2001:db8::3"}, "h3": {"2001:db8::2", "10.0.0.1"}}, nil)...)
	if out := mustNetlab(t, "exec", "clabt-lan/h3", "--", "cat", "/sys/class/net/eth1/address"); strings.TrimSpace(out) != "02:00:00:00:00:03" {
		t.Errorf("h3's eth1 has MAC %q, want the declared 02:00:00:00:00:03", out)
	}
}
