package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bindFixture is what a lab of TestBinds binds: a host directory, read-only
// in the node, and a host file, writable there. Both lie outside /tmp,
// /run, /root and every home, which a rootless node's own view covers, and
// anyone may write them, so that only the bind's read-only flag keeps the
// node from writing the directory.
type bindFixture struct {
	dir, file string // on the host
	topology  string // the lab's file, which binds them into node h1
}

func newBindFixture(t *testing.T, lab string) bindFixture {
	t.Helper()
	base, err := os.MkdirTemp("/var/lib", "netlab-binds-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	f := bindFixture{dir: filepath.Join(base, "configs"), file: filepath.Join(base, "notes.txt"), topology: filepath.Join(base, lab+".yaml")}
	for _, err := range []error{
		os.Chmod(base, 0o755),
		os.Mkdir(f.dir, 0o777),
		os.Chmod(f.dir, 0o777), // whatever the umask
		os.WriteFile(filepath.Join(f.dir, "data.txt"), []byte("read only\n"), 0o644),
		os.WriteFile(f.file, []byte("from the host\n"), 0o666),
		os.Chmod(f.file, 0o666),
		os.WriteFile(f.topology, []byte(fmt.Sprintf(`name: %s
nodes:
  h1:
    binds:
      - %s:/etc/lab-configs:ro
      - %s:/root/notes.txt
  h2: {}
`, lab, f.dir, f.file)), 0o644),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// bindScript reads and writes both binds in the node.
const bindScript = `cat /etc/lab-configs/data.txt
touch /etc/lab-configs/new 2>&1 | grep -o 'Read-only file system'
cat /root/notes.txt
echo from the node >> /root/notes.txt && echo WROTE-RW`

// check says what is wrong with what bindScript printed in the node and
// left on the host.
func (f bindFixture) check(t *testing.T, who, out string) {
	t.Helper()
	if want := "read only\nRead-only file system\nfrom the host\nWROTE-RW"; strings.TrimSpace(out) != want {
		t.Errorf("%s: in h1:\n%s\nwant:\n%s", who, out, want)
	}
	if b, err := os.ReadFile(f.file); err != nil || string(b) != "from the host\nfrom the node\n" {
		t.Errorf("%s: the writable bind's file on the host: %q %v", who, b, err)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "new")); err == nil {
		t.Errorf("%s: the node wrote into the read-only bind's directory", who)
	}
}

// TestBinds: binds: mounts a host directory read-only and a host file
// writable in a node, for root's lab (detached mounts handed to the node
// side) and an ordinary user's (bound by path); another node sees neither.
func TestBinds(t *testing.T) {
	needRoot(t)
	t.Run("root", func(t *testing.T) {
		f := newBindFixture(t, "binds-root")
		upLab(t, f.topology, "binds-root")
		f.check(t, "root", mustNetlab(t, "exec", "binds-root/h1", "--", "sh", "-c", bindScript))
		if got := inNode(t, "binds-root/h2", "ls /etc/lab-configs /root/notes.txt 2>&1 | grep -c 'No such file'"); got != "2" {
			t.Errorf("h2 sees h1's binds: %q", got)
		}
	})
	t.Run("rootless", func(t *testing.T) {
		u := newRootlessUser(t, "netlabbind", 1<<20+15<<16)
		f := newBindFixture(t, "binds-user")
		u.up(t, f.topology, "binds-user")
		f.check(t, "rootless", u.must(t, "exec", "h1", "--", "sh", "-c", bindScript))

		// A host path under the user's own /tmp is one the node covers
		// with its own /tmp: refused at its line, before anything is made.
		src := filepath.Join(u.files, "data")
		bad := filepath.Join(u.files, "binds-tmp.yaml")
		if err := os.WriteFile(bad, []byte("name: binds-tmp\nnodes:\n  h1:\n    binds:\n      - "+src+":/etc/data\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Mkdir(src, 0o755)
		r := u.run(t, nil, "up", bad)
		if want := bad + ":5:9: bind " + src + ":/etc/data of node h1 has its host path under /tmp, which the nodes of an ordinary user's lab see as their own"; r.code != 2 || !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("up of a lab binding %s: exit %d, %s\nwant exit 2 and one line, %s...", src, r.code, r.stderr, want)
		}
	})
}
