package netlab

import (
	"slices"
	"strings"
	"testing"

	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// TestExecOrder: a node's exec steps start after those of every node it
// waits for, whatever the file order; the rest keep file order.
func TestExecOrder(t *testing.T) {
	top := parse(t, `
name: t
nodes:
  a: {wait-for: [c]}
  b: {}
  c: {wait-for: [d]}
  d: {}
`)
	var got []string
	for _, n := range execOrder(top) {
		got = append(got, n.Name)
	}
	if want := []string{"d", "c", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("execOrder = %v, want %v", got, want)
	}
}

// TestEndMAC: a declared MAC is used as written; an end without one gets
// the derived address.
func TestEndMAC(t *testing.T) {
	top := parse(t, `
name: t
nodes: {a: {}, b: {}}
links:
  - endpoints: [a:eth1, b:eth1]
    mac: ["AA:C1:AB:00:00:01", ""]
`)
	l := top.Links[0]
	if got := endMAC("t", l, 0).String(); got != "aa:c1:ab:00:00:01" {
		t.Errorf("declared MAC = %s", got)
	}
	if got, want := endMAC("t", l, 1).String(), macAddress("t", "b", "eth1").String(); got != want {
		t.Errorf("derived MAC = %s, want %s", got, want)
	}
}

// TestDaemonOptions: daemon-options reach the daemon's command line, after
// netlab's own options and quoted, and the daemons file.
func TestDaemonOptions(t *testing.T) {
	top := parse(t, `
name: t
nodes:
  r1:
    kind: frr
    daemons: [bgpd, ospfd]
    daemon-options: {bgpd: "-M rpki -M bmp", zebra: "-s 90000000"}
`)
	n := top.Node("r1")
	script := daemonStartScript(n)
	for _, want := range []string{
		"/usr/lib/frr/bgpd -d -A 127.0.0.1 -P 0 '-M' 'rpki' '-M' 'bmp' --log file:/run/frr/bgpd.log",
		"/usr/lib/frr/zebra -d -A 127.0.0.1 -P 0 '-s' '90000000' --log",
		"/usr/lib/frr/ospfd -d -A 127.0.0.1 -P 0 --log",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("start script lacks %q:\n%s", want, script)
		}
	}
	if f := string(frrDaemonsFile(n)); !strings.Contains(f, `bgpd_options="-A 127.0.0.1 -M rpki -M bmp"`) || !strings.Contains(f, "ospfd=yes\n") {
		t.Errorf("daemons file:\n%s", f)
	}
}

// TestNodeSide: binds reach the node side as written; one whose node path
// the node cannot make is refused at its line; per-node limits, which the
// node side does not apply yet, are named.
func TestNodeSide(t *testing.T) {
	top := parse(t, `
name: t
nodes:
  a:
    binds: [/etc/hostname:/srv/netlab-no-such-dir/h, "/etc/hostname:/etc/h:ro"]
    limits: {memory: 64MiB}
`)
	err := ThisMachine().Check(top)
	if errs := topology.Errors(err); len(errs) != 1 || errs[0].Pos != (topology.Pos{Line: 5, Col: 13}) ||
		!strings.Contains(errs[0].Msg, "mounts on /srv/netlab-no-such-dir/h, which the host does not have and the node cannot make") {
		t.Errorf("Check = %v, want the bind to /srv/netlab-no-such-dir/h refused at 5:13", err)
	}
	want := []nsproc.Bind{{Source: "/etc/hostname", Target: "/srv/netlab-no-such-dir/h"}, {Source: "/etc/hostname", Target: "/etc/h", ReadOnly: true}}
	if got := nodeBinds(top.Node("a")); !slices.Equal(got, want) {
		t.Errorf("nodeBinds = %+v, want %+v", got, want)
	}
}

// TestEnvPairs: a node's env as the exec request takes it, over netlab's.
func TestEnvPairs(t *testing.T) {
	env := Env(envPairs([]topology.KeyValue{{Key: "LANG", Value: "C.UTF-8"}, {Key: "HOME", Value: "/srv"}}))
	for _, want := range []string{"LANG=C.UTF-8", "HOME=/srv", "PATH=" + DefaultPath} {
		if !slices.Contains(env, want) {
			t.Errorf("Env lacks %s: %v", want, env)
		}
	}
}
