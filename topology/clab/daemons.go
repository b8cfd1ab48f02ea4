package clab

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/netlab-dev/netlab/topology"
)

// The files an FRR image reads from /etc/frr, and BIRD's config, are what
// netlab makes the node from; the binds that carry them are not mounted.

const frrDir = "/etc/frr"

// frrFiles reads the node's FRR files from its binds: a bound daemons
// file gives the daemons and their options, a bound frr.conf (or a bound
// directory holding one) the config. It returns the binds left to mount.
func (rd *reader) frrFiles(n *topology.Node, binds []topology.Bind) []topology.Bind {
	var daemons, conf *topology.Bind
	var daemonsPath, confPath string
	var rest []topology.Bind
	for i, b := range binds {
		switch {
		case b.Node == frrDir+"/daemons":
			daemons, daemonsPath = &binds[i], b.Host
		case b.Node == frrDir+"/frr.conf":
			conf, confPath = &binds[i], b.Host
		case b.Node == frrDir && isDir(b.Host):
			for name, p := range map[string]**topology.Bind{"daemons": &daemons, "frr.conf": &conf} {
				if path := filepath.Join(b.Host, name); *p == nil && fileExists(path) {
					*p = &binds[i]
					if name == "daemons" {
						daemonsPath = path
					} else {
						confPath = path
					}
				}
			}
			rd.note(n.Name, "bound directory %s is read, not mounted: netlab writes /etc/frr itself", rd.shown(b.Host))
		case within(b.Node, frrDir):
			rd.note(n.Name, "bind %s is left out: netlab writes /etc/frr itself (its vtysh.conf, for one)", rd.shown(b.Host)+":"+b.Node)
		default:
			rest = append(rest, b)
		}
	}
	if conf == nil {
		rd.note(n.Name, "no frr.conf is bound: FRR starts with an empty config, as the image does")
	} else if data, ok := rd.readNamed(confPath, conf.Pos, "frr.conf"); ok {
		n.Config, n.At["config"] = string(data), conf.Pos
		rd.note(n.Name, "config: is %s", rd.shown(confPath))
	}
	if daemons == nil {
		rd.note(n.Name, "no daemons file is bound: the image's own starts zebra and staticd only, and so does netlab")
		return rest
	}
	data, ok := rd.readNamed(daemonsPath, daemons.Pos, "daemons file")
	if !ok {
		return rest
	}
	rd.daemonsFile(n, daemonsPath, data, daemons.Pos)
	return rest
}

// daemonsFile reads FRR's /etc/frr/daemons: NAME=yes runs a daemon, and
// NAME_options its options, less those netlab sets itself (-d, -A...);
// NAME_instances, which netlab cannot run, is an error at its line.
func (rd *reader) daemonsFile(n *topology.Node, path string, data []byte, at topology.Pos) {
	opts := map[string]string{}
	var dropped []string
	for i, line := range lines(data) {
		pos := topology.Pos{Line: i + 1, Col: 1}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue // not an assignment: the init script would not read it either
		}
		value = strings.Trim(strings.TrimSpace(value), `"'`)
		daemon, suffix, _ := strings.Cut(key, "_")
		known := slices.Contains(topology.FRRDaemons, daemon) || slices.Contains(topology.AlwaysDaemons, daemon)
		switch {
		case suffix == "" && known && value == "yes":
			if !slices.Contains(topology.AlwaysDaemons, daemon) {
				n.Daemons = append(n.Daemons, daemon)
				n.DaemonPos = append(n.DaemonPos, at)
			}
		case suffix == "" && known:
			if daemon == "staticd" || daemon == "zebra" {
				rd.note(n.Name, "%s=%s is left out: netlab runs zebra and staticd on every FRR node", daemon, value)
			}
		case suffix == "instances" && known:
			rd.Add(rd.fileError(path, pos, "%s runs instances %s of %s; netlab runs one of each daemon: remove the line, and the instance numbers from router statements of frr.conf", key, value, daemon))
		case suffix == "options" && known:
			if kept := frrOptions(value); kept != "" {
				if why := topology.DaemonOptionsProblem(kept); why != "" {
					rd.Add(rd.fileError(path, pos, "options %q of %s %s", kept, daemon, why))
					continue
				}
				opts[daemon] = kept
			}
		case !known && suffix == "" && value == "yes" && !strings.Contains(key, "_"):
			rd.Add(rd.fileError(path, pos, "%s=yes names no FRR daemon netlab knows; use one of %s, or remove it", key, strings.Join(topology.FRRDaemons, ", ")))
		default:
			dropped = append(dropped, key)
		}
	}
	for d, o := range opts {
		if slices.Contains(n.Daemons, d) || slices.Contains(topology.AlwaysDaemons, d) {
			n.DaemonOptions = append(n.DaemonOptions, topology.KeyValue{Key: d, Value: o, Pos: at, ValuePos: at})
		}
	}
	slices.SortFunc(n.DaemonOptions, func(a, b topology.KeyValue) int { return strings.Compare(a.Key, b.Key) })
	rd.note(n.Name, "daemons: come from %s; netlab starts each with its own -d -A 127.0.0.1, so those options are left out", rd.shown(path))
	if len(dropped) > 0 {
		rd.note(n.Name, "left out of %s, as netlab starts the daemons itself: %s", rd.shown(path), strings.Join(dropped, ", "))
	}
}

// frrOptions is a daemon's options without those netlab sets itself: in
// the background (-d, --daemon), where its vty listens (-A, -P).
func frrOptions(s string) string {
	words := strings.Fields(s)
	var kept []string
	for i := 0; i < len(words); i++ {
		switch w := words[i]; {
		case w == "-d" || w == "--daemon":
		case w == "-A" || w == "--vty_addr" || w == "-P" || w == "--vty_port":
			i++ // and its value
		case strings.HasPrefix(w, "--vty_addr=") || strings.HasPrefix(w, "--vty_port="):
		default:
			kept = append(kept, w)
		}
	}
	return strings.Join(kept, " ")
}

// birdConfs are where BIRD images read their config.
var birdConfs = []string{"/etc/bird/bird.conf", "/etc/bird.conf", "/etc/bird/bird2.conf", "/usr/local/etc/bird.conf", "/etc/bird2.conf"}

// birdFiles reads the node's bird.conf from its binds, at any place a
// BIRD image reads it or in a bound directory, and returns the binds left
// to mount.
func (rd *reader) birdFiles(n *topology.Node, binds []topology.Bind) []topology.Bind {
	var rest []topology.Bind
	for _, b := range binds {
		path := ""
		switch {
		case slices.Contains(birdConfs, b.Node):
			path = b.Host
		case isDir(b.Host) && slices.ContainsFunc(birdConfs, func(c string) bool { return filepath.Dir(c) == b.Node }):
			for _, name := range []string{"bird.conf", "bird2.conf"} {
				if p := filepath.Join(b.Host, name); fileExists(p) {
					path = p
					break
				}
			}
		}
		if path == "" || n.Config != "" {
			rest = append(rest, b)
			continue
		}
		if data, ok := rd.readNamed(path, b.Pos, "bird.conf"); ok {
			n.Config, n.At["config"] = string(data), b.Pos
			rd.note(n.Name, "config: is %s; netlab starts bird with it", rd.shown(path))
		}
	}
	if n.Config == "" {
		rd.note(n.Name, "no bird.conf is bound: BIRD starts with an empty config")
	}
	return rest
}
