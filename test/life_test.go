package test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netlab-dev/netlab/topology"
)

// lifeEvent is a line of netlab events --json.
type lifeEvent struct {
	Time      time.Time         `json:"time"`
	Lab       string            `json:"lab"`
	Node      string            `json:"node"`
	Interface string            `json:"interface"`
	Kind      string            `json:"kind"`
	Details   map[string]string `json:"details"`
}

// eventStream is a netlab events --json running in the background.
type eventStream struct {
	cmd *exec.Cmd
	out *bytes.Buffer
}

// startEvents starts cmd (netlab events --json ...) and waits until its
// first event, made by touch, shows that it listens.
func startEvents(t *testing.T, cmd *exec.Cmd, touch func()) *eventStream {
	t.Helper()
	r, w := io.Pipe()
	cmd.Stdout = w
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &eventStream{cmd: cmd, out: &bytes.Buffer{}}
	first := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(r)
		once := false
		for sc.Scan() {
			s.out.Write(append(sc.Bytes(), '\n'))
			if !once {
				once = true
				close(first)
			}
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.After(20 * time.Second)
	for {
		touch()
		select {
		case <-first:
			return s
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("netlab events printed nothing within 20s")
		}
	}
}

// stop ends the stream with Ctrl-C, which is how it is meant to end (exit
// 0), and returns what it printed.
func (s *eventStream) stop(t *testing.T) []lifeEvent {
	t.Helper()
	time.Sleep(300 * time.Millisecond) // the last events' way through
	s.cmd.Process.Signal(syscall.SIGINT)
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("netlab events after Ctrl-C: %v", err)
	}
	var out []lifeEvent
	for _, line := range strings.Split(strings.TrimSpace(s.out.String()), "\n") {
		var ev lifeEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Errorf("netlab events --json printed a line that is not an event: %q (%v)", line, err)
			continue
		}
		out = append(out, ev)
	}
	return out
}

// wantEvents checks that evs holds each of want (NODE[:IF] KIND, then
// KEY=VALUE details that must be in the event's, a + for each space), in
// want's order among the events of one source.
func wantEvents(t *testing.T, evs []lifeEvent, want ...string) {
	t.Helper()
	// Sources differ in delay (the log is polled): each in the order of
	// its own source, not across them. The supervisor reports node-*, a
	// node's netlink socket its interfaces, the log the verbs.
	source := func(node, kind string) string {
		switch {
		case strings.HasPrefix(kind, "node-"):
			return "supervisor"
		case kind == "link-state" || kind == "link-deleted" || strings.HasPrefix(kind, "address-") || strings.HasPrefix(kind, "route-"):
			return "netlink " + strings.SplitN(node, ":", 2)[0]
		}
		return "log"
	}
	from := map[string]int{} // where each source's next wanted event may be
next:
	for _, w := range want {
		f := strings.Fields(w)
		src := source(f[0], f[1])
		for i := from[src]; i < len(evs); i++ {
			e := evs[i]
			where := e.Node
			if e.Interface != "" {
				where += ":" + e.Interface
			}
			if where != f[0] || e.Kind != f[1] {
				continue
			}
			ok := true
			for _, kv := range f[2:] {
				k, v, _ := strings.Cut(kv, "=")
				ok = ok && e.Details[k] == strings.ReplaceAll(v, "+", " ")
			}
			if ok {
				from[src] = i + 1
				continue next
			}
		}
		var got []string
		for _, e := range evs {
			got = append(got, fmt.Sprintf("%s/%s:%s %s %v", e.Lab, e.Node, e.Interface, e.Kind, e.Details))
		}
		t.Fatalf("no event %q (in this order); the stream:\n%s", w, strings.Join(got, "\n"))
	}
}

// lifeTopology is labs/ospf.yaml as lab name, with r3 ten days ahead.
func lifeTopology(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(renamedLab(t, "ospf", name))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), "  r3:\n", "  r3:\n    clock: {offset: 240h}\n", 1)
	return writeTopology(t, name, text)
}

