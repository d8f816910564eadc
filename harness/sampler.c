// SPDX-License-Identifier: GPL-2.0
/*
 * sampler.c - the /proc load sampler thread.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "procfs.h"
#include "sampler.h"
#include "stats.h"

#define NSEC_PER_SEC	1000000000ULL
#define NSEC_PER_MSEC	1000000ULL
#define PREALLOC_S	600	/* seconds of samples allocated up front */
#define PREALLOC_MAX	65536
#define STAT_BUF	65536	/* /proc/stat grows with CPUs and IRQs */

struct sampler {
	uint64_t interval_ns;
	pthread_t thread;
	bool started;		/* thread created and not yet joined */

	atomic_bool stop;
	atomic_int phase;
	atomic_uint_fast64_t missed;
	atomic_bool realtime;
	atomic_bool psi_missing;
	atomic_int err;

	/* the array; lock held to append and to read while running */
	pthread_mutex_t lock;
	struct sample *samples;
	size_t n, cap;

	/* thread-private */
	struct proc_stat prev;
	bool have_prev;
	char buf[STAT_BUF];
};

/* CLOCK_MONOTONIC in ns. */
uint64_t sampler__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* Allocate a stopped sampler; the array is sized for PREALLOC_S of samples. */
struct sampler *sampler__new(uint64_t interval_ms)
{
	struct sampler *s = calloc(1, sizeof(*s));
	uint64_t cap;

	if (!s)
		return NULL;
	s->interval_ns = interval_ms * NSEC_PER_MSEC;
	cap = interval_ms ? PREALLOC_S * 1000 / interval_ms + 1 : 1;
	if (cap > PREALLOC_MAX)
		cap = PREALLOC_MAX;
	s->samples = calloc(cap, sizeof(*s->samples));
	if (!s->samples) {
		free(s);
		return NULL;
	}
	s->cap = cap;
	pthread_mutex_init(&s->lock, NULL);
	atomic_init(&s->stop, false);
	atomic_init(&s->phase, -1);
	atomic_init(&s->missed, 0);
	atomic_init(&s->realtime, false);
	atomic_init(&s->psi_missing, false);
	atomic_init(&s->err, 0);
	return s;
}

/* Remember the first read/parse error only: later ones are usually the same. */
static void note_error(struct sampler *s, int err)
{
	int zero = 0;

	atomic_compare_exchange_strong(&s->err, &zero, err);
}

/*
 * Read one PSI file's avg10 values into @some/@full (NaN on failure,
 * which also raises the psi_missing flag).
 */
static void read_psi(struct sampler *s, const char *path, double *some, double *full)
{
	struct psi p;

	if (procfs__read(path, s->buf, sizeof(s->buf)) < 0 ||
	    procfs__parse_psi(s->buf, &p) < 0) {
		atomic_store(&s->psi_missing, true);
		*some = NAN;
		if (full)
			*full = NAN;
		return;
	}
	*some = p.some_avg10;
	if (full)
		*full = p.has_full ? p.full_avg10 : NAN;
}

/*
 * Take one sample. /proc/stat is read first, right after the timestamp,
 * so that R and D are as close to t_ns as possible.
 */
static void sampler__take(struct sampler *s, struct sample *out)
{
	struct proc_stat st;
	struct loadavg la;
	int err;

	memset(out, 0, sizeof(*out));
	out->t_ns = sampler__now_ns();
	out->phase = atomic_load(&s->phase);
	out->cpu_busy = NAN;

	err = procfs__read("/proc/stat", s->buf, sizeof(s->buf));
	if (err >= 0)
		err = procfs__parse_stat(s->buf, &st);
	if (err < 0) {
		note_error(s, err);
		s->have_prev = false;
	} else {
		out->r_raw = st.procs_running > UINT32_MAX ? UINT32_MAX : st.procs_running;
		out->r = out->r_raw ? out->r_raw - 1 : 0;
		out->d = st.procs_blocked > UINT32_MAX ? UINT32_MAX : st.procs_blocked;
		if (s->have_prev)
			out->cpu_busy = procfs__cpu_busy(&s->prev, &st);
		s->prev = st;
		s->have_prev = true;
	}

	err = procfs__read("/proc/loadavg", s->buf, sizeof(s->buf));
	if (err >= 0)
		err = procfs__parse_loadavg(s->buf, &la);
	if (err < 0) {
		note_error(s, err);
		out->load1 = out->load5 = out->load15 = NAN;
	} else {
		out->load1 = la.avg1;
		out->load5 = la.avg5;
		out->load15 = la.avg15;
	}

	read_psi(s, "/proc/pressure/cpu", &out->psi_cpu_some, NULL);
	read_psi(s, "/proc/pressure/io", &out->psi_io_some, &out->psi_io_full);
	read_psi(s, "/proc/pressure/memory", &out->psi_mem_some, &out->psi_mem_full);
}

/* Append under the lock, doubling the array when full. */
static void sampler__append(struct sampler *s, const struct sample *x)
{
	pthread_mutex_lock(&s->lock);
	if (s->n == s->cap) {
		struct sample *bigger = realloc(s->samples, 2 * s->cap * sizeof(*bigger));

		if (!bigger) {
			pthread_mutex_unlock(&s->lock);
			note_error(s, -ENOMEM);
			return;
		}
		s->samples = bigger;
		s->cap *= 2;
	}
	s->samples[s->n++] = *x;
	pthread_mutex_unlock(&s->lock);
}

/* Absolute ns to a timespec for clock_nanosleep. */
static void ns_to_timespec(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = ns / NSEC_PER_SEC;
	ts->tv_nsec = ns % NSEC_PER_SEC;
}

