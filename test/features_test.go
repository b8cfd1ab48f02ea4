package test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// inNode runs a shell script in lab/node and returns its trimmed stdout.
func inNode(t *testing.T, node, script string) string {
	t.Helper()
	return strings.TrimSpace(mustNetlab(t, "exec", node, "--", "sh", "-c", script))
}

// TestLAN: hosts on one bridge reach each other, and hosts on the other LAN
// through the router, over IPv4 and IPv6, right after up.
func TestLAN(t *testing.T) {
	needRoot(t)
	needCommand(t, "ping")
	upLab(t, "labs/lan.yaml", "lan")
	for _, c := range []struct{ from, to string }{
		{"h1", "h2"}, {"h1", "h3"}, {"h1", "h4"}, {"h4", "h2"}, {"h3", "gw-eth1"},
	} {
		for _, family := range []string{"-4", "-6"} {
			mustNetlab(t, "exec", "lan/"+c.from, "--", "ping", family, "-c1", "-W2", c.to)
		}
	}
	ports := strings.Fields(inNode(t, "lan/sw1", "ls /sys/class/net/br0/brif"))
	if strings.Join(ports, " ") != "p1 p2 p3" {
		t.Errorf("ports of sw1's bridge: %v, want p1 p2 p3", ports)
	}
	if got := inNode(t, "lan/sw1", "ip -o addr show dev p1 | grep -v fe80 || true"); got != "" {
		t.Errorf("bridge port p1 carries an address: %s", got)
	}
}

// TestIPv6Lab: an IPv6-only routed lab answers a ping6 across three routers
// at once after up (duplicate address detection must not delay it).
func TestIPv6Lab(t *testing.T) {
	needRoot(t)
	needCommand(t, "ping")
	upLab(t, "labs/ipv6.yaml", "ipv6")
	mustNetlab(t, "exec", "ipv6/h1", "--", "ping", "-6", "-c1", "-W2", "h2")
	for _, r := range []string{"r1", "r2", "r3", "r3-lo"} {
		mustNetlab(t, "exec", "ipv6/h2", "--", "ping", "-6", "-c1", "-W2", r)
	}
	if got := inNode(t, "ipv6/r2", "ip -4 addr show | grep inet | grep -vc 127.0.0.1 || true"); got != "0" {
		t.Errorf("r2 of an IPv6-only lab has %s IPv4 addresses besides 127.0.0.1", got)
	}
}

// TestFilesSysctlsExec covers files:, sysctls:, exec: and link options.
func TestFilesSysctlsExec(t *testing.T) {
	needRoot(t)
	needCommand(t, "ping")
	if _, err := os.Stat("/etc/netlab-test"); err == nil {
		t.Fatal("/etc/netlab-test exists on the host; the test needs it absent")
	}
	upLab(t, "test/testdata/features.yaml", "features")

	// files: under /etc (even where the host has no such directory), /root,
	// /run, /tmp; owned by node root; scripts executable.
	for path, want := range map[string]string{
		"/etc/motd":                        "node a's own motd",
		"/etc/netlab-test/shared.conf":     "from defaults",
		"/etc/netlab-test/deep/dir/a.conf": "a",
		"/run/a/state":                     "running",
		"/tmp/a.txt":                       "tmp of a",
	} {
		if got := inNode(t, "features/a", "cat "+path); got != want {
			t.Errorf("%s in a: %q, want %q", path, got, want)
		}
	}
	if got := inNode(t, "features/a", "stat -c '%u:%g %a' /etc/netlab-test/deep/dir/a.conf /root/hello.sh /run/a"); got != "0:0 644\n0:0 755\n0:0 755" {
		t.Errorf("owners and modes in a:\n%s", got)
	}
	if got := inNode(t, "features/b", "cat /etc/netlab-test/shared.conf; ls /etc/netlab-test"); got != "from defaults\nshared.conf" {
		t.Errorf("b's files: %q (defaults' file only)", got)
	}
	if got := inNode(t, "features/b", "cat /tmp/a.txt /run/a/state 2>&1 | grep -c 'No such' || true"); got != "2" {
		t.Errorf("b sees a's private files: %q", got)
	}
	if _, err := os.Stat("/etc/netlab-test"); err == nil {
		t.Errorf("files: of a node reached the host's /etc")
	}
	hostMotd, _ := os.ReadFile("/etc/motd")
	if strings.Contains(string(hostMotd), "node a") {
		t.Errorf("the host's /etc/motd changed")
	}

	// exec: steps ran in order, after files were written.
	if got := inNode(t, "features/a", "cat /tmp/order; cat /tmp/hello"); got != "one\ntwo\nhello from a" {
		t.Errorf("exec steps: %q", got)
	}

	// sysctls: a node's own value wins over defaults, per-interface keys
	// work, and the kind decides forwarding.
	for _, c := range []struct{ node, key, want string }{
		{"a", "net.ipv4.conf.all.rp_filter", "0"},
		{"b", "net.ipv4.conf.all.rp_filter", "2"},
		{"a", "net.ipv4.conf.eth1.arp_ignore", "1"},
		{"b", "net.ipv4.icmp_ratelimit", "500"},
		{"a", "net.ipv4.ip_forward", "1"},
		{"a", "net.ipv6.conf.all.forwarding", "1"},
		{"b", "net.ipv4.ip_forward", "0"},
		{"b", "net.ipv6.conf.all.forwarding", "0"},
	} {
		if got := inNode(t, "features/"+c.node, "sysctl -n "+c.key); got != c.want {
			t.Errorf("%s %s = %s, want %s", c.node, c.key, got, c.want)
		}
	}

	// Link options: the MTU on both ends; MACs derived from lab, node and
	// interface, so the same on every run.
	for _, n := range []string{"a", "b"} {
		if got := inNode(t, "features/"+n, "cat /sys/class/net/eth1/mtu"); got != "1400" {
			t.Errorf("mtu of %s:eth1 = %s, want 1400", n, got)
		}
	}
	mustNetlab(t, "exec", "features/a", "--", "ping", "-4", "-c1", "-W2", "-s", "1372", "-M", "do", "b")
	macs := func() string {
		return inNode(t, "features/a", "cat /sys/class/net/eth1/address") + inNode(t, "features/b", "cat /sys/class/net/eth1/address")
	}
	first := macs()
	mustNetlab(t, "down", "features")
	mustNetlab(t, "up", "test/testdata/features.yaml")
	if again := macs(); again != first {
		t.Errorf("MACs changed across runs: %q then %q", first, again)
	}
}

