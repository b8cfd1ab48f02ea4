package test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestServicesLab: a web server, a DNS server and sshd run as services in
// nodes, answer from another node, show in status and write to their logs.
func TestServicesLab(t *testing.T) {
	needRoot(t)
	needCommand(t, "python3")
	needCommand(t, "dnsmasq")
	needCommand(t, "sshd")
	hostKeyBefore, _ := os.ReadFile("/etc/ssh/ssh_host_ed25519_key.pub")
	upLab(t, "labs/services.yaml", "services")

	// Each answers once it has bound its socket: give them a moment.
	try := func(what string, args ...string) string {
		t.Helper()
		var r result
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if r = netlab(t, args...); r.code == 0 {
				return r.stdout
			}
		}
		t.Errorf("%s: exit %d: %s %s", what, r.code, r.stdout, r.stderr)
		return ""
	}
	if got := try("web", "exec", "services/client", "--", "curl", "-sf", "-m2", "http://www/"); got != "hello from www\n" {
		t.Errorf("web server answered %q", got)
	}
	if got := try("dns", "exec", "services/client", "--", "getent", "hosts", "printer.lab"); !strings.HasPrefix(got, "192.0.2.99") {
		t.Errorf("dnsmasq answered %q", got)
	}
	if got := try("ssh", "exec", "services/client", "--", "bash", "-c", "head -c 8 </dev/tcp/ssh/22"); got != "SSH-2.0-" {
		t.Errorf("sshd's banner: %q", got)
	}

	var st struct {
		Labs []struct {
			Nodes []struct {
				Name     string
				Services []struct {
					Name    string
					Running bool
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(mustNetlab(t, "status", "--json", "services")), &st); err != nil {
		t.Fatal(err)
	}
	running := map[string]bool{}
	for _, n := range st.Labs[0].Nodes {
		for _, s := range n.Services {
			running[n.Name+"/"+s.Name] = s.Running
		}
	}
	for _, want := range []string{"www/web", "dns/dns", "ssh/sshd"} {
		if !running[want] {
			t.Errorf("status: service %s not running (%v)", want, running)
		}
	}
	if got := mustNetlab(t, "logs", "services/www", "web"); !strings.Contains(got, `"GET / HTTP/1.1" 200`) {
		t.Errorf("web's log lacks the request: %q", got)
	}
	if got := mustNetlab(t, "logs", "services/dns"); !strings.Contains(got, "query[A] printer.lab") {
		t.Errorf("dns's logs: %q", got)
	}
	if r := netlab(t, "logs", "services/dns", "nosuch"); r.code != 2 || !strings.Contains(r.stderr, `node services/dns has no log "nosuch" (logs: exec, daemons, dns)`) {
		t.Errorf("logs of an unknown service: exit %d, %q", r.code, r.stderr)
	}
	// logs -f (with --lab) shows what is written after it started, and
	// ends at Ctrl-C with exit 0.
	follow := exec.Command(netlabBin, "logs", "--lab", "services", "-f", "www", "web")
	out, err := follow.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	seen := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "GET /followed") {
				seen <- true
				io.Copy(io.Discard, out)
				return
			}
		}
		seen <- false
	}()
	try("web", "exec", "services/client", "--", "curl", "-s", "-o", "/dev/null", "-m2", "http://www/followed")
	select {
	case ok := <-seen:
		if !ok {
			t.Errorf("logs -f ended before it showed the new request")
		}
	case <-time.After(10 * time.Second):
		t.Errorf("logs -f did not show a request made after it started")
	}
	follow.Process.Signal(os.Interrupt)
	if err := follow.Wait(); err != nil {
		t.Errorf("logs -f after Ctrl-C: %v", err)
	}
	// The node made host keys of its own; the host's are untouched.
	hostKey, err := os.ReadFile("/etc/ssh/ssh_host_ed25519_key.pub")
	if err != nil {
		t.Fatalf("the host's own ssh host key: %v", err)
	}
	if !bytes.Equal(hostKey, hostKeyBefore) {
		t.Errorf("the host's ssh host key changed")
	}
	if got := mustNetlab(t, "exec", "services/ssh", "--", "cat", "/etc/ssh/ssh_host_ed25519_key.pub"); got == "" || got == string(hostKey) {
		t.Errorf("the node's ssh host key is %q, the host's %q: want one of its own", got, hostKey)
	}
}

