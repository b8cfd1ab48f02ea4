package test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	nl "github.com/netlab-dev/netlab/netlab"
	"github.com/netlab-dev/netlab/netlab/capture"
	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// startCapture starts `netlab capture ARGS` writing to file, and returns
// once the file has its header: the sockets are open.
func startCapture(t *testing.T, file string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(netlabBin, append([]string{"capture", "-w", file}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	waitFor(t, 10*time.Second, "capture's header in "+file, func() error {
		if fi, err := os.Stat(file); err != nil || fi.Size() == 0 {
			return fmt.Errorf("empty: %v", err)
		}
		return nil
	})
	return cmd, &stderr
}

// waitCapture waits for a capture to end by itself within limit and
// returns its exit code.
func waitCapture(t *testing.T, cmd *exec.Cmd, limit time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		t.Fatalf("capture still running after %v", limit)
	}
	return -1
}

// tshark reads file back with Wireshark's reader, one row of fields per
// packet.
func tshark(t *testing.T, file string, fields ...string) [][]string {
	t.Helper()
	args := []string{"-r", file, "-T", "fields"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command("tshark", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	// tshark, as root, warns that it runs as root; anything else is a
	// complaint about the file.
	if complaint := strings.TrimSpace(strings.ReplaceAll(stderr.String(), `Running as user "root" and group "root". This could be dangerous.`, "")); err != nil || complaint != "" {
		t.Fatalf("tshark -r %s: %v: %s", file, err, complaint)
	}
	var rows [][]string
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if l != "" {
			rows = append(rows, strings.Split(l, "\t"))
		}
	}
	return rows
}

// tcpdump reads file back with libpcap and returns its lines.
func tcpdump(t *testing.T, file string) []string {
	t.Helper()
	out, err := exec.Command("tcpdump", "-nr", file).Output()
	if err != nil {
		t.Fatalf("tcpdump -r %s: %v", file, err)
	}
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
}

// captureProcs lists the netlab capture processes of this test's binary.
func captureProcs() []string {
	var out []string
	for _, pid := range dirNames("/proc") {
		b, err := os.ReadFile(filepath.Join("/proc", pid, "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if len(args) > 1 && args[0] == netlabBin && args[1] == "capture" {
			out = append(out, pid+" "+strings.Join(args, " "))
		}
	}
	return out
}

// TestCapture: what netlab capture writes is read back by libpcap
// (tcpdump) and by Wireshark (tshark): the packets counted, the
// interfaces named NODE:IF, directions, two nodes merged in time order; it
// ends at -c, on Ctrl-C with the file complete, when the reader of its
// pipe goes away (exit 0, nothing left running), and refuses a terminal
// and an interface the node lacks (exit 2).
func TestCapture(t *testing.T) {
	needRoot(t)
	needCommand(t, "tcpdump")
	needCommand(t, "tshark")
	const lab = "capt-tri"
	upLab(t, renamedTriangle(t, lab), lab)
	dir := t.TempDir()
	ping := func(node, to string, n int) {
		t.Helper()
		mustNetlab(t, "exec", lab+"/"+node, "--", "ping", "-c", strconv.Itoa(n), "-i", "0.05", "-W", "2", to)
	}

	t.Run("count", func(t *testing.T) {
		file := filepath.Join(dir, "count.pcapng")
		cmd, stderr := startCapture(t, file, "--lab", lab, "r1:eth1", "-c", "10")
		ping("r1", "r2", 8)
		if code := waitCapture(t, cmd, 10*time.Second); code != 0 {
			t.Fatalf("capture -c 10: exit %d: %s", code, stderr)
		}
		if !strings.Contains(stderr.String(), "10 packets written (r1:eth1 10)") {
			t.Errorf("summary: %q", stderr)
		}
		if lines := tcpdump(t, file); len(lines) != 10 || !strings.Contains(strings.Join(lines, "\n"), "ICMP echo request") {
			t.Errorf("tcpdump read %d packets:\n%s", len(lines), strings.Join(lines, "\n"))
		}
		rows := tshark(t, file, "frame.interface_name", "frame.packet_flags_direction", "icmp.type")
		if len(rows) != 10 {
			t.Fatalf("tshark read %d packets", len(rows))
		}
		dirs := map[string]string{}
		for _, r := range rows {
			if r[0] != "r1:eth1" {
				t.Errorf("interface %q, want r1:eth1", r[0])
			}
			if len(r) > 2 && r[2] != "" {
				dirs[r[2]] = r[1]
			}
		}
		// r1 sends the requests (type 8) and receives the replies (0).
		if dirs["8"] != "0x00000002" || dirs["0"] != "0x00000001" {
			t.Errorf("epb_flags direction of echo request / reply: %q / %q, want outbound 0x2 / inbound 0x1", dirs["8"], dirs["0"])
		}
		// Wireshark's reader takes the interface statistics block too
		// (its contents are read back in netlab/capture's tests).
		needCommand(t, "capinfos")
		if out, err := exec.Command("capinfos", file).CombinedOutput(); err != nil || !strings.Contains(string(out), "Number of stat entries = 1") {
			t.Errorf("capinfos: %v\n%s", err, out)
		}
	})

	t.Run("merged", func(t *testing.T) {
		file := filepath.Join(dir, "merged.pcapng")
		cmd, stderr := startCapture(t, file, "--lab", lab, "r1:eth1", "r2:eth1", "-c", "30")
		ping("r1", "r2", 10)
		if code := waitCapture(t, cmd, 10*time.Second); code != 0 {
			t.Fatalf("capture: exit %d: %s", code, stderr)
		}
		rows := tshark(t, file, "frame.time_epoch", "frame.interface_name", "icmp.type", "icmp.seq")
		if len(rows) != 30 {
			t.Fatalf("tshark read %d packets", len(rows))
		}
		if n := len(tcpdump(t, file)); n != 30 {
			t.Errorf("tcpdump read %d packets", n)
		}
		var times []string
		seen := map[string]int{} // "type seq interface" → row
		for i, r := range rows {
			times = append(times, r[0])
			if i > 0 && r[0] < rows[i-1][0] {
				t.Errorf("packet %d at %s before packet %d at %s", i+1, r[0], i, rows[i-1][0])
			}
			if r[2] != "" {
				seen[r[2]+" "+r[3]+" "+r[1]] = i
			}
		}
		names := map[string]bool{}
		for _, r := range rows {
			names[r[1]] = true
		}
		if len(names) != 2 || !names["r1:eth1"] || !names["r2:eth1"] {
			t.Errorf("interfaces %v, want r1:eth1 and r2:eth1", names)
		}
		// A request leaves r1:eth1 before it reaches r2:eth1; a reply the
		// other way round.
		pairs := 0
		for key, i := range seen {
			f := strings.Fields(key)
			typ, seq, name := f[0], f[1], f[2]
			if name != "r1:eth1" {
				continue
			}
			j, ok := seen[typ+" "+seq+" r2:eth1"]
			if !ok {
				continue
			}
			pairs++
			if typ == "8" && j < i || typ == "0" && i < j {
				t.Errorf("ICMP type %s seq %s: r1:eth1 at packet %d, r2:eth1 at %d", typ, seq, i+1, j+1)
			}
		}
		if pairs < 10 {
			t.Errorf("%d packets seen on both interfaces, want at least 10", pairs)
		}
		t.Logf("merged capture of 2 interfaces: %d packets from %s to %s", len(rows), times[0], times[len(times)-1])
	})

	t.Run("pipe", func(t *testing.T) {
		// The reader takes 4 packets and exits: capture ends with it.
		sh := exec.Command("bash", "-c", `set -o pipefail; "$0" capture --lab `+lab+` r1:eth1 -w - | tcpdump -nr - -c 4 2>/dev/null`, netlabBin)
		var out bytes.Buffer
		sh.Stdout = &out
		// A group of its own: a hang ends with the whole pipeline killed.
		sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := sh.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- sh.Wait() }()
		pinged := make(chan result, 1)
		go func() {
			pinged <- netlab(t, "exec", lab+"/r1", "--", "sh", "-c", "sleep 0.5; ping -c 20 -i 0.1 -W 1 r2 >/dev/null")
		}()
		defer func() { <-pinged }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("capture | tcpdump -r -: %v (pipefail: both must exit 0)", err)
			}
		case <-time.After(15 * time.Second):
			syscall.Kill(-sh.Process.Pid, syscall.SIGKILL)
			t.Fatal("capture | tcpdump -c 4 still running after 15s")
		}
		if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 4 || !strings.Contains(lines[0], "ICMP echo") {
			t.Errorf("tcpdump -r - read:\n%s", out.String())
		}
		if procs := captureProcs(); len(procs) > 0 {
			t.Errorf("capture left running after its reader went away: %v", procs)
		}

		// No packet flows at all: the reader going away still ends it.
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r := exec.CommandContext(ctx, "bash", "-c", `set -o pipefail; "$0" capture --lab `+lab+` r3:eth2 | head -c 64 >/dev/null`, netlabBin)
		r.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		r.Cancel = func() error { return syscall.Kill(-r.Process.Pid, syscall.SIGKILL) }
		if out, err := r.CombinedOutput(); err != nil {
			t.Errorf("capture | head -c 64: %v: %s", err, out)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("capture took %v to see its reader go", took)
		}
		if procs := captureProcs(); len(procs) > 0 {
			t.Errorf("capture left running: %v", procs)
		}
	})

	t.Run("interrupt", func(t *testing.T) {
		file := filepath.Join(dir, "interrupt.pcapng")
		cmd, stderr := startCapture(t, file, "--lab", lab, "r1:eth1", "r1:eth2")
		ping("r1", "r2", 3)
		ping("r1", "r3", 3)
		cmd.Process.Signal(os.Interrupt)
		if code := waitCapture(t, cmd, 5*time.Second); code != 0 {
			t.Fatalf("capture after Ctrl-C: exit %d: %s", code, stderr)
		}
		rows := tshark(t, file, "frame.interface_name", "icmp.type")
		count := map[string]int{}
		for _, r := range rows {
			if len(r) > 1 && r[1] != "" {
				count[r[0]]++
			}
		}
		if count["r1:eth1"] != 6 || count["r1:eth2"] != 6 {
			t.Errorf("ICMP packets per interface after Ctrl-C: %v, want 6 each", count)
		}
		if n := len(tcpdump(t, file)); n != len(rows) {
			t.Errorf("tcpdump read %d packets, tshark %d", n, len(rows))
		}
	})

	t.Run("refusals", func(t *testing.T) {
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer ptmx.Close()
		defer tty.Close()
		for _, args := range [][]string{{"r1:eth1"}, {"r1:eth1", "-w", "-"}} {
			cmd := exec.Command(netlabBin, append([]string{"capture", "--lab", lab}, args...)...)
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = tty, &stderr
			err := cmd.Run()
			r := exitResult(t, err, "", stderr.String())
			if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "terminal") || !strings.Contains(r.stderr, "-w FILE") {
				t.Errorf("capture %v to a terminal: exit %d, %q", args, r.code, r.stderr)
			}
		}
		file := filepath.Join(dir, "never.pcapng")
		r := netlab(t, "capture", "--lab", lab, "r1:eth1", "r2:eth9", "-w", file)
		if r.code != 2 || !strings.Contains(r.stderr, `no interface "eth9"`) || !regexpMatch(`\(interfaces: (lo|eth1|eth2)(, (lo|eth1|eth2)){2}\)`, r.stderr) {
			t.Errorf("unknown interface: exit %d, %q", r.code, r.stderr)
		}
		r = netlab(t, "capture", "--lab", lab, "r9:eth1", "-w", file)
		if r.code != 2 || !strings.Contains(r.stderr, "r1, r2, r3") {
			t.Errorf("unknown node: exit %d, %q", r.code, r.stderr)
		}
		if _, err := os.Stat(file); err == nil {
			t.Errorf("a refused capture made %s", file)
		}
		if procs := captureProcs(); len(procs) > 0 {
			t.Errorf("capture left running: %v", procs)
		}
	})
}

