package nsproc

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	mk := func(rel string, mode os.FileMode) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // umask
			t.Fatal(err)
		}
		return p
	}
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	mk("a/plain", 0o644)         // not executable: skipped
	bTool := mk("b/tool", 0o755) // found after a's non-executable one
	mk("a/tool", 0o644)
	bPlain := mk("b/plain", 0o700) // owner execute is enough
	mk("c/groupx", 0o610)
	if err := os.MkdirAll(filepath.Join(a, "dironly"), 0o755); err != nil { // a directory is no command
		t.Fatal(err)
	}
	mk("b/dironly", 0o755)
	cFirst := mk("c/first", 0o755)
	mk("b/first", 0o755)
	if err := os.Symlink(bTool, filepath.Join(c, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(a, "dangling")); err != nil {
		t.Fatal(err)
	}

	path := "PATH=" + strings.Join([]string{a, filepath.Join(dir, "missing"), b, c}, ":")
	tests := []struct {
		name string
		env  []string
		want string // "" for an error
	}{
		{"tool", []string{path}, bTool},
		{"plain", []string{path}, bPlain},
		{"groupx", []string{path}, filepath.Join(c, "groupx")},
		{"dironly", []string{path}, filepath.Join(b, "dironly")},
		{"link", []string{path}, filepath.Join(c, "link")},
		{"dangling", []string{path}, ""},
		{"nothing", []string{path}, ""},
		{"first", []string{"PATH=" + c + ":" + b}, cFirst},
		{"first", []string{"PATH=" + b + ":" + c}, filepath.Join(b, "first")},
		{"tool", []string{"HOME=/root", path, "TERM=dumb"}, bTool},
		{"tool", []string{"PATH=/nonexistent", "PATH=" + b}, bTool}, // the last PATH counts
		{"tool", []string{"XPATH=" + b}, ""},                        // not PATH
		{"tool", nil, ""},                                           // no PATH: nothing is found
		{"tool", []string{"PATH="}, ""},
		// A name with a slash is used as it is, found or not.
		{"/bin/sh", []string{path}, "/bin/sh"},
		{"./x", nil, "./x"},
		{"sub/x", []string{path}, "sub/x"},
		{"/no/such/file", nil, "/no/such/file"},
	}
	for _, tt := range tests {
		got, err := lookPath(tt.name, tt.env)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("lookPath(%q, %q) = %q, want an error", tt.name, tt.env, got)
		case tt.want == "" && !strings.Contains(err.Error(), "command not found"):
			t.Errorf("lookPath(%q, %q): %v, want command not found", tt.name, tt.env, err)
		case tt.want != "" && (err != nil || got != tt.want):
			t.Errorf("lookPath(%q, %q) = %q, %v; want %q", tt.name, tt.env, got, err, tt.want)
		}
	}
}

// An empty PATH element is the current directory, as in a shell.
func TestLookPathEmptyElement(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "here"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	got, err := lookPath("here", []string{"PATH=/nonexistent::"})
	if err != nil || got != "here" {
		t.Errorf("lookPath(here) with an empty PATH element = %q, %v; want %q", got, err, "here")
	}
}

func TestMkdirAllOwned(t *testing.T) {
	uid, gid := os.Getuid(), os.Getgid()
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	if err := mkdirAllOwned(deep, uid, gid); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"a", "a/b", "a/b/c"} {
		checkOwned(t, filepath.Join(root, d), uid, gid, os.ModeDir|0o755)
	}
	// Again: nothing to do.
	if err := mkdirAllOwned(deep, uid, gid); err != nil {
		t.Errorf("second mkdirAllOwned: %v", err)
	}
	// A file in the way.
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := mkdirAllOwned(file, uid, gid); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("mkdirAllOwned(a file) = %v, want not a directory", err)
	}
	if err := mkdirAllOwned(filepath.Join(file, "sub"), uid, gid); err == nil {
		t.Error("mkdirAllOwned(under a file) succeeded")
	}
}

// As root, directories made get the ids asked for, and those that were
// there keep theirs: a node's root never takes over the host's /etc.
func TestMkdirAllOwnedOtherIDs(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("chown to another uid needs root")
	}
	root := t.TempDir()
	const uid, gid = 123456, 654321
	if err := mkdirAllOwned(filepath.Join(root, "x", "y"), uid, gid); err != nil {
		t.Fatal(err)
	}
	checkOwned(t, root, os.Getuid(), os.Getgid(), 0)
	checkOwned(t, filepath.Join(root, "x"), uid, gid, os.ModeDir|0o755)
	checkOwned(t, filepath.Join(root, "x", "y"), uid, gid, os.ModeDir|0o755)
	if err := putFile(putRequest{Path: filepath.Join(root, "x", "z", "f"), Data: []byte("f"), Mode: 0o640, UID: uid, GID: gid}); err != nil {
		t.Fatal(err)
	}
	checkOwned(t, filepath.Join(root, "x", "z"), uid, gid, os.ModeDir|0o755)
	checkOwned(t, filepath.Join(root, "x", "z", "f"), uid, gid, 0o640)
}

