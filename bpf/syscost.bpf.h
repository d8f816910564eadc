/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * syscost.bpf.h - sys-cost: the layout of the maps syscost.bpf.c fills and
 * bpf/syscost.c reads, and the user-side name lookup.
 *
 * Fixed-width types only: both the BPF program and user space (today the
 * adapter, later a process that reopens the pinned maps) read these.
 */
#ifndef HLD_SYSCOST_BPF_H
#define HLD_SYSCOST_BPF_H

#ifndef __VMLINUX_H__
#include <stddef.h>
#include <linux/types.h>
#endif

/*
 * Slots of the per-syscall array. x86_64 numbers stay below 512; any other
 * number (x32's bit 30, a future syscall) is counted in the last slot.
 */
#define SYSCOST_NR_SLOTS	1024
#define SYSCOST_OTHER		(SYSCOST_NR_SLOTS - 1)
#define SYSCOST_MAX_PROCS	16384	/* (tgid, syscall) pairs */

/* One syscall's cost, per CPU in the maps: the CPU the syscall returned on. */
struct syscost_val {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
};

/* Key of the per-process map. */
struct syscost_proc_key {
	__u32 tgid;
	__u32 nr;		/* syscall number, already folded into a slot */
};

/* Per-thread state between sys_enter and sys_exit (task storage). */
struct syscost_start {
	__u64 ts;		/* bpf_ktime_get_ns() at entry; 0: not in a traced syscall */
	__u32 nr;
	__u32 phase;		/* the diagnosed phase that stamped it */
};

#ifndef __VMLINUX_H__
/*
 * The name of x86_64 syscall @nr ("getppid"), or "sys_<nr>" written into
 * @buf (@len bytes) when the table has no name for it. Returns the name.
 */
const char *syscost__name(unsigned int nr, char *buf, size_t len);
#endif

#endif /* HLD_SYSCOST_BPF_H */
