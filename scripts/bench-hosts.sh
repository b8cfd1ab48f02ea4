#!/usr/bin/env bash
# A chain of N routers (default 1000) split by placement: auto over two
# hosts emulated on this machine, next to the same chain on one host, in
# the same run; prints one line of Markdown. Each emulated host is a
# network namespace, the two joined by an underlay veth pair, running its
# own netlab (nsenter --net) with a state directory of its own; both
# parts are brought up at once, as two machines would. Root only.
#   bench-hosts.sh NETLAB [N]
set -euo pipefail
cd "$(dirname "$0")/.."
netlab=$1 n=${2:-1000}
tmp=$(mktemp -d)
id=bhosts$$
in_host() { # host, command...: netlab's environment of the host
	local h=$1
	shift
	NETLAB_STATE_DIR="$tmp/$h" nsenter --net="/run/netns/$id-$h" "$@"
}
cleanup() {
	for h in a b; do
		in_host "$h" "$netlab" down -q bench-hosts 2>/dev/null || true
		ip netns delete "$id-$h" 2>/dev/null || true
	done
	"$netlab" down -q bench-one 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

ip netns add "$id-a"
ip netns add "$id-b"
ip link add ul0 netns "$id-a" type veth peer name ul0 netns "$id-b"
ip -n "$id-a" addr add 198.51.100.1/24 dev ul0
ip -n "$id-b" addr add 198.51.100.2/24 dev ul0
for h in a b; do ip -n "$id-$h" link set ul0 up; ip -n "$id-$h" link set lo up; done

scripts/gen-topology.sh chain "$n" bench-one > "$tmp/one.yaml"
{
	echo "name: bench-hosts"
	echo "placement: auto"
	echo "hosts: {a: {address: 198.51.100.1}, b: {address: 198.51.100.2}}"
	scripts/gen-topology.sh chain "$n" bench-hosts | tail -n +2
} > "$tmp/hosts.yaml"

t0=$(now)
"$netlab" up -q "$tmp/one.yaml"
t1=$(now)
"$netlab" down -q bench-one
t2=$(now)

t3=$(now)
in_host a "$netlab" up -q "$tmp/hosts.yaml" &
pa=$!
in_host b "$netlab" up -q "$tmp/hosts.yaml" &
pb=$!
wait "$pa" "$pb"
t4=$(now)
# The two routers either side of the cut reach each other.
half=$(( (n + 1) / 2 ))
in_host a "$netlab" exec "r$half" -- ping -c1 -W2 "r$((half + 1))-eth1" >/dev/null
t5=$(now)
in_host a "$netlab" down -q bench-hosts & pa=$!
in_host b "$netlab" down -q bench-hosts & pb=$!
wait "$pa" "$pb"
t6=$(now)
one=$(secs "$t0" "$t1") two=$(secs "$t3" "$t4")
echo "- chain $n on two emulated hosts (placement: auto, $half nodes each, one VXLAN link; both parts at once): up $two s / down $(secs "$t5" "$t6") s; on one host: up $one s / down $(secs "$t1" "$t2") s, same run: $(awk -v a="$two" -v b="$one" 'BEGIN { printf "%.2f", a / b }')x"
