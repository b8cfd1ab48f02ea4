package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlab-dev/netlab/test/golden"
)

// Labs across hosts are tested on hosts emulated on this machine: each a
// network namespace of its own, joined to the others by an underlay (a
// veth to a switch namespace each), each running its own netlab in its
// namespace (nsenter --net) with a state directory of its own. netlab
// takes the namespace it runs in for the host's: its tunnels' UDP sockets
// are made there, and the hosts: entry whose address is there is its own.

// emuHost is one emulated host.
type emuHost struct {
	name  string // its name in the lab's hosts:
	netns string // its network namespace, as iproute2 names it
	addr  string // its underlay address
	state string // its netlab's NETLAB_STATE_DIR
}

// underlay makes hosts named names, with underlay addresses 198.51.100.1,
// .2, ... in that order (those the topologies of testdata/hosts give
// them), and removes them when the test ends, after the test's own
// cleanups (which take its labs down in each).
func underlay(t *testing.T, names ...string) []*emuHost {
	t.Helper()
	needRoot(t)
	needCommand(t, "ip")
	needCommand(t, "nsenter")
	id := fmt.Sprintf("hosts-%d", os.Getpid()%100000)
	sw := id + "-sw"
	var made []string
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	t.Cleanup(func() {
		for _, ns := range made {
			exec.Command("ip", "netns", "delete", ns).Run()
		}
	})
	ip("netns", "add", sw)
	made = append(made, sw)
	ip("-n", sw, "link", "add", "br0", "type", "bridge")
	ip("-n", sw, "link", "set", "br0", "up")
	// The machine itself must not be one of the lab's hosts.
	if out, _ := exec.Command("ip", "-o", "addr", "show").Output(); strings.Contains(string(out), " 198.51.100.") {
		t.Fatalf("this machine has an address of 198.51.100.0/24, which the emulated hosts use: %s", out)
	}
	var hosts []*emuHost
	for i, name := range names {
		h := &emuHost{name: name, netns: id + "-" + name, addr: fmt.Sprintf("198.51.100.%d", i+1), state: filepath.Join(t.TempDir(), name)}
		ip("netns", "add", h.netns)
		made = append(made, h.netns)
		ip("link", "add", "ul0", "netns", h.netns, "type", "veth", "peer", "name", "to-"+name, "netns", sw)
		ip("-n", sw, "link", "set", "to-"+name, "master", "br0", "up")
		ip("-n", h.netns, "addr", "add", h.addr+"/24", "dev", "ul0")
		ip("-n", h.netns, "link", "set", "ul0", "up")
		ip("-n", h.netns, "link", "set", "lo", "up")
		hosts = append(hosts, h)
	}
	return hosts
}

// netlab runs netlab in the host: in its network namespace, with its
// state directory.
func (h *emuHost) netlab(t testing.TB, args ...string) result {
	t.Helper()
	return runIn(t, h.command(netlabBin, args...))
}

// command is name run in the host's network namespace, with its state
// directory.
func (h *emuHost) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command("nsenter", append([]string{"--net=/run/netns/" + h.netns, "--", name}, args...)...)
	cmd.Env = append(os.Environ(), "NETLAB_STATE_DIR="+h.state)
	return cmd
}

