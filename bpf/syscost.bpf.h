/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * syscost.bpf.h - sys-cost: the layout of the maps syscost.bpf.c fills and
 * bpf/syscost.c reads, and the user-side name lookup.
 *
 * Fixed-width types only: both the BPF program and user space (the
 * adapter, or a later process that reopens the pinned maps) read these.
 *
 * Every map that counts is split into two halves by a generation: programs
 * count into half (gen & 1); a report flips gen, waits for an RCU grace
 * period (no program still writes the old half), then reads and zeroes the
 * old half. So each report holds exactly the syscalls that returned since
 * the previous one.
 */
#ifndef HLD_SYSCOST_BPF_H
#define HLD_SYSCOST_BPF_H

#ifndef __VMLINUX_H__
#include <stddef.h>
#include <linux/types.h>
#endif

/*
 * Slots of the per-syscall overflow array. x86_64 numbers stay below 512;
 * any other number (x32's bit 30, a future syscall) is counted in the last
 * slot.
 */
#define SYSCOST_NR_SLOTS	1024
#define SYSCOST_OTHER		(SYSCOST_NR_SLOTS - 1)

/*
 * The per-(process, syscall) table: an open-addressed hash in a per-CPU
 * array, SYSCOST_PROC_SLOTS slots per generation (a power of two), probed
 * linearly from the key's hash for at most SYSCOST_PROBES slots. Each CPU
 * fills its own copy, so a key may sit in different slots on different
 * CPUs; user space sums by key.
 */
#define SYSCOST_PROC_BITS	13
#define SYSCOST_PROC_SLOTS	(1u << SYSCOST_PROC_BITS)
#define SYSCOST_PROBES		16
#define SYSCOST_MAX_PROCS	16384	/* processes whose name is kept (LRU) */

/* Count and time of one syscall (or one (process, syscall) pair) on one CPU. */
struct syscost_val {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
};

/* One slot of the per-process table; key 0 is an empty slot. */
struct syscost_slot {
	__u64 key;		/* syscost_key(tgid, nr) */
	struct syscost_val v;
};

/* Per-thread state between sys_enter and sys_exit (task storage). */
struct syscost_start {
	__u64 ts;		/* bpf_ktime_get_ns() at entry; 0: not in a traced syscall */
	__u32 nr;
	__u32 phase;		/* the diagnosed phase that stamped it */
};

/* The table key of (@tgid, @nr): never 0, since bit 31 is set. */
static inline __u64 syscost_key(__u32 tgid, __u32 nr)
{
	return (__u64)tgid << 32 | nr | 1u << 31;
}

static inline __u32 syscost_key_tgid(__u64 key)
{
	return key >> 32;
}

static inline __u32 syscost_key_nr(__u64 key)
{
	return key & (SYSCOST_NR_SLOTS - 1);
}

/* The first slot probed for @key (Fibonacci hashing), within one generation. */
static inline __u32 syscost_hash(__u64 key)
{
	return (key * 0x9e3779b97f4a7c15ull) >> (64 - SYSCOST_PROC_BITS);
}

#ifndef __VMLINUX_H__
/*
 * The name of x86_64 syscall @nr ("getppid"), or "sys_<nr>" written into
 * @buf (@len bytes) when the table has no name for it. Returns the name.
 */
const char *syscost__name(unsigned int nr, char *buf, size_t len);
/* The number of the syscall named @name ("getppid", or "sys_N"), or -1. */
int syscost__nr(const char *name);
#endif

#endif /* HLD_SYSCOST_BPF_H */
