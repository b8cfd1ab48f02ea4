package nsproc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// Command is a command to run in a node.
type Command struct {
	Argv                  []string
	Env                   []string // the whole environment; nothing is inherited
	Dir                   string   // working directory in the node; "/" when empty
	Stdin, Stdout, Stderr *os.File // handed to the command as they are
	TTY                   bool     // Stdin is a terminal to make its controlling one
}

// ExitError is a command that ran, or could not start, in a node.
type ExitError struct {
	Code   int    // 126 not executable, 127 not found, 128+n killed by signal n
	Reason string // why it could not start; empty when it ran
}

func (e *ExitError) Error() string {
	if e.Reason != "" {
		return e.Reason
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// Run runs cmd in the node whose init serves socket and returns the
// command's exit code. Signals received on signals are delivered to the
// command's process group. A command that could not start returns an
// *ExitError with its Reason.
func Run(ctx context.Context, socket string, cmd Command, signals <-chan os.Signal) (int, error) {
	c, err := dialNode(ctx, socket)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	req := nodeRequest{Exec: &execRequest{Argv: cmd.Argv, Env: cmd.Env, Dir: cmd.Dir, TTY: cmd.TTY}}
	if err := sendPacket(c, req, cmd.Stdin, cmd.Stdout, cmd.Stderr); err != nil {
		return 0, fmt.Errorf("send command to node: %w", err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case sig := <-signals:
				if n, ok := sig.(syscall.Signal); ok {
					sendPacket(c, execEvent{Signal: int(n)})
				}
			case <-ctx.Done():
				c.Close()
				return
			case <-stop:
				return
			}
		}
	}()
	exit, err := recvExit(c)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, fmt.Errorf("wait for command: %w", err)
	}
	if exit.Error != "" {
		return exit.Code, &ExitError{Code: exit.Code, Reason: exit.Error}
	}
	return exit.Code, nil
}

// dialNode connects to a node's exec socket.
func dialNode(ctx context.Context, socket string) (*net.UnixConn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unixpacket", socket)
	if err != nil {
		return nil, fmt.Errorf("connect to node: %w", err)
	}
	return nc.(*net.UnixConn), nil
}

// recvExit reads the init's final answer to a request.
func recvExit(c *net.UnixConn) (*exitInfo, error) {
	var ev execEvent
	files, err := recvPacket(c, &ev)
	closeAll(files)
	switch {
	case errors.Is(err, errEOF):
		return nil, errors.New("node went away before it answered")
	case err != nil:
		return nil, err
	case ev.Exit == nil:
		return nil, errors.New("node sent no exit status")
	}
	return ev.Exit, nil
}

// File is a file to write in a node.
type File struct {
	Path     string // absolute, as the node sees it
	Data     []byte
	Mode     os.FileMode
	UID, GID int // as the node sees them
}

// Put writes f in the node whose init serves socket, replacing any file at
// its path and making missing directories (owned like the file).
func Put(ctx context.Context, socket string, f File) error {
	if len(f.Data) > maxPacket/2 {
		return fmt.Errorf("put %s: %d bytes is too large; files are for configuration, at most %d bytes", f.Path, len(f.Data), maxPacket/2)
	}
	c, err := dialNode(ctx, socket)
	if err != nil {
		return err
	}
	defer c.Close()
	req := nodeRequest{Put: &putRequest{Path: f.Path, Data: f.Data, Mode: uint32(f.Mode.Perm()), UID: f.UID, GID: f.GID}}
	if err := sendPacket(c, req); err != nil {
		return fmt.Errorf("send file to node: %w", err)
	}
	exit, err := recvExit(c)
	if err != nil {
		return fmt.Errorf("put %s: %w", f.Path, err)
	}
	if exit.Error != "" {
		return errors.New(exit.Error)
	}
	return nil
}
