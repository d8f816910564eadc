// SPDX-License-Identifier: GPL-2.0
/*
 * truth-run-trace.c - run-trace's ground truth: a child thread alternates
 * TRUTH_ROUNDS x (spin TRUTH_SPIN_MS of its own CPU time in user code, then
 * nanosleep TRUTH_SLEEP_MS) and measures itself: its CPU time
 * (CLOCK_THREAD_CPUTIME_ID) and the time each nanosleep() call took. The
 * trace of that thread must hold exactly TRUTH_ROUNDS sleeping (S) off-CPU
 * intervals, each in a nanosleep kernel stack and each woken; their time
 * lies between what was asked and what the calls took; the on-CPU time
 * agrees with the thread's own CPU time and is user mode but for the
 * syscalls. A second report right after must be empty: the first drained
 * everything.
 */
#include <errno.h>
#include <math.h>
#include <json-c/json.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "diag-test.h"

#define TRUTH_ROUNDS	10
#define TRUTH_SPIN_MS	20
#define TRUTH_SLEEP_MS	30
#define NS_PER_MS	1000000ull

/* What the child measured of itself, in memory shared with the parent. */
struct runtrace_truth {
	uint64_t cpu_ns;	/* own CPU time from "go" to the end of the rounds */
	uint64_t sleep_ns;	/* time spent in the nanosleep() calls, summed */
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Burn @ns of this thread's CPU time in user code, reading the clock rarely. */
static void spin_cpu(uint64_t ns)
{
	uint64_t end = clock_ns(CLOCK_THREAD_CPUTIME_ID) + ns;
	volatile uint64_t x = 0;

	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < end)
		for (int i = 0; i < 200000; i++)
			x += i;
}

/* The child: the rounds of spin and sleep, measured into @arg. */
static int spin_sleep(void *arg)
{
	struct runtrace_truth *tr = arg;
	struct timespec sl = { 0, TRUTH_SLEEP_MS * NS_PER_MS };
	uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), s;

	for (int i = 0; i < TRUTH_ROUNDS; i++) {
		spin_cpu(TRUTH_SPIN_MS * NS_PER_MS);
		s = clock_ns(CLOCK_MONOTONIC);
		if (nanosleep(&sl, NULL))
			return 1;
		tr->sleep_ns += clock_ns(CLOCK_MONOTONIC) - s;
	}
	tr->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
	return 0;
}

