// SPDX-License-Identifier: GPL-2.0
/*
 * truth-perf.c - perf's ground truth: the CPU split of a self-timed
 * workload. A child spins in cpu_split_part0 and cpu_split_part1 (the parts
 * of `hldbench workload cpu-split`, harness/workload-cpu-split.c) for 70% and
 * 30% of each random 5-15 ms block of its own CPU time, and measures the
 * CPU time it actually spent in each with CLOCK_THREAD_CPUTIME_ID. perf,
 * filtered to the child at 999 Hz, must find the same split in the samples
 * whose stack holds a part, within TRUTH_PP percentage points.
 *
 * Why 999 Hz and TRUTH_CPU_MS: the sampling is periodic, not random, so the
 * error is not binomial (sqrt(p(1-p)/n) = 1.2 pp for 1500 samples) but that
 * of counting ticks in each block, about half a sample per block boundary
 * with ~150 blocks: 0.2-0.3 pp. The random block lengths keep the workload
 * from phase-locking with the sampling period. Each preemption of the child
 * adds a boundary (the sampler's phase moves on while its CPU clock stops),
 * so the error grows towards the binomial one on a busy CPU: the count is
 * printed. docs/accuracy.md derives these figures.
 *
 * The child has exited when the report is written: its frames are named
 * through what the profiler kept about its executable.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "diag-test.h"
#include "folded.h"
#include "workload.h"

#define TRUTH_COMM	"hld-cpu-split"
#define TRUTH_FREQ	999
#define TRUTH_CPU_MS	1500		/* CPU time the child spins for */
#define TRUTH_WALL_MS	10000		/* ... unless a loaded machine stretches it past this */
#define TRUTH_SHARE0	70		/* % of each block in part 0, the rest in part 1 */
#define TRUTH_PP	2.0		/* accepted error, percentage points */

/*
 * The child: blocks of 5-15 ms of its CPU time, TRUTH_SHARE0% in part 0 and
 * the rest in part 1, timing each part with its own CPU clock; the result
 * in @arg, shared with the parent.
 */
static int split_child(void *arg)
{
	struct cpu_split *st = arg;

	st->nr = 2;
	st->shares[0] = TRUTH_SHARE0;
	st->shares[1] = 100 - TRUTH_SHARE0;
	cpu_split__run(st, TRUTH_CPU_MS * 1000000ull,
		       workload__now_ns() + TRUTH_WALL_MS * 1000000ull);
	return 0;
}

/* Samples in each part, all samples, and those of another comm, from perf.folded. */
static int score(struct diag_test *t, uint64_t part[2], uint64_t *total, uint64_t *foreign)
{
	struct folded *f = folded__new();
	const struct folded_entry *e;
	struct folded_error fe;
	char path[256];
	size_t i;
	int err;

	if (!f)
		return -ENOMEM;
	err = folded__load(f, diag_test__path(t, "perf.folded", path, sizeof(path)), &fe);
	if (!err) {
		part[0] = folded__count_matching(f, "cpu_split_part0");
		part[1] = folded__count_matching(f, "cpu_split_part1");
		*total = folded__total(f);
		*foreign = 0;
		folded__for_each(f, e, i)
			if (strncmp(e->stack, TRUTH_COMM ";", strlen(TRUTH_COMM) + 1))
				*foreign += e->count;
	}
	folded__free(f);
	return err;
}

/*
 * Run the child under perf filtered to it, then compare the split of the
 * samples with the split the child measured; see the head of the file.
 */
int truth__perf(struct diag_test *t)
{
	struct cpu_split *st;
	struct diag_child c;
	uint64_t part[2], total, foreign, in_parts;
	double cpu_s, truth, got;
	int err, status;

	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED)
		return -errno;
	memset(st, 0, sizeof(*st));
	err = diag_child__start(&c, TRUTH_COMM, split_child, st);
	if (err)
		goto out;
	err = diag_test__activate(t, "tgid=%d freq=%d", c.pid, TRUTH_FREQ);
	if (err) {
		diag_child__wait(&c);
		goto out;
	}
	diag_test__say(t, "child %d spins %d ms of CPU time, %d:%d in cpu_split_part0:part1",
		       c.pid, TRUTH_CPU_MS, TRUTH_SHARE0, 100 - TRUTH_SHARE0);
	diag_child__go(&c);
	status = diag_child__wait(&c);
	if (status) {
		err = status < 0 ? status : -ECHILD;
		goto out;
	}
	err = diag_test__collect(t);
	if (!err)
		err = score(t, part, &total, &foreign);
	if (err)
		goto out;
	cpu_s = (st->cpu_ns[0] + st->cpu_ns[1]) / 1e9;
	truth = 100.0 * st->cpu_ns[0] / (st->cpu_ns[0] + st->cpu_ns[1]);
	in_parts = part[0] + part[1];
	got = in_parts ? 100.0 * part[0] / in_parts : NAN;
	diag_test__say(t, "child measured %.3f s in the parts over %llu blocks (preempted %llu "
		       "times): part0 %.2f%%", cpu_s, (unsigned long long)st->blocks,
		       (unsigned long long)st->preempted, truth);
	diag_test__say(t, "samples: %llu in part0, %llu in part1, %llu in all",
		       (unsigned long long)part[0], (unsigned long long)part[1],
		       (unsigned long long)total);
	/* At least half the ticks of its CPU time (its clock reads are in neither part). */
	diag_test__expect(t, "samples in the parts", in_parts, cpu_s * TRUTH_FREQ / 2,
			  cpu_s * TRUTH_FREQ * 1.05 + 10);
	diag_test__expect(t, "part0 share of those samples, %", got, truth - TRUTH_PP,
			  truth + TRUTH_PP);
	diag_test__expect(t, "samples of other tasks (tgid filter)", foreign, 0, 0);
	diag_test__expect(t, "samples dropped", t->f->drops, 0, 0);
out:
	munmap(st, sizeof(*st));
	return err;
}
