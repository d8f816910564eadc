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

/*
 * The null distribution of T+ for @n pairs, as probabilities P(T+ = t),
 * t = 0..n(n+1)/2: c(t) counts the subsets of {1..n} summing to t, built
 * one rank at a time (c_j(t) = c_{j-1}(t) + c_{j-1}(t - j)), in doubles
 * (2^200 overflows any integer) and divided by 2^n. NULL for n out of
 * 1..STATS_SIGNRANK_MAX_N or no memory.
 */
static double *signrank_pmf(int n)
{
	int m, j, t;
	double *c;

	if (n < 1 || n > STATS_SIGNRANK_MAX_N)
		return NULL;
	m = n * (n + 1) / 2;
	c = calloc((size_t)m + 1, sizeof(*c));
	if (!c)
		return NULL;
	c[0] = 1;
	for (j = 1; j <= n; j++)
		for (t = j * (j + 1) / 2; t >= j; t--)
			c[t] += c[t - j];
	for (t = 0; t <= m; t++)
		c[t] = ldexp(c[t], -n);
	return c;
}

/* P(T+ <= t), exact. */
double stats__signrank_cdf(int n, int t)
{
	double *p = signrank_pmf(n), sum = 0;
	int m = n * (n + 1) / 2;

	if (!p)
		return NAN;
	if (t >= m) {
		free(p);
		return 1;
	}
	for (int i = 0; i <= t; i++)
		sum += p[i];
	free(p);
	return sum;
}

/* Largest t with P(T+ <= t) <= alpha / 2, or -1. */
int stats__signrank_critical(int n, double alpha)
{
	double *p = signrank_pmf(n), sum = 0;
	int m = n * (n + 1) / 2, t;

	if (!p)
		return -1;
	for (t = 0; t <= m; t++) {
		sum += p[t];
		/* a relative slack: the sums of 2^-n multiples are exact up to rounding */
		if (sum > alpha / 2 * (1 + 1e-12))
			break;
	}
	free(p);
	return t - 1;
}

/* T+ with midranks for ties, zeros dropped. */
double stats__signrank_tplus(const double *d, size_t n)
{
	double *a = malloc((n ? n : 1) * sizeof(*a)), tplus = 0;
	size_t m = 0, i, j;

	if (!a)
		return NAN;
	for (i = 0; d && i < n; i++)
		if (!isnan(d[i]) && d[i] != 0)
			a[m++] = fabs(d[i]);
	qsort(a, m, sizeof(*a), cmp_double);
	for (i = 0; i < n && m; i++) {
		size_t first = m, last = 0;

		if (isnan(d[i]) || d[i] <= 0)
			continue;
		for (j = 0; j < m; j++) {
			if (a[j] != fabs(d[i]))
				continue;
			if (first == m)
				first = j;
			last = j;
		}
		tplus += (first + last) / 2.0 + 1;
	}
	free(a);
	return m ? tplus : NAN;
}

/* Hodges-Lehmann estimate and signed-rank interval (see stats.h). */
int stats__hodges_lehmann(const double *d, size_t n, double want, struct stats_hl *r)
{
	double *x, *w = NULL, *p = NULL, cdf;
	size_t m, nw, i, j, a = 0;
	int k, err = 0;

	r->n = 0;
	r->estimate = r->lo = r->hi = r->confidence = NAN;
	r->k = 0;
	if (!(want > 0 && want < 1))
		return -EINVAL;
	x = sorted_copy(d, n, &m);
	if (!x)
		return -ENODATA;
	if (m > STATS_SIGNRANK_MAX_N) {
		err = -EINVAL;
		goto out;
	}
	nw = m * (m + 1) / 2;
	w = malloc(nw * sizeof(*w));
	p = signrank_pmf((int)m);
	if (!w || !p) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < m; i++)
		for (j = i; j < m; j++)
			w[a++] = (x[i] + x[j]) / 2;
	qsort(w, nw, sizeof(*w), cmp_double);

	/* The largest k whose level 1 - 2 P(T+ <= k - 1) still reaches @want. */
	cdf = p[0];
	k = 1;
	if (1 - 2 * cdf >= want) {
		while ((size_t)k < (nw + 1) / 2 && 1 - 2 * (cdf + p[k]) >= want) {
			cdf += p[k];
			k++;
		}
	}
	r->n = m;
	r->k = k;
	r->estimate = percentile_sorted(w, nw, 50);
	r->lo = w[k - 1];
	r->hi = w[nw - (size_t)k];
	r->confidence = m == 1 ? 0 : 1 - 2 * cdf;
out:
	free(x);
	free(w);
	free(p);
	return err;
}

/* Classify an overhead interval; see stats.h for the order of the tests. */
enum stats_verdict stats__verdict(const struct stats_hl *ci, double want, double noise_floor)
{
	if (!ci->n || isnan(ci->lo))
		return STATS_NO_DATA;
	if (ci->confidence < want)
		return STATS_TOO_FEW;
	if (ci->lo > 0)
		return STATS_OVERHEAD;
	if (ci->hi < 0)
		return STATS_BELOW_ZERO;
	if (!isnan(noise_floor) && ci->lo >= -noise_floor && ci->hi <= noise_floor)
		return STATS_WITHIN_NOISE;
	return STATS_TOO_NOISY;
}

const char *stats__verdict_name(enum stats_verdict v)
{
	switch (v) {
	case STATS_NO_DATA:
		return "no data";
	case STATS_TOO_FEW:
		return "too few pairs to conclude";
	case STATS_OVERHEAD:
		return "overhead";
	case STATS_BELOW_ZERO:
		return "below zero";
	case STATS_WITHIN_NOISE:
		return "within noise";
	case STATS_TOO_NOISY:
		return "too noisy to conclude";
	}
	return "?";
}

double stats__noise_floor(const struct stats_hl *null)
{
	if (!null->n || isnan(null->lo) || isnan(null->hi))
		return NAN;
	return fmax(fabs(null->lo), fabs(null->hi));
}

size_t stats__null_differences(const double *b, size_t n, double *out)
{
	size_t i, m = 0, prev = n;

	for (i = 0; i < n; i++) {
		if (isnan(b[i]) || b[i] <= 0)
			continue;
		if (prev < n) {
			out[m] = (b[prev] - b[i]) / b[prev] * 100 * (m % 2 ? -1 : 1);
			m++;
		}
		prev = i;
	}
	return m;
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
