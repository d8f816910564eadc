/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * hld_settings.h - per-feature settings, shared by both backends.
 *
 * Fixed-width integers only: the kernel module receives these structs
 * through its ioctl, and the kernel has no floating point. Each struct is
 * described field by field by an option table in harness/features.c, which
 * drives the scenario's [diag] keys, `--activate` keys and the help text.
 * Fields are only ever appended.
 */
#ifndef HLD_SETTINGS_H
#define HLD_SETTINGS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

struct hld_loadmon_settings {
	__u64 load;		/* capture when R+D tasks >= load (0: off) */
	__u64 load_r;		/* ... or R tasks >= load_r (0: off) */
	__u64 load_d;		/* ... or D tasks >= load_d (0: off) */
	__u64 task_d;		/* ... or any single check sees >= task_d D tasks (0: off) */
	__u64 interval_ms;	/* check period */
	__u64 max_tasks;	/* tasks captured per capture; the rest are counted as dropped */
	__u64 min_gap_ms;	/* rate limit: at most one capture per min_gap_ms */
	__u64 user_stacks;	/* 1: also capture user stacks where the kernel allows */
	__u64 task_r;		/* ... or any single check sees >= task_r R tasks (0: off) */
};

struct hld_perf_settings {
	__u64 freq;		/* samples per second per CPU */
	__s64 pid;		/* thread filter, -1: any */
	__s64 tgid;		/* process filter, -1: any */
	__s64 cpu;		/* CPU filter, -1: all */
	char comm[16];		/* comm filter, "": any */
	__u64 kernel;		/* 1: kernel stacks */
	__u64 user;		/* 1: user stacks */
};

struct hld_alloctop_settings {
	__u64 top;		/* processes listed in the report */
	__s64 tgid;		/* process filter, -1: any */
};

struct hld_exec_settings {
	char comm[16];		/* only execs whose new comm is this, "": any */
	__s64 ancestor;		/* only execs with this tgid in their parent chain, -1: any */
	__u64 ringbuf_size;	/* ring buffer bytes (rounded up to a power of two) */
};

struct hld_exit_settings {
	char comm[16];		/* only tasks with this comm, "": any */
	__s64 tgid;		/* only this process, -1: any */
	__u64 user_stacks;	/* 1: the user stack at exit */
	__u64 all_threads;	/* 1: every thread; 0: thread-group leaders only */
	__u64 ringbuf_size;	/* ring buffer bytes (rounded up to a power of two) */
};

struct hld_syscost_settings {
	__s64 tgid;		/* only this process, -1: any */
	__s64 pid;		/* only this thread, -1: any */
	char comm[16];		/* only tasks with this comm, "": any */
	__u64 top;		/* rows shown per table in syscost.txt */
	__u64 time;		/* 1: count and time; 0: count only (one program, at entry) */
};

struct hld_highorder_settings {
	__u64 order;		/* record allocations of this order and above */
	__s64 tgid;		/* process filter, -1: any */
	__u64 user;		/* 1: also record user stacks */
};

struct hld_irqstats_settings {
	__u64 top_timers;	/* timer functions listed in the report */
};

struct hld_mutex_settings {
	__u64 min_wait_ns;	/* record waits at least this long */
	__u64 top;		/* rows shown in mutex.txt */
	__s64 tgid;		/* only waiters in this process, -1: any */
};

struct hld_reboot_settings {
	char log[128];		/* persistent log, one line per call appended and fsync'ed */
	__u64 user_stacks;	/* 1: also the caller's user stack */
};

struct hld_runtrace_settings {
	__s64 pid;		/* the thread traced (required) */
	__u64 max_events;	/* records kept; the rest are counted as dropped */
	__u64 ringbuf_size;	/* ring buffer bytes (rounded up to a power of two) */
};

struct hld_irqdelay_settings {
	__u64 period_us;	/* timer sample period per CPU */
	__u64 threshold_us;	/* a tick more than this after the previous one is late */
	__u64 max_events;	/* late ticks recorded; the rest are counted as dropped */
};

/* tracepoint: which stacks each hit records. */
enum hld_tp_stacks {
	HLD_TP_STACKS_BOTH,
	HLD_TP_STACKS_KERNEL,
	HLD_TP_STACKS_USER,
	HLD_TP_STACKS_NONE,
	HLD_TP_STACKS__MAX,
};

/* tracepoint's settings, and kprobe's: for kprobe, the name is a kernel function's. */
struct hld_tracepoint_settings {
	char name[64];		/* "subsys:event", a raw tracepoint or a function name (required) */
	__s64 tgid;		/* only this process, -1: any */
	__s64 pid;		/* only this thread, -1: any */
	__s64 cpu;		/* only this CPU, -1: all */
	char comm[16];		/* only tasks with this comm, "": any */
	__s32 stacks;		/* enum hld_tp_stacks (an OPT_ENUM: an int) */
	__u32 pad;
	__u64 top;		/* rows per table in tracepoint.txt */
};

#endif /* HLD_SETTINGS_H */
