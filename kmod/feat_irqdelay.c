// SPDX-License-Identifier: GPL-2.0
/*
 * feat_irqdelay.c - irq-delay: intervals in which a CPU did not service
 * its timer interrupt.
 *
 * Each online CPU gets its own hrtimer (CLOCK_MONOTONIC, absolute, pinned,
 * hard: its callback runs in the timer interrupt), due every period. The
 * callback knows when it was due: its lateness (now - expiry) is how long
 * the CPU did not service the timer interrupt that was due. Every tick goes
 * into this CPU's log2 histogram of lateness; a tick more than threshold
 * late is a late tick: one struct hld_irqdelay_record through hld_emit(),
 * with the gap since the previous tick, the task current when the tick
 * fired, and the kernel stack from stack_trace_save(), which runs through
 * the interrupt entry into the code that was interrupted. The timer then
 * moves on to the next period after now (missed periods are skipped).
 *
 * Bounded work in the callback: one stack of HLD_MAX_STACK frames at most,
 * one record; at most max_events records between two reports, the others
 * are counted as drops (so are records the ring buffer had no room for).
 *
 * Reports drain: the counters and the histogram exist once per generation;
 * the callback writes the current one, report() flips it, waits with
 * synchronize_rcu() (the callback runs with interrupts off) and copies the
 * old one out as struct hld_irqdelay_cpu_record, one per possible CPU,
 * zeroing it. CPU hotplug: a CPU that comes online later gets no timer; the
 * timer of a CPU going offline is migrated by the kernel and keeps counting
 * into its own CPU's row; deactivation cancels every timer.
 */
#define pr_fmt(fmt) "hld: " fmt

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/cpu.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "hld.h"

struct id_counts {
	u64 ticks, intervals, starts, late, max_gap, max_late;
	u64 hist[HLD_IRQDELAY_SLOTS];
};

struct id_cpu {
	struct hrtimer timer;
	u64 last;			/* the previous tick, 0: none this activation */
	struct id_counts g[2];		/* by generation */
	struct hld_irqdelay_record rec;	/* a late tick being built (hard IRQs do not nest) */
};

static struct id_cpu __percpu *id_cpus;	/* allocated at the first activation */
static struct hld_irqdelay_settings id_set;
static u64 id_period_ns, id_threshold_ns;
static unsigned int id_gen;
static u64 id_since;			/* start of the window: activation or last report */
static atomic64_t id_pending;		/* records emitted since the last report */
static atomic64_t id_events;		/* records emitted since activation */
static atomic64_t id_drop_cap;		/* late ticks over max_events */
static atomic64_t id_drop_ring;		/* late ticks the ring buffer had no room for */

/* The histogram slot of lateness @ns: 0 on time, k >= 1 for [2^(k-1), 2^k). */
static unsigned int id_slot(u64 ns)
{
	unsigned int k = fls64(ns);

	return k < HLD_IRQDELAY_SLOTS ? k : HLD_IRQDELAY_SLOTS - 1;
}

/* Record the late tick that fired @now after a gap of @gap, @late after it was due. */
static void id_late_tick(struct id_cpu *c, u64 now, u64 gap, u64 late)
{
	struct hld_irqdelay_record *r = &c->rec;

	if (atomic64_read(&id_pending) >= id_set.max_events) {
		atomic64_inc(&id_drop_cap);
		return;
	}
	memset(r, 0, sizeof(*r));
	r->hdr.type = HLD_REC_IRQDELAY;
	r->hdr.version = HLD_RECORD_VERSION;
	r->hdr.len = sizeof(*r);
	r->hdr.ts = now;
	r->gap_ns = gap;
	r->late_ns = late;
	r->cpu = smp_processor_id();
	r->pid = current->pid;
	r->tgid = current->tgid;
	memcpy(r->comm, current->comm, sizeof(r->comm));
	r->comm[sizeof(r->comm) - 1] = '\0';
	r->nr_kstack = stack_trace_save((unsigned long *)r->kstack, HLD_MAX_STACK, 0);
	if (!hld_emit(HLD_FEAT_irq_delay, r, sizeof(*r))) {
		atomic64_inc(&id_drop_ring);
		return;
	}
	atomic64_inc(&id_pending);
	atomic64_inc(&id_events);
}

/* One tick on this CPU: measure it, then move on to the next period after now. */
static enum hrtimer_restart id_tick(struct hrtimer *t)
{
	struct id_cpu *c = container_of(t, struct id_cpu, timer);
	struct id_counts *n = &c->g[READ_ONCE(id_gen) & 1];
	ktime_t now_kt = ktime_get();
	u64 now = ktime_to_ns(now_kt), due = ktime_to_ns(hrtimer_get_expires(t));
	u64 late = now > due ? now - due : 0, gap = 0;

