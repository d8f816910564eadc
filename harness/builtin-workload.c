// SPDX-License-Identifier: GPL-2.0
/*
 * builtin-workload.c - `hldbench workload NAME ...`: built-in workloads
 * whose behaviour is known exactly, to score the diagnosis features.
 *
 *   cpu-split SHARES   one thread spins in cpu_split_part0, _part1, ... for
 *                      SHARES[k]% of every block (5-15 ms) of its CPU time, and
 *                      reports the CPU time it measured in each part: the
 *                      ground truth for the perf profiler.
 *   dstate N           N processes held in uninterruptible sleep (D) for the
 *                      duration: each waits for a vfork-style child, which
 *                      is a killable D wait.
 *
 * Both start at once, end cleanly on SIGTERM or SIGINT and still write
 * their JSON summary.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "builtin.h"
#include "dstate.h"
#include "json.h"
#include "options.h"

#define SPLIT_MAX_PARTS 8
/*
 * The shares apply to each block of CPU time. Blocks last 5 to 15 ms, drawn
 * at random: a fixed block would be nearly periodic in wall time and could
 * lock in phase with a sampling profiler (99 Hz is 10.1 ms), which then sees
 * the same part at every sample. Measured: a 10 ms block gave 60.9/39.1
 * against a true 70.3/29.7 at 99 Hz.
 */
#define SPLIT_BLOCK_MIN_NS 5000000ull
#define SPLIT_BLOCK_SPAN_NS 10000000ull
#define SPLIT_CHUNK 8192		/* spin iterations between clock reads (~10-20 us) */

static volatile sig_atomic_t stop_signal;

/* SIGTERM/SIGINT: finish the current step and write the results. */
static void on_stop(int sig)
{
	stop_signal = sig;
}

static void install_stop_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * The parts of cpu-split. Each is a separate, non-static, never-inlined,
 * never-cloned function with its own constant, so that the compiler keeps
 * them apart and they keep their names in the symbol table (-rdynamic).
 * Each spins until the thread's CPU clock reaches @until_ns.
 */
#define CPU_SPLIT_PART(k, mul)								\
	void cpu_split_part##k(uint64_t until_ns);					\
	__attribute__((noinline, noclone, used)) void cpu_split_part##k(uint64_t until_ns) \
	{										\
		volatile uint64_t x = (k) + 1;						\
											\
		do {									\
			for (int i = 0; i < SPLIT_CHUNK; i++)				\
				x = x * (mul) + i;					\
		} while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < until_ns && !stop_signal);	\
	}

CPU_SPLIT_PART(0, 6364136223846793005ull)
CPU_SPLIT_PART(1, 1442695040888963407ull)
CPU_SPLIT_PART(2, 2862933555777941757ull)
CPU_SPLIT_PART(3, 3202034522624059733ull)
CPU_SPLIT_PART(4, 3935559000370003845ull)
CPU_SPLIT_PART(5, 2685821657736338717ull)
CPU_SPLIT_PART(6, 1181783497276652981ull)
CPU_SPLIT_PART(7, 7664345821815920749ull)

static void (*const split_parts[SPLIT_MAX_PARTS])(uint64_t) = {
	cpu_split_part0, cpu_split_part1, cpu_split_part2, cpu_split_part3,
	cpu_split_part4, cpu_split_part5, cpu_split_part6, cpu_split_part7,
};

/* Parse "70:30" into @shares: 1..8 whole percentages, each >= 1, summing to 100. */
static int split__parse(const char *s, int *shares, int *nr)
{
	int sum = 0;

	*nr = 0;
	while (*s) {
		char *end;
		long v;

		if (*nr == SPLIT_MAX_PARTS || *s < '0' || *s > '9')
			return -EINVAL;
		v = strtol(s, &end, 10);
		if (v < 1 || v > 100 || (*end && *end != ':') || (*end == ':' && !end[1]))
			return -EINVAL;
		shares[(*nr)++] = (int)v;
		sum += (int)v;
		s = *end ? end + 1 : end;
	}
	return *nr && sum == 100 ? 0 : -EINVAL;
}

/* Open @path for the JSON summary, or stdout when NULL. */
static FILE *open_json(const char *path, const char *cmd)
{
	FILE *f;

	if (!path)
		return stdout;
	f = fopen(path, "we");
	if (!f)
		fprintf(stderr, "hldbench workload %s: cannot open %s: %s\n", cmd, path,
			strerror(errno));
	return f;
}

