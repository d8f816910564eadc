/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * profile.bpf.h - perf: what profile.bpf.c records about each sampled
 * process so that its executable's frames can be named after it exited,
 * even by another process reading the pinned maps (`diag perf --report`).
 *
 * Fixed-width types only: both the BPF program and user space read it.
 */
#ifndef HLD_PROFILE_BPF_H
#define HLD_PROFILE_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * Stack ids in the count keys: an id of the main stack map, PERF_SPILL_BASE
 * + an id of the spill map (a stack whose bucket in the main map was
 * taken), or PERF_LEAF_BASE + an id of the leaf map (a user stack of one
 * frame: the sampled IP, when no frame pointer chain can start there).
 */
#define PERF_STACK_ENTRIES	16384
#define PERF_SPILL_ENTRIES	8192
#define PERF_LEAF_ENTRIES	16384
#define PERF_SPILL_BASE		PERF_STACK_ENTRIES
#define PERF_LEAF_BASE		(PERF_SPILL_BASE + PERF_SPILL_ENTRIES)

#define PERF_MAX_PROCS		8192	/* processes remembered (least recently sampled go first) */

/*
 * Value of the per-process map (keyed by __u32 tgid): the executable's
 * file and where its code was loaded. Its path (exe_file's dentry chain up
 * to the root, crossing mount points) is in the ustack_paths map, keyed by
 * the same inode and device (bpf/ustack-files.bpf.h).
 */
struct perf_proc {
	__u64 mm;		/* address of the mm_struct: a new one means an exec */
	__u64 start_code;	/* mm->start_code: the lowest executable PT_LOAD, relocated */
	__u64 end_code;
	__u64 ino;		/* exe inode and device (kernel encoding: major << 20 | minor) */
	__u32 dev;
	__u32 path_kept;	/* the path went into ustack_paths (or was there) */
};

#endif /* HLD_PROFILE_BPF_H */
