// SPDX-License-Identifier: GPL-2.0
/*
 * feat_alloctop.c - alloc-top: pages allocated per process.
 *
 * On every successful page allocation (kmem:mm_page_alloc) add 1 << order
 * pages and one allocation to the current process's row in this CPU's
 * table for the current generation (open addressing keyed by tgid,
 * preallocated at activation), and to the CPU's totals. A process that
 * finds no row within AT_PROBES is counted in the totals only (a drop of
 * the per-process view). sched_process_exec renames the process's row on
 * that CPU (creating it if need be): user space names a process from its
 * most recently named row, so an exec'd child is not left with its
 * parent's name.
 *
 * The tables are written only by their CPU with interrupts off (an
 * interrupt that allocates pages charges the task it interrupted, into the
 * same table). A report flips the generation, waits with synchronize_rcu()
 * until no probe still writes the old one, and copies the old one's rows
 * out as struct hld_alloctop_record, zeroing them: each report holds
 * exactly the allocations made since the previous one.
 */
#define pr_fmt(fmt) "hld: " fmt

#include <linux/hash.h>
#include <linux/irqflags.h>
#include <linux/ktime.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>

#include "hld.h"

#define AT_BITS		11
#define AT_SLOTS	(1u << AT_BITS)	/* processes per CPU and generation */
#define AT_PROBES	32

struct at_slot {
	u32 tgid;			/* 0: empty (the idle task allocates as tgid 0) */
	u32 used;
	u64 pages, allocs;
	u64 name_ts;			/* when comm was taken */
	char comm[HLD_COMM_LEN];
};

/* One CPU's tables: written only on that CPU, with interrupts off. */
struct at_cpu {
	struct at_slot slots[2][AT_SLOTS];
	u64 pages[2], allocs[2];	/* every allocation of the generation */
	u64 events;			/* allocations since activation */
	u64 drop_proc;			/* of them, missing from the per-process view */
};

static struct tracepoint *at_tp_alloc, *at_tp_exec;
static struct at_cpu **at_cpus;		/* [cpu], allocated at the first activation */
static struct hld_alloctop_settings at_set;
static unsigned int at_gen;

static void at_name(struct at_slot *s)
{
	strscpy_pad(s->comm, current->comm, sizeof(s->comm));
	s->name_ts = ktime_get_ns();
}

/*
 * The current process's row in this CPU's table for generation @half,
 * claimed if it has none (named then), or NULL when the probes found no
 * room. Interrupts off.
 */
static struct at_slot *at_slot(struct at_cpu *c, unsigned int half, u32 tgid)
{
	u32 h = hash_32(tgid, AT_BITS), i;

	for (i = 0; i < AT_PROBES; i++) {
		struct at_slot *s = &c->slots[half][(h + i) & (AT_SLOTS - 1)];

		if (s->used && s->tgid == tgid)
			return s;
		if (!s->used) {
			s->used = 1;
			s->tgid = tgid;
			at_name(s);
			return s;
		}
	}
	return NULL;
}

static void at_probe_alloc(void *data, struct page *page, unsigned int order, gfp_t gfp,
			   int migratetype)
{
	u32 tgid = current->tgid;
	unsigned long flags;
	unsigned int half;
	struct at_slot *s;
	struct at_cpu *c;
	u64 pages;

	if (!page || (at_set.tgid >= 0 && tgid != at_set.tgid))
		return;
	pages = 1ull << (order & 31);
	local_irq_save(flags);
	c = at_cpus[smp_processor_id()];
	half = READ_ONCE(at_gen) & 1;
	c->events++;
	c->pages[half] += pages;
	c->allocs[half]++;
	s = at_slot(c, half, tgid);
	if (s) {
		s->pages += pages;
		s->allocs++;
	} else {
		c->drop_proc++;
	}
	local_irq_restore(flags);
}

/* An exec renames the process: its row on this CPU takes the new comm. */
static void at_probe_exec(void *data, struct task_struct *p, pid_t old_pid,
			  struct linux_binprm *bprm)
{
	u32 tgid = current->tgid;
	unsigned long flags;
	struct at_slot *s;

	if (at_set.tgid >= 0 && tgid != at_set.tgid)
		return;
	local_irq_save(flags);
	s = at_slot(at_cpus[smp_processor_id()], READ_ONCE(at_gen) & 1, tgid);
	if (s)
		at_name(s);
	local_irq_restore(flags);
}

static int at_init(char *why, size_t len)
{
	at_tp_alloc = hld_tracepoint("mm_page_alloc");
	at_tp_exec = hld_tracepoint("sched_process_exec");
	if (!at_tp_alloc || !at_tp_exec) {
		snprintf(why, len, "the kernel has no %s tracepoint",
			 at_tp_alloc ? "sched_process_exec" : "kmem:mm_page_alloc");
		return -ENODEV;
	}
	return 0;
}

