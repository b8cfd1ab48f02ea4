// Package topology is netlab's file format: the types a topology file decodes
// into, strict decoding (unknown keys, duplicate keys and tabs are errors),
// the merge of `defaults` into every node, and validation.
//
// The top-level keys are name, defaults, nodes, links and limits. limits
// bounds the lab as a whole (one cgroup per lab) and every key of it is
// optional:
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
//
// A service's name is lowercase letters, digits, ".", "_" and "-",
// starting with a letter or digit, at most 32 bytes: it names the
// service's log file. Node.Services holds them sorted by name. Like
// sysctls and files, services merge with defaults key by key, a node's
// own entry of a name winning over that of defaults.
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
