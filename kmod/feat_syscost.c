// SPDX-License-Identifier: GPL-2.0
/*
 * feat_syscost.c - sys-cost: count and time every system call.
 *
 * sys_enter stamps the entry time in a preallocated table keyed by the
 * task (open addressing, claimed with cmpxchg, released by the task itself
 * at sys_exit); sys_exit adds the elapsed time to the (process, syscall)
 * pair's slot in this CPU's table for the current generation. A pair that
 * finds no slot within SC_PROBES is counted in the per-syscall overflow
 * row instead (a drop of the per-process view only). exit and exit_group
 * never reach sys_exit: they are counted at entry, as every syscall is with
 * time=0.
 *
 * A report flips the generation, waits with synchronize_rcu() until no
 * probe still writes the old one (probes run with preemption disabled),
 * and copies the old one's rows out as struct hld_syscost_record, zeroing
 * them: each report holds exactly the syscalls that returned since the
 * previous one.
 */
#define pr_fmt(fmt) "hld: " fmt

#include <linux/atomic.h>
#include <linux/hash.h>
#include <linux/ktime.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "hld.h"

#define SC_NR_SLOTS	1024		/* syscall numbers; the last one is "other" */
#define SC_OTHER	(SC_NR_SLOTS - 1)
#define SC_PROC_BITS	11
#define SC_PROC_SLOTS	(1u << SC_PROC_BITS)	/* (process, syscall) pairs per CPU and generation */
#define SC_PROBES	16
#define SC_START_BITS	14
#define SC_START_SLOTS	(1u << SC_START_BITS)	/* threads inside a timed syscall */
#define SC_START_PROBES	32
#define SC_NR_EXIT	60		/* x86_64 exit, exit_group: no sys_exit */
#define SC_NR_EXIT_GROUP 231
#define SC_NR_EXECVE	59		/* execve, execveat: the process gets a new comm */
#define SC_NR_EXECVEAT	322

struct sc_val {
	u64 count, total_ns, max_ns;
};

struct sc_slot {
	u64 key;			/* sc_key(tgid, nr); 0: empty */
	struct sc_val v;
	u64 name_ts;			/* when comm was taken */
	char comm[HLD_COMM_LEN];
};

/* One CPU's tables: written only on that CPU, with preemption disabled. */
struct sc_cpu {
	struct sc_slot slots[2][SC_PROC_SLOTS];
	struct sc_val by_nr[2][SC_NR_SLOTS];	/* overflow: pairs that found no slot */
	u64 events;			/* syscalls counted since activation */
	u64 drop_proc;			/* of them, missing from the per-process view */
};

struct sc_start {
	unsigned long task;		/* the thread inside the syscall; 0: free */
	u32 nr;
	u32 pad;
	u64 ts;
};

static struct tracepoint *sc_tp_enter, *sc_tp_exit;
static struct sc_cpu **sc_cpus;		/* [cpu], allocated at the first activation */
static struct sc_start *sc_start;
static struct hld_syscost_settings sc_set;
static unsigned int sc_gen;
static atomic64_t sc_drop_start;	/* entries not stamped: start table full */
static bool sc_time;

static inline u64 sc_key(u32 tgid, u32 nr)
{
	return (u64)tgid << 32 | nr | 1u << 31;
}

/* The tgid, pid and comm filters. */
static bool sc_pass(struct task_struct *t, bool comm)
{
	if (sc_set.tgid >= 0 && t->tgid != sc_set.tgid)
		return false;
	if (sc_set.pid >= 0 && t->pid != sc_set.pid)
		return false;
	return !comm || !sc_set.comm[0] || !strncmp(t->comm, sc_set.comm, HLD_COMM_LEN);
}

static void sc_name(struct sc_slot *s)
{
	strscpy_pad(s->comm, current->comm, sizeof(s->comm));
	s->name_ts = ktime_get_ns();
}

static void sc_val_add(struct sc_val *v, u64 ns)
{
	v->count++;
	v->total_ns += ns;
	if (ns > v->max_ns)
		v->max_ns = ns;
}

