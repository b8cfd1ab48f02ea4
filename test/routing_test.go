package test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netlab-dev/netlab/check"
	"github.com/netlab-dev/netlab/topology"
)

// hostDaemonFiles fingerprints what FRR and BIRD keep on the host, so the
// routing tests can show that nodes never touch it.
func hostDaemonFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, root := range []string{"/etc/frr", "/run/frr", "/var/run/frr", "/etc/bird", "/run/bird", "/var/log/frr"} {
		filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
			if err != nil {
				return nil
			}
			line := fmt.Sprintf("%s %v %d", p, fi.Mode(), fi.Size())
			if fi.Mode().IsRegular() {
				b, _ := os.ReadFile(p)
				line += fmt.Sprintf(" %x", sha256.Sum256(b))
			}
			out = append(out, line)
			return nil
		})
	}
	return out
}

// waitFor retries check until it returns nil or limit passes, and returns
// how long it took.
func waitFor(t *testing.T, limit time.Duration, what string, check func() error) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := check()
		if err == nil {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v: %v", what, limit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pingCheck is a check that node reaches addr with one echo request.
func pingCheck(node, addr string) *topology.Check {
	return &topology.Check{Kind: topology.CheckPing, Node: node,
		Ping: &topology.PingCheck{To: addr, Addr: netip.MustParseAddr(addr), Count: 1}}
}

// upRoutingLab brings a routing lab up with the leak checks of upLab, plus
// a check that the host's FRR and BIRD files are untouched. It returns the
// time at which up started.
func upRoutingLab(t *testing.T, file, name string) time.Time {
	t.Helper()
	needCommand(t, "vtysh")
	needCommand(t, "birdc")
	host := hostDaemonFiles(t)
	t.Cleanup(func() {
		if after := hostDaemonFiles(t); !slices.Equal(host, after) {
			t.Errorf("the host's FRR/BIRD files changed:\n before %q\n after  %q", host, after)
		}
	})
	start := time.Now()
	upLab(t, file, name)
	return start
}

// TestOSPF: four FRR routers converge so that every router has a kernel
// route to every loopback; a link taken down is routed around, and comes
// back when it is up again.
func TestOSPF(t *testing.T) {
	needRoot(t)
	start := upRoutingLab(t, "labs/ospf.yaml", "ospf")
	routers := []string{"r1", "r2", "r3", "r4"}
	// A route to every other loopback on every router, through the check
	// package, which returns the moment they all hold.
	var routes []*topology.Check
	for i, r := range routers {
		for j := range routers {
			if j != i {
				routes = append(routes, &topology.Check{Kind: topology.CheckRoute, Node: r,
					Route: &topology.RouteCheck{To: netip.MustParsePrefix(fmt.Sprintf("10.255.0.%d/32", j+1))}})
			}
		}
	}
	mustHold(t, "ospf", 20*time.Second, routes...)
	t.Logf("OSPF: from the start of up to a kernel route to every loopback on every router: %v", time.Since(start))

	for _, r := range routers {
		out := mustNetlab(t, "exec", "ospf/"+r, "--", "vtysh", "-c", "show ip ospf neighbor")
		if n := strings.Count(out, "Full/"); n != 2 {
			t.Errorf("%s has %d Full neighbours, want 2:\n%s", r, n, out)
		}
	}

	// Failover: r1-r2 goes down; r1 reaches r2 the other way round.
	mustNetlab(t, "link", "set", "ospf/r1:eth1", "down")
	viaDev := func(dev string) *topology.Check {
		return &topology.Check{Kind: topology.CheckRoute, Node: "r1",
			Route: &topology.RouteCheck{To: netip.MustParsePrefix("10.255.0.2/32"), Lookup: true, Dev: dev}}
	}
	took := mustHold(t, "ospf", 15*time.Second, viaDev("eth2"))
	t.Logf("OSPF failover: r1 routes to r2's loopback around the ring %v after link set down", took)
	mustNetlab(t, "exec", "ospf/r1", "--", "ping", "-c1", "-W2", "10.255.0.2")
	if st := mustNetlab(t, "status", "ospf"); !regexpMatch(`eth1\s+down\s+10\.0\.12\.1/24`, st) {
		t.Errorf("status does not show r1:eth1 down:\n%s", st)
	}
	mustNetlab(t, "link", "set", "ospf/r1:eth1", "up")
	mustHold(t, "ospf", 15*time.Second, viaDev("eth1"))
}

// TestBGP: three ASes reach each other's loopbacks over eBGP.
func TestBGP(t *testing.T) {
	needRoot(t)
	start := upRoutingLab(t, "labs/bgp.yaml", "bgp")
	loopbacks := map[string]string{"r1": "10.255.1.1", "r2": "10.255.2.2", "r3": "10.255.3.3"}
	var pings []*topology.Check
	for from := range loopbacks {
		for to, addr := range loopbacks {
			if to != from {
				pings = append(pings, pingCheck(from, addr))
			}
		}
	}
	mustHold(t, "bgp", 30*time.Second, pings...)
	t.Logf("BGP: from the start of up to every AS reaching every loopback: %v", time.Since(start))
	if out := mustNetlab(t, "exec", "bgp/r2", "--", "vtysh", "-c", "show bgp summary"); strings.Count(out, "\n10.") != 2 {
		t.Errorf("r2 bgp summary:\n%s", out)
	}
}

// TestBIRDWithFRR: BIRD in the middle of two FRR routers forms OSPF
// adjacencies with both; the ends reach each other through it.
func TestBIRDWithFRR(t *testing.T) {
	needRoot(t)
	start := upRoutingLab(t, "labs/bird-ospf.yaml", "bird-ospf")
	mustHold(t, "bird-ospf", 40*time.Second, pingCheck("r1", "10.255.0.3"))
	t.Logf("FRR-BIRD-FRR: from the start of up to r1 reaching r3: %v", time.Since(start))
	out := mustNetlab(t, "exec", "bird-ospf/r2", "--", "birdc", "show", "ospf", "neighbors")
	if strings.Count(out, "Full") != 2 {
		t.Errorf("birdc show ospf neighbors:\n%s", out)
	}
}

// TestDaemonFailures: a configuration FRR rejects fails up with FRR's own
// words and leaves nothing; so does a daemon the installed FRR lacks.
func TestDaemonFailures(t *testing.T) {
	needRoot(t)
	needCommand(t, "vtysh")
	bad := writeTopology(t, "badfrr", `name: badfrr
nodes:
  r1:
    kind: frr
    daemons: [ospfd]
    interfaces: {eth1: [10.7.0.1/24]}
    config: |
      router ospf
       this is not a command
  r2:
    interfaces: {eth1: [10.7.0.2/24]}
links:
  - [r1:eth1, r2:eth1]
`)
	before := takeSnapshot(t, "badfrr", nil)
	r := netlab(t, "up", bad)
	if r.code != 1 || !strings.Contains(r.stderr, "node r1") || !strings.Contains(r.stderr, "this is not a command") {
		t.Errorf("up with a bad frr.conf: exit %d, stderr %q", r.code, r.stderr)
	}
	assertNoLeftovers(t, before, nil)

	var missing string
	for _, d := range []string{"pim6d", "sharpd", "pathd", "vrrpd", "fabricd", "babeld"} {
		if _, err := os.Stat("/usr/lib/frr/" + d); err != nil {
			missing = d
			break
		}
	}
	if missing == "" {
		t.Skip("this FRR has every daemon the check could ask for")
	}
	lacking := writeTopology(t, "lackfrr", "name: lackfrr\nnodes:\n  r1: {kind: frr, daemons: ["+missing+"]}\n")
	before = takeSnapshot(t, "lackfrr", nil)
	r = netlab(t, "up", lacking)
	if r.code != 1 || !strings.Contains(r.stderr, missing) || !strings.Contains(r.stderr, "apt-get install frr") {
		t.Errorf("up with daemon %s missing: exit %d, stderr %q", missing, r.code, r.stderr)
	}
	assertNoLeftovers(t, before, nil)
}

// mustHold runs checks against lab with the check package, each retried
// within wait, and fails the test with what was found for those that do not
// hold. It returns how long they took to hold.
func mustHold(t *testing.T, lab string, wait time.Duration, checks ...*topology.Check) time.Duration {
	t.Helper()
	start := time.Now()
	suites := check.Suites(ownLabRefs(lab), func(*topology.Topology) []*topology.Check { return checks })
	rep := check.Run(context.Background(), suites, check.Options{Wait: wait})
	for _, l := range rep.Labs {
		for _, r := range l.Checks {
			if !r.Passed {
				t.Errorf("%s: %s: %s", lab, r.Name, r.Message)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return time.Since(start)
}
