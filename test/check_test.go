package test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlab-dev/netlab/check"
)

// upChecked brings file up as lab name with `netlab up FILE args...` and
// takes it down when the test ends, checking then that nothing is left.
// It returns how up ended, whatever its exit code.
func upChecked(t *testing.T, file, name string, args ...string) result {
	t.Helper()
	before := takeSnapshot(t, name, nil)
	r := netlab(t, append([]string{"up", file}, args...)...)
	if _, err := os.Stat(filepath.Join(stateRoot(), name, "state.json")); err != nil {
		t.Fatalf("up %s %v: exit %d, no state: %v\nstdout: %s\nstderr: %s", file, args, r.code, err, r.stdout, r.stderr)
	}
	ids := labIDs(t, name)
	t.Cleanup(func() {
		mustNetlab(t, "down", name)
		assertNoLeftovers(t, before, ids)
	})
	return r
}

// renamedLab is labs/FILE.yaml under the lab name name.
func renamedLab(t testing.TB, base, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "labs", base+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	old := "name: " + base + "\n"
	if !strings.Contains(text, old) {
		t.Fatalf("labs/%s.yaml has no line %q", base, old)
	}
	return writeTopology(t, name, strings.Replace(text, old, "name: "+name+"\n", 1))
}

// TestCheckLabs: every lab in labs/ carries checks, and they pass right
// after up: netlab up --check exits 0 with a PASS line per check.
func TestCheckLabs(t *testing.T) {
	needRoot(t)
	needCommand(t, "ping")
	files, err := filepath.Glob(filepath.Join(repoRoot, "labs", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no labs: %v", err)
	}
	needs := map[string][]string{"ospf": {"vtysh"}, "bgp": {"vtysh"}, "bird-ospf": {"vtysh", "birdc"}, "services": {"curl", "dnsmasq", "sshd", "python3"}}
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(base, func(t *testing.T) {
			t.Parallel()
			for _, c := range needs[base] {
				needCommand(t, c)
			}
			name := "chk-" + base
			start := time.Now()
			r := upChecked(t, renamedLab(t, base, name), name, "--check")
			took := time.Since(start)
			passes := strings.Count(r.stdout, "PASS  "+name+": ")
			if r.code != 0 || passes == 0 || strings.Contains(r.stdout, "FAIL") || !strings.Contains(r.stdout, name+": all ") {
				t.Fatalf("up --check: exit %d, %d passed\nstdout: %s\nstderr: %s", r.code, passes, r.stdout, r.stderr)
			}
			t.Logf("%s: up and %d checks passed in %v", base, passes, took)
		})
	}
}

