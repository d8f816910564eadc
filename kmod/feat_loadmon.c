// SPDX-License-Identifier: GPL-2.0
/*
 * feat_loadmon.c - load-monitor: check the load every interval and, when a
 * threshold is crossed, capture the R and D tasks with their kernel stacks
 * (the module's twin of bpf/loadmon.bpf.c).
 *
 * The hrtimer only reads the kernel's load average (avenrun, exported) and
 * queues the check on a workqueue; it never looks at a task. The scheduler's
 * instantaneous counts (nr_running, nr_uninterruptible) are not exported to
 * modules, so the check counts R and D itself in process context: one walk
 * of the threads under rcu_read_lock (for_each_process_thread, at most
 * LM_WALK_MAX of them). load compares the kernel's 1-minute average;
 * load.r an average of R the module keeps the kernel's way (fixed point,
 * EXP_1, every 5 s, from the mean of the checks); load.d the difference;
 * task.d and task.r the counts of this check. A crossing outside min-gap
 * captures: a second walk emits each R and D thread (up to max_tasks, the
 * rest counted) as struct hld_loadmon_task, then struct
 * hld_loadmon_capture with the counts, through hld_emit().
 *
 * Other tasks' kernel stacks need stack_trace_save_tsk(), exported on 6.12
 * only (hld_compat.h): before, the tasks are captured without stacks and
 * the stats say stacks are unavailable. User stacks of other tasks cannot be
 * read from a worker: never captured.
 */
#define pr_fmt(fmt) "hld: " fmt

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/loadavg.h>
#include <linux/sched/signal.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "hld.h"

#define LM_WALK_MAX	65536		/* threads examined per walk, at most */
#define LM_LOAD_FREQ_NS	(5ull * NSEC_PER_SEC)

static const u64 lm_exp[3] = { EXP_1, EXP_5, EXP_15 };

static struct hld_loadmon_settings lm_set;
static struct hrtimer lm_timer;
static struct work_struct lm_work;
static DEFINE_SPINLOCK(lm_lock);	/* lm_st against report() and stats() */
static struct hld_loadmon_stats lm_st;	/* window, state, counters */
static atomic64_t lm_busy;		/* checks skipped: the previous one still queued */
static bool lm_armed;

/* The worker's own state (one check runs at a time). */
static u64 lm_load_next, lm_sum_r, lm_samples, lm_last_capture;
static struct hld_loadmon_task lm_rec;
static unsigned long lm_stack[HLD_MAX_STACK];

/* The task's state as a record state: R, D, or -1 for neither. */
static int lm_state(struct task_struct *t)
{
	unsigned int st = READ_ONCE(t->__state);

	if (st == TASK_RUNNING)
		return HLD_STATE_R;
	if ((st & TASK_UNINTERRUPTIBLE) && !(st & TASK_NOLOAD))
		return HLD_STATE_D;
	return -1;
}

/* Is @t load a walk counts? Not the idle tasks, not the worker itself. */
static bool lm_counts(struct task_struct *t)
{
	return t->pid && t != current;
}

/* Count R and D threads now. */
static void lm_count(u32 *r, u32 *d, bool *truncated)
{
	struct task_struct *g, *t;
	u32 seen = 0;

	*r = *d = 0;
	*truncated = false;
	rcu_read_lock();
	for_each_process_thread(g, t) {
		if (++seen > LM_WALK_MAX) {
			*truncated = true;
			goto out;
		}
		if (!lm_counts(t))
			continue;
		switch (lm_state(t)) {
		case HLD_STATE_R:
			(*r)++;
			break;
		case HLD_STATE_D:
			(*d)++;
			break;
		}
	}
out:
	rcu_read_unlock();
}

