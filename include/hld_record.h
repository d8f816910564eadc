/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * hld_record.h - the record format shared by the kernel module, the BPF
 * programs and user space.
 *
 * Rules (see docs/record-format.md):
 *  - fixed-width types only (__u8 .. __u64), no long, pointers or size_t;
 *  - every record starts with struct hld_record_header;
 *  - enums end in __MAX; new record types and new fields are only ever
 *    appended, and a change of layout bumps HLD_RECORD_VERSION.
 */
#ifndef HLD_RECORD_H
#define HLD_RECORD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define HLD_RECORD_VERSION 1

#define HLD_COMM_LEN 16
#define HLD_MAX_STACK 64	/* frames kept per kernel or user stack */

/* Task states as reported in records (not the kernel's own bit values). */
enum hld_task_state {
	HLD_STATE_R = 0,	/* TASK_RUNNING: on a run queue or on CPU */
	HLD_STATE_D = 1,	/* TASK_UNINTERRUPTIBLE without TASK_NOLOAD */
	HLD_STATE__MAX,
};

enum hld_record_type {
	HLD_REC_NONE = 0,
	HLD_REC_LOADMON_TASK = 1,	/* struct hld_loadmon_task */
	HLD_REC_LOADMON_CAPTURE = 2,	/* struct hld_loadmon_capture */
	HLD_REC__MAX,
};

struct hld_record_header {
	__u16 type;		/* enum hld_record_type */
	__u16 version;		/* HLD_RECORD_VERSION */
	__u32 len;		/* whole record, header included, in bytes */
	__u64 ts;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns), ns */
};

/* One R or D task seen by a load-monitor capture. */
struct hld_loadmon_task {
	struct hld_record_header hdr;
	__u64 capture;		/* capture sequence number */
	__u32 pid;		/* thread id */
	__u32 tgid;		/* process id */
	__u32 state;		/* enum hld_task_state */
	__u32 nr_kstack;	/* valid entries in kstack[] */
	__u32 nr_ustack;	/* valid entries in ustack[], 0 if unavailable */
	__u32 pad;
	char comm[HLD_COMM_LEN];
	__u64 kstack[HLD_MAX_STACK];
	__u64 ustack[HLD_MAX_STACK];
};

/*
 * Closes a capture: what was counted, what was emitted, and what did not fit
 * within the per-capture cap or the ring buffer.
 */
struct hld_loadmon_capture {
	struct hld_record_header hdr;
	__u64 capture;
	__u32 nr_r;		/* R tasks counted, the observer excluded */
	__u32 nr_d;		/* D tasks counted */
	__u32 nr_emitted;	/* hld_loadmon_task records delivered */
	__u32 nr_dropped;	/* tasks over the cap or lost to a full buffer */
};

/* perf: in-kernel aggregation key; the value is a __u64 sample count. */
struct hld_perf_key {
	__u32 pid;
	__u32 tgid;
	__s32 kstack_id;	/* stack map id, negative if none */
	__s32 ustack_id;
	__u32 cpu;
	__u32 pad;
	char comm[HLD_COMM_LEN];
};

/* alloc-top: value of the per-process hash, keyed by __u32 tgid. */
struct hld_alloctop_val {
	__u64 pages;		/* 4 KiB pages: sum of 1 << order */
	__u64 allocs;		/* allocation calls */
	char comm[HLD_COMM_LEN];	/* comm of the first allocating thread seen */
};

#endif /* HLD_RECORD_H */
