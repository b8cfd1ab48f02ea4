#!/usr/bin/env bash
# make bench: bring chains (and a star LAN) of N nodes up and down with
# netlab, next to the floor programs (test/floor) and, where installed,
# Mininet, all in this one run. Prints a Markdown table; with -o FILE also
# writes it, with this machine's description, to FILE.
#   bench.sh [-o docs/benchmarks.md] [--no-huge] [N ...]
# N defaults to 10 100 200 1000 4000 10000: chains of N nodes, a star LAN
# at 100 and 1000, and a square grid at each square N (100, and 100x100
# at 10000: 19,800 links). --no-huge leaves out N over 1000 (a 10,000-node
# lab takes minutes, and loads the machine). netlab runs under ulimit -n
# 4096 (what it holds does not grow with the lab); the floors, which hold
# a descriptor per namespace, under the hard limit. The ratio
# column is netlab's up over the kernel's own cost at the same N, measured
# just after: the C node floor (cnodefloor: nodes cloned without exec,
# full namespace set) plus the networking floor (netfloor, the same chain
# or grid). With -o, the growth of up time with N (netlab, both floors and
# their sum, Mininet) is drawn by gnuplot next to FILE
# (benchmarks-growth.svg) from this run's numbers.
# BASELINE=REV also times a 1000-node chain with netlab built from REV, in
# the same run, for a before/after of a change. Rootless rows (200 and
# 1000 nodes, and the exec round trip) run as the user netlab-bench, made
# here with a subordinate range if missing (removed at the end). A class
# row grades 25 labs of five users (netlab-class1..5, made and removed
# here) from root with one netlab check --all-users.
set -euo pipefail
cd "$(dirname "$0")/.."
out= huge=1
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; shift 2 ;;
	--no-huge) huge=; shift ;;
	*) break ;;
	esac
done
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10 100 200 1000 4000 10000)
if [ -z "$huge" ]; then
	small=()
	for n in "${sizes[@]}"; do [ "$n" -le 1000 ] && small+=("$n"); done
	sizes=("${small[@]}")
fi
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/" ./cmd/netlab
CGO_ENABLED=0 go build -o "$tmp/netfloor" ./test/floor/netfloor
CGO_ENABLED=0 go build -o "$tmp/nodefloor" ./test/floor/nodefloor
gcc -O2 -Wall -Wextra -Werror -o "$tmp/cnodefloor" test/floor/cnodefloor/main.c
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
	# Never idle: measure anyway (set -e would end the bench on the
	# loop's last failed test).
	return 0
}

rows=() extra=()
row() { rows+=("| $* |"); printf '| %s |\n' "$*" >&2; }

# cpu_of LAB: the CPU time, in seconds, the lab's supervisor and nodes
# have used so far (their schedstat), and the lab's PSS and tasks per node.
lab_cpu_mem() {
	python3 - "$1" <<'PY'
import json, os, sys
st = json.load(open('/run/netlab/%s/state.json' % sys.argv[1]))
n = len(st['nodes'])
pids = [x['init']['pid'] for x in st['nodes'] if x.get('init')] + [st['supervisor']['pid']]
kb = ns = 0
for p in pids:
    for line in open('/proc/%d/smaps_rollup' % p):
        if line.startswith('Pss:'):
            kb += int(line.split()[1])
    ns += int(open('/proc/%d/schedstat' % p).read().split()[0])
tasks = None
for d in st.get('cgroup') or []:
    for f in ('tasks', 'cgroup.threads'):
        path = os.path.join(d, f)
        if os.path.exists(path):
            tasks = sum(1 for _ in open(path))
            break
    if tasks is not None:
        break
print('%.0f %s %.1f' % (kb / n, '-' if tasks is None else '%.2f' % (tasks / n), ns / 1e9))
PY
}
# timed FILE CMD...: runs CMD, writing its user+sys CPU seconds to FILE.
timed() { local f=$1; shift; /usr/bin/time -o "$f" -f '%U %S' "$@"; }
cpu() { awk '{ printf "%.1f", $1 + $2 }' "$1"; }
# floor CMD...: a floor program, which holds a descriptor per namespace,
# with as many open files as it may have.
floor() { (ulimit -n "$(ulimit -Hn)" && timed "$tmp/floor.cpu" "$@"); }
# leftovers LAB: what a lab left after down, if anything.
leftovers() {
	local left=
	# Counted, not grep -q: a reader that stops early is a SIGPIPE, which
	# pipefail takes for a failure.
	[ "$(ls /run/netns 2>/dev/null | grep -c "^$1-")" != 0 ] && left+=" netns names"
	[ -e "/run/netlab/$1" ] && left+=" state"
	[ "$(ls -d /sys/fs/cgroup/*/netlab/"$1" /sys/fs/cgroup/netlab/"$1" 2>/dev/null | grep -c .)" != 0 ] && left+=" cgroups"
	pgrep -f "^netlab __netlab_supervisor $1( |$)" >/dev/null && left+=" processes"
	echo "$left"
}

