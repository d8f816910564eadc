// SPDX-License-Identifier: GPL-2.0
/*
 * irqdelay.bpf.c - irq-delay: intervals in which a CPU did not service its
 * timer interrupt.
 *
 * User space arms a cpu-clock perf event per CPU: an hrtimer that is due
 * every period_ns. Each expiry of that hrtimer is seen at
 * tp_btf/hrtimer_expire_entry, which knows when it was due: its lateness
 * (now - expires) is how long the CPU did not service the timer interrupt
 * that was due. Every tick goes into a per-CPU log2 histogram of lateness;
 * a tick more than threshold_ns late is a late tick: one record, with the
 * gap since the previous tick, the task current when the tick finally
 * fired and the kernel stack, through the interrupt entry into the code
 * that was running (with interrupts off until just now, for a real stall).
 *
 * Lateness, not the gap between ticks, decides: a gap also grows when the
 * timer was not due (perf stops the cpu-clock hrtimer of an idle CPU here:
 * one idle CPU delivered no ticks until it woke) and when a tick is not
 * seen, but neither makes a tick late.
 *
 * Which hrtimer is ours: the perf_event program runs inside our timer's
 * callback, right after hrtimer_expire_entry saw it, so it takes the timer
 * that entry noted as expiring on its CPU. The measurement itself is not
 * done in the perf_event program, because the kernel skips a perf_event
 * program whenever another BPF context is active on the CPU (bpf_prog_active,
 * raised by map syscalls, for one): such a skip would lose the tick. Skips
 * are counted.
 *
 * Everything runs in the kernel: the perf events and programs need no
 * process, so a pinned activation keeps measuring on its own. Reports
 * drain: the counters and the histogram exist once per generation (gen,
 * 0 or 1); programs write the current one, user space flips gen, waits for
 * a grace period and reads and clears the other. The per-CPU state that
 * links one tick to the next is not per generation.
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
	__u64 expiring;		/* the hard hrtimer whose expiry was seen last */
	__u64 timer;		/* our cpu-clock hrtimer, 0: not known yet */
	__u64 perf_due;		/* 1: our timer expired, its perf_event program has not run */
};

/* Per CPU and generation: the counters. */
struct id_cpu {
	__u64 ticks;		/* firings of the timer */
	__u64 intervals;	/* gaps measured (ticks after the first of each phase) */
	__u64 starts;		/* ticks with no previous one (first of a phase): ticks - intervals */
	__u64 late;		/* ticks that fired more than threshold_ns after they were due */
	__u64 max_gap;		/* longest time between two ticks */
	__u64 max_late;		/* largest lateness (now - expires) */
	__u64 perf_skips;	/* expiries whose perf_event program the kernel skipped */
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
 * Lateness histogram (now - expires of each tick), at gen *
 * HLD_IRQDELAY_SLOTS + slot: slot 0 on time, slot k >= 1 late by
 * [2^(k-1), 2^k) ns.
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
static __always_inline void late_tick(void *ctx, __u64 now, __u64 gap, __u64 late)
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
	r->late_ns = late;
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

/* One tick of our timer on this CPU, due at @expires, firing @now. */
static __always_inline void tick(void *ctx, struct id_state *st, __u64 now, __u64 expires)
{
	__u64 gap = 0, late = now > expires ? now - expires : 0, *h;
	__u32 g = gen & 1, slot;
	struct id_cpu *c;

	c = bpf_map_lookup_elem(&cpus, &g);
	if (!c)
		return;
	c->ticks++;
	if (st->perf_due)
		c->perf_skips++;
	st->perf_due = 1;
	if (st->last) {		/* same CPU, monotonic clock: now >= last */
		gap = now - st->last;
		c->intervals++;
		if (gap > c->max_gap)
			c->max_gap = gap;
	} else {
		c->starts++;
	}
	st->last = now;
	if (late > c->max_late)
		c->max_late = late;
	slot = g * HLD_IRQDELAY_SLOTS + slot_of(late);
	h = bpf_map_lookup_elem(&hist, &slot);
	if (h)
		(*h)++;
	if (late > threshold_ns) {
		c->late++;
		late_tick(ctx, now, gap, late);
	}
}

/* Every hard hrtimer expiry: note which one expires; measure it if it is ours. */
SEC("tp_btf/hrtimer_expire_entry")
int BPF_PROG(irqdelay_expire, struct hrtimer *t, ktime_t *now)
{
	struct id_state *st;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&state, &zero);
	if (!st)
		return 0;
	st->expiring = (__u64)t;
	if (st->timer && st->timer == (__u64)t)
		tick(ctx, st, bpf_ktime_get_ns(), t->node.expires);
	return 0;
}

/* Runs inside our timer's callback: the timer expiring on this CPU is ours. */
SEC("perf_event")
int irqdelay_tick(struct bpf_perf_event_data *ctx)
{
	struct id_state *st;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&state, &zero);
	if (!st)
		return 0;
	st->timer = st->expiring;
	st->perf_due = 0;
	return 0;
}
