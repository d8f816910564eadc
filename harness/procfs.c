// SPDX-License-Identifier: GPL-2.0
/*
 * procfs.c - parsers for /proc/stat, /proc/loadavg and /proc/pressure/ *.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"

/*
 * Read a whole small file with one open and as many reads as it takes;
 * /proc files are generated at read time, so one buffer is one snapshot
 * as long as it fits.
 */
int procfs__read(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	int fd, err = 0;

	if (!buf || len < 2)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (got == len - 1) {
			char extra;

			/* full: is there more? */
			n = read(fd, &extra, 1);
			if (n > 0)
				err = -EFBIG;
			else if (n < 0)
				err = -errno;
			break;
		}
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return err;
}

char procfs__state(const char *path)
{
	char buf[512], *p;
	int err = procfs__read(path, buf, sizeof(buf));

	if (err && err != -EFBIG)	/* a long comm: the start is enough */
		return 0;
	p = strrchr(buf, ')');		/* comm may hold spaces and parentheses */
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * Parse an unsigned decimal at *p after blanks (not newlines), advancing *p.
 * Unlike bare strtoull this rejects signs and empty fields, and requires the
 * number to end at a blank or the end of the line.
 */
static int parse_u64(const char **p, uint64_t *v)
{
	const char *s = *p;
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end && *end != ' ' && *end != '\t' && *end != '\n')
		return -EINVAL;
	*p = end;
	return 0;
}

/* Same as parse_u64 for a non-negative decimal fraction ("0.15"). */
static int parse_double(const char **p, double *v)
{
	const char *s = *p;
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = strtod(s, &end);
	if (errno || !isfinite(*v))
		return -EINVAL;
	if (*end && *end != ' ' && *end != '\t' && *end != '\n')
		return -EINVAL;
	*p = end;
	return 0;
}

/* True when only blanks remain before the end of the line. */
static bool at_eol(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\0' || *p == '\n';
}

/*
 * If the line at @line starts with the word @key followed by a blank,
 * return a pointer just past the key, else NULL.
 */
static const char *line_key(const char *line, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(line, key, n) || (line[n] != ' ' && line[n] != '\t'))
		return NULL;
	return line + n;
}

/* Parse "key N" where N is the only field; used for the scalar /proc/stat lines. */
static int parse_scalar_line(const char *p, uint64_t *v)
{
	if (parse_u64(&p, v) || !at_eol(p))
		return -EINVAL;
	return 0;
}

/*
 * Walk /proc/stat line by line and pick the lines we need. The aggregate
 * "cpu" line must have at least the four columns every kernel has printed;
 * later columns are filled as far as this kernel prints them.
 */
int procfs__parse_stat(const char *text, struct proc_stat *s)
{
	bool have_cpu = false, have_run = false, have_blk = false;
	const char *line = text;

	if (!text || !s)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		const char *p;

		if ((p = line_key(line, "cpu"))) {
			int i;

			for (i = 0; i < PROC_CPU__MAX && !at_eol(p); i++)
				if (parse_u64(&p, &s->cpu[i]))
					return -EINVAL;
			if (i <= PROC_CPU_IDLE || !at_eol(p))
				return -EINVAL;
			have_cpu = true;
		} else if ((p = line_key(line, "procs_running"))) {
			if (parse_scalar_line(p, &s->procs_running))
				return -EINVAL;
			have_run = true;
		} else if ((p = line_key(line, "procs_blocked"))) {
			if (parse_scalar_line(p, &s->procs_blocked))
				return -EINVAL;
			have_blk = true;
		} else if ((p = line_key(line, "ctxt"))) {
			if (parse_scalar_line(p, &s->ctxt))
				return -EINVAL;
		} else if ((p = line_key(line, "processes"))) {
			if (parse_scalar_line(p, &s->processes))
				return -EINVAL;
		}
		line = nl ? nl + 1 : NULL;
	}
	return have_cpu && have_run && have_blk ? 0 : -EINVAL;
}