// checkOwned checks path's owner, and its mode unless mode is 0.
func checkOwned(t *testing.T, path string, uid, gid int, mode os.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != uid || int(st.Gid) != gid {
		t.Errorf("%s owned by %d:%d, want %d:%d", path, st.Uid, st.Gid, uid, gid)
	}
	if mode != 0 && fi.Mode() != mode {
		t.Errorf("%s has mode %v, want %v", path, fi.Mode(), mode)
	}
}

func TestPutFile(t *testing.T) {
	uid, gid := os.Getuid(), os.Getgid()
	root := t.TempDir()
	tests := []struct {
		name string
		path string
		data string
		mode uint32
	}{
		{"new file in new directories", "etc/frr/frr.conf", "hostname r1\n", 0o640},
		{"a script", "usr/local/bin/run", "#!/bin/sh\n", 0o755},
		{"empty", "tmp/empty", "", 0o644},
		{"mode bits beyond permissions are dropped", "tmp/sticky", "x", 0o4755 | uint32(os.ModeDir)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(root, tt.path)
			if err := putFile(putRequest{Path: p, Data: []byte(tt.data), Mode: tt.mode, UID: uid, GID: gid}); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(p)
			if err != nil || string(b) != tt.data {
				t.Errorf("content = %q, %v; want %q", b, err, tt.data)
			}
			checkOwned(t, p, uid, gid, os.FileMode(tt.mode).Perm())
		})
	}

	// An existing file is replaced by a new one (a new inode), not
	// rewritten through: the host's file under an overlay stays as it was.
	p := filepath.Join(root, "etc", "hosts")
	if err := os.WriteFile(p, []byte("old old old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(root, "hosts.link")
	if err := os.Link(p, keep); err != nil {
		t.Fatal(err)
	}
	if err := putFile(putRequest{Path: p, Data: []byte("new\n"), Mode: 0o644, UID: uid, GID: gid}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new\n" {
		t.Errorf("replaced file holds %q", b)
	}
	checkOwned(t, p, uid, gid, 0o644)
	if b, _ := os.ReadFile(keep); string(b) != "old old old\n" {
		t.Errorf("the old inode was written through: %q", b)
	}

	// A symlink at the path is replaced, never followed.
	target := filepath.Join(root, "target")
	if err := os.WriteFile(target, []byte("target\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lnk := filepath.Join(root, "etc", "motd")
	if err := os.Symlink(target, lnk); err != nil {
		t.Fatal(err)
	}
	if err := putFile(putRequest{Path: lnk, Data: []byte("motd\n"), Mode: 0o644, UID: uid, GID: gid}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "target\n" {
		t.Errorf("symlink was followed: target now holds %q", b)
	}
	checkOwned(t, lnk, uid, gid, 0o644)
}

func TestPutFileErrors(t *testing.T) {
	uid, gid := os.Getuid(), os.Getgid()
	root := t.TempDir()
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(root, "full")
	if err := os.MkdirAll(filepath.Join(full, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"relative", "etc/motd", "path is not absolute"},
		{"empty", "", "path is not absolute"},
		{"parent is a file", filepath.Join(file, "x"), "not a directory"},
		{"a non-empty directory in the way", full, "directory not empty"},
	}
	for _, tt := range tests {
		err := putFile(putRequest{Path: tt.path, Data: []byte("x"), Mode: 0o644, UID: uid, GID: gid})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "put "+tt.path+": ") {
			t.Errorf("%s: putFile(%q) = %v, want put %s: …%s…", tt.name, tt.path, err, tt.path, tt.want)
		}
	}
}

// TestInitBinary: a program that does not speak this protocol is never
// used as supervisor or init.
func TestInitBinary(t *testing.T) {
	for _, path := range []string{"/bin/true", "/bin/echo", "/nonexistent/netlab-init"} {
		if got := InitBinary(path); got != "" {
			t.Errorf("InitBinary(%s) = %q, want none", path, got)
		}
	}
}

// TestStartCommandRefuses: what cannot start is an exit to report, not a
// crash of the agent, for a service as for a command (an empty argv once
// panicked the service path).
func TestStartCommandRefuses(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	stdio := [3]*os.File{null, null, null}
	for _, c := range []struct {
		req  execRequest
		code int
		want string
	}{
		{execRequest{Service: "web"}, 126, "no command given"},
		{execRequest{Argv: []string{"no-such-command-here"}, Env: []string{"PATH=/nonexistent"}, Service: "web"}, 127, "no-such-command-here"},
	} {
		_, _, fail := startCommand(testReaper(), c.req, stdio)
		if fail == nil || fail.Code != c.code || !strings.Contains(fail.Error, c.want) {
			t.Errorf("start %+v: %+v, want exit %d with %q", c.req, fail, c.code, c.want)
		}
	}
}
