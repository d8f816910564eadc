// SPDX-License-Identifier: GPL-2.0
/*
 * feat_irqstats.c - irq-stats: count and time of every hard IRQ, x86
 * system vector (LOC, RES, CAL), softirq and timer callback, per CPU.
 *
 * The entry tracepoint of each kind notes the time in this CPU's slot of
 * that kind (for a timer also its callback: a timer_list callback may free
 * its timer, so the exit probe must not read it); the exit tracepoint
 * counts the event and adds the time since then, in one update, into this
 * CPU's table of the current generation. The kinds nest (a hard IRQ or a
 * hard hrtimer can interrupt a softirq and the timer callbacks it runs),
 * no kind nests in itself, so one slot per kind suffices. The timer hash
 * is shared by hard and soft callbacks: its updates run with interrupts
 * off. An exit without an entry (registered mid-event) counts with no
 * time; an IRQ number over IS_MAX_IRQS or a timer that finds no slot
 * within IS_PROBES is a drop.
 *
 * A report flips the generation, waits with synchronize_rcu() until no
 * probe still writes the old one (probes run with preemption disabled),
 * and copies the old one's rows out as struct hld_irqstats_record, zeroing
 * them: each report holds exactly the events since the previous one.
 */
#define pr_fmt(fmt) "hld: " fmt

#include <linux/atomic.h>
#include <linux/hash.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/ktime.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>

#include "hld.h"

#define IS_MAX_IRQS	1024
#define IS_TIMER_BITS	12
#define IS_TIMER_SLOTS	(1u << IS_TIMER_BITS)	/* timer functions per CPU and generation */
#define IS_PROBES	16

/* Entry slots, one per kind. */
enum { IS_SLOT_IRQ, IS_SLOT_SOFTIRQ, IS_SLOT_HRTIMER_HARD, IS_SLOT_HRTIMER_SOFT, IS_SLOT_TIMER,
       IS_SLOT_VECTOR, IS_SLOT__MAX };

struct is_slot {
	u64 ts;				/* entry time, 0: none */
	u64 fn;				/* timers: the callback, read at entry */
};

struct is_timer {
	u64 fn;				/* 0: a timer_list run whose entry was missed */
	u32 kind;			/* enum hld_irqstats_timer_kind */
	u32 used;			/* 0: empty */
	struct hld_irqstats_val v;
};

/* One CPU's tables: written only on that CPU. */
struct is_cpu {
	struct is_slot slots[IS_SLOT__MAX];
	struct hld_irqstats_val irqs[2][IS_MAX_IRQS];
	struct hld_irqstats_val vectors[2][HLD_IRQSTATS_VEC__MAX];
	struct hld_irqstats_val softirqs[2][HLD_IRQSTATS_NR_SOFTIRQS];
	struct is_timer timers[2][IS_TIMER_SLOTS];
	char irq_names[IS_MAX_IRQS][HLD_IRQSTATS_NAME_LEN];	/* first handler seen here */
	u64 events;			/* counted since activation */
	u64 drop_irq;			/* IRQ number over IS_MAX_IRQS */
	u64 drop_timer;			/* timer hash full */
};

/* A tracepoint and the probe registered on it. */
struct is_probe {
	const char *name;
	void *fn;
	struct tracepoint *tp;
};

static struct is_cpu **is_cpus;		/* [cpu], allocated at the first activation */
static unsigned int is_gen;
static u64 is_since;			/* start of the window: activation or last report */

static struct is_cpu *is_this(void)
{
	return is_cpus[smp_processor_id()];
}

static void is_enter(unsigned int slot, u64 fn)
{
	struct is_slot *s = &is_this()->slots[slot];

	s->fn = fn;
	WRITE_ONCE(s->ts, ktime_get_ns());
}

/* Time since the entry noted in @slot (0 if none) and its callback in *@fn; clears it. */
static u64 is_elapsed(struct is_cpu *c, unsigned int slot, u64 *fn)
{
	struct is_slot *s = &c->slots[slot];
	u64 ts = s->ts;

	*fn = 0;
	if (!ts)
		return 0;
	*fn = s->fn;
	s->ts = 0;
	return ktime_get_ns() - ts;
}

