#!/usr/bin/env bash
# make bench: the diagnosis module's overhead, measured against a baseline run
# in the same invocation (interleaved phases), and its per-event kernel cost.
# Prints figures and ratios; asserts nothing about time.
set -euo pipefail
hld=${1:-build/hldbench}
out=${BENCH_DIR:-build/bench}
duration=${BENCH_DURATION:-10s}
repeat=${BENCH_REPEAT:-3}

rm -rf "$out" && mkdir -p "$out"
echo "== syscall tracing: sys-cost against the no-op floor and bpftrace"
"$hld" bench syscall
echo "== profiling at 999 Hz: hldbench perf against perf record"
"$hld" bench profile
echo "== load-monitor at 10 ms: idle cost against the 0.2% budget, cost per capture"
"$hld" bench load-monitor
for sc in cpu-load6 syscall-storm; do
	echo "== $sc: $repeat x (baseline + diagnosed) x $duration"
	rc=0
	"$hld" run "scenarios/$sc.conf" -o "$out/$sc" --duration "$duration" \
		--repeat "$repeat" --quiet || rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		echo "$sc: hldbench run failed with status $rc" >&2
		exit "$rc"
	fi
	jq -r '
	  (.overhead.throughput[] |
	    "throughput  load.\(.load): baseline \(.baseline | map(. * 10 | round / 10) | tostring) \(.unit), diagnosed \(.diagnosed | map(. * 10 | round / 10) | tostring)\n" +
	    "            loss median \(.loss_pct_median * 100 | round / 100)% (min \(.loss_pct_min * 100 | round / 100)%, max \(.loss_pct_max * 100 | round / 100)%)"),
	  "diag cpu    \(.overhead.diag_cpu.pct_of_one_cpu * 1000 | round / 1000)% of one CPU (thread \(.overhead.diag_cpu.thread_cpu_ns / 1e6 | round) ms over \(.overhead.diag_cpu.diagnosed_s | round) s)",
	  (.overhead.diag_cpu.kernel[] | select(.run_cnt > 0) |
	    "kernel      \(.feature): \(.run_cnt) runs, \(.run_ns / .run_cnt | round) ns per run"),
	  "load        target \(.target_load), achieved \(.achieved_load * 100 | round / 100), reached \(.load_reached)",
	  "accuracy    perf \(if .accuracy.perf.measured then "\(.accuracy.perf.error_pp * 100 | round / 100) pp" else "n/a" end), load-monitor R \(.accuracy.load_monitor.monitor_mean_r * 100 | round / 100) vs sampler \(.accuracy.load_monitor.sampler_mean_r * 100 | round / 100)"
	' "$out/$sc/run.json"
done
