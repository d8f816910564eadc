#!/usr/bin/env bash
# Boot each guest kernel in QEMU (TCG) with its initramfs, read the results
# back from the serial console and print one table:
#   tests/vm/run.sh KVER...
# Expects build/vm/<kver>.cpio.gz (tests/vm/mkinitramfs.sh).  Fails when a step
# fails, when the guest does not finish within VM_TIMEOUT seconds, and on any
# WARNING, BUG, Oops, soft lockup or hung task line in the guest's kernel log
# (printed).  The whole console is kept in build/vm/<kver>/console.log.
# VM_SUFFIX: boot build/vm/<kver>$VM_SUFFIX.cpio.gz instead (a bench image);
# what the guest printed between @@HLD BENCH-BEGIN and -END is printed first.
# VM_ACCEL: QEMU's -accel (default tcg,thread=single; tcg is multi-threaded).
# VM_PARALLEL: boot the guests at the same time (default 1 unless VM_SUFFIX
# is set: a bench boots alone). Single-threaded TCG keeps a guest on one host
# CPU, so two guests on this 2-CPU machine take the time of one.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
timeout_s=${VM_TIMEOUT:-900}
qemu=${QEMU:-qemu-system-x86_64}
# Single-threaded TCG: both vCPUs in one host thread, taking turns.  With one
# host thread per vCPU (MTTCG, QEMU 7.2) a guest that re-patches its kernel
# text while the other vCPU runs through it executes stale code: the insmod/
# rmmod cycles with every feature active, under stress-ng, Oopsed after 25 to
# 85 unloads on both kernels (an int3 at a call site already patched, a call
# to address 0), and never in 200 cycles single-threaded (docs/kmod.md).
accel=${VM_ACCEL:-tcg,thread=single}
# a kernel log line that fails the run
bad_re='WARNING:|BUG:|BUG |Oops|soft lockup|hung task|blocked for more than [0-9]+ seconds|Kernel panic|general protection fault|UBSAN:|KASAN:|kernel BUG|refcount_t:|list_(add|del) corruption'

# Boot guest $1 to the end; its console in $2, "start end qemu-exit" in $2.boot.
boot() {
	local t0 qrc
	t0=$(date +%s.%N)
	timeout -k 10 "$timeout_s" "$qemu" -accel "$accel" -smp 2 -m 2048 \
		-kernel "/boot/vmlinuz-$1" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 quiet log_buf_len=8M hung_task_timeout_secs=60 hld.cycles=${VM_CYCLES:-200}" \
		-nographic -no-reboot < /dev/null > "$2" 2>&1
	qrc=$?
	echo "$t0 $(date +%s.%N) $qrc" > "$2.boot"
}

parallel=${VM_PARALLEL:-$([ -n "${VM_SUFFIX:-}" ] && echo 0 || echo 1)}
rc=0
table=()
booted=()
for kver in "$@"; do
	initrd=$build/vm/$kver${VM_SUFFIX:-}.cpio.gz
	log=$build/vm/$kver${VM_SUFFIX:-}/console.log
	mkdir -p "$(dirname "$log")"
	rm -f "$log.boot"
	if [ ! -r "/boot/vmlinuz-$kver" ] || [ ! -r "$initrd" ]; then
		echo "vm $kver: /boot/vmlinuz-$kver or $initrd missing (make vm-deps vm-initramfs)" >&2
		rc=1; continue
	fi
	echo "  QEMU    $kver ($accel, timeout ${timeout_s}s, console in ${log#$top/})"
	if [ "$parallel" = 1 ]; then
		boot "$kver" "$log" &
	else
		boot "$kver" "$log"
	fi
	booted+=("$kver")
done
wait

for kver in "${booted[@]}"; do
	log=$build/vm/$kver${VM_SUFFIX:-}/console.log
	read -r t0 t1 qrc < "$log.boot"
	# the markers can follow terminal escapes on the same line
	tr -d '\r' < "$log" | sed -n 's/.*\(@@HLD .*\)/\1/p' > "$log.markers"
	init_up=$(awk '$2 == "INIT" {print $3; exit}' "$log.markers")
	done_up=$(awk '$2 == "DONE" {print $3; exit}' "$log.markers")
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", b - a}')
	fail=0
	if [ -z "$done_up" ]; then
		echo "vm $kver: the guest did not finish (qemu exit $qrc, ${wall}s); last lines:" >&2
		tail -n 30 "$log" >&2
		fail=1
	fi
	if grep -q '@@HLD BENCH-BEGIN' "$log"; then
		echo "== $kver: benchmarks in the guest (TCG: times are emulated, compare rows, not machines)"
		tr -d '\r' < "$log" | sed -n '/@@HLD BENCH-BEGIN/,/@@HLD BENCH-END/p' |
			sed -n 's/^| //p'
	fi
	boot=${init_up:-?}
	suite=$( [ -n "$init_up" ] && [ -n "$done_up" ] && awk -v a="$init_up" -v b="$done_up" 'BEGIN {printf "%.0f", b - a}' || echo "?")
	table+=("== $kver: boot ${boot}s (guest uptime at /init), suite ${suite}s, qemu wall ${wall}s")
	while read -r _ what name st secs note; do
		[ "$what" = RESULT ] || continue
		table+=("$(printf '  %-18s %-4s %6ss  %s' "$name" "$st" "$secs" "$note")")
		[ "$st" = FAIL ] && fail=1
	done < "$log.markers"
	# the kernel log: the dmesg /init printed, and what the console showed
	{
		tr -d '\r' < "$log" | sed -n '/@@HLD DMESG-BEGIN/,/@@HLD DMESG-END/p'
		tr -d '\r' < "$log" | grep -E '^\[ *[0-9]+\.[0-9]+\]'
	} | grep -E "$bad_re" | sort -u > "$log.bad"
	if [ -s "$log.bad" ]; then
		table+=("  kernel log: $(wc -l < "$log.bad") bad lines:")
		while read -r l; do table+=("    $l"); done < "$log.bad"
		fail=1
	else
		table+=("  kernel log: clean")
	fi
	if [ $fail != 0 ]; then
		table+=("  => FAIL ($kver)")
		rc=1
	else
		table+=("  => ok ($kver)")
	fi
done
printf '%s\n' "${table[@]}"
exit $rc
