// SPDX-License-Identifier: GPL-2.0
/*
 * feat_highorder.c - high-order: stacks of page allocations of order >= N.
 *
 * On every successful page allocation (kmem:mm_page_alloc) of order at
 * least the setting, take the kernel stack (stack_trace_save(): the current
 * task's, which the allocating one is) and, with user=1, the user stack
 * (a frame-pointer walk from task_pt_regs(current) with
 * copy_from_user_nofault(), bounded to HLD_MAX_STACK frames), and count the
 * allocation in this CPU's table for the current generation, keyed by
 * process, comm, order and both stacks (open addressing on a hash of them,
 * preallocated at activation). An allocation that finds no row within
 * HO_PROBES is a drop, counted.
 *
 * The tables are written only by their CPU with interrupts off (an
 * interrupt that allocates pages would otherwise write the same table). A
 * report flips the generation, waits with synchronize_rcu() until no probe
 * still writes the old one, and copies the old one's rows out as struct
 * hld_highorder_record, zeroing them: each report holds exactly the
 * allocations made since the previous one.
 */
#define pr_fmt(fmt) "hld: " fmt

#include <linux/irqflags.h>
#include <linux/jhash.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>

#include "hld.h"

#define HO_BITS		8
#define HO_SLOTS	(1u << HO_BITS)	/* distinct stacks per CPU and generation */
#define HO_PROBES	16

struct ho_slot {
	u32 hash;
	u32 used;
	struct hld_highorder_record r;	/* the key (all but count), and the count */
};

/* One CPU's tables: written only on that CPU, with interrupts off. */
struct ho_cpu {
	struct ho_slot slots[2][HO_SLOTS];
	struct hld_highorder_record key;	/* the allocation being counted */
	unsigned long ips[HLD_MAX_STACK];	/* stack_trace_save()'s */
	u64 events;			/* allocations that passed the filters, since activation */
	u64 drop_full;			/* of them, not counted: no row */
};

static struct tracepoint *ho_tp_alloc;
static struct ho_cpu **ho_cpus;		/* [cpu], allocated at the first activation */
static struct hld_highorder_settings ho_set;
static unsigned int ho_gen;

/*
 * The kernel stack into @k, innermost first, from the allocator on: the
 * frames of this module (the probe) are left out.
 */
static void ho_kstack(struct ho_cpu *c, struct hld_highorder_record *k)
{
	unsigned int n = stack_trace_save(c->ips, HLD_MAX_STACK, 0), i = 0;

	while (i < n && within_module(c->ips[i], THIS_MODULE))
		i++;
	for (k->nr_kstack = 0; i < n; i++)
		k->kstack[k->nr_kstack++] = c->ips[i];
}

/*
 * The user stack into @k by frame pointers: the user ip, then the return
 * address of each frame while the chain goes up the stack and reads
 * without faulting. Nothing for a kernel thread or a task past exit_mm().
 */
static void ho_ustack(struct hld_highorder_record *k)
{
	struct pt_regs *regs;
	unsigned long fp;

	k->nr_ustack = 0;
	if ((current->flags & PF_KTHREAD) || !current->mm)
		return;
	k->flags |= HLD_HIGHORDER_USER;
	regs = task_pt_regs(current);
	k->ustack[k->nr_ustack++] = instruction_pointer(regs);
	fp = regs->bp;
	while (k->nr_ustack < HLD_MAX_STACK) {
		struct {
			unsigned long next, ret;
		} frame;

		if (!fp || (fp & (sizeof(long) - 1)) ||
		    copy_from_user_nofault(&frame, (const void __user *)fp, sizeof(frame)) ||
		    !frame.ret)
			break;
		k->ustack[k->nr_ustack++] = frame.ret;
		if (frame.next <= fp)
			break;
		fp = frame.next;
	}
}

static bool ho_same(const struct hld_highorder_record *a, const struct hld_highorder_record *b)
{
	return a->tgid == b->tgid && a->order == b->order && a->flags == b->flags &&
	       a->nr_kstack == b->nr_kstack && a->nr_ustack == b->nr_ustack &&
	       !memcmp(a->comm, b->comm, sizeof(a->comm)) &&
	       !memcmp(a->kstack, b->kstack, a->nr_kstack * sizeof(a->kstack[0])) &&
	       !memcmp(a->ustack, b->ustack, a->nr_ustack * sizeof(a->ustack[0]));
}

/* Count @c->key in generation @half: false if it found no row. Interrupts off. */
static bool ho_count(struct ho_cpu *c, unsigned int half)
{
	const struct hld_highorder_record *k = &c->key;
	u32 h, i;

	h = jhash(k->kstack, k->nr_kstack * sizeof(k->kstack[0]),
		  jhash_3words(k->tgid, k->order, k->nr_ustack, 0));
	h = jhash(k->ustack, k->nr_ustack * sizeof(k->ustack[0]), h);
	for (i = 0; i < HO_PROBES; i++) {
		struct ho_slot *s = &c->slots[half][(h + i) & (HO_SLOTS - 1)];

		if (s->used && s->hash == h && ho_same(&s->r, k)) {
			s->r.count++;
			return true;
		}
		if (!s->used) {
			s->used = 1;
			s->hash = h;
			s->r = *k;
			s->r.hdr.ts = ktime_get_ns();
			s->r.cpu = smp_processor_id();
			s->r.count = 1;
			return true;
		}
	}
	return false;
}