growth=() # shape n netlab netfloor cnodefloor mininet, for the picture
for n in "${sizes[@]}"; do
	side=$(awk -v n="$n" 'BEGIN { s = int(sqrt(n) + 0.5); print (s * s == n) ? s : 0 }')
	for shape in chain star grid; do
		[ "$shape" = star ] && [ "$n" != 100 ] && [ "$n" != 1000 ] && continue
		[ "$shape" = grid ] && [ "$side" = 0 -o "$n" -lt 100 ] && continue
		lab="bench-$shape$n"
		scripts/gen-topology.sh "$shape" "$n" "$lab" > "$tmp/$lab.yaml"
		settle
		mem0=$(memavail)
		t0=$(now)
		(ulimit -n 4096 && timed "$tmp/up.cpu" "$tmp/netlab" up -q "$tmp/$lab.yaml")
		t1=$(now)
		mem1=$(memavail)
		read -r pss threads labcpu < <(lab_cpu_mem "$lab")
		# A node's restart in the biggest chain: its processes killed and
		# started again, its links kept.
		if [ "$shape" = chain ] && [ "$n" = 1000 ]; then
			r0=$(now)
			"$tmp/netlab" restart "$lab/r500"
			restartline="- restart of one node (r500) of the 1000-node chain, links kept: $(secs "$r0" "$(now)") s"
		fi
		# What users see of a big lab: status, exec, a ping-all from one
		# node (bounded: every node to every other is n^2 pings).
		if [ "$n" -gt 1000 ]; then
			first=$(sed -n 's/^  \([a-z0-9]*\):$/\1/p;T;q' "$tmp/$lab.yaml")
			s0=$(now); timed "$tmp/brief.cpu" "$tmp/netlab" status --brief "$lab" > /dev/null; s1=$(now)
			timed "$tmp/json.cpu" "$tmp/netlab" status "$lab" --json > /dev/null; s2=$(now)
			e0=$(now); for i in 1 2 3 4 5 6 7 8 9 10; do "$tmp/netlab" exec "$lab/$first" -- true; done; e1=$(now)
			# Stopped after 30 s: a ping is an exec in the node, and a
			# whole ping-all from one node of 10,000 takes many minutes.
			p0=$(now); pings=$(timeout -s INT 30 "$tmp/netlab" check --ping-all --from "$first" --wait 0 "$lab" | grep -c '^[PF][AI][SI][SL]  .*([0-9.]*[mµ]*s)$' || true); p1=$(now)
			extra+=("- $shape $n, up: status --brief $(secs "$s0" "$s1") s (CPU $(cpu "$tmp/brief.cpu") s), status $lab --json $(secs "$s1" "$s2") s (CPU $(cpu "$tmp/json.cpu") s), exec round trip $(awk -v a="$e0" -v b="$e1" 'BEGIN { printf "%.0f", (b - a) * 100 }') ms (mean of 10), check --ping-all --from $first: $pings ping results streamed in $(secs "$p0" "$p1") s (stopped at 30 s)")
		fi
		t2=$(now)
		"$tmp/netlab" down "$lab"
		t3=$(now)
		left=$(leftovers "$lab")
		[ -n "$left" ] && extra+=("- $shape $n: down left$left")
		kernel=$(awk -v a="$mem0" -v b="$mem1" -v n="$n" 'BEGIN { printf "%.2f", (a - b) / 1024 / n }')
		up=$(secs "$t0" "$t1") down=$(secs "$t2" "$t3")
		ourcpu="$(cpu "$tmp/up.cpu") + $labcpu"
		if [ "$shape" = star ]; then
			row "star $n | $up / $down | $ourcpu | - | - | - | - | - | - | - | $threads | $pss | $kernel"
			continue
		fi
		# The floors at the same N, after netlab: what the kernel needs.
		settle
		if [ "$shape" = grid ]; then nf=$(floor "$tmp/netfloor" -grid -n "$n"); else nf=$(floor "$tmp/netfloor" -n "$n"); fi
		nfcpu=$(cpu "$tmp/floor.cpu")
		settle; cf=$(floor "$tmp/cnodefloor" -n "$n"); cfcpu=$(cpu "$tmp/floor.cpu")
		gf="-"
		# A Go process per node: 0.7 MB and an exec each; left out where
		# it would take minutes.
		if [ "$shape" = chain ] && [ "$n" -le 1000 ]; then settle; gf=$(floor "$tmp/nodefloor" -n "$n" | field up); fi
		mn="-" mnx="-" mnup=
		if [ -n "$mininet" ] && [ "$shape" = chain ] && [ "$n" -le 200 ]; then
			settle; m=$(/usr/bin/python3 test/floor/mininet/chain.py "$n")
			mnup=$(echo "$m" | field up)
			mn="$mnup / $(echo "$m" | field down)"
			mnx=$(awk -v a="$mnup" -v b="$up" 'BEGIN { printf "%.1f", a / b }')
		fi
		netup=$(echo "$nf" | field up) cup=$(echo "$cf" | field up)
		growth+=("$shape $n $up $netup $cup ${mnup:--}")
		row "$shape $n | $up / $down | $ourcpu | $netup | $cup | $nfcpu + $cfcpu | $gf | $(awk -v a="$up" -v b="$netup" -v c="$cup" 'BEGIN { printf "%.2f", a / (b + c) }') | $mn | $mnx | $threads | $pss | $kernel"
	done