/* Emit task @t in state @state for capture @seq, or count why not. */
static void lm_emit_task(struct task_struct *t, int state, u64 seq,
			 struct hld_loadmon_capture *cap, u64 *drop_cap, u64 *drop_rb,
			 u64 *drop_stack)
{
	struct hld_loadmon_task *rec = &lm_rec;
	unsigned int n, k;

	if (cap->nr_emitted >= lm_set.max_tasks) {
		cap->nr_dropped++;
		(*drop_cap)++;
		return;
	}
	rec->hdr.ts = ktime_get_ns();
	rec->capture = seq;
	rec->pid = t->pid;
	rec->tgid = t->tgid;
	rec->state = state;
	rec->nr_ustack = 0;
	__get_task_comm(rec->comm, sizeof(rec->comm), t);
	n = hld_stack_tsk(t, lm_stack, HLD_MAX_STACK);
	for (k = 0; k < n; k++)
		rec->kstack[k] = lm_stack[k];
	rec->nr_kstack = n;
	if (!n && HLD_HAVE_STACK_TSK)
		(*drop_stack)++;
	if (!hld_emit(HLD_FEAT_load_monitor, rec, sizeof(*rec))) {
		cap->nr_dropped++;
		(*drop_rb)++;
		return;
	}
	cap->nr_emitted++;
}

/* One capture: the R and D threads, then the record that closes it. */
static void lm_capture(u64 seq, bool *truncated)
{
	struct hld_loadmon_capture cap = {
		.hdr.type = HLD_REC_LOADMON_CAPTURE,
		.hdr.version = HLD_RECORD_VERSION,
		.hdr.len = sizeof(cap),
		.capture = seq,
	};
	u64 drop_cap = 0, drop_rb = 0, drop_stack = 0;
	struct task_struct *g, *t;
	u32 seen = 0;
	int state;

	lm_rec.hdr.type = HLD_REC_LOADMON_TASK;
	lm_rec.hdr.version = HLD_RECORD_VERSION;
	lm_rec.hdr.len = sizeof(lm_rec);
	rcu_read_lock();
	for_each_process_thread(g, t) {
		if (++seen > LM_WALK_MAX) {
			*truncated = true;
			goto out;
		}
		if (!lm_counts(t))
			continue;
		state = lm_state(t);
		if (state < 0)
			continue;
		if (state == HLD_STATE_R)
			cap.nr_r++;
		else
			cap.nr_d++;
		lm_emit_task(t, state, seq, &cap, &drop_cap, &drop_rb, &drop_stack);
	}
out:
	rcu_read_unlock();
	cap.hdr.ts = ktime_get_ns();
	spin_lock(&lm_lock);
	lm_st.drop_cap += drop_cap;
	lm_st.drop_ringbuf += drop_rb;
	lm_st.drop_stack += drop_stack;
	lm_st.tasks_counted += cap.nr_r + cap.nr_d;
	lm_st.captures++;
	lm_st.tasks += cap.nr_emitted;
	if (!hld_emit(HLD_FEAT_load_monitor, &cap, sizeof(cap)))
		lm_st.drop_capture_rec++;
	spin_unlock(&lm_lock);
}

/* kernel/sched/loadavg.c calc_load(): one step of the fixed-point EWMA. */
static u64 lm_calc_load(u64 load, u64 exp, u64 active)
{
	u64 newload = load * exp + active * (FIXED_1 - exp);

	if (active >= load)
		newload += FIXED_1 - 1;
	return newload / FIXED_1;
}

/* Which thresholds are crossed: HLD_LOADMON_REASON_* bits. lm_lock held. */
static u32 lm_crossed(u32 r, u32 d)
{
	u64 l = lm_st.avenrun[0], lr = lm_st.avenrun_r[0], ld = l > lr ? l - lr : 0;
	u32 why = 0;

	if (lm_set.load && l >> FSHIFT >= lm_set.load)
		why |= HLD_LOADMON_REASON_LOAD;
	if (lm_set.load_r && lr >> FSHIFT >= lm_set.load_r)
		why |= HLD_LOADMON_REASON_LOAD_R;
	if (lm_set.load_d && ld >> FSHIFT >= lm_set.load_d)
		why |= HLD_LOADMON_REASON_LOAD_D;
	if (lm_set.task_d && d >= lm_set.task_d)
		why |= HLD_LOADMON_REASON_TASK_D;
	if (lm_set.task_r && r >= lm_set.task_r)
		why |= HLD_LOADMON_REASON_TASK_R;
	return why;
}