// kindsLab has a passing and a failing check of every kind, and ones
// with expect: fail, on FRR and BIRD both: h1 - r1 (FRR: OSPF, BGP) - r2
// (BIRD: OSPF, BGP). Checks named "pass: ..." must pass, "fail: ..." fail.
const kindsLab = `name: chkkinds
nodes:
  h1:
    interfaces: {eth1: [10.0.1.10/24]}
    routes: [{to: default, via: 10.0.1.1}]
    services:
      later: "sleep 1.5; touch /tmp/ready; exec sleep 100000"
  r1:
    kind: frr
    daemons: [ospfd, bgpd]
    interfaces: {lo: [10.255.0.1/32], eth1: [10.0.1.1/24], eth2: [10.0.12.1/24]}
    config: |
      frr defaults traditional
      interface eth2
       ip ospf network point-to-point
       ip ospf hello-interval 1
       ip ospf dead-interval 3
      router ospf
       ospf router-id 10.255.0.1
       passive-interface lo
       network 10.0.0.0/16 area 0
       network 10.255.0.0/24 area 0
      router bgp 65001
       bgp router-id 10.255.0.1
       no bgp ebgp-requires-policy
       timers bgp 1 3
       neighbor 10.0.12.2 remote-as 65002
       neighbor 10.0.12.2 timers connect 1
       address-family ipv4 unicast
        network 10.255.0.1/32
       exit-address-family
  r2:
    kind: bird
    interfaces: {lo: [10.255.0.2/32], eth1: [10.0.12.2/24]}
    config: |
      router id 10.255.0.2;
      protocol device { }
      protocol direct { ipv4; interface "lo"; }
      protocol kernel { ipv4 { import none; export where source = RTS_OSPF; }; learn off; }
      protocol ospf v2 ospf1 {
        ipv4 { import all; export none; };
        area 0 {
          interface "eth1" { type ptp; hello 1; dead 3; retransmit 2; };
          interface "lo" { stub yes; };
        };
      }
      protocol bgp r1 {
        local 10.0.12.2 as 65002;
        neighbor 10.0.12.1 as 65001;
        hold time 3; keepalive time 1; connect retry time 1;
        ipv4 { import all; export where source = RTS_DEVICE; };
      }
links:
  - [h1:eth1, r1:eth1]
  - [r1:eth2, r2:eth1]
checks:
  - ping: {from: h1, to: r1}
    name: "pass: ping h1 to r1"
  - ping: {from: h1, to: r2, wait: 40s}
    name: "pass: ping h1 to r2 once BIRD has routes"
  - ping: {from: h1, to: 10.0.1.99, wait: 2s}
    name: "fail: ping a host that is not there"
  - ping: {from: h1, to: 192.0.2.1, expect: fail}
    name: "pass: ping beyond r1 fails as expected"
  - ping: {from: h1, to: r1-eth2, expect: fail, wait: 2s}
    name: "fail: ping r1 expecting no reply"
  - route: {node: h1, to: default, via: 10.0.1.1, dev: eth1}
    name: "pass: route h1 default"
  - route: {node: h1, to: default, via: 10.0.1.2, wait: 1s}
    name: "fail: route h1 default via the wrong gateway"
  - route: {node: r1, to: 10.255.0.9/32, wait: 1s}
    name: "fail: route r1 to a loopback nobody has"
  - route: {node: r1, to: 10.255.0.2/32, via: 10.0.12.2, wait: 40s}
    name: "pass: route r1 to r2's loopback"
  - route: {node: r1, to: 10.255.0.9/32, expect: fail}
    name: "pass: no route to 10.255.0.9 as expected"
  - exec: {node: r1, cmd: "sysctl -n net.ipv4.ip_forward", output: "^1$"}
    name: "pass: r1 forwards"
  - exec: {node: h1, cmd: "sysctl -n net.ipv4.ip_forward", output: "^1$", wait: 1s}
    name: "fail: h1 forwards"
  - exec: {node: h1, cmd: "echo oops; exit 3", wait: 1s}
    name: "fail: a command that exits 3"
  - exec: {node: h1, cmd: "test -e /tmp/ready", wait: 30s}
    name: "pass: a file that appears 1.5s after up"
  - exec: {node: h1, cmd: "false", expect: fail}
    name: "pass: false fails as expected"
  - ospf: {node: r1, neighbor: r2, wait: 30s}
    name: "pass: FRR sees BIRD Full"
  - ospf: {node: r2, neighbor: 10.255.0.1, wait: 30s}
    name: "pass: BIRD sees FRR Full"
  - ospf: {node: r1, neighbor: 10.255.0.77, wait: 2s}
    name: "fail: ospf neighbour nobody is"
  - bgp: {node: r1, peer: r2, prefixes: 1, wait: 30s}
    name: "pass: FRR peers with BIRD"
  - bgp: {node: r2, peer: 10.0.12.1, wait: 30s}
    name: "pass: BIRD peers with FRR"
  - bgp: {node: r2, peer: r1, prefixes: 5, wait: 2s}
    name: "fail: BIRD wants 5 prefixes"
  - bgp: {node: r1, peer: 10.0.12.9, wait: 1s}
    name: "fail: bgp peer nobody is"
  - bgp: {node: r1, peer: 10.0.12.9, expect: fail}
    name: "pass: no such bgp peer as expected"
`

// checkJSON is netlab check --json's output.
type checkJSON struct {
	Labs []struct {
		Name           string
		Passed, Failed int
		Checks         []struct {
			Name, Kind, Node, Message string
			Passed                    bool
			DurationMS                float64 `json:"duration_ms"`
			Tries                     int
		}
	}
}

