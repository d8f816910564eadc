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
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/userfaultfd.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "diag-test.h"

#define TRUTH_WAITERS	4
#define TRUTH_HOLD_MS	100		/* held with every waiter queued */
#define TRUTH_TIMEOUT_MS 5000		/* for the fault and each waiter to show up */
#define LCB_F_MUTEX	(1u << 5)	/* contention_begin flags, include/trace/events/lock.h */

/* What the child did and measured, in memory shared with the parent. */
struct mutex_truth {
	int err;			/* 0, or the errno that stopped the workload */
	int holder_tid;
	uint64_t holder_start_ns, holder_end_ns;	/* around the holder's write() */
	int waiter_tid[TRUTH_WAITERS];
	uint64_t start_ns[TRUTH_WAITERS];	/* CLOCK_MONOTONIC: before each waiter's write() */
	uint64_t end_ns[TRUTH_WAITERS];		/* after it */
	uint64_t blocked_ns[TRUTH_WAITERS];	/* when the waiter was first seen in state D */
	uint64_t release_ns;			/* just before the fault was resolved */
};

/* The child's threads and what they share. */
struct mutex_work {
	struct mutex_truth *tr;
	int pipe[2];
	char *page;			/* the userfaultfd page the holder writes from */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The holder: one write() whose copy faults on the userfaultfd page, mutex held. */
static void *holder(void *arg)
{
	struct mutex_work *w = arg;
	long page = sysconf(_SC_PAGESIZE);
	ssize_t n;

	w->tr->holder_tid = gettid();
	w->tr->holder_start_ns = mono_ns();
	n = write(w->pipe[1], w->page, page);
	w->tr->holder_end_ns = mono_ns();
	return n == page ? NULL : (void *)1;
}

struct waiter_arg {
	struct mutex_work *w;
	int idx;
};

/* A waiter: one one-byte write() into the pipe the holder has locked. */
static void *waiter(void *arg)
{
	struct waiter_arg *a = arg;
	struct mutex_truth *tr = a->w->tr;
	ssize_t n;

	tr->waiter_tid[a->idx] = gettid();
	tr->start_ns[a->idx] = mono_ns();
	n = write(a->w->pipe[1], "x", 1);
	tr->end_ns[a->idx] = mono_ns();
	return n == 1 ? NULL : (void *)1;
}

/* The state letter of thread @tid of this process, or 0. */
static char thread_state(int tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Sleep @ms milliseconds. */
static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A userfaultfd with @page registered for missing-page faults; the fd or -errno. */
static int uffd_open(void *page, long size)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)page, .len = size },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api) || ioctl(fd, UFFDIO_REGISTER, &reg)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * The holder's fault reached the handler: it is inside pipe_write() with
 * the mutex held. 0, or -errno (-ETIMEDOUT).
 */
static int uffd_wait_fault(int uffd)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, TRUTH_TIMEOUT_MS) != 1)
		return -ETIMEDOUT;
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -errno;
	return msg.event == UFFD_EVENT_PAGEFAULT ? 0 : -EPROTO;
}

/* Resolve the fault: map a zero-filled copy of the page. */
static int uffd_resolve(int uffd, void *page, long size)
{
	static char zero[65536];
	struct uffdio_copy copy = {
		.dst = (uintptr_t)page, .src = (uintptr_t)zero, .len = size,
	};

	if (size > (long)sizeof(zero))
		return -EINVAL;
	return ioctl(uffd, UFFDIO_COPY, &copy) ? -errno : 0;
}

/* Wait until waiter @i is blocked (state D), noting when. 0 or -ETIMEDOUT. */
static int waiter_blocked(struct mutex_truth *tr, int i)
{
	for (int ms = 0; ms < TRUTH_TIMEOUT_MS; ms++) {
		if (tr->waiter_tid[i] && thread_state(tr->waiter_tid[i]) == 'D') {
			tr->blocked_ns[i] = mono_ns();
			return 0;
		}
		sleep_ms(1);
	}
	return -ETIMEDOUT;
}

/*
 * The child: the holder locks the pipe and stalls in its fault, the
 * waiters queue one by one, the fault is resolved TRUTH_HOLD_MS after the
 * last one queued. Measurements go into @arg; returns 0 or 1.
 */
static int pipe_mutex_hold(void *arg)
{
	struct mutex_work w = { .tr = arg };
	struct waiter_arg wa[TRUTH_WAITERS];
	pthread_t h, wt[TRUTH_WAITERS];
	long size = sysconf(_SC_PAGESIZE);
	int uffd, nw = 0, err;
	void *ret;

	w.page = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w.page == MAP_FAILED || pipe2(w.pipe, O_CLOEXEC)) {
		w.tr->err = errno;
		return 1;
	}
	uffd = uffd_open(w.page, size);
	if (uffd < 0) {
		w.tr->err = -uffd;
		return 1;
	}
	err = pthread_create(&h, NULL, holder, &w);
	if (err) {
		w.tr->err = err;
		return 1;
	}
	err = uffd_wait_fault(uffd);
	for (; !err && nw < TRUTH_WAITERS; nw++) {
		wa[nw].w = &w;
		wa[nw].idx = nw;
		err = -pthread_create(&wt[nw], NULL, waiter, &wa[nw]);
		if (!err)
			err = waiter_blocked(w.tr, nw);
	}
	if (!err)
		sleep_ms(TRUTH_HOLD_MS);
	w.tr->release_ns = mono_ns();
	if (uffd_resolve(uffd, w.page, size) && !err)
		err = -errno;
	pthread_join(h, &ret);
	if (ret && !err)
		err = -EIO;
	for (int i = 0; i < nw; i++) {
		pthread_join(wt[i], &ret);
		if (ret && !err)
			err = -EIO;
	}
	w.tr->err = -err;
	return err ? 1 : 0;
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
static void check_hold(struct diag_test *t, const struct mutex_truth *tr,
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
	struct mutex_truth *tr;
	struct diag_child c;
	struct pipe_rows p;
	double lo = 0, hi = 0, max_lo = 0, max_hi = 0;
	int err, status;

	tr = mmap(NULL, sizeof(*tr), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tr == MAP_FAILED)
		return -errno;
	memset(tr, 0, sizeof(*tr));
	err = diag_child__start(&c, "hld-pipemutex", pipe_mutex_hold, tr);
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