// TestExecStepsInBackground: what an exec step leaves running keeps
// running (its output goes to the node's exec log, not a dead pipe), and a
// step that never ends fails up at the step timeout, naming it.
func TestExecStepsInBackground(t *testing.T) {
	needRoot(t)
	needCommand(t, "python3")
	file := writeTopology(t, "bg", `name: bg
nodes:
  h1:
    interfaces: {eth1: [192.0.2.1/24]}
    exec: ["python3 -m http.server 8080 &", "echo ready"]
  h2:
    interfaces: {eth1: [192.0.2.2/24]}
links:
  - [h1:eth1, h2:eth1]
`)
	upLab(t, file, "bg")
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		// Several requests: the server's log lines must not kill it.
		ok := true
		for i := 0; i < 3 && ok; i++ {
			r := netlab(t, "exec", "bg/h2", "--", "curl", "-sf", "-m2", "-o", "/dev/null", "-w", "%{http_code}", "http://192.0.2.1:8080/")
			got, ok = r.stdout, r.code == 0
		}
		if ok {
			break
		}
	}
	if got != "200" {
		t.Errorf("a server started by an exec step with & does not answer: %q", got)
	}
	if log := mustNetlab(t, "logs", "bg/h1", "exec"); !strings.Contains(log, "ready") || !strings.Contains(log, "GET / HTTP/1.1") {
		t.Errorf("exec log: %q", log)
	}

	hang := writeTopology(t, "hang", `name: hang
nodes:
  h1:
    exec: ["true", "sleep 300"]
`)
	before := takeSnapshot(t, "hang", nil)
	start := time.Now()
	r := netlab(t, "up", "--step-timeout", "1s", hang)
	if r.code != 1 || !strings.Contains(r.stderr, `hang.yaml:4:20: node h1: exec step 2 "sleep 300" still runs after 1s`) || !strings.Contains(r.stderr, "services:") {
		t.Errorf("a step that never ends: exit %d, %q", r.code, r.stderr)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("up took %v to give up on a step with a 1s timeout", d)
	}
	assertNoLeftovers(t, before, nil)
}

// TestEtcIsTheNodes: any path of a node's /etc can be written, by files:
// and by node root (edited in place too), copy-on-write over the host's,
// which does not change; the host's secrets stay unreadable.
func TestEtcIsTheNodes(t *testing.T) {
	needRoot(t)
	file := writeTopology(t, "etc", `name: etc
nodes:
  h1:
    files:
      /etc/ssh/sshd_config.d/x.conf: "Port 2222\n"
      /etc/frr/note.txt: "a note\n"
      /etc/default/netlab-etc-test: "A=1\n"
      /etc/network/interfaces: "# the node's own\n"
      /etc/netlab-etc-test/a/b/c.conf: "deep\n"
  h2: {}
`)
	hostBefore := map[string]bool{}
	for _, p := range []string{"/etc/ssh/sshd_config.d/x.conf", "/etc/frr/note.txt", "/etc/default/netlab-etc-test", "/etc/netlab-etc-test", "/etc/netlab-etc-run"} {
		_, err := os.Stat(p)
		hostBefore[p] = err == nil
	}
	netIfaces, _ := os.ReadFile("/etc/network/interfaces")
	upLab(t, file, "etc")
	script := `cat /etc/ssh/sshd_config.d/x.conf /etc/frr/note.txt /etc/default/netlab-etc-test /etc/network/interfaces /etc/netlab-etc-test/a/b/c.conf
mkdir -p /etc/netlab-etc-run/x && echo run > /etc/netlab-etc-run/x/y && cat /etc/netlab-etc-run/x/y
echo again > /etc/default/netlab-etc-test && cat /etc/default/netlab-etc-test
rm /etc/ssh/sshd_config.d/x.conf && echo removed
cat /etc/shadow >/dev/null 2>&1 && echo READ-SHADOW
stat -c '%u %g %a' /etc/passwd
echo 'netlabetc:x:4242:4242::/:/bin/sh' >> /etc/passwd && id -u netlabetc
true`
	hostPasswd, _ := os.ReadFile("/etc/passwd")
	out := mustNetlab(t, "exec", "etc/h1", "--", "sh", "-c", script)
	want := "Port 2222\na note\nA=1\n# the node's own\ndeep\nrun\nagain\nremoved\n0 0 644\n4242\n"
	if out != want {
		t.Errorf("the node's /etc:\n got %q\nwant %q", out, want)
	}
	for p, was := range hostBefore {
		if _, err := os.Stat(p); (err == nil) != was {
			t.Errorf("the host's %s changed (existed %v)", p, was)
		}
	}
	if now, _ := os.ReadFile("/etc/network/interfaces"); string(now) != string(netIfaces) {
		t.Errorf("the host's /etc/network/interfaces changed")
	}
	if now, _ := os.ReadFile("/etc/passwd"); string(now) != string(hostPasswd) {
		t.Errorf("the host's /etc/passwd changed")
	}
	// Another node of the lab shares the copy, not what h1 wrote.
	if got := mustNetlab(t, "exec", "etc/h2", "--", "sh", "-c", "grep -c netlabetc /etc/passwd; true"); got != "0\n" {
		t.Errorf("h1's edit of /etc/passwd shows in h2: %q", got)
	}
}
