#!/usr/bin/env bash
# Writes a generated topology to stdout, for benchmarks and scale tests.
#   gen-topology.sh chain N NAME   N routers in a chain, a /30 per link
#   gen-topology.sh star  N NAME   one bridge and N-1 hosts on one /16 LAN
#   gen-topology.sh grid  N NAME   a square of N routers (N a square), each
#                                  joined to its east and south neighbours,
#                                  a /30 per link: 100x100 has 19,800 links
# One awk program (a shell loop with a subshell per address took 34 s for
# 4000 nodes).
set -euo pipefail
shape=$1 n=$2 name=$3
case $shape in chain | star | grid) ;; *)
	echo "gen-topology.sh: unknown shape $shape (chain, star, grid)" >&2
	exit 2
	;;
esac
awk -v shape="$shape" -v n="$n" -v name="$name" '
# addr: the address of end e (1 or 2) of link k, in 10.64.0.0/10.
function addr(k, e,   v) {
	v = 64 * 65536 + k * 4 + e
	return "10." int(v / 65536) % 256 "." int(v / 256) % 256 "." v % 256
}
BEGIN {
	print "name: " name
	if (shape == "chain") {
		print "defaults: {kind: router}"
		print "nodes:"
		for (i = 1; i <= n; i++) {
			print "  r" i ":"
			print "    interfaces:"
			if (i > 1) print "      eth1: [" addr(i - 1, 2) "/30]"
			if (i < n) print "      eth2: [" addr(i, 1) "/30]"
		}
		print "links:"
		for (i = 1; i < n; i++) print "  - [r" i ":eth2, r" i + 1 ":eth1]"
	} else if (shape == "star") {
		print "nodes:"
		print "  sw: {kind: bridge}"
		for (i = 1; i < n; i++)
			print "  h" i ": {interfaces: {eth1: [10.100." int(i / 250) "." i % 250 + 1 "/16]}}"
		print "links:"
		for (i = 1; i < n; i++) print "  - [h" i ":eth1, sw:p" i "]"
	} else {
		side = int(sqrt(n) + 0.5)
		if (side * side != n) {
			print "gen-topology.sh: a grid of " n " nodes is not a square" > "/dev/stderr"
			exit 2
		}
		# Links are numbered row by row: the east link of (r, c), then
		# its south link. eth1 west, eth2 east, eth3 north, eth4 south.
		k = 0
		for (r = 0; r < side; r++) for (c = 0; c < side; c++) {
			if (c + 1 < side) east[r, c] = ++k
			if (r + 1 < side) south[r, c] = ++k
		}
		print "defaults: {kind: router}"
		print "nodes:"
		for (r = 0; r < side; r++) for (c = 0; c < side; c++) {
			print "  g" r "x" c ":"
			print "    interfaces:"
			if (c > 0) print "      eth1: [" addr(east[r, c - 1], 2) "/30]"
			if (c + 1 < side) print "      eth2: [" addr(east[r, c], 1) "/30]"
			if (r > 0) print "      eth3: [" addr(south[r - 1, c], 2) "/30]"
			if (r + 1 < side) print "      eth4: [" addr(south[r, c], 1) "/30]"
		}
		print "links:"
		for (r = 0; r < side; r++) for (c = 0; c < side; c++) {
			if (c + 1 < side) print "  - [g" r "x" c ":eth2, g" r "x" c + 1 ":eth1]"
			if (r + 1 < side) print "  - [g" r "x" c ":eth4, g" r + 1 "x" c ":eth3]"
		}
	}
}'
