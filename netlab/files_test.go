package netlab

import (
	"os"
	"strings"
	"testing"

	"github.com/netlab-dev/netlab/topology"
)

func TestInPrivateView(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/etc/motd", true},
		{"/etc/frr/frr.conf", true},
		{"/root/.bashrc", true},
		{"/tmp/x", true},
		{"/run/x.pid", true},
		{"/var/run/x.pid", true},
		{"/var/tmp/x", true},
		{"/dev/shm/x", true},
		{"//etc//motd", true},
		{"/etc/./motd", true},
		{"/tmp/a/../b", true},

		{"/etc", false}, // the directory itself is not a file in it
		{"/etc/", false},
		{"/tmp", false},
		{"/", false},
		{"", false},
		{"/usr/bin/x", false},
		{"/var/lib/x", false},
		{"/var/x", false},
		{"/dev/null", false},
		{"/etcetera/x", false}, // a prefix of a name is not a parent
		{"/tmpfoo", false},
		{"/etc/../usr/bin/x", false}, // escapes once cleaned
		{"/tmp/../../etc/../home/x", false},
		{"etc/motd", false}, // relative
		{"tmp/x", false},
		{"./etc/motd", false},
	}
	for _, tt := range tests {
		if got := topology.InPrivateView(tt.path); got != tt.want {
			t.Errorf("topology.InPrivateView(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestFileMode(t *testing.T) {
	tests := []struct {
		content string
		want    os.FileMode
	}{
		{"", 0o644},
		{"hello\n", 0o644},
		{"#!/bin/sh\necho hi\n", 0o755},
		{"#!", 0o755},
		{" #!/bin/sh\n", 0o644},
		{"#/bin/sh\n", 0o644},
		{"\n#!/bin/sh\n", 0o644},
	}
	for _, tt := range tests {
		if got := fileMode(tt.content); got != tt.want {
			t.Errorf("fileMode(%q) = %v, want %v", tt.content, got, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // FILE:LINE:COL: message prefix of each error, in order
	}{
		{"no files", `
name: t
nodes:
  a: {}
`, nil},
		{"files in the private view", `
name: t
nodes:
  a:
    files:
      /etc/motd: "hi\n"
      /tmp/run.sh: "#!/bin/sh\n"
      /var/run/x: "x"
`, nil},
		{"one outside", `
name: t
nodes:
  a:
    files:
      /etc/motd: "hi\n"
      /usr/local/bin/x: "x"
`, []string{"test.yaml:7:7: file /usr/local/bin/x of node a is outside the node's private view"}},
		// Errors come in file order, a file from defaults once, as
		// defaults'.
		{"every error, every node", `
name: t
defaults:
  files:
    /opt/d: "from defaults"
nodes:
  a:
    files:
      /etc/ok: "x"
      /home/a: "x"
  b:
    files:
      /var/lib/b: "x"
`, []string{
			"test.yaml:5:5: file /opt/d of defaults is outside",
			"test.yaml:10:7: file /home/a of node a is outside",
			"test.yaml:13:7: file /var/lib/b of node b is outside",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topo := parse(t, tt.yaml)
			err := ThisMachine().Check(topo)
			if cerr := topology.ViewErrors(topo); (err == nil) != (cerr == nil) {
				t.Errorf("Check = %v but ViewErrors = %v", err, cerr)
			}
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			errs := topology.Errors(err)
			if len(errs) != len(tt.want) {
				t.Fatalf("Check gave %d errors, want %d:\n%v", len(errs), len(tt.want), err)
			}
			for i, e := range errs {
				if !strings.HasPrefix(e.Error(), tt.want[i]) {
					t.Errorf("error %d = %q, want prefix %q", i, e, tt.want[i])
				}
				// Every message says what to write instead.
				if !strings.Contains(e.Msg, "; write it under /etc, ") {
					t.Errorf("error %d = %q does not say where to write", i, e)
				}
			}
		})
	}
}