// TestExecStepFails: a failing exec step fails up, naming node, step and
// its output, and the lab is rolled back.
func TestExecStepFails(t *testing.T) {
	needRoot(t)
	before := takeSnapshot(t, "execfail", nil)
	r := netlab(t, "up", "test/testdata/execfail.yaml")
	if r.code != 1 {
		t.Errorf("up: exit %d, want 1", r.code)
	}
	for _, want := range []string{"node a", "exit 3", "this goes wrong", "exited 3"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("up's error lacks %q: %s", want, r.stderr)
		}
	}
	if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 {
		t.Errorf("up's error is %d lines, want one: %s", n+1, r.stderr)
	}
	assertNoLeftovers(t, before, nil)
}

// TestFilesOutsidePrivateView: files: may not write host directories; the
// error names the file and line, and nothing is made.
func TestFilesOutsidePrivateView(t *testing.T) {
	needRoot(t)
	before := takeSnapshot(t, "outside", nil)
	for _, verb := range []string{"validate", "up"} {
		r := netlab(t, verb, "test/testdata/outside.yaml")
		if r.code != 2 || !strings.HasPrefix(r.stderr, "test/testdata/outside.yaml:5:") || !strings.Contains(r.stderr, "/usr/local/bin/tool") {
			t.Errorf("%s: exit %d, stderr %q", verb, r.code, r.stderr)
		}
	}
	assertNoLeftovers(t, before, nil)
}

// TestGraph: dot output renders with Graphviz; mermaid output names every
// node and link.
func TestGraph(t *testing.T) {
	needCommand(t, "dot")
	out := mustNetlab(t, "graph", "labs/lan.yaml")
	cmd := exec.Command("dot", "-Tsvg")
	cmd.Stdin = strings.NewReader(out)
	svg, err := cmd.Output()
	if err != nil || !strings.Contains(string(svg), "<svg") {
		t.Errorf("dot -Tsvg of netlab graph: %v\n%s", err, out)
	}
	mer := mustNetlab(t, "graph", "--format", "mermaid", "labs/lan.yaml")
	for _, want := range []string{"flowchart", "gw", "sw1", "2001:db8:1::11/64"} {
		if !strings.Contains(mer, want) {
			t.Errorf("mermaid output lacks %q:\n%s", want, mer)
		}
	}
	if r := netlab(t, "graph", "--format", "png", "labs/lan.yaml"); r.code != 2 {
		t.Errorf("unknown format: exit %d", r.code)
	}
}
