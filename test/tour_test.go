package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readmeSection is the text of README.md's section that starts with
// heading ("## A short tour"), up to the next heading of that level or
// above.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README.md has no section %q", heading)
	}
	text = text[i+len(heading)+2:]
	level := heading[:strings.IndexByte(heading, ' ')]
	for j := 1; j <= len(level); j++ {
		if k := strings.Index(text, "\n"+level[:j]+" "); k >= 0 {
			text = text[:k]
		}
	}
	return text
}

// readmeBlock is the lines of README.md's section heading that are
// commands: indented code lines that start with netlab or sudo.
func readmeBlock(t *testing.T, heading string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(readmeSection(t, heading), "\n") {
		if cmd, ok := strings.CutPrefix(l, "    "); ok && (strings.HasPrefix(cmd, "netlab ") || strings.HasPrefix(cmd, "sudo ")) {
			out = append(out, cmd)
		}
	}
	return out
}

// TestReadmeTour runs the README's tour line by line, as it is written, as
// an ordinary user (whose labs no other test can meet), with a second lab
// of the user's up all along, typing exit into the interactive lines:
// every line must exit 0. The sudo line, about what root alone sees, is
// for root's labs and is left out.
func TestReadmeTour(t *testing.T) {
	needCommand(t, "dot")
	needCommand(t, "curl")
	needCommand(t, "vtysh")
	needCommand(t, "dnsmasq")
	needCommand(t, "sshd")
	lines := readmeBlock(t, "## A short tour")
	if len(lines) < 25 {
		t.Fatalf("the tour has %d command lines; README.md's tour not found whole", len(lines))
	}
	u := newRootlessUser(t, "netlabtour", 1<<20+13<<16)
	// The user's copy of labs/, and a directory of its own to work in.
	work := filepath.Join(u.files, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-r", filepath.Join(repoRoot, "labs"), filepath.Join(work, "labs")).CombinedOutput(); err != nil {
		t.Fatalf("copy labs: %v: %s", err, out)
	}
	if out, err := exec.Command("chown", "-R", u.name+":", work).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v: %s", err, out)
	}
	// The second lab: the LAN, under another name, with nodes of its own.
	second := filepath.Join(work, "second.yaml")
	lan, _ := os.ReadFile(filepath.Join(repoRoot, "labs/lan.yaml"))
	os.WriteFile(second, []byte(strings.Replace(string(lan), "name: lan\n", "name: second\n", 1)), 0o644)
	u.must(t, "up", "-q", second)
	t.Cleanup(func() {
		// down --all ends the tour; what a failure left goes here.
		for _, lab := range []string{"triangle", "ospf", "services", "second"} {
			u.run(t, nil, "down", "-q", lab)
		}
		if procs := u.processes(); len(procs) > 0 {
			t.Errorf("processes of the user's left after the tour: %v", procs)
		}
	})
	path := "PATH=" + filepath.Dir(netlabBin) + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, line := range lines {
		if strings.HasPrefix(line, "sudo ") {
			t.Logf("left out (root's labs only): %s", line)
			continue
		}
		if strings.HasPrefix(line, "netlab down --all") {
			// The tour's end takes down every lab of the user's: the
			// second lab must have been up all along.
			if r := u.run(t, nil, "status", "second"); r.code != 0 || !strings.Contains(r.stdout, "second  up") {
				t.Errorf("the second lab before the tour's end: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		}
		cmd := u.command([]string{path}, "")
		cmd.Path, cmd.Args = "/bin/sh", []string{"sh", "-c", line}
		cmd.Dir = work
		// What a person types into the interactive lines (exec -it,
		// shell); the others do not read it.
		cmd.Stdin = strings.NewReader("exit\n")
		start := time.Now()
		r := runIn(t, cmd)
		t.Logf("%s: exit %d in %v", line, r.code, time.Since(start).Round(time.Millisecond))
		if r.code != 0 {
			t.Errorf("%s: exit %d\nstdout: %s\nstderr: %s", line, r.code, r.stdout, r.stderr)
			continue
		}
		switch {
		case strings.Contains(line, "curl -s http://www/") && r.stdout != "hello from www\n":
			t.Errorf("%s: %q", line, r.stdout)
		case strings.Contains(line, "-- id -u") && r.stdout != "0\n":
			t.Errorf("%s: %q", line, r.stdout)
		case strings.Contains(line, "logs r1 ospfd") && !strings.Contains(r.stdout, "OSPF"):
			t.Errorf("%s: no word of OSPF in ospfd's log:\n%s", line, r.stdout)
		case strings.Contains(line, "getent hosts printer.lab") && !strings.HasPrefix(r.stdout, "192.0.2.99 "):
			t.Errorf("%s: %q", line, r.stdout)
		}
	}
	if fi, err := os.Stat(filepath.Join(work, "triangle.svg")); err != nil || fi.Size() == 0 {
		t.Errorf("the tour's graph: %v", err)
	}
	if r := u.run(t, nil, "status"); r.code != 1 {
		t.Errorf("labs left after the tour's down --all: %s", r.stdout)
	}
}