// TestCheckKinds: each kind of check against a real lab, FRR and BIRD
// both: the ones that must pass pass, returning as soon as they hold
// rather than at the end of their wait; the ones that must fail fail,
// saying what was found instead; the JSON and JUnit say so too.
func TestCheckKinds(t *testing.T) {
	needRoot(t)
	needCommand(t, "ping")
	needCommand(t, "vtysh")
	needCommand(t, "birdc")
	file := writeTopology(t, "chkkinds", kindsLab)
	upChecked(t, file, "chkkinds")
	start := time.Now()
	r := netlab(t, "check", "chkkinds", "--json")
	took := time.Since(start)
	if r.code != 1 {
		t.Fatalf("check with failing checks: exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var first checkJSON
	if err := json.Unmarshal([]byte(r.stdout), &first); err != nil || len(first.Labs) != 1 {
		t.Fatalf("check --json: %v\n%s", err, r.stdout)
	}
	lab := first.Labs[0]
	if lab.Name != "chkkinds" || lab.Passed != 14 || lab.Failed != 9 || len(lab.Checks) != 23 {
		t.Errorf("lab %s: %d passed, %d failed, %d checks; want 14, 9, 23", lab.Name, lab.Passed, lab.Failed, len(lab.Checks))
	}
	kinds := map[string]bool{}
	for _, c := range lab.Checks {
		kinds[c.Kind] = true
		want := strings.HasPrefix(c.Name, "pass:")
		if c.Passed != want {
			t.Errorf("%q: passed %v: %s", c.Name, c.Passed, c.Message)
		}
		if c.Passed && c.DurationMS > 20000 {
			t.Errorf("%q passed only after %.0fms: a wait must not be slept out", c.Name, c.DurationMS)
		}
		t.Logf("%-45s %-5v %7.1fms %2d tries  %s", c.Name, c.Passed, c.DurationMS, c.Tries, strings.ReplaceAll(c.Message, "\n", " | "))
	}
	if len(kinds) != 5 {
		t.Errorf("kinds run: %v", kinds)
	}
	// The file appears 1.5s after the service starts, at up: the check
	// returns once it is there, not after its 30s.
	late := 0
	for _, c := range lab.Checks {
		if c.Name == "pass: a file that appears 1.5s after up" {
			late++
			if c.DurationMS < 500 || c.DurationMS > 5000 || c.Tries < 2 {
				t.Errorf("%q: %.0fms, %d tries; want about 1.5s of tries", c.Name, c.DurationMS, c.Tries)
			}
		}
	}
	if late != 1 {
		t.Errorf("%d checks named for the late file, want 1", late)
	}
	t.Logf("first check right after up: %v", took)

	// Converged now: what each failure says, word for word where the lab
	// fixes it. The JUnit file holds the same.
	junit := filepath.Join(t.TempDir(), "grades.xml")
	r = netlab(t, "check", "chkkinds", "--json", "--junit", junit)
	var second checkJSON
	if err := json.Unmarshal([]byte(r.stdout), &second); err != nil || len(second.Labs) != 1 {
		t.Fatalf("check --json: %v\n%s", err, r.stdout)
	}
	messages := map[string]string{}
	for _, c := range second.Labs[0].Checks {
		messages[c.Name] = c.Message
		if c.Passed != strings.HasPrefix(c.Name, "pass:") {
			t.Errorf("second run: %q passed %v: %s", c.Name, c.Passed, c.Message)
		}
	}
	for name, want := range map[string]string{
		"fail: ping a host that is not there":          "no reply from 10.0.1.99: 1 packets transmitted, 0 received",
		"pass: ping beyond r1 fails as expected":       "as expected, no reply from 192.0.2.1",
		"fail: ping r1 expecting no reply":             "expected to fail, but r1-eth2 (10.0.12.1) replies: 1 packets transmitted, 1 received, 0% packet loss",
		"fail: route h1 default via the wrong gateway": "h1 has 0.0.0.0/0 via 10.0.1.1 dev eth1 proto boot, not via 10.0.1.2",
		"fail: route r1 to a loopback nobody has":      "r1 has no route to 10.255.0.9/32; no route covers it either, so it is unreachable",
		"pass: route r1 to r2's loopback":              "r1 has 10.255.0.2/32 via 10.0.12.2 dev eth2 proto ",
		"fail: h1 forwards":                            "exit 0, but the output does not match /^1$/; output:\n    0",
		"fail: a command that exits 3":                 "exit 3, want 0; output:\n    oops",
		"pass: FRR sees BIRD Full":                     "r1 has OSPF neighbour 10.255.0.2 (10.0.12.2 on eth2) Full/",
		"pass: BIRD sees FRR Full":                     "r2 has OSPF neighbour 10.255.0.1 (10.0.12.1 on eth1) Full/PtP",
		"fail: ospf neighbour nobody is":               "r1 has no OSPF neighbour 10.255.0.77; its neighbours: 10.255.0.2 (10.0.12.2 on eth2) Full/",
		"pass: FRR peers with BIRD":                    "r1's BGP session with 10.0.12.2",
		"fail: BIRD wants 5 prefixes":                  "r2's BGP session with 10.0.12.1 is Established, but 1 prefix received, want at least 5",
		"fail: bgp peer nobody is":                     "r1 has no BGP peer 10.0.12.9; its peers: 10.0.12.2",
	} {
		if !strings.HasPrefix(messages[name], want) {
			t.Errorf("%q says %q\n want it to start %q", name, messages[name], want)
		}
	}
	if m := messages["pass: FRR peers with BIRD"]; !strings.Contains(m, "is Established, 1 prefix received") {
		t.Errorf("FRR's session with BIRD: %q", m)
	}

	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("JUnit: %v\n%s", err, b)
	}
	// Suites are named OWNER/LAB, here root's.
	if len(doc.Suites) != 1 || doc.Suites[0].Name != "root/chkkinds" || doc.Suites[0].Tests != 23 || doc.Suites[0].Failures != 9 || len(doc.Suites[0].Cases) != 23 {
		t.Fatalf("JUnit suites: %+v", doc.Suites)
	}
	for _, c := range doc.Suites[0].Cases {
		if c.Classname != "root/chkkinds" || (c.Failure != nil) != strings.HasPrefix(c.Name, "fail:") {
			t.Errorf("JUnit case %+v", c)
		}
		if c.Failure != nil && !strings.HasPrefix(messages[c.Name], c.Failure.Message) {
			t.Errorf("JUnit failure of %q says %q, JSON %q", c.Name, c.Failure.Message, messages[c.Name])
		}
	}

	// The human form: a PASS or FAIL line per check, what was found
	// under each failure, a summary line.
	r = netlab(t, "check", "chkkinds", "--wait", "0")
	if r.code != 1 || strings.Count(r.stdout, "PASS  chkkinds: pass:") != 14 ||
		strings.Count(r.stdout, "FAIL  chkkinds: fail:") != 9 || !strings.Contains(r.stdout, "chkkinds: 9 of 23 checks failed, 14 passed") ||
		!strings.Contains(r.stdout, "      r1 has no BGP peer 10.0.12.9") {
		t.Errorf("check: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestCheckUsage: what netlab check and up --check say and exit with when
// there is nothing to check, or a lab is not up.
func TestCheckUsage(t *testing.T) {
	needRoot(t)
	r := netlab(t, "check", "chk-nosuchlab")
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL  chk-nosuchlab: lab is up") || !strings.Contains(r.stdout, "lab chk-nosuchlab is not up") {
		t.Errorf("check of a lab that is not up: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := netlab(t, "check", "Bad_Name"); r.code != 2 {
		t.Errorf("check of a bad name: exit %d %s", r.code, r.stderr)
	}
	if r := netlab(t, "check", "--all", "chk-x"); r.code != 2 {
		t.Errorf("check --all LAB: exit %d %s", r.code, r.stderr)
	}
	if r := netlab(t, "check", "chk-x", "--wait", "-1s"); r.code != 2 {
		t.Errorf("check --wait -1s: exit %d %s", r.code, r.stderr)
	}

	// A student's triangle without r1's route to r3's loopback: up --check
	// fails, says which check and why, and leaves the lab up.
	text, err := os.ReadFile(renamedTriangle(t, "chk-broken"))
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(text), "      - {to: 10.255.0.3/32, via: 10.0.13.3}\n", "", 1)
	r = upChecked(t, writeTopology(t, "chk-broken", broken), "chk-broken", "--check")
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL  chk-broken: ping r1 to r3") ||
		!strings.Contains(r.stdout, "FAIL  chk-broken: route r1 to 10.255.0.3/32 via 10.0.13.3 dev eth2") ||
		!strings.Contains(r.stdout, "r1 has no route to 10.255.0.3/32; no route covers it either") ||
		!strings.Contains(r.stderr, "the lab stays up") {
		t.Errorf("up --check of a broken triangle: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if st := mustNetlab(t, "status", "--brief", "chk-broken"); !regexpMatch(`chk-broken\s+3\s+3\s+up`, st) {
		t.Errorf("the lab is not up after a failed check:\n%s", st)
	}
	// --ping-all, each router to the three addresses of each other: of
	// the 18 pings, r1 lacking its route to r3's loopback fails just one.
	r = netlab(t, "check", "chk-broken", "--ping-all", "--wait", "1s")
	if r.code != 1 || strings.Count(r.stdout, "PASS  ") != 17 || !strings.Contains(r.stdout, "FAIL  chk-broken: ping-all r1 to r3-lo (10.255.0.3)") {
		t.Errorf("check --ping-all: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Each line as its ping ends (streamed), the lab's summary last.
	if !regexpMatch(`\nchk-broken: 1 of 18 checks failed, 17 passed, in \S+\n$`, r.stdout) {
		t.Errorf("check --ping-all: the summary is not the last line:\n%s", r.stdout)
	}
	// From some nodes only; a node the lab has not is bad usage.
	r = netlab(t, "check", "chk-broken", "--ping-all", "--from", "r2,r3", "--wait", "1s")
	if r.code != 0 || strings.Count(r.stdout, "PASS  ") != 12 || strings.Contains(r.stdout, "ping-all r1 ") {
		t.Errorf("check --ping-all --from r2,r3: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = netlab(t, "check", "chk-broken", "--ping-all", "--from", "r9"); r.code != 2 || r.stderr != "netlab: check --ping-all --from r9: lab chk-broken has no node r9\n" {
		t.Errorf("check --ping-all --from r9: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// courseLabs is how many labs the course run grades: 30 students' static
// triangles (three with a mistake) and two OSPF rings (one in a wrong
// area).
const courseLabs = 32

// TestCheckCourse: a teacher grades a course: 30 student labs of one
// topology, each under its own name, and two OSPF labs, all up at once
// in a state directory of their own; one netlab check --all --junit
// grades them all. Exactly the labs with a mistake fail, and their
// failures tell the student what is wrong.
func TestCheckCourse(t *testing.T) {
	needRoot(t)
	needCommand(t, "ping")
	needCommand(t, "vtysh")
	state := filepath.Join(t.TempDir(), "state")
	run := func(args ...string) result {
		t.Helper()
		return netlabWith(t, nil, []string{"NETLAB_STATE_DIR=" + state}, args...)
	}
	triangle, err := os.ReadFile(filepath.Join(repoRoot, "labs/triangle.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ospf, err := os.ReadFile(filepath.Join(repoRoot, "labs/ospf.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The mistakes: a route left out (r1's to r3's loopback, r3's to the
	// r1-r2 link), a gateway mistyped, r3 of an OSPF ring in area 1.
	mistakes := map[string]func(string) string{
		"course-s07": func(s string) string {
			return strings.Replace(s, "      - {to: 10.255.0.3/32, via: 10.0.13.3}\n", "", 1)
		},
		"course-s19": func(s string) string {
			return strings.Replace(s, "      - {to: 10.0.12.0/24, via: 10.0.13.1}\n", "", 1)
		},
		"course-s23": func(s string) string {
			return strings.Replace(s, "      - {to: 10.255.0.1/32, via: 10.0.12.1}", "      - {to: 10.255.0.1/32, via: 10.0.23.3}", 1)
		},
		// Not a mistake in the network: a student who deleted the
		// checks: of the file handed out. Graded by its own (none) the
		// lab passes; by the teacher's (--checks) it is checked anyway.
		"course-s11": func(s string) string {
			i := strings.Index(s, "# Run with: netlab check")
			return s[:i]
		},
		"course-ospf2": func(s string) string {
			return strings.Replace(s, "  r3:\n    interfaces:", "  r3:\n    config: |\n"+indent(strings.ReplaceAll(ospfConfig(t, s), "area 0", "area 1"), "      ")+"    interfaces:", 1)
		},
	}
	var names []string
	files := map[string]string{}
	for i := 1; i <= 30; i++ {
		names = append(names, fmt.Sprintf("course-s%02d", i))
	}
	names = append(names, "course-ospf1", "course-ospf2")
	for _, n := range names {
		text := strings.Replace(string(triangle), "name: triangle\n", "name: "+n+"\n", 1)
		if strings.HasPrefix(n, "course-ospf") {
			text = strings.Replace(string(ospf), "name: ospf\n", "name: "+n+"\n", 1)
		}
		if m := mistakes[n]; m != nil {
			changed := m(text)
			if changed == text {
				t.Fatalf("the mistake of %s changes nothing", n)
			}
			text = changed
		}
		files[n] = writeTopology(t, n, text)
	}

	// Up, eight at a time; down by name when the test ends.
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	slots := make(chan struct{}, 8)
	var upErrs []string
	for _, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			if r := run("up", "-q", files[n]); r.code != 0 {
				mu.Lock()
				upErrs = append(upErrs, fmt.Sprintf("%s: exit %d: %s", n, r.code, r.stderr))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, n := range names {
			if r := run("down", n); r.code != 0 {
				t.Errorf("down %s: %s", n, r.stderr)
			}
		}
		left, _ := os.ReadDir(state)
		for _, e := range left {
			if e.IsDir() {
				t.Errorf("state of lab %s left after down", e.Name())
			}
		}
		for _, e := range dirNames(netnsDir()) {
			if strings.HasPrefix(e, "course-") {
				t.Errorf("netns %s left after down", e)
			}
		}
	})
	if len(upErrs) > 0 {
		t.Fatalf("up failed:\n%s", strings.Join(upErrs, "\n"))
	}
	t.Logf("%d labs up in %v", len(names), time.Since(start))

	junit := filepath.Join(t.TempDir(), "grades.xml")
	start = time.Now()
	r := run("check", "--all", "--junit", junit, "--wait", "3s")
	graded := time.Since(start)
	if r.code != 1 {
		t.Fatalf("check --all with mistakes: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("check --all: %v for %d labs\n%s", graded, len(names), lastLines(r.stdout, 1))
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("JUnit: %v", err)
	}
	if len(doc.Suites) != courseLabs {
		t.Fatalf("JUnit has %d suites, want %d", len(doc.Suites), courseLabs)
	}
	failures := map[string][]string{}
	var failed []string
	for _, s := range doc.Suites {
		// Suites are named OWNER/LAB: these labs are root's.
		name, ok := strings.CutPrefix(s.Name, "root/")
		if !ok {
			t.Errorf("suite %s is not named root/LAB", s.Name)
		}
		s.Name = name
		if want := 9; s.Tests < want && s.Name != "course-s11" || s.Name == "course-s11" && s.Tests != 0 || len(s.Cases) != s.Tests {
			t.Errorf("suite %s has %d tests, %d test cases", s.Name, s.Tests, len(s.Cases))
		}
		for _, c := range s.Cases {
			if c.Failure != nil {
				failures[s.Name] = append(failures[s.Name], c.Name+": "+c.Failure.Message)
			}
		}
		if s.Failures > 0 {
			failed = append(failed, s.Name)
		}
	}
	slices.Sort(failed)
	if want := []string{"course-ospf2", "course-s07", "course-s19", "course-s23"}; !slices.Equal(failed, want) {
		t.Errorf("failed labs %v, want %v", failed, want)
	}
	for lab, want := range map[string][]string{
		"course-s07": {
			"ping r1 to r3: no reply from r3 (10.255.0.3): connect: Network is unreachable",
			"route r1 to 10.255.0.3/32 via 10.0.13.3 dev eth2: r1 has no route to 10.255.0.3/32; no route covers it either, so it is unreachable",
		},
		"course-s19": {
			"ping r1 to r3-eth2: no reply from r3-eth2 (10.0.23.3): 1 packets transmitted, 0 received, 100% packet loss",
			"route r3 to 10.0.12.0/24 via 10.0.13.1: r3 has no route to 10.0.12.0/24; no route covers it either, so it is unreachable",
		},
		"course-s23": {
			"route r2 to 10.255.0.1 via 10.0.12.1: r2 routes 10.255.0.1 by 10.255.0.1/32 via 10.0.23.3 dev eth2 proto boot, not via 10.0.12.1",
		},
		"course-ospf2": {
			"ospf r2 neighbor r3: r2 has no OSPF neighbour r3; its neighbours: 10.255.0.1 (10.0.12.1 on eth2) Full/-",
			"ospf r3 neighbor r4: r3 has no OSPF neighbour r4; it has no neighbours at all",
		},
	} {
		for _, w := range want {
			if !slices.ContainsFunc(failures[lab], func(f string) bool { return strings.HasPrefix(f, w) }) {
				t.Errorf("%s: no failure %q among\n  %s", lab, w, strings.Join(failures[lab], "\n  "))
			}
		}
	}
	for lab, fs := range failures {
		t.Logf("%s failed:\n  %s", lab, strings.Join(fs, "\n  "))
	}

	// The teacher's checks, from the file handed out, on the 30 students'
	// labs: the same three fail, and the lab without checks of its own
	// gets all of them.
	r = run(append([]string{"check", "--checks", "labs/triangle.yaml", "--json", "--wait", "3s"}, names[:30]...)...)
	var graded2 checkJSON
	if err := json.Unmarshal([]byte(r.stdout), &graded2); err != nil || r.code != 1 || len(graded2.Labs) != 30 {
		t.Fatalf("check --checks: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	failed = nil
	for _, l := range graded2.Labs {
		if l.Failed > 0 {
			failed = append(failed, l.Name)
		}
		if l.Passed+l.Failed != 9 {
			t.Errorf("%s: %d checks by the teacher's file, want 9", l.Name, l.Passed+l.Failed)
		}
	}
	if want := []string{"course-s07", "course-s19", "course-s23"}; !slices.Equal(failed, want) {
		t.Errorf("by the teacher's checks, failed labs %v, want %v", failed, want)
	}
}

// ospfConfig is the frr.conf under defaults: of the ospf lab's text.
func ospfConfig(t *testing.T, text string) string {
	t.Helper()
	_, rest, ok := strings.Cut(text, "  config: |\n")
	if !ok {
		t.Fatal("the ospf lab has no config under defaults")
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(rest, "\n") {
		if !strings.HasPrefix(line, "    ") {
			break
		}
		b.WriteString(strings.TrimPrefix(line, "    "))
	}
	return b.String()
}

func indent(s, by string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if line != "" {
			b.WriteString(by + line)
		}
	}
	return b.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

// BenchmarkCheck30Labs: the time to grade 30 labs of 10 checks each (the
// triangle's nine and a route lookup), all passing, through the check
// package as netlab check --all runs them.
func BenchmarkCheck30Labs(b *testing.B) {
	needRoot(b)
	needCommand(b, "ping")
	triangle, err := os.ReadFile(filepath.Join(repoRoot, "labs/triangle.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	extra := "  - route: {node: r3, to: 10.255.0.2}\n"
	var names []string
	for i := 1; i <= 30; i++ {
		n := fmt.Sprintf("chkbench-%02d", i)
		names = append(names, n)
		text := strings.Replace(string(triangle), "name: triangle\n", "name: "+n+"\n", 1) + extra
		if r := netlab(b, "up", "-q", writeTopology(b, n, text)); r.code != 0 {
			b.Fatalf("up %s: %s", n, r.stderr)
		}
		b.Cleanup(func() { netlab(b, "down", n) })
	}
	ctx := context.Background()
	checks := 0
	for b.Loop() {
		rep := check.Run(ctx, check.Suites(ownLabRefs(names...), nil), check.Options{})
		passed, failed := rep.Counts()
		if failed != 0 || passed != 300 {
			b.Fatalf("%d passed, %d failed; want 300 and 0", passed, failed)
		}
		checks += passed
	}
	b.ReportMetric(float64(checks)/b.Elapsed().Seconds(), "checks/s")
}
