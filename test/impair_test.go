package test

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// impairLab is two hosts on a rate-limited link and two on an unlimited
// one.
const impairLab = `name: impair
nodes:
  a1: {interfaces: {eth1: [192.0.2.1/30]}}
  a2: {interfaces: {eth1: [192.0.2.2/30]}}
  b1: {interfaces: {eth1: [192.0.2.5/30]}}
  b2: {interfaces: {eth1: [192.0.2.6/30]}}
links:
  - endpoints: [a1:eth1, a2:eth1]
    rate: 20mbit
  - [b1:eth1, b2:eth1]
`

// iperfPort gives each measurement a server port of its own: a one-off
// server (-1) of the measurement before may still be finishing, and a
// client that reaches it gets "the server is busy" (with exit code 0).
var iperfPort atomic.Int32

// iperfMbits measures TCP throughput from client to server (an address)
// for a few seconds, in Mbit/s as iperf3's receiver reports it.
func iperfMbits(t *testing.T, lab, server, client, addr string) float64 {
	t.Helper()
	port := strconv.Itoa(5201 + int(iperfPort.Add(1)))
	mustNetlab(t, "exec", lab+"/"+server, "--", "sh", "-c", "iperf3 -s -1 -D -p "+port+" >/dev/null 2>&1")
	var out struct {
		Error string
		End   struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		}
	}
	var r result
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		// Until the server listens the client fails; iperf3 -J may
		// report an error in its JSON and still exit 0.
		r = netlab(t, "exec", lab+"/"+client, "--", "iperf3", "-c", addr, "-p", port, "-t", "3", "-J")
		out.Error = ""
		if err := json.Unmarshal([]byte(r.stdout), &out); r.code == 0 && err == nil && out.Error == "" {
			break
		}
	}
	if r.code != 0 || out.Error != "" {
		t.Fatalf("iperf3 %s -> %s: exit %d %s %s", client, server, r.code, r.stdout, r.stderr)
	}
	mbits := out.End.SumReceived.BitsPerSecond / 1e6
	t.Logf("iperf3 %s -> %s: %.1f Mbit/s", client, server, mbits)
	return mbits
}

// TestImpairRate: a declared rate holds within 15%, changes with link set,
// and an unlimited link goes far above it.
func TestImpairRate(t *testing.T) {
	needRoot(t)
	needCommand(t, "iperf3")
	upLab(t, writeTopology(t, "impair", impairLab), "impair")
	if got := iperfMbits(t, "impair", "a2", "a1", "192.0.2.2"); math.Abs(got-20)/20 > 0.15 {
		t.Errorf("a 20mbit link carried %.1f Mbit/s", got)
	}
	if got := iperfMbits(t, "impair", "b2", "b1", "192.0.2.6"); got < 200 {
		t.Errorf("an unlimited link carried only %.1f Mbit/s", got)
	}
	mustNetlab(t, "link", "set", "impair/a1:eth1", "--rate", "5mbit")
	if got := iperfMbits(t, "impair", "a2", "a1", "192.0.2.2"); math.Abs(got-5)/5 > 0.15 {
		t.Errorf("after link set --rate 5mbit the link carried %.1f Mbit/s", got)
	}
	st := mustNetlab(t, "status", "impair")
	if !strings.Contains(st, "rate 5mbit") {
		t.Errorf("status does not show the link's rate: %s", st)
	}
	mustNetlab(t, "link", "set", "impair/a2:eth1", "--clear")
	if got := iperfMbits(t, "impair", "a2", "a1", "192.0.2.2"); got < 100 {
		t.Errorf("after --clear the link carried only %.1f Mbit/s", got)
	}
	if st := mustNetlab(t, "status", "impair"); strings.Contains(st, "rate") {
		t.Errorf("status still shows a rate after --clear: %s", st)
	}
}

// TestImpairLoss: loss drops what each end sends: over 400 pings at 20% on
// both ends' egress, a round trip is lost with probability 1-0.8² = 36%;
// the count must fall within four standard deviations of that.
func TestImpairLoss(t *testing.T) {
	needRoot(t)
	upLab(t, hostPair(t, "lossy", `    loss: 20%
`), "lossy")
	// ARP is dropped too: until a neighbour entry holds, the kernel queues
	// (and, past its queue, drops) what ping sends, up to a second at a
	// time, which once cost 200 pings at once. Resolve it first.
	mustNetlab(t, "exec", "lossy/h1", "--", "sh", "-c", "for i in $(seq 50); do ping -n -q -c1 -W1 192.0.2.2 >/dev/null && exit 0; done; exit 1")
	mustNetlab(t, "exec", "lossy/h2", "--", "sh", "-c", "for i in $(seq 50); do ping -n -q -c1 -W1 192.0.2.1 >/dev/null && exit 0; done; exit 1")
	const n, p = 400, 1 - 0.8*0.8
	r := netlab(t, "exec", "lossy/h1", "--", "ping", "-n", "-q", "-c", strconv.Itoa(n), "-i", "0.005", "-W", "1", "192.0.2.2")
	m := regexp.MustCompile(`(\d+) packets transmitted, (\d+) received`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("ping: %s %s", r.stdout, r.stderr)
	}
	sent, _ := strconv.Atoi(m[1])
	got, _ := strconv.Atoi(m[2])
	lost := sent - got
	mean, sd := float64(sent)*p, math.Sqrt(float64(sent)*p*(1-p))
	t.Logf("loss 20%% each way: %d of %d round trips lost (expected %.0f ± %.0f)", lost, sent, mean, sd)
	if math.Abs(float64(lost)-mean) > 4*sd {
		t.Errorf("%d of %d lost; want %.0f ± %.0f", lost, sent, mean, 4*sd)
	}
	if st := mustNetlab(t, "status", "lossy"); !strings.Contains(st, "loss 20%") {
		t.Errorf("status does not show the loss: %s", st)
	}
}

