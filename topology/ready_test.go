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
	show := func(n string) string { return readyText(top.Node(n).Ready) }
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

// TestReadyBuiltInGo: a Ready built in Go is judged by the rules with the
// words a file's gets, and one that names no service of its node is
// refused.
func TestReadyBuiltInGo(t *testing.T) {
	twoHours := 2 * time.Hour
	node := func(rs ...Ready) *Topology {
		return &Topology{Name: "lab", Nodes: []*Node{{Name: "a", Kind: KindHost,
			Services: []KeyValue{{Key: "web", Value: "httpd"}}, Ready: rs}}}
	}
	if err := Validate(node(Ready{Service: "web", Port: 80})); err != nil {
		t.Fatalf("a sound ready: %v", err)
	}
	for _, tt := range []struct {
		ready Ready
		want  string
	}{
		{Ready{Service: "db", Port: 5432}, `ready of node a names service db, which it does not have; add the service, or remove its ready`},
		{Ready{Service: "web", Port: 80, Cmd: "true"}, `ready of service web of node a gives both port: and cmd:; keep one`},
		{Ready{Service: "web"}, `ready of service web of node a says nothing; write port: N`},
		{Ready{Service: "web", Port: 70000}, `port 70000 of ready of service web of node a is over 65535; write a TCP port from 1 to 65535, e.g. port: 80`},
		{Ready{Service: "web", Port: -1}, `port -1 of ready of service web of node a is negative; write a TCP port`},
		{Ready{Service: "web", Cmd: " "}, `empty cmd of ready of service web of node a; write a command that exits 0 once the service is ready, or use port:`},
		{Ready{Service: "web", Port: 80, Wait: &twoHours}, `wait 2h0m0s of ready of service web of node a is over an hour`},
	} {
		err := Validate(node(tt.ready))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v:\n got %v\nwant %s", tt.ready, err, tt.want)
		}
	}
}

// TestReadyEncoded: Encode writes a service with a ready: in the long
// form, which Parse reads back as it was.
func TestReadyEncoded(t *testing.T) {
	top, err := Parse("lab.yaml", []byte(`name: lab
nodes:
  a:
    services:
      dns: {cmd: "dnsmasq -k", ready: {cmd: "test -e /run/dnsmasq.pid", wait: 5s}}
      sshd: "/usr/sbin/sshd -D"
      web: {cmd: "httpd -f -p 80", ready: {port: 80}}
`))
	if err != nil {
		t.Fatal(err)
	}
	back, text := encodedBack(t, top)
	if got, want := readyText(back.Node("a").Ready), readyText(top.Node("a").Ready); got != want || want == "" {
		t.Errorf("ready read back: %q, want %q\n%s", got, want, text)
	}
	if svc := back.Node("a").Services; len(svc) != 3 || svc[2].Value != "httpd -f -p 80" || svc[1].Value != "/usr/sbin/sshd -D" {
		t.Errorf("services read back: %+v\n%s", svc, text)
	}
}

// encodedBack is top as Parse reads back what Encode writes of it, and
// that text.
func encodedBack(t *testing.T, top *Topology) (*Topology, []byte) {
	t.Helper()
	text, err := Encode(top, EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("again.yaml", text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return back, text
}

// readyText is a node's ready: entries as one line, for comparing.
func readyText(rs []Ready) string {
	var out []string
	for _, r := range rs {
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
