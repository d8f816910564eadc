// SPDX-License-Identifier: GPL-2.0
/*
 * workload-cpu-split.c - a self-timed split of CPU time across functions
 * with distinct names: perf's ground truth (harness/truth-perf.c, and the
 * truth phase of `hldbench run`, harness/run-truth.c) and
 * `hldbench workload cpu-split`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "builtin.h"
#include "workload.h"

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

/*
 * The parts. Each is a separate, non-static, never-inlined, never-cloned
 * function with its own constant, so that the compiler keeps them apart
 * and they keep their names in the symbol table (-rdynamic). Each spins
 * until the thread's CPU clock reaches @until_ns.
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
		} while (workload__clock_ns(CLOCK_THREAD_CPUTIME_ID) < until_ns &&	\
			 !workload_stop);						\
	}

CPU_SPLIT_PART(0, 6364136223846793005ull)
CPU_SPLIT_PART(1, 1442695040888963407ull)
CPU_SPLIT_PART(2, 2862933555777941757ull)
CPU_SPLIT_PART(3, 3202034522624059733ull)
CPU_SPLIT_PART(4, 3935559000370003845ull)
CPU_SPLIT_PART(5, 2685821657736338717ull)
CPU_SPLIT_PART(6, 1181783497276652981ull)
CPU_SPLIT_PART(7, 7664345821815920749ull)

static void (*const split_parts[CPU_SPLIT_MAX_PARTS])(uint64_t) = {
	cpu_split_part0, cpu_split_part1, cpu_split_part2, cpu_split_part3,
	cpu_split_part4, cpu_split_part5, cpu_split_part6, cpu_split_part7,
};

int cpu_split__parse(struct cpu_split *s, const char *text)
{
	int sum = 0;

	memset(s, 0, sizeof(*s));
	while (*text) {
		char *end;
		long v;

		if (s->nr == CPU_SPLIT_MAX_PARTS || *text < '0' || *text > '9')
			return -EINVAL;
		v = strtol(text, &end, 10);
		if (v < 1 || v > 100 || (*end && *end != ':') || (*end == ':' && !end[1]))
			return -EINVAL;
		s->shares[s->nr++] = (int)v;
		sum += (int)v;
		text = *end ? end + 1 : end;
	}
	return s->nr && sum == 100 ? 0 : -EINVAL;
}

/* The calling thread's involuntary context switches so far. */
static uint64_t preemptions(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) ? 0 : (uint64_t)ru.ru_nivcsw;
}

void cpu_split__run(struct cpu_split *s, uint64_t cpu_limit_ns, uint64_t deadline_ns)
{
	uint64_t start = workload__clock_ns(CLOCK_THREAD_CPUTIME_ID);
	uint64_t rnd = workload__now_ns() | 1, nivcsw = preemptions();

	while (!workload_stop && workload__now_ns() < deadline_ns &&
	       (!cpu_limit_ns ||
		workload__clock_ns(CLOCK_THREAD_CPUTIME_ID) - start < cpu_limit_ns)) {
		uint64_t block;

		rnd ^= rnd << 13;	/* xorshift64: cheap, enough to break the periodicity */
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		block = SPLIT_BLOCK_MIN_NS + rnd % SPLIT_BLOCK_SPAN_NS;
		for (int k = 0; k < s->nr && !workload_stop; k++) {
			uint64_t t0 = workload__clock_ns(CLOCK_THREAD_CPUTIME_ID);

			split_parts[k](t0 + block * s->shares[k] / 100);
			s->cpu_ns[k] += workload__clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
		}
		s->blocks += !workload_stop;
	}
	s->preempted += preemptions() - nivcsw;
}

struct cpu_split_wl {
	char shares[64];
	uint64_t duration_ms;
	uint64_t cpu_time_ms;
	/* results */
	struct cpu_split s;
};

static int cpu_split_check(void *obj, char *err, size_t len)
{
	struct cpu_split_wl *w = obj;

	if (!cpu_split__parse(&w->s, w->shares))
		return 0;
	snprintf(err, len, "bad SHARES \"%s\": use 1 to %d whole percentages separated by ':' "
		 "that sum to 100, e.g. 70:30", w->shares, CPU_SPLIT_MAX_PARTS);
	return -EINVAL;
}