// must is netlab in the host, failing the test unless it exits 0.
func (h *emuHost) must(t testing.TB, args ...string) string {
	t.Helper()
	r := h.netlab(t, args...)
	if r.code != 0 {
		t.Fatalf("host %s: netlab %s: exit %d\nstdout: %s\nstderr: %s", h.name, strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// up brings up the host's part of file's lab, which it takes down when
// the test ends, if it is still up then.
func (h *emuHost) up(t *testing.T, file, lab string, args ...string) string {
	t.Helper()
	t.Cleanup(func() { h.netlab(t, "down", "-q", lab) })
	start := time.Now()
	out := h.must(t, append([]string{"up", file}, args...)...)
	t.Logf("host %s: up %s in %v: %s", h.name, lab, time.Since(start), strings.SplitN(out, "\n", 2)[0])
	return out
}

// assertNothingLeft fails the test if anything of labs is left on the
// hosts: a device or a UDP socket in a host's namespace, its state, a
// netns name, a process, a cgroup. Tests call it in a cleanup registered
// right after underlay's: after those of up, which take the labs down.
func assertNothingLeft(t *testing.T, hosts []*emuHost, labs ...string) {
	t.Helper()
	for _, h := range hosts {
		out, _ := exec.Command("ip", "-n", h.netns, "-o", "link", "show").Output()
		var devs []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if f := strings.Fields(l); len(f) > 1 {
				devs = append(devs, strings.SplitN(strings.TrimSuffix(f[1], ":"), "@", 2)[0])
			}
		}
		if !slices.Equal(devs, []string{"lo", "ul0"}) {
			t.Errorf("host %s has devices %v; want lo and ul0 only", h.name, devs)
		}
		sockets, _ := exec.Command("ip", "netns", "exec", h.netns, "ss", "-uanH").Output()
		if s := strings.TrimSpace(string(sockets)); s != "" {
			t.Errorf("host %s has UDP sockets left:\n%s", h.name, s)
		}
		for _, lab := range labs {
			if _, err := os.Stat(filepath.Join(h.state, lab)); err == nil {
				t.Errorf("host %s: the state of lab %s is left", h.name, lab)
			}
		}
	}
	for _, lab := range labs {
		for _, n := range dirNames(netnsDir()) {
			if strings.HasPrefix(n, lab+"-") {
				t.Errorf("lab %s: netns %s is left", lab, n)
			}
		}
		if procs := labProcesses(lab, nil); len(procs) > 0 {
			t.Errorf("lab %s: processes left: %v", lab, procs)
		}
		for _, pattern := range []string{"/sys/fs/cgroup/*/netlab*/" + lab, "/sys/fs/cgroup/netlab*/" + lab} {
			if m, _ := filepath.Glob(pattern); len(m) > 0 {
				t.Errorf("lab %s: cgroups left: %v", lab, m)
			}
		}
	}
}

// underlayCapture captures, in host h's namespace, on its underlay, the
// first count UDP datagrams to port: tcpdump's lines, once it has them or
// after a while.
func underlayCapture(t *testing.T, h *emuHost, port, count int) func() string {
	t.Helper()
	needCommand(t, "tcpdump")
	var out bytes.Buffer
	cmd := h.command("timeout", "30", "tcpdump", "-i", "ul0", "-nn", "-l", "-c", fmt.Sprint(count), "udp", "dst", "port", fmt.Sprint(port))
	cmd.Stdout = &out
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// tcpdump says when it listens.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "listening on") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	var once sync.Once
	var lines string
	return func() string {
		once.Do(func() {
			cmd.Wait()
			lines = out.String()
		})
		return lines
	}
}

// labStatus is what status --json says of a lab, as these tests read it.
type labStatus struct {
	Name  string
	State string
	Host  string
	Nodes []struct {
		Name       string
		Running    bool
		Interfaces []struct {
			Name      string
			MTU       int
			MAC       string
			Peer      string
			PeerHost  string `json:"peer_host"`
			Addresses []string
		}
	}
}

func statusOf(t *testing.T, h *emuHost, lab string) labStatus {
	t.Helper()
	var st struct{ Labs []labStatus }
	if err := json.Unmarshal([]byte(h.must(t, "status", "--json", lab)), &st); err != nil || len(st.Labs) != 1 {
		t.Fatalf("host %s: status --json %s: %v", h.name, lab, err)
	}
	return st.Labs[0]
}

// nodesOf are the names of the nodes a status lists.
func (s labStatus) nodesOf() []string {
	var out []string
	for _, n := range s.Nodes {
		out = append(out, n.Name)
	}
	return out
}

// TestHostsTwo: a lab over two emulated hosts, b brought up first. Pings
// cross the tunnels by name, OSPF forms an adjacency over one, a LAN
// spans the hosts (its bridge on a, a member on b); the traffic on the
// underlay is UDP to 4789; each host's check grades its own nodes and its
// status shows the far ends with their host. a's down leaves b's part
// running, and a's coming back joins it again. Nothing is left.
func TestHostsTwo(t *testing.T) {
	needCommand(t, "ping")
	needCommand(t, "vtysh")
	hosts := underlay(t, "a", "b")
	a, b := hosts[0], hosts[1]
	const lab, file = "hosts-two", "test/testdata/hosts/two.yaml"
	t.Cleanup(func() { assertNothingLeft(t, hosts, lab) })

	// b first, finding itself by its address; a can come later.
	out := b.up(t, file, lab)
	if !strings.Contains(out, "lab hosts-two is up on host b: 3 of its 6 nodes, 2 of its 2 links to other hosts") {
		t.Errorf("up on b said: %s", out)
	}
	if r := b.netlab(t, "exec", "h2", "--", "ping", "-c1", "-W1", "10.0.1.1"); r.code == 0 {
		t.Errorf("h2 reaches r1 on a before a is up")
	}
	capture := underlayCapture(t, b, 4789, 4)
	a.up(t, file, lab, "--host", "a")

	// Each host grades its own nodes' checks; OSPF comes up over the
	// tunnel, and pings cross it both ways, by name.
	for _, h := range hosts {
		r := h.netlab(t, "check", "--json", lab)
		var rep struct {
			Labs []struct{ Passed, Failed int }
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 || len(rep.Labs) != 1 || rep.Labs[0].Passed != 2 || rep.Labs[0].Failed != 0 {
			t.Errorf("host %s: check: exit %d, %v\n%s%s", h.name, r.code, err, r.stdout, r.stderr)
		}
	}
	for _, p := range []struct {
		h        *emuHost
		from, to string
	}{{a, "h1", "h2"}, {b, "h2", "h1"}, {b, "h3", "h1"}, {a, "h1", "h3"}, {b, "r2", "r1"}, {a, "r1", "r2-eth2"}} {
		p.h.must(t, "exec", p.from, "--", "ping", "-c1", "-W2", p.to)
	}
	// Every node of the lab is in every node's /etc/hosts, on both hosts.
	for _, h := range hosts {
		node := map[string]string{"a": "h1", "b": "h3"}[h.name]
		etc := h.must(t, "exec", node, "--", "cat", "/etc/hosts")
		for _, want := range []string{"10.255.0.1\tr1", "10.255.0.2\tr2", "10.0.1.11\th1", "10.0.1.12\th2", "10.0.23.3\th3"} {
			if !strings.Contains(etc, want) {
				t.Errorf("host %s: /etc/hosts of %s lacks %q:\n%s", h.name, node, want, etc)
			}
		}
	}
	if lines := capture(); strings.Count(lines, "198.51.100.1.") < 1 || !strings.Contains(lines, "> 198.51.100.2.4789: VXLAN") {
		t.Errorf("the underlay did not carry VXLAN to 198.51.100.2:4789:\n%s", lines)
	}

	// Status: this host's nodes, the far ends of tunnels with their
	// host, the tunnels 50 bytes under the underlay's MTU unless the
	// link says.
	st := statusOf(t, a, lab)
	if st.State != "up" || st.Host != "a" || !slices.Equal(st.nodesOf(), []string{"r1", "sw1", "h1"}) {
		t.Errorf("status on a: %s on host %s, nodes %v", st.State, st.Host, st.nodesOf())
	}
	far := map[string]string{}
	for _, n := range st.Nodes {
		for _, i := range n.Interfaces {
			if i.PeerHost != "" {
				far[n.Name+":"+i.Name] = fmt.Sprintf("%s on %s, mtu %d", i.Peer, i.PeerHost, i.MTU)
			}
		}
	}
	if want := map[string]string{"r1:eth1": "r2:eth1 on b, mtu 1450", "sw1:p3": "h2:eth1 on b, mtu 1450"}; fmt.Sprint(far) != fmt.Sprint(want) {
		t.Errorf("status on a: far ends %v, want %v", far, want)
	}
	if table := a.must(t, "status", lab); !strings.Contains(table, "r2:eth1 (host b)") {
		t.Errorf("status table on a lacks the far end on b:\n%s", table)
	}

	// a goes down: b's part keeps running, and works within b.
	a.must(t, "down", lab)
	if st := statusOf(t, b, lab); st.State != "up" {
		t.Errorf("b's part after a's down: %s", st.State)
	}
	b.must(t, "exec", "h3", "--", "ping", "-c1", "-W2", "r2")
	if r := b.netlab(t, "exec", "h2", "--", "ping", "-c1", "-W1", "h1"); r.code == 0 {
		t.Errorf("h2 reaches h1 with a down")
	}
	// a comes back, after b this time too: the lab is whole again.
	a.up(t, file, lab, "--host", "a")
	for _, h := range hosts {
		h.must(t, "check", "--wait", "30s", lab)
	}
	b.must(t, "exec", "h3", "--", "ping", "-c1", "-W2", "h1")
	a.must(t, "down", lab)
	b.must(t, "down", lab)
}

// TestHostsThree: a chain placed on three hosts by placement: auto, two
// routers on each, brought up in the order c, b, a, each host finding
// itself by its address; OSPF carries r1's pings to r6 across two tunnels
// and three hosts. The hosts go down in another order; nothing is left.
func TestHostsThree(t *testing.T) {
	needCommand(t, "ping")
	needCommand(t, "vtysh")
	hosts := underlay(t, "a", "b", "c")
	const lab, file = "hosts-three", "test/testdata/hosts/three.yaml"
	t.Cleanup(func() { assertNothingLeft(t, hosts, lab) })
	for i := len(hosts) - 1; i >= 0; i-- {
		hosts[i].up(t, file, lab)
	}
	want := map[string][]string{"a": {"r1", "r2"}, "b": {"r3", "r4"}, "c": {"r5", "r6"}}
	for _, h := range hosts {
		if got := statusOf(t, h, lab).nodesOf(); !slices.Equal(got, want[h.name]) {
			t.Errorf("host %s runs %v, want %v", h.name, got, want[h.name])
		}
	}
	// r1's check on a, r6's on c: each across all three hosts.
	for _, h := range []*emuHost{hosts[0], hosts[2]} {
		if r := h.netlab(t, "check", lab); r.code != 0 || !strings.Contains(r.stdout, "hosts-three: all 1 check passed") {
			t.Errorf("host %s: check: exit %d\n%s%s", h.name, r.code, r.stdout, r.stderr)
		}
	}
	hosts[1].must(t, "exec", "r3", "--", "ping", "-c1", "-W2", "r1")
	for _, i := range []int{0, 2, 1} {
		hosts[i].must(t, "down", lab)
	}
}

// TestHostsTwins: two labs with the same node names and addresses on the
// same two hosts are kept apart: each has VNIs of its own, each r1's
// neighbour is its own lab's r2, and one's traffic never reaches the
// other's nodes.
func TestHostsTwins(t *testing.T) {
	needCommand(t, "ping")
	hosts := underlay(t, "a", "b")
	a, b := hosts[0], hosts[1]
	base, err := os.ReadFile(filepath.Join(repoRoot, "test/testdata/hosts/twin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	labs := []string{"hosts-twin1", "hosts-twin2"}
	t.Cleanup(func() { assertNothingLeft(t, hosts, labs...) })
	for _, lab := range labs {
		file := writeTopology(t, lab, strings.Replace(string(base), "name: hosts-twin\n", "name: "+lab+"\n", 1))
		a.up(t, file, lab)
		b.up(t, file, lab)
	}
	vni := func(h *emuHost, lab, node string) string {
		out := h.must(t, "exec", lab+"/"+node, "--", "ip", "-d", "link", "show", "eth1")
		f := strings.Fields(out[strings.Index(out, "vxlan id "):])
		return f[2]
	}
	if v1, v2 := vni(a, labs[0], "r1"), vni(a, labs[1], "r1"); v1 == v2 || v1 != vni(b, labs[0], "r2") {
		t.Errorf("VNIs: twin1 %s (r2: %s), twin2 %s", v1, vni(b, labs[0], "r2"), v2)
	}
	// Echo requests each r2 got (the kernel's own count, Icmp InEchos).
	echoes := func(lab string) string {
		snmp := strings.Split(b.must(t, "exec", lab+"/r2", "--", "cat", "/proc/net/snmp"), "\n")
		for i := 0; i+1 < len(snmp); i++ {
			if names, values := strings.Fields(snmp[i]), strings.Fields(snmp[i+1]); len(names) > 0 && names[0] == "Icmp:" && len(values) == len(names) {
				if k := slices.Index(names, "InEchos"); k > 0 {
					return values[k]
				}
			}
		}
		t.Fatalf("%s/r2 has no Icmp InEchos in /proc/net/snmp", lab)
		return ""
	}
	before := [2]string{echoes(labs[0]), echoes(labs[1])}
	a.must(t, "exec", labs[0]+"/r1", "--", "ping", "-c20", "-i0.01", "-W2", "10.0.0.2")
	if after := [2]string{echoes(labs[0]), echoes(labs[1])}; after[1] != before[1] || after[0] == before[0] {
		t.Errorf("echo requests to twin1's r2 %s then %s, to twin2's r2 %s then %s, while twin1's r1 pinged 20 times", before[0], after[0], before[1], after[1])
	}
	for _, lab := range labs {
		a.must(t, "exec", lab+"/r1", "--", "ping", "-c1", "-W2", "r2")
		mac := ""
		for _, n := range statusOf(t, b, lab).Nodes {
			for _, i := range n.Interfaces {
				if n.Name == "r2" && i.Name == "eth1" {
					mac = i.MAC
				}
			}
		}
		if neigh := a.must(t, "exec", lab+"/r1", "--", "ip", "neigh", "show", "10.0.0.2"); mac == "" || !strings.Contains(neigh, mac) {
			t.Errorf("%s: r1's neighbour 10.0.0.2 is %q, not its r2 (%s)", lab, neigh, mac)
		}
	}
	for _, lab := range labs {
		a.must(t, "down", lab)
		b.must(t, "down", lab)
	}
}

// TestHostsRefused: what keeps a host from bringing up its part is said
// in one line before anything is made, with what to do: a --host the lab
// does not have, a machine none of the hosts is, an ordinary user's up
// (exit 2 each).
func TestHostsRefused(t *testing.T) {
	hosts := underlay(t, "a")
	const lab, file = "hosts-two", "test/testdata/hosts/two.yaml"
	t.Cleanup(func() { assertNothingLeft(t, hosts, lab) })
	u := newRootlessUser(t, "netlabhosts", 0)
	var got bytes.Buffer
	for _, c := range []struct {
		name string
		run  func() result
	}{
		{"an unknown --host", func() result { return hosts[0].netlab(t, "up", file, "--host", "c") }},
		{"no host here", func() result { return netlabWith(t, nil, []string{"NETLAB_STATE_DIR=" + hosts[0].state}, "up", file) }},
		{"an ordinary user", func() result { return u.run(t, nil, "up", u.topology(t, filepath.Join(repoRoot, file))) }},
	} {
		r := c.run()
		if r.code != 2 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, want 2 and one line\nstdout: %s\nstderr: %s", c.name, r.code, r.stdout, r.stderr)
		}
		fmt.Fprintf(&got, "# %s\n%s", c.name, strings.ReplaceAll(r.stderr, u.files+"/", "$FILES/"))
	}
	golden.Check(t, filepath.Join(repoRoot, "test/testdata/hosts/refused.golden"), got.Bytes())
	if _, err := os.Stat(u.stateRoot()); err == nil {
		t.Errorf("the ordinary user's refused up made its state directory")
	}
}
