// SPDX-License-Identifier: GPL-2.0
/*
 * feat_mutexmon.c - mutex-monitor: kernel lock contention, and the hold
 * time of the mutexes seen contended.
 *
 * Waits: lock:contention_begin stamps the waiting thread in a preallocated
 * table keyed by the task (claimed with cmpxchg, used only by that task,
 * released when its last wait ends): lock, flags, start time and, for a
 * mutex, the owner read from mutex->owner. A mutex slow path fires begin
 * twice (spinning, then sleeping) for one wait: the second keeps the first
 * stamp. A lock contended in an interrupt nests on the interrupted task's
 * entry: MX_DEPTH levels are kept. lock:contention_end takes the waiter's
 * kernel stack and adds the wait to this CPU's row of (lock, stack, flags,
 * tgid) for the current generation. Probes work with interrupts off (a
 * nested contention in an interrupt cannot tear a row); NMIs are skipped
 * and counted.
 *
 * Holds (what the eBPF backend cannot do without kprobes): each mutex seen
 * contended gets a slot in a preallocated lock table. Its owner and the
 * time it got the lock are set when a waiter acquires it (contention_end,
 * ret 0: exact), or, for an owner that took it before the lock was seen,
 * when a contention reveals it (a lower bound). A kprobe on mutex_unlock
 * closes the hold when the owner releases it: bounded work, a lookup of at
 * most MX_LOCK_PROBES slots for any other mutex.
 *
 * A report flips the generation, waits with synchronize_rcu() until no
 * probe still writes the old one (all run with preemption disabled), and
 * copies out and zeroes its rows, as struct hld_mutex_record (one per CPU
 * and key, plus one per CPU for the short waits) and struct
 * hld_mutex_hold_record (one per lock with holds ended).
 */
#define pr_fmt(fmt) "hld: " fmt

#include <linux/atomic.h>
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "hld.h"

#define MX_TASK_BITS	12
#define MX_TASKS	(1u << MX_TASK_BITS)	/* threads inside a wait */
#define MX_TASK_PROBES	32
#define MX_DEPTH	4			/* nested waits per thread */
#define MX_ROW_BITS	9
#define MX_ROWS		(1u << MX_ROW_BITS)	/* rows per CPU and generation */
#define MX_ROW_PROBES	16
#define MX_LOCK_BITS	10
#define MX_LOCKS	(1u << MX_LOCK_BITS)	/* mutexes whose holds are timed */
#define MX_LOCK_PROBES	8
#define MX_LCB_F_MUTEX	(1u << 5)		/* include/trace/events/lock.h */
#define MX_OWNER_FLAGS	0x07ul			/* low bits of mutex->owner */

struct mx_wait {
	u64 lock;
	u64 start_ns;
	u32 flags;
	u32 holder_pid;
	u32 holder_tgid;
	u32 pad;
	char holder_comm[HLD_COMM_LEN];
};

struct mx_task {
	unsigned long task;		/* the waiting thread; 0: free */
	u32 depth;
	u32 pad;
	struct mx_wait w[MX_DEPTH];
};

struct mx_row {
	u32 hash;			/* of key and stack; with key.lock 0: empty */
	u32 nr_kstack;
	struct hld_mutex_key key;
	struct hld_mutex_val val;
	u64 kstack[HLD_MAX_STACK];
};

/* One CPU's rows: written only on that CPU, with interrupts off. */
struct mx_cpu {
	struct mx_row rows[2][MX_ROWS];
	u64 short_waits[2];
	u64 events;			/* waits counted since activation */
	u64 drop_rows;			/* waits lost: no row free */
	bool busy;			/* in a probe: a lock contended inside it is ours */
	unsigned long stack[HLD_MAX_STACK];	/* scratch */
};

struct mx_hold {
	u64 count, total_ns, max_ns, inexact;
	u32 max_pid, max_tgid, max_inexact;
	char max_comm[HLD_COMM_LEN];
};

struct mx_lock {
	unsigned long lock;		/* the mutex; 0: free */
	raw_spinlock_t lk;		/* the fields below */
	unsigned long owner;		/* task holding it since acq_ns, 0: unknown */
	u64 acq_ns;
	bool inexact;			/* acq_ns is when the owner was revealed */
	struct mx_hold h[2];		/* per generation */
};