/* One check, in process context: count, update the averages, capture if due. */
static void lm_check(struct work_struct *w)
{
	u64 t0 = ktime_get_ns(), seq = 0, dt;
	bool truncated, capture = false;
	u32 r, d, why;
	int i;

	lm_count(&r, &d, &truncated);
	spin_lock(&lm_lock);
	for (i = 0; i < 3; i++)
		lm_st.avenrun[i] = READ_ONCE(avenrun[i]);
	lm_sum_r += r;
	lm_samples++;
	if (t0 >= lm_load_next) {
		u64 ar = lm_sum_r * FIXED_1 / lm_samples;

		for (i = 0; i < 3; i++)
			lm_st.avenrun_r[i] = lm_calc_load(lm_st.avenrun_r[i], lm_exp[i], ar);
		lm_load_next = t0 + LM_LOAD_FREQ_NS;
		lm_sum_r = 0;
		lm_samples = 0;
	}
	lm_st.cur_r = r;
	lm_st.cur_d = d;
	lm_st.checks++;
	lm_st.sum_r += r;
	lm_st.sum_d += d;
	lm_st.max_r = max_t(u64, lm_st.max_r, r);
	lm_st.max_d = max_t(u64, lm_st.max_d, d);
	lm_st.walk_truncated += truncated;
	why = lm_crossed(r, d);
	if (why) {
		lm_st.crossed++;
		if (lm_last_capture && t0 - lm_last_capture < lm_set.min_gap_ms * NSEC_PER_MSEC) {
			lm_st.drop_rate++;
		} else {
			lm_last_capture = t0;
			lm_st.last_reasons = why;
			seq = ++lm_st.capture_seq;
			capture = true;
		}
	}
	spin_unlock(&lm_lock);
	truncated = false;
	if (capture)
		lm_capture(seq, &truncated);
	dt = ktime_get_ns() - t0;
	spin_lock(&lm_lock);
	lm_st.walk_truncated += truncated;
	lm_st.run_ns += dt;
	lm_st.run_cnt++;
	if (capture) {
		lm_st.capture_ns += dt;
		lm_st.capture_max_ns = max(lm_st.capture_max_ns, dt);
	}
	spin_unlock(&lm_lock);
}

/* Every interval: queue the check; a check still queued or running skips this one. */
static enum hrtimer_restart lm_tick(struct hrtimer *t)
{
	if (!queue_work(system_unbound_wq, &lm_work))
		atomic64_inc(&lm_busy);
	hrtimer_forward_now(t, ms_to_ktime(lm_set.interval_ms));
	return HRTIMER_RESTART;
}