/* Close what open_json() opened; -1 if writing failed. */
static int close_json(FILE *f, const char *path, const char *cmd)
{
	int bad = ferror(f);

	if (f != stdout)
		bad |= fclose(f);
	else
		bad |= fflush(f);
	if (bad) {
		fprintf(stderr, "hldbench workload %s: cannot write %s: %s\n", cmd,
			path ? path : "stdout", strerror(errno));
		return -1;
	}
	return 0;
}

/* Write the cpu-split result: requested and measured shares. */
static void split__report(FILE *f, const int *shares, int nr, const uint64_t *cpu_ns, double wall_s)
{
	struct json_writer j;
	uint64_t total = 0;

	for (int k = 0; k < nr; k++)
		total += cpu_ns[k];
	json__init(&j, f, true);
	json__begin_object(&j, NULL);
	json__str(&j, "workload", "cpu-split");
	json__begin_array(&j, "requested");
	for (int k = 0; k < nr; k++)
		json__int(&j, NULL, shares[k]);
	json__end_array(&j);
	json__begin_array(&j, "functions");
	for (int k = 0; k < nr; k++) {
		char name[32];

		snprintf(name, sizeof(name), "cpu_split_part%d", k);
		json__str(&j, NULL, name);
	}
	json__end_array(&j);
	json__begin_array(&j, "cpu_ns");
	for (int k = 0; k < nr; k++)
		json__uint(&j, NULL, cpu_ns[k]);
	json__end_array(&j);
	json__begin_array(&j, "share_pct");
	for (int k = 0; k < nr; k++)
		json__double(&j, NULL, total ? 100.0 * cpu_ns[k] / total : 0.0 / 0.0);
	json__end_array(&j);
	json__double(&j, "wall_s", wall_s);
	json__str(&j, "stopped_by", stop_signal ? sigabbrev_np(stop_signal) : NULL);
	json__end_object(&j);
}

static void split__usage(FILE *f)
{
	fprintf(f, "usage: hldbench workload cpu-split SHARES [--duration 5s] [--json FILE]\n"
		   "  SHARES      percentages of CPU time per part, e.g. 70:30 or 50:30:20 (sum 100)\n"
		   "  --duration  how long to run (default 5s)\n"
		   "  --json      write the measured split to FILE instead of stdout\n");
}

/* Parse --duration and --json shared by the workloads; returns optind or -1. */
static int workload__opts(int argc, char **argv, uint64_t *ms, const char **json,
			  const char *cmd, void (*usage)(FILE *))
{
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:j:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_duration_ms(optarg, ms) || !*ms) {
				fprintf(stderr, "hldbench workload %s: bad duration \"%s\": use a "
					"number with ms, s, m or h\n", cmd, optarg);
				return -1;
			}
			break;
		case 'j':
			*json = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(HLD_EXIT_OK);
		default:
			usage(stderr);
			return -1;
		}
	}
	return optind;
}

/*
 * cpu-split: alternate between the parts for their share of each 5-15 ms
 * block of thread CPU time, until the wall-clock duration is over or a stop signal.
 * The truth is the CPU time measured around each part, not the request.
 */
static int workload_cpu_split(int argc, char **argv)
{
	uint64_t duration_ms = 5000, cpu_ns[SPLIT_MAX_PARTS] = { 0 }, t_start, deadline;
	uint64_t rnd, block;
	int shares[SPLIT_MAX_PARTS], nr, idx;
	const char *json = NULL;
	FILE *f;

	idx = workload__opts(argc, argv, &duration_ms, &json, "cpu-split", split__usage);
	if (idx < 0)
		return HLD_EXIT_USAGE;
	if (idx != argc - 1) {
		split__usage(stderr);
		return HLD_EXIT_USAGE;
	}
	if (split__parse(argv[idx], shares, &nr)) {
		fprintf(stderr, "hldbench workload cpu-split: bad shares \"%s\": use 1 to %d whole "
			"percentages separated by ':' that sum to 100, e.g. 70:30\n",
			argv[idx], SPLIT_MAX_PARTS);
		return HLD_EXIT_USAGE;
	}
	f = open_json(json, "cpu-split");
	if (!f)
		return HLD_EXIT_FAIL;
	install_stop_handlers();

	t_start = clock_ns(CLOCK_MONOTONIC);
	deadline = t_start + duration_ms * 1000000ull;
	rnd = t_start | 1;
	while (!stop_signal && clock_ns(CLOCK_MONOTONIC) < deadline) {
		/* xorshift64: cheap, and good enough to break the periodicity */
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		block = SPLIT_BLOCK_MIN_NS + rnd % SPLIT_BLOCK_SPAN_NS;
		for (int k = 0; k < nr && !stop_signal; k++) {
			uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);

			split_parts[k](t0 + block * shares[k] / 100);
			cpu_ns[k] += clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
		}
	}
	split__report(f, shares, nr, cpu_ns, (clock_ns(CLOCK_MONOTONIC) - t_start) / 1e9);
	return close_json(f, json, "cpu-split") ? HLD_EXIT_FAIL : HLD_EXIT_OK;
}

