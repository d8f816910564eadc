// SPDX-License-Identifier: GPL-2.0
/*
 * feat_execmon.c - exec-monitor: one struct hld_exec_record per successful
 * exec, with the path given to exec, the new image's argv and the parent
 * chain, for read() on /dev/hld.
 *
 * sched_process_exec fires in the task that exec'd, after the new image is
 * in place (exec_binprm()), so current->mm is the new mm whose argv strings
 * exec has just copied in. The tracepoint calls its probes with preemption
 * disabled: argv is read with copy_from_user_nofault() (access_process_vm()
 * may sleep); the pages were written by exec a moment ago and are present,
 * so the read only fails where something unusual unmapped them. The record
 * is built in this CPU's scratch buffer (too big for the stack; allocated
 * at the first activation) and copied
 * into the ring by hld_emit(); a full ring is counted as a drop.
 */
#define pr_fmt(fmt) "hld: " fmt

#include <linux/atomic.h>
#include <linux/binfmts.h>
#include <linux/cred.h>
#include <linux/ktime.h>
#include <linux/mm_types.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>

#include "hld.h"

#define EM_ANCESTOR_MAX	4194304		/* harness/features.c: ancestor */
#define EM_RINGBUF_MIN	4096ull		/* harness/features.c: ringbuf */
#define EM_RINGBUF_MAX	(1ull << 30)

static struct tracepoint *em_tp;
static struct hld_exec_settings em_set;
static struct hld_exec_record __percpu *em_scratch;	/* allocated at the first activation */
static atomic64_t em_execs;		/* execs that passed the filters */
static atomic64_t em_drops;		/* of them, lost: ring full */
static atomic64_t em_args_err;		/* of them, argv unreadable */

/* Is em_set.ancestor among the HLD_EXEC_ANCESTORS nearest ancestors of current? */
static bool em_has_ancestor(void)
{
	struct task_struct *p = current;
	bool found = false;
	int i;

	rcu_read_lock();
	for (i = 0; i < HLD_EXEC_ANCESTORS; i++) {
		p = rcu_dereference(p->real_parent);
		if (p->tgid == em_set.ancestor) {
			found = true;
			break;
		}
		if (!p->pid)	/* the idle task: the top */
			break;
	}
	rcu_read_unlock();
	return found;
}

/* The parent chain, parent first, up to HLD_EXEC_ANCESTORS deep or to the idle task. */
static void em_fill_ancestors(struct hld_exec_record *rec)
{
	struct task_struct *p = current;
	u32 n = 0;

	rcu_read_lock();
	while (n < HLD_EXEC_ANCESTORS) {
		struct hld_exec_ancestor *a = &rec->ancestors[n++];

		p = rcu_dereference(p->real_parent);
		a->pid = p->pid;
		a->tgid = p->tgid;
		/* racy against a rename, as ps is: bounded, always terminated */
		memcpy(a->comm, p->comm, HLD_COMM_LEN);
		a->comm[HLD_COMM_LEN - 1] = '\0';
		if (!p->pid)
			break;
	}
	rcu_read_unlock();
	rec->nr_ancestors = n;
}

/* argv from the new mm, as it lies there: at most HLD_EXEC_ARGS bytes. */
static void em_fill_args(struct hld_exec_record *rec)
{
	struct mm_struct *mm = current->mm;
	unsigned long start, end, len;

	rec->args_len = 0;
	rec->args_total = 0;
	rec->args_err = 0;
	if (!mm)
		return;
	start = READ_ONCE(mm->arg_start);
	end = READ_ONCE(mm->arg_end);
	len = end > start ? end - start : 0;
	rec->args_total = min_t(unsigned long, len, U32_MAX);
	len = min_t(unsigned long, len, HLD_EXEC_ARGS);
	if (!len)
		return;
	if (copy_from_user_nofault(rec->args, (const void __user *)start, len)) {
		rec->args_err = -EFAULT;
		atomic64_inc(&em_args_err);
		return;
	}
	rec->args_len = len;
}