static void is_add(struct is_cpu *c, struct hld_irqstats_val *v, u64 ns)
{
	c->events++;
	v->count++;
	v->time_ns += ns;
}

static unsigned int is_half(void)
{
	return READ_ONCE(is_gen) & 1;
}

static void is_irq_entry(void *data, int irq, struct irqaction *action)
{
	struct is_cpu *c = is_this();

	if (irq >= 0 && irq < IS_MAX_IRQS && !c->irq_names[irq][0] && action && action->name)
		strscpy(c->irq_names[irq], action->name, HLD_IRQSTATS_NAME_LEN);
	is_enter(IS_SLOT_IRQ, 0);
}

static void is_irq_exit(void *data, int irq, struct irqaction *action, int ret)
{
	struct is_cpu *c = is_this();
	u64 fn, ns = is_elapsed(c, IS_SLOT_IRQ, &fn);

	if (irq < 0 || irq >= IS_MAX_IRQS) {
		c->drop_irq++;
		return;
	}
	is_add(c, &c->irqs[is_half()][irq], ns);
}

static void is_softirq_entry(void *data, unsigned int vec)
{
	is_enter(IS_SLOT_SOFTIRQ, 0);
}

static void is_softirq_exit(void *data, unsigned int vec)
{
	struct is_cpu *c = is_this();
	unsigned long flags;
	u64 fn, ns;

	if (vec >= HLD_IRQSTATS_NR_SOFTIRQS)
		return;
	local_irq_save(flags);		/* events is shared with the hard IRQ probes */
	ns = is_elapsed(c, IS_SLOT_SOFTIRQ, &fn);
	is_add(c, &c->softirqs[is_half()][vec], ns);
	local_irq_restore(flags);
}

/*
 * Count one run of a timer callback of @kind ending now; the callback is
 * the one noted at entry, or @fn if none was (registered mid-run).
 */
static void is_timer_exit(unsigned int slot, u32 kind, u64 fn)
{
	struct is_cpu *c = is_this();
	struct is_timer *t, *table;
	unsigned long flags;
	u64 noted, ns;
	u32 h, i;

	local_irq_save(flags);
	table = c->timers[is_half()];	/* one generation for the whole lookup */
	ns = is_elapsed(c, slot, &noted);
	if (noted)
		fn = noted;
	h = hash_64(fn ^ kind, IS_TIMER_BITS);
	for (i = 0; i < IS_PROBES; i++) {
		t = &table[(h + i) & (IS_TIMER_SLOTS - 1)];
		if (!t->used) {
			t->fn = fn;
			t->kind = kind;
			t->used = 1;
			break;
		}
		if (t->fn == fn && t->kind == kind)
			break;
	}
	if (i == IS_PROBES)
		c->drop_timer++;
	else
		is_add(c, &t->v, ns);
	local_irq_restore(flags);
}

static void is_hrtimer_entry(void *data, struct hrtimer *t, ktime_t *now)
{
	is_enter(t->is_soft ? IS_SLOT_HRTIMER_SOFT : IS_SLOT_HRTIMER_HARD,
		 (unsigned long)t->function);
}

static void is_hrtimer_exit(void *data, struct hrtimer *t)
{
	is_timer_exit(t->is_soft ? IS_SLOT_HRTIMER_SOFT : IS_SLOT_HRTIMER_HARD,
		      HLD_IRQSTATS_HRTIMER, (unsigned long)t->function);
}

static void is_timer_entry(void *data, struct timer_list *t, unsigned long baseclk)
{
	is_enter(IS_SLOT_TIMER, (unsigned long)t->function);
}

static void is_timer_list_exit(void *data, struct timer_list *t)
{
	/* The callback may have freed @t: its function was read at entry. */
	is_timer_exit(IS_SLOT_TIMER, HLD_IRQSTATS_TIMER_LIST, 0);
}

static void is_vector_entry(void *data, int vector)
{
	is_enter(IS_SLOT_VECTOR, 0);
}

