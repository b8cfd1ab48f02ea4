// Package topology is netlab's file format: the types a topology file decodes
// into, strict decoding (unknown keys, duplicate keys and tabs are errors),
// the merge of `defaults` into every node, and the rules that judge a lab.
//
// Parse is decode + build + rules: Reader (walk.go) walks the YAML,
// refusing what has the wrong shape; the decoders (decode.go, checks.go,
// limits.go, impair.go) read it into a Topology, keeping where each value
// is; build (build.go) merges defaults, adds the interfaces only links name
// and resolves what checks name; the rules (rules.go, one method per thing
// judged) judge the result. Validate is the same rules, for a Topology built
// in Go, which thus fails what a file fails, with the same words. What a
// kind says about a node (forwarding, bridge, routing suite, daemons,
// config path, protocols) is one table, KindFacts (kinds.go), read by
// netlab, check and graph too. Readers of other formats (topology/clab)
// walk their files with Reader and end with Judge.
//
// The top-level keys are name, defaults, nodes, links, limits, checks,
// hosts and placement. limits bounds the lab as a whole (one cgroup per lab) and every
// key of it is optional:
//
//	limits:
//	  pids: 1024     # processes and threads at once, at least 16
//	  memory: 2GiB   # bytes, or a number and a unit, at least 16MiB
//	  cpus: 1.5      # CPUs' worth of time, from 0.01 to 1024
//
// Memory units K, M, G, T and KiB, MiB, GiB, TiB are powers of 1024; KB,
// MB, GB and TB are powers of 1000.
//
// A node's keys are kind, interfaces, routes, sysctls, files, exec,
// services, daemons, daemon-options, config, env, binds, limits, clock,
// wait-for and host; defaults takes them all but interfaces and wait-for.
//
// A lab may span hosts (hosts.go): hosts: names each machine with the
// underlay address the others reach it at (and vxlan_port, 4789 unless
// said), and every node says its host: (or defaults does), or
// placement: auto places them all (Place, placement.go: balanced by node
// count, few links cut, the same on every host). hosts: kubernetes leaves
// the hosts to be found when the lab comes up (netlab/kube), and needs
// placement: auto.
//
//	hosts:
//	  a: {address: 198.51.100.1}
//	  b: {address: 198.51.100.2, vxlan_port: 4790}
//	nodes:
//	  r1: {host: a}
//
//	env: {LANG: C.UTF-8}                # for exec steps, services, ready:, over PATH, HOME, TERM
//	binds: [configs/r1:/etc/myapp:ro]    # HOST-PATH:NODE-PATH[:ro], relative to the file
//	limits: {memory: 256MiB}             # the node's own, within the lab's
//	clock: {offset: 240h}                # monotonic and boot clocks ten days ahead (clock.go)
//	wait-for: [r1]                       # exec steps after r1's have ended
//	daemon-options: {bgpd: "-M rpki"}    # kind frr: options beyond netlab's own
//
// A long-form link may give each end's MAC address, mac: [A, B] ("" for
// the one netlab derives), and state: down for a link up leaves down at
// both ends (as netlab save writes one that link set took down). Node
// names may hold letters of either case, digits, dashes and underscores
// (containerlab's PC1, leaf-01); lab names only lowercase letters, digits
// and dashes.
// services maps a name to a command line, run with /bin/sh -c: the node's
// init starts each after the exec steps, keeps it running and stops it at
// down.
//
//	services:
//	  web: "python3 -m http.server 8080"
//	  syslog: "busybox syslogd -n"
//	  dns: {cmd: "dnsmasq -k", ready: {port: 53}}
//	  app: {cmd: "app --serve", ready: {cmd: "test -S /run/app.sock", wait: 1m}}
//
// A service's name is lowercase letters, digits, ".", "_" and "-",
// starting with a letter or digit, at most 32 bytes: it names the
// service's log file. Node.Services holds them sorted by name. Like
// sysctls and files, services merge with defaults key by key, a node's
// own entry of a name winning over that of defaults. The long form's
// ready: says when the service is ready (a TCP port it listens on, or a
// command that exits 0), which up waits for, at most wait: (else
// DefaultReadyWait); Node.Ready holds them, each going with its
// service's command.
//
// checks: lists assertions about the running lab, which netlab check and
// netlab up --check run (package check). Each item is one check of a
// kind, ping, route, exec, ospf or bgp, with its fields in a mapping:
//
//	checks:
//	  - ping: {from: h1, to: h2}              # to: a node, NODE-IFNAME or an address; count, src
//	  - ping: {from: h1, to: 192.0.2.99, expect: fail}
//	  - route: {node: r1, to: 10.255.0.3/32, via: 10.0.13.3}   # via, dev optional
//	  - exec: {node: r1, cmd: "sysctl -n net.ipv4.ip_forward", output: "^1$"}  # exit: 0 default
//	  - ospf: {node: r1, neighbor: 10.255.0.2}  # a router id, an address or a node
//	  - bgp: {node: r1, peer: 10.0.12.2}        # prefixes: N, at least N received
//	    name: r1 peers with r2
//	    wait: 30s
//
// Any check may carry name (shown in reports; else Check.Title makes one),
// wait (a retry window, a Go duration from 0s to 1h) and expect: fail,
// beside the kind or inside its mapping, not both. Validation resolves
// what a check names against the lab: its nodes and their interfaces,
// ping's to: to an address (a node stands for its first name address, as
// in /etc/hosts), a neighbour or peer named by its node to every address
// of that node, and refuses a protocol check on a node that runs no
// daemon for it (kind frr without ospfd or bgpd in daemons:, kind bird
// whose config has no protocol ospf or bgp, any other kind). A route to an
// address (no prefix length) is the route the kernel would choose for it;
// a route to a prefix is a route to exactly that prefix.
//
// A file under files: must lie in the node's private view (PrivateRoots).
// netlab.Check refuses the others; Parse and Validate report them too
// whenever the file has other errors, so that all come at once.
//
// containerlab files are read by topology/clab. In a netlab file, the keys
// and kinds a containerlab user writes out of habit (topology:, mgmt:,
// image:, cmd:, ports:, kind: linux, type: in a link, endpoints as
// {node:, interface:} mappings) are errors that say what netlab does
// instead, at their line.
//
// It is pure Go with no root, so it builds and tests anywhere. Its looks
// at the machine are a stat of /proc/sys/KEY for each sysctl key, to refuse
// keys that exist here but cannot be written (where there is no such file
// the key is left for up to try), and a stat of each bind's host path. Every error names FILE:LINE:COL and says
// what to write instead; all errors of a file are returned together
// (errors.Join of *Error), never just the first one. Names an error echoes
// are quoted, with escapes, when they hold characters that do not print. A
// file that cannot be read at all, is not a regular file or is over 16 MiB
// gives a *FileError instead, "FILE: what is wrong; what to do".
//
// The types here are the file as written, after defaults are merged and
// values parsed. What a running lab needs beyond that (process ids, namespaces,
// uid ranges) lives in package netlab, not here.
package topology
