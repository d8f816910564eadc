// SPDX-License-Identifier: GPL-2.0
/*
 * irqstats.bpf.c - irq-stats: count and time of every hard IRQ, softirq and
 * timer callback, per CPU.
 *
 * Each *_entry tracepoint notes the time in a per-CPU slot; the matching
 * *_exit counts the event and adds the time since then. Slots are per kind
 * because the kinds nest: a hard IRQ (and a hard hrtimer in it) can
 * interrupt a softirq (and the timer callbacks it runs), but a kind never
 * nests in itself on one CPU. All counters are per-CPU maps, read and
 * summed by user space.
 *
 * Reports drain: every counter exists twice, once per generation (gen, 0
 * or 1, part of each key). Programs write only the current generation;
 * user space flips gen, waits for an RCU grace period (after which no
 * program still writes the old one), then reads and clears the old one.
 * An event is counted and timed in one update, at its exit, so that it
 * lands whole in one generation.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "hld_record.h"

char LICENSE[] SEC("license") = "GPL";

#define IRQSTATS_MAX_IRQS	1024
#define IRQSTATS_MAX_TIMERS	4096
#define IRQSTATS_NAME_LEN	32

/* What an entry program leaves for its exit program, per CPU and kind. */
struct slot {
	__u64 ts;		/* entry time, 0: none */
	__u64 fn;		/* timers: the callback, read at entry (the timer may be freed by it) */
};

/* Per-CPU entry slots. */
enum {
	SLOT_IRQ,
	SLOT_SOFTIRQ,
	SLOT_HRTIMER_HARD,
	SLOT_HRTIMER_SOFT,
	SLOT_TIMER,
	SLOT_VECTOR,
	SLOT__MAX,
};

__u64 nr_drops = 0;		/* events not counted: a hash was full */
__u32 gen = 0;			/* the generation programs write, flipped by user space */
__u64 since_ns = 0;		/* user space: CLOCK_MONOTONIC of the activation or last report */

/* The key of IRQ line @irq in generation @g of the irqs hash. */
#define IRQ_KEY(irq, g)	((__u32)(irq) | (__u32)(g) << 31)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLOT__MAX);
	__type(key, __u32);
	__type(value, struct slot);
} start SEC(".maps");

/* Hard IRQs by IRQ_KEY(): one count per handler run (per action on a shared line). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 2 * IRQSTATS_MAX_IRQS);
	__type(key, __u32);
	__type(value, struct hld_irqstats_val);
} irqs SEC(".maps");

/* The name of the first handler seen on each IRQ line. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IRQSTATS_MAX_IRQS);
	__type(key, __u32);
	__type(value, char[IRQSTATS_NAME_LEN]);
} irq_names SEC(".maps");

/* Softirqs by gen * HLD_IRQSTATS_NR_SOFTIRQS + vector number (HI .. RCU). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * HLD_IRQSTATS_NR_SOFTIRQS);
	__type(key, __u32);
	__type(value, struct hld_irqstats_val);
} softirqs SEC(".maps");

/* The x86 system vectors that /proc/interrupts lists by name, by gen * __MAX + vector. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * HLD_IRQSTATS_VEC__MAX);
	__type(key, __u32);
	__type(value, struct hld_irqstats_val);
} vectors SEC(".maps");

/* Timer callbacks by function and kind; the key's pad holds the generation. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 2 * IRQSTATS_MAX_TIMERS);
	__type(key, struct hld_irqstats_timer_key);
	__type(value, struct hld_irqstats_val);
} timers SEC(".maps");

/* Note the entry time (and for timers the callback @fn) in @slot. */
static __always_inline void enter(__u32 slot, __u64 fn)
{
	struct slot *e = bpf_map_lookup_elem(&start, &slot);

	if (e) {
		e->ts = bpf_ktime_get_ns();
		e->fn = fn;
	}
}

/*
 * Time since the entry noted in @slot, 0 if none (attached mid-event),
 * and the callback noted there in *@fn; clears the slot.
 */
static __always_inline __u64 elapsed(__u32 slot, __u64 *fn)
{
	struct slot *e = bpf_map_lookup_elem(&start, &slot);
	__u64 d;

	*fn = 0;
	if (!e || !e->ts)
		return 0;
	d = bpf_ktime_get_ns() - e->ts;
	*fn = e->fn;
	e->ts = 0;
	return d;
}

/* Count one event of @d ns in @v, or a drop if it has no slot. */
static __always_inline void account(struct hld_irqstats_val *v, __u64 d)
{
	if (!v) {
		__sync_fetch_and_add(&nr_drops, 1);
		return;
	}
	v->count++;
	v->time_ns += d;
}