static json_object *obj_get(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* The number member @key of @o, or NaN (an expectation on it then fails). */
static double num(json_object *o, const char *key)
{
	json_object *v = obj_get(o, key);

	return v ? json_object_get_double(v) : NAN;
}

/* Does a frame of the interval @ev's kernel stack name a nanosleep function? */
static bool in_nanosleep(json_object *ev)
{
	json_object *ks = obj_get(ev, "kstack");

	for (size_t i = 0; ks && i < json_object_array_length(ks); i++) {
		const char *sym = json_object_get_string(obj_get(json_object_array_get_idx(ks, i),
								 "sym"));

		if (sym && strstr(sym, "nanosleep"))
			return true;
	}
	return false;
}

/* Count the S intervals of run-trace.json's timeline: all, in nanosleep, and woken. */
static int sleep_intervals(struct diag_test *t, double *all, double *named, double *woken)
{
	json_object *rep = diag_test__json(t, "run-trace.json"), *tl;

	*all = *named = *woken = 0;
	tl = obj_get(rep, "timeline");
	if (!tl) {
		json_object_put(rep);
		return -EINVAL;
	}
	for (size_t i = 0; i < json_object_array_length(tl); i++) {
		json_object *ev = json_object_array_get_idx(tl, i);
		const char *state = json_object_get_string(obj_get(ev, "state"));
		const char *reason = json_object_get_string(obj_get(ev, "reason"));

		if (!state || strcmp(state, "off-cpu") || !reason || strcmp(reason, "S"))
			continue;
		(*all)++;
		*named += in_nanosleep(ev);
		*woken += json_object_get_type(obj_get(ev, "waker_pid")) == json_type_int;
	}
	json_object_put(rep);
	return 0;
}

int truth__run_trace(struct diag_test *t)
{
	double asked = TRUTH_ROUNDS * TRUTH_SLEEP_MS * NS_PER_MS, all, named, woken;
	struct runtrace_truth *tr;
	json_object *s;
	struct diag_child c;
	double cpu, bound, oncpu, user_min;
	int err, status;

	tr = mmap(NULL, sizeof(*tr), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tr == MAP_FAILED)
		return -errno;
	memset(tr, 0, sizeof(*tr));
	err = diag_child__start(&c, "hld-runtrace", spin_sleep, tr);
	if (err)
		goto out_unmap;
	err = diag_test__activate(t, "pid=%d", c.pid);
	if (err) {
		diag_child__wait(&c);
		goto out_unmap;
	}
	diag_test__say(t, "thread %d: %d x (spin %d ms of CPU, nanosleep %d ms)", c.pid,
		       TRUTH_ROUNDS, TRUTH_SPIN_MS, TRUTH_SLEEP_MS);
	diag_child__go(&c);
	status = diag_child__wait(&c);
	err = status < 0 ? status : diag_test__collect(t);
	if (err)
		goto out_unmap;
	if (status) {
		diag_test__say(t, "the thread failed (wait status %d)", status);
		err = -ECHILD;
		goto out_unmap;
	}
	cpu = tr->cpu_ns;
	diag_test__say(t, "the thread measured %.3f ms of its own CPU time, %.3f ms in nanosleep()",
		       cpu / 1e6, tr->sleep_ns / 1e6);
	s = obj_get(obj_get(t->summary, "offcpu_by_reason"), "S");
	diag_test__expect(t, "off-CPU intervals sleeping (S)", num(s, "intervals"),
			  TRUTH_ROUNDS, TRUTH_ROUNDS);
	err = sleep_intervals(t, &all, &named, &woken);
	if (err)
		goto out_unmap;
	diag_test__expect(t, "S intervals in the timeline", all, TRUTH_ROUNDS, TRUTH_ROUNDS);
	diag_test__expect(t, "S intervals with a nanosleep kernel stack", named,
			  TRUTH_ROUNDS, TRUTH_ROUNDS);
	diag_test__expect(t, "S intervals with their wakeup seen", woken,
			  TRUTH_ROUNDS, TRUTH_ROUNDS);
	/*
	 * Each S interval lies inside its nanosleep() call, and lasts at least
	 * the time asked less the few microseconds between arming the timer and
	 * switching out: 100 us a round covers them.
	 */
	diag_test__expect(t, "S time (ns): asked .. measured by the thread", num(s, "ns"),
			  asked - TRUTH_ROUNDS * 100000.0, tr->sleep_ns);
	/*
	 * The trace's on-CPU time and the thread's clock come from the same
	 * scheduler accounting, but the trace also covers the return from the
	 * "go" read() before the thread's first clock read and its exit after
	 * the last: 2 ms plus 5% covers these with room to spare.
	 */
	bound = 2 * NS_PER_MS + cpu / 20;
	oncpu = num(t->summary, "oncpu_user_ns") + num(t->summary, "oncpu_kernel_ns");
	diag_test__expect(t, "on-CPU time (ns) vs the thread's own CPU time", oncpu,
			  cpu - bound, cpu + bound);
	/*
	 * The spin is user code; kernel mode is the syscalls: clock reads,
	 * sleeps, exit. Their cost is the machine's (an emulated guest's
	 * syscalls are ten times a host's), so kernel mode is bounded by what
	 * the user-mode check leaves of the thread's CPU time, not by a share.
	 */
	user_min = TRUTH_ROUNDS * TRUTH_SPIN_MS * NS_PER_MS * 0.95;
	diag_test__expect(t, "on-CPU user mode (ns)", num(t->summary, "oncpu_user_ns"),
			  user_min, cpu + bound);
	diag_test__expect(t, "on-CPU kernel mode (ns)", num(t->summary, "oncpu_kernel_ns"),
			  1, cpu + bound - user_min);
	diag_test__expect(t, "drops", t->f->drops, 0, 0);

	diag_test__say(t, "a second report, with nothing done since the first");
	err = diag_test__collect(t);
	if (err)
		goto out_unmap;
	diag_test__expect(t, "intervals in the second report", t->f->events, 0, 0);
	diag_test__expect(t, "on-CPU time in the second report",
			  num(t->summary, "oncpu_user_ns") + num(t->summary, "oncpu_kernel_ns"),
			  0, 0);
out_unmap:
	munmap(tr, sizeof(*tr));
	return err;
}
