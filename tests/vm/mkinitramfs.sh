#!/usr/bin/env bash
# Build the guest initramfs for one kernel version:
#   tests/vm/mkinitramfs.sh KVER OUT.cpio.gz
# It holds busybox-static, build/hldbench, the test binaries the guest runs
# (build/tests/check_*), stress-ng, fio, hld.ko built for KVER when kmod/Kbuild
# exists, the scenarios and fixtures the tests read, the shared libraries ldd
# lists with the dynamic loader, an unprivileged user, and tests/vm/init.sh as
# /init.  The tree the tests expect (build/, tests/fixtures/, scenarios/) is
# rooted at /hld, where /init runs them.
# VM_BENCH_CMD: a shell command /init runs with hld.ko loaded, its output
# between @@HLD BENCH-BEGIN/END (make bench-vm); VM_PEERS: peer tools copied
# in with their libraries where installed (perf bpftrace); VM_SUFFIX: names
# the work directory and image ($build/vm/$kver$VM_SUFFIX), so a bench image
# does not replace the test one.
set -euo pipefail
kver=$1 out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
work=$build/vm/$kver${VM_SUFFIX:-}
root=$work/root

[ -x /bin/busybox ] || { echo "no /bin/busybox: run 'make vm-deps'" >&2; exit 1; }
file /bin/busybox 2>/dev/null | grep -q 'dynamically linked' &&
	{ echo "/bin/busybox is dynamic: install busybox-static" >&2; exit 1; }
[ -x "$build/hldbench" ] || { echo "no $build/hldbench: run 'make'" >&2; exit 1; }

rm -rf "$root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,home/hld,lib,lib64,usr/bin,usr/lib} \
	"$root"/hld/build/tests "$root"/hld/tests "$root"/var/tmp
chmod 1777 "$root/tmp" "$root/var/tmp"

# busybox and its applets
cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
done

# binaries and the libraries they load
bins=("$build/hldbench")
tests=()
: > "$work/tests.bpf"; : > "$work/tests.kmod"
for t in ${VM_TESTS:-}; do
	[ -x "$build/tests/$t" ] && tests+=("$build/tests/$t") && echo "$t" >> "$work/tests.bpf"
done
for t in ${VM_KMOD_TESTS:-}; do
	[ -x "$build/tests/$t" ] && tests+=("$build/tests/$t") && echo "$t" >> "$work/tests.kmod"
done
bins+=("${tests[@]}")
extra=()
for p in stress-ng fio; do
	b=$(command -v $p) || { echo "no $p: run 'make deps'" >&2; exit 1; }
	cp "$b" "$root/usr/bin/$p"
	extra+=("$b")
done
for p in ${VM_PEERS:-}; do
	b=$(command -v $p) || { echo "  VM      no $p here: the guest runs without it" >&2; continue; }
	cp "$b" "$root/usr/bin/$p"
	extra+=("$b")
done
cp "$build/hldbench" "$root/hld/build/hldbench"
cp "$work/tests.bpf" "$work/tests.kmod" "$root/hld/"
# the command /init runs to activate features on the kmod backend while the
# insmod/rmmod cycles hold /dev/hld open, and the test binaries it names
printf '%s\n' "${VM_KMOD_ACTIVATE:-}" > "$root/hld/kmod-activate.cmd"
for w in ${VM_KMOD_ACTIVATE:-}; do
	case $w in
	/hld/build/tests/*)
		t=$build/tests/${w#/hld/build/tests/}
		[ -x "$t" ] || { echo "no $t for VM_KMOD_ACTIVATE: run 'make $t'" >&2; exit 1; }
		tests+=("$t") bins+=("$t") ;;
	esac
done
printf '%s\n' "${VM_BENCH_CMD:-}" > "$root/hld/bench.cmd"
for t in "${tests[@]}"; do cp "$t" "$root/hld/build/tests/"; done
# debug info only makes the image bigger and slower to unpack; .symtab stays
strip --strip-debug "$root/hld/build/hldbench" "$root"/hld/build/tests/* 2>/dev/null || true
ln -sf /hld/build/hldbench "$root/usr/bin/hldbench"

libs=$(for b in "${bins[@]}" "${extra[@]}"; do ldd "$b" 2>/dev/null; done |
	awk '/=> \// {print $3} /^\t\/[^ ]+ \(/ {print $1}' | sort -u)
for l in $libs; do
	mkdir -p "$root$(dirname "$l")"
	cp -L "$l" "$root$l"
done
# the loader at its canonical path too
[ -e "$root/lib64/ld-linux-x86-64.so.2" ] ||
	cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"

# data the tests read
cp -r "$top/tests/fixtures" "$root/hld/tests/"
cp -r "$top/scenarios" "$root/hld/"

# the module, built for this kernel in a copy of kmod/ (two kernels never share
# one object directory, and the source tree stays untouched)
if [ -f "$top/kmod/Kbuild" ]; then
	kdir=/usr/src/linux-headers-$kver
	[ -d "$kdir" ] || { echo "no $kdir: run 'make vm-deps'" >&2; exit 1; }
	kb=$work/kmod
	rm -rf "$kb" && mkdir -p "$kb"
	# sources only: objects built in kmod/ for another kernel stay behind
	(cd "$top/kmod" && find . -type f \( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) \
		! -name '*.mod.c' -print0 | cpio --null -pdm --quiet "$kb")
	# headers the module includes from the top-level include/
	[ -d "$top/include" ] && { rm -rf "$work/include"; cp -r "$top/include" "$work/include"; }
	# a failed or warning build is reported by the guest (kmod-build FAIL),
	# so the rest of the suite still runs and the log says why
	if make -s -C "$kdir" M="$kb" modules > "$work/kmod-build.log" 2>&1; then
		if grep -qE 'warning|error' "$work/kmod-build.log"; then
			echo "warnings" > "$root/hld/kmod-build.status"
		else
			echo "ok" > "$root/hld/kmod-build.status"
		fi
		cp "$kb/hld.ko" "$root/hld/hld.ko"
	else
		echo "failed" > "$root/hld/kmod-build.status"
		echo "  KMOD    build against $kver failed (the guest reports kmod-build FAIL):" >&2
		grep -E 'error|warning' "$work/kmod-build.log" | head -n 5 >&2
	fi
	cp "$work/kmod-build.log" "$root/hld/kmod-build.log"
fi

# users: root and an unprivileged one
cat > "$root/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
hld:x:1000:1000:hld:/home/hld:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat > "$root/etc/group" <<'GR'
root:x:0:
hld:x:1000:
nogroup:x:65534:
GR
chown 1000:1000 "$root/home/hld" 2>/dev/null || true
echo "$kver" > "$root/etc/hld-kver"

install -m 0755 "$top/tests/vm/init.sh" "$root/init"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
echo "  INITRD  $out ($(du -h "$out" | cut -f1), kernel $kver$([ -f "$root/hld/hld.ko" ] && echo ", hld.ko" || echo ", no hld.ko"))"
