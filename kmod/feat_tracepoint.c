// SPDX-License-Identifier: GPL-2.0
/*
 * feat_tracepoint.c - kprobe, tracepoint and perf: count the hits of one
 * kernel function (register_kprobe at its entry), of one tracepoint
 * (tracepoint_probe_register on the tracepoint of that name), or of a
 * cpu-clock sampling event on each CPU (perf_event_create_kernel_counter,
 * freq samples a second), with the kernel and user stacks that were
 * running. The three share everything but the way the probe is attached.
 *
 * Each hit that passes the filters is counted in this CPU's total for the
 * current generation (exact: it cannot fail) and in a preallocated per-CPU
 * table keyed by (process, comm, kernel stack, user stack), open
 * addressing over TPH_PROBES slots; a hit that finds no slot is a drop of
 * the per-stack view only. The kernel stack is stack_trace_save()'s, less
 * the frames of the probe machinery: for a kprobe the leaf is the probed
 * function, for a tracepoint the function that hit it, for a perf sample
 * the interrupted instruction (the frames up to the sample's regs->ip are
 * the timer interrupt's; a sample in user mode has no kernel stack). The
 * user stack is
 * a frame-pointer walk from the task's user registers with
 * copy_from_user_nofault(), HLD_MAX_STACK frames at most.
 *
 * Probes run with preemption disabled; a probe nested in another on the
 * same CPU (an interrupt hitting the function) is counted as missed, as
 * are the hits the kprobe core itself skipped (nmissed). A report flips the
 * generation, waits with synchronize_rcu() until no probe still writes the
 * old one, and copies its rows out as struct hld_tphit_record and its CPU
 * totals as struct hld_tpcpu_record, emptying them.
 *
 * A tracepoint calls its probes as probe(data, args...), with arguments
 * that differ per tracepoint. The probe here takes only @data and reads no
 * argument: under the x86_64 calling convention the caller's extra
 * arguments are simply not read. A kernel with kCFI (CONFIG_CFI_CLANG)
 * would trap on the prototype mismatch: there the tracepoint feature is
 * unavailable. sys_enter and sys_exit, which the syscalls:sys_{enter,exit}_NAME
 * names map to, get probes of their real prototype, which read the syscall
 * number.
 *
 * perf's overflow handler runs in the cpu-clock hrtimer's hard interrupt;
 * perf_event_release_kernel() removes the event from its CPU and cancels
 * the timer, waiting for a running handler, before deactivate returns.
 * Samples the perf core throttled (perf_cpu_time_max_percent) are not seen
 * here, so not counted as drops; CPUs brought online after activation are
 * not sampled.
 */
#define pr_fmt(fmt) "hld: " fmt

#include <linux/atomic.h>
#include <linux/ctype.h>
#include <linux/jhash.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/perf_event.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "hld.h"
#include "syscall-names.h"

#define TPH_BITS	9
#define TPH_SLOTS	(1u << TPH_BITS)	/* keys per CPU and generation */
#define TPH_PROBES	16
#define TPH_MACHINERY	16		/* leading kernel frames searched for the probe's own */
#define TPH_NAME_LEN	64

/* One key and its count; empty while count is 0. */
struct tph_slot {
	u64 hash;
	u64 count;
	u64 ts;				/* first hit */
	u32 tgid;
	u32 flags;			/* HLD_TPHIT_* */
	u16 nk, nu;
	char comm[HLD_COMM_LEN];
	unsigned long ips[2 * HLD_MAX_STACK];	/* nk kernel frames, then nu user frames */
};

/* One CPU's tables: written only on that CPU, with preemption disabled and busy set. */
struct tph_cpu {
	struct tph_slot slots[2][TPH_SLOTS];
	u16 used[2][TPH_SLOTS];		/* the slots taken, in order: what a report visits */
	u32 nr_used[2];
	u64 hits[2];
	u64 events;			/* hits counted since activation */
	u64 drop_full;			/* hits missing from the per-stack table: no slot */
	u64 drop_kstack, drop_ustack;	/* hits counted without that stack */
	atomic64_t missed;		/* probes nested in a probe on this CPU */
	int busy;
	unsigned long kbuf[HLD_MAX_STACK + TPH_MACHINERY];
	unsigned long ubuf[HLD_MAX_STACK];
};

