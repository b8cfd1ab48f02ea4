#!/usr/bin/env bash
# Writes a generated topology to stdout, for benchmarks and scale tests.
#   gen-topology.sh chain N NAME   N routers in a chain, a /30 per link
#   gen-topology.sh star  N NAME   one bridge and N-1 hosts on one /16 LAN
set -euo pipefail
shape=$1 n=$2 name=$3
addr() { # link index, host (1 or 2) -> dotted quad in 10.64.0.0/10
	local v=$(( (10 << 24) | (64 << 16) | ($1 * 4 + $2) ))
	echo "$(( v >> 24 & 255 )).$(( v >> 16 & 255 )).$(( v >> 8 & 255 )).$(( v & 255 ))"
}
echo "name: $name"
case $shape in
chain)
	echo "defaults: {kind: router}"
	echo "nodes:"
	for ((i = 1; i <= n; i++)); do
		echo "  r$i:"
		echo "    interfaces:"
		((i > 1)) && echo "      eth1: [$(addr $((i - 1)) 2)/30]"
		((i < n)) && echo "      eth2: [$(addr "$i" 1)/30]"
	done
	echo "links:"
	for ((i = 1; i < n; i++)); do echo "  - [r$i:eth2, r$((i + 1)):eth1]"; done
	;;
star)
	echo "nodes:"
	echo "  sw: {kind: bridge}"
	for ((i = 1; i < n; i++)); do
		echo "  h$i: {interfaces: {eth1: [10.100.$((i / 250)).$((i % 250 + 1))/16]}}"
	done
	echo "links:"
	for ((i = 1; i < n; i++)); do echo "  - [h$i:eth1, sw:p$i]"; done
	;;
*)
	echo "gen-topology.sh: unknown shape $shape" >&2
	exit 2
	;;
esac
