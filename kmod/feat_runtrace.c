// SPDX-License-Identifier: GPL-2.0
/*
 * feat_runtrace.c - run-trace: the timeline of one thread, as intervals on
 * CPU in user mode, on CPU in kernel mode, and off CPU with the reason it
 * left and the kernel stack it left from (the module's twin of
 * bpf/runtrace.bpf.c).
 *
 * sched_switch opens and closes the off-CPU intervals: when the thread
 * switches out it is still current, so stack_trace_save() there takes its
 * stack; sys_enter/sys_exit split its on-CPU time into user and kernel;
 * sched_waking/sched_wakeup note who woke it. Each interval that ends is one
 * struct hld_runtrace_record through hld_emit() (read() of /dev/hld); the
 * totals per kind and per reason are counted here for every interval, so
 * they hold when records are dropped.
 *
 * One thread's events are few and come from any CPU: the interval in
 * progress and the totals sit under one raw spinlock (a leaf: taken in the
 * probes, which may hold the runqueue or pi lock, and in report()). A
 * report takes the totals and zeroes them under that lock and returns them
 * with the time it did (struct hld_runtrace_totals): every interval counted
 * in them was emitted before, with an end at or before that time; every
 * later one has a later end. User space cuts the records it read there.
 */
#define pr_fmt(fmt) "hld: " fmt

#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>

#include "hld.h"

enum rt_tp {
	RT_TP_SWITCH,
	RT_TP_WAKING,
	RT_TP_WAKEUP,
	RT_TP_SYS_ENTER,
	RT_TP_SYS_EXIT,
	RT_TP__MAX,
};

static const char *const rt_tp_names[RT_TP__MAX] = {
	[RT_TP_SWITCH] = "sched_switch",
	[RT_TP_WAKING] = "sched_waking",
	[RT_TP_WAKEUP] = "sched_wakeup",
	[RT_TP_SYS_ENTER] = "sys_enter",
	[RT_TP_SYS_EXIT] = "sys_exit",
};

/* The interval in progress, the totals since the last report, the record being built. */
struct rt_state {
	u64 start;			/* 0: not known yet (attached mid-interval) */
	u32 kind;			/* enum hld_runtrace_kind */
	u32 reason;
	u32 cpu;
	bool in_syscall;
	bool woken;
	u32 waker_pid;
	char waker_comm[HLD_COMM_LEN];
	unsigned int nr_kstack;
	unsigned long kstack[HLD_MAX_STACK];
	struct hld_runtrace_totals tot;
	u64 drops;			/* records lost: over max_events or buffer full */
	u64 no_stack;			/* off-CPU intervals without a kernel stack */
	u64 events;			/* records emitted since activation */
	struct hld_runtrace_record rec;
};

static struct tracepoint *rt_tps[RT_TP__MAX];
static DEFINE_RAW_SPINLOCK(rt_lock);
static struct rt_state rt;
static pid_t rt_pid;			/* the thread traced; 0 when inactive */
static u64 rt_max_events;

/* Close the interval in progress at @now: count it and emit its record. rt_lock held. */
static void rt_close(u64 now)
{
	struct hld_runtrace_record *r = &rt.rec;
	u64 d;
	u32 len, k;

	if (!rt.start)
		return;
	d = now - rt.start;
	if (rt.kind == HLD_RUNTRACE_OFFCPU) {
		rt.tot.offcpu_ns[rt.reason] += d;
		rt.tot.offcpu_cnt[rt.reason]++;
	} else {
		rt.tot.oncpu_ns[rt.kind] += d;
	}
	if (rt.tot.events >= rt_max_events) {	/* the cap is per report */
		rt.drops++;
		return;
	}
	len = rt.kind == HLD_RUNTRACE_OFFCPU ? sizeof(*r) : HLD_RUNTRACE_ONCPU_LEN;
	memset(r, 0, len);
	r->hdr.type = HLD_REC_RUNTRACE;
	r->hdr.version = HLD_RECORD_VERSION;
	r->hdr.len = len;
	r->hdr.ts = rt.start;
	r->duration_ns = d;
	r->kind = rt.kind;
	r->cpu = rt.cpu;
	r->reason = rt.reason;
	if (rt.kind == HLD_RUNTRACE_OFFCPU) {
		r->nr_kstack = rt.nr_kstack;
		r->waker_pid = rt.waker_pid;
		r->woken = rt.woken;
		memcpy(r->waker_comm, rt.waker_comm, HLD_COMM_LEN);
		for (k = 0; k < rt.nr_kstack; k++)
			r->kstack[k] = rt.kstack[k];
	}
	if (!hld_emit(HLD_FEAT_run_trace, r, len)) {
		rt.drops++;
		return;
	}
	rt.tot.events++;
	rt.events++;
}

