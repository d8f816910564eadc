// SPDX-License-Identifier: GPL-2.0
/*
 * loadmon.bpf.c - load-monitor: a BPF timer checks the load every interval,
 * in the kernel, and when a threshold is crossed walks the tasks with an
 * open-coded task iterator and captures the kernel stacks of the R and D
 * ones into a ring buffer.
 *
 * No user space runs in the steady state. User space arms the timer once
 * (the control program, an iter/task program read once, starts it) and the
 * timer callback re-arms itself; the timer lives in a map, so a pinned map
 * keeps it ticking after the process exits, and freeing the map (unpinning)
 * cancels it.
 *
 * The check is cheap: the R and D counts are the scheduler's own per-CPU
 * counters (rq->nr_running, rq->nr_uninterruptible), reached through the
 * root task group's per-CPU cfs_rq pointers, so a check costs a few reads
 * per CPU whatever the number of tasks. load, load.r and load.d compare
 * 1-minute load averages that the program keeps the kernel's way
 * (kernel/sched/loadavg.c: fixed point, EXP_1, every 5 s); task.d compares
 * the instantaneous number of D tasks. Only a crossing walks the tasks.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "hld_record.h"
#include "loadmon.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* The kernel's task state bits (include/linux/sched.h); stable ABI in practice. */
#define KTASK_RUNNING		0x0000
#define KTASK_UNINTERRUPTIBLE	0x0002
#define KTASK_NOLOAD		0x0400

/* kernel/sched/loadavg.c and include/linux/sched/loadavg.h */
#define FSHIFT		LOADMON_FSHIFT
#define FIXED_1		LOADMON_FIXED_1
#define LOAD_FREQ_NS	5000000000ull
static const __u64 load_exp[3] = { 1884, 2014, 2037 };	/* EXP_1, EXP_5, EXP_15 */

#define CLOCK_MONOTONIC	1
#define MAX_CPUS	1024	/* bound of the per-CPU counter loop */
#define MAX_TG_DEPTH	64	/* bound of the walk up to the root task group */


/* Settings, fixed before load. */
const volatile __u64 thr_load = 0;
const volatile __u64 thr_r = 0;
const volatile __u64 thr_d = 0;
const volatile __u64 thr_task_d = 0;
const volatile __u64 thr_task_r = 0;
const volatile __u64 interval_ns = 10000000;
const volatile __u64 min_gap_ns = 0;
const volatile __u32 max_tasks = 256;
const volatile __u32 user_stacks = 0;
const volatile __u32 nr_cpus = 1;

/* The control program's command and result, set and read by user space. */
__u32 ctl_cmd = LOADMON_CTL_NONE;
__s32 ctl_err = 0;
/* Load averages to start from (FIXED_1 fixed point), from /proc/loadavg. */
__u64 seed_avenrun[3] = {};

__u32 gen = 0;
struct loadmon_window win[2] = {};

/* Every check, in a ring: hist[seq % LOADMON_HIST], nr_hist checks so far. */
struct loadmon_check hist[LOADMON_HIST] = {};
__u64 nr_hist = 0;
__u64 hist_read = 0;		/* user space's cursor: checks already read */

/* Load averages, the kernel's fixed point: all tasks, and R tasks only. */
__u64 avenrun[3] = {};
__u64 avenrun_r[3] = {};
__u64 load_next_ns = 0;
__u64 load_sum_active = 0, load_sum_r = 0, load_samples = 0;
__u32 cur_r = 0, cur_d = 0;		/* the last check's counts */

/* Cumulative since activation: never reset. */
__u64 capture_seq = 0;
__u64 last_capture_ns = 0;	/* 0: never captured */
__u32 last_reasons = 0;
__u64 drop_ringbuf = 0;		/* task records lost: ring buffer full */
__u64 drop_cap = 0;		/* tasks over max_tasks in a capture */
__u64 drop_rate = 0;		/* crossing checks not captured: min-gap */
__u64 drop_stack = 0;		/* captured tasks whose kernel stack could not be read */
__u64 drop_capture_rec = 0;	/* capture records lost: ring buffer full */
__u64 tasks_counted = 0;		/* R and D tasks the captures' walks found */
__u64 walk_truncated = 0;	/* captures that stopped at LOADMON_WALK_MAX threads */
__u64 no_rq = 0;		/* checks that could not read the run queues */
__u64 run_ns = 0, run_cnt = 0;		/* the timer callback timing itself */
__u64 capture_ns = 0;			/* of which in captures */
__u64 capture_max_ns = 0;