/* Count syscall @nr of @ns for the current process on this CPU. Preemption off. */
static void sc_account(u32 nr, u64 ns, bool rename)
{
	struct sc_cpu *c = sc_cpus[smp_processor_id()];
	unsigned int half = READ_ONCE(sc_gen) & 1, i;
	u64 key = sc_key(current->tgid, nr);
	u32 h = hash_64(key, SC_PROC_BITS);

	c->events++;
	for (i = 0; i < SC_PROBES; i++) {
		struct sc_slot *s = &c->slots[half][(h + i) & (SC_PROC_SLOTS - 1)];

		if (s->key == key) {
			sc_val_add(&s->v, ns);
			if (rename)
				sc_name(s);
			return;
		}
		if (!s->key) {
			s->key = key;
			sc_val_add(&s->v, ns);
			sc_name(s);
			return;
		}
	}
	c->drop_proc++;
	sc_val_add(&c->by_nr[half][nr], ns);
}

static void sc_probe_enter(void *data, struct pt_regs *regs, long id)
{
	unsigned long me = (unsigned long)current;
	u32 nr = (unsigned long)id < SC_NR_SLOTS ? id : SC_OTHER, h, i;

	if (!sc_pass(current, true))
		return;
	if (!sc_time || nr == SC_NR_EXIT || nr == SC_NR_EXIT_GROUP) {
		hld_tp_enter();
		sc_account(nr, 0, false);
		hld_tp_exit();
		return;
	}
	h = hash_long(me, SC_START_BITS);
	for (i = 0; i < SC_START_PROBES; i++) {
		struct sc_start *e = &sc_start[(h + i) & (SC_START_SLOTS - 1)];
		unsigned long t = READ_ONCE(e->task);

		if (t == me || (!t && !cmpxchg(&e->task, 0, me))) {
			e->nr = nr;
			e->ts = ktime_get_ns();
			return;
		}
	}
	atomic64_inc(&sc_drop_start);
}

static void sc_probe_exit(void *data, struct pt_regs *regs, long ret)
{
	unsigned long me = (unsigned long)current;
	u32 h, i;

	if (!sc_pass(current, false))
		return;
	h = hash_long(me, SC_START_BITS);
	for (i = 0; i < SC_START_PROBES; i++) {
		struct sc_start *e = &sc_start[(h + i) & (SC_START_SLOTS - 1)];

		if (READ_ONCE(e->task) == me) {
			u64 ns = ktime_get_ns() - e->ts;
			u32 nr = e->nr;

			smp_store_release(&e->task, 0);
			hld_tp_enter();
			sc_account(nr, ns, (nr == SC_NR_EXECVE || nr == SC_NR_EXECVEAT) && !ret);
			hld_tp_exit();
			return;
		}
	}
}

static int sc_init(char *why, size_t len)
{
	sc_tp_enter = hld_tracepoint("sys_enter");
	sc_tp_exit = hld_tracepoint("sys_exit");
	if (!sc_tp_enter || !sc_tp_exit) {
		snprintf(why, len, "the kernel has no sys_enter/sys_exit tracepoints "
			 "(CONFIG_HAVE_SYSCALL_TRACEPOINTS)");
		return -ENODEV;
	}
	return 0;
}

static void sc_free(void)
{
	hld_cpu_tables_free((void **)sc_cpus);
	sc_cpus = NULL;
	vfree(sc_start);
	sc_start = NULL;
}

/* The tables, at the first activation; kept to the end, for report(). */
static int sc_alloc(void)
{
	if (sc_cpus)
		return 0;
	sc_start = vzalloc(array_size(SC_START_SLOTS, sizeof(*sc_start)));
	sc_cpus = (struct sc_cpu **)hld_cpu_tables_alloc(sizeof(struct sc_cpu));
	if (!sc_start || !sc_cpus) {
		sc_free();
		return -ENOMEM;
	}
	return 0;
}

static int sc_check(const void *settings)
{
	const struct hld_syscost_settings *s = settings;

	if (s->tgid < -1 || s->tgid > INT_MAX || s->pid < -1 || s->pid > INT_MAX)
		return -EINVAL;
	if (s->time > 1 || s->top > 1000000)
		return -EINVAL;
	if (strnlen(s->comm, sizeof(s->comm)) == sizeof(s->comm))
		return -EINVAL;
	return 0;
}

/*
 * Count from a clean start table (stamps of an earlier activation are
 * gone), keeping the rows not yet reported. Exit first, enter last: no
 * stamp is written that no exit probe will take.
 */