/* The value of @key in the per-CPU hash @map, created if absent; NULL if full. */
static __always_inline struct hld_irqstats_val *hash_val(void *map, const void *key)
{
	struct hld_irqstats_val zero = {}, *v;

	v = bpf_map_lookup_elem(map, key);
	if (v)
		return v;
	bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

SEC("tp_btf/irq_handler_entry")
int BPF_PROG(irqstats_irq_entry, int irq, struct irqaction *action)
{
	__u32 key = irq;
	char name[IRQSTATS_NAME_LEN] = {};

	if (!bpf_map_lookup_elem(&irq_names, &key)) {
		bpf_probe_read_kernel_str(name, sizeof(name), action->name);
		bpf_map_update_elem(&irq_names, &key, name, BPF_NOEXIST);
	}
	enter(SLOT_IRQ, 0);
	return 0;
}

SEC("tp_btf/irq_handler_exit")
int BPF_PROG(irqstats_irq_exit, int irq, struct irqaction *action, int ret)
{
	__u32 key = IRQ_KEY(irq, gen & 1);

	__u64 fn;

	account(hash_val(&irqs, &key), elapsed(SLOT_IRQ, &fn));
	return 0;
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(irqstats_softirq_entry, unsigned int vec)
{
	enter(SLOT_SOFTIRQ, 0);
	return 0;
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(irqstats_softirq_exit, unsigned int vec)
{
	__u32 key = (gen & 1) * HLD_IRQSTATS_NR_SOFTIRQS + vec;
	__u64 fn;

	if (vec < HLD_IRQSTATS_NR_SOFTIRQS)
		account(bpf_map_lookup_elem(&softirqs, &key), elapsed(SLOT_SOFTIRQ, &fn));
	return 0;
}

/*
 * Count one run of a timer callback of @kind, which ends now; the callback
 * is the one noted at entry, or @fn if none was (attached mid-run).
 */
static __always_inline void timer_exit(__u64 fn, __u32 kind, __u32 slot)
{
	struct hld_irqstats_timer_key key = { .kind = kind, .gen = gen & 1 };
	__u64 d = elapsed(slot, &key.func);

	if (!key.func)
		key.func = fn;
	account(hash_val(&timers, &key), d);
}

SEC("tp_btf/hrtimer_expire_entry")
int BPF_PROG(irqstats_hrtimer_entry, struct hrtimer *t, ktime_t *now)
{
	enter(t->is_soft ? SLOT_HRTIMER_SOFT : SLOT_HRTIMER_HARD, (__u64)t->function);
	return 0;
}

SEC("tp_btf/hrtimer_expire_exit")
int BPF_PROG(irqstats_hrtimer_exit, struct hrtimer *t)
{
	timer_exit((__u64)t->function, HLD_IRQSTATS_HRTIMER,
		   t->is_soft ? SLOT_HRTIMER_SOFT : SLOT_HRTIMER_HARD);
	return 0;
}

SEC("tp_btf/timer_expire_entry")
int BPF_PROG(irqstats_timer_entry, struct timer_list *t, unsigned long baseclk)
{
	enter(SLOT_TIMER, (__u64)t->function);
	return 0;
}

SEC("tp_btf/timer_expire_exit")
int BPF_PROG(irqstats_timer_exit, struct timer_list *t)
{
	/* The callback may have freed @t: its function was read at entry. */
	timer_exit(0, HLD_IRQSTATS_TIMER_LIST, SLOT_TIMER);
	return 0;
}

/* Count one run of system vector @vec (enum hld_irqstats_vector), which ends now. */
static __always_inline void vector_exit(__u32 vec)
{
	__u32 key = (gen & 1) * HLD_IRQSTATS_VEC__MAX + vec;
	__u64 fn;

	account(bpf_map_lookup_elem(&vectors, &key), elapsed(SLOT_VECTOR, &fn));
}

SEC("tp_btf/local_timer_entry")
int BPF_PROG(irqstats_loc_entry, int vector)
{
	enter(SLOT_VECTOR, 0);
	return 0;
}

SEC("tp_btf/local_timer_exit")
int BPF_PROG(irqstats_loc_exit, int vector)
{
	vector_exit(HLD_IRQSTATS_VEC_LOC);
	return 0;
}

SEC("tp_btf/reschedule_entry")
int BPF_PROG(irqstats_res_entry, int vector)
{
	enter(SLOT_VECTOR, 0);
	return 0;
}

SEC("tp_btf/reschedule_exit")
int BPF_PROG(irqstats_res_exit, int vector)
{
	vector_exit(HLD_IRQSTATS_VEC_RES);
	return 0;
}

SEC("tp_btf/call_function_entry")
int BPF_PROG(irqstats_cal_entry, int vector)
{
	enter(SLOT_VECTOR, 0);
	return 0;
}

SEC("tp_btf/call_function_exit")
int BPF_PROG(irqstats_cal_exit, int vector)
{
	vector_exit(HLD_IRQSTATS_VEC_CAL);
	return 0;
}

SEC("tp_btf/call_function_single_entry")
int BPF_PROG(irqstats_cal1_entry, int vector)
{
	enter(SLOT_VECTOR, 0);
	return 0;
}

SEC("tp_btf/call_function_single_exit")
int BPF_PROG(irqstats_cal1_exit, int vector)
{
	vector_exit(HLD_IRQSTATS_VEC_CAL);
	return 0;
}
