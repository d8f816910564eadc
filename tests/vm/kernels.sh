#!/usr/bin/env bash
# Print the guest kernel versions the VM rig uses, one per line:
#   6.1:  the release linux-image-amd64 depends on (e.g. 6.1.0-41-amd64);
#   6.12: the newest linux-image-6.12.*+deb12-amd64 that has matching headers.
# Installed packages win over the archive, so a machine that has its kernels
# keeps using them.  With --installed, print only versions whose image and
# headers are both installed.
set -euo pipefail
installed_only=0
[ "${1-}" = --installed ] && installed_only=1

is_installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed'
}

v61() {
	local dep
	dep=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\(6\.1\.[^ ]*-amd64\)$/\1/p' | head -n1)
	echo "$dep"
}

v612() {
	local v inst=""
	# an installed one first
	inst=$(dpkg-query -W -f='${Package} ${Status}\n' 'linux-image-6.12.*+deb12-amd64' 2>/dev/null |
		awk '/install ok installed/ {sub("linux-image-", "", $1); print $1}' | sort -V | tail -n1)
	if [ -n "$inst" ] && is_installed "linux-headers-$inst"; then echo "$inst"; return; fi
	comm -12 \
		<(apt-cache search --names-only '^linux-image-6\.12\..*\+deb12-amd64$' |
			sed -n 's/^linux-image-\([^ ]*\) .*/\1/p' | sort) \
		<(apt-cache search --names-only '^linux-headers-6\.12\..*\+deb12-amd64$' |
			sed -n 's/^linux-headers-\([^ ]*\) .*/\1/p' | sort) |
		sort -V | tail -n1
}

for v in "$(v61)" "$(v612)"; do
	[ -n "$v" ] || continue
	if [ $installed_only = 1 ]; then
		is_installed "linux-image-$v" && is_installed "linux-headers-$v" && [ -r "/boot/vmlinuz-$v" ] || continue
	fi
	echo "$v"
done
