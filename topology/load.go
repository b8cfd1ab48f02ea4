package topology

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// MaxFileSize is the largest topology file Load reads: 16 MiB, far more
// than a lab of thousands of nodes takes.
const MaxFileSize = 16 << 20

// FileError is a problem with a topology file as a whole, before its content
// is read: it is missing, unreadable, not a regular file or too large. It
// reads "FILE: what is wrong; what to do" and wraps the error from the
// system, if any, so errors.Is(err, os.ErrNotExist) holds for a missing file.
type FileError struct {
	File string
	Msg  string
	Err  error // the underlying error, or nil
}

func (e *FileError) Error() string { return show(e.File) + ": " + e.Msg }

func (e *FileError) Unwrap() error { return e.Err }

// Load reads and parses the topology file at path. It refuses anything
// but a regular file of at most MaxFileSize bytes with a *FileError, without
// blocking on a FIFO or reading a device; the content's problems are
// *Error values, as Parse returns them.
func Load(path string) (*Topology, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// ReadFile reads a topology file as Load does, for readers of other
// formats (topology/clab): the same refusals, as a *FileError.
func ReadFile(path string) ([]byte, error) { return readFile(path) }

func readFile(path string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO with no writer returns at once instead of
	// waiting for one; it changes nothing for a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, openError(path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &FileError{File: path, Msg: "cannot be read: " + cause(err), Err: err}
	}
	if !st.Mode().IsRegular() {
		return nil, &FileError{File: path, Msg: fmt.Sprintf("not a regular file (%s); give a topology file", fileType(st.Mode()))}
	}
	if st.Size() > MaxFileSize {
		return nil, tooLarge(path, fmt.Sprint(st.Size()))
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, &FileError{File: path, Msg: "cannot be read: " + cause(err), Err: err}
	}
	if len(data) > MaxFileSize {
		// It grew after the fstat.
		return nil, tooLarge(path, fmt.Sprintf("more than %d", MaxFileSize))
	}
	return data, nil
}

func tooLarge(path, size string) error {
	return &FileError{File: path, Msg: size + " bytes is too large; a topology file may be at most 16 MiB"}
}

func openError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &FileError{File: path, Msg: "no such file", Err: err}
	case errors.Is(err, fs.ErrPermission):
		return &FileError{File: path, Msg: "permission denied; make the file readable, or copy it where you can read it", Err: err}
	case errors.Is(err, syscall.ENXIO):
		// A Unix socket cannot be opened.
		return &FileError{File: path, Msg: "not a regular file (a socket); give a topology file", Err: err}
	}
	return &FileError{File: path, Msg: "cannot be opened: " + cause(err), Err: err}
}

// cause is the system's reason without the operation and path that
// FileError already gives.
func cause(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func fileType(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a fifo"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "of type " + m.Type().String()
}