// TestLife: an OSPF lab where r2 restarts (r1's interface toward it keeps
// its ifindex, OSPF comes back, and r2 is as isolated as a new node), r4
// stops (its neighbours lose carrier, OSPF routes around it, exec says it
// is stopped) and starts (carrier and OSPF back), r3 runs ten days ahead
// on /proc/uptime with its wall clock unchanged; netlab events --json
// tells each of these; and save then up keeps a vtysh change and an
// address added at run time.
func TestLife(t *testing.T) {
	needRoot(t)
	needCommand(t, "vtysh")
	const lab = "life-ospf"
	upLab(t, lifeTopology(t, lab), lab)
	stream := startEvents(t, exec.Command(netlabBin, "events", lab, "--json"), func() {
		netlab(t, "exec", lab+"/r1", "--", "ip", "link", "set", "lo", "up")
		netlab(t, "link", "set", lab+"/r1:eth1", "--clear")
	})
	converged := func() {
		t.Helper()
		var routes []*topology.Check
		for i := 1; i <= 4; i++ {
			for j := 1; j <= 4; j++ {
				if i != j {
					routes = append(routes, &topology.Check{Kind: topology.CheckRoute, Node: fmt.Sprintf("r%d", i),
						Route: &topology.RouteCheck{To: netip.MustParsePrefix(fmt.Sprintf("10.255.0.%d/32", j))}})
				}
			}
		}
		mustHold(t, lab, 30*time.Second, routes...)
	}
	converged()
	in := func(node, script string) string {
		t.Helper()
		return strings.TrimSpace(mustNetlab(t, "exec", lab+"/"+node, "--", "sh", "-c", script))
	}

	// Restart r2: links stay (r1's end keeps its ifindex, r2 its netns).
	r1If, r2NS := in("r1", "cat /sys/class/net/eth1/ifindex"), in("r2", "readlink /proc/self/ns/net")
	start := time.Now()
	mustNetlab(t, "restart", lab+"/r2")
	t.Logf("restart of r2: %v", time.Since(start))
	if got := in("r1", "cat /sys/class/net/eth1/ifindex"); got != r1If {
		t.Errorf("r1:eth1 is ifindex %s after r2's restart, was %s", got, r1If)
	}
	if got := in("r2", "readlink /proc/self/ns/net"); got != r2NS {
		t.Errorf("r2's network namespace after its restart is %s, was %s", got, r2NS)
	}
	// As isolated as a new node: its own user namespace (node root is
	// lab id 1), locked mounts, the init out of reach.
	iso := in("r2", `head -1 /proc/self/uid_map | tr -s ' '; hostname; umount /tmp 2>/dev/null || echo LOCKED; umount /etc 2>/dev/null || echo LOCKED
cat /proc/1/mem 2>/dev/null || echo NOMEM; cat /proc/1/status | grep -c NoNewPrivs`)
	if want := "0 1 65534\nr2\nLOCKED\nLOCKED\nNOMEM\n1"; iso != want {
		t.Errorf("r2 after its restart:\n%s\nwant:\n%s", iso, want)
	}
	converged()
	if out := mustNetlab(t, "exec", lab+"/r1", "--", "vtysh", "-c", "show ip ospf neighbor"); strings.Count(out, "Full/") != 2 {
		t.Errorf("r1's OSPF neighbours after r2's restart:\n%s", out)
	}

	// Stop r4: its neighbours lose carrier, OSPF routes around it.
	mustNetlab(t, "stop", lab+"/r4")
	st := mustNetlab(t, "status", lab)
	for _, re := range []string{`r4\s+frr\s+stopped`, `eth2\s+no-carrier\s+10\.0\.14\.1/24`, `eth1\s+no-carrier\s+10\.0\.34\.3/24`} {
		if !regexpMatch(re, st) {
			t.Errorf("status after stop r4 lacks %s:\n%s", re, st)
		}
	}
	if r := netlab(t, "exec", lab+"/r4", "--", "true"); r.code != 1 || r.stderr != "netlab: node r4 of lab life-ospf is stopped; start it with: netlab start life-ospf/r4\n" {
		t.Errorf("exec into stopped r4: exit %d, %q", r.code, r.stderr)
	}
	around := &topology.Check{Kind: topology.CheckRoute, Node: "r1", Route: &topology.RouteCheck{To: netip.MustParsePrefix("10.255.0.3/32"), Lookup: true, Dev: "eth1"}}
	mustHold(t, lab, 15*time.Second, around)
	mustNetlab(t, "exec", lab+"/r1", "--", "ping", "-c1", "-W2", "10.255.0.3")
	mustNetlab(t, "start", lab+"/r4")
	back := &topology.Check{Kind: topology.CheckRoute, Node: "r1", Route: &topology.RouteCheck{To: netip.MustParsePrefix("10.255.0.4/32"), Lookup: true, Dev: "eth2"}}
	mustHold(t, lab, 30*time.Second, back)
	converged()

	// r3's clocks: ten days ahead but the wall clock.
	clock := strings.Fields(in("r3", "cut -d. -f1 /proc/uptime; date +%s"))
	up, _ := strconv.ParseInt(clock[0], 10, 64)
	wall, _ := strconv.ParseInt(clock[1], 10, 64)
	if up < 240*3600 {
		t.Errorf("r3's /proc/uptime is %d s, want ten days ahead", up)
	}
	if d := wall - time.Now().Unix(); d < -60 || d > 60 {
		t.Errorf("r3's wall clock is %d s off the host's", d)
	}
	if up := in("r1", "cut -d. -f1 /proc/uptime"); len(up) >= len(clock[0]) && up >= clock[0] {
		t.Errorf("r1, without clock:, has an uptime (%s) no less than r3's (%s)", up, clock[0])
	}

	evs := stream.stop(t)
	// A restart's loss of carrier at r1 is too short to be seen for
	// sure: the kernel may report it after it ended, as one change to up
	// (linkwatch). A stop's is not.
	wantEvents(t, evs,
		"r2 node-stopped status=killed+by+signal+9",
		"r2 node-started",
		"r1:eth1 link-state state=up",
		"r2 restart",
		"r4 node-stopped",
		"r1:eth2 link-state state=no-carrier",
		"r4 stop",
		"r4 node-started",
		"r1:eth2 link-state state=up",
		"r4 start")

	// Save keeps a vtysh change and an address added at run time.
	mustNetlab(t, "exec", lab+"/r1", "--", "vtysh", "-c", "conf t", "-c", "router ospf", "-c", "auto-cost reference-bandwidth 12345")
	mustNetlab(t, "exec", lab+"/r3", "--", "ip", "addr", "add", "10.77.0.3/32", "dev", "lo")
	dir := t.TempDir()
	saved := strings.TrimSpace(mustNetlab(t, "save", lab, "-o", dir))
	if saved != filepath.Join(dir, lab+".yaml") {
		t.Fatalf("save printed %q", saved)
	}
	mustNetlab(t, "down", lab)
	upLab(t, saved, lab)
	if out := mustNetlab(t, "exec", lab+"/r1", "--", "vtysh", "-c", "show running-config"); !strings.Contains(out, "auto-cost reference-bandwidth 12345") {
		t.Errorf("r1's running configuration after save and up lacks the vtysh change:\n%s", out)
	}
	if out := in("r3", "ip -br addr show lo"); !strings.Contains(out, "10.77.0.3/32") || !strings.Contains(out, "10.255.0.3/32") {
		t.Errorf("r3's lo after save and up: %s", out)
	}
	out := in("r3", "cut -d. -f1 /proc/uptime")
	if up, _ := strconv.ParseInt(strings.TrimSpace(out), 10, 64); up < 240*3600 {
		t.Errorf("r3's clock offset was not saved: uptime %s s, want ten days ahead", out)
	}
	converged()
}