/* Start an on-CPU interval at @now, user or kernel as the syscall state says. rt_lock held. */
static void rt_oncpu(u64 now)
{
	rt.start = now;
	rt.kind = rt.in_syscall ? HLD_RUNTRACE_ONCPU_KERNEL : HLD_RUNTRACE_ONCPU_USER;
	rt.reason = 0;
	rt.cpu = raw_smp_processor_id();
}

/* The off-CPU reason for a task leaving the CPU with @pstate, @preempt. */
static u32 rt_reason(bool preempt, unsigned int pstate)
{
	if (preempt || !pstate)
		return HLD_RUNTRACE_PREEMPTED;
	if (pstate & TASK_INTERRUPTIBLE)
		return HLD_RUNTRACE_SLEEP;
	if (pstate & TASK_UNINTERRUPTIBLE)
		return HLD_RUNTRACE_UNINTERRUPTIBLE;
	return HLD_RUNTRACE_OTHER;
}

static void rt_probe_switch(void *data, bool preempt, struct task_struct *prev,
			    struct task_struct *next, unsigned int prev_state)
{
	pid_t pid = READ_ONCE(rt_pid);
	unsigned long flags;
	u64 now;

	if (prev->pid != pid && next->pid != pid)
		return;
	raw_spin_lock_irqsave(&rt_lock, flags);
	now = ktime_get_mono_fast_ns();
	rt_close(now);
	if (prev->pid == pid) {
		/* prev is current here: its stack is the one it switches out from. */
		rt.start = now;
		rt.kind = HLD_RUNTRACE_OFFCPU;
		rt.reason = rt_reason(preempt, prev_state);
		rt.cpu = raw_smp_processor_id();
		rt.woken = false;
		rt.waker_pid = 0;
		rt.waker_comm[0] = '\0';
		rt.nr_kstack = stack_trace_save(rt.kstack, HLD_MAX_STACK, 0);
		if (!rt.nr_kstack)
			rt.no_stack++;
	} else {
		rt_oncpu(now);
	}
	raw_spin_unlock_irqrestore(&rt_lock, flags);
}

/* Who woke the thread: the task current when it was made runnable. */
static void rt_probe_woken(void *data, struct task_struct *p)
{
	unsigned long flags;

	if (p->pid != READ_ONCE(rt_pid))
		return;
	raw_spin_lock_irqsave(&rt_lock, flags);
	if (rt.kind == HLD_RUNTRACE_OFFCPU && !rt.woken) {
		rt.woken = true;
		rt.waker_pid = current->pid;
		strscpy_pad(rt.waker_comm, current->comm, sizeof(rt.waker_comm));
	}
	raw_spin_unlock_irqrestore(&rt_lock, flags);
}

/* Switch between user and kernel mode at a syscall boundary of the thread. */
static void rt_mode(bool in_syscall)
{
	unsigned long flags;

	if (current->pid != READ_ONCE(rt_pid))
		return;
	raw_spin_lock_irqsave(&rt_lock, flags);
	/*
	 * What ends here was kernel mode if a syscall exits, user mode if one
	 * starts, whatever was assumed at switch-in (attached mid-syscall).
	 */
	if (rt.kind != HLD_RUNTRACE_OFFCPU)
		rt.kind = in_syscall ? HLD_RUNTRACE_ONCPU_USER : HLD_RUNTRACE_ONCPU_KERNEL;
	rt_close(ktime_get_mono_fast_ns());
	rt.in_syscall = in_syscall;
	rt_oncpu(ktime_get_mono_fast_ns());
	raw_spin_unlock_irqrestore(&rt_lock, flags);
}

static void rt_probe_sys_enter(void *data, struct pt_regs *regs, long id)
{
	rt_mode(true);
}

static void rt_probe_sys_exit(void *data, struct pt_regs *regs, long ret)
{
	rt_mode(false);
}