static struct tracepoint *mx_tp_begin, *mx_tp_end;
static struct mx_cpu **mx_cpus;		/* [cpu], allocated at the first activation */
static struct mx_task *mx_tasks;
static struct mx_lock *mx_locks;
static struct hld_mutex_settings mx_set;
static unsigned int mx_gen;
static atomic_t mx_nr_locks;
static atomic64_t mx_drop_task;		/* waits lost: task table full, nested too deep, unmatched */
static atomic64_t mx_drop_lock;		/* mutexes whose holds are not timed: lock table full */
static atomic64_t mx_drop_nmi;		/* contentions in NMI, not followed */
static bool mx_kprobe_on;		/* the unlock kprobe is registered: holds are timed */
static bool mx_kprobe_ok;		/* the kernel has kprobes: mutex_unlock may be probed */
static int mx_kprobe_err;		/* the last activation's register_kprobe() error */

static struct kprobe mx_kp_unlock;	/* on mutex_unlock, filled at each activation */

/* The entry of the current task; claimed if @claim. Interrupts off. */
static struct mx_task *mx_task(bool claim)
{
	unsigned long me = (unsigned long)current;
	u32 h = hash_long(me, MX_TASK_BITS), i;

	for (i = 0; i < MX_TASK_PROBES; i++) {
		struct mx_task *t = &mx_tasks[(h + i) & (MX_TASKS - 1)];
		unsigned long v = READ_ONCE(t->task);

		if (v == me)
			return t;
		if (claim && !v && !cmpxchg(&t->task, 0, me)) {
			t->depth = 0;
			return t;
		}
	}
	return NULL;
}

static void mx_task_put(struct mx_task *t)
{
	if (!t->depth)
		smp_store_release(&t->task, 0);
}

/* The lock table's slot of @lock, created if @create; NULL if absent or full. */
static struct mx_lock *mx_lock_slot(unsigned long lock, bool create)
{
	u32 h = hash_long(lock, MX_LOCK_BITS), i;

	for (i = 0; i < MX_LOCK_PROBES; i++) {
		struct mx_lock *l = &mx_locks[(h + i) & (MX_LOCKS - 1)];
		unsigned long v = READ_ONCE(l->lock);

		if (v == lock)
			return l;
		if (v)
			continue;
		if (!create)
			return NULL;	/* slots are never freed while active: absent */
		v = cmpxchg(&l->lock, 0, lock);
		if (!v) {
			atomic_inc(&mx_nr_locks);
			return l;
		}
		if (v == lock)
			return l;
	}
	if (create)
		atomic64_inc(&mx_drop_lock);
	return NULL;
}

/* The owner of mutex @lock (a task pointer), 0 if none. */
static unsigned long mx_owner(void *lock)
{
	return atomic_long_read(&((struct mutex *)lock)->owner) & ~MX_OWNER_FLAGS;
}

/* Name the owner @owner in @w; an owner seen earlier in this wait stays if none now. */
static void mx_holder(struct mx_wait *w, unsigned long owner)
{
	struct task_struct *o = (struct task_struct *)owner;

	if (!owner)
		return;
	/* The owner may be exiting: read its fields without trusting the pointer. */
	if (copy_from_kernel_nofault(&w->holder_pid, &o->pid, sizeof(w->holder_pid)) ||
	    copy_from_kernel_nofault(&w->holder_tgid, &o->tgid, sizeof(w->holder_tgid)) ||
	    copy_from_kernel_nofault(w->holder_comm, o->comm, sizeof(w->holder_comm))) {
		w->holder_pid = 0;
		w->holder_tgid = 0;
		return;
	}
	w->holder_comm[HLD_COMM_LEN - 1] = '\0';
}

/* A contention on mutex @lock owned by @owner: a hold whose start was not seen starts now. */
static void mx_hold_seen(unsigned long lock, unsigned long owner, u64 now)
{
	struct mx_lock *l;

	if (!mx_kprobe_on || !owner)
		return;
	l = mx_lock_slot(lock, true);
	if (!l)
		return;
	raw_spin_lock(&l->lk);
	if (l->owner != owner) {
		l->owner = owner;
		l->acq_ns = now;
		l->inexact = true;
	}
	raw_spin_unlock(&l->lk);
}