// TestLifeRootless: an ordinary user's triangle where r2 restarts (r1's
// interface toward it keeps its ifindex, r1 reaches r3 through it again),
// r3 stops (exec says so) and starts, r1 runs ten days ahead, the user's
// event stream holds each, and save then up keeps an address added at run
// time.
func TestLifeRootless(t *testing.T) {
	u := newRootlessUser(t, "netlabtlife", 1<<20+37<<16)
	b, err := os.ReadFile(renamedLab(t, "triangle", "life-tri"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), "  r1:\n", "  r1:\n    clock: {offset: 240h}\n", 1)
	if text == string(b) {
		t.Fatal("labs/triangle.yaml has no r1: line")
	}
	u.up(t, writeTopology(t, "life-tri", text), "life-tri")
	stream := startEvents(t, u.command(nil, "events", "life-tri", "--json"), func() {
		u.run(t, nil, "link", "set", "life-tri/r1:eth1", "up")
	})
	in := func(node, script string) string {
		t.Helper()
		return strings.TrimSpace(u.must(t, "exec", "life-tri/"+node, "--", "sh", "-c", script))
	}
	r1If := in("r1", "cat /sys/class/net/eth1/ifindex")
	u.must(t, "restart", "life-tri/r2")
	if got := in("r1", "cat /sys/class/net/eth1/ifindex"); got != r1If {
		t.Errorf("r1:eth1 is ifindex %s after r2's restart, was %s", got, r1If)
	}
	if iso := in("r2", "head -1 /proc/self/uid_map | tr -s ' ' | cut -d' ' -f1-3; umount /tmp 2>/dev/null || echo LOCKED"); iso != "0 1\nLOCKED" {
		t.Errorf("r2 after its restart: %q", iso)
	}
	u.must(t, "stop", "life-tri/r3")
	if r := u.run(t, nil, "exec", "life-tri/r3", "--", "true"); r.code != 1 || !strings.Contains(r.stderr, "node r3 of lab life-tri is stopped; start it with: netlab start life-tri/r3") {
		t.Errorf("exec into stopped r3: exit %d, %q", r.code, r.stderr)
	}
	u.must(t, "start", "--lab", "life-tri", "r3")
	waitFor(t, 10*time.Second, "r1 reaches r3's loopback again", func() error {
		if r := u.run(t, nil, "exec", "life-tri/r1", "--", "ping", "-c1", "-W1", "r3"); r.code != 0 {
			return fmt.Errorf("ping: exit %d: %s", r.code, r.stdout)
		}
		return nil
	})
	if up, _ := strconv.Atoi(in("r1", "cut -d. -f1 /proc/uptime")); up < 240*3600 {
		t.Errorf("r1's uptime is %d s, want ten days ahead", up)
	}
	wantEvents(t, stream.stop(t), "r2 node-stopped", "r2 node-started", "r2 restart", "r3 node-stopped", "r3 stop", "r3 node-started", "r3 start")

	in("r2", "ip addr add 10.77.0.2/32 dev lo")
	dir := filepath.Join(u.runtimeDir, "saved") // the user's to write
	saved := strings.TrimSpace(u.must(t, "save", "life-tri", "-o", dir))
	u.must(t, "down", "life-tri")
	u.up(t, saved, "life-tri")
	if out := in("r2", "ip -br addr show lo"); !strings.Contains(out, "10.77.0.2/32") {
		t.Errorf("r2's lo after save and up: %s", out)
	}
}