/* The root task group, found once from the current task's group. */
__u64 root_tg = 0;

/* Scratch of the capture being taken (one callback runs at a time). */
__u32 walk_r = 0, walk_d = 0, walk_emitted = 0, walk_dropped = 0, walk_seen = 0;

struct lm_timer {
	struct bpf_timer t;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lm_timer);
} timers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 512 * 1024);	/* resized by user space to fit max_tasks */
} events SEC(".maps");

extern int bpf_iter_task_new(struct bpf_iter_task *it, struct task_struct *task,
			     unsigned int flags) __weak __ksym;
extern struct task_struct *bpf_iter_task_next(struct bpf_iter_task *it) __weak __ksym;
extern void bpf_iter_task_destroy(struct bpf_iter_task *it) __weak __ksym;

/* task_struct before 5.14 named the state field "state". */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

/* The task's state bits, from whichever field this kernel has. */
static __always_inline __u32 task_state(struct task_struct *t)
{
	struct task_struct___pre514 *old = (void *)t;

	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ(old, state);
}

/* The root task group: the current task's group, up its parents. */
static __always_inline struct task_group *find_root_tg(void)
{
	struct task_struct *cur = (void *)bpf_get_current_task();
	struct task_group *tg, *parent;

	if (root_tg)
		return (void *)root_tg;
	tg = BPF_CORE_READ(cur, sched_task_group);
	for (int i = 0; i < MAX_TG_DEPTH && tg; i++) {
		parent = BPF_CORE_READ(tg, parent);
		if (!parent) {
			root_tg = (__u64)tg;
			return tg;
		}
		tg = parent;
	}
	return NULL;
}

/*
 * R and D now: nr_running and nr_uninterruptible summed over the CPUs'
 * run queues (the per-CPU nr_uninterruptible may be negative; the sum is
 * not), the counts /proc/stat and the load average are made of.
 */
static __always_inline int count_rq(__u32 *r, __u32 *d)
{
	struct task_group *tg = find_root_tg();
	struct cfs_rq **cfs_rqs;
	struct cfs_rq *cfs;
	struct rq *rq;
	__s64 sd = 0;
	__u64 sr = 0, nu;

	if (!tg)
		return -1;
	cfs_rqs = BPF_CORE_READ(tg, cfs_rq);
	for (__u32 cpu = 0; cpu < MAX_CPUS && cpu < nr_cpus; cpu++) {
		if (bpf_probe_read_kernel(&cfs, sizeof(cfs), &cfs_rqs[cpu]) || !cfs)
			return -1;
		rq = BPF_CORE_READ(cfs, rq);
		if (!rq)
			return -1;
		sr += BPF_CORE_READ(rq, nr_running);
		/* unsigned int or unsigned long depending on the kernel: read what it is */
		nu = BPF_CORE_READ_BITFIELD_PROBED(rq, nr_uninterruptible);
		if (bpf_core_field_size(rq->nr_uninterruptible) == 4)
			sd += (__s32)nu;
		else
			sd += (__s64)nu;
	}
	*r = sr;
	*d = sd > 0 ? sd : 0;
	return 0;
}

/* kernel/sched/loadavg.c calc_load(): one step of the fixed-point EWMA. */
static __always_inline __u64 calc_load(__u64 load, __u64 exp, __u64 active)
{
	__u64 newload = load * exp + active * (FIXED_1 - exp);

	if (active >= load)
		newload += FIXED_1 - 1;
	return newload / FIXED_1;
}

/*
 * Every LOAD_FREQ: fold the mean of the checks since the last fold (R+D,
 * and R alone) into the load averages. The kernel folds one sample of
 * R+D per LOAD_FREQ; the mean of ~500 checks is the same quantity with
 * less sampling noise.
 */
