#!/usr/bin/env bash
# make bench: bring chains (and a star LAN) of N nodes up and down with
# netlab, next to the floor programs (test/floor) and, where installed,
# Mininet, all in this one run. Prints a Markdown table; with -o FILE also
# writes it, with this machine's description, to FILE.
#   bench.sh [-o docs/benchmarks.md] [N ...]     (default N: 10 100 200 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
out=
if [ "${1:-}" = -o ]; then out=$2; shift 2; fi
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10 100 200 1000)
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CGO_ENABLED=0
go build -o "$tmp/" ./cmd/netlab ./cmd/netlab-init
go build -o "$tmp/netfloor" ./test/floor/netfloor
go build -o "$tmp/nodefloor" ./test/floor/nodefloor
mininet=
/usr/bin/python3 -c 'import mininet.net' 2>/dev/null && mininet=1

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
field() { sed -n "s/.*$1=\([0-9.]*\)s.*/\1/p"; }
memavail() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
# Let the kernel finish tearing down the last run's namespaces, which it
# does in the background for seconds after a big lab, so that one run does
# not pay for another: wait until the machine is 90% idle over half a
# second (at most a minute).
settle() {
	local i a b
	for ((i = 0; i < 120; i++)); do
		a=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
		sleep 0.5
		b=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
		awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); exit !((y[1] - x[1]) >= 0.9 * (y[2] - x[2])) }' && return
	done
}

rows=()
row() { rows+=("| $* |"); printf '| %s |\n' "$*" >&2; }

for n in "${sizes[@]}"; do
	for shape in chain star; do
		[ "$shape" = star ] && { [ "$n" -lt 100 ] || [ "$n" = 200 ]; } && continue
		lab="bench-$shape$n"
		scripts/gen-topology.sh "$shape" "$n" "$lab" > "$tmp/$lab.yaml"
		settle
		mem0=$(memavail)
		t0=$(now)
		"$tmp/netlab" up -q "$tmp/$lab.yaml"
		t1=$(now)
		mem1=$(memavail)
		pss=$(python3 - "$lab" <<'PY'
import json, sys
st = json.load(open('/run/netlab/%s/state.json' % sys.argv[1]))
pids = [n['init']['pid'] for n in st['nodes']] + [st['supervisor']['pid']]
kb = 0
for p in pids:
    for line in open('/proc/%d/smaps_rollup' % p):
        if line.startswith('Pss:'):
            kb += int(line.split()[1])
print('%.2f' % (kb / 1024 / len(st['nodes'])))
PY
)
		t2=$(now)
		"$tmp/netlab" down "$lab"
		t3=$(now)
		kernel=$(awk -v a="$mem0" -v b="$mem1" -v n="$n" 'BEGIN { printf "%.2f", (a - b) / 1024 / n }')
		up=$(secs "$t0" "$t1") down=$(secs "$t2" "$t3")
		if [ "$shape" = chain ]; then
			settle; nf=$("$tmp/netfloor" -n "$n")
			settle; mf=$("$tmp/nodefloor" -n "$n")
			mn="-"
			if [ -n "$mininet" ] && [ "$n" -le 200 ]; then
				settle; m=$(/usr/bin/python3 test/floor/mininet/chain.py "$n")
				mn="$(echo "$m" | field up) / $(echo "$m" | field down)"
			fi
			nodeup=$(echo "$mf" | field up)
			row "chain $n | $up / $down | $(echo "$nf" | field up) / $(echo "$nf" | field down) | $nodeup / $(echo "$mf" | field down) | $(awk -v a="$up" -v b="$nodeup" 'BEGIN { printf "%.2f", a / b }') | $mn | $pss | $kernel"
		else
			row "star $n | $up / $down | - | - | - | - | $pss | $kernel"
		fi
	done
done

table=$(
	echo "| lab | netlab up / down (s) | networking floor (s) | node-model floor (s) | netlab ÷ node floor | Mininet up / down (s) | PSS of node processes (MB/node) | memory in all (MB/node) |"
	echo "|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
)
echo "$table"
if [ -n "$out" ]; then
	{
		echo "# netlab benchmarks"
		echo
		echo "Measured by \`make bench\` (scripts/bench.sh) on $(date -u +%Y-%m-%d), in one run:"
		echo
		echo "- $(nproc) CPUs: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo); $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
		echo "- Linux $(uname -r); $(go version | cut -d' ' -f3); netlab $(git describe --always --dirty 2>/dev/null)"
		[ -n "$mininet" ] && echo "- Mininet $(/usr/bin/python3 -c 'import mininet.net; print(mininet.net.VERSION)') through its Python API (test/floor/mininet/chain.py), chains of up to 200 hosts"
		echo
		echo "$table"
		echo
		cat docs/benchmarks-notes.md 2>/dev/null || true
	} > "$out"
	echo "wrote $out" >&2
fi