// TestCaptureLabDown: a capture whose lab is taken down ends by itself,
// with the file complete.
func TestCaptureLabDown(t *testing.T) {
	needRoot(t)
	needCommand(t, "tshark")
	const lab = "capt-down"
	upLab(t, renamedTriangle(t, lab), lab)
	file := filepath.Join(t.TempDir(), "down.pcapng")
	cmd, stderr := startCapture(t, file, "--lab", lab, "r1:eth1", "r2:eth1")
	mustNetlab(t, "exec", lab+"/r1", "--", "ping", "-c", "2", "-i", "0.05", "r2")
	mustNetlab(t, "down", lab)
	if code := waitCapture(t, cmd, 10*time.Second); code != 1 || !strings.Contains(stderr.String(), "went away") {
		t.Errorf("capture of a lab taken down: exit %d, %q", code, stderr)
	}
	if rows := tshark(t, file, "icmp.type"); len(rows) < 8 {
		t.Errorf("tshark read %d packets, want at least 8", len(rows))
	}
}

// TestCaptureRootless: an ordinary user captures in its own lab: the
// node's agent opens the socket, no privilege needed.
func TestCaptureRootless(t *testing.T) {
	needCommand(t, "tcpdump")
	u := newRootlessUser(t, "netlabcap1", 1<<20+12<<16)
	u.up(t, "labs/triangle.yaml", "triangle")
	file := filepath.Join(u.runtimeDir, "r1.pcapng")
	done := make(chan result, 1)
	go func() { done <- u.run(t, nil, "capture", "r1:eth1", "r1:eth2", "-w", file, "--duration", "3s") }()
	time.Sleep(500 * time.Millisecond)
	u.must(t, "exec", "r1", "--", "ping", "-c", "3", "-i", "0.05", "r2")
	u.must(t, "exec", "r1", "--", "ping", "-c", "3", "-i", "0.05", "r3")
	r := <-done
	if r.code != 0 {
		t.Fatalf("rootless capture: exit %d: %s", r.code, r.stderr)
	}
	fi, err := os.Stat(file)
	if err != nil || int(fi.Sys().(*syscall.Stat_t).Uid) != u.uid {
		t.Fatalf("capture file not the user's: %v", err)
	}
	lines := tcpdump(t, file)
	echo := 0
	for _, l := range lines {
		if strings.Contains(l, "ICMP echo") {
			echo++
		}
	}
	if echo != 12 {
		t.Errorf("tcpdump read %d ICMP echo packets of a rootless capture, want 12:\n%s", echo, strings.Join(lines, "\n"))
	}
}

