// SPDX-License-Identifier: GPL-2.0
/*
 * bench-loadmon.c - `hldbench bench load-monitor`: load-monitor's cost.
 *
 * Idle: a threshold that cannot be crossed (task.d=100000), for N seconds.
 * The in-kernel check runs every interval in a BPF timer callback (eBPF
 * backend) or an hrtimer (hld.ko, --backend=kmod); the kernel's BPF
 * statistics do not cover timer callbacks, so both time themselves (the
 * clock at entry and exit, summed in the kernel).
 * That run time, as a share of one CPU, is compared with the 0.2% budget.
 * The user-space thread that `hldbench run` adds (it drains the buffers
 * every 10 ms; a persistent activation has none) is measured separately,
 * with and without load-monitor's poll, since the thread wakes every
 * 10 ms for every feature anyway.
 *
 * Crossed: M processes held in D state and task.d=M with min-gap=0, so
 * every check captures; the cost per capture (a walk of every thread and a
 * kernel stack per R and D task) and per task captured.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench-loadmon.h"
#include "builtin.h"
#include "diag.h"
#include "dstate.h"
#include "stats.h"

#define BUDGET_PCT 0.2		/* of one CPU, with the threshold not crossed */
#define NS 1e9

/* What one measured activation cost. */
struct lm_cost {
	double seconds;
	uint64_t thread_ns;		/* the polling thread's CPU time */
	uint64_t run_ns, run_cnt;	/* the timer callback's own run time and runs */
	double checks, captures, tasks;
	double run_ns_per_check;	/* runs without a capture */
	double run_us_per_capture, run_us_max_capture;
};

/* Sleep @ms milliseconds, through signals. */
static void bench__sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The number @key of @o, NaN if absent. */
static double bench__num(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : NAN;
}

