package netlab

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/topology"
)

// foreignNeedRoot skips a test that makes files of another user's when not
// root, or fails it under CI, where it must run.
func foreignNeedRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("this test chowns files to another user: it needs root, and CI is set")
	}
	t.Skip("this test chowns files to another user: it needs root")
}

// nobody is the user whose state directories the tests make.
var nobody = account{name: "nobody", uid: 65534, gid: 65534}

// nobodys makes path (a directory when content is nil) owned by nobody.
func nobodys(t *testing.T, path string, content []byte) {
	t.Helper()
	var err error
	if content == nil {
		err = os.Mkdir(path, 0o700)
	} else {
		err = os.WriteFile(path, content, 0o600)
	}
	if err == nil {
		err = os.Lchown(path, nobody.uid, nobody.gid)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// stateOf is a state.json of lab name with one node, r1.
func stateOf(t *testing.T, name string) []byte {
	b, err := json.Marshal(&State{Name: name, Phase: PhaseUp,
		Topology: &topology.Topology{Name: name, Nodes: []*topology.Node{{Name: "r1", Kind: topology.KindHost}}},
		Nodes:    []NodeState{{Name: "r1"}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestForeignStateDirHostile: root reads a user's state directory only as
// netlab writes it: what the user put there instead (a FIFO, a symlink, a
// huge file, a file of root's, a state naming another lab, a symlinked lab
// or socket) is refused, at once and saying why, and nothing blocks.
func TestForeignStateDirHostile(t *testing.T) {
	foreignNeedRoot(t)
	root := filepath.Join(t.TempDir(), "netlab")
	nobodys(t, root, nil)
	for _, lab := range []string{"good", "fifo", "link", "big", "rootfile", "lie"} {
		nobodys(t, filepath.Join(root, lab), nil)
	}
	nobodys(t, filepath.Join(root, "good", "state.json"), stateOf(t, "good"))
	nobodys(t, filepath.Join(root, "lie", "state.json"), stateOf(t, "good"))
	if err := unix.Mkfifo(filepath.Join(root, "fifo", "state.json"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Lchown(filepath.Join(root, "fifo", "state.json"), nobody.uid, nobody.gid)
	os.Symlink("/etc/passwd", filepath.Join(root, "link", "state.json"))
	os.Lchown(filepath.Join(root, "link", "state.json"), nobody.uid, nobody.gid)
	nobodys(t, filepath.Join(root, "big", "state.json"), []byte("{"))
	if err := os.Truncate(filepath.Join(root, "big", "state.json"), maxForeignState+1); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "rootfile", "state.json"), stateOf(t, "rootfile"), 0o600)
	// A lab that is a symlink to another directory (root's own state, say).
	os.Symlink(t.TempDir(), filepath.Join(root, "dirlink"))
	os.Lchown(filepath.Join(root, "dirlink"), nobody.uid, nobody.gid)

	d, err := openUserMachine(root, nobody)
	if err != nil || d == nil {
		t.Fatalf("openUserMachine: %v", err)
	}
	labs, err := d.Labs()
	if want := []string{"big", "fifo", "good", "lie", "link", "rootfile"}; err != nil || !slices.Equal(labs, want) {
		t.Errorf("Labs() = %q, %v; want %q (no symlinked lab)", labs, err, want)
	}
	if st, err := d.readState("good"); err != nil || st.Name != "good" {
		t.Errorf("state of good: %v", err)
	}
	for lab, want := range map[string]string{
		"fifo":     "is not a regular file: refused",
		"link":     "too many levels of symbolic links",
		"big":      "more than a state file may be",
		"rootfile": "is owned by uid 0, not by user nobody: refused",
		"lie":      `it names lab "good"`,
		"dirlink":  "too many levels of symbolic links",
	} {
		done := make(chan error, 1)
		go func() { _, err := d.readState(lab); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("state of %s: %v; want %q", lab, err, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("reading the state of %s blocks", lab)
		}
	}
	// Status reports such a lab broken; it does not fail or block.
	ls, err := d.Status("fifo")
	if err != nil || len(ls) != 1 || ls[0].State != "broken" || ls[0].Owner != "nobody" || !strings.Contains(ls[0].Problem, "netlab down nobody:fifo") {
		t.Errorf("status of fifo: %+v, %v", ls, err)
	}

	// A node's socket is dialled through the descriptor of the socket
	// checked; a symlink in its place is refused.
	l, err := net.Listen("unixpacket", filepath.Join(root, "good", "r1.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	os.Lchown(filepath.Join(root, "good", "r1.sock"), nobody.uid, nobody.gid)
	path, release, err := d.socket("good", "r1")
	if err != nil || !strings.HasPrefix(path, "/proc/self/fd/") {
		t.Fatalf("socket of good/r1: %q, %v", path, err)
	}
	c, err := net.Dial("unixpacket", path)
	if err != nil {
		t.Errorf("dial %s: %v", path, err)
	} else {
		c.Close()
	}
	release()
	os.Symlink(filepath.Join(root, "good", "r1.sock"), filepath.Join(root, "good", "r2.sock"))
	os.Lchown(filepath.Join(root, "good", "r2.sock"), nobody.uid, nobody.gid)
	if _, _, err := d.socket("good", "r2"); err == nil {
		t.Error("a symlinked socket is dialled")
	}
	nobodys(t, filepath.Join(root, "good", "r3.sock"), []byte("x"))
	if _, _, err := d.socket("good", "r3"); err == nil || !strings.Contains(err.Error(), "is not a socket") {
		t.Errorf("a file in a socket's place: %v", err)
	}
}

// TestForeignStateDirRefused: a state directory root will not read at all
// is said, with why; a missing one is no error.
func TestForeignStateDirRefused(t *testing.T) {
	foreignNeedRoot(t)
	base := t.TempDir()
	mk := func(name string, mode os.FileMode, uid int) string {
		p := filepath.Join(base, name)
		if err := os.Mkdir(p, mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		os.Lchown(p, uid, uid)
		return p
	}
	open := mk("open", 0o755, nobody.uid)
	others := mk("others", 0o700, nobody.uid-1)
	link := filepath.Join(base, "link")
	os.Symlink(open, link)
	os.Lchown(link, nobody.uid, nobody.gid)
	strangers := mk("strangers", 0o755, nobody.uid-1)
	inStrangers := filepath.Join(strangers, "netlab")
	nobodys(t, inStrangers, nil)
	for path, want := range map[string]string{
		open:        "not a 0700 directory of the user's",
		others:      "owned by uid 65533",
		link:        "it is a symlink",
		inStrangers: "its parent is owned by uid 65533",
	} {
		if d, err := openUserMachine(path, nobody); d != nil || err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want %q", path, err, want)
		}
	}
	if d, err := openUserMachine(filepath.Join(base, "none"), nobody); d != nil || err != nil {
		t.Errorf("a missing state directory: %v, %v", d, err)
	}
}
