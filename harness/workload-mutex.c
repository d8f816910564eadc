// SPDX-License-Identifier: GPL-2.0
/*
 * workload-mutex.c - one pipe's mutex held for a known time with a known
 * number of threads queued on it: mutex-monitor's ground truth
 * (harness/truth-mutex-monitor.c) and `hldbench workload mutex`. See
 * struct pipe_mutex in workload.h for how.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "builtin.h"
#include "procfs.h"
#include "workload.h"

#define MUTEX_TIMEOUT_MS 5000		/* for the fault and each waiter to show up */

/* The threads and what they share. */
struct mutex_work {
	struct pipe_mutex *m;
	int pipe[2];
	char *page;			/* the userfaultfd page the holder writes from */
};

/* The holder: one write() whose copy faults on the userfaultfd page, mutex held. */
static void *holder(void *arg)
{
	struct mutex_work *w = arg;
	long page = sysconf(_SC_PAGESIZE);
	ssize_t n;

	w->m->holder_tid = gettid();
	w->m->holder_start_ns = workload__now_ns();
	n = write(w->pipe[1], w->page, page);
	w->m->holder_end_ns = workload__now_ns();
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
	struct pipe_mutex *m = a->w->m;
	ssize_t n;

	m->waiter_tid[a->idx] = gettid();
	m->start_ns[a->idx] = workload__now_ns();
	n = write(a->w->pipe[1], "x", 1);
	m->end_ns[a->idx] = workload__now_ns();
	return n == 1 ? NULL : (void *)1;
}

/* The state letter of thread @tid of this process, or 0. */
static char thread_state(int tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	return procfs__state(path);
}

/* Sleep @ms milliseconds, through signals. */
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

	if (poll(&pfd, 1, MUTEX_TIMEOUT_MS) != 1)
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
static int waiter_blocked(struct pipe_mutex *m, int i)
{
	for (int ms = 0; ms < MUTEX_TIMEOUT_MS; ms++) {
		if (m->waiter_tid[i] && thread_state(m->waiter_tid[i]) == 'D') {
			m->blocked_ns[i] = workload__now_ns();
			return 0;
		}
		sleep_ms(1);
	}
	return -ETIMEDOUT;
}

/* Note the error @err (-errno) in @m and return it. */
static int mutex_fail(struct pipe_mutex *m, int err)
{
	m->err = -err;
	return err;
}

/*
 * The holder locks the pipe and stalls in its fault, the waiters queue one
 * by one, the fault is resolved m->hold_ms after the last one queued.
 */
int pipe_mutex__contend(struct pipe_mutex *m)
{
	struct mutex_work w = { .m = m };
	struct waiter_arg wa[PIPE_MUTEX_MAX_WAITERS];
	pthread_t h, wt[PIPE_MUTEX_MAX_WAITERS];
	long size = sysconf(_SC_PAGESIZE);
	int uffd, nw = 0, err;
	void *ret;

	m->queued = 0;
	if (m->waiters < 1 || m->waiters > PIPE_MUTEX_MAX_WAITERS)
		return mutex_fail(m, -EINVAL);
	w.page = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w.page == MAP_FAILED || pipe2(w.pipe, O_CLOEXEC))
		return mutex_fail(m, -errno);
	uffd = uffd_open(w.page, size);
	if (uffd < 0)
		return mutex_fail(m, uffd);
	err = -pthread_create(&h, NULL, holder, &w);
	if (err) {
		close(uffd);
		return mutex_fail(m, err);
	}
	err = uffd_wait_fault(uffd);
	for (; !err && nw < m->waiters; nw++) {
		wa[nw].w = &w;
		wa[nw].idx = nw;
		err = -pthread_create(&wt[nw], NULL, waiter, &wa[nw]);
		if (err)
			break;
		err = waiter_blocked(m, nw);
		m->queued += !err;
	}
	if (!err)
		sleep_ms(m->hold_ms);
	m->release_ns = workload__now_ns();
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
	close(uffd);
	close(w.pipe[0]);
	close(w.pipe[1]);
	munmap(w.page, size);
	return mutex_fail(m, err);
}

struct mutex_wl {
	uint64_t threads;
	uint64_t duration_ms;
	/* results */
	struct pipe_mutex m;
};

