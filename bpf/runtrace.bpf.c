// SPDX-License-Identifier: GPL-2.0
/*
 * runtrace.bpf.c - run-trace: the timeline of one thread, as intervals on
 * CPU in user mode, on CPU in kernel mode, and off CPU with the reason it
 * left and the kernel stack it left from.
 *
 * sched_switch opens and closes the off-CPU intervals (the thread is
 * current when it switches out, so bpf_get_stack() there is its stack);
 * sys_enter/sys_exit split its on-CPU time into user and kernel; sched_waking
 * notes who woke it. An interval is one record in the ring buffer when it
 * ends; totals per kind and per reason are counted here too, so a report
 * can be made from the maps even when records were dropped.
 *
 * Draining: the totals, the record count and the ring buffer have two
 * halves, selected by gen. A report flips gen, waits for a grace period (no
 * program still uses the old half), then reads and zeroes the old counters
 * and empties the old ring buffer: exactly the intervals that ended since
 * the previous report. The drop counters are never reset.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "hld_record.h"

char LICENSE[] SEC("license") = "GPL";

#define KTASK_INTERRUPTIBLE	0x0001
#define KTASK_UNINTERRUPTIBLE	0x0002

/* Settings, fixed before load. */
const volatile __u32 targ_pid = 0;
const volatile __u64 max_events = 10000;

__u32 gen = 0;			/* half of the totals written now; user space flips it */
__u64 nr_drops = 0;		/* records lost: over max_events or ring buffer full */
__u64 nr_no_stack = 0;		/* off-CPU intervals whose stack could not be read */
/* Per generation: */
__u64 nr_events[2] = {};	/* records submitted */
__u64 oncpu_ns[2][HLD_RUNTRACE_KIND__MAX] = {};	/* by kind (off-CPU slot unused) */
__u64 offcpu_ns[2][HLD_RUNTRACE_REASON__MAX] = {};	/* by reason */
__u64 offcpu_cnt[2][HLD_RUNTRACE_REASON__MAX] = {};

/* Where the thread is now: the interval in progress. */
struct rt_state {
	__u64 start;		/* 0: not known yet (attached mid-interval) */
	__u32 kind;		/* enum hld_runtrace_kind */
	__u32 reason;
	__u32 in_syscall;
	__u32 cpu;
	__u32 nr_kstack;
	__u32 waker_pid;
	__u32 woken;
	char waker_comm[HLD_COMM_LEN];
	__u64 kstack[HLD_MAX_STACK];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rt_state);
} state SEC(".maps");

/* The records of generation 0 and 1. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 2 * 1024 * 1024);	/* set by user space */
} events0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 2 * 1024 * 1024);	/* set by user space */
} events1 SEC(".maps");

static __always_inline struct rt_state *rt_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&state, &zero);
}

/* Fill the header and the common fields of @r for the interval of @st ending at @now. */
static __always_inline void rt_fill(struct hld_runtrace_record *r, struct rt_state *st,
				    __u64 now, __u32 len)
{
	r->hdr.type = HLD_REC_RUNTRACE;
	r->hdr.version = HLD_RECORD_VERSION;
	r->hdr.len = len;
	r->hdr.ts = st->start;
	r->duration_ns = now - st->start;
	r->kind = st->kind;
	r->cpu = st->cpu;
	r->reason = st->reason;
	r->nr_kstack = 0;
	r->waker_pid = 0;
	r->woken = 0;
}

/* Close the interval in progress at @now: count it and emit its record. */
static __always_inline void rt_close(struct rt_state *st, __u64 now)
{
	struct hld_runtrace_record *r;
	__u32 g = *(volatile __u32 *)&gen & 1;
	__u64 d;

	if (!st->start)
		return;
	d = now - st->start;
	if (st->kind == HLD_RUNTRACE_OFFCPU) {
		__u32 reason = st->reason & (HLD_RUNTRACE_REASON__MAX - 1);	/* 4 reasons */

		__sync_fetch_and_add(&offcpu_ns[g][reason], d);
		__sync_fetch_and_add(&offcpu_cnt[g][reason], 1);
	} else if (st->kind < HLD_RUNTRACE_KIND__MAX) {
		__sync_fetch_and_add(&oncpu_ns[g][st->kind], d);
	}
	/* The cap applies to the records of one report. */
	if (nr_events[g] >= max_events) {
		__sync_fetch_and_add(&nr_drops, 1);
		return;
	}
	if (st->kind != HLD_RUNTRACE_OFFCPU) {
		r = g ? bpf_ringbuf_reserve(&events1, HLD_RUNTRACE_ONCPU_LEN, 0) :
			bpf_ringbuf_reserve(&events0, HLD_RUNTRACE_ONCPU_LEN, 0);
		if (!r)
			goto drop;
		rt_fill(r, st, now, HLD_RUNTRACE_ONCPU_LEN);
	} else {
		r = g ? bpf_ringbuf_reserve(&events1, sizeof(*r), 0) :
			bpf_ringbuf_reserve(&events0, sizeof(*r), 0);
		if (!r)
			goto drop;
		rt_fill(r, st, now, sizeof(*r));
		r->nr_kstack = st->nr_kstack;
		r->waker_pid = st->waker_pid;
		r->woken = st->woken;
		__builtin_memcpy(r->waker_comm, st->waker_comm, HLD_COMM_LEN);
		__builtin_memcpy(r->kstack, st->kstack, sizeof(r->kstack));
	}
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	__sync_fetch_and_add(&nr_events[g], 1);
	return;
drop:
	__sync_fetch_and_add(&nr_drops, 1);
}

