#!/usr/bin/env bash
# Install (as root, only what is missing) what the QEMU rig needs: qemu,
# busybox-static, cpio, and Debian's 6.1 and newest 6.12 kernels with headers.
# Prints how long it took and how much apt downloaded.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

is_installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed'
}

pkgs="qemu-system-x86 busybox-static cpio"
missing=""
for p in $pkgs; do is_installed "$p" || missing="$missing $p"; done
for v in $("$here/kernels.sh"); do
	for p in "linux-image-$v" "linux-headers-$v"; do
		is_installed "$p" || missing="$missing $p"
	done
done
# the 6.1 meta packages keep that kernel current with the archive
for p in linux-image-amd64 linux-headers-amd64; do
	is_installed "$p" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
if [ "$(id -u)" != 0 ]; then
	echo "missing packages:$missing; run 'make vm-deps' as root" >&2
	exit 1
fi
t0=$(date +%s)
echo "  APT     $missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# what apt says it will fetch, before fetching it
npkg=$(apt-get install -s -y --no-install-recommends $missing 2>/dev/null | grep -c '^Inst ' || true)
dl=$(apt-get install -y --no-install-recommends --print-uris $missing 2>/dev/null |
	awk '/^\x27/ {s += $3} END {printf "%.1f", s / 1048576}')
apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
	{ echo "apt-get install failed for:$missing" >&2; exit 1; }
t1=$(date +%s)
echo "  vm-deps: $npkg packages, ${dl} MiB downloaded, $((t1 - t0)) s"
# the new kernels must be there now
for v in $("$here/kernels.sh"); do
	[ -r "/boot/vmlinuz-$v" ] && [ -d "/usr/src/linux-headers-$v" ] ||
		{ echo "kernel $v: /boot/vmlinuz-$v or its headers missing after install" >&2; exit 1; }
done