/* The current task got mutex @lock at the end of a contention: its hold starts now. */
static void mx_hold_start(unsigned long lock, u64 now)
{
	struct mx_lock *l;

	if (!mx_kprobe_on)
		return;
	l = mx_lock_slot(lock, true);
	if (!l)
		return;
	raw_spin_lock(&l->lk);
	l->owner = (unsigned long)current;
	l->acq_ns = now;
	l->inexact = false;
	raw_spin_unlock(&l->lk);
}

/* kprobe on mutex_unlock(lock): the owner releases a lock in the table. */
static int mx_unlock_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long lock = regs_get_kernel_argument(regs, 0), flags;
	struct mx_lock *l;

	if (!atomic_read(&mx_nr_locks) || in_nmi())
		return 0;
	l = mx_lock_slot(lock, false);
	if (!l)
		return 0;
	raw_spin_lock_irqsave(&l->lk, flags);
	if (l->owner == (unsigned long)current) {
		struct mx_hold *h = &l->h[READ_ONCE(mx_gen) & 1];
		u64 ns = ktime_get_ns() - l->acq_ns;

		h->count++;
		h->total_ns += ns;
		h->inexact += l->inexact;
		if (ns >= h->max_ns) {
			h->max_ns = ns;
			h->max_pid = current->pid;
			h->max_tgid = current->tgid;
			h->max_inexact = l->inexact;
			__get_task_comm(h->max_comm, sizeof(h->max_comm), current);
		}
		l->owner = 0;
	}
	raw_spin_unlock_irqrestore(&l->lk, flags);
	return 0;
}

static void mx_probe_begin(void *data, void *lock, unsigned int flags)
{
	unsigned long irq, owner = 0;
	struct mx_task *t;
	struct mx_wait *w;
	struct mx_cpu *c;
	u64 now;
	u32 d;

	if (in_nmi()) {
		atomic64_inc(&mx_drop_nmi);
		return;
	}
	if (mx_set.tgid >= 0 && current->tgid != mx_set.tgid)
		return;
	local_irq_save(irq);
	c = mx_cpus[smp_processor_id()];
	if (c->busy)
		goto out_irq;
	c->busy = true;
	now = ktime_get_ns();
	if (flags & MX_LCB_F_MUTEX)
		owner = mx_owner(lock);
	t = mx_task(true);
	if (!t) {
		atomic64_inc(&mx_drop_task);
		goto out;
	}
	d = t->depth;
	if (d > 0 && d <= MX_DEPTH && t->w[d - 1].lock == (unsigned long)lock) {
		/* The same wait going from spinning to sleeping: keep its stamp. */
		w = &t->w[d - 1];
		w->flags |= flags;
	} else if (d >= MX_DEPTH) {
		atomic64_inc(&mx_drop_task);
		goto out;
	} else {
		w = &t->w[d];
		memset(w, 0, sizeof(*w));
		w->lock = (unsigned long)lock;
		w->flags = flags;
		w->start_ns = now;
		t->depth = d + 1;
	}
	if (flags & MX_LCB_F_MUTEX) {
		mx_holder(w, owner);
		mx_hold_seen((unsigned long)lock, owner, now);
	}
out:
	if (t)
		mx_task_put(t);
	c->busy = false;
out_irq:
	local_irq_restore(irq);
}

/* Add the wait @w of @ns to this CPU's row of its key and the current stack. Interrupts off. */
static void mx_count(struct mx_cpu *c, const struct mx_wait *w, u64 ns)
{
	unsigned int g = READ_ONCE(mx_gen) & 1, nr, i;
	struct hld_mutex_key key = {
		.lock = w->lock,
		.kstack_id = -1,
		.flags = w->flags,
		.tgid = current->tgid,
	};
	u32 hash;

	nr = stack_trace_save(c->stack, HLD_MAX_STACK, 0);
	hash = jhash2((u32 *)c->stack, nr * sizeof(long) / sizeof(u32),
		      jhash2((u32 *)&key, sizeof(key) / sizeof(u32), 0));
	for (i = 0; i < MX_ROW_PROBES; i++) {
		struct mx_row *r = &c->rows[g][(hash + i) & (MX_ROWS - 1)];
		struct hld_mutex_val *v = &r->val;

		if (!r->key.lock) {
			r->hash = hash;
			r->key = key;
			r->nr_kstack = nr;
			memcpy(r->kstack, c->stack, nr * sizeof(long));
		} else if (r->hash != hash || r->nr_kstack != nr ||
			   memcmp(&r->key, &key, sizeof(key)) ||
			   memcmp(r->kstack, c->stack, nr * sizeof(long))) {
			continue;
		}
		c->events++;
		v->count++;
		v->total_ns += ns;
		if (ns > v->max_ns) {
			v->max_ns = ns;
			v->waiter_pid = current->pid;
			__get_task_comm(v->waiter_comm, sizeof(v->waiter_comm), current);
		}
		if (w->holder_pid) {
			v->holder_waits++;
			if (ns >= v->holder_wait_ns) {
				v->holder_wait_ns = ns;
				v->holder_pid = w->holder_pid;
				v->holder_tgid = w->holder_tgid;
				memcpy(v->holder_comm, w->holder_comm, sizeof(v->holder_comm));
			}
		}
		return;
	}
	c->drop_rows++;
}