static int lm_init(char *why, size_t len)
{
	INIT_WORK(&lm_work, lm_check);
	hrtimer_init(&lm_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	lm_timer.function = lm_tick;
	return 0;
}

/* The same ranges as harness/features.c. */
static int lm_check_settings(const void *settings)
{
	const struct hld_loadmon_settings *s = settings;

	if (s->load > 100000 || s->load_r > 100000 || s->load_d > 100000 ||
	    s->task_d > 100000 || s->task_r > 100000)
		return -EINVAL;
	if (s->interval_ms < 10 || s->interval_ms > 10000)
		return -EINVAL;
	if (s->max_tasks < 1 || s->max_tasks > 4096)
		return -EINVAL;
	if (s->min_gap_ms > 3600000 || s->user_stacks > 1)
		return -EINVAL;
	return 0;
}

/*
 * Start from the kernel's load averages (R's share of them is what is not
 * D now), with the counters since activation zeroed; the window not yet
 * reported stays.
 */
static int lm_activate(const void *settings)
{
	bool truncated;
	u32 r, d;
	int i;

	memcpy(&lm_set, settings, sizeof(lm_set));
	lm_count(&r, &d, &truncated);
	spin_lock(&lm_lock);
	for (i = 0; i < 3; i++) {
		u64 a = READ_ONCE(avenrun[i]), dl = (u64)d * FIXED_1;

		lm_st.avenrun[i] = a;
		lm_st.avenrun_r[i] = a > dl ? a - dl : 0;
	}
	lm_st.cur_r = r;
	lm_st.cur_d = d;
	lm_st.last_reasons = 0;
	lm_st.kstacks = HLD_HAVE_STACK_TSK;
	strscpy_pad(lm_st.kstack_why, HLD_STACK_TSK_WHY, sizeof(lm_st.kstack_why));
	lm_st.drop_ringbuf = lm_st.drop_cap = lm_st.drop_rate = lm_st.drop_stack = 0;
	lm_st.drop_capture_rec = lm_st.tasks_counted = lm_st.walk_truncated = 0;
	lm_st.run_ns = lm_st.run_cnt = lm_st.capture_ns = lm_st.capture_max_ns = 0;
	lm_st.capture_seq = 0;
	spin_unlock(&lm_lock);
	atomic64_set(&lm_busy, 0);
	lm_load_next = ktime_get_ns() + LM_LOAD_FREQ_NS;
	lm_sum_r = 0;
	lm_samples = 0;
	lm_last_capture = 0;
	lm_armed = true;
	hrtimer_start(&lm_timer, ms_to_ktime(lm_set.interval_ms), HRTIMER_MODE_REL);
	return 0;
}

/* The timer first (it queues the work), then the work. */
static void lm_deactivate(void)
{
	if (!lm_armed)
		return;
	hrtimer_cancel(&lm_timer);
	cancel_work_sync(&lm_work);
	lm_armed = false;
}

static u64 lm_report_max(void)
{
	return sizeof(struct hld_loadmon_stats);
}

/* Hand out the window since the last report (then zeroed) and the state. */
static int lm_report(void __user *buf, u64 len, u64 *written, u64 *records)
{
	struct hld_loadmon_stats s;

	spin_lock(&lm_lock);
	s = lm_st;
	lm_st.checks = lm_st.sum_r = lm_st.sum_d = lm_st.max_r = lm_st.max_d = 0;
	lm_st.crossed = lm_st.captures = lm_st.tasks = 0;
	spin_unlock(&lm_lock);
	s.hdr.type = HLD_REC_LOADMON_STATS;
	s.hdr.version = HLD_RECORD_VERSION;
	s.hdr.len = sizeof(s);
	s.hdr.ts = ktime_get_ns();
	s.drop_busy = atomic64_read(&lm_busy);
	if (copy_to_user(buf, &s, sizeof(s)))
		return -EFAULT;
	*written = sizeof(s);
	*records = 1;
	return 0;
}

/* drops_cause: 0 buffer full, 1 over max-tasks, 2 rate limit, 3 checks skipped busy. */
static void lm_stats(struct hld_ioc_status *st)
{
	spin_lock(&lm_lock);
	st->events = lm_st.tasks_counted;
	st->drops_cause[0] = lm_st.drop_ringbuf + lm_st.drop_capture_rec;
	st->drops_cause[1] = lm_st.drop_cap;
	st->drops_cause[2] = lm_st.drop_rate;
	spin_unlock(&lm_lock);
	st->drops_cause[3] = atomic64_read(&lm_busy);
	st->drops = st->drops_cause[0] + st->drops_cause[1] + st->drops_cause[2] +
		    st->drops_cause[3];
}

const struct hld_feature_ops hld_loadmon_ops = {
	.streams = true,
	.settings_size = sizeof(struct hld_loadmon_settings),
	.init = lm_init,
	.check = lm_check_settings,
	.activate = lm_activate,
	.deactivate = lm_deactivate,
	.report_max = lm_report_max,
	.report = lm_report,
	.stats = lm_stats,
};
