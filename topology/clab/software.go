package clab

import (
	"fmt"
	"slices"
	"strings"

	"github.com/netlab-dev/netlab/topology"
)

// image is what netlab makes of a container image: the kind of node, and
// the host programs that stand for the image's software.
type image struct {
	kind     topology.Kind
	name     string    // what it is, in notes: "FRR", "OpenBGPD"
	programs []program // what the image would have run, looked for on the host
}

// program is a host program and the Debian package that has it.
type program struct{ name, pkg string }

// images are the images netlab knows, by a word of their repository's
// last path element (frr of quay.io/frrouting/frr:10.5.1): FRR and BIRD
// become routers of those kinds, the others hosts running the host's
// programs of the same software.
var images = []struct {
	word string
	image
}{
	{"frr", image{kind: topology.KindFRR, name: "FRR"}},
	{"bird", image{kind: topology.KindBIRD, name: "BIRD"}},
	{"openbgpd", image{name: "OpenBGPD", programs: []program{{"bgpd", "openbgpd"}}}},
	{"gobgp", image{name: "GoBGP", programs: []program{{"gobgpd", "gobgpd"}}}},
	{"exabgp", image{name: "ExaBGP", programs: []program{{"exabgp", "exabgp"}}}},
	{"nginx", image{name: "nginx", programs: []program{{"nginx", "nginx"}}}},
	{"iperf", image{name: "iperf3", programs: []program{{"iperf3", "iperf3"}}}},
	{"dnsmasq", image{name: "dnsmasq", programs: []program{{"dnsmasq", "dnsmasq-base"}}}},
	{"network-multitool", image{name: "network tools", programs: []program{{"ping", "iputils-ping"}, {"ip", "iproute2"}, {"curl", "curl"}, {"tcpdump", "tcpdump"}}}},
}

// commandPackages are the Debian packages of programs exec steps and
// commands often run, for the warning about one the host lacks.
var commandPackages = map[string]string{
	"ip": "iproute2", "tc": "iproute2", "bridge": "iproute2", "ping": "iputils-ping", "tcpdump": "tcpdump",
	"iperf3": "iperf3", "iperf": "iperf", "curl": "curl", "wget": "wget", "nc": "netcat-openbsd",
	"ethtool": "ethtool", "arping": "iputils-arping", "traceroute": "traceroute", "mtr": "mtr-tiny",
	"dig": "bind9-dnsutils", "nslookup": "bind9-dnsutils", "dhclient": "isc-dhcp-client", "udhcpc": "udhcpc",
	"bash": "bash", "ash": "busybox (and run it as busybox ash)", "vtysh": "frr", "birdc": "bird2",
	"python3": "python3", "socat": "socat", "iptables": "iptables", "nft": "nftables", "sysctl": "procps",
	"vconfig": "vlan", "brctl": "bridge-utils", "ovs-vsctl": "openvswitch-switch", "lldpd": "lldpd",
	"gobgp": "gobgp", "gobgpd": "gobgpd", "bgpd": "openbgpd", "bgpctl": "openbgpd", "exabgp": "exabgp",
}

// software is what netlab makes of an image ("": a plain host).
func software(ref string) image {
	repo := strings.ToLower(lastPart(ref))
	if i := strings.IndexAny(repo, ":@"); i >= 0 {
		repo = repo[:i]
	}
	if repo == "" {
		return image{}
	}
	for _, im := range images {
		if strings.Contains(repo, im.word) {
			return im.image
		}
	}
	if strings.Contains(strings.ToLower(ref), "frrouting") {
		return images[0].image
	}
	return image{}
}

// needs warns, once per program, of what node n's image had and its
// commands run that this host lacks: the node comes up and that part of it
// fails.
func (rd *reader) needs(n *topology.Node, ref string, sw image) {
	var missing []program
	add := func(p program) {
		if !rd.opts.HasProgram(p.name) && !slices.Contains(missing, p) {
			missing = append(missing, p)
		}
	}
	for _, p := range sw.programs {
		add(p)
	}
	lines := slices.Clone(n.Exec)
	for _, sv := range n.Services {
		lines = append(lines, sv.Value)
	}
	for _, line := range lines {
		for _, prog := range programsOf(line) {
			if pkg, ok := commandPackages[prog]; ok {
				add(program{prog, pkg})
			}
		}
	}
	for _, p := range missing {
		from := "its commands run"
		if slices.Contains(sw.programs, p) {
			from = "image " + ref + " had it"
		}
		rd.lab.Warnings = append(rd.lab.Warnings, fmt.Sprintf("%s: node %s needs %s, which this host lacks (%s); install it: apt-get install %s",
			n.Pos.In(rd.File), n.Name, p.name, from, strings.Fields(p.pkg)[0]))
	}
}

// programsOf are the programs a shell line starts: the first word of each
// of its commands, and of the commands of a sh -c, bash -c or ash -c
// script in it.
func programsOf(line string) []string {
	var out []string
	for _, cmd := range shellCommands(line) {
		words, why := splitWords(cmd)
		if why != "" || len(words) == 0 {
			continue
		}
		prog := words[0]
		if i := strings.LastIndexByte(prog, '/'); i >= 0 {
			prog = prog[i+1:]
		}
		out = append(out, prog)
		if (prog == "sh" || prog == "bash" || prog == "ash") && len(words) > 2 && words[1] == "-c" {
			out = append(out, programsOf(words[2])...)
		}
	}
	return out
}

// shellCommands splits a shell line at the ;, &, | and newlines outside
// quotes.
func shellCommands(line string) []string {
	var out []string
	start := 0
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' {
				i++
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '\\':
			i++
		case c == ';' || c == '&' || c == '|' || c == '\n':
			out = append(out, line[start:i])
			start = i + 1
		}
	}
	return append(out, line[start:])
}