static void is_vector_exit(unsigned int vec)
{
	struct is_cpu *c = is_this();
	u64 fn, ns = is_elapsed(c, IS_SLOT_VECTOR, &fn);

	is_add(c, &c->vectors[is_half()][vec], ns);
}

static void is_loc_exit(void *data, int vector)
{
	is_vector_exit(HLD_IRQSTATS_VEC_LOC);
}

static void is_res_exit(void *data, int vector)
{
	is_vector_exit(HLD_IRQSTATS_VEC_RES);
}

static void is_cal_exit(void *data, int vector)
{
	is_vector_exit(HLD_IRQSTATS_VEC_CAL);
}

/* Exits first, entries last (registration order), so that no entry is left without its exit. */
static struct is_probe is_probes[] = {
	{ "irq_handler_exit", is_irq_exit },
	{ "softirq_exit", is_softirq_exit },
	{ "hrtimer_expire_exit", is_hrtimer_exit },
	{ "timer_expire_exit", is_timer_list_exit },
	{ "local_timer_exit", is_loc_exit },
	{ "reschedule_exit", is_res_exit },
	{ "call_function_exit", is_cal_exit },
	{ "call_function_single_exit", is_cal_exit },
	{ "irq_handler_entry", is_irq_entry },
	{ "softirq_entry", is_softirq_entry },
	{ "hrtimer_expire_entry", is_hrtimer_entry },
	{ "timer_expire_entry", is_timer_entry },
	{ "local_timer_entry", is_vector_entry },
	{ "reschedule_entry", is_vector_entry },
	{ "call_function_entry", is_vector_entry },
	{ "call_function_single_entry", is_vector_entry },
};

static int is_init(char *why, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(is_probes); i++) {
		is_probes[i].tp = hld_tracepoint(is_probes[i].name);
		if (!is_probes[i].tp) {
			snprintf(why, len, "the kernel has no %s tracepoint", is_probes[i].name);
			return -ENODEV;
		}
	}
	return 0;
}

/* The tables, at the first activation; kept to the end, for report(). */
static int is_alloc(void)
{
	if (is_cpus)
		return 0;
	is_cpus = (struct is_cpu **)hld_cpu_tables_alloc(sizeof(struct is_cpu));
	if (!is_cpus)
		return -ENOMEM;
	is_since = ktime_get_ns();
	return 0;
}

static int is_check(const void *settings)
{
	const struct hld_irqstats_settings *s = settings;

	return s->top_timers < 1 || s->top_timers > 100000 ? -EINVAL : 0;
}

/* Unregister the first @n probes of is_probes[] and wait until none runs. */
static void is_unregister(size_t n)
{
	while (n--)
		tracepoint_probe_unregister(is_probes[n].tp, is_probes[n].fn, NULL);
	tracepoint_synchronize_unregister();
}

/* Count from clean entry slots, keeping the rows not yet reported. */
static int is_activate(const void *settings)
{
	size_t i;
	int cpu, err;

	err = is_alloc();
	if (err)
		return err;
	for_each_possible_cpu(cpu) {
		struct is_cpu *c = is_cpus[cpu];

		memset(c->slots, 0, sizeof(c->slots));
		c->events = 0;
		c->drop_irq = 0;
		c->drop_timer = 0;
	}
	for (i = 0; i < ARRAY_SIZE(is_probes); i++) {
		err = tracepoint_probe_register(is_probes[i].tp, is_probes[i].fn, NULL);
		if (err) {
			is_unregister(i);
			return err;
		}
	}
	return 0;
}

static void is_deactivate(void)
{
	is_unregister(ARRAY_SIZE(is_probes));
}

static void is_exit(void)
{
	hld_cpu_tables_free((void **)is_cpus);
	is_cpus = NULL;
}

static u64 is_report_max(void)
{
	return (u64)num_possible_cpus() *
	       (IS_MAX_IRQS + HLD_IRQSTATS_VEC__MAX + HLD_IRQSTATS_NR_SOFTIRQS + IS_TIMER_SLOTS) *
	       sizeof(struct hld_irqstats_record);
}