/*
 * The thread: sample, then sleep to the next deadline on the grid
 * start + k * interval. If the deadline has already passed, the ticks in
 * between are counted as missed and the next future one is used, so late
 * samples never shift the grid.
 */
static void *sampler__thread(void *arg)
{
	struct sampler *s = arg;
	uint64_t next = sampler__now_ns();
	struct sample x;

	while (!atomic_load(&s->stop)) {
		struct timespec ts;
		uint64_t now;

		sampler__take(s, &x);
		sampler__append(s, &x);

		next += s->interval_ns;
		now = sampler__now_ns();
		if (now > next) {
			uint64_t late = (now - next) / s->interval_ns + 1;

			atomic_fetch_add(&s->missed, late);
			next += late * s->interval_ns;
		}
		ns_to_timespec(next, &ts);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	return NULL;
}

/* Create the thread and try to make it SCHED_FIFO 1. */
int sampler__start(struct sampler *s)
{
	struct sched_param sp = { .sched_priority = 1 };
	int err;

	if (!s || !s->interval_ns || s->started)
		return -EINVAL;
	atomic_store(&s->stop, false);
	s->have_prev = false;
	err = pthread_create(&s->thread, NULL, sampler__thread, s);
	if (err)
		return -err;
	s->started = true;
	/* best effort: without it the sampler just shares the CPUs fairly */
	atomic_store(&s->realtime,
		     pthread_setschedparam(s->thread, SCHED_FIFO, &sp) == 0);
	return 0;
}

/* Tag later samples with @phase; atomic, so any thread may call it. */
void sampler__set_phase(struct sampler *s, int phase)
{
	atomic_store(&s->phase, phase);
}

/* Ask the thread to finish and join it. */
int sampler__stop(struct sampler *s)
{
	int err;

	if (!s || !s->started)
		return 0;
	atomic_store(&s->stop, true);
	err = pthread_join(s->thread, NULL);
	s->started = false;
	return -err;
}

/* The array and its length; see sampler.h for when it is stable. */
const struct sample *sampler__samples(const struct sampler *s, size_t *n)
{
	*n = s->n;
	return s->samples;
}

/* The sample count, read under the lock. */
size_t sampler__count(struct sampler *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->n;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* Copy the newest sample under the lock. */
int sampler__latest(struct sampler *s, struct sample *out)
{
	int ret = -ENODATA;

	pthread_mutex_lock(&s->lock);
	if (s->n) {
		*out = s->samples[s->n - 1];
		ret = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* Ticks skipped so far. */
uint64_t sampler__missed(const struct sampler *s)
{
	return atomic_load(&s->missed);
}

/* Whether the thread got SCHED_FIFO. */
bool sampler__realtime(const struct sampler *s)
{
	return atomic_load(&s->realtime);
}

/* Whether a PSI read ever failed. */
bool sampler__psi_missing(const struct sampler *s)
{
	return atomic_load(&s->psi_missing);
}

/* The first /proc read or parse error, 0 if none. */
int sampler__error(const struct sampler *s)
{
	return atomic_load(&s->err);
}

/* One CSV field: a fixed-precision number, or NaN. */
static void csv_num(FILE *f, double v, int prec)
{
	if (isnan(v))
		fputs(",NaN", f);
	else
		fprintf(f, ",%.*f", prec, v);
}

/*
 * Write samples.csv, computing the EWMA prediction of load1 from r + d
 * over the whole series first.
 */
int sampler__write_csv(const struct sampler *s, const char *path, uint64_t t0_ns)
{
	double *t = NULL, *act = NULL, *load = NULL, *pred = NULL;
	size_t i, n = s->n;
	int err = 0;
	FILE *f;

	if (n) {
		t = malloc(n * sizeof(*t));
		act = malloc(n * sizeof(*act));
		load = malloc(n * sizeof(*load));
		pred = malloc(n * sizeof(*pred));
		if (!t || !act || !load || !pred) {
			err = -ENOMEM;
			goto out_free;
		}
		for (i = 0; i < n; i++) {
			const struct sample *x = &s->samples[i];

			t[i] = ((double)x->t_ns - (double)t0_ns) / NSEC_PER_SEC;
			act[i] = (double)x->r + x->d;
			load[i] = x->load1;
		}
		if (loadavg__predict(t, act, load, n, pred, NULL) < 0)
			for (i = 0; i < n; i++)
				pred[i] = NAN;
	}

	f = fopen(path, "w");
	if (!f) {
		err = -errno;
		goto out_free;
	}
	fputs("t_s,phase,r,d,r_raw,load1,load5,load15,cpu_busy,psi_cpu_some,"
	      "psi_io_some,psi_io_full,psi_mem_some,psi_mem_full,pred_load1\n", f);
	for (i = 0; i < n; i++) {
		const struct sample *x = &s->samples[i];

		fprintf(f, "%.3f,%d,%u,%u,%u", t[i], x->phase, x->r, x->d, x->r_raw);
		csv_num(f, x->load1, 2);
		csv_num(f, x->load5, 2);
		csv_num(f, x->load15, 2);
		csv_num(f, x->cpu_busy, 1);
		csv_num(f, x->psi_cpu_some, 2);
		csv_num(f, x->psi_io_some, 2);
		csv_num(f, x->psi_io_full, 2);
		csv_num(f, x->psi_mem_some, 2);
		csv_num(f, x->psi_mem_full, 2);
		csv_num(f, pred[i], 3);
		fputc('\n', f);
	}
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
out_free:
	free(t);
	free(act);
	free(load);
	free(pred);
	return err;
}

/* Stop (if running) and release everything. */
void sampler__free(struct sampler *s)
{
	if (!s)
		return;
	sampler__stop(s);
	pthread_mutex_destroy(&s->lock);
	free(s->samples);
	free(s);
}