static void *const rt_probes[RT_TP__MAX] = {
	[RT_TP_SWITCH] = rt_probe_switch,
	[RT_TP_WAKING] = rt_probe_woken,
	[RT_TP_WAKEUP] = rt_probe_woken,
	[RT_TP_SYS_ENTER] = rt_probe_sys_enter,
	[RT_TP_SYS_EXIT] = rt_probe_sys_exit,
};

static int rt_init(char *why, size_t len)
{
	int i;

	for (i = 0; i < RT_TP__MAX; i++) {
		rt_tps[i] = hld_tracepoint(rt_tp_names[i]);
		if (!rt_tps[i]) {
			snprintf(why, len, "the kernel has no %s tracepoint", rt_tp_names[i]);
			return -ENODEV;
		}
	}
	return 0;
}

/* The same ranges as harness/features.c; a thread is required. */
static int rt_check(const void *settings)
{
	const struct hld_runtrace_settings *s = settings;

	if (s->pid <= 0 || s->pid > 4194304)
		return -EINVAL;
	if (s->max_events < 1 || s->max_events > 10000000)
		return -EINVAL;
	if (s->ringbuf_size < 4096 || s->ringbuf_size > (1ull << 30))
		return -EINVAL;
	return 0;
}

/* Unregister the probes of tracepoints [0, @n). */
static void rt_unregister(int n)
{
	while (n-- > 0)
		tracepoint_probe_unregister(rt_tps[n], rt_probes[n], NULL);
	tracepoint_synchronize_unregister();
}

/*
 * Trace a new thread from a clean state: no interval in progress, drop
 * counters zeroed; totals not yet reported stay for report().
 */
static int rt_activate(const void *settings)
{
	const struct hld_runtrace_settings *s = settings;
	unsigned long flags;
	int i, err;

	raw_spin_lock_irqsave(&rt_lock, flags);
	rt.start = 0;
	rt.kind = HLD_RUNTRACE_ONCPU_USER;
	rt.in_syscall = false;
	rt.drops = 0;
	rt.no_stack = 0;
	rt.events = 0;
	rt_max_events = s->max_events;
	WRITE_ONCE(rt_pid, s->pid);
	raw_spin_unlock_irqrestore(&rt_lock, flags);
	for (i = 0; i < RT_TP__MAX; i++) {
		err = tracepoint_probe_register(rt_tps[i], rt_probes[i], NULL);
		if (err)
			goto undo_register;
	}
	return 0;

undo_register:
	rt_unregister(i);
	WRITE_ONCE(rt_pid, 0);
	return err;
}

static void rt_deactivate(void)
{
	rt_unregister(RT_TP__MAX);
	WRITE_ONCE(rt_pid, 0);
}

static u64 rt_report_max(void)
{
	return sizeof(struct hld_runtrace_totals);
}

/* Hand out the totals since the last report, with the cut, and zero them. */
static int rt_report(void __user *buf, u64 len, u64 *written, u64 *records)
{
	struct hld_runtrace_totals t;
	unsigned long flags;

	raw_spin_lock_irqsave(&rt_lock, flags);
	t = rt.tot;
	t.hdr.ts = ktime_get_mono_fast_ns();
	memset(&rt.tot, 0, sizeof(rt.tot));
	raw_spin_unlock_irqrestore(&rt_lock, flags);
	t.hdr.type = HLD_REC_RUNTRACE_TOTALS;
	t.hdr.version = HLD_RECORD_VERSION;
	t.hdr.len = sizeof(t);
	if (copy_to_user(buf, &t, sizeof(t)))
		return -EFAULT;
	*written = sizeof(t);
	*records = 1;
	return 0;
}

static void rt_stats(struct hld_ioc_status *st)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&rt_lock, flags);
	st->events = rt.events;
	st->drops_cause[0] = rt.drops;
	st->drops_cause[1] = rt.no_stack;
	raw_spin_unlock_irqrestore(&rt_lock, flags);
	st->drops = st->drops_cause[0];
}

const struct hld_feature_ops hld_runtrace_ops = {
	.streams = true,
	.settings_size = sizeof(struct hld_runtrace_settings),
	.init = rt_init,
	.check = rt_check,
	.activate = rt_activate,
	.deactivate = rt_deactivate,
	.report_max = rt_report_max,
	.report = rt_report,
	.stats = rt_stats,
};
