// SPDX-License-Identifier: GPL-2.0
/*
 * feat_reboot.c - reboot: who called reboot(2), with its arguments, its
 * parent chain and its kernel and user stacks.
 *
 * The raw sys_enter tracepoint (registered by name, as sys-cost does) runs
 * at every syscall entry, in the caller's context, before the syscall
 * body; anything but a native __NR_reboot returns at once, so an invalid
 * magic is seen too (a reboot notifier would see only calls that restart).
 * The record is built in this CPU's preallocated scratch struct
 * hld_reboot_record, with preemption disabled, and emitted to read():
 * user space appends it to the persistent log (fsync'ed) and reports it.
 *
 * Bounded: at most HLD_REBOOT_ANCESTORS parents (under rcu_read_lock), one
 * stack_trace_save() of HLD_MAX_STACK frames, a frame-pointer walk of the
 * user stack of at most HLD_MAX_STACK non-faulting reads. A record that
 * does not fit in the ring is counted as a drop.
 */
#define pr_fmt(fmt) "hld: " fmt

#include <linux/atomic.h>
#include <linux/cred.h>
#include <linux/compat.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>
#include <asm/syscall.h>
#include <asm/unistd.h>

#include "hld.h"

static struct tracepoint *rb_tp_enter;
static struct hld_reboot_record __percpu *rb_scratch;	/* allocated at the first activation */
static bool rb_ustacks;
static atomic64_t rb_calls;		/* reboot(2) calls seen since activation */
static atomic64_t rb_drop_ring;		/* records not emitted: the ring was full */
static atomic64_t rb_no_kstack;		/* records without a kernel stack */

/* The parent chain of current, parent first, up to the idle task. */
static u32 rb_ancestors(struct hld_reboot_record *r)
{
	struct task_struct *p = current;
	u32 n = 0;

	rcu_read_lock();
	while (n < HLD_REBOOT_ANCESTORS) {
		p = rcu_dereference(p->real_parent);
		if (!p)
			break;
		r->ancestors[n].pid = p->pid;
		r->ancestors[n].tgid = p->tgid;
		__get_task_comm(r->ancestors[n].comm, sizeof(r->ancestors[n].comm), p);
		if (!r->ancestors[n++].pid)	/* the idle task: the top */
			break;
	}
	rcu_read_unlock();
	return n;
}

/*
 * The caller's user stack by frame pointers, innermost first: the
 * interrupted ip, then the return address of each frame, read without
 * faulting. A frame that does not lie above the previous one ends it.
 */
static u32 rb_ustack(u64 *ips, u32 max)
{
	struct pt_regs *regs = task_pt_regs(current);
	unsigned long fp = frame_pointer(regs), frame[2];
	u32 n = 0;

	if (!user_mode(regs))
		return 0;
	ips[n++] = instruction_pointer(regs);
	while (n < max && fp && IS_ALIGNED(fp, sizeof(long))) {
		if (copy_from_user_nofault(frame, (const void __user *)fp, sizeof(frame)))
			break;
		if (!frame[1])
			break;
		ips[n++] = frame[1];
		if (frame[0] <= fp)
			break;
		fp = frame[0];
	}
	return n;
}

static void rb_probe_enter(void *data, struct pt_regs *regs, long id)
{
	struct hld_reboot_record *r;
	unsigned long args[6];

	if (id != __NR_reboot || in_compat_syscall())
		return;
	syscall_get_arguments(current, regs, args);
	hld_tp_enter();
	r = this_cpu_ptr(rb_scratch);
	memset(r, 0, sizeof(*r));
	r->hdr.type = HLD_REC_REBOOT;
	r->hdr.version = HLD_RECORD_VERSION;
	r->hdr.len = sizeof(*r);
	r->hdr.ts = ktime_get_ns();
	r->seq = atomic64_inc_return(&rb_calls) - 1;
	r->pid = current->pid;
	r->tgid = current->tgid;
	r->uid = from_kuid_munged(&init_user_ns, current_uid());
	/* reboot(int magic1, int magic2, unsigned int cmd, void *arg) */
	r->magic1 = args[0];
	r->magic2 = args[1];
	r->cmd = args[2];
	r->arg = args[3];
	__get_task_comm(r->comm, sizeof(r->comm), current);
	r->nr_ancestors = rb_ancestors(r);
	r->nr_kstack = stack_trace_save((unsigned long *)r->kstack, HLD_MAX_STACK, 0);
	if (!r->nr_kstack)
		atomic64_inc(&rb_no_kstack);
	if (rb_ustacks) {
		r->nr_ustack = rb_ustack(r->ustack, HLD_MAX_STACK);
		if (!r->nr_ustack)
			r->ustack_err = -EFAULT;
	}
	if (!hld_emit(HLD_FEAT_reboot, r, sizeof(*r)))
		atomic64_inc(&rb_drop_ring);
	hld_tp_exit();
}

static int rb_init(char *why, size_t len)
{
	BUILD_BUG_ON(sizeof(unsigned long) != sizeof(u64));
	rb_tp_enter = hld_tracepoint("sys_enter");
	if (!rb_tp_enter) {
		snprintf(why, len, "the kernel has no sys_enter tracepoint "
			 "(CONFIG_HAVE_SYSCALL_TRACEPOINTS)");
		return -ENODEV;
	}
	return 0;
}

static void rb_exit(void)
{
	free_percpu(rb_scratch);
	rb_scratch = NULL;
}

static int rb_check(const void *settings)
{
	const struct hld_reboot_settings *s = settings;

	if (strnlen(s->log, sizeof(s->log)) == sizeof(s->log))
		return -EINVAL;
	return s->user_stacks > 1 ? -EINVAL : 0;
}

static int rb_activate(const void *settings)
{
	const struct hld_reboot_settings *s = settings;

	if (!rb_scratch) {
		rb_scratch = alloc_percpu(struct hld_reboot_record);
		if (!rb_scratch)
			return -ENOMEM;
	}
	rb_ustacks = s->user_stacks;
	atomic64_set(&rb_calls, 0);
	atomic64_set(&rb_drop_ring, 0);
	atomic64_set(&rb_no_kstack, 0);
	return tracepoint_probe_register(rb_tp_enter, rb_probe_enter, NULL);
}

static void rb_deactivate(void)
{
	tracepoint_probe_unregister(rb_tp_enter, rb_probe_enter, NULL);
	tracepoint_synchronize_unregister();
}

/* The records go to read(), not to the report ioctl. */
static u64 rb_report_max(void)
{
	return 0;
}

static int rb_report(void __user *buf, u64 len, u64 *written, u64 *records)
{
	return 0;
}

/* drops_cause: [0] ring full; [1] (not a drop) records without a kernel stack. */
static void rb_stats(struct hld_ioc_status *st)
{
	st->events = atomic64_read(&rb_calls);
	st->drops_cause[0] = atomic64_read(&rb_drop_ring);
	st->drops_cause[1] = atomic64_read(&rb_no_kstack);
	st->drops = st->drops_cause[0];
}

const struct hld_feature_ops hld_reboot_ops = {
	.streams = true,
	.settings_size = sizeof(struct hld_reboot_settings),
	.init = rb_init,
	.exit = rb_exit,
	.check = rb_check,
	.activate = rb_activate,
	.deactivate = rb_deactivate,
	.report_max = rb_report_max,
	.report = rb_report,
	.stats = rb_stats,
};