/* One of the three features: its tables, its settings and what it is attached to. */
struct tph {
	const char *what;		/* "kprobe", "tracepoint", "perf" */
	bool kprobe;
	struct tph_cpu **cpus;		/* [cpu], allocated at the first activation */
	struct hld_tracepoint_settings set;
	unsigned int gen;
	bool want_kernel, want_user;
	/* kprobe */
	struct kprobe kp;
	char function[TPH_NAME_LEN];
	/* tracepoint */
	struct tracepoint *tp;
	void *probe;
	long sysnr;			/* only this syscall (sys_enter/sys_exit), -1: any */
	/* perf: one event per sampled CPU */
	struct perf_event **events;
	/* the leading frames left out: up to (kprobe) or through (tracepoint) this function */
	unsigned long skip_start, skip_size;
};

static struct tph tph_kp = { .what = "kprobe", .kprobe = true };
static struct tph tph_tp = { .what = "tracepoint" };
static struct tph tph_perf = { .what = "perf" };

/* The start and size of the kernel function holding @addr; false if kallsyms cannot tell. */
static bool tph_func_range(unsigned long addr, unsigned long *start, unsigned long *size)
{
	char buf[KSYM_SYMBOL_LEN], *p;
	unsigned long off;

	sprint_symbol(buf, addr);	/* "name+0xoff/0xsize [module]" */
	p = strrchr(buf, '+');
	if (!p)
		return false;
	p++;
	p[strcspn(p, "/")] = '\0';
	if (kstrtoul(p, 16, &off))
		return false;
	p += strlen(p) + 1;
	p[strcspn(p, " ")] = '\0';
	if (kstrtoul(p, 16, size) || !*size)
		return false;
	*start = addr - off;
	return true;
}

/*
 * This task's kernel stack into c->kbuf, innermost first, without the
 * probe's frames: for a kprobe, those before the first frame in the probed
 * function (or, where none is found, those in this module); for a
 * tracepoint, the leading ones in this module or the tracepoint's iterator;
 * for a sample (@regs), those before the interrupted instruction, and no
 * stack if it is not found among them.
 */
static u16 tph_kstack(struct tph *t, struct tph_cpu *c, struct pt_regs *regs)
{
	unsigned int n = stack_trace_save(c->kbuf, ARRAY_SIZE(c->kbuf), 0), skip = 0, i;

	for (i = 0; i < n && i < TPH_MACHINERY; i++) {
		unsigned long a = c->kbuf[i];
		bool in_fn = t->skip_size && a - t->skip_start < t->skip_size;

		if (regs) {
			if (a == instruction_pointer(regs))
				break;
			continue;
		}
		if (t->kprobe && in_fn) {
			skip = i;
			break;
		}
		if (in_fn || within_module(a, THIS_MODULE))
			skip = i + 1;
		else if (!t->kprobe)
			break;
	}
	if (regs) {
		if (i == n || i == TPH_MACHINERY)
			return 0;	/* the interrupted frame is not among them */
		skip = i;
	}
	n -= skip;
	if (n > HLD_MAX_STACK)
		n = HLD_MAX_STACK;
	memmove(c->kbuf, c->kbuf + skip, n * sizeof(c->kbuf[0]));
	return n;
}

/* This task's user stack into c->ubuf by frame pointers, innermost first; 0 if none. */
static u16 tph_ustack(struct tph_cpu *c)
{
	struct pt_regs *regs = task_pt_regs(current);
	unsigned long fp, frame[2];
	u16 n = 0;

	if (!user_mode(regs))
		return 0;
	c->ubuf[n++] = regs->ip;
	if (!user_64bit_mode(regs))
		return n;
	fp = regs->bp;
	while (n < HLD_MAX_STACK && fp && !(fp & 7)) {
		if (copy_from_user_nofault(frame, (const void __user *)fp, sizeof(frame)))
			break;
		if (!frame[1])
			break;
		c->ubuf[n++] = frame[1];
		if (frame[0] <= fp)
			break;
		fp = frame[0];
	}
	return n;
}

