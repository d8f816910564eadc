#!/bin/sh
# /init of the guest initramfs (tests/vm/mkinitramfs.sh): mount, run the suite,
# print the results on the serial console between clear markers, power off.
#
# Markers (one line each, read back by tests/vm/run.sh):
#   @@HLD INIT <uptime> <kernel>                 /init started
#   @@HLD RESULT <name> <PASS|FAIL|SKIP> <seconds> <note>
#   @@HLD DMESG-BEGIN / @@HLD DMESG-END         the whole kernel log
#   @@HLD DONE <uptime>                          suite finished
# Output of each step is echoed with a "| " prefix.
# /hld/tests.bpf: test binaries run before the module is loaded (the eBPF
# suite); /hld/tests.kmod: run with hld.ko loaded.  Kernel command line:
# hld.cycles=N (insmod/rmmod cycles, default 200).
export PATH=/usr/bin:/bin:/sbin:/usr/sbin
export HOME=/root TMPDIR=/tmp

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /sys/fs/bpf /sys/kernel/tracing /sys/kernel/debug /sys/fs/cgroup
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t cgroup2 cgroup2 /sys/fs/cgroup
ln -sf /proc/self/fd /dev/fd 2>/dev/null
hostname hld-vm
ip link set lo up 2>/dev/null

up() { cut -d' ' -f1 /proc/uptime; }
echo "@@HLD INIT $(up) $(uname -r)"

cycles=$(sed -n 's/.*hld\.cycles=\([0-9]*\).*/\1/p' /proc/cmdline)
: "${cycles:=200}"

# result NAME STATUS T0 NOTE...
result() {
	n=$1 s=$2 t0=$3
	shift 3
	echo "@@HLD RESULT $n $s $(awk -v a="$t0" -v b="$(up)" 'BEGIN {printf "%.1f", b - a}') $*"
}
show() { sed 's/^/| /' "$@"; }

cd /hld

# --- what the kernel offers --------------------------------------------------
t0=$(up)
{
	echo "kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
	echo "btf: $([ -r /sys/kernel/btf/vmlinux ] && echo yes || echo no)"
	echo "kprobes: $([ -r /sys/kernel/tracing/kprobe_events ] && echo yes || echo no)"
} > /tmp/env.log 2>&1
show /tmp/env.log
result env PASS "$t0"

# --- hldbench diag list ---------------------------------------------------------
diag_list() {
	t0=$(up)
	if hldbench diag list > /tmp/diag-list.log 2>&1; then
		st=PASS
	else
		st=FAIL
	fi
	show /tmp/diag-list.log
	result "diag-list$1" $st "$t0" \
		"bpf $(grep -c '^  bpf   available' /tmp/diag-list.log)/$(grep -c '^  bpf ' /tmp/diag-list.log) available," \
		"kmod $(grep -c '^  kmod  available' /tmp/diag-list.log)/$(grep -c '^  kmod ' /tmp/diag-list.log) available"
}
diag_list ""

# --- the test binaries -------------------------------------------------------------
# run_tests MODE TEST...: MODE strict makes a skip a failure (the kmod suite
# runs with hld.ko loaded: nothing it needs can be missing)
run_tests() {
	mode=$1
	shift
	for t in "$@"; do
		t0=$(up)
		HLDBENCH=build/hldbench CK_FORK=yes CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120} \
			timeout 900 build/tests/$t > /tmp/$t.log 2>&1
		rc=$?
		show /tmp/$t.log
		summary=$(grep -E '^[0-9]+%: Checks:' /tmp/$t.log | tail -n1)
		nskip=$(grep -c '^SKIP' /tmp/$t.log)
		if [ $rc != 0 ]; then
			st=FAIL
			summary="$summary; $(grep -m1 -E ':[FE]:' /tmp/$t.log | sed 's/^tests\///' | cut -c1-200)"
		elif [ "$nskip" != 0 ]; then
			st=SKIP
			[ "$mode" = strict ] && st=FAIL
			summary="$summary; $nskip skipped: $(grep -m1 '^SKIP' /tmp/$t.log | cut -c1-160)"
		else
			st=PASS
		fi
		result "$t" $st "$t0" "rc=$rc $summary"
	done
}
# the eBPF suite (and the CLI), before the module is loaded
run_tests lax $(cat /hld/tests.bpf)

# --- the kernel module ---------------------------------------------------------------
errno_of() {	# the message of a failed open, as the shell reports it
	sed -n 's/.*can.t open .*: //p' "$1" | head -n1
}

if [ -f /hld/kmod-build.status ]; then
	b=$(cat /hld/kmod-build.status)
	if [ "$b" = ok ]; then
		result kmod-build PASS "$(up)" "hld.ko built against $(cat /etc/hld-kver) with no warnings"
	else
		grep -E 'error|warning' /hld/kmod-build.log | head -n 20 | show
		result kmod-build FAIL "$(up)" "build $b: $(grep -m1 -E 'error|warning' /hld/kmod-build.log | sed 's|.*/kmod/||' | cut -c1-160)"
	fi