static void em_probe(void *data, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct hld_exec_record *rec;

	if (em_set.comm[0] && strncmp(current->comm, em_set.comm, HLD_COMM_LEN))
		return;
	if (em_set.ancestor >= 0 && !em_has_ancestor())
		return;
	atomic64_inc(&em_execs);
	hld_tp_enter();
	rec = this_cpu_ptr(em_scratch);
	memset(rec, 0, sizeof(*rec));
	rec->hdr.type = HLD_REC_EXEC;
	rec->hdr.version = HLD_RECORD_VERSION;
	rec->hdr.len = sizeof(*rec);
	rec->hdr.ts = ktime_get_ns();
	rec->pid = current->pid;
	rec->tgid = current->tgid;
	rec->old_pid = old_pid;
	rec->uid = from_kuid_munged(&init_user_ns, current_uid());
	memcpy(rec->comm, current->comm, HLD_COMM_LEN);
	rec->comm[HLD_COMM_LEN - 1] = '\0';
	strscpy(rec->filename, bprm->filename, sizeof(rec->filename));
	em_fill_ancestors(rec);
	em_fill_args(rec);
	if (!hld_emit(HLD_FEAT_exec_monitor, rec, sizeof(*rec)))
		atomic64_inc(&em_drops);
	hld_tp_exit();
}

static int em_init(char *why, size_t len)
{
	em_tp = hld_tracepoint("sched_process_exec");
	if (!em_tp) {
		snprintf(why, len, "the kernel has no sched_process_exec tracepoint");
		return -ENODEV;
	}
	return 0;
}

/* The ranges of harness/features.c; the comm a terminated string. */
static int em_check(const void *settings)
{
	const struct hld_exec_settings *s = settings;

	if (strnlen(s->comm, sizeof(s->comm)) == sizeof(s->comm))
		return -EINVAL;
	if (s->ancestor < -1 || s->ancestor > EM_ANCESTOR_MAX)
		return -EINVAL;
	if (s->ringbuf_size < EM_RINGBUF_MIN || s->ringbuf_size > EM_RINGBUF_MAX)
		return -EINVAL;
	return 0;
}

static void em_exit(void)
{
	free_percpu(em_scratch);
	em_scratch = NULL;
}

static int em_activate(const void *settings)
{
	if (!em_scratch) {
		em_scratch = alloc_percpu(struct hld_exec_record);
		if (!em_scratch)
			return -ENOMEM;
	}
	memcpy(&em_set, settings, sizeof(em_set));
	atomic64_set(&em_execs, 0);
	atomic64_set(&em_drops, 0);
	atomic64_set(&em_args_err, 0);
	return tracepoint_probe_register(em_tp, em_probe, NULL);
}

static void em_deactivate(void)
{
	tracepoint_probe_unregister(em_tp, em_probe, NULL);
	tracepoint_synchronize_unregister();
}

/* Records go to read(): the report ioctl has nothing to drain. */
static u64 em_report_max(void)
{
	return 0;
}

static int em_report(void __user *buf, u64 len, u64 *written, u64 *records)
{
	return 0;
}

/* drops_cause[0]: ring full; drops_cause[1]: not a drop, records with argv unreadable. */
static void em_stats(struct hld_ioc_status *st)
{
	st->events = atomic64_read(&em_execs);
	st->drops_cause[0] = atomic64_read(&em_drops);
	st->drops_cause[1] = atomic64_read(&em_args_err);
	st->drops = st->drops_cause[0];
}

const struct hld_feature_ops hld_execmon_ops = {
	.streams = true,
	.settings_size = sizeof(struct hld_exec_settings),
	.init = em_init,
	.exit = em_exit,
	.check = em_check,
	.activate = em_activate,
	.deactivate = em_deactivate,
	.report_max = em_report_max,
	.report = em_report,
	.stats = em_stats,
};
