// SPDX-License-Identifier: GPL-2.0
/*
 * irqdelay.bpf.c - irq-delay: intervals in which a CPU did not service its
 * timer interrupt.
 *
 * User space arms a cpu-clock perf event per CPU, an hrtimer that fires
 * every period_ns. Each firing compares bpf_ktime_get_ns() with the
 * previous firing on that CPU: the gap beyond the period is the lateness,
 * counted in a per-CPU log2 histogram. A gap above threshold_ns is a late
 * tick: one record with the task current when the tick finally fired and
 * its kernel stack, the code that had interrupts or preemption off until
 * just now, where the interrupt landed in the kernel.
 *
 * An idle CPU may not take the cpu-clock timer at all (on this kernel and
 * VM one idle CPU delivered no samples until it woke, the other did), so a
 * gap in which the CPU went idle and that ends with a task, not the idle
 * task, on the CPU measures sleep, not lateness: it is counted as an idle
 * gap, outside the histogram and never late. Ticks that fire in the idle
 * task show the timer works in idle there, and are judged.
 *
 * Everything runs in the kernel: the perf events and programs need no
 * process, so a pinned activation keeps measuring on its own. Reports
 * drain: the counters and the histogram exist once per generation (gen,
 * 0 or 1); programs write the current one, user space flips gen, waits for
 * a grace period and reads and clears the other. The per-CPU state that
 * links one tick to the next (last, went_idle) is not per generation.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "hld_record.h"

char LICENSE[] SEC("license") = "GPL";

/* Settings, fixed before load. */
const volatile __u64 period_ns = 1000000;
const volatile __u64 threshold_ns = 10000000;
const volatile __u64 max_events = 1000;

__u64 nr_events = 0;		/* late-tick records submitted since activation */
__u64 nr_drops = 0;		/* late ticks not recorded: over max_events or ring buffer full */
__u64 nr_reported = 0;		/* user space: records reported; max_events caps the others */
__u32 gen = 0;			/* the generation programs write, flipped by user space */
__u64 since_ns = 0;		/* user space: CLOCK_MONOTONIC of the activation or last report */

/* Per CPU: what links a tick to the previous one; user space zeroes it at activation. */
struct id_state {
	__u64 last;		/* time of the previous tick, 0: none yet this phase */
	__u64 went_idle;	/* 1: switched to the idle task since the previous tick */
};

/* Per CPU and generation: the counters. */
struct id_cpu {
	__u64 ticks;		/* firings of the timer */
	__u64 intervals;	/* gaps measured (ticks after the first of each phase) */
	__u64 idle_gaps;	/* of those, gaps in which the CPU went idle (not judged) */
	__u64 starts;		/* ticks with no previous one (first of a phase): ticks - intervals */
	__u64 late;		/* gaps above threshold_ns */
	__u64 max_gap;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct id_state);
} state SEC(".maps");

/* Indexed by generation. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct id_cpu);
} cpus SEC(".maps");

/*
 * Lateness histogram, at gen * HLD_IRQDELAY_SLOTS + slot: slot 0 on time,
 * slot k >= 1 late by [2^(k-1), 2^k) ns.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * HLD_IRQDELAY_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} events SEC(".maps");

/* The histogram slot of lateness @v ns. */
static __always_inline __u32 slot_of(__u64 v)
{
	__u32 r = 0;

	if (!v)
		return 0;
	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	if (v >> 1)
		r += 1;
	r += 1;
	return r < HLD_IRQDELAY_SLOTS ? r : HLD_IRQDELAY_SLOTS - 1;
}

/* Record the late tick that ends a gap of @gap ns on this CPU. */
static __always_inline void late_tick(void *ctx, __u64 now, __u64 gap)
{
	struct hld_irqdelay_record *r;
	__u64 id;
	long n;

	if (nr_events - nr_reported >= max_events)
		goto drop;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r)
		goto drop;
	id = bpf_get_current_pid_tgid();
	r->hdr.type = HLD_REC_IRQDELAY;
	r->hdr.version = HLD_RECORD_VERSION;
	r->hdr.len = sizeof(*r);
	r->hdr.ts = now;
	r->gap_ns = gap;
	r->cpu = bpf_get_smp_processor_id();
	r->pid = (__u32)id;
	r->tgid = id >> 32;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	n = bpf_get_stack(ctx, r->kstack, sizeof(r->kstack), 0);
	r->nr_kstack = n > 0 ? n / sizeof(__u64) : 0;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	__sync_fetch_and_add(&nr_events, 1);
	return;
drop:
	__sync_fetch_and_add(&nr_drops, 1);
}

SEC("perf_event")
int irqdelay_tick(struct bpf_perf_event_data *ctx)
{
	__u64 now = bpf_ktime_get_ns(), gap, *h;
	__u32 zero = 0, g = gen & 1, slot;
	struct id_state *st;
	struct id_cpu *c;

	st = bpf_map_lookup_elem(&state, &zero);
	c = bpf_map_lookup_elem(&cpus, &g);
	if (!st || !c)
		return 0;
	c->ticks++;
	if (!st->last)
		c->starts++;
	if (st->last) {		/* same CPU, monotonic clock: now >= last */
		gap = now - st->last;
		c->intervals++;
		if (st->went_idle && (__u32)bpf_get_current_pid_tgid()) {
			c->idle_gaps++;
			st->went_idle = 0;
			st->last = now;
			return 0;
		}
		if (gap > c->max_gap)
			c->max_gap = gap;
		slot = g * HLD_IRQDELAY_SLOTS + slot_of(gap > period_ns ? gap - period_ns : 0);
		h = bpf_map_lookup_elem(&hist, &slot);
		if (h)
			(*h)++;
		if (gap > threshold_ns) {
			c->late++;
			late_tick(ctx, now, gap);
		}
	}
	st->went_idle = 0;
	st->last = now;
	return 0;
}

/* Note that this CPU went idle: the gap in progress measures sleep, not lateness. */
SEC("tp_btf/sched_switch")
int BPF_PROG(irqdelay_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct id_state *st;
	__u32 zero = 0;

	if (next->pid)
		return 0;
	st = bpf_map_lookup_elem(&state, &zero);
	if (st)
		st->went_idle = 1;
	return 0;
}
