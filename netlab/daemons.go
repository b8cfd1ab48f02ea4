package netlab

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/netlab-dev/netlab/nsproc"
	"github.com/netlab-dev/netlab/topology"
)

// Routing daemons run straight from their binaries in each node, never
// through the host's init scripts: a node's /etc/frr or /etc/bird holds only
// what netlab wrote (an opaque directory of its /etc layer) and its /run is
// its own, so any number of them run side by side.

const frrLibDir = "/usr/lib/frr"

// frrAlways are the FRR daemons every frr node runs, in start order; mgmtd
// (FRR 9 and later) joins them where the installed FRR has it.
var frrAlways = []string{"zebra", "mgmtd", "staticd"}

// daemonUser is a system user a daemon runs as, with its ids on the host
// (which are also its ids inside every node).
type daemonUser struct{ uid, gid int }

// lookupDaemonUser finds a daemon's user and group on the host.
func lookupDaemonUser(name, pkg string) (daemonUser, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return daemonUser{}, fmt.Errorf("%w: user %s, made by the %s package; install it with: apt-get install %s", ErrMissingSoftware, name, pkg, pkg)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return daemonUser{uid, gid}, nil
}

// ErrMissingSoftware is wrapped by errors about a program a lab needs that
// this host does not have.
var ErrMissingSoftware = errors.New("missing software")

// suiteSoftware is what each routing suite (topology.KindFacts.Suite)
// needs of the host: its programs, the Debian package that has them, and
// the system user its daemons run as.
var suiteSoftware = map[string]struct {
	programs  []string
	pkg, user string
}{
	topology.SuiteFRR:  {[]string{filepath.Join(frrLibDir, "zebra"), "/usr/bin/vtysh"}, "frr", "frr"},
	topology.SuiteBIRD: {[]string{"/usr/sbin/bird", "/usr/sbin/birdc"}, "bird2", "bird"},
}

// daemonUsers maps a routing suite to the user its daemons run as.
type daemonUsers map[string]daemonUser