static void mx_probe_end(void *data, void *lock, int ret)
{
	struct mx_task *t;
	struct mx_wait w;
	struct mx_cpu *c;
	unsigned long irq;
	u64 now;
	u32 i;

	if (in_nmi())
		return;
	local_irq_save(irq);
	c = mx_cpus[smp_processor_id()];
	if (c->busy)
		goto out_irq;
	c->busy = true;
	t = mx_task(false);
	if (!t || !t->depth)
		goto out;
	now = ktime_get_ns();
	i = t->depth - 1;
	if (i >= MX_DEPTH || t->w[i].lock != (unsigned long)lock) {
		/* A begin was missed (activated mid-wait, or nested too deep): resync. */
		if (i >= 1 && i < MX_DEPTH && t->w[i - 1].lock == (unsigned long)lock) {
			t->depth = i;
		} else {
			t->depth = 0;
			atomic64_inc(&mx_drop_task);
		}
		goto out;
	}
	w = t->w[i];
	t->depth = i;
	if ((w.flags & MX_LCB_F_MUTEX) && !ret)
		mx_hold_start((unsigned long)lock, now);
	if (now - w.start_ns < mx_set.min_wait_ns)
		c->short_waits[READ_ONCE(mx_gen) & 1]++;
	else
		mx_count(c, &w, now - w.start_ns);
out:
	if (t)
		mx_task_put(t);
	c->busy = false;
out_irq:
	local_irq_restore(irq);
}

/* Register the kprobe on mutex_unlock (the struct is cleared for reuse). */
static int mx_kprobe_register(void)
{
	memset(&mx_kp_unlock, 0, sizeof(mx_kp_unlock));
	mx_kp_unlock.symbol_name = "mutex_unlock";
	mx_kp_unlock.pre_handler = mx_unlock_pre;
	return register_kprobe(&mx_kp_unlock);
}

static int mx_init(char *why, size_t len)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		snprintf(why, len, "PREEMPT_RT kernel: mutexes are rt_mutexes, not followed here");
		return -ENODEV;
	}
	mx_tp_begin = hld_tracepoint("contention_begin");
	mx_tp_end = hld_tracepoint("contention_end");
	if (!mx_tp_begin || !mx_tp_end) {
		snprintf(why, len, "the kernel has no lock:contention_begin/end tracepoints");
		return -ENODEV;
	}
	/*
	 * Whether mutex_unlock can be kprobed is found at activation: a
	 * register/unregister here, at every insmod, raced with ftrace's own
	 * patching under the rig's cycles (an Oops in ftrace_shutdown).
	 */
	mx_kprobe_ok = IS_ENABLED(CONFIG_KPROBES);
	if (!mx_kprobe_ok)
		snprintf(why, len, "hold time not available: kernel built without CONFIG_KPROBES");
	return 0;
}

static void mx_free(void)
{
	int cpu;

	if (mx_cpus) {
		for_each_possible_cpu(cpu)
			vfree(mx_cpus[cpu]);
		kfree(mx_cpus);
		mx_cpus = NULL;
	}
	vfree(mx_tasks);
	mx_tasks = NULL;
	vfree(mx_locks);
	mx_locks = NULL;
}