/* Sum of the columns that count wall time once (guest columns excluded). */
static uint64_t cpu_total(const struct proc_stat *s)
{
	uint64_t t = 0;
	int i;

	for (i = 0; i < PROC_CPU_GUEST; i++)
		t += s->cpu[i];
	return t;
}

/*
 * Busy share of the ticks that elapsed between two snapshots. Idle and
 * iowait are the not-busy columns; guest time sits inside user/nice already.
 */
double procfs__cpu_busy(const struct proc_stat *a, const struct proc_stat *b)
{
	uint64_t ta = cpu_total(a), tb = cpu_total(b);
	uint64_t ia = a->cpu[PROC_CPU_IDLE] + a->cpu[PROC_CPU_IOWAIT];
	uint64_t ib = b->cpu[PROC_CPU_IDLE] + b->cpu[PROC_CPU_IOWAIT];
	double total, idle;

	/*
	 * iowait on a CPU can decrease on some kernels (it is an estimate),
	 * so only the total is required to be monotonic; clamp the rest.
	 */
	if (tb <= ta)
		return NAN;
	total = (double)(tb - ta);
	idle = (double)ib - (double)ia;
	if (idle < 0)
		idle = 0;
	if (idle > total)
		idle = total;
	return 100.0 * (total - idle) / total;
}

/*
 * Parse "a1 a5 a15 running/threads last_pid". The kernel prints exactly
 * this, so anything else is rejected rather than half-parsed.
 */
int procfs__parse_loadavg(const char *text, struct loadavg *l)
{
	const char *p = text;
	uint64_t run, thr, pid;
	char *end;

	if (!text || !l)
		return -EINVAL;
	memset(l, 0, sizeof(*l));
	if (parse_double(&p, &l->avg1) || parse_double(&p, &l->avg5) ||
	    parse_double(&p, &l->avg15))
		return -EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	run = strtoull(p, &end, 10);
	if (*end != '/')
		return -EINVAL;
	p = end + 1;
	if (parse_u64(&p, &thr) || parse_u64(&p, &pid) || !at_eol(p))
		return -EINVAL;
	if (run > UINT32_MAX || thr > UINT32_MAX || pid > UINT32_MAX)
		return -EINVAL;
	l->nr_running = run;
	l->nr_threads = thr;
	l->last_pid = pid;
	return 0;
}

/* Parse " avg10=X avg60=Y avg300=Z total=N" after "some"/"full". */
static int parse_psi_line(const char *p, double *a10, double *a60,
			  double *a300, uint64_t *total)
{
	static const char *const keys[] = { "avg10=", "avg60=", "avg300=" };
	double *vals[] = { a10, a60, a300 };
	int i;

	for (i = 0; i < 3; i++) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, keys[i], strlen(keys[i])))
			return -EINVAL;
		p += strlen(keys[i]);
		if (parse_double(&p, vals[i]))
			return -EINVAL;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "total=", 6))
		return -EINVAL;
	p += 6;
	if (parse_u64(&p, total) || !at_eol(p))
		return -EINVAL;
	return 0;
}

/* Parse a PSI file: a required "some" line and an optional "full" line. */
int procfs__parse_psi(const char *text, struct psi *ps)
{
	const char *line = text;
	bool have_some = false;

	if (!text || !ps)
		return -EINVAL;
	memset(ps, 0, sizeof(*ps));
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		const char *p;

		if ((p = line_key(line, "some"))) {
			if (parse_psi_line(p, &ps->some_avg10, &ps->some_avg60,
					   &ps->some_avg300, &ps->some_total))
				return -EINVAL;
			have_some = true;
		} else if ((p = line_key(line, "full"))) {
			if (parse_psi_line(p, &ps->full_avg10, &ps->full_avg60,
					   &ps->full_avg300, &ps->full_total))
				return -EINVAL;
			ps->has_full = true;
		} else if (!at_eol(line)) {
			return -EINVAL;
		}
		line = nl ? nl + 1 : NULL;
	}
	return have_some ? 0 : -EINVAL;
}

/*
 * The pool behind procfs__slurp(): PROCFS_READERS threads, created on
 * first use with a preallocated buffer, each serving one read at a time.
 * A reader whose caller gave up finishes its read in the background and
 * then becomes free again.
 */
