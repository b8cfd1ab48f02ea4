package topology

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain points sysctlProblem at a /proc/sys of its own, so that the
// golden files say the same on every machine.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "procsys")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for file, mode := range map[string]os.FileMode{
		"net/ipv4/ip_forward":                       0o644,
		"net/ipv4/tcp_available_congestion_control": 0o444,
		"net/ipv4/conf/all/rp_filter":               0o644,
		"net/ipv6/conf/all/forwarding":              0o644,
		"net/core/somaxconn":                        0o600,
	} {
		path := filepath.Join(dir, file)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
			err = os.WriteFile(path, []byte("0\n"), mode)
		}
		if err == nil {
			err = os.Chmod(path, mode) // whatever the umask
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	procSys = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestSysctlFiles(t *testing.T) {
	tests := []struct{ key, want string }{
		{"net.ipv4.ip_forward", ""},
		{"net/ipv4/ip_forward", ""},
		{"net.core.somaxconn", ""},           // root may write it
		{"net.ipv4.conf.eth1.rp_filter", ""}, // not here: left to up
		{"net.ipv4.tcp_available_congestion_control", "is a read-only sysctl; it cannot be set, so remove it"},
		{"net/ipv4/tcp_available_congestion_control", "is a read-only sysctl; it cannot be set, so remove it"},
		{"net.ipv4", "is a directory of sysctls, not one"},
		{"net.ipv4.conf", "is a directory of sysctls, not one"},
		{"net.ipv4.\x1b[31m", "is malformed"},
		{"net.ipv4.ip_forward\x00", "is malformed"},
		{"net.ipv4.ip\u202eforward", "is malformed"},
		{"net.ipv4.\xff", "is malformed"},
	}
	for _, tt := range tests {
		got := sysctlProblem(tt.key)
		if tt.want == "" && got != "" || !strings.HasPrefix(got, tt.want) {
			t.Errorf("sysctlProblem(%q) = %q, want %q...", tt.key, got, tt.want)
		}
	}
}

// TestSysctlReadOnlyHere looks at this machine's own /proc/sys.
func TestSysctlReadOnlyHere(t *testing.T) {
	defer func(dir string) { procSys = dir }(procSys)
	procSys = "/proc/sys"
	const key = "net.ipv4.tcp_available_congestion_control"
	st, err := os.Stat("/proc/sys/net/ipv4/tcp_available_congestion_control")
	if err != nil || st.Mode().Perm()&0o222 != 0 {
		t.Skipf("no read-only %s here (%v)", key, err)
	}
	_, err = Parse("lab.yaml", []byte("name: lab\nnodes:\n  h1:\n    sysctls: {"+key+": reno, net.ipv4.conf.all.rp_filter: 0}\n"))
	want := `lab.yaml:4:15: sysctl "` + key + `" of node h1 is a read-only sysctl; it cannot be set, so remove it`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
