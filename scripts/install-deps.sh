#!/usr/bin/env bash
# Installs the Debian packages netlab needs, only those missing.
#   install-deps.sh demo   what `make demo` uses
#   install-deps.sh test   what `make test` uses
set -euo pipefail
want=(iproute2 iputils-ping)
if [ "${1:-demo}" = test ]; then
	want+=(util-linux procps graphviz)
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
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
echo "install-deps: installed ${missing[*]}"