/* The tables, at the first activation; kept to the end, for report(). */
static int mx_alloc(void)
{
	int cpu;

	if (mx_cpus)
		return 0;
	mx_tasks = vzalloc(array_size(MX_TASKS, sizeof(*mx_tasks)));
	mx_locks = vzalloc(array_size(MX_LOCKS, sizeof(*mx_locks)));
	mx_cpus = kcalloc(nr_cpu_ids, sizeof(*mx_cpus), GFP_KERNEL);
	if (!mx_tasks || !mx_locks || !mx_cpus)
		goto undo_alloc;
	for_each_possible_cpu(cpu) {
		mx_cpus[cpu] = vzalloc_node(sizeof(struct mx_cpu), cpu_to_node(cpu));
		if (!mx_cpus[cpu])
			goto undo_alloc;
	}
	return 0;

undo_alloc:
	mx_free();
	return -ENOMEM;
}

static int mx_check(const void *settings)
{
	const struct hld_mutex_settings *s = settings;

	if (s->min_wait_ns > 10000000000ull || s->top < 1 || s->top > 100000)
		return -EINVAL;
	return s->tgid < -1 || s->tgid > 4194304 ? -EINVAL : 0;
}

/*
 * Follow from a clean task and lock table (rows not yet reported stay).
 * The unlock kprobe and contention_end first: a begin seen always has its
 * end seen.
 */
static int mx_activate(const void *settings)
{
	int cpu, err, i, nr_locks;

	err = mx_alloc();
	if (err)
		return err;
	memcpy(&mx_set, settings, sizeof(mx_set));
	memset(mx_tasks, 0, array_size(MX_TASKS, sizeof(*mx_tasks)));
	/*
	 * Holds not yet reported stay, with their lock's slot (a lock freed
	 * meanwhile may come back in a second slot: user space merges them).
	 */
	nr_locks = 0;
	for (i = 0; i < MX_LOCKS; i++) {
		struct mx_lock *l = &mx_locks[i];

		raw_spin_lock_init(&l->lk);
		l->owner = 0;
		if (l->h[0].count || l->h[1].count)
			nr_locks++;
		else
			l->lock = 0;
	}
	atomic_set(&mx_nr_locks, nr_locks);
	atomic64_set(&mx_drop_nmi, 0);
	atomic64_set(&mx_drop_task, 0);
	atomic64_set(&mx_drop_lock, 0);
	for_each_possible_cpu(cpu) {
		mx_cpus[cpu]->events = 0;
		mx_cpus[cpu]->drop_rows = 0;
		mx_cpus[cpu]->busy = false;
	}
	/* Without the kprobe the waits are still counted; holds are reported not timed. */
	mx_kprobe_err = mx_kprobe_ok ? mx_kprobe_register() : 0;
	mx_kprobe_on = mx_kprobe_ok && !mx_kprobe_err;
	err = tracepoint_probe_register(mx_tp_end, mx_probe_end, NULL);
	if (err)
		goto undo_kprobe;
	err = tracepoint_probe_register(mx_tp_begin, mx_probe_begin, NULL);
	if (err)
		goto undo_end;
	return 0;

undo_end:
	tracepoint_probe_unregister(mx_tp_end, mx_probe_end, NULL);
	tracepoint_synchronize_unregister();
undo_kprobe:
	if (mx_kprobe_on)
		unregister_kprobe(&mx_kp_unlock);
	mx_kprobe_on = false;
	return err;
}

static void mx_deactivate(void)
{
	tracepoint_probe_unregister(mx_tp_begin, mx_probe_begin, NULL);
	tracepoint_probe_unregister(mx_tp_end, mx_probe_end, NULL);
	tracepoint_synchronize_unregister();
	if (mx_kprobe_on)
		unregister_kprobe(&mx_kp_unlock);
	mx_kprobe_on = false;
}

static void mx_exit(void)
{
	mx_free();
}

static u64 mx_report_max(void)
{
	return (u64)num_possible_cpus() * (MX_ROWS + 1) * sizeof(struct hld_mutex_record) +
	       (u64)MX_LOCKS * sizeof(struct hld_mutex_hold_record);
}

/* Copy one record out; -EFAULT if the user buffer is bad. */
static int mx_put(void __user *buf, u64 *written, u64 *records, struct hld_record_header *h,
		  u16 type, u32 len)
{
	h->type = type;
	h->version = HLD_RECORD_VERSION;
	h->len = len;
	h->ts = ktime_get_ns();
	if (copy_to_user(buf + *written, h, len))
		return -EFAULT;
	*written += len;
	(*records)++;
	return 0;
}

