/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * loadmon.bpf.h - load-monitor: the layout of the globals loadmon.bpf.c
 * keeps and bpf/loadmon.c reads (also from a process that reopens the
 * pinned maps of a persistent activation).
 */
#ifndef HLD_LOADMON_BPF_H
#define HLD_LOADMON_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "hld_record.h"

#define LOADMON_FSHIFT		11	/* load averages: fixed point, as the kernel's */
#define LOADMON_FIXED_1		(1 << LOADMON_FSHIFT)
#define LOADMON_HIST		1024	/* checks kept for loadmon-checks.csv */
#define LOADMON_WALK_MAX	65536	/* threads examined per capture, at most */

enum loadmon_ctl {
	LOADMON_CTL_NONE = 0,
	LOADMON_CTL_ARM = 1,	/* seed the load averages, start the timer */
	LOADMON_CTL_CANCEL = 2,	/* stop the timer */
};

/* Why a capture was taken: bits of last_reasons. */
#define LOADMON_REASON_LOAD	HLD_LOADMON_REASON_LOAD
#define LOADMON_REASON_LOAD_R	HLD_LOADMON_REASON_LOAD_R
#define LOADMON_REASON_LOAD_D	HLD_LOADMON_REASON_LOAD_D
#define LOADMON_REASON_TASK_D	HLD_LOADMON_REASON_TASK_D
#define LOADMON_REASON_TASK_R	HLD_LOADMON_REASON_TASK_R

/*
 * What the checks saw, in two halves: the program adds to win[gen & 1];
 * a report flips gen, waits for a grace period, then reads and clears the
 * other half, so each report gets exactly the checks since the previous one.
 */
struct loadmon_window {
	__u64 checks;
	__u64 sum_r, sum_d;		/* R and D summed over checks */
	__u64 max_r, max_d;
	__u64 crossed;			/* checks that found a threshold crossed */
	__u64 captures;
	__u64 tasks;			/* task records emitted */
};

/* One check, in the ring hist[seq % LOADMON_HIST]. */
struct loadmon_check {
	__u64 t_ns;			/* bpf_ktime_get_ns() */
	__u32 r, d;
};

#endif /* HLD_LOADMON_BPF_H */
