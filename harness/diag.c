// SPDX-License-Identifier: GPL-2.0
/*
 * diag.c - backend selection, feature lookup and the diagnosis thread.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"

#define DIAG_STACK_PREFAULT (128 << 10)

/* Resolve "auto", "bpf" or "kmod"; auto prefers the kernel module when it works. */
const struct diag_backend *diag__backend(const char *name, char *why, size_t len)
{
	char kwhy[256] = "", bwhy[256] = "";

	if (!strcmp(name, "kmod") || !strcmp(name, "auto")) {
		if (!diag_backend_kmod.probe(kwhy, sizeof(kwhy)))
			return &diag_backend_kmod;
		if (!strcmp(name, "kmod")) {
			snprintf(why, len, "kmod backend unavailable: %s", kwhy);
			return NULL;
		}
	}
	if (!strcmp(name, "bpf") || !strcmp(name, "auto")) {
		if (!diag_backend_bpf.probe(bwhy, sizeof(bwhy)))
			return &diag_backend_bpf;
		if (!strcmp(name, "bpf"))
			snprintf(why, len, "bpf backend unavailable: %s", bwhy);
		else
			snprintf(why, len, "no backend available: kmod: %s; bpf: %s", kwhy, bwhy);
		return NULL;
	}
	for (const struct diag_backend *const *p = diag_peer_backends; *p; p++) {
		if (strcmp(name, (*p)->name))
			continue;
		if (!(*p)->probe(bwhy, sizeof(bwhy)))
			return *p;
		snprintf(why, len, "%s backend unavailable: %s", name, bwhy);
		return NULL;
	}
	snprintf(why, len, "unknown backend '%s' (one of auto, bpf, kmod, perf, bpftrace, strace)",
		 name);
	return NULL;
}

const struct diag_ops *diag__find(const struct diag_backend *b, const char *feature,
				  char *why, size_t len)
{
	const struct diag_desc *d = diag_desc__find(feature);

	if (!d) {
		snprintf(why, len, "unknown feature '%s' ('hldbench diag list' shows them)", feature);
		return NULL;
	}
	for (const struct diag_ops *const *o = b->features; *o; o++)
		if (&diag_descs[(*o)->id] == d)
			return *o;
	snprintf(why, len, "%s is not implemented on the %s backend", feature, b->name);
	return NULL;
}

struct diag_feature *diag__open(const struct diag_ops *ops, const void *settings)
{
	const struct diag_desc *d = &diag_descs[ops->id];
	struct diag_feature *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->ops = ops;
	f->settings = calloc(1, d->settings_size);
	if (!f->settings) {
		free(f);
		return NULL;
	}
	if (settings)
		memcpy(f->settings, settings, d->settings_size);
	else if (opts__defaults(d->opts, f->settings)) {
		free(f->settings);
		free(f);
		return NULL;
	}
	return f;
}

void diag__close(struct diag_feature *f)
{
	if (!f)
		return;
	if (f->active)
		f->ops->deactivate(f);
	if (f->ops->free)
		f->ops->free(f);
	free(f->settings);
	free(f);
}

int diag__report_into(struct diag_feature *f, char *dir)
{
	struct diag_outputs out = { .dir = dir };
	struct json_writer j;
	FILE *null;
	int err;

	if (!mkdtemp(dir))
		return -errno;
	null = fopen("/dev/null", "we");
	if (!null)
		return -errno;
	json__init(&j, null, false);
	json__begin_object(&j, NULL);
	out.json = &j;
	err = f->ops->report(f, &out);
	json__end_object(&j);
	fclose(null);
	return err;
}

#define BPFFS_MAGIC 0xcafe4a11

int diag__pin_root(void)
{
	struct statfs st;
	int mounted = 0;

	if (statfs(DIAG_BPFFS, &st) || st.f_type != BPFFS_MAGIC) {
		if (mount("bpf", DIAG_BPFFS, "bpf", 0, "mode=0700"))
			return -errno;
		mounted = 1;
	}
	if (mkdir(DIAG_PIN_ROOT, 0700) && errno != EEXIST)
		return -errno;
	return mounted;
}