static void ho_probe_alloc(void *data, struct page *page, unsigned int order, gfp_t gfp,
			   int migratetype)
{
	struct hld_highorder_record *k;
	unsigned long flags;
	struct ho_cpu *c;

	if (!page || order < ho_set.order || (ho_set.tgid >= 0 && current->tgid != ho_set.tgid))
		return;
	local_irq_save(flags);
	c = ho_cpus[smp_processor_id()];
	c->events++;
	k = &c->key;
	k->tgid = current->tgid;
	k->order = order;
	k->flags = 0;
	memcpy(k->comm, current->comm, sizeof(k->comm));
	k->comm[sizeof(k->comm) - 1] = '\0';
	ho_kstack(c, k);
	k->nr_ustack = 0;
	if (ho_set.user)
		ho_ustack(k);
	if (!ho_count(c, READ_ONCE(ho_gen) & 1))
		c->drop_full++;
	local_irq_restore(flags);
}

static int ho_init(char *why, size_t len)
{
	ho_tp_alloc = hld_tracepoint("mm_page_alloc");
	if (!ho_tp_alloc) {
		snprintf(why, len, "the kernel has no kmem:mm_page_alloc tracepoint");
		return -ENODEV;
	}
	return 0;
}

/* The tables, at the first activation; kept to the end, for report(). */
static int ho_alloc(void)
{
	if (!ho_cpus)
		ho_cpus = (struct ho_cpu **)hld_cpu_tables_alloc(sizeof(struct ho_cpu));
	return ho_cpus ? 0 : -ENOMEM;
}

/* The ranges of harness/features.c: order 1-10, tgid -1-4194304, user 0/1. */
static int ho_check(const void *settings)
{
	const struct hld_highorder_settings *s = settings;

	if (s->order < 1 || s->order > 10 || s->tgid < -1 || s->tgid > 4194304 || s->user > 1)
		return -EINVAL;
	return 0;
}

/* Count from here on, keeping the rows not yet reported. */
static int ho_activate(const void *settings)
{
	int cpu, err;

	err = ho_alloc();
	if (err)
		return err;
	memcpy(&ho_set, settings, sizeof(ho_set));
	for_each_possible_cpu(cpu) {
		ho_cpus[cpu]->events = 0;
		ho_cpus[cpu]->drop_full = 0;
	}
	return tracepoint_probe_register(ho_tp_alloc, ho_probe_alloc, NULL);
}

static void ho_deactivate(void)
{
	tracepoint_probe_unregister(ho_tp_alloc, ho_probe_alloc, NULL);
	tracepoint_synchronize_unregister();
}

static void ho_exit(void)
{
	hld_cpu_tables_free((void **)ho_cpus);
	ho_cpus = NULL;
}

static u64 ho_report_max(void)
{
	return (u64)num_possible_cpus() * HO_SLOTS * sizeof(struct hld_highorder_record);
}

static int ho_report(void __user *buf, u64 len, u64 *written, u64 *records)
{
	unsigned int old;
	int cpu, err = 0;
	u32 i;

	if (!ho_cpus)
		return 0;
	old = ho_gen & 1;
	WRITE_ONCE(ho_gen, old ^ 1);
	synchronize_rcu();	/* no probe still counts into @old */
	for_each_possible_cpu(cpu) {
		for (i = 0; i < HO_SLOTS; i++) {
			struct ho_slot *s = &ho_cpus[cpu]->slots[old][i];

			if (!s->used)
				continue;
			s->r.hdr.type = HLD_REC_HIGHORDER;
			s->r.hdr.version = HLD_RECORD_VERSION;
			s->r.hdr.len = sizeof(s->r);
			if (!err && copy_to_user(buf + *written, &s->r, sizeof(s->r)))
				err = -EFAULT;
			if (!err) {
				*written += sizeof(s->r);
				(*records)++;
			}
			memset(s, 0, sizeof(*s));
		}
		cond_resched();
	}
	return err;
}

/* drops_cause[0]: not counted, the CPU's table had no row for the stack. */
static void ho_stats(struct hld_ioc_status *st)
{
	int cpu;

	if (!ho_cpus)
		return;
	for_each_possible_cpu(cpu) {
		st->events += READ_ONCE(ho_cpus[cpu]->events);
		st->drops_cause[0] += READ_ONCE(ho_cpus[cpu]->drop_full);
	}
	st->drops = st->drops_cause[0];
}

const struct hld_feature_ops hld_highorder_ops = {
	.settings_size = sizeof(struct hld_highorder_settings),
	.init = ho_init,
	.exit = ho_exit,
	.check = ho_check,
	.activate = ho_activate,
	.deactivate = ho_deactivate,
	.report_max = ho_report_max,
	.report = ho_report,
	.stats = ho_stats,
};