/* Write @f's report into a scratch directory and read the figures of loadmon.json. */
static int bench__report(struct diag_feature *f, struct lm_cost *c)
{
	static const char *const files[] = {
		"loadmon.txt", "loadmon.json", "loadmon-checks.csv", "loadmon.folded",
	};
	char dir[] = "/tmp/hldbench-bench-XXXXXX", path[PATH_MAX];
	struct diag_outputs out = { .dir = dir };
	struct json_writer j;
	json_object *rep, *caps;
	FILE *null;
	int err;

	if (!mkdtemp(dir))
		return -errno;
	null = fopen("/dev/null", "we");
	if (!null) {
		rmdir(dir);
		return -errno;
	}
	json__init(&j, null, false);
	json__begin_object(&j, NULL);
	out.json = &j;
	err = f->ops->report(f, &out);
	json__end_object(&j);
	fclose(null);
	snprintf(path, sizeof(path), "%s/loadmon.json", dir);
	rep = err ? NULL : json_object_from_file(path);
	if (!err && !rep)
		err = -EINVAL;
	if (rep) {
		c->checks = bench__num(rep, "checks");
		c->captures = json_object_object_get_ex(rep, "captures", &caps) ?
			      json_object_array_length(caps) : NAN;
		c->tasks = bench__num(rep, "tasks_captured");
		c->run_ns_per_check = bench__num(rep, "bpf_run_ns_per_check");
		c->run_us_per_capture = bench__num(rep, "bpf_run_us_per_capture");
		c->run_us_max_capture = bench__num(rep, "bpf_run_us_max_capture");
		json_object_put(rep);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return err;
}

/*
 * One activation with @settings for @ms, polled as `hldbench run` polls it;
 * its costs into @c.
 */
static int bench__measure(const struct diag_ops *ops, const char *settings, long ms,
			  struct lm_cost *c)
{
	const struct diag_desc *d = &diag_descs[ops->id];
	struct diag_runner *runner;
	struct diag_feature *f;
	char err_text[256];
	void *s;
	bool rt;
	int err;

	memset(c, 0, sizeof(*c));
	s = calloc(1, d->settings_size);
	if (!s)
		return -ENOMEM;
	err = opts__defaults(d->opts, s);
	if (!err)
		err = diag_desc__parse(d, settings, s, err_text, sizeof(err_text));
	f = err ? NULL : diag__open(ops, s);
	free(s);
	if (!f)
		return err ? err : -ENOMEM;
	err = ops->activate(f);
	if (err)
		goto out;
	f->active = true;
	runner = diag_runner__start(&f, 1, &err);
	if (!runner) {
		ops->deactivate(f);
		goto out;
	}
	bench__sleep_ms(ms);
	err = diag_runner__stop(runner, &c->thread_ns, &rt);
	if (!err)
		err = ops->deactivate(f);
	f->active = false;
	if (!err)
		err = bench__report(f, c);
	c->seconds = ms / 1e3;
	c->run_ns = f->kernel_run_ns;
	c->run_cnt = f->kernel_run_cnt;
out:
	diag__close(f);
	return err;
}

/* What `hldbench bench load-monitor` does and takes. */
static void bench__usage(FILE *f)
{
	fprintf(f, "usage: hldbench bench load-monitor [--rounds R] [--seconds N] [--tasks M] "
		   "[--capture-seconds S] [--backend bpf|kmod]\n\n"
		   "load-monitor's cost at its 10 ms interval: with a threshold that cannot be\n"
		   "crossed, R rounds (default 5) of N seconds (default 2) polled as `hldbench\n"
		   "run` polls it, interleaved with as many with no poll: the BPF run time per\n"
		   "check and as a share of one CPU against the 0.2%% budget, and what the\n"
		   "poll adds; then, with M processes (default 8) held in D state and\n"
		   "task.d=M, min-gap=0 for S seconds (default 3), the cost per capture.\n"
		   "--backend: the eBPF backend (default) or the kernel module (hld.ko loaded).\n"
		   "Needs root.\n");
}

/* Parse a positive integer option value within [lo, hi]; -1 if bad. */
static long bench__arg(const char *name, const char *val, long lo, long hi)
{
	char *end;
	long v = strtol(val, &end, 10);

	if (*end || v < lo || v > hi) {
		fprintf(stderr, "hldbench bench load-monitor: %s: bad value '%s' (accepted %ld..%ld)\n",
			name, val, lo, hi);
		return -1;
	}
	return v;
}

#define MAX_ROUNDS 50

/*
 * Idle cost, in @rounds interleaved pairs of @seconds: load-monitor (on
 * @backend, for the title) polled
 * as `hldbench run` polls it, and the same with no poll (the polling
 * thread by itself). Prints medians. 0 or -errno.
 */
static int bench__idle(const struct diag_ops *ops, const char *backend, long rounds,
		       long seconds)
{
	double kpct[MAX_ROUNDS], tpct[MAX_ROUNDS], fpct[MAX_ROUNDS], dpct[MAX_ROUNDS];
	double per_check[MAX_ROUNDS];
	struct diag_ops no_poll = *ops;
	struct lm_cost with, without;
	double checks = 0, k, dr;
	int err;

	no_poll.poll = NULL;
	for (long r = 0; r < rounds; r++) {
		err = bench__measure(ops, "task.d=100000", seconds * 1000, &with);
		if (!err)
			err = bench__measure(&no_poll, "task.d=100000", seconds * 1000, &without);
		if (err)
			return err;
		kpct[r] = (with.run_ns + without.run_ns) / ((with.seconds + without.seconds) * NS) * 100;
		per_check[r] = (with.run_ns + without.run_ns) / (double)(with.run_cnt + without.run_cnt);
		tpct[r] = with.thread_ns / (with.seconds * NS) * 100;
		fpct[r] = without.thread_ns / (without.seconds * NS) * 100;
		dpct[r] = tpct[r] - fpct[r];
		checks += with.checks + without.checks;
	}
	k = stats__median(kpct, rounds);
	dr = stats__median(dpct, rounds);
	if (dr < 0)
		dr = 0;		/* the poll cannot make the thread cheaper: noise */
	printf("load-monitor on the %s backend, 10 ms interval, threshold not crossed "
	       "(task.d=100000), %ld x 2 x %ld s interleaved, medians:\n", backend, rounds,
	       seconds);
	printf("  checks                  %.0f in all\n", checks);
	printf("  in-kernel run time      %.0f ns per check (self-timed in the kernel)\n",
	       stats__median(per_check, rounds));
	printf("  in-kernel cost          %.4f%% of one CPU = %.3f of the %.1f%% budget\n", k,
	       k / BUDGET_PCT, BUDGET_PCT);
	printf("  hldbench run's thread   %.4f%% of one CPU polling load-monitor every 10 ms, "
	       "%.4f%% with no poll (IQR of the difference %.4f..%.4f)\n",
	       stats__median(tpct, rounds), stats__median(fpct, rounds),
	       stats__percentile(dpct, rounds, 25), stats__percentile(dpct, rounds, 75));
	printf("  in-kernel + poll        %.4f%% of one CPU = %.3f of the budget "
	       "(a persistent activation has no thread: in-kernel only)\n", k + dr,
	       (k + dr) / BUDGET_PCT);
	return 0;
}

/* The idle cost against the budget, then the cost per capture with D tasks held. */
int bench_load_monitor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "tasks", required_argument, NULL, 't' },
		{ "capture-seconds", required_argument, NULL, 'c' },
		{ "backend", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	long seconds = 2, rounds = 5, tasks = 8, cap_seconds = 3;
	const char *backend = "bpf";
	const struct diag_backend *b;
	const struct diag_ops *ops;
	struct lm_cost hit;
	struct dstate *d;
	char why[256], settings[128];
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			seconds = bench__arg("--seconds", optarg, 1, 3600);
			break;
		case 'r':
			rounds = bench__arg("--rounds", optarg, 1, MAX_ROUNDS);
			break;
		case 't':
			tasks = bench__arg("--tasks", optarg, 1, DSTATE_MAX);
			break;
		case 'c':
			cap_seconds = bench__arg("--capture-seconds", optarg, 1, 600);
			break;
		case 'b':
			if (strcmp(optarg, "bpf") && strcmp(optarg, "kmod")) {
				fprintf(stderr, "hldbench bench load-monitor: --backend: '%s' is not "
					"a backend (bpf, kmod)\n", optarg);
				return HLD_EXIT_USAGE;
			}
			backend = optarg;
			break;
		case 'h':
			bench__usage(stdout);
			return HLD_EXIT_OK;
		default:
			bench__usage(stderr);
			return HLD_EXIT_USAGE;
		}
		if (seconds < 0 || rounds < 0 || tasks < 0 || cap_seconds < 0)
			return HLD_EXIT_USAGE;
	}
	if (optind != argc) {
		bench__usage(stderr);
		return HLD_EXIT_USAGE;
	}
	b = diag__backend(backend, why, sizeof(why));
	ops = b ? diag__find(b, "load-monitor", why, sizeof(why)) : NULL;
	if (ops && ops->probe && ops->probe(why, sizeof(why)))
		ops = NULL;
	if (!ops) {
		fprintf(stderr, "hldbench bench load-monitor: %s\n", why);
		return HLD_EXIT_UNSUPPORTED;
	}

	err = bench__idle(ops, backend, rounds, seconds);
	if (err) {
		fprintf(stderr, "hldbench bench load-monitor: cannot measure: %s\n", strerror(-err));
		return HLD_EXIT_FAIL;
	}

	d = dstate__hold(tasks, "hld-dstate", (cap_seconds + 30) * 1000, &err);
	if (!d || dstate__wait_blocked(d, 5000)) {
		fprintf(stderr, "hldbench bench load-monitor: cannot hold %ld processes in D state: "
			"%s\n", tasks, d ? "they did not block" : strerror(-err));
		dstate__release(d);
		return HLD_EXIT_FAIL;
	}
	snprintf(settings, sizeof(settings), "task.d=%ld min-gap=0 max-tasks=4096", tasks);
	err = bench__measure(ops, settings, cap_seconds * 1000, &hit);
	dstate__release(d);
	if (err) {
		fprintf(stderr, "hldbench bench load-monitor: cannot measure: %s\n", strerror(-err));
		return HLD_EXIT_FAIL;
	}
	printf("threshold crossed: %ld processes in D state, %s, %.0f s:\n", tasks, settings,
	       hit.seconds);
	printf("  captures                %.0f of %.0f checks, %.1f tasks captured per capture\n",
	       hit.captures, hit.checks, hit.captures > 0 ? hit.tasks / hit.captures : NAN);
	printf("  in-kernel run time      %.1f us per capture (max %.1f us), %.2f us per task "
	       "captured\n", hit.run_us_per_capture, hit.run_us_max_capture,
	       hit.tasks > 0 ? hit.run_us_per_capture * hit.captures / hit.tasks : NAN);
	printf("  at the default min-gap  1 capture per second: %.4f%% of one CPU on top of the "
	       "checks\n", hit.run_us_per_capture / 1e6 * 100);
	printf("  hldbench run's poller   %.4f%% of one CPU while capturing every check\n",
	       hit.thread_ns / (hit.seconds * NS) * 100);
	return HLD_EXIT_OK;
}