static bool tph_pass(struct tph *t)
{
	const struct hld_tracepoint_settings *s = &t->set;
	struct task_struct *p = current;

	if (s->tgid >= 0 && p->tgid != s->tgid)
		return false;
	if (s->pid >= 0 && p->pid != s->pid)
		return false;
	if (s->cpu >= 0 && smp_processor_id() != s->cpu)
		return false;
	return !s->comm[0] || !strncmp(p->comm, s->comm, HLD_COMM_LEN);
}

/* Count the key of this hit in @c's table of generation @half. */
static void tph_count(struct tph *t, struct tph_cpu *c, unsigned int half, u32 flags, u16 nk,
		      u16 nu)
{
	struct task_struct *p = current;
	char comm[HLD_COMM_LEN];
	u32 h, i;
	u64 hash;

	strscpy_pad(comm, p->comm, sizeof(comm));
	h = jhash(c->kbuf, nk * sizeof(long), p->tgid ^ flags << 24);
	h = jhash(c->ubuf, nu * sizeof(long), h);
	h = jhash(comm, sizeof(comm), h);
	hash = (u64)h << 32 | nk << 16 | nu;
	for (i = 0; i < TPH_PROBES; i++) {
		struct tph_slot *s = &c->slots[half][(h + i) & (TPH_SLOTS - 1)];

		if (!s->count) {
			c->used[half][c->nr_used[half]++] = s - c->slots[half];
			s->hash = hash;
			s->tgid = p->tgid;
			s->flags = flags;
			s->nk = nk;
			s->nu = nu;
			s->ts = ktime_get_ns();
			memcpy(s->comm, comm, sizeof(comm));
			memcpy(s->ips, c->kbuf, nk * sizeof(long));
			memcpy(s->ips + nk, c->ubuf, nu * sizeof(long));
			s->count = 1;
			return;
		}
		if (s->hash == hash && s->tgid == p->tgid && s->flags == flags &&
		    !memcmp(s->comm, comm, sizeof(comm)) &&
		    !memcmp(s->ips, c->kbuf, nk * sizeof(long)) &&
		    !memcmp(s->ips + nk, c->ubuf, nu * sizeof(long))) {
			s->count++;
			return;
		}
	}
	c->drop_full++;
}

/*
 * One hit of @t's function or tracepoint, in the hitting task's context, or
 * one sample interrupting @regs. Preemption off.
 */
static void tph_hit(struct tph *t, struct pt_regs *regs)
{
	struct tph_cpu *c;
	unsigned int half;
	u32 flags = 0;
	u16 nk = 0, nu = 0;

	if (!tph_pass(t))
		return;
	c = t->cpus[smp_processor_id()];
	if (c->busy) {
		atomic64_inc(&c->missed);
		return;
	}
	c->busy = 1;
	barrier();
	half = READ_ONCE(t->gen) & 1;
	c->hits[half]++;
	c->events++;
	if (t->want_kernel && !(regs && user_mode(regs))) {
		nk = tph_kstack(t, c, regs);
		if (!nk) {
			flags |= HLD_TPHIT_KSTACK_LOST;
			c->drop_kstack++;
		}
	}
	if (t->want_user && !(current->flags & PF_KTHREAD)) {
		nu = tph_ustack(c);
		if (!nu) {
			flags |= HLD_TPHIT_USTACK_LOST;
			c->drop_ustack++;
		}
	}
	tph_count(t, c, half, flags, nk, nu);
	barrier();
	c->busy = 0;
}

static int tph_kprobe_pre(struct kprobe *kp, struct pt_regs *regs)
{
	tph_hit(container_of(kp, struct tph, kp), NULL);
	return 0;
}

/* Any tracepoint: its arguments are not read (see the head of this file). */
static void tph_probe_any(void *data)
{
	hld_tp_enter();
	tph_hit(data, NULL);
	hld_tp_exit();
}

