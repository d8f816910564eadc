#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/ci-gate.sh HLDBENCH [--clean-only]: the CI overhead gate.
#
#  1. a clean run of scenarios/ci-overhead.conf must pass
#     `hldbench check` against tests/baselines/ci-overhead.json;
#  2. (unless --clean-only) a run with a deliberate regression,
#     HLDBENCH_INJECT_READER_SPIN_US=$CI_SPIN_US (the diagnosis thread busy-loops
#     that long on every 10 ms poll), must fail it, on an overhead or
#     diagnosis-CPU check (not merely on the load or the drops).
#
# Needs root and BPF; without them it says SKIP. Prints "N passed, N failed".
set -u

hldbench=${1:?usage: tests/ci-gate.sh HLDBENCH [--clean-only]}
clean_only=${2:-}
scenario=scenarios/ci-overhead.conf
baseline=tests/baselines/ci-overhead.json
out=${CI_GATE_DIR:-build/ci-gate}
spin=${CI_SPIN_US:-5000}
passed=0
failed=0

if [ "$(id -u)" != 0 ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
	echo "SKIP: ci-gate: needs root and BTF (/sys/kernel/btf/vmlinux)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
rm -rf "$out" && mkdir -p "$out"

result() {	# result NAME OK DETAIL
	if [ "$2" = 1 ]; then
		passed=$((passed + 1)); echo "  PASS  $1"
	else
		failed=$((failed + 1)); echo "  FAIL  $1: $3"
	fi
}

echo "  GATE     clean run of $scenario (about 2 minutes)"
"$hldbench" run "$scenario" -o "$out/clean" --quiet
rc=$?
"$hldbench" check "$out/clean" --baseline "$baseline" > "$out/clean.check" 2>&1
crc=$?
sed 's/^/    /' "$out/clean.check"
result "clean run passes the gate" "$([ $rc -le 1 ] && [ $crc = 0 ] && echo 1)" \
	"run exited $rc, check exited $crc ($out/clean.check)"

if [ "$clean_only" != --clean-only ]; then
	echo "  GATE     the same with HLDBENCH_INJECT_READER_SPIN_US=$spin (about 1.5 minutes)"
	HLDBENCH_INJECT_READER_SPIN_US=$spin "$hldbench" run "$scenario" -o "$out/injected" \
		--duration 5s --quiet
	rc=$?
	"$hldbench" check "$out/injected" --baseline "$baseline" > "$out/injected.check" 2>&1
	crc=$?
	sed 's/^/    /' "$out/injected.check"
	caught=$(grep -cE '^FAIL  (overhead|diag cpu) ' "$out/injected.check")
	result "the injected regression fails the gate" \
		"$([ $rc -le 1 ] && [ $crc = 1 ] && [ "$caught" -gt 0 ] && echo 1)" \
		"run exited $rc, check exited $crc with $caught overhead/diag-cpu failure(s)"
fi
echo "ci-gate: $passed passed, $failed failed"
[ $failed = 0 ]