/* Start an on-CPU interval at @now, user or kernel as the syscall state says. */
static __always_inline void rt_oncpu(struct rt_state *st, __u64 now)
{
	st->start = now;
	st->kind = st->in_syscall ? HLD_RUNTRACE_ONCPU_KERNEL : HLD_RUNTRACE_ONCPU_USER;
	st->reason = 0;
	st->cpu = bpf_get_smp_processor_id();
}

/* The off-CPU reason for a task leaving the CPU with @state, @preempt. */
static __always_inline __u32 rt_reason(bool preempt, unsigned int pstate)
{
	if (preempt || !pstate)
		return HLD_RUNTRACE_PREEMPTED;
	if (pstate & KTASK_INTERRUPTIBLE)
		return HLD_RUNTRACE_SLEEP;
	if (pstate & KTASK_UNINTERRUPTIBLE)
		return HLD_RUNTRACE_UNINTERRUPTIBLE;
	return HLD_RUNTRACE_OTHER;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(runtrace_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct rt_state *st;
	__u64 now;
	long n;

	if (prev->pid != targ_pid && next->pid != targ_pid)
		return 0;
	st = rt_state();
	if (!st)
		return 0;
	now = bpf_ktime_get_ns();
	if (prev->pid == targ_pid) {
		rt_close(st, now);
		st->start = now;
		st->kind = HLD_RUNTRACE_OFFCPU;
		st->reason = rt_reason(preempt, prev_state);
		st->cpu = bpf_get_smp_processor_id();
		st->waker_pid = 0;
		st->woken = 0;
		st->waker_comm[0] = '\0';
		n = bpf_get_stack(ctx, st->kstack, sizeof(st->kstack), 0);
		if (n > 0) {
			st->nr_kstack = n / sizeof(__u64);
		} else {
			st->nr_kstack = 0;
			__sync_fetch_and_add(&nr_no_stack, 1);
		}
	} else {
		rt_close(st, now);
		rt_oncpu(st, now);
	}
	return 0;
}

/* Who woke the thread: the task current when it was made runnable. */
static __always_inline void rt_woken(struct task_struct *p)
{
	struct rt_state *st;

	if (p->pid != targ_pid)
		return;
	st = rt_state();
	if (!st || st->kind != HLD_RUNTRACE_OFFCPU || st->woken)
		return;
	st->woken = 1;
	st->waker_pid = (__u32)bpf_get_current_pid_tgid();
	bpf_get_current_comm(st->waker_comm, sizeof(st->waker_comm));
}

SEC("tp_btf/sched_waking")
int BPF_PROG(runtrace_waking, struct task_struct *p)
{
	rt_woken(p);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(runtrace_wakeup, struct task_struct *p)
{
	rt_woken(p);
	return 0;
}

/* Switch between user and kernel mode at a syscall boundary of the thread. */
static __always_inline void rt_mode(__u32 in_syscall)
{
	struct rt_state *st;
	__u64 now;

	if ((__u32)bpf_get_current_pid_tgid() != targ_pid)
		return;
	st = rt_state();
	if (!st)
		return;
	now = bpf_ktime_get_ns();
	/*
	 * What ends here was kernel mode if a syscall exits, user mode if one
	 * starts, whatever was assumed at switch-in (attached mid-syscall).
	 */
	if (st->kind != HLD_RUNTRACE_OFFCPU)
		st->kind = in_syscall ? HLD_RUNTRACE_ONCPU_USER : HLD_RUNTRACE_ONCPU_KERNEL;
	rt_close(st, now);
	st->in_syscall = in_syscall;
	rt_oncpu(st, now);
}

SEC("raw_tp/sys_enter")
int runtrace_sys_enter(void *ctx)
{
	rt_mode(1);
	return 0;
}

SEC("raw_tp/sys_exit")
int runtrace_sys_exit(void *ctx)
{
	rt_mode(0);
	return 0;
}