static void tph_probe_sys_enter(void *data, struct pt_regs *regs, long id)
{
	struct tph *t = data;

	if (id != t->sysnr)
		return;
	hld_tp_enter();
	tph_hit(t, NULL);
	hld_tp_exit();
}

static void tph_probe_sys_exit(void *data, struct pt_regs *regs, long ret)
{
	struct tph *t = data;

	if ((long)regs->orig_ax != t->sysnr)
		return;
	hld_tp_enter();
	tph_hit(t, NULL);
	hld_tp_exit();
}

/* Is @name a symbol name: letters, digits, '_', '.' (or, if @colon, "subsys:event")? */
static bool tph_well_formed(const char *name, size_t len, bool colon)
{
	size_t n = strnlen(name, len), i;
	const char *c = strchr(name, ':');

	if (!n || n == len)
		return false;
	for (i = 0; i < n; i++) {
		char ch = name[i];

		if (!isalnum(ch) && ch != '_' && !(ch == '.' && !colon) && !(ch == ':' && colon))
			return false;
	}
	return !c || (c != name && c[1] && !strchr(c + 1, ':'));
}

/* The number of x86_64 syscall @name, or -1. */
static long tph_sysnr(const char *name)
{
	long nr;

	for (nr = 0; nr < ARRAY_SIZE(syscall_names_x86_64); nr++)
		if (syscall_names_x86_64[nr] && !strcmp(syscall_names_x86_64[nr], name))
			return nr;
	return -1;
}

static int tph_check(const struct hld_tracepoint_settings *s, bool kprobe)
{
	if (!tph_well_formed(s->name, sizeof(s->name), !kprobe))
		return -EINVAL;
	if (s->tgid < -1 || s->tgid > 4194304 || s->pid < -1 || s->pid > 4194304)
		return -EINVAL;
	if (s->cpu < -1 || s->cpu > 8191)
		return -EINVAL;
	if (strnlen(s->comm, sizeof(s->comm)) == sizeof(s->comm))
		return -EINVAL;
	if (s->stacks < 0 || s->stacks >= HLD_TP_STACKS__MAX || s->top < 1 || s->top > 100000)
		return -EINVAL;
	return 0;
}

static int tph_kp_check(const void *settings)
{
	return tph_check(settings, true);
}

static int tph_tp_check(const void *settings)
{
	return tph_check(settings, false);
}

static void tph_free(struct tph *t)
{
	int cpu;

	if (!t->cpus)
		return;
	for_each_possible_cpu(cpu)
		vfree(t->cpus[cpu]);
	kfree(t->cpus);
	t->cpus = NULL;
}

