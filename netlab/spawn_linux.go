package netlab

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// initBinary is netlab-init beside this binary, if it is there and of this
// build's protocol: it starts faster than this whole binary, once per node.
func initBinary() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	path := filepath.Join(filepath.Dir(exe), "netlab-init")
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	return nsproc.InitBinary(path)
}

// startNode makes a node's exec socket and has the supervisor start its
// init. The files it opens for that are closed once the init has its own
// copies, so a lab holds O(parallelism) of them.
func (u *bringup) startNode(ctx context.Context, n *topology.Node, hosts *os.File) (nsproc.Node, error) {
	lab := u.st.Name
	sock, err := listenExec(socketPath(lab, n.Name))
	if err != nil {
		return nsproc.Node{}, fmt.Errorf("node %s: %w", n.Name, err)
	}
	defer sock.Close()
	cfg := nsproc.NodeConfig{
		Name: lab + "/" + n.Name, Hostname: n.Name, Socket: sock, Hosts: hosts,
		Sysctls: earlySysctls(n.Kind), Layer: daemonLayer(n, u.users), Hide: hiddenDirs(),
	}
	return u.sup.Spawn(ctx, cfg)
}

// hiddenDirs are the host directories a node sees empty: in a rootless lab
// node root is the user on the host, so the user's home and the state root
// (the user's files, its labs' exec sockets) are covered.
func hiddenDirs() []string {
	m := CurrentMode()
	if !m.Rootless {
		return nil
	}
	dirs := []string{StateRoot()}
	if u, err := user.LookupId(strconv.Itoa(m.UID)); err == nil && u.HomeDir != "" {
		dirs = append(dirs, u.HomeDir)
	}
	if h := os.Getenv("HOME"); h != "" && !slices.Contains(dirs, h) {
		dirs = append(dirs, h)
	}
	return dirs
}
