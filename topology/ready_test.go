package topology

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReady: a service's long form says when it is ready, by a port or a
// command, with a wait; ready: goes with the service's command, from
// defaults or from the node, and the short form has none.
func TestReady(t *testing.T) {
	top, err := Parse("lab.yaml", []byte(`name: lab
defaults:
  services:
    web: {cmd: "httpd -f -p 80", ready: {port: 80}}
    dns: {cmd: dnsmasq -k, ready: {cmd: "test -e /run/dnsmasq.pid", wait: 5s}}
nodes:
  a: {}
  b:
    services:
      web: "httpd -f -p 8080"
      sshd: {cmd: "/usr/sbin/sshd -D", ready: {port: 22, wait: 0s}}
`))
	if err != nil {
		t.Fatal(err)
	}
	show := func(n string) string {
		var out []string
		for _, r := range top.Node(n).Ready {
			s := r.Service + " "
			if r.Port != 0 {
				s += "port " + strconv.Itoa(r.Port)
			} else {
				s += "cmd " + r.Cmd
			}
			if r.Wait != nil {
				s += " wait " + r.Wait.String()
			}
			out = append(out, s)
		}
		return strings.Join(out, "; ")
	}
	if got, want := show("a"), "dns cmd test -e /run/dnsmasq.pid wait 5s; web port 80"; got != want {
		t.Errorf("a: %q, want %q", got, want)
	}
	// b's own web has no ready:, so defaults' ready of web is not its.
	if got, want := show("b"), "dns cmd test -e /run/dnsmasq.pid wait 5s; sshd port 22 wait 0s"; got != want {
		t.Errorf("b: %q, want %q", got, want)
	}
	if cmd := top.Node("a").Services[1]; cmd.Key != "web" || cmd.Value != "httpd -f -p 80" {
		t.Errorf("a's web: %+v", cmd)
	}
	if DefaultReadyWait != 30*time.Second {
		t.Errorf("DefaultReadyWait = %v, which the README says is 30s", DefaultReadyWait)
	}
}

// TestReadyErrors: what is wrong with a ready: is said at its line, with
// what to write instead.
func TestReadyErrors(t *testing.T) {
	for _, tt := range []struct{ services, want string }{
		{`web: {cmd: httpd, ready: {port: 80, cmd: "true"}}`, `4:52: ready of service web of node a gives both port: and cmd:; keep one`},
		{`web: {cmd: httpd, ready: {port: 70000}}`, `4:48: port 70000 of ready of service web of node a is over 65535; write a TCP port from 1 to 65535, e.g. port: 80`},
		{`web: {cmd: httpd, ready: {}}`, `4:41: ready of service web of node a says nothing; write port: N (a TCP port it listens on) or cmd: COMMAND (exits 0 once it is ready)`},
		{`web: {cmd: httpd, ready: {port: 80, wait: 10}}`, `4:58: wait 10 of ready of service web of node a has no unit; write e.g. 10s for seconds`},
		{`web: {ready: {port: 80}}`, `4:21: service web of node a has no cmd:; write the command line to run, e.g. web: {cmd: "python3 -m http.server 80", ready: {port: 80}}`},
		{`web: {cmd: httpd, ready: {port: 80}, restart: always}`, `4:53: unknown key "restart" in service web of node a; valid keys are cmd, ready`},
		{`web: {cmd: httpd, ready: {cmd: " "}}`, `4:47: empty cmd of ready of service web of node a; write a command that exits 0 once the service is ready, or use port:`},
	} {
		_, err := Parse("lab.yaml", []byte("name: lab\nnodes:\n  a:\n    services: {"+tt.services+"}\n"))
		if err == nil || !strings.Contains(err.Error(), "lab.yaml:"+tt.want) {
			t.Errorf("%s:\n got %v\nwant lab.yaml:%s", tt.services, err, tt.want)
		}
	}
}
