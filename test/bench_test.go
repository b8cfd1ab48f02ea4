package test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
		lab, err := nl.Up(ctx, topo, nl.UpOptions{})
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