// TestImpairRefused: what this kernel cannot do is refused before
// anything is made, naming the kernel option, and bad values are errors at
// their place, all at once.
func TestImpairRefused(t *testing.T) {
	needRoot(t)
	bad := hostPair(t, "bad", `    rate: fast
    loss: 140%
    delay: -1ms
`)
	r := netlab(t, "validate", bad)
	for _, want := range []string{"bad.yaml:7:11: bad rate fast", "bad.yaml:8:11: bad loss 140%", "bad.yaml:9:12: bad delay -1ms"} {
		if r.code != 2 || !strings.Contains(r.stderr, want) {
			t.Errorf("validate: exit %d, want %q in %q", r.code, want, r.stderr)
		}
	}
	if r := netlab(t, "link", "set", "nosuch/h1:eth1", "--loss", "lots"); r.code != 2 || !strings.Contains(r.stderr, "--loss") {
		t.Errorf("link set --loss lots: exit %d, %q", r.code, r.stderr)
	}

	file := hostPair(t, "slow", `    delay: 20ms
`)
	before := takeSnapshot(t, "slow", nil)
	r = netlab(t, "up", file)
	if r.code == 0 {
		// The probe found sch_netem: the refusal does not apply.
		mustNetlab(t, "down", "slow")
		t.Skip("this kernel has sch_netem (up made the delay), so it refuses nothing")
	}
	if r.code != 1 || !strings.Contains(r.stderr, "slow.yaml:6:5: link 1:") || !strings.Contains(r.stderr, "CONFIG_NET_SCH_NETEM") {
		t.Errorf("up with delay on a kernel without netem: exit %d, %q", r.code, r.stderr)
	}
	assertNoLeftovers(t, before, nil)
}

// TestImpairDelay: where the kernel has sch_netem, delay and jitter show in
// ping's round trips (twice: each end delays what it sends). Without it the
// test skips with the probe's own reason (TestImpairRefused checks that
// refusal).
func TestImpairDelay(t *testing.T) {
	needRoot(t)
	file := hostPair(t, "delay", `    delay: 20ms
    jitter: 5ms
`)
	if r := netlab(t, "up", file); r.code != 0 {
		if strings.Contains(r.stderr, "CONFIG_NET_SCH_NETEM") {
			t.Skipf("the probe says: %s", strings.TrimSpace(r.stderr))
		}
		t.Fatalf("up with delay: exit %d, %s", r.code, r.stderr)
	}
	t.Cleanup(func() { mustNetlab(t, "down", "delay") })
	out := mustNetlab(t, "exec", "delay/h1", "--", "ping", "-n", "-q", "-c", "50", "-i", "0.05", "192.0.2.2")
	m := regexp.MustCompile(`= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("ping: %s", out)
	}
	var rtt [4]float64 // min, avg, max, mdev
	for i := range rtt {
		rtt[i], _ = strconv.ParseFloat(m[i+1], 64)
	}
	// Each way 20 ms ± 5 ms (netem's jitter is uniform): a round trip
	// between 30 and 50 ms, about 40 on average, with a deviation of
	// about sqrt(2)·5/sqrt(3) ≈ 4 ms.
	t.Logf("delay 20ms ± 5ms each way: round trip min/avg/max/mdev %v ms", rtt)
	if rtt[1] < 36 || rtt[1] > 48 {
		t.Errorf("average round trip %.1f ms; want about 40 ms", rtt[1])
	}
	if rtt[3] < 1.5 || rtt[3] > 8 || rtt[2]-rtt[0] < 5 {
		t.Errorf("round trips %v ms: want them spread by the jitter (mdev about 4 ms)", rtt)
	}
}

// hostPair writes lab name: two hosts on one long-form link with the
// link's own keys opts (indented lines), the link's end on line 6.
func hostPair(t *testing.T, name, opts string) string {
	t.Helper()
	return writeTopology(t, name, "name: "+name+`
nodes:
  h1: {interfaces: {eth1: [192.0.2.1/30]}}
  h2: {interfaces: {eth1: [192.0.2.2/30]}}
links:
  - endpoints: [h1:eth1, h2:eth1]
`+opts)
}