int diag__remove_dir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	return rmdir(dir) ? -errno : 0;
}

void diag_feature__set_metric(struct diag_feature *f, const char *name, double value)
{
	for (int i = 0; i < f->nr_metrics; i++) {
		if (!strcmp(f->metrics[i].name, name)) {
			f->metrics[i].value = value;
			return;
		}
	}
	if (f->nr_metrics < DIAG_MAX_METRICS)
		f->metrics[f->nr_metrics++] = (struct diag_metric){ name, value };
}

double diag_feature__metric(const struct diag_feature *f, const char *name)
{
	for (int i = 0; i < f->nr_metrics; i++)
		if (!strcmp(f->metrics[i].name, name))
			return f->metrics[i].value;
	return NAN;
}

struct diag_runner {
	pthread_t thread;
	uint64_t spin_ns;	/* injected busy loop per poll (testing the gate) */
	struct diag_feature **feats;
	int n;
	atomic_bool stop;
	int err;		/* first poll error */
	uint64_t cpu_ns;	/* the thread's CPU time, set when it exits */
	bool realtime;
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * Touch the stack the polls will use, so that its pages are resident (and,
 * under mlockall(MCL_ONFAULT), locked) before the first period, not faulted
 * in on an overloaded machine.
 */
static void prefault_stack(void)
{
	volatile char stack[DIAG_STACK_PREFAULT];

	for (size_t i = 0; i < sizeof(stack); i += 4096)
		stack[i] = 0;
}

uint64_t diag__inject_spin_us(void)
{
	const char *s = getenv(DIAG_INJECT_SPIN_ENV);
	unsigned long long v;
	char *end;

	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	return errno || *end || v > 1000000 ? 0 : v;
}

/* The injected regression: spin on the thread's own CPU clock. */
static void spin(uint64_t ns)
{
	uint64_t until = thread_cpu_ns() + ns;

	while (thread_cpu_ns() < until)
		;
}

/* Poll every feature on an absolute 10 ms schedule until told to stop. */
static void *runner_main(void *arg)
{
	struct diag_runner *r = arg;
	struct sched_param sp = { .sched_priority = 1 };
	struct timespec next;

	r->realtime = !pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	prefault_stack();
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load(&r->stop)) {
		for (int i = 0; i < r->n; i++) {
			int err;

			if (!r->feats[i]->ops->poll)
				continue;
			err = r->feats[i]->ops->poll(r->feats[i]);
			if (err && !r->err)
				r->err = err;
		}
		if (r->spin_ns)
			spin(r->spin_ns);
		next.tv_nsec += DIAG_POLL_MS * 1000000L;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	/* A final drain so nothing collected before the stop is left behind. */
	for (int i = 0; i < r->n; i++)
		if (r->feats[i]->ops->poll)
			r->feats[i]->ops->poll(r->feats[i]);
	r->cpu_ns = thread_cpu_ns();
	return NULL;
}

struct diag_runner *diag_runner__start(struct diag_feature **feats, int n, int *err)
{
	struct diag_runner *r = calloc(1, sizeof(*r));

	if (!r) {
		*err = -ENOMEM;
		return NULL;
	}
	r->feats = feats;
	r->n = n;
	r->spin_ns = diag__inject_spin_us() * 1000;
	*err = -pthread_create(&r->thread, NULL, runner_main, r);
	if (*err) {
		free(r);
		return NULL;
	}
	return r;
}

int diag_runner__stop(struct diag_runner *r, uint64_t *cpu_ns, bool *realtime)
{
	int err;

	atomic_store(&r->stop, true);
	pthread_join(r->thread, NULL);
	*cpu_ns = r->cpu_ns;
	*realtime = r->realtime;
	err = r->err;
	free(r);
	return err;
}
