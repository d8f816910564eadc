/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stats.h - descriptive statistics and a model of the kernel's loadavg.
 *
 * Statistics
 * ----------
 * Every function takes an array of doubles and its length. NaN entries are
 * treated as missing and skipped (the sampler records NaN where a value is
 * unavailable, e.g. cpu_busy of the first sample or PSI on a kernel without
 * it). With no non-NaN entry the result is NaN. Functions that need sorting
 * work on a private copy; if that allocation fails they return NaN.
 *
 * Loadavg model
 * -------------
 * Every LOAD_FREQ (5 s + 1 tick) the kernel folds the number of active tasks
 * (R + D: nr_running + nr_uninterruptible, summed over CPUs) into three
 * exponentially weighted averages:
 *
 *	load = load * e + active * (1 - e),  e = exp(-5 s / tau)
 *
 * with tau = 60, 300 and 900 s for the 1, 5 and 15 minute figures.
 * loadavg__predict() replays that recurrence over a sampled series so the
 * harness can check that /proc/loadavg moved the way the R+D it sampled says
 * it should (i.e. that the load it generated is the load the kernel saw).
 *
 * Limits of the model, and so the error to expect from it:
 *  - The kernel takes each CPU's active count at that CPU's own tick (with
 *    NO_HZ, at the idle entry/exit that folds it), not at one instant. The
 *    sampler's R+D is one reading taken at some point before the update,
 *    so a load that changes faster than the sampling period is only
 *    approximated.
 *  - The kernel keeps loadavg in 11-bit fixed point (FIXED_1 = 2048,
 *    e = 1884/2048 for 1 min) and rounds up when the load rises, and
 *    /proc/loadavg prints two decimals: expect quantization around 0.01,
 *    and a bias of about that size from the rounding.
 *  - Update instants are inferred from the observed series (see
 *    loadavg__predict), which assumes the sampling interval is well below
 *    5 s; with sparser samples the model misses updates.
 */
#ifndef HLD_STATS_H
#define HLD_STATS_H

#include <stddef.h>

double stats__mean(const double *v, size_t n);

/* Sample standard deviation (divides by n - 1); NaN for fewer than 2 values. */
double stats__stddev(const double *v, size_t n);

double stats__min(const double *v, size_t n);
double stats__max(const double *v, size_t n);

/*
 * The @p-th percentile, 0 <= p <= 100, by linear interpolation between the
 * closest ranks: with the m values sorted ascending x[0..m-1],
 * h = (m - 1) * p / 100 and the result is x[floor(h)] + (h - floor(h)) *
 * (x[floor(h) + 1] - x[floor(h)]). This is Hyndman & Fan's definition 7, the
 * default of numpy.percentile, R's quantile() and Excel's PERCENTILE.INC.
 * NaN if p is outside 0..100.
 */
double stats__percentile(const double *v, size_t n, double p);

/* The 50th percentile (the mean of the two middle values for even counts). */
double stats__median(const double *v, size_t n);

/*
 * Median absolute deviation: median(|x - median(x)|), unscaled (multiply by
 * 1.4826 to estimate a normal distribution's standard deviation).
 */
double stats__mad(const double *v, size_t n);

/* All of the above at once, for reports. */
struct stats_summary {
	size_t n;		/* values used (NaN entries excluded) */
	double mean, stddev, min, max, median, p5, p95, mad;
};

void stats__summarize(const double *v, size_t n, struct stats_summary *s);

/*
 * Paired comparisons with few pairs
 * ---------------------------------
 * A run has 3 to 10 baseline/diagnosed pairs, too few for a normal
 * approximation, and phase throughputs are not normal (a phase that a
 * neighbour's burst slowed down is an outlier). The overhead is therefore
 * estimated with rank methods whose confidence is exact for any continuous
 * distribution of the paired differences that is symmetric about its median:
 *
 *  - Wilcoxon's signed-rank statistic T+ (the sum of the ranks of |d_i| of
 *    the positive d_i) has, under the null, the distribution of the sum of a
 *    random subset of {1..n}: P(T+ = t) = c_n(t) / 2^n, c_n(t) being the
 *    number of subsets of {1..n} summing to t (stats__signrank_cdf).
 *  - The Hodges-Lehmann estimate of the median difference is the median of
 *    the n(n+1)/2 Walsh averages (d_i + d_j) / 2, i <= j; the interval from
 *    the k-th smallest to the k-th largest Walsh average covers the median
 *    with probability 1 - 2 P(T+ <= k - 1) (Hollander & Wolfe, ch. 3).
 *
 * Fewer than 6 pairs cannot reach 95% (n = 5: at best 1 - 2/32 = 93.75%,
 * with the interval from the smallest to the largest difference); the
 * result then carries the best level there is, and says so.
 */

/* P(T+ <= t) for @n pairs without ties; 0 for t < 0, 1 for t >= n(n+1)/2. NaN for n < 1 or n > STATS_SIGNRANK_MAX_N. */
#define STATS_SIGNRANK_MAX_N 200
double stats__signrank_cdf(int n, int t);

/*
 * The two-sided critical value of the signed-rank test at level @alpha: the
 * largest t with P(T+ <= t) <= alpha / 2 (reject when T+ <= t or T+ >=
 * n(n+1)/2 - t). -1 when no t qualifies (n too small for that level).
 */
int stats__signrank_critical(int n, double alpha);

