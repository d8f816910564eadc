// SPDX-License-Identifier: GPL-2.0
/*
 * truth-mutex-monitor.c - mutex-monitor's ground truth: one pipe's mutex
 * held for a known time, with a known number of threads queued on it.
 *
 * In a child, a holder thread writes a page into a pipe from a buffer
 * registered with userfaultfd: pipe_write() takes pipe->mutex, faults while
 * copying and sleeps in the fault with the mutex held, until the child
 * resolves the fault. Meanwhile TRUTH_WAITERS threads write one byte each
 * into the same pipe and block on pipe->mutex (seen in state D); after
 * TRUTH_HOLD_MS more the child resolves the fault and every waiter gets the
 * mutex in turn. So exactly TRUTH_WAITERS waits on one mutex from
 * pipe_write, each owned by the holder thread when it began; each wait
 * lasted at least from when its waiter was seen blocked to the release, and
 * at most its whole write() call. Where the backend measures hold time
 * (the kernel module: a kprobe on mutex_unlock), the mutex was held
 * TRUTH_WAITERS + 1 times (the holder, then each waiter), the longest by
 * the holder, at least from when the first waiter was seen blocked to the
 * release and at most its whole write() call; where it cannot (eBPF: no
 * kprobes) the report must say hold time is not available. A second report
 * must hold none of these waits: the first drained them.
 */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "diag-test.h"
#include "workload.h"

#define TRUTH_WAITERS	4
#define TRUTH_HOLD_MS	100		/* held with every waiter queued */
#define LCB_F_MUTEX	(1u << 5)	/* contention_begin flags, include/trace/events/lock.h */

/* The child: the workload of harness/workload-mutex.c; its measurements in @arg (shared). */
static int pipe_mutex_child(void *arg)
{
	return pipe_mutex__contend(arg) ? 1 : 0;
}

static json_object *obj_get(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static double num(json_object *o, const char *key)
{
	json_object *v = obj_get(o, key);

	return v ? json_object_get_double(v) : NAN;
}

/* Does a frame of the row @row's "kstack" contain @name? */
static bool stack_has(json_object *row, const char *name)
{
	json_object *st = obj_get(row, "kstack");

	for (size_t i = 0; st && i < json_object_array_length(st); i++) {
		const char *f = json_object_get_string(json_object_array_get_idx(st, i));

		if (f && strstr(f, name))
			return true;
	}
	return false;
}

/* The report's rows for the pipe mutex: mutex waits of @tgid from pipe_write. */
struct pipe_rows {
	double count, total_ns, max_ns, holder_waits, locks, other_tgid;
	long holder_pid;
	uint64_t lock;
};

static void pipe_rows(json_object *summary, int tgid, struct pipe_rows *p)
{
	json_object *locks = obj_get(summary, "locks");

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; locks && i < json_object_array_length(locks); i++) {
		json_object *row = json_object_array_get_idx(locks, i);
		uint64_t lock = json_object_get_uint64(obj_get(row, "lock"));

		if (num(row, "tgid") != tgid) {
			p->other_tgid++;
			continue;
		}
		if (!((uint64_t)num(row, "flags") & LCB_F_MUTEX) || !stack_has(row, "pipe_write"))
			continue;
		if (!p->locks || lock != p->lock)
			p->locks++;
		p->lock = lock;
		p->count += num(row, "count");
		p->total_ns += num(row, "total_ns");
		p->holder_waits += num(row, "holder_waits");
		if (num(row, "max_ns") > p->max_ns) {
			p->max_ns = num(row, "max_ns");
			p->holder_pid = num(row, "holder_pid");
		}
	}
}

/* The "holds" entry of @lock in the report, or NULL. */
static json_object *hold_of(json_object *summary, uint64_t lock)
{
	json_object *holds = obj_get(summary, "holds");

	for (size_t i = 0; holds && i < json_object_array_length(holds); i++) {
		json_object *h = json_object_array_get_idx(holds, i);

		if (json_object_get_uint64(obj_get(h, "lock")) == lock)
			return h;
	}
	return NULL;
}

/*
 * Hold time: where the report says it is measured, check the pipe mutex's
 * holds against what the child did; else the report must say it is not
 * available. Either way the report must say which.
 */