// BenchmarkCapture measures capture's throughput: a UDP flood crosses a
// router, and capture writes what one interface, or three, saw. It
// reports packets written per second of flood and what the kernel dropped
// because capture fell behind.
func BenchmarkCapture(b *testing.B) {
	needRoot(b)
	path := writeTopology(b, "capb-chain", `name: capb-chain
nodes:
  h1:
    interfaces: {eth1: [10.0.1.1/24]}
    routes: [{to: default, via: 10.0.1.2}]
  r:
    kind: router
    interfaces: {eth1: [10.0.1.2/24], eth2: [10.0.2.2/24]}
  h2:
    interfaces: {eth1: [10.0.2.1/24]}
    routes: [{to: default, via: 10.0.2.2}]
links:
  - [h1:eth1, r:eth1]
  - [r:eth2, h2:eth1]
`)
	topo, err := topology.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	lab, err := thisMachine().Up(ctx, topo, nl.UpOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer lab.Down(ctx)
	// A bounded flood: 100000 datagrams of 64 bytes, at most 10 s.
	const datagrams = 100000
	flood := []string{"python3", "-c", fmt.Sprintf(`import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
p, a, end = b"x" * 64, ("10.0.2.1", 9), time.time() + 10
for i in range(%d):
    s.sendto(p, a)
    if i %% 4096 == 0 and time.time() > end:
        break
`, datagrams)}
	// Resolve the neighbours first, so that the flood is all UDP.
	lab.Exec(ctx, "h1", cmdIn([]string{"ping", "-c", "1", "-W", "2", "10.0.2.1"}), nil)
	for _, points := range [][]string{{"h1:eth1"}, {"h1:eth1", "r:eth2", "h2:eth1"}} {
		b.Run(fmt.Sprintf("interfaces=%d", len(points)), func(b *testing.B) {
			var ps []capture.Point
			for _, p := range points {
				pt, err := capture.ParsePoint(thisMachine(), p, "capb-chain")
				if err != nil {
					b.Fatal(err)
				}
				ps = append(ps, pt)
			}
			var written, dropped, received uint64
			var took time.Duration
			for b.Loop() {
				c, err := capture.Open(ctx, thisMachine(), ps)
				if err != nil {
					b.Fatal(err)
				}
				f, err := os.Create(filepath.Join(b.TempDir(), "bench.pcapng"))
				if err != nil {
					b.Fatal(err)
				}
				runCtx, stop := context.WithCancel(ctx)
				done := make(chan capture.Stats, 1)
				go func() {
					st, err := c.Run(runCtx, f, capture.Options{})
					if err != nil {
						b.Error(err)
					}
					done <- st
				}()
				start := time.Now()
				if code, err := lab.Exec(ctx, "h1", cmdIn(flood), nil); code != 0 || err != nil {
					b.Fatalf("flood: exit %d, %v", code, err)
				}
				took += time.Since(start)
				time.Sleep(100 * time.Millisecond) // what is queued still counts
				stop()
				st := <-done
				c.Close()
				f.Close()
				written += uint64(st.Packets)
				for _, i := range st.Interfaces {
					dropped += i.Dropped
					received += i.Received
				}
			}
			b.ReportMetric(float64(written)/took.Seconds(), "packets/s")
			b.ReportMetric(float64(written)/float64(b.N), "packets/op")
			if received > 0 {
				b.ReportMetric(100*float64(dropped)/float64(received), "drop-%")
			}
		})
	}
}

// cmdIn is a command for lab.Exec with no stdio of the caller's.
func cmdIn(argv []string) nsproc.Command {
	null, _ := os.Open(os.DevNull)
	return nsproc.Command{Argv: argv, Env: nl.Env(nil), Stdin: null, Stdout: null, Stderr: null}
}