static __always_inline void update_load(__u64 now, __u32 r, __u32 d)
{
	__u64 active, ar;

	load_sum_active += r + d;
	load_sum_r += r;
	load_samples++;
	if (now < load_next_ns)
		return;
	load_next_ns += LOAD_FREQ_NS;
	if (load_next_ns <= now)
		load_next_ns = now + LOAD_FREQ_NS;
	active = load_sum_active * FIXED_1 / load_samples;
	ar = load_sum_r * FIXED_1 / load_samples;
	for (int i = 0; i < 3; i++) {
		avenrun[i] = calc_load(avenrun[i], load_exp[i], active);
		avenrun_r[i] = calc_load(avenrun_r[i], load_exp[i], ar);
	}
	load_sum_active = 0;
	load_sum_r = 0;
	load_samples = 0;
}

/* Which thresholds the load is at or over: LOADMON_REASON_* bits, 0 for none. */
static __always_inline __u32 crossed(__u32 r, __u32 d)
{
	__u64 l = avenrun[0], lr = avenrun_r[0], ld = l > lr ? l - lr : 0;
	__u32 why = 0;

	if (thr_load && l >> FSHIFT >= thr_load)
		why |= LOADMON_REASON_LOAD;
	if (thr_r && lr >> FSHIFT >= thr_r)
		why |= LOADMON_REASON_LOAD_R;
	if (thr_d && ld >> FSHIFT >= thr_d)
		why |= LOADMON_REASON_LOAD_D;
	if (thr_task_d && d >= thr_task_d)
		why |= LOADMON_REASON_TASK_D;
	if (thr_task_r && r >= thr_task_r)
		why |= LOADMON_REASON_TASK_R;
	return why;
}

/* Emit one task record, or count the task as dropped and why. */
static __always_inline void emit_task(struct task_struct *task, __u32 hs)
{
	struct hld_loadmon_task *rec;
	long n;

	if (walk_emitted >= max_tasks) {
		walk_dropped++;
		drop_cap++;
		return;
	}
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		walk_dropped++;
		drop_ringbuf++;
		return;
	}
	rec->hdr.type = HLD_REC_LOADMON_TASK;
	rec->hdr.version = HLD_RECORD_VERSION;
	rec->hdr.len = sizeof(*rec);
	rec->hdr.ts = bpf_ktime_get_ns();
	rec->capture = capture_seq;
	rec->pid = BPF_CORE_READ(task, pid);
	rec->tgid = BPF_CORE_READ(task, tgid);
	rec->state = hs;
	rec->pad = 0;
	bpf_probe_read_kernel_str(rec->comm, sizeof(rec->comm), task->comm);
	n = bpf_get_task_stack(task, rec->kstack, sizeof(rec->kstack), 0);
	rec->nr_kstack = n > 0 ? n / sizeof(__u64) : 0;
	if (n <= 0)
		drop_stack++;
	rec->nr_ustack = 0;
	if (user_stacks) {
		/* Empty for any task but the current one: the kernel unwinds no other user stack. */
		n = bpf_get_task_stack(task, rec->ustack, sizeof(rec->ustack), BPF_F_USER_STACK);
		rec->nr_ustack = n > 0 ? n / sizeof(__u64) : 0;
	}
	bpf_ringbuf_submit(rec, 0);
	walk_emitted++;
}

/*
 * One capture: every thread (up to LOADMON_WALK_MAX), each R or D one emitted with
 * its stacks, then a record closing the capture with the counts.
 */
static __always_inline void capture(struct loadmon_window *w)
{
	struct hld_loadmon_capture *cap;
	struct bpf_iter_task it;
	struct task_struct *task;
	__u32 state;

	capture_seq++;
	walk_r = 0;
	walk_d = 0;
	walk_emitted = 0;
	walk_dropped = 0;
	walk_seen = 0;
	bpf_iter_task_new(&it, NULL, BPF_TASK_ITER_ALL_THREADS);
	while ((task = bpf_iter_task_next(&it))) {
		if (++walk_seen > LOADMON_WALK_MAX) {
			walk_truncated++;
			break;
		}
		/* init_task, CPU 0's idle task, is on the list; idle is not load. */
		if (!task->pid)
			continue;
		state = task_state(task);
		if (state == KTASK_RUNNING) {
			walk_r++;
			emit_task(task, HLD_STATE_R);
		} else if ((state & KTASK_UNINTERRUPTIBLE) && !(state & KTASK_NOLOAD)) {
			walk_d++;
			emit_task(task, HLD_STATE_D);
		}
	}
	bpf_iter_task_destroy(&it);
	tasks_counted += walk_r + walk_d;
	w->captures++;
	w->tasks += walk_emitted;
	cap = bpf_ringbuf_reserve(&events, sizeof(*cap), 0);
	if (!cap) {
		drop_capture_rec++;
		return;
	}
	cap->hdr.type = HLD_REC_LOADMON_CAPTURE;
	cap->hdr.version = HLD_RECORD_VERSION;
	cap->hdr.len = sizeof(*cap);
	cap->hdr.ts = bpf_ktime_get_ns();
	cap->capture = capture_seq;
	cap->nr_r = walk_r;
	cap->nr_d = walk_d;
	cap->nr_emitted = walk_emitted;
	cap->nr_dropped = walk_dropped;
	bpf_ringbuf_submit(cap, 0);
}