static void check_hold(struct diag_test *t, const struct pipe_mutex *tr,
		       const struct pipe_rows *p)
{
	json_object *avail = obj_get(t->summary, "hold_time_available"), *h;
	const char *hold = json_object_get_string(obj_get(t->summary, "hold_time"));

	diag_test__say(t, "hold time (%d ms or more here): the report says \"%s\"", TRUTH_HOLD_MS,
		       hold ? hold : "nothing");
	diag_test__expect(t, "report says whether hold time is available", hold != NULL, 1, 1);
	if (!avail || !json_object_get_boolean(avail)) {
		diag_test__expect(t, "report says hold time is not available",
				  hold && strstr(hold, "not available"), 1, 1);
		return;
	}
	h = hold_of(t->summary, p->lock);
	diag_test__expect(t, "hold times of the pipe mutex reported", h != NULL, 1, 1);
	if (!h)
		return;
	diag_test__say(t, "holder's write() took %.3f ms",
		       (tr->holder_end_ns - tr->holder_start_ns) / 1e6);
	diag_test__expect(t, "holds of the pipe mutex (holder, then each waiter)", num(h, "count"),
			  TRUTH_WAITERS + 1, TRUTH_WAITERS + 1);
	diag_test__expect(t, "longest hold (ns): first blocked..release <= hold <= holder's write()",
			  num(h, "max_ns"), tr->release_ns - tr->blocked_ns[0],
			  tr->holder_end_ns - tr->holder_start_ns);
	diag_test__expect(t, "longest hold by the holder (thread id)", num(h, "max_pid"),
			  tr->holder_tid, tr->holder_tid);
}

int truth__mutex_monitor(struct diag_test *t)
{
	struct pipe_mutex *tr;
	struct diag_child c;
	struct pipe_rows p;
	double lo = 0, hi = 0, max_lo = 0, max_hi = 0;
	int err, status;

	tr = mmap(NULL, sizeof(*tr), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tr == MAP_FAILED)
		return -errno;
	memset(tr, 0, sizeof(*tr));
	tr->waiters = TRUTH_WAITERS;
	tr->hold_ms = TRUTH_HOLD_MS;
	err = diag_child__start(&c, "hld-pipemutex", pipe_mutex_child, tr);
	if (err)
		goto out_unmap;
	err = diag_test__activate(t, "tgid=%d", c.pid);
	if (err) {
		diag_child__wait(&c);
		goto out_unmap;
	}
	diag_test__say(t, "process %d: a thread holds a pipe's mutex (stalled in a userfaultfd "
		       "fault inside pipe_write), %d threads queue on it, released %d ms after "
		       "the last one queued", c.pid, TRUTH_WAITERS, TRUTH_HOLD_MS);
	diag_child__go(&c);
	status = diag_child__wait(&c);
	err = status < 0 ? status : diag_test__collect(t);
	if (err)
		goto out_unmap;
	if (status || tr->err) {
		diag_test__say(t, "the workload failed: %s (wait status %d)",
			       strerror(tr->err ? tr->err : ECHILD), status);
		err = tr->err ? -tr->err : -ECHILD;
		goto out_unmap;
	}
	for (int i = 0; i < TRUTH_WAITERS; i++) {
		double in = tr->release_ns - tr->blocked_ns[i];
		double out = tr->end_ns[i] - tr->start_ns[i];

		lo += in;
		hi += out;
		max_lo = in > max_lo ? in : max_lo;
		max_hi = out > max_hi ? out : max_hi;
	}
	diag_test__say(t, "holder thread %d; waiters blocked %.3f ms in all before the release, "
		       "their write() calls took %.3f ms in all", tr->holder_tid, lo / 1e6,
		       hi / 1e6);
	pipe_rows(t->summary, c.pid, &p);
	diag_test__expect(t, "pipe mutex waits (mutex, from pipe_write)", p.count,
			  TRUTH_WAITERS, TRUTH_WAITERS);
	diag_test__expect(t, "distinct locks they waited on", p.locks, 1, 1);
	diag_test__expect(t, "wait time (ns): blocked..release <= wait <= write()", p.total_ns,
			  lo, hi);
	diag_test__expect(t, "longest wait (ns)", p.max_ns, max_lo, max_hi);
	diag_test__expect(t, "waits that saw the holder as owner", p.holder_waits,
			  TRUTH_WAITERS, TRUTH_WAITERS);
	diag_test__expect(t, "holder named (thread id)", p.holder_pid, tr->holder_tid,
			  tr->holder_tid);
	diag_test__expect(t, "rows of other processes (tgid filter)", p.other_tgid, 0, 0);
	check_hold(t, tr, &p);
	diag_test__expect(t, "drops", t->f->drops, 0, 0);

	diag_test__say(t, "a second report, with nothing done since the first");
	err = diag_test__collect(t);
	if (err)
		goto out_unmap;
	pipe_rows(t->summary, c.pid, &p);
	diag_test__expect(t, "pipe mutex waits in the second report", p.count, 0, 0);
out_unmap:
	munmap(tr, sizeof(*tr));
	return err;
}