static int sc_activate(const void *settings)
{
	int cpu, err;

	err = sc_alloc();
	if (err)
		return err;
	memcpy(&sc_set, settings, sizeof(sc_set));
	sc_time = sc_set.time;
	memset(sc_start, 0, array_size(SC_START_SLOTS, sizeof(*sc_start)));
	atomic64_set(&sc_drop_start, 0);
	for_each_possible_cpu(cpu) {
		sc_cpus[cpu]->events = 0;
		sc_cpus[cpu]->drop_proc = 0;
	}
	if (sc_time) {
		err = tracepoint_probe_register(sc_tp_exit, sc_probe_exit, NULL);
		if (err)
			return err;
	}
	err = tracepoint_probe_register(sc_tp_enter, sc_probe_enter, NULL);
	if (err)
		goto undo_exit;
	return 0;

undo_exit:
	if (sc_time)
		tracepoint_probe_unregister(sc_tp_exit, sc_probe_exit, NULL);
	tracepoint_synchronize_unregister();
	return err;
}

static void sc_deactivate(void)
{
	tracepoint_probe_unregister(sc_tp_enter, sc_probe_enter, NULL);
	if (sc_time)
		tracepoint_probe_unregister(sc_tp_exit, sc_probe_exit, NULL);
	tracepoint_synchronize_unregister();
}

static void sc_exit(void)
{
	sc_free();
}

static u64 sc_report_max(void)
{
	return (u64)num_possible_cpus() * (SC_PROC_SLOTS + SC_NR_SLOTS) *
	       sizeof(struct hld_syscost_record);
}

/* Copy one row out; -EFAULT if the user buffer is bad. */
static int sc_put(void __user *buf, u64 *written, u64 *records, struct hld_syscost_record *r,
		  const struct sc_val *v)
{
	r->hdr.type = HLD_REC_SYSCOST;
	r->hdr.version = HLD_RECORD_VERSION;
	r->hdr.len = sizeof(*r);
	r->count = v->count;
	r->total_ns = v->total_ns;
	r->max_ns = v->max_ns;
	if (copy_to_user(buf + *written, r, sizeof(*r)))
		return -EFAULT;
	*written += sizeof(*r);
	(*records)++;
	return 0;
}

static int sc_report(void __user *buf, u64 len, u64 *written, u64 *records)
{
	struct hld_syscost_record r;
	unsigned int old;
	int cpu, err = 0;
	u32 i;

	if (!sc_cpus)
		return 0;
	old = sc_gen & 1;
	WRITE_ONCE(sc_gen, old ^ 1);
	synchronize_rcu();	/* no probe still counts into @old */
	for_each_possible_cpu(cpu) {
		struct sc_cpu *c = sc_cpus[cpu];

		for (i = 0; i < SC_PROC_SLOTS; i++) {
			struct sc_slot *s = &c->slots[old][i];

			if (!s->key)
				continue;
			memset(&r, 0, sizeof(r));
			r.hdr.ts = s->name_ts;
			r.tgid = s->key >> 32;
			r.nr = s->key & (SC_NR_SLOTS - 1);
			r.cpu = cpu;
			memcpy(r.comm, s->comm, sizeof(r.comm));
			if (!err)
				err = sc_put(buf, written, records, &r, &s->v);
			memset(s, 0, sizeof(*s));
		}
		for (i = 0; i < SC_NR_SLOTS; i++) {
			struct sc_val *v = &c->by_nr[old][i];

			if (!v->count)
				continue;
			memset(&r, 0, sizeof(r));
			r.nr = i;
			r.cpu = cpu;
			r.flags = HLD_SYSCOST_OVERFLOW;
			if (!err)
				err = sc_put(buf, written, records, &r, v);
			memset(v, 0, sizeof(*v));
		}
		cond_resched();
	}
	return err;
}

static void sc_stats(struct hld_ioc_status *st)
{
	u64 proc = 0;
	int cpu;

	if (!sc_cpus)
		return;
	for_each_possible_cpu(cpu) {
		st->events += READ_ONCE(sc_cpus[cpu]->events);
		proc += READ_ONCE(sc_cpus[cpu]->drop_proc);
	}
	st->drops_cause[0] = atomic64_read(&sc_drop_start);
	st->drops_cause[1] = proc;
	st->drops = st->drops_cause[0] + st->drops_cause[1];
}

const struct hld_feature_ops hld_syscost_ops = {
	.settings_size = sizeof(struct hld_syscost_settings),
	.init = sc_init,
	.exit = sc_exit,
	.check = sc_check,
	.activate = sc_activate,
	.deactivate = sc_deactivate,
	.report_max = sc_report_max,
	.report = sc_report,
	.stats = sc_stats,
};