/*
 * Wilcoxon's T+ of @d: the sum of the ranks of |d_i| over the positive d_i,
 * zeros dropped, tied |d_i| given their mean rank. NaN with no non-zero value.
 */
double stats__signrank_tplus(const double *d, size_t n);

struct stats_hl {
	size_t n;		/* differences used (NaN excluded) */
	double estimate;	/* Hodges-Lehmann: median of the Walsh averages */
	double lo, hi;		/* confidence interval for the median difference */
	double confidence;	/* its exact level, 0..1: >= the one asked for, or the
				   best that n allows (then below it) */
	int k;			/* lo, hi = k-th smallest, k-th largest Walsh average */
};

/*
 * Hodges-Lehmann estimate and the signed-rank interval at confidence
 * @want (0 < want < 1) of the differences @d: the narrowest interval of
 * the Walsh-average form whose exact level is at least @want, or, when n is
 * too small for that, the widest one (smallest to largest difference) with
 * the level it has. n == 1 gives [d, d] at level 0. Returns 0, -EINVAL
 * (bad @want), -ENODATA (no value) or -ENOMEM; on error @r holds NaNs.
 */
int stats__hodges_lehmann(const double *d, size_t n, double want, struct stats_hl *r);

/* What the interval of an overhead says, against the noise floor (below). */
enum stats_verdict {
	STATS_NO_DATA,		/* no pair */
	STATS_TOO_FEW,		/* the level asked for is out of reach with these pairs */
	STATS_OVERHEAD,		/* the interval lies above zero */
	STATS_BELOW_ZERO,	/* it lies below zero: the diagnosed phases did more work */
	STATS_WITHIN_NOISE,	/* it spans zero and lies within +-noise floor */
	STATS_TOO_NOISY,	/* it spans zero and reaches beyond the noise floor
				   (or there is no noise floor to compare with) */
};

/*
 * Classify @ci (asked at level @want) against @noise_floor (NaN: unknown),
 * in that order: no data, too few pairs for @want, above zero, below zero,
 * within [-floor, +floor], too noisy.
 */
enum stats_verdict stats__verdict(const struct stats_hl *ci, double want, double noise_floor);

/* "overhead", "within noise", "too noisy to conclude", ...: for reports and JSON. */
const char *stats__verdict_name(enum stats_verdict v);

/*
 * The noise floor of a paired loss figure, from the CI that pure noise
 * gives: max(|lo|, |hi|) of @null's interval, NaN without one. @null is the
 * interval of an A/A run's overhead, or of the null differences of this
 * run's own baseline phases (stats__null_differences).
 */
double stats__noise_floor(const struct stats_hl *null);

/*
 * Null differences from consecutive baseline throughputs @b[0..n-1] in time
 * order: out[i] = (-1)^i * (b[i] - b[i+1]) / b[i] * 100, i.e. what the loss
 * of a pair would be if both of its phases were baselines. The sign
 * alternates so that a steady drift of the machine shows as spread rather
 * than as a bias. Values <= 0 or NaN in @b are skipped. Returns the number
 * of differences written (at most n - 1).
 */
size_t stats__null_differences(const double *b, size_t n, double *out);

/*
 * The kernel's update period, LOAD_FREQ, is 5 s + 1 tick. The decay factors
 * are computed for 5 s exactly; the predictor's spacing of assumed updates
 * uses 5 s + 10 ms, the longest tick (HZ = 100), so it never runs early.
 */
#define LOADAVG_PERIOD_S	5.0
#define LOADAVG_MAX_PERIOD_S	5.01
#define LOADAVG_TAU1_S		60.0
#define LOADAVG_TAU5_S		300.0
#define LOADAVG_TAU15_S		900.0

/*
 * One kernel update in floating point: load * e + active * (1 - e) with
 * e = exp(-period_s / tau_s).
 */
double loadavg__step(double load, double active, double period_s, double tau_s);

struct loadavg_fit {
	size_t n_updates;	/* kernel updates the predictor applied */
	double mean_abs_err;	/* mean |pred - obs| over samples 1..n-1 */
	double max_abs_err;	/* largest |pred - obs| */
	double final_pred;	/* pred[n - 1] */
	double final_obs;	/* load1[n - 1] */
};

/*
 * Predict the 1-minute load average over a sampled series.
 *
 * @t_s:    sample times in seconds, non-decreasing
 * @active: instantaneous R + D at each sample (excluding the sampler itself)
 * @load1:  /proc/loadavg's first field read at the same instants
 * @pred:   out, the predicted load1 at each sample (may be NULL)
 *
 * The prediction starts at load1[0]. A kernel update is placed between two
 * samples whenever the observed load1 changes between them; while it stays
 * constant, an update is assumed every LOADAVG_MAX_PERIOD_S after the last
 * one (its estimated instant is never earlier than the true one, so no
 * update is counted twice). Each update applies loadavg__step() with the
 * active value of the last sample taken before the update instant. NaN
 * samples of active or load1 carry the previous value forward; samples
 * before the first non-NaN load1 predict NaN.
 *
 * Returns 0, or -EINVAL for n == 0, NULL arrays or decreasing times.
 */
int loadavg__predict(const double *t_s, const double *active,
		     const double *load1, size_t n, double *pred,
		     struct loadavg_fit *fit);

#endif /* HLD_STATS_H */