// checkDaemonSoftware reports, before anything is made, any FRR or BIRD
// program or user that t's nodes need and the host lacks. It returns the
// users, each looked up once.
func checkDaemonSoftware(t *topology.Topology) (daemonUsers, error) {
	var errs []error
	seen := map[string]bool{}
	need := func(path, pkg, why string) {
		if seen[path] {
			return
		}
		seen[path] = true
		if _, err := os.Stat(path); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s (%s) is not installed; install it with: apt-get install %s", ErrMissingSoftware, path, why, pkg))
		}
	}
	for _, n := range t.Nodes {
		suite := n.Kind.Facts().Suite
		sw, ok := suiteSoftware[suite]
		if !ok {
			continue
		}
		for _, p := range sw.programs {
			need(p, sw.pkg, "kind "+string(n.Kind))
		}
		if suite == topology.SuiteFRR {
			for _, d := range n.Daemons {
				need(filepath.Join(frrLibDir, d), "frr", "daemons: "+d+" of node "+n.Name)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	users := daemonUsers{}
	for _, n := range t.Nodes {
		suite := n.Kind.Facts().Suite
		sw, ok := suiteSoftware[suite]
		if _, done := users[suite]; !ok || done {
			continue
		}
		u, err := lookupDaemonUser(sw.user, sw.pkg)
		if err != nil {
			return nil, err
		}
		users[suite] = u
	}
	return users, nil
}

// daemonLayer is what a node's kind puts in its /etc layer: FRR's or BIRD's
// configuration (config: at the kind's place), owned by the daemon's user
// (from users), whose ids are the same in the node as on the host.
func daemonLayer(n *topology.Node, users daemonUsers) []nsproc.LayerFile {
	facts := n.Kind.Facts()
	u := users[facts.Suite]
	f := func(path string, dir bool, data []byte, mode uint32) nsproc.LayerFile {
		return nsproc.LayerFile{Path: path, Dir: dir, Data: data, Mode: mode, UID: u.uid, GID: u.gid}
	}
	// The layer's paths are relative to /etc.
	config := strings.TrimPrefix(facts.Config, "/etc/")
	switch facts.Suite {
	case topology.SuiteFRR:
		return []nsproc.LayerFile{
			f("frr", true, nil, 0o750),
			f("frr/daemons", false, frrDaemonsFile(n), 0o640),
			f(config, false, []byte(n.Config), 0o640),
			f("frr/vtysh.conf", false, []byte("service integrated-vtysh-config\n"), 0o640),
		}
	case topology.SuiteBIRD:
		return []nsproc.LayerFile{
			f("bird", true, nil, 0o750),
			f(config, false, []byte(n.Config), 0o640),
		}
	}
	return nil
}

// frrDaemonsFile is /etc/frr/daemons as FRR's own scripts read it. netlab
// starts the daemons itself, but the file tells a reader (and frrinit.sh,
// if someone runs it in the node) which ones run.
func frrDaemonsFile(n *topology.Node) []byte {
	var b strings.Builder
	b.WriteString("# Written by netlab: the daemons this node runs.\n")
	for _, d := range n.Daemons {
		fmt.Fprintf(&b, "%s=yes\n", d)
	}
	b.WriteString("vtysh_enable=yes\n")
	for _, d := range append(slices.Clone(frrAlways), n.Daemons...) {
		if opts := daemonOptions(n, d); len(opts) > 0 {
			fmt.Fprintf(&b, "%s_options=\"-A 127.0.0.1 %s\"\n", d, strings.Join(opts, " "))
		}
	}
	return []byte(b.String())
}

// daemonOptions are the options of FRR daemon d beyond netlab's own, from
// daemon-options: (plain words, by the rules).
func daemonOptions(n *topology.Node, d string) []string {
	for _, kv := range n.DaemonOptions {
		if kv.Key == d {
			return strings.Fields(kv.Value)
		}
	}
	return nil
}

// daemonStartScript is the shell script that starts a node's daemons, run
// in the node after its network is wired, so that the daemons find their
// addresses and routes in place. It fails, printing the daemons' own
// complaints, when a daemon does not start or rejects its configuration.
func daemonStartScript(n *topology.Node) string {
	switch n.Kind.Facts().Suite {
	case topology.SuiteFRR:
		var b strings.Builder
		b.WriteString("set -e\ninstall -d -o frr -g frr -m 0755 /run/frr\n")
		var started []string
		for _, d := range append(append([]string{}, frrAlways...), n.Daemons...) {
			bin := filepath.Join(frrLibDir, d)
			opts := ""
			for _, o := range daemonOptions(n, d) {
				opts += " '" + o + "'" // plain words (see topology.DaemonOptionsProblem), quoted all the same
			}
			if d == "mgmtd" {
				// Only FRR 9 and later have it; where it exists, the
				// other daemons need it.
				fmt.Fprintf(&b, "if [ -x %[1]s ]; then %[1]s -d -A 127.0.0.1 -P 0%[3]s --log file:/run/frr/%[2]s.log </dev/null >/dev/null 2>&1; fi\n", bin, d, opts)
				continue
			}
			fmt.Fprintf(&b, "%s -d -A 127.0.0.1 -P 0%s --log file:/run/frr/%s.log </dev/null >/dev/null 2>&1 || { tail -n 5 /run/frr/%[3]s.log >&2; exit 1; }\n", bin, opts, d)
			started = append(started, d)
		}
		// The daemons do not read frr.conf themselves when it is the
		// integrated configuration: vtysh pushes it to each of them.
		b.WriteString("vtysh -b >/run/frr/vtysh-boot.log 2>&1 || { echo 'frr.conf rejected:' >&2; grep -v '^%' /run/frr/vtysh-boot.log | tail -n 8 >&2; exit 1; }\n")
		for _, d := range started {
			fmt.Fprintf(&b, "kill -0 $(cat /run/frr/%[1]s.pid) 2>/dev/null || { echo '%[1]s exited:' >&2; tail -n 5 /run/frr/%[1]s.log >&2; exit 1; }\n", d)
		}
		return b.String()
	case topology.SuiteBIRD:
		return `set -e
install -d -o bird -g bird -m 0775 /run/bird
bird -p -c /etc/bird/bird.conf
bird -u bird -g bird -c /etc/bird/bird.conf -s /run/bird/bird.ctl -P /run/bird/bird.pid </dev/null >/dev/null 2>&1
`
	}
	return ""
}