/* The tables, at the first activation; kept to the end, for report(). */
static int tph_alloc(struct tph *t)
{
	int cpu;

	if (t->cpus)
		return 0;
	t->cpus = kcalloc(nr_cpu_ids, sizeof(*t->cpus), GFP_KERNEL);
	if (!t->cpus)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		t->cpus[cpu] = vzalloc_node(sizeof(struct tph_cpu), cpu_to_node(cpu));
		if (!t->cpus[cpu]) {
			tph_free(t);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Take the settings and zero the counters since activation; the rows not yet reported stay. */
static int tph_prepare(struct tph *t, const void *settings)
{
	int cpu, err;

	err = tph_alloc(t);
	if (err)
		return err;
	memcpy(&t->set, settings, sizeof(t->set));
	t->want_kernel = t->set.stacks == HLD_TP_STACKS_BOTH || t->set.stacks == HLD_TP_STACKS_KERNEL;
	t->want_user = t->set.stacks == HLD_TP_STACKS_BOTH || t->set.stacks == HLD_TP_STACKS_USER;
	t->skip_start = t->skip_size = 0;
	for_each_possible_cpu(cpu) {
		struct tph_cpu *c = t->cpus[cpu];

		c->events = c->drop_full = c->drop_kstack = c->drop_ustack = 0;
		atomic64_set(&c->missed, 0);
	}
	return 0;
}

/* Arm a kprobe at the entry of the settings' function; register_kprobe()'s error if it cannot be. */
static int tph_kp_activate(const void *settings)
{
	struct tph *t = &tph_kp;
	unsigned long start, size;
	int err;

	err = tph_prepare(t, settings);
	if (err)
		return err;
	strscpy(t->function, t->set.name, sizeof(t->function));
	memset(&t->kp, 0, sizeof(t->kp));
	t->kp.symbol_name = t->function;
	t->kp.pre_handler = tph_kprobe_pre;
	t->kp.flags = KPROBE_FLAG_DISABLED;	/* live once the frames to skip are known */
	err = register_kprobe(&t->kp);
	if (err)
		return err;
	if (tph_func_range((unsigned long)t->kp.addr, &start, &size)) {
		t->skip_start = start;
		t->skip_size = size;
	}
	err = enable_kprobe(&t->kp);
	if (err)
		unregister_kprobe(&t->kp);
	return err;
}

static void tph_kp_deactivate(void)
{
	unregister_kprobe(&tph_kp.kp);
}

/*
 * Find the tracepoint the settings name, as the eBPF feature does:
 * "subsys:event" is the tracepoint named event, syscalls:sys_enter_NAME and
 * sys_exit_NAME are sys_enter and sys_exit filtered to syscall NAME.
 */
static int tph_tp_resolve(struct tph *t)
{
	const char *name = t->set.name, *colon = strchr(name, ':');
	const char *event = colon ? colon + 1 : name;

	t->sysnr = -1;
	t->probe = tph_probe_any;
	if (colon && colon - name == 8 && !strncmp(name, "syscalls", 8)) {
		bool enter = !strncmp(event, "sys_enter_", 10);

		if (enter || !strncmp(event, "sys_exit_", 9)) {
			t->sysnr = tph_sysnr(event + (enter ? 10 : 9));
			if (t->sysnr < 0)
				return -ENOENT;
			event = enter ? "sys_enter" : "sys_exit";
			t->probe = enter ? (void *)tph_probe_sys_enter : (void *)tph_probe_sys_exit;
		}
	}
	t->tp = hld_tracepoint(event);
	return t->tp ? 0 : -ENOENT;
}

static int tph_tp_activate(const void *settings)
{
	struct tph *t = &tph_tp;
	unsigned long start, size;
	int err;

	err = tph_prepare(t, settings);
	if (!err)
		err = tph_tp_resolve(t);
	if (err)
		return err;
	if (t->tp->iterator && tph_func_range((unsigned long)t->tp->iterator, &start, &size)) {
		t->skip_start = start;
		t->skip_size = size;
	}
	err = tracepoint_probe_register(t->tp, t->probe, t);
	if (err)
		tracepoint_synchronize_unregister();
	return err;
}

static void tph_tp_deactivate(void)
{
	tracepoint_probe_unregister(tph_tp.tp, tph_tp.probe, &tph_tp);
	tracepoint_synchronize_unregister();
}

/* perf: the interrupt of @event's cpu-clock timer, in hard interrupt context. */
static void tph_perf_overflow(struct perf_event *event, struct perf_sample_data *data,
			      struct pt_regs *regs)
{
	tph_hit(event->overflow_handler_context, regs);
}

static int tph_perf_check(const void *settings)
{
	const struct hld_perf_settings *s = settings;

	if (s->freq < 1 || s->freq > 10000 || s->kernel > 1 || s->user > 1)
		return -EINVAL;
	if (s->tgid < -1 || s->tgid > 4194304 || s->pid < -1 || s->pid > 4194304)
		return -EINVAL;
	if (s->cpu < -1 || s->cpu > 8191)
		return -EINVAL;
	return strnlen(s->comm, sizeof(s->comm)) == sizeof(s->comm) ? -EINVAL : 0;
}

static void tph_perf_deactivate(void)
{
	struct tph *t = &tph_perf;
	int cpu;

	for_each_possible_cpu(cpu)
		if (t->events[cpu])
			perf_event_release_kernel(t->events[cpu]);
	kfree(t->events);
	t->events = NULL;
}

/*
 * The perf settings in the shared filter's terms, then a cpu-clock event
 * firing freq times a second on each online CPU (or on the settings' CPU).
 */
static int tph_perf_activate(const void *settings)
{
	const struct hld_perf_settings *ps = settings;
	struct hld_tracepoint_settings s = {
		.tgid = ps->tgid, .pid = ps->pid, .cpu = ps->cpu, .top = 1,
		.stacks = ps->kernel ? (ps->user ? HLD_TP_STACKS_BOTH : HLD_TP_STACKS_KERNEL)
				     : (ps->user ? HLD_TP_STACKS_USER : HLD_TP_STACKS_NONE),
	};
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.size = sizeof(attr),
		.freq = 1,
		.sample_freq = ps->freq,
	};
	struct tph *t = &tph_perf;
	int cpu, err, nr = 0;

	memcpy(s.comm, ps->comm, sizeof(s.comm));
	err = tph_prepare(t, &s);
	if (err)
		return err;
	t->events = kcalloc(nr_cpu_ids, sizeof(*t->events), GFP_KERNEL);
	if (!t->events)
		return -ENOMEM;
	for_each_online_cpu(cpu) {
		struct perf_event *e;

		if (ps->cpu >= 0 && cpu != ps->cpu)
			continue;
		e = perf_event_create_kernel_counter(&attr, cpu, NULL, tph_perf_overflow, t);
		if (IS_ERR(e)) {
			tph_perf_deactivate();
			return PTR_ERR(e);
		}
		t->events[cpu] = e;
		nr++;
	}
	if (!nr) {		/* the settings' CPU is not online */
		tph_perf_deactivate();
		return -ENODEV;
	}
	return 0;
}

static int tph_init(char *why, size_t len)
{
	return 0;
}

static int tph_tp_init(char *why, size_t len)
{
	if (IS_ENABLED(CONFIG_CFI_CLANG)) {
		snprintf(why, len, "the kernel checks indirect calls (kCFI): one probe cannot "
			 "serve tracepoints of every prototype");
		return -EOPNOTSUPP;
	}
	return 0;
}

static void tph_kp_exit(void)
{
	tph_free(&tph_kp);
}

static void tph_tp_exit(void)
{
	tph_free(&tph_tp);
}

static void tph_perf_exit(void)
{
	tph_free(&tph_perf);
}

static u64 tph_report_max(void)
{
	return (u64)num_possible_cpus() * (TPH_SLOTS * sizeof(struct hld_tphit_record) +
					   sizeof(struct hld_tpcpu_record));
}

static void tph_hdr(struct hld_record_header *h, u16 type, u32 len, u64 ts)
{
	h->type = type;
	h->version = HLD_RECORD_VERSION;
	h->len = len;
	h->ts = ts;
}

/* Copy @len bytes of record @r out; -EFAULT if the user buffer is bad. */
static int tph_put(void __user *buf, u64 *written, u64 *records, const void *r, u32 len)
{
	if (copy_to_user(buf + *written, r, len))
		return -EFAULT;
	*written += len;
	(*records)++;
	return 0;
}

static int tph_report(struct tph *t, void __user *buf, u64 *written, u64 *records)
{
	struct hld_tphit_record *r;
	struct hld_tpcpu_record cr;
	unsigned int old, i, j;
	int cpu, err = 0;

	if (!t->cpus)
		return 0;
	r = kmalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	old = t->gen & 1;
	WRITE_ONCE(t->gen, old ^ 1);
	synchronize_rcu();	/* no probe still counts into @old */
	for_each_possible_cpu(cpu) {
		struct tph_cpu *c = t->cpus[cpu];

		memset(&cr, 0, sizeof(cr));
		tph_hdr(&cr.hdr, HLD_REC_TPCPU, sizeof(cr), ktime_get_ns());
		cr.cpu = cpu;
		cr.hits = c->hits[old];
		c->hits[old] = 0;
		if (cr.hits && !err)
			err = tph_put(buf, written, records, &cr, sizeof(cr));
		for (i = 0; i < c->nr_used[old]; i++) {
			struct tph_slot *s = &c->slots[old][c->used[old][i]];
			u32 len = HLD_TPHIT_LEN(s->nk, s->nu);

			memset(r, 0, sizeof(*r));
			tph_hdr(&r->hdr, HLD_REC_TPHIT, len, s->ts);
			r->count = s->count;
			r->tgid = s->tgid;
			r->cpu = cpu;
			r->flags = s->flags;
			r->nr_kstack = s->nk;
			r->nr_ustack = s->nu;
			memcpy(r->comm, s->comm, sizeof(r->comm));
			for (j = 0; j < s->nk + s->nu; j++)
				r->ips[j] = s->ips[j];
			if (!err)
				err = tph_put(buf, written, records, r, len);
			s->count = 0;
		}
		c->nr_used[old] = 0;
		cond_resched();
	}
	kfree(r);
	return err;
}

static int tph_kp_report(void __user *buf, u64 len, u64 *written, u64 *records)
{
	return tph_report(&tph_kp, buf, written, records);
}

static int tph_tp_report(void __user *buf, u64 len, u64 *written, u64 *records)
{
	return tph_report(&tph_tp, buf, written, records);
}

static int tph_perf_report(void __user *buf, u64 len, u64 *written, u64 *records)
{
	return tph_report(&tph_perf, buf, written, records);
}

/* Drops by cause: [0] no slot in the table, [1] kernel stack, [2] user stack, [3] runs missed. */
static void tph_stats(struct tph *t, struct hld_ioc_status *st, u64 missed)
{
	int cpu;

	if (!t->cpus)
		return;
	for_each_possible_cpu(cpu) {
		struct tph_cpu *c = t->cpus[cpu];

		st->events += READ_ONCE(c->events);
		st->drops_cause[0] += READ_ONCE(c->drop_full);
		st->drops_cause[1] += READ_ONCE(c->drop_kstack);
		st->drops_cause[2] += READ_ONCE(c->drop_ustack);
		st->drops_cause[3] += atomic64_read(&c->missed);
	}
	st->drops_cause[3] += missed;
	st->drops = st->drops_cause[0] + st->drops_cause[1] + st->drops_cause[2] +
		    st->drops_cause[3];
}

static void tph_kp_stats(struct hld_ioc_status *st)
{
	tph_stats(&tph_kp, st, tph_kp.kp.nmissed);
}

static void tph_tp_stats(struct hld_ioc_status *st)
{
	tph_stats(&tph_tp, st, 0);
}

static void tph_perf_stats(struct hld_ioc_status *st)
{
	tph_stats(&tph_perf, st, 0);
}

const struct hld_feature_ops hld_kprobe_ops = {
	.settings_size = sizeof(struct hld_tracepoint_settings),
	.init = tph_init,
	.exit = tph_kp_exit,
	.check = tph_kp_check,
	.activate = tph_kp_activate,
	.deactivate = tph_kp_deactivate,
	.report_max = tph_report_max,
	.report = tph_kp_report,
	.stats = tph_kp_stats,
};

const struct hld_feature_ops hld_tracepoint_ops = {
	.settings_size = sizeof(struct hld_tracepoint_settings),
	.init = tph_tp_init,
	.exit = tph_tp_exit,
	.check = tph_tp_check,
	.activate = tph_tp_activate,
	.deactivate = tph_tp_deactivate,
	.report_max = tph_report_max,
	.report = tph_tp_report,
	.stats = tph_tp_stats,
};

const struct hld_feature_ops hld_perf_ops = {
	.settings_size = sizeof(struct hld_perf_settings),
	.init = tph_init,
	.exit = tph_perf_exit,
	.check = tph_perf_check,
	.activate = tph_perf_activate,
	.deactivate = tph_perf_deactivate,
	.report_max = tph_report_max,
	.report = tph_perf_report,
	.stats = tph_perf_stats,
};
