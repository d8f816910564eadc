// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - descriptive statistics and the loadavg EWMA model.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

/* qsort comparator for doubles (no NaN reaches it). */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Copy the non-NaN values of @v into a new array, sorted ascending. Returns
 * the array (free it) and sets *m, or NULL with *m == 0 when there is
 * nothing to sort or no memory.
 */
static double *sorted_copy(const double *v, size_t n, size_t *m)
{
	double *c;
	size_t i;

	*m = 0;
	if (!v || !n)
		return NULL;
	c = malloc(n * sizeof(*c));
	if (!c)
		return NULL;
	for (i = 0; i < n; i++)
		if (!isnan(v[i]))
			c[(*m)++] = v[i];
	if (!*m) {
		free(c);
		return NULL;
	}
	qsort(c, *m, sizeof(*c), cmp_double);
	return c;
}

/* Definition-7 percentile of an already sorted, NaN-free array. */
static double percentile_sorted(const double *x, size_t m, double p)
{
	double h, lo;
	size_t k;

	if (!m || !(p >= 0 && p <= 100))
		return NAN;
	h = (double)(m - 1) * p / 100.0;
	lo = floor(h);
	k = (size_t)lo;
	if (k + 1 >= m)
		return x[m - 1];
	return x[k] + (h - lo) * (x[k + 1] - x[k]);
}

/* Arithmetic mean of the non-NaN values. */
double stats__mean(const double *v, size_t n)
{
	double sum = 0;
	size_t i, m = 0;

	for (i = 0; v && i < n; i++) {
		if (isnan(v[i]))
			continue;
		sum += v[i];
		m++;
	}
	return m ? sum / m : NAN;
}

/*
 * Sample standard deviation, two-pass (mean first, then squared deviations)
 * to avoid the cancellation of the sum-of-squares formula.
 */
double stats__stddev(const double *v, size_t n)
{
	double mean = stats__mean(v, n), ss = 0;
	size_t i, m = 0;

	if (isnan(mean))
		return NAN;
	for (i = 0; i < n; i++) {
		if (isnan(v[i]))
			continue;
		ss += (v[i] - mean) * (v[i] - mean);
		m++;
	}
	return m < 2 ? NAN : sqrt(ss / (m - 1));
}

/* Smallest non-NaN value. */
double stats__min(const double *v, size_t n)
{
	double r = NAN;
	size_t i;

	for (i = 0; v && i < n; i++)
		if (!isnan(v[i]) && (isnan(r) || v[i] < r))
			r = v[i];
	return r;
}

/* Largest non-NaN value. */
double stats__max(const double *v, size_t n)
{
	double r = NAN;
	size_t i;

	for (i = 0; v && i < n; i++)
		if (!isnan(v[i]) && (isnan(r) || v[i] > r))
			r = v[i];
	return r;
}

/* Percentile by linear interpolation between closest ranks (see stats.h). */
double stats__percentile(const double *v, size_t n, double p)
{
	size_t m;
	double *x = sorted_copy(v, n, &m);
	double r = percentile_sorted(x, m, p);

	free(x);
	return r;
}

/* Median: the 50th percentile, which averages the middle pair for even counts. */
double stats__median(const double *v, size_t n)
{
	return stats__percentile(v, n, 50);
}

/* Median absolute deviation from the median, unscaled. */
double stats__mad(const double *v, size_t n)
{
	size_t i, m;
	double *x = sorted_copy(v, n, &m);
	double med, r;

	if (!x)
		return NAN;
	med = percentile_sorted(x, m, 50);
	for (i = 0; i < m; i++)
		x[i] = fabs(x[i] - med);
	qsort(x, m, sizeof(*x), cmp_double);
	r = percentile_sorted(x, m, 50);
	free(x);
	return r;
}

/* Fill a summary; sorts once for the order statistics. */
void stats__summarize(const double *v, size_t n, struct stats_summary *s)
{
	size_t m;
	double *x = sorted_copy(v, n, &m);

	s->n = m;
	s->mean = stats__mean(v, n);
	s->stddev = stats__stddev(v, n);
	s->min = stats__min(v, n);
	s->max = stats__max(v, n);
	s->median = percentile_sorted(x, m, 50);
	s->p5 = percentile_sorted(x, m, 5);
	s->p95 = percentile_sorted(x, m, 95);
	free(x);
	s->mad = stats__mad(v, n);
}

/* One kernel loadavg update, in floating point. */
double loadavg__step(double load, double active, double period_s, double tau_s)
{
	double e = exp(-period_s / tau_s);

	return load * e + active * (1.0 - e);
}

/*
 * Index of the last sample taken strictly before @when, searching back
 * from @i (at least 0).
 */
static size_t sample_before(const double *t_s, size_t i, double when)
{
	while (i > 0 && t_s[i] >= when)
		i--;
	return i;
}

/*
 * Replay the kernel's 1-minute EWMA over the samples; see stats.h for how
 * the update instants are placed. @last is the estimated instant of the
 * latest update, kept at or after the true one.
 */
int loadavg__predict(const double *t_s, const double *active,
		     const double *load1, size_t n, double *pred,
		     struct loadavg_fit *fit)
{
	double load = NAN, prev_obs = NAN, last = 0, sum_err = 0, max_err = 0;
	double *act;
	size_t i, n_err = 0, n_updates = 0;

	if (!n || !t_s || !active || !load1)
		return -EINVAL;
	for (i = 1; i < n; i++)
		if (!(t_s[i] >= t_s[i - 1]))
			return -EINVAL;
	/* active with NaN gaps filled from the previous value */
	act = malloc(n * sizeof(*act));
	if (!act)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		act[i] = isnan(active[i]) && i ? act[i - 1] : active[i];

	for (i = 0; i < n; i++) {
		bool changed = false;

		if (isnan(load)) {
			/* not started: wait for the first observation */
			if (!isnan(load1[i])) {
				load = prev_obs = load1[i];
				last = t_s[i];
			}
			if (pred)
				pred[i] = load;
			continue;
		}
		if (!isnan(load1[i]) && fabs(load1[i] - prev_obs) > 1e-9)
			changed = true;
		if (changed) {
			/* the update fell in (t[i-1], t[i]]; i > 0 here */
			if (!isnan(act[i - 1])) {
				load = loadavg__step(load, act[i - 1], LOADAVG_PERIOD_S,
						     LOADAVG_TAU1_S);
				n_updates++;
			}
			last = t_s[i];
		} else {
			while (t_s[i] >= last + LOADAVG_MAX_PERIOD_S) {
				size_t j;

				last += LOADAVG_MAX_PERIOD_S;
				j = sample_before(t_s, i, last);
				if (!isnan(act[j])) {
					load = loadavg__step(load, act[j], LOADAVG_PERIOD_S,
							     LOADAVG_TAU1_S);
					n_updates++;
				}
			}
		}
		if (!isnan(load1[i])) {
			double err = fabs(load - load1[i]);

			prev_obs = load1[i];
			sum_err += err;
			n_err++;
			if (err > max_err)
				max_err = err;
		}
		if (pred)
			pred[i] = load;
	}
	free(act);

	if (fit) {
		fit->n_updates = n_updates;
		fit->mean_abs_err = n_err ? sum_err / n_err : NAN;
		fit->max_abs_err = n_err ? max_err : NAN;
		fit->final_pred = load;
		fit->final_obs = load1[n - 1];
	}
	return 0;
}