static int mx_report(void __user *buf, u64 len, u64 *written, u64 *records)
{
	struct hld_mutex_hold_record *hr;
	struct hld_mutex_record *r;
	unsigned int old;
	int cpu, err = 0;
	u32 i;

	if (!mx_cpus)
		return 0;
	r = kmalloc(sizeof(*r), GFP_KERNEL);
	hr = kmalloc(sizeof(*hr), GFP_KERNEL);
	if (!r || !hr) {
		err = -ENOMEM;
		goto out_free;
	}
	old = mx_gen & 1;
	WRITE_ONCE(mx_gen, old ^ 1);
	synchronize_rcu();	/* no probe still counts into @old */
	for_each_possible_cpu(cpu) {
		struct mx_cpu *c = mx_cpus[cpu];

		for (i = 0; i < MX_ROWS; i++) {
			struct mx_row *row = &c->rows[old][i];

			if (!row->key.lock)
				continue;
			memset(r, 0, sizeof(*r));
			r->key = row->key;
			r->val = row->val;
			r->cpu = cpu;
			r->nr_kstack = row->nr_kstack;
			memcpy(r->kstack, row->kstack, sizeof(r->kstack));
			if (!err)
				err = mx_put(buf, written, records, &r->hdr, HLD_REC_MUTEX,
					     sizeof(*r));
			memset(row, 0, sizeof(*row));
		}
		if (c->short_waits[old]) {
			memset(r, 0, sizeof(*r));
			r->cpu = cpu;
			r->rflags = HLD_MUTEX_SHORT;
			r->key.kstack_id = -1;
			r->val.count = c->short_waits[old];
			if (!err)
				err = mx_put(buf, written, records, &r->hdr, HLD_REC_MUTEX,
					     sizeof(*r));
			c->short_waits[old] = 0;
		}
		cond_resched();
	}
	for (i = 0; i < MX_LOCKS; i++) {
		struct mx_lock *l = &mx_locks[i];
		struct mx_hold *h = &l->h[old];

		if (!h->count)
			continue;
		memset(hr, 0, sizeof(*hr));
		hr->lock = READ_ONCE(l->lock);
		hr->count = h->count;
		hr->total_ns = h->total_ns;
		hr->max_ns = h->max_ns;
		hr->inexact = h->inexact;
		hr->max_pid = h->max_pid;
		hr->max_tgid = h->max_tgid;
		hr->max_inexact = h->max_inexact;
		memcpy(hr->max_comm, h->max_comm, sizeof(hr->max_comm));
		if (!err)
			err = mx_put(buf, written, records, &hr->hdr, HLD_REC_MUTEX_HOLD,
				     sizeof(*hr));
		memset(h, 0, sizeof(*h));
	}
out_free:
	kfree(r);
	kfree(hr);
	return err;
}

/* drops_cause: [0] task table, [1] rows full, [2] NMI, [3] lock table full (holds not timed). */
static void mx_stats(struct hld_ioc_status *st)
{
	int cpu;

	if (!mx_cpus)
		return;
	if (mx_kprobe_err)	/* the report says hold time is not available, and why */
		snprintf(st->reason, sizeof(st->reason),
			 "hold time not available: cannot kprobe mutex_unlock (%d)", mx_kprobe_err);
	for_each_possible_cpu(cpu) {
		st->events += READ_ONCE(mx_cpus[cpu]->events);
		st->drops_cause[1] += READ_ONCE(mx_cpus[cpu]->drop_rows);
	}
	st->drops_cause[2] = atomic64_read(&mx_drop_nmi);
	st->drops_cause[0] = atomic64_read(&mx_drop_task);
	st->drops_cause[3] = atomic64_read(&mx_drop_lock);
	st->drops = st->drops_cause[0] + st->drops_cause[1] + st->drops_cause[2] +
		    st->drops_cause[3];
}

const struct hld_feature_ops hld_mutexmon_ops = {
	.settings_size = sizeof(struct hld_mutex_settings),
	.init = mx_init,
	.exit = mx_exit,
	.check = mx_check,
	.activate = mx_activate,
	.deactivate = mx_deactivate,
	.report_max = mx_report_max,
	.report = mx_report,
	.stats = mx_stats,
};