done

# Growth with N, from this run: netlab's up over the smallest chain of
# 1000 or more against the floors' own growth over the same sizes.
growthline=$(printf '%s\n' "${growth[@]}" | awk '$1 == "chain" && $2 >= 1000 { if (!a) { a = $2; u = $3; f = $4 + $5 } b = $2; v = $3; g = $4 + $5 }
	END { if (a && b > a) printf "- growth, chain %d to %d nodes (x%.0f): netlab up x%.1f, C node + networking floors x%.1f: %.2f of the floors'"'"' own growth", a, b, b / a, v / u, g / f, (v / u) / (g / f) }')
[ -n "$growthline" ] && extra+=("$growthline")

# The exec round trip: median of 100 `netlab exec r1 -- true`, next to
# iproute2's own way into the same node, `ip netns exec NETNS true`.
exec_ms() { # command prefix... (netlab, or ip netns exec NETNS)
	python3 - "$@" <<'PY'
import subprocess, sys, time
ts = []
for _ in range(100):
    s = time.perf_counter()
    cmd = sys.argv[1:] + (["true"] if "netns" in sys.argv else ["exec", "bench-exec/r1", "--", "true"])
    subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)
    ts.append(time.perf_counter() - s)
ts.sort()
print("%.1f" % (ts[len(ts) // 2] * 1000))
PY
}
[ -n "${restartline:-}" ] && extra+=("$restartline")
scripts/gen-topology.sh chain 3 bench-exec > "$tmp/bench-exec.yaml"
settle
"$tmp/netlab" up -q "$tmp/bench-exec.yaml"
rootexec=$(exec_ms "$tmp/netlab")
ipexec=$(exec_ms ip netns exec bench-exec-r1)
"$tmp/netlab" down bench-exec
extra+=("- exec round trip (median of 100 from a shell): \`netlab exec r1 -- true\` ${rootexec} ms, \`ip netns exec bench-exec-r1 true\` ${ipexec} ms: $(awk -v a="$rootexec" -v b="$ipexec" 'BEGIN { printf "%.2f", a / b }')x")

# netlab events: 20000 address events (10000 addresses added, then
# deleted, by ip -batch in one node), and how many of them per second the
# stream printed, from its first to its last.
scripts/gen-topology.sh chain 2 bench-events > "$tmp/bench-events.yaml"
settle
"$tmp/netlab" up -q "$tmp/bench-events.yaml"
"$tmp/netlab" events bench-events --json > "$tmp/events.json" &
evpid=$!
sleep 1
for op in add del; do
	for ((i = 0; i < 10000; i++)); do echo "address $op 10.200.$((i / 250)).$((i % 250 + 1))/32 dev lo"; done
done > "$tmp/batch"
"$tmp/netlab" exec bench-events/r1 -- ip -batch - < "$tmp/batch"
evrate=$(python3 - "$tmp/events.json" <<'PY'
import json, sys, time
from datetime import datetime
deadline = time.time() + 60
while True:
    evs = [json.loads(l) for l in open(sys.argv[1]) if '"address-' in l]
    if len(evs) >= 20000 or time.time() > deadline:
        break
    time.sleep(0.5)
def stamp(s):
    whole, _, frac = s.rstrip("Z").partition(".")
    return datetime.fromisoformat(whole + "+00:00").timestamp() + float("0." + (frac or "0"))
ts = [stamp(e["time"]) for e in evs]
span = max(ts) - min(ts) if len(ts) > 1 else 0
print("%d of 20000, %.0f/s" % (len(evs), len(evs) / span if span > 0 else 0))
PY
)
kill -INT "$evpid"
wait "$evpid" || true
"$tmp/netlab" down bench-events
extra+=("- netlab events: address events printed as JSON lines, $evrate")

# Rootless: the same chains as an ordinary user, next to root's in this run.
if command -v newuidmap >/dev/null && command -v useradd >/dev/null; then
	made=
	if ! id netlab-bench >/dev/null 2>&1; then
		useradd --no-create-home --shell /bin/sh netlab-bench
		made=1
	fi
	grep -q '^netlab-bench:' /etc/subuid || { echo "netlab-bench:3000000000:65536" >> /etc/subuid; made=1; }
	grep -q '^netlab-bench:' /etc/subgid || echo "netlab-bench:3000000000:65536" >> /etc/subgid
	bu=$(id -u netlab-bench)
	rt=$(mktemp -d) && chown netlab-bench "$rt" && chmod 700 "$rt" && chmod 755 "$tmp"
	as_user=(setpriv --reuid "$bu" --regid "$(id -g netlab-bench)" --clear-groups env "XDG_RUNTIME_DIR=$rt" HOME=/tmp)
	for n in 200 1000; do
		lab="bench-rl$n"
		scripts/gen-topology.sh chain "$n" "$lab" > "$tmp/$lab.yaml"
		chmod 644 "$tmp/$lab.yaml"
		settle; t0=$(now); "$tmp/netlab" up -q "$tmp/$lab.yaml"; t1=$(now); "$tmp/netlab" down "$lab"
		settle; t2=$(now); "${as_user[@]}" "$tmp/netlab" up -q "$tmp/$lab.yaml" 2>/dev/null; t3=$(now); "${as_user[@]}" "$tmp/netlab" down "$lab"
		r=$(secs "$t0" "$t1") u=$(secs "$t2" "$t3")
		extra+=("- rootless chain $n: up $u s, root $r s in the same run: $(awk -v a="$u" -v b="$r" 'BEGIN { printf "%.2f", a / b }')x")
	done
	chmod 644 "$tmp/bench-exec.yaml"
	# Both through setpriv, which costs an exec of its own.
	"$tmp/netlab" up -q "$tmp/bench-exec.yaml"
	viaroot=$(exec_ms setpriv --reuid 0 --regid 0 --clear-groups env HOME=/tmp "$tmp/netlab")
	"$tmp/netlab" down bench-exec
	"${as_user[@]}" "$tmp/netlab" up -q "$tmp/bench-exec.yaml" 2>/dev/null
	userexec=$(exec_ms "${as_user[@]}" "$tmp/netlab")
	"${as_user[@]}" "$tmp/netlab" down bench-exec
	extra+=("- exec round trip through setpriv: rootless ${userexec} ms, root ${viaroot} ms: $(awk -v a="$userexec" -v b="$viaroot" 'BEGIN { printf "%.2f", a / b }')x")
	rm -rf "$rt"
	if [ -n "$made" ]; then userdel netlab-bench; sed -i '/^netlab-bench:/d' /etc/subuid /etc/subgid; fi
fi

# A class graded from root: 5 ordinary users (made here, removed at the end)
# with 5 triangle labs each, the same names for every user, the first of
# each missing a route; one netlab check --all-users by the teacher's 10
# checks (the triangle's nine and a route lookup), failing ones capped by
# --wait 2s. Root's own labs stay out (a state directory of its own).
if command -v newuidmap >/dev/null && command -v useradd >/dev/null; then
	chmod 755 "$tmp" # the users run netlab from it
	exercise="$tmp/exercise.yaml"
	sed 's/^name: triangle/name: ex/' labs/triangle.yaml > "$exercise"
	echo '  - route: {node: r3, to: 10.255.0.1, via: 10.0.13.1}' >> "$exercise"
	chmod 644 "$exercise"
	class_users=()
	for i in 1 2 3 4 5; do
		u=netlab-class$i
		id "$u" >/dev/null 2>&1 && { echo "bench: user $u exists already" >&2; exit 1; }
		useradd --no-create-home --shell /bin/sh "$u"
		class_users+=("$u")
		sed -i "/^$u:/d" /etc/subuid /etc/subgid
		echo "$u:$((3000000000 + i * 65536)):65536" | tee -a /etc/subuid >> /etc/subgid
		uid=$(id -u "$u")
		mkdir -p /run/user && install -d -o "$u" -g "$(id -g "$u")" -m 700 "/run/user/$uid"
	done
	class_cleanup() {
		for u in "${class_users[@]}"; do
			uid=$(id -u "$u")
			for j in 1 2 3 4 5; do setpriv --reuid "$uid" --regid "$(id -g "$u")" --clear-groups env "XDG_RUNTIME_DIR=/run/user/$uid" HOME=/tmp "$tmp/netlab" down -q "ex$j" 2>/dev/null || true; done
			rm -rf "/run/user/$uid"
			userdel "$u"
			sed -i "/^$u:/d" /etc/subuid /etc/subgid
		done
	}
	trap 'class_cleanup; rm -rf "$tmp"' EXIT
	for u in "${class_users[@]}"; do
		uid=$(id -u "$u")
		for j in 1 2 3 4 5; do
			f="$tmp/$u-ex$j.yaml"
			sed "s/^name: ex/name: ex$j/" "$exercise" > "$f"
			[ "$j" = 1 ] && sed -i '/{to: 10.255.0.3\/32, via: 10.0.13.3}/d' "$f"
			chmod 644 "$f"
			setpriv --reuid "$uid" --regid "$(id -g "$u")" --clear-groups env "XDG_RUNTIME_DIR=/run/user/$uid" HOME=/tmp "$tmp/netlab" up -q "$f" 2>/dev/null
		done
	done
	settle
	t0=$(now)
	code=0
	NETLAB_STATE_DIR="$tmp/root-state" "$tmp/netlab" check --all-users --checks "$exercise" --wait 2s --junit "$tmp/grades.xml" --json > "$tmp/grades.json" || code=$?
	t1=$(now)
	read -r labs failedlabs checks failed < <(python3 - "$tmp/grades.json" <<'PY'
import json, sys
labs = [l for l in json.load(open(sys.argv[1]))['labs'] if l['owner'].startswith('netlab-class')]
print(len(labs), sum(1 for l in labs if l['failed']), sum(l['passed'] + l['failed'] for l in labs), sum(l['failed'] for l in labs))
PY
)
	extra+=("- a class graded from root: \`netlab check --all-users --checks exercise.yaml --wait 2s --junit\` of $labs labs of 10 checks across 5 users, $failedlabs labs failing ($failed of $checks checks, exit $code): $(secs "$t0" "$t1") s")
	class_cleanup
	class_users=()
	trap 'rm -rf "$tmp"' EXIT
fi

# The cost of impairments: a 201-node chain (200 links), plain and with a
# rate and a loss (tbf and a BPF program on this kernel) on every link.
scripts/gen-topology.sh chain 201 bench-imp > "$tmp/bench-imp.yaml"
sed 's/^  - \[\(.*\), \(.*\)\]$/  - {endpoints: [\1, \2], rate: 100mbit, loss: 1%}/' "$tmp/bench-imp.yaml" > "$tmp/bench-imp-on.yaml"
settle; t0=$(now); "$tmp/netlab" up -q "$tmp/bench-imp.yaml"; t1=$(now); "$tmp/netlab" down bench-imp
settle; t2=$(now); "$tmp/netlab" up -q "$tmp/bench-imp-on.yaml"; t3=$(now); "$tmp/netlab" down bench-imp
p=$(secs "$t0" "$t1") i=$(secs "$t2" "$t3")
extra+=("- impairments on 200 links (rate 100mbit and loss 1% each): up $i s, $p s without, same run: +$(awk -v a="$i" -v b="$p" 'BEGIN { printf "%.0f", (a - b) * 1000 / 200 }') ms per link")

# containerlab's frr01 as it is (topology/clab/testdata): from the start of
# up to every PC reaching every other. OSPF's wait timer (40 s on a
# broadcast link before a DR is elected) is most of it, as under
# containerlab.
if [ -x /usr/lib/frr/zebra ]; then
	cp -r topology/clab/testdata/containerlab/lab-examples/frr01 "$tmp/frr01"
	sed -i 's/^name: frr01$/name: bench-frr01/' "$tmp/frr01/frr01.clab.yml"
	settle; t0=$(now); "$tmp/netlab" up -q "$tmp/frr01/frr01.clab.yml" 2>/dev/null; t1=$(now)
	converged=yes
	for p in PC1:192.168.12.2 PC1:192.168.13.2 PC2:192.168.11.2 PC2:192.168.13.2 PC3:192.168.11.2 PC3:192.168.12.2; do
		until "$tmp/netlab" exec "bench-frr01/${p%%:*}" -- ping -c1 -W1 "${p#*:}" >/dev/null 2>&1; do
			if awk -v a="$t0" -v b="$(now)" 'BEGIN { exit !(b - a > 180) }'; then converged=; break 2; fi
			sleep 0.1
		done
	done
	t2=$(now)
	"$tmp/netlab" down bench-frr01
	if [ -n "$converged" ]; then
		extra+=("- containerlab's frr01 (3 FRR routers, OSPF, 3 PCs), read as it is: up $(secs "$t0" "$t1") s; every PC reaches every other $(secs "$t0" "$t2") s after up began (OSPF's 40 s wait timer is most of it)")
	else
		extra+=("- containerlab's frr01: the PCs did not all reach each other within 180 s")
	fi
fi

# A 1000-node chain split over two hosts emulated here, against one host.
settle
extra+=("$(scripts/bench-hosts.sh "$tmp/netlab" 1000)")

# Before/after: a 1000-node chain with netlab built from BASELINE.
if [ -n "${BASELINE:-}" ]; then
	wt="$tmp/baseline"
	git worktree add -q --detach "$wt" "$BASELINE"
	# Before the node side was C, netlab was built static, with netlab-init.
	(cd "$wt" && if [ -d cmd/netlab-init ]; then CGO_ENABLED=0 go build -o "$tmp/base/" ./cmd/netlab ./cmd/netlab-init; else go build -o "$tmp/base/" ./cmd/netlab; fi)
	git worktree remove --force "$wt"
	scripts/gen-topology.sh chain 1000 bench-base > "$tmp/bench-base.yaml"
	settle; t0=$(now); "$tmp/base/netlab" up -q "$tmp/bench-base.yaml"; t1=$(now); "$tmp/base/netlab" down bench-base
	settle; t2=$(now); "$tmp/netlab" up -q "$tmp/bench-base.yaml"; t3=$(now); "$tmp/netlab" down bench-base
	b=$(secs "$t0" "$t1") a=$(secs "$t2" "$t3")
	extra+=("- chain 1000 up: $a s now, $b s at $BASELINE ($(git log -1 --format=%s "$BASELINE" | cut -c1-60)...), same run: $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')x")
fi
printf '%s\n' "${extra[@]}" >&2

table=$(
	echo "| lab | netlab up / down (s) | CPU: netlab + lab's processes (s) | networking floor (s) | C node floor (s) | floors' CPU: networking + C node (s) | Go node floor (s) | netlab ÷ (C node + networking floors) | Mininet up / down (s) | Mininet ÷ netlab | threads per node | PSS per node (KB) | memory in all (MB/node) |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
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
		printf '%s\n' "${extra[@]}"
		[ ${#growth[@]} -gt 0 ] && printf '\n![up time against N](%s)\n' "$(basename "${out%.md}")-growth.svg"
		echo
		cat docs/benchmarks-notes.md 2>/dev/null || true
	} > "$out"
	echo "wrote $out" >&2
	# The growth picture, from this run's numbers: up time against N,
	# both axes logarithmic.
	if [ ${#growth[@]} -gt 0 ]; then
		# A file per series: gnuplot breaks a line where a row is skipped.
		printf '%s\n' "${growth[@]}" | awk '$1 == "chain"' > "$tmp/chain.dat"
		printf '%s\n' "${growth[@]}" | awk '$1 == "grid"' > "$tmp/grid.dat"
		printf '%s\n' "${growth[@]}" | awk '$1 == "chain" && $6 != "-"' > "$tmp/mininet.dat"
		plots=("\"$tmp/chain.dat\" using 2:3 with linespoints lw 2 title \"netlab, chain\""
			"\"$tmp/chain.dat\" using 2:(\$4 + \$5) with linespoints dt 2 title \"C node + networking floors, chain\""
			"\"$tmp/chain.dat\" using 2:5 with linespoints dt 3 title \"C node floor\""
			"\"$tmp/chain.dat\" using 2:4 with linespoints dt 3 title \"networking floor, chain\"")
		[ -s "$tmp/mininet.dat" ] && plots+=("\"$tmp/mininet.dat\" using 2:6 with linespoints title \"Mininet, chain\"")
		[ -s "$tmp/grid.dat" ] && plots+=("\"$tmp/grid.dat\" using 2:3 with points pt 7 ps 1.5 title \"netlab, grid\""
			"\"$tmp/grid.dat\" using 2:(\$4 + \$5) with points pt 6 ps 1.5 title \"C node + networking floors, grid\"")
		svg="${out%.md}-growth.svg"
		gnuplot <<GP
set terminal svg size 800,520 dynamic font "sans,12"
set output "$svg"
set title "Up time against N: netlab, its floors, Mininet ($(nproc) CPUs, Linux $(uname -r), $(date -u +%Y-%m-%d))"
set logscale xy
set xlabel "nodes"
set ylabel "seconds"
set key top left
set grid
plot $(IFS=,; echo "${plots[*]}")
GP
		echo "wrote $svg" >&2
	fi
fi
