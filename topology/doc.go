// Package topology is netlab's file format: the types a topology file decodes
// into, strict decoding (unknown keys, duplicate keys and tabs are errors),
// the merge of `defaults` into every node, and validation.
//
// The top-level keys are name, defaults, nodes, links, limits and
// checks. limits bounds the lab as a whole (one cgroup per lab) and every
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
// services, daemons and config; defaults takes them all but interfaces.
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
// netlab does not read containerlab files yet. The keys and kinds a
// containerlab user writes out of habit (topology:, mgmt:, image:, binds:,
// cmd:, ports:, env:, kind: linux, type: in a link, endpoints as
// {node:, interface:} mappings) are errors that say what netlab does
// instead, at their line.
//
// It is pure Go with no root, so it builds and tests anywhere. Its one look
// at the machine is a stat of /proc/sys/KEY for each sysctl key, to refuse
// keys that exist here but cannot be written; where there is no such file
// the key is left for up to try. Every error names FILE:LINE:COL and says
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