#define SLURP_INITIAL (64u << 10)
#define SLURP_MAX (16u << 20)

struct slurp_reader {
	bool started, busy, done, abandoned;
	char path[PATH_MAX];
	char *buf;
	size_t cap, len;
	int err;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	struct slurp_reader r[PROCFS_READERS];
	uint64_t timeouts;
} slurp_pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
};

/* Read @path whole into r->buf, growing it up to SLURP_MAX. */
static int slurp_reader__read(struct slurp_reader *r, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	r->len = 0;
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (r->cap - r->len < 2) {
			size_t ncap = r->cap * 2;
			char *nb = ncap <= SLURP_MAX ? realloc(r->buf, ncap) : NULL;

			if (!nb) {
				err = ncap <= SLURP_MAX ? -ENOMEM : -EFBIG;
				break;
			}
			r->buf = nb;
			r->cap = ncap;
		}
		n = read(fd, r->buf + r->len, r->cap - 1 - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : 0;
			break;
		}
		r->len += n;
	}
	close(fd);
	r->buf[r->len] = '\0';
	return err;
}

static void *slurp_reader__main(void *arg)
{
	struct slurp_reader *r = arg;
	char path[PATH_MAX];
	int err;

	pthread_mutex_lock(&slurp_pool.lock);
	for (;;) {
		while (!r->busy || r->done)
			pthread_cond_wait(&slurp_pool.work, &slurp_pool.lock);
		memcpy(path, r->path, sizeof(path));
		pthread_mutex_unlock(&slurp_pool.lock);
		err = slurp_reader__read(r, path);
		pthread_mutex_lock(&slurp_pool.lock);
		r->err = err;
		r->done = true;
		if (r->abandoned)
			r->busy = r->done = r->abandoned = false;
		pthread_cond_broadcast(&slurp_pool.done);
	}
	return NULL;
}

/* A free reader, started if need be; NULL if every one is busy. */
static struct slurp_reader *slurp_pool__get(void)
{
	for (int i = 0; i < PROCFS_READERS; i++) {
		struct slurp_reader *r = &slurp_pool.r[i];
		pthread_attr_t attr;
		pthread_t t;

		if (r->busy)
			continue;
		if (r->started)
			return r;
		r->buf = malloc(SLURP_INITIAL);
		if (!r->buf)
			return NULL;
		r->cap = SLURP_INITIAL;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		r->started = !pthread_create(&t, &attr, slurp_reader__main, r);
		pthread_attr_destroy(&attr);
		return r->started ? r : NULL;
	}
	return NULL;
}

int procfs__slurp(const char *path, int timeout_ms, char **out, size_t *lenp)
{
	struct slurp_reader *r;
	struct timespec until;
	int err = 0;

	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&slurp_pool.lock);
	r = slurp_pool__get();
	if (!r) {
		slurp_pool.timeouts++;
		pthread_mutex_unlock(&slurp_pool.lock);
		return -ETIMEDOUT;
	}
	strcpy(r->path, path);
	r->busy = true;
	r->done = r->abandoned = false;
	pthread_cond_broadcast(&slurp_pool.work);
	while (!r->done && !err)
		err = -pthread_cond_clockwait(&slurp_pool.done, &slurp_pool.lock,
					      CLOCK_MONOTONIC, &until);
	if (!r->done) {
		r->abandoned = true;
		slurp_pool.timeouts++;
		pthread_mutex_unlock(&slurp_pool.lock);
		return -ETIMEDOUT;
	}
	err = r->err;
	if (!err) {
		*out = malloc(r->len + 1);
		if (*out) {
			memcpy(*out, r->buf, r->len + 1);
			*lenp = r->len;
		} else {
			err = -ENOMEM;
		}
	}
	r->busy = r->done = false;
	pthread_mutex_unlock(&slurp_pool.lock);
	return err;
}

uint64_t procfs__slurp_timeouts(void)
{
	uint64_t n;

	pthread_mutex_lock(&slurp_pool.lock);
	n = slurp_pool.timeouts;
	pthread_mutex_unlock(&slurp_pool.lock);
	return n;
}