static int cpu_split_run(void *obj, struct workload_ctx *ctx)
{
	struct cpu_split_wl *w = obj;
	uint64_t total = 0;

	cpu_split__run(&w->s, w->cpu_time_ms * 1000000ull,
		       workload__now_ns() + w->duration_ms * 1000000ull);
	for (int k = 0; k < w->s.nr; k++)
		total += w->s.cpu_ns[k];
	snprintf(ctx->summary, sizeof(ctx->summary), "%.3f s of CPU time in %d parts over "
		 "%llu blocks, part0 %.2f%% (asked %d%%)", total / 1e9, w->s.nr,
		 (unsigned long long)w->s.blocks, total ? 100.0 * w->s.cpu_ns[0] / total : 0.0,
		 w->s.shares[0]);
	return HLD_EXIT_OK;
}

/* The requested and the measured shares. */
static void cpu_split_report(const void *obj, struct json_writer *j)
{
	const struct cpu_split *s = &((const struct cpu_split_wl *)obj)->s;
	uint64_t total = 0;

	for (int k = 0; k < s->nr; k++)
		total += s->cpu_ns[k];
	json__begin_array(j, "requested");
	for (int k = 0; k < s->nr; k++)
		json__int(j, NULL, s->shares[k]);
	json__end_array(j);
	json__begin_array(j, "functions");
	for (int k = 0; k < s->nr; k++) {
		char name[32];

		snprintf(name, sizeof(name), "cpu_split_part%d", k);
		json__str(j, NULL, name);
	}
	json__end_array(j);
	json__begin_array(j, "cpu_ns");
	for (int k = 0; k < s->nr; k++)
		json__uint(j, NULL, s->cpu_ns[k]);
	json__end_array(j);
	json__begin_array(j, "share_pct");
	for (int k = 0; k < s->nr; k++)
		json__double(j, NULL, total ? 100.0 * s->cpu_ns[k] / total : 0.0 / 0.0);
	json__end_array(j);
	json__uint(j, "blocks", s->blocks);
	json__uint(j, "preempted", s->preempted);
	json__int(j, "tid", gettid());
}

static const struct opt cpu_split_opts[] = {
	{ "SHARES", OPT_STR, offsetof(struct cpu_split_wl, shares), .len = 64, .required = true,
	  .help = "percentages of CPU time per part, e.g. 70:30 or 50:30:20 (sum 100)" },
	{ "duration", OPT_DURATION, offsetof(struct cpu_split_wl, duration_ms), .min = 1,
	  .max = 86400000, .def = "5s", .help = "how long to run (wall time)" },
	{ "cpu-time", OPT_DURATION, offsetof(struct cpu_split_wl, cpu_time_ms), .min = 0,
	  .max = 86400000, .def = "0s",
	  .help = "stop after this much CPU time of the thread, if before --duration (0: no limit)" },
	OPT_END
};

const struct workload workload_cpu_split = {
	.name = "cpu-split",
	.comm = "hld-cpu-split",
	.summary = "spin in cpu_split_part0.. for given shares of CPU time (perf's truth)",
	.help = "One thread spins in cpu_split_part0, cpu_split_part1, ... for SHARES[k]% of\n"
		"every block of its CPU time; blocks last a random 5 to 15 ms, so that the\n"
		"workload cannot lock in phase with a sampling profiler. It measures the CPU\n"
		"time it really spent in each part with CLOCK_THREAD_CPUTIME_ID: that, not\n"
		"the request, is the truth. JSON: requested, functions, cpu_ns and share_pct\n"
		"(measured) per part, whole blocks done, the thread's involuntary context\n"
		"switches (each one moves the phase of a periodic sampler: docs/accuracy.md),\n"
		"the thread's id.",
	.positional = "SHARES",
	.opts = cpu_split_opts,
	.size = sizeof(struct cpu_split_wl),
	.check = cpu_split_check,
	.run = cpu_split_run,
	.report = cpu_split_report,
};