/* Copy one row out, and zero @v; -EFAULT if the user buffer is bad (the rest still zeroed). */
static int is_put(void __user *buf, u64 *written, u64 *records, struct hld_irqstats_record *r,
		  struct hld_irqstats_val *v, int err)
{
	r->hdr.type = HLD_REC_IRQSTATS;
	r->hdr.version = HLD_RECORD_VERSION;
	r->hdr.len = sizeof(*r);
	r->hdr.ts = is_since;
	r->count = v->count;
	r->time_ns = v->time_ns;
	memset(v, 0, sizeof(*v));
	if (err)
		return err;
	if (copy_to_user(buf + *written, r, sizeof(*r)))
		return -EFAULT;
	*written += sizeof(*r);
	(*records)++;
	return 0;
}

/* Drain one CPU's generation @old. */
static int is_report_cpu(void __user *buf, u64 *written, u64 *records, int cpu,
			 unsigned int old, int err)
{
	struct is_cpu *c = is_cpus[cpu];
	struct hld_irqstats_record r;
	u32 i;

	for (i = 0; i < IS_MAX_IRQS; i++) {
		if (!c->irqs[old][i].count)
			continue;
		memset(&r, 0, sizeof(r));
		r.table = HLD_IRQSTATS_T_IRQ;
		r.cpu = cpu;
		r.id = i;
		memcpy(r.name, c->irq_names[i], sizeof(r.name));
		r.name[sizeof(r.name) - 1] = '\0';
		err = is_put(buf, written, records, &r, &c->irqs[old][i], err);
	}
	for (i = 0; i < HLD_IRQSTATS_VEC__MAX; i++) {
		memset(&r, 0, sizeof(r));
		r.table = HLD_IRQSTATS_T_VECTOR;
		r.cpu = cpu;
		r.id = i;
		err = is_put(buf, written, records, &r, &c->vectors[old][i], err);
	}
	for (i = 0; i < HLD_IRQSTATS_NR_SOFTIRQS; i++) {
		memset(&r, 0, sizeof(r));
		r.table = HLD_IRQSTATS_T_SOFTIRQ;
		r.cpu = cpu;
		r.id = i;
		err = is_put(buf, written, records, &r, &c->softirqs[old][i], err);
	}
	for (i = 0; i < IS_TIMER_SLOTS; i++) {
		struct is_timer *t = &c->timers[old][i];

		if (!t->used)
			continue;
		memset(&r, 0, sizeof(r));
		r.table = HLD_IRQSTATS_T_TIMER;
		r.cpu = cpu;
		r.id = t->fn;
		r.kind = t->kind;
		err = is_put(buf, written, records, &r, &t->v, err);
		memset(t, 0, sizeof(*t));
	}
	return err;
}

static int is_report(void __user *buf, u64 len, u64 *written, u64 *records)
{
	unsigned int old;
	int cpu, err = 0;

	if (!is_cpus)
		return 0;
	old = is_gen & 1;
	WRITE_ONCE(is_gen, old ^ 1);
	synchronize_rcu();	/* no probe still counts into @old */
	for_each_possible_cpu(cpu) {
		err = is_report_cpu(buf, written, records, cpu, old, err);
		cond_resched();
	}
	is_since = ktime_get_ns();
	return err;
}

static void is_stats(struct hld_ioc_status *st)
{
	int cpu;

	if (!is_cpus)
		return;
	for_each_possible_cpu(cpu) {
		st->events += READ_ONCE(is_cpus[cpu]->events);
		st->drops_cause[0] += READ_ONCE(is_cpus[cpu]->drop_irq);
		st->drops_cause[1] += READ_ONCE(is_cpus[cpu]->drop_timer);
	}
	st->drops = st->drops_cause[0] + st->drops_cause[1];
}

const struct hld_feature_ops hld_irqstats_ops = {
	.settings_size = sizeof(struct hld_irqstats_settings),
	.init = is_init,
	.exit = is_exit,
	.check = is_check,
	.activate = is_activate,
	.deactivate = is_deactivate,
	.report_max = is_report_max,
	.report = is_report,
	.stats = is_stats,
};
