/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tracepoint.bpf.h - tracepoint: the layout of the maps tracepoint.bpf.c
 * fills and bpf/tracepoint.c drains.
 *
 * Fixed-width types only: the BPF program, the activating process and a
 * later process that reopens the pinned maps all read these.
 */
#ifndef HLD_TRACEPOINT_BPF_H
#define HLD_TRACEPOINT_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TP_MAX_KEYS	32768	/* (generation, process, stacks) rows */
#define TP_STACK_ENTRIES 16384	/* stacks per generation; ids >= this are in the spill map */
#define TP_SPILL_ENTRIES 4096	/* second chance for a stack whose bucket is taken */
#define TP_COMM_LEN	16

/* A stack id that is not one: no stack was asked for, or there is none. */
#define TP_STACK_NONE	(-1)
/* A stack that was asked for but could not be read (counted as a drop). */
#define TP_STACK_LOST	(-2)

/*
 * Key of the count hash (the value is a __u64 hit count). @gen is the
 * generation the hit was counted in (0 or 1): a report flips the program
 * to the other generation and drains this one. The stack ids index the
 * stack map of the same generation, or its spill map as id - TP_STACK_ENTRIES.
 */
struct tp_key {
	__u32 gen;
	__u32 tgid;
	__s32 kstack_id;
	__s32 ustack_id;
	char comm[TP_COMM_LEN];
};

/*
 * Key of the ufiles hash: the files and file offsets of the frames of user
 * stack @ustack_id (of generation @gen) as process @tgid had them mapped
 * (struct ustack_files, bpf/ustack-files.bpf.h), noted on the stack's first
 * hit so that a report can name them after the process exited.
 */
#define TP_UFILES_ENTRIES 8192	/* (generation, process, user stack) rows */

struct tp_ufiles_key {
	__u32 gen;
	__u32 tgid;
	__s32 ustack_id;
	__u32 pad;
};

#endif /* HLD_TRACEPOINT_BPF_H */