static void dstate__usage(FILE *f)
{
	fprintf(f, "usage: hldbench workload dstate N [--duration 5s] [--json FILE]\n"
		   "  N           processes to hold in D state (1..%d), named hld-dstate\n"
		   "  --duration  how long (default 5s)\n"
		   "  --json      write a summary to FILE instead of stdout\n"
		   "Note: a vfork wait is D state and counts in the load average, but is not\n"
		   "I/O wait, so /proc/stat procs_blocked does not count these tasks.\n",
		DSTATE_MAX);
}

/*
 * dstate: fork N workers that each block in a vfork wait, then wait for
 * the duration or a stop signal, release them through the shared flag and
 * reap them.
 */
static int workload_dstate(int argc, char **argv)
{
	uint64_t duration_ms = 5000, t_start;
	const struct timespec tick = { .tv_nsec = 20 * 1000 * 1000 };
	struct json_writer j;
	const char *json = NULL;
	struct dstate *d;
	int n, idx, err, failed;
	char *end;
	FILE *f;

	idx = workload__opts(argc, argv, &duration_ms, &json, "dstate", dstate__usage);
	if (idx < 0)
		return HLD_EXIT_USAGE;
	if (idx != argc - 1) {
		dstate__usage(stderr);
		return HLD_EXIT_USAGE;
	}
	n = (int)strtol(argv[idx], &end, 10);
	if (*end || n < 1 || n > DSTATE_MAX) {
		fprintf(stderr, "hldbench workload dstate: bad task count \"%s\": use 1 to %d\n",
			argv[idx], DSTATE_MAX);
		return HLD_EXIT_USAGE;
	}
	f = open_json(json, "dstate");
	if (!f)
		return HLD_EXIT_FAIL;
	install_stop_handlers();
	t_start = clock_ns(CLOCK_MONOTONIC);
	d = dstate__hold(n, "hld-dstate", duration_ms, &err);
	if (!d) {
		fprintf(stderr, "hldbench workload dstate: cannot start %d processes: %s\n", n,
			strerror(-err));
		return HLD_EXIT_FAIL;
	}
	while (!stop_signal && clock_ns(CLOCK_MONOTONIC) < t_start + duration_ms * 1000000ull)
		nanosleep(&tick, NULL);
	failed = dstate__release(d);

	json__init(&j, f, true);
	json__begin_object(&j, NULL);
	json__str(&j, "workload", "dstate");
	json__int(&j, "requested", n);
	json__int(&j, "tasks", n - failed);
	json__str(&j, "method", "vfork wait (killable, D state; not I/O wait)");
	json__double(&j, "wall_s", (clock_ns(CLOCK_MONOTONIC) - t_start) / 1e9);
	json__str(&j, "stopped_by", stop_signal ? sigabbrev_np(stop_signal) : NULL);
	json__end_object(&j);
	if (close_json(f, json, "dstate"))
		return HLD_EXIT_FAIL;
	return failed ? HLD_EXIT_FAIL : HLD_EXIT_OK;
}

struct workload {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct workload workloads[] = {
	{ "cpu-split", workload_cpu_split,
	  "spin in cpu_split_part0.. for given shares of CPU time; report the measured split" },
	{ "dstate", workload_dstate, "hold N processes in D state (vfork waits) for a while" },
};

static void workload_usage(FILE *f)
{
	fprintf(f, "usage: hldbench workload NAME [ARGS]\n\nworkloads:\n");
	for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
		fprintf(f, "  %-12s %s\n", workloads[i].name, workloads[i].summary);
	fprintf(f, "\n'hldbench workload NAME --help' shows its arguments.\n");
}

/* `hldbench workload NAME ...`: dispatch to the named workload. */
int cmd_workload(int argc, char **argv)
{
	if (argc < 2) {
		workload_usage(stderr);
		return HLD_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		workload_usage(stdout);
		return HLD_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
		if (!strcmp(argv[1], workloads[i].name))
			return workloads[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "hldbench workload: unknown workload '%s'\n\n", argv[1]);
	workload_usage(stderr);
	return HLD_EXIT_USAGE;
}