static int mutex_run(void *obj, struct workload_ctx *ctx)
{
	struct mutex_wl *w = obj;
	int err;

	w->m.waiters = (int)w->threads;
	w->m.hold_ms = (unsigned int)w->duration_ms;
	err = pipe_mutex__contend(&w->m);
	if (err == -EPERM || err == -ENOSYS) {
		snprintf(ctx->error, sizeof(ctx->error), "no userfaultfd for kernel faults: %s "
			 "(needs root, or vm.unprivileged_userfaultfd=1)", strerror(-err));
		return HLD_EXIT_UNSUPPORTED;
	}
	if (err)
		snprintf(ctx->error, sizeof(ctx->error), "the pipe mutex workload failed: %s "
			 "(%d of %d waiters queued)", strerror(-err), w->m.queued, w->m.waiters);
	snprintf(ctx->summary, sizeof(ctx->summary), "thread %d held a pipe's mutex %.3f ms "
		 "(%.3f ms with %d threads queued)", w->m.holder_tid,
		 (w->m.holder_end_ns - w->m.holder_start_ns) / 1e6,
		 w->m.queued ? (w->m.release_ns - w->m.blocked_ns[w->m.queued - 1]) / 1e6 : 0.0,
		 w->m.queued);
	return err ? HLD_EXIT_FAIL : HLD_EXIT_OK;
}

/*
 * The bounds of each wait and of the hold, in ns: a wait lasted at least from
 * when its thread was seen blocked to the release, at most its write() call.
 */
static void mutex_report(const void *obj, struct json_writer *j)
{
	const struct pipe_mutex *m = &((const struct mutex_wl *)obj)->m;
	uint64_t lo = 0, hi = 0;

	json__str(j, "lock", "pipe->mutex, taken in pipe_write()");
	json__int(j, "tgid", getpid());
	json__int(j, "holder_tid", m->holder_tid);
	json__int(j, "waits", m->queued);
	json__int(j, "holds", m->err ? -1 : m->queued + 1);
	json__begin_array(j, "waiters");
	for (int i = 0; i < m->queued; i++) {
		json__begin_object(j, NULL);
		json__int(j, "tid", m->waiter_tid[i]);
		json__uint(j, "wait_min_ns", m->release_ns - m->blocked_ns[i]);
		json__uint(j, "wait_max_ns", m->end_ns[i] - m->start_ns[i]);
		json__end_object(j);
		lo += m->release_ns - m->blocked_ns[i];
		hi += m->end_ns[i] - m->start_ns[i];
	}
	json__end_array(j);
	json__uint(j, "wait_total_min_ns", lo);
	json__uint(j, "wait_total_max_ns", hi);
	json__uint(j, "hold_min_ns", m->queued ? m->release_ns - m->blocked_ns[0] : 0);
	json__uint(j, "hold_max_ns", m->holder_end_ns - m->holder_start_ns);
}

static const struct opt mutex_opts[] = {
	{ "threads", OPT_UINT, offsetof(struct mutex_wl, threads), .min = 1,
	  .max = PIPE_MUTEX_MAX_WAITERS, .def = "4", .help = "threads queued on the mutex" },
	{ "duration", OPT_DURATION, offsetof(struct mutex_wl, duration_ms), .min = 1,
	  .max = 60000, .def = "100ms", .help = "how long the mutex stays held once all are queued" },
	OPT_END
};

const struct workload workload_mutex = {
	.name = "mutex",
	.comm = "hld-pipemutex",
	.summary = "threads queued on one pipe's mutex for T (mutex-monitor's truth)",
	.help = "A holder thread write()s a page into a pipe from a userfaultfd-registered\n"
		"buffer: pipe_write() faults while copying and sleeps with pipe->mutex held.\n"
		"Then --threads threads write one byte each into the same pipe and block on\n"
		"the mutex, each seen in state D before the next starts; --duration after the\n"
		"last one queued the fault is resolved and each gets the mutex in turn. So:\n"
		"exactly THREADS contended waits on one mutex (each owned by the holder when\n"
		"it began), THREADS + 1 holds. JSON: the thread ids, and each wait's and the\n"
		"hold's bounds in ns (blocked..release <= wait <= the write() call). Needs\n"
		"userfaultfd for kernel faults (root).",
	.opts = mutex_opts,
	.size = sizeof(struct mutex_wl),
	.run = mutex_run,
	.report = mutex_report,
};
