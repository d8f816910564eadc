/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * hld_features.h - the features of the diagnosis module: one list, shared
 * by user space (harness/diag.h: the descriptors, `diag list`) and the
 * kernel module (kmod/hld_main.c: its feature table, the ioctl's feature
 * numbers). Macros and an enum only, so both sides can include it.
 */
#ifndef HLD_FEATURES_H
#define HLD_FEATURES_H

/*
 * The features of the diagnosis module, in `diag list` order: the thirteen
 * of diagnose-tools, and tracepoint, kprobe's stand-in where kprobes are absent.
 * X(identifier, "command-line name", "one-line summary")
 */
#define HLD_FEATURES(X)                                                          \
	X(load_monitor, "load-monitor", "stacks of all R and D tasks when load crosses a threshold") \
	X(sys_cost, "sys-cost", "per-syscall count and time")                      \
	X(irq_stats, "irq-stats", "per-IRQ, softirq and timer counts and time")    \
	X(irq_delay, "irq-delay", "CPUs that did not service their timer interrupt") \
	X(run_trace, "run-trace", "timeline of one thread, on and off CPU")        \
	X(perf, "perf", "sampling profiler, kernel and user stacks")               \
	X(kprobe, "kprobe", "stacks at an arbitrary kernel function")              \
	X(tracepoint, "tracepoint", "count any named tracepoint, with stacks")     \
	X(exit_monitor, "exit-monitor", "task exits with code and stack")          \
	X(mutex_monitor, "mutex-monitor", "kernel lock contention")               \
	X(exec_monitor, "exec-monitor", "every exec with argv and parent chain")   \
	X(alloc_top, "alloc-top", "pages allocated per process")                   \
	X(high_order, "high-order", "stacks of high-order page allocations")       \
	X(reboot, "reboot", "who called reboot")

/*
 * A feature's number in the ioctl ABI (include/hld_ioctl.h): its place in
 * HLD_FEATURES, the same as user space's enum diag_feature_id.
 */
enum hld_feature_id {
#define HLD_FEATURE_ENUM(id, name, summary) HLD_FEAT_##id,
	HLD_FEATURES(HLD_FEATURE_ENUM)
#undef HLD_FEATURE_ENUM
	HLD_FEAT__MAX,
};

#endif /* HLD_FEATURES_H */
