/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compare.h - `hldbench compare`: two or more runs side by side. The first
 * run (A) is the reference; every other run's figures are given with their
 * delta against A and whether that delta is beyond the noise.
 *
 * Functions return 0 or -errno and print nothing.
 */
#ifndef HLD_COMPARE_H
#define HLD_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "run-result.h"

#define COMPARE_MAX_RUNS 8

enum cmp_verdict {
	CMP_UNKNOWN,	/* no estimate of the noise to judge by */
	CMP_WITHIN,	/* the difference is inside the noise */
	CMP_BEYOND,	/* the difference is larger than the noise */
};

struct cmp_delta {
	double delta;		/* B - A */
	enum cmp_verdict verdict;
	char basis[160];	/* what the verdict rests on, for the reader */
};

/*
 * Overhead of B against A: beyond the noise when the two runs' loss
 * intervals (95% CI where the run has one, else the per-pair min..max) do
 * not overlap and, where a run measured an A/A noise floor, the delta also
 * exceeds the larger floor; with a floor and no intervals, the floor alone.
 */
void cmp__overhead(const struct rr_overhead *a, const struct rr_overhead *b,
		   struct cmp_delta *d);

/*
 * perf's accuracy error of B against A: beyond the noise when |delta| is
 * over 1.96 * sqrt(sA^2 + sB^2), s = 100 * sqrt(p (1 - p) / n) points the
 * binomial standard error of a share p measured with n samples.
 */
void cmp__accuracy(const struct run_result *a, const struct run_result *b,
		   struct cmp_delta *d);

/*
 * What differs between the runs' set-ups (scenario name, kernel, CPUs,
 * hostname), one "KEY differs: A x, B y" line each into @buf. Returns how
 * many lines.
 */
int cmp__differences(struct run_result *const *runs, int n, char *buf, size_t len);

/*
 * Write the comparison of @runs into @outdir (created if needed):
 * compare.md, compare.html, load-trends.gp/.png/.svg (with samples-X.csv
 * copies), and diff-flame-X.svg from A to each run X that has perf.folded.
 * A chart or graph that cannot be made is reported as missing with the
 * reason, not an error. On error the failing path is in @err.
 */
int compare__write(struct run_result *const *runs, int n, const char *outdir,
		   char *err, size_t errlen);

#endif /* HLD_COMPARE_H */