/* The tables, at the first activation; kept to the end, for report(). */
static int at_alloc(void)
{
	if (!at_cpus)
		at_cpus = (struct at_cpu **)hld_cpu_tables_alloc(sizeof(struct at_cpu));
	return at_cpus ? 0 : -ENOMEM;
}

/* The ranges of harness/features.c: top 1-100000, tgid -1-4194304. */
static int at_check(const void *settings)
{
	const struct hld_alloctop_settings *s = settings;

	if (s->top < 1 || s->top > 100000 || s->tgid < -1 || s->tgid > 4194304)
		return -EINVAL;
	return 0;
}

/* Count from here on, keeping the rows not yet reported. */
static int at_activate(const void *settings)
{
	int cpu, err;

	err = at_alloc();
	if (err)
		return err;
	memcpy(&at_set, settings, sizeof(at_set));
	for_each_possible_cpu(cpu) {
		at_cpus[cpu]->events = 0;
		at_cpus[cpu]->drop_proc = 0;
	}
	err = tracepoint_probe_register(at_tp_exec, at_probe_exec, NULL);
	if (err)
		return err;
	err = tracepoint_probe_register(at_tp_alloc, at_probe_alloc, NULL);
	if (err) {
		tracepoint_probe_unregister(at_tp_exec, at_probe_exec, NULL);
		tracepoint_synchronize_unregister();
	}
	return err;
}

static void at_deactivate(void)
{
	tracepoint_probe_unregister(at_tp_alloc, at_probe_alloc, NULL);
	tracepoint_probe_unregister(at_tp_exec, at_probe_exec, NULL);
	tracepoint_synchronize_unregister();
}

static void at_exit(void)
{
	hld_cpu_tables_free((void **)at_cpus);
	at_cpus = NULL;
}

/* Every row of every CPU, and one totals row per CPU. */
static u64 at_report_max(void)
{
	return (u64)num_possible_cpus() * (AT_SLOTS + 1) * sizeof(struct hld_alloctop_record);
}

/* Copy one row out; -EFAULT if the user buffer is bad. */
static int at_put(void __user *buf, u64 *written, u64 *records, struct hld_alloctop_record *r)
{
	r->hdr.type = HLD_REC_ALLOCTOP;
	r->hdr.version = HLD_RECORD_VERSION;
	r->hdr.len = sizeof(*r);
	if (copy_to_user(buf + *written, r, sizeof(*r)))
		return -EFAULT;
	*written += sizeof(*r);
	(*records)++;
	return 0;
}

static int at_report(void __user *buf, u64 len, u64 *written, u64 *records)
{
	struct hld_alloctop_record r;
	unsigned int old;
	int cpu, err = 0;
	u32 i;

	if (!at_cpus)
		return 0;
	old = at_gen & 1;
	WRITE_ONCE(at_gen, old ^ 1);
	synchronize_rcu();	/* no probe still counts into @old */
	for_each_possible_cpu(cpu) {
		struct at_cpu *c = at_cpus[cpu];

		for (i = 0; i < AT_SLOTS; i++) {
			struct at_slot *s = &c->slots[old][i];

			if (!s->used)
				continue;
			memset(&r, 0, sizeof(r));
			r.hdr.ts = s->name_ts;
			r.tgid = s->tgid;
			r.cpu = cpu;
			r.pages = s->pages;
			r.allocs = s->allocs;
			memcpy(r.comm, s->comm, sizeof(r.comm));
			if (!err)
				err = at_put(buf, written, records, &r);
			memset(s, 0, sizeof(*s));
		}
		if (c->allocs[old]) {
			memset(&r, 0, sizeof(r));
			r.cpu = cpu;
			r.flags = HLD_ALLOCTOP_TOTAL;
			r.pages = c->pages[old];
			r.allocs = c->allocs[old];
			if (!err)
				err = at_put(buf, written, records, &r);
		}
		c->pages[old] = 0;
		c->allocs[old] = 0;
		cond_resched();
	}
	return err;
}

static void at_stats(struct hld_ioc_status *st)
{
	int cpu;

	if (!at_cpus)
		return;
	for_each_possible_cpu(cpu) {
		st->events += READ_ONCE(at_cpus[cpu]->events);
		st->drops_cause[0] += READ_ONCE(at_cpus[cpu]->drop_proc);
	}
	st->drops = st->drops_cause[0];
}

const struct hld_feature_ops hld_alloctop_ops = {
	.settings_size = sizeof(struct hld_alloctop_settings),
	.init = at_init,
	.exit = at_exit,
	.check = at_check,
	.activate = at_activate,
	.deactivate = at_deactivate,
	.report_max = at_report_max,
	.report = at_report,
	.stats = at_stats,
};
