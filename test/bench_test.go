package test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	nl "github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/topology"
)

// BenchmarkUpDownTriangle brings the triangle up and down through the Go API.
func BenchmarkUpDownTriangle(b *testing.B) {
	needRoot(b)
	topo, err := topology.Load(filepath.Join(repoRoot, "labs/triangle.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var up, down time.Duration
	for b.Loop() {
		start := time.Now()
		lab, err := thisMachine().Up(ctx, topo, nl.UpOptions{})
		if err != nil {
			b.Fatal(err)
		}
		up += time.Since(start)
		start = time.Now()
		if err := lab.Down(ctx); err != nil {
			b.Fatal(err)
		}
		down += time.Since(start)
	}
	b.ReportMetric(float64(up.Milliseconds())/float64(b.N), "up-ms/op")
	b.ReportMetric(float64(down.Milliseconds())/float64(b.N), "down-ms/op")
}

// BenchmarkUpDownChain brings chains of 10 and 100 routers up and down
// through the Go API and reports the time of each step of up: spawning the
// nodes and wiring them are the hot paths.
func BenchmarkUpDownChain(b *testing.B) {
	needRoot(b)
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			topo, err := topology.Load(chainTopology(b, fmt.Sprintf("benchchain%d", n), n))
			if err != nil {
				b.Fatal(err)
			}
			steps := map[string]time.Duration{}
			progress := func(p nl.Progress) {
				if p.Took > 0 {
					steps[p.Step] += p.Took
				}
			}
			var down time.Duration
			for b.Loop() {
				lab, err := thisMachine().Up(context.Background(), topo, nl.UpOptions{Progress: progress})
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				if err := lab.Down(context.Background()); err != nil {
					b.Fatal(err)
				}
				down += time.Since(start)
			}
			for step, metric := range map[string]string{"start nodes": "spawn-ms", "wire": "wire-ms"} {
				b.ReportMetric(float64(steps[step].Microseconds())/1000/float64(b.N), metric)
			}
			b.ReportMetric(float64(down.Microseconds())/1000/float64(b.N), "down-ms")
		})
	}
}

// BenchmarkExecRoundTrip times `netlab exec r1 -- true` as a shell runs it:
// process start of netlab included. The goal is a median ≤ 15 ms.
func BenchmarkExecRoundTrip(b *testing.B) {
	needRoot(b)
	if r := netlab(b, "up", "labs/triangle.yaml"); r.code != 0 {
		b.Fatalf("up: %s", r.stderr)
	}
	defer netlab(b, "down", "triangle")
	var times []time.Duration
	for b.Loop() {
		start := time.Now()
		cmd := exec.Command(netlabBin, "exec", "triangle/r1", "--", "true")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
}

// BenchmarkOSPFConvergence times labs/ospf.yaml from the start of up until
// every router has a kernel route to every other router's loopback, and
// reports the daemons' memory (PSS) per node.
func BenchmarkOSPFConvergence(b *testing.B) {
	needRoot(b)
	needCommand(b, "vtysh")
	var total time.Duration
	var pss float64
	for b.Loop() {
		start := time.Now()
		if r := netlab(b, "up", "labs/ospf.yaml"); r.code != 0 {
			b.Fatalf("up: %s", r.stderr)
		}
		for done := false; !done; {
			done = true
			for i := 1; i <= 4 && done; i++ {
				routes := netlab(b, "exec", fmt.Sprintf("ospf/r%d", i), "--", "ip", "-4", "route").stdout
				for j := 1; j <= 4; j++ {
					if j != i && !strings.Contains(routes, fmt.Sprintf("10.255.0.%d ", j)) {
						done = false
					}
				}
			}
			if time.Since(start) > time.Minute {
				b.Fatal("no convergence within a minute")
			}
		}
		total += time.Since(start)
		pss = daemonPSS(b, "ospf")
		netlab(b, "down", "ospf")
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "converge-ms")
	b.ReportMetric(pss, "daemon-PSS-MB/node")
}

// daemonPSS sums the PSS of every process of lab except the node inits and
// divides by the node count.
func daemonPSS(b *testing.B, lab string) float64 {
	ids := labIDs(b, lab)
	var kb, nodes int
	for _, line := range labProcesses(lab, ids) {
		f := strings.Fields(line)
		if strings.Contains(line, "__netlab_init") {
			nodes++
			continue
		}
		if strings.Contains(line, "__netlab_supervisor") {
			continue
		}
		kb += pssKB(f[0])
	}
	if nodes == 0 {
		return 0
	}
	return float64(kb) / 1024 / float64(nodes)
}

// pssKB reads a process's proportional set size.
func pssKB(pid string) int {
	b, _ := os.ReadFile("/proc/" + pid + "/smaps_rollup")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Pss:"); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	return 0
}
