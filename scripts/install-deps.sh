#!/usr/bin/env bash
# Installs the Debian packages netlab needs, only those missing.
#   install-deps.sh demo   what `make demo` uses
#   install-deps.sh test   what `make test` uses
#   install-deps.sh bench  what `make bench` uses
set -euo pipefail
want=(iproute2 iputils-ping gcc libc6-dev) # gcc: netlab links its node side, in C, by cgo
if [ "${1:-demo}" = bench ]; then
	# gnuplot draws the growth picture (docs/benchmarks-growth.svg) from the
	# bench's own numbers; python3 reads the labs' state.
	want+=(gnuplot-nox python3 uidmap passwd)
fi
if [ "${1:-demo}" = test ]; then
	# util-linux (ipcmk), procps (sysctl), graphviz (dot) for the tests;
	# frr and bird2 for the routing labs; python3 (a web server), dnsmasq
	# and openssh-server for the service labs; uidmap (newuidmap) and passwd
	# (useradd) for the rootless tests, which make their own users; iperf3 to
	# measure link rates; tcpdump and tshark to read back what netlab
	# capture writes; gcc, clang (with libFuzzer) and valgrind for the C
	# node side's own checks (make node-check).
	want+=(util-linux procps graphviz frr bird2 python3 dnsmasq openssh-server uidmap passwd curl iperf3 tcpdump tshark
		gcc libc6-dev clang libclang-rt-dev valgrind)
fi
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
# Packages like frr start their daemons on the host when installed; netlab
# runs them inside nodes only. policy-rc.d is Debian's switch to say no.
guard=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	guard=1
fi
trap '[ -n "$guard" ] && rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: installed ${missing[*]}"