	n->ticks++;
	if (c->last) {
		gap = now - c->last;
		n->intervals++;
		if (gap > n->max_gap)
			n->max_gap = gap;
	} else {
		n->starts++;
	}
	c->last = now;
	if (late > n->max_late)
		n->max_late = late;
	n->hist[id_slot(late)]++;
	if (late > id_threshold_ns) {
		n->late++;
		id_late_tick(c, now, gap, late);
	}
	hrtimer_forward(t, now_kt, ns_to_ktime(id_period_ns));
	return HRTIMER_RESTART;
}

/* On each online CPU (IPI, interrupts off): arm its timer one period from now. */
static void id_start_cpu(void *unused)
{
	struct id_cpu *c = this_cpu_ptr(id_cpus);

	c->last = 0;
	hrtimer_start(&c->timer, ktime_add_ns(ktime_get(), id_period_ns),
		      HRTIMER_MODE_ABS_PINNED_HARD);
}

static int id_check(const void *settings)
{
	const struct hld_irqdelay_settings *s = settings;

	if (s->period_us < 10 || s->period_us > 1000000)
		return -EINVAL;
	if (s->threshold_us > 10000000)
		return -EINVAL;
	if (s->max_events < 1 || s->max_events > 1000000)
		return -EINVAL;
	return 0;
}

/* The per-CPU state, at the first activation; kept to the end, for report(). */
static int id_alloc(void)
{
	int cpu;

	if (id_cpus)
		return 0;
	id_cpus = alloc_percpu(struct id_cpu);
	if (!id_cpus)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct id_cpu *c = per_cpu_ptr(id_cpus, cpu);

		hrtimer_init(&c->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_PINNED_HARD);
		c->timer.function = id_tick;
	}
	id_since = ktime_get_ns();
	return 0;
}

/* Arm a timer on every online CPU; the counters not yet reported stay. */
static int id_activate(const void *settings)
{
	int err;

	err = id_alloc();
	if (err)
		return err;
	memcpy(&id_set, settings, sizeof(id_set));
	id_period_ns = id_set.period_us * NSEC_PER_USEC;
	id_threshold_ns = id_set.threshold_us * NSEC_PER_USEC;
	atomic64_set(&id_events, 0);
	atomic64_set(&id_drop_cap, 0);
	atomic64_set(&id_drop_ring, 0);
	cpus_read_lock();
	on_each_cpu(id_start_cpu, NULL, 1);
	cpus_read_unlock();
	return 0;
}

/* Cancel every timer, waiting for a callback that runs. */
static void id_deactivate(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		hrtimer_cancel(&per_cpu_ptr(id_cpus, cpu)->timer);
}

static void id_exit(void)
{
	if (!id_cpus)
		return;
	id_deactivate();
	free_percpu(id_cpus);
	id_cpus = NULL;
}

static u64 id_report_max(void)
{
	return (u64)num_possible_cpus() * sizeof(struct hld_irqdelay_cpu_record);
}

static int id_report(void __user *buf, u64 len, u64 *written, u64 *records)
{
	struct hld_irqdelay_cpu_record r;
	unsigned int old;
	int cpu, err = 0;

	if (!id_cpus)
		return 0;
	old = id_gen & 1;
	WRITE_ONCE(id_gen, old ^ 1);
	synchronize_rcu();	/* no callback still counts into @old */
	for_each_possible_cpu(cpu) {
		struct id_counts *n = &per_cpu_ptr(id_cpus, cpu)->g[old];

		memset(&r, 0, sizeof(r));
		r.hdr.type = HLD_REC_IRQDELAY_CPU;
		r.hdr.version = HLD_RECORD_VERSION;
		r.hdr.len = sizeof(r);
		r.hdr.ts = id_since;
		r.cpu = cpu;
		r.ticks = n->ticks;
		r.intervals = n->intervals;
		r.starts = n->starts;
		r.late = n->late;
		r.max_gap_ns = n->max_gap;
		r.max_late_ns = n->max_late;
		memcpy(r.hist, n->hist, sizeof(r.hist));
		memset(n, 0, sizeof(*n));
		if (!err && copy_to_user(buf + *written, &r, sizeof(r)))
			err = -EFAULT;
		if (!err) {
			*written += sizeof(r);
			(*records)++;
		}
	}
	id_since = ktime_get_ns();
	atomic64_set(&id_pending, 0);	/* reported: out of the cap */
	return err;
}

static void id_stats(struct hld_ioc_status *st)
{
	st->events = atomic64_read(&id_events);
	st->drops_cause[0] = atomic64_read(&id_drop_cap);
	st->drops_cause[1] = atomic64_read(&id_drop_ring);
	st->drops = st->drops_cause[0] + st->drops_cause[1];
}

const struct hld_feature_ops hld_irqdelay_ops = {
	.streams = true,
	.settings_size = sizeof(struct hld_irqdelay_settings),
	.exit = id_exit,
	.check = id_check,
	.activate = id_activate,
	.deactivate = id_deactivate,
	.report_max = id_report_max,
	.report = id_report,
	.stats = id_stats,
};
