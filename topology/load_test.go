//go:build unix

package topology

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// loadSoon runs Load and fails the test if it does not return at once: a
// FIFO or a device must be refused, not read.
func loadSoon(t *testing.T, path string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		top, err := Load(path)
		if top != nil {
			err = errors.New("Load returned a topology")
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("Load(%s) still running after 5s", path)
		return nil
	}
}

func TestLoadRefusesFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "lab.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxFileSize+1); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, want string }{
		{fifo, fifo + ": not a regular file (a fifo); give a topology file"},
		{"/dev/zero", "/dev/zero: not a regular file (a device); give a topology file"},
		{dir, dir + ": not a regular file (a directory); give a topology file"},
		{big, big + ": 16777217 bytes is too large; a topology file may be at most 16 MiB"},
		{filepath.Join(dir, "missing.yaml"), filepath.Join(dir, "missing.yaml") + ": no such file"},
	}
	for _, tt := range tests {
		if tt.path == "/dev/zero" {
			if _, err := os.Stat(tt.path); err != nil {
				t.Logf("skipping /dev/zero: %v", err)
				continue
			}
		}
		err := loadSoon(t, tt.path)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Load(%s) = %v, want %s", tt.path, err, tt.want)
		}
		var fe *FileError
		if !errors.As(err, &fe) || fe.File != tt.path || Errors(err) != nil {
			t.Errorf("Load(%s): %#v is not a lone *FileError", tt.path, err)
		}
	}
	// A missing file is still os.ErrNotExist, which the CLI tells apart.
	if err := loadSoon(t, filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v is not os.ErrNotExist", err)
	}
}

// TestLoadSizeLimit: a file of exactly MaxFileSize bytes is read and its
// content judged; one byte more is refused before it is read.
func TestLoadSizeLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lab.yaml")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, MaxFileSize); err != nil {
		t.Fatal(err)
	}
	err := loadSoon(t, path)
	if errs := Errors(err); len(errs) != 1 || !strings.Contains(errs[0].Msg, "control character") {
		t.Errorf("Load of %d NUL bytes = %v, want one syntax error about control characters", MaxFileSize, err)
	}
}

// TestOpenError: what the system says about a path that cannot be opened,
// as Load tells it, still wrapping the system's error.
func TestOpenError(t *testing.T) {
	tests := []struct {
		errno syscall.Errno
		want  string
		is    error
	}{
		{syscall.ENOENT, "lab.yaml: no such file", os.ErrNotExist},
		{syscall.EACCES, "lab.yaml: permission denied; make the file readable, or copy it where you can read it", os.ErrPermission},
		{syscall.ENXIO, "lab.yaml: not a regular file (a socket); give a topology file", syscall.ENXIO},
		{syscall.ELOOP, "lab.yaml: cannot be opened: " + syscall.ELOOP.Error(), syscall.ELOOP},
	}
	for _, tt := range tests {
		err := openError("lab.yaml", &fs.PathError{Op: "open", Path: "lab.yaml", Err: tt.errno})
		if err.Error() != tt.want || !errors.Is(err, tt.is) {
			t.Errorf("openError(%v) = %v, want %s wrapping %v", tt.errno, err, tt.want, tt.is)
		}
	}
}

func TestLoadSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lab.yaml")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Skipf("no unix socket: %v", err)
	}
	defer l.Close()
	if err := loadSoon(t, path); err == nil || err.Error() != path+": not a regular file (a socket); give a topology file" {
		t.Errorf("Load of a socket = %v", err)
	}
}

// TestLoadQuotesFileName: a file name that does not print is quoted in
// every error, as the names inside the file are.
func TestLoadQuotesFileName(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lab\x1b[2J.yaml")
	if err := os.WriteFile(path, []byte("name: x\nnodes: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || strings.Contains(err.Error(), "\x1b[") || !strings.HasPrefix(err.Error(), `"`+dir) {
		t.Errorf("Load = %q, want the file name quoted", err)
	}
	_, err = Load(path + ".missing")
	if err == nil || strings.Contains(err.Error(), "\x1b[") {
		t.Errorf("Load = %q, want the file name quoted", err)
	}
}