fi
if [ -f /hld/hld.ko ]; then
	t0=$(up)
	if insmod /hld/hld.ko > /tmp/insmod.log 2>&1 && [ -c /dev/hld ]; then
		mode=$(stat -c '%a %U' /dev/hld)
		st=PASS
		[ "$mode" = "600 root" ] || st=FAIL
		result kmod-load $st "$t0" "/dev/hld mode $mode"
		diag_list "-kmod"
		# the kmod suite, with the module loaded
		run_tests strict $(cat /hld/tests.kmod)
		# make bench-vm: the benchmarks, both backends and the peers in this one boot
		if [ -n "$(cat /hld/bench.cmd)" ]; then
			t0=$(up)
			echo "@@HLD BENCH-BEGIN"
			if sh /hld/bench.cmd > /tmp/bench.log 2>&1; then st=PASS; else st=FAIL; fi
			show /tmp/bench.log
			echo "@@HLD BENCH-END"
			result bench $st "$t0" "$(cat /hld/bench.cmd | cut -c1-120)"
		fi

		# permissions: 0600 keeps other users out; with the mode opened up,
		# the CAP_SYS_ADMIN check at open still refuses them
		t0=$(up)
		su -s /bin/sh hld -c 'exec 3</dev/hld' > /tmp/perm1.log 2>&1
		e1=$(errno_of /tmp/perm1.log)
		chmod 0666 /dev/hld
		su -s /bin/sh hld -c 'exec 3</dev/hld' > /tmp/perm2.log 2>&1
		e2=$(errno_of /tmp/perm2.log)
		chmod 0600 /dev/hld
		st=FAIL
		[ "$e2" = "Operation not permitted" ] && st=PASS
		result kmod-eperm $st "$t0" "uid 1000 open: mode 0600 -> ${e1:-opened}; mode 0666 -> ${e2:-opened} (want Operation not permitted)"
		rmmod hld
	else
		show /tmp/insmod.log
		result kmod-load FAIL "$t0" "insmod failed or no /dev/hld: $(head -n1 /tmp/insmod.log)"
	fi

	# insmod/rmmod cycles: the first half idle, the second half under
	# stress-ng with /dev/hld opened and features activated (when the CLI
	# can activate them on the kmod backend) before each unload.  stress-ng
	# runs SCHED_IDLE: it still keeps both CPUs busy through the syscall,
	# scheduler and page-allocator sites the unloads re-patch, but no longer
	# takes most of the CPU time from the cycles (a loaded cycle in the
	# single-threaded 6.12 guest: 5.5 s at nice 0, 3.2 s SCHED_IDLE)
	t0=$(up)
	fails=0 activated=0 half=$((cycles / 2)) spid="" t1=$t0 busy=""
	act=$(cat /hld/kmod-activate.cmd 2>/dev/null)
	i=1
	while [ $i -le $cycles ]; do
		if [ $i = $((half + 1)) ]; then
			t1=$(up) stat0=$(head -n1 /proc/stat)
			stress-ng --sched idle --cpu 2 --vm 1 --vm-bytes 64M --fork 1 --timeout 0 --quiet > /tmp/stress.log 2>&1 &
			spid=$!
		fi
		if ! insmod /hld/hld.ko 2> /tmp/cyc.log; then
			fails=$((fails + 1)); show /tmp/cyc.log; i=$((i + 1)); continue
		fi
		if [ $i -gt $half ]; then
			exec 3<>/dev/hld
			if [ -n "$act" ] && sh -c "$act" > /tmp/act.log 2>&1; then
				activated=$((activated + 1))
			fi
			exec 3<&-
		fi
		if ! rmmod hld 2> /tmp/cyc.log; then
			fails=$((fails + 1)); show /tmp/cyc.log
			sleep 1; rmmod hld 2>/dev/null
		fi
		i=$((i + 1))
	done
	t2=$(up)
	if [ -n "$spid" ]; then
		# the share of CPU time not idle while stress-ng ran (/proc/stat: cpu user nice system idle iowait ...)
		busy=$(echo "$stat0 $(head -n1 /proc/stat)" |
			awk '{ for (k = 2; k <= 9; k++) { d = $(k + 11) - $k; t += d; if (k == 5 || k == 6) i += d }
			       if (t > 0) printf ", CPUs %.0f%% busy", 100 * (t - i) / t }')
		kill $spid; wait $spid 2>/dev/null
	fi
	st=PASS
	[ $fails = 0 ] || st=FAIL
	result kmod-cycles $st "$t0" "$cycles cycles ($half under stress-ng with /dev/hld open), $fails failed;" \
		"idle half $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')s," \
		"loaded half $(awk -v a="$t1" -v b="$t2" 'BEGIN {printf "%.1f", b - a}')s$busy"
	# features active at unload: only as good as the activation command
	if [ -z "$act" ]; then
		result kmod-cycles-active SKIP "$t0" "no activation command (VM_KMOD_ACTIVATE)"
	elif [ $activated = $half ]; then
		result kmod-cycles-active PASS "$t0" "activated before each of $half unloads: $act"
	else
		show /tmp/act.log | head -n 5
		result kmod-cycles-active FAIL "$t0" "activated in $activated of $half cycles: $act: $(head -n1 /tmp/act.log | cut -c1-120)"
	fi
else
	result kmod SKIP "$(up)" "no hld.ko in the initramfs (kmod/Kbuild absent at build time)"
fi

echo "@@HLD DMESG-BEGIN"
dmesg
echo "@@HLD DMESG-END"
echo "@@HLD DONE $(up)"
sync
poweroff -f