/* The timer callback: one check, a capture if due; re-arms itself. */
static int tick(void *map, __u32 *key, struct lm_timer *v)
{
	__u64 t0 = bpf_ktime_get_ns(), dt;
	struct loadmon_window *w = &win[gen & 1];
	struct loadmon_check *h;
	__u32 r, d, why;

	bpf_timer_start(&v->t, interval_ns, 0);
	if (count_rq(&r, &d)) {
		no_rq++;
		return 0;
	}
	cur_r = r;
	cur_d = d;
	w->checks++;
	w->sum_r += r;
	w->sum_d += d;
	if (r > w->max_r)
		w->max_r = r;
	if (d > w->max_d)
		w->max_d = d;
	h = &hist[nr_hist % LOADMON_HIST];
	h->t_ns = t0;
	h->r = r;
	h->d = d;
	nr_hist++;
	update_load(t0, r, d);
	why = crossed(r, d);
	if (why) {
		w->crossed++;
		if (last_capture_ns && t0 - last_capture_ns < min_gap_ns) {
			drop_rate++;
		} else {
			last_capture_ns = t0;
			last_reasons = why;
			capture(w);
			dt = bpf_ktime_get_ns() - t0;
			capture_ns += dt;
			if (dt > capture_max_ns)
				capture_max_ns = dt;
		}
	}
	run_ns += bpf_ktime_get_ns() - t0;
	run_cnt++;
	return 0;
}

/*
 * Arm: seed the load averages (R's share of them is what is not D now),
 * start the timer. Run once by user space; the timer keeps this program.
 */
static __always_inline void arm(struct lm_timer *v)
{
	__u32 r = 0, d = 0;
	__u64 dl;

	if (count_rq(&r, &d)) {
		ctl_err = -2;	/* -ENOENT: no run queues */
		return;
	}
	for (int i = 0; i < 3; i++) {
		dl = (__u64)d * FIXED_1;
		avenrun[i] = seed_avenrun[i];
		avenrun_r[i] = seed_avenrun[i] > dl ? seed_avenrun[i] - dl : 0;
	}
	load_next_ns = bpf_ktime_get_ns() + LOAD_FREQ_NS;
	load_sum_active = 0;
	load_sum_r = 0;
	load_samples = 0;
	ctl_err = bpf_timer_init(&v->t, &timers, CLOCK_MONOTONIC);
	if (ctl_err && ctl_err != -16)		/* -EBUSY: initialized by an earlier arm */
		return;
	ctl_err = bpf_timer_set_callback(&v->t, tick);
	if (!ctl_err)
		ctl_err = bpf_timer_start(&v->t, interval_ns, 0);
}

/*
 * The control program: read once through an iterator link by user space;
 * the last call (no task) carries out ctl_cmd.
 */
SEC("iter/task")
int loadmon_ctl(struct bpf_iter__task *ctx)
{
	struct lm_timer *v;
	__u32 key = 0;

	if (ctx->task)
		return 0;
	v = bpf_map_lookup_elem(&timers, &key);
	if (!v) {
		ctl_err = -2;
		return 0;
	}
	if (ctl_cmd == LOADMON_CTL_ARM)
		arm(v);
	else if (ctl_cmd == LOADMON_CTL_CANCEL && bpf_timer_cancel(&v->t) < 0)
		ctl_err = -22;		/* -EINVAL: never armed */
	ctl_cmd = LOADMON_CTL_NONE;
	return 0;
}
