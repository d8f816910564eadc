// SPDX-License-Identifier: GPL-2.0
/*
 * check_stats.c - descriptive statistics on known vectors, and the loadavg
 * model against the kernel's own fixed-point algorithm.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "stats.h"

#define TOL 1e-9

/* --- descriptive statistics ------------------------------------------- */

static const struct vec_case {
	const char *what;
	double v[10];
	size_t n;
	double mean, sd, median, min, max, mad;
	double p, pct;	/* stats__percentile(v, n, p) == pct */
} vec_cases[] = {
	/* sd = sqrt(32 / 7); |x - 4.5| sorted: .5 .5 .5 .5 .5 2.5 2.5 4.5 */
	{ "textbook", { 2, 4, 4, 4, 5, 5, 7, 9 }, 8,
	  5, 2.138089935299395, 4.5, 2, 9, 0.5, 90, 7.6 },
	/* h = 4 * 0.4 = 1.6: 2 + 0.6 * (3 - 2) */
	{ "odd count", { 5, 1, 4, 2, 3 }, 5,
	  3, 1.5811388300841898, 3, 1, 5, 1, 40, 2.6 },
	{ "p25 of textbook", { 9, 7, 5, 5, 4, 4, 4, 2 }, 8,
	  5, 2.138089935299395, 4.5, 2, 9, 0.5, 25, 4 },
	{ "p0 is min", { 3, -1, 2 }, 3,
	  4.0 / 3, 2.0816659994661326, 2, -1, 3, 1, 0, -1 },
	{ "p100 is max", { 3, -1, 2 }, 3,
	  4.0 / 3, 2.0816659994661326, 2, -1, 3, 1, 100, 3 },
	/* one value: no sample deviation */
	{ "single", { 42 }, 1, 42, NAN, 42, 42, 42, 0, 75, 42 },
	/* NaN entries are skipped */
	{ "with NaN", { NAN, 1, NAN, 3 }, 4, 2, 1.4142135623730951, 2, 1, 3, 1, 50, 2 },
	{ "empty", { 0 }, 0, NAN, NAN, NAN, NAN, NAN, NAN, 50, NAN },
	{ "all NaN", { NAN, NAN }, 2, NAN, NAN, NAN, NAN, NAN, NAN, 50, NAN },
	{ "p out of range", { 1, 2 }, 2, 1.5, 0.7071067811865476, 1.5, 1, 2, 0.5, 101, NAN },
};

/* Equal within TOL, or both NaN. */
static void check_close(const char *what, const char *stat, double got, double want)
{
	if (isnan(want))
		ck_assert_msg(isnan(got), "%s: %s = %.12g, want NaN", what, stat, got);
	else
		ck_assert_msg(fabs(got - want) < TOL, "%s: %s = %.12g, want %.12g",
			      what, stat, got, want);
}

START_TEST(test_vector)
{
	const struct vec_case *c = &vec_cases[_i];
	struct stats_summary s;

	check_close(c->what, "mean", stats__mean(c->v, c->n), c->mean);
	check_close(c->what, "stddev", stats__stddev(c->v, c->n), c->sd);
	check_close(c->what, "median", stats__median(c->v, c->n), c->median);
	check_close(c->what, "min", stats__min(c->v, c->n), c->min);
	check_close(c->what, "max", stats__max(c->v, c->n), c->max);
	check_close(c->what, "mad", stats__mad(c->v, c->n), c->mad);
	check_close(c->what, "percentile", stats__percentile(c->v, c->n, c->p), c->pct);

	stats__summarize(c->v, c->n, &s);
	check_close(c->what, "summary mean", s.mean, c->mean);
	check_close(c->what, "summary median", s.median, c->median);
	check_close(c->what, "summary mad", s.mad, c->mad);
	check_close(c->what, "summary min", s.min, c->min);
}
END_TEST

START_TEST(test_null_input)
{
	ck_assert(isnan(stats__mean(NULL, 3)));
	ck_assert(isnan(stats__median(NULL, 3)));
	ck_assert(isnan(stats__max(NULL, 3)));
}
END_TEST

/* --- loadavg__step ------------------------------------------------------ */

static const struct step_case {
	double load, active, period, tau, want;
} step_cases[] = {
	/* 1 - exp(-1/12) */
	{ 0, 1, 5, 60, 0.079955585371 },
	{ 1, 0, 5, 60, 0.920044414629 },
	{ 2, 2, 5, 60, 2 },
	{ 4, 6, 5, 300, 4.033057092357 },
	{ 10, 0, 5, 900, 9.944598480049 },
	{ 3, 7, 10, 60, 3.614073100438 },
};

START_TEST(test_step)
{
	const struct step_case *c = &step_cases[_i];
	double got = loadavg__step(c->load, c->active, c->period, c->tau);

	ck_assert_msg(fabs(got - c->want) < 1e-11, "step(%g, %g, %g, %g) = %.12f, want %.12f",
		      c->load, c->active, c->period, c->tau, got, c->want);
}
END_TEST

/* --- the predictor against the kernel's algorithm ----------------------- */

/* kernel/sched/loadavg.c constants */
#define FSHIFT		11
#define FIXED_1		(1UL << FSHIFT)
#define EXP_1		1884UL
#define EXP_5		2014UL
#define EXP_15		2037UL

/* The kernel's calc_load(): fixed-point EWMA, rounding up while rising. */
static unsigned long kernel_calc_load(unsigned long load, unsigned long exp,
				      unsigned long active)
{
	unsigned long newload = load * exp + active * (FIXED_1 - exp);

	if (active >= load)
		newload += FIXED_1 - 1;
	return newload / FIXED_1;
}

/* What /proc/loadavg prints for a fixed-point value: two decimals, rounded. */
static double kernel_print(unsigned long avenrun)
{
	unsigned long a = avenrun + FIXED_1 / 200;

	return (double)(a >> FSHIFT) + (double)(((a & (FIXED_1 - 1)) * 100) >> FSHIFT) / 100;
}

#define SIM_DT		0.25	/* sampling interval, s */
#define SIM_N		1200	/* 300 s */
#define SIM_PERIOD	5.004	/* LOAD_FREQ at HZ = 250 */
#define SIM_PHASE	1.3	/* first kernel update after the first sample */

/* The true number of active tasks: a step up to 6, then down to 2. */
static double sim_active(double t)
{
	if (t < 20)
		return 0;
	if (t < 140)
		return 6;
	return 2;
}

/*
 * Build a series as the sampler would see it: active sampled exactly, and
 * load1 printed from the kernel's fixed-point averages updated at their
 * own instants. Returns the number of kernel updates inside the series.
 */
static size_t sim_series(double *t, double *active, double *load1, double start_load)
{
	unsigned long av = (unsigned long)(start_load * FIXED_1);
	double next = SIM_PHASE;
	size_t i, updates = 0;

	for (i = 0; i < SIM_N; i++) {
		t[i] = i * SIM_DT;
		while (next <= t[i]) {
			unsigned long act = (unsigned long)sim_active(next) * FIXED_1;

			av = kernel_calc_load(av, EXP_1, act);
			next += SIM_PERIOD;
			updates++;
		}
		active[i] = sim_active(t[i]);
		load1[i] = kernel_print(av);
	}
	return updates;
}

static double sim_t[SIM_N], sim_act[SIM_N], sim_load[SIM_N], sim_pred[SIM_N];

START_TEST(test_predict_kernel_step)
{
	struct loadavg_fit fit;
	size_t updates = sim_series(sim_t, sim_act, sim_load, 0.5);

	ck_assert_int_eq(loadavg__predict(sim_t, sim_act, sim_load, SIM_N, sim_pred, &fit), 0);
	ck_assert_msg(fit.max_abs_err < 0.03, "max error %.4f", fit.max_abs_err);
	ck_assert_msg(fit.mean_abs_err < 0.02, "mean error %.4f", fit.mean_abs_err);
	ck_assert_msg(fit.n_updates + 1 >= updates && fit.n_updates <= updates + 1,
		      "%zu updates applied, kernel made %zu", fit.n_updates, updates);
	ck_assert_double_eq_tol(fit.final_obs, sim_load[SIM_N - 1], TOL);
	ck_assert_double_eq_tol(fit.final_pred, sim_pred[SIM_N - 1], TOL);
	ck_assert_double_eq_tol(sim_pred[0], sim_load[0], TOL);
	/* the step is large: the model must have followed it */
	ck_assert_double_gt(stats__max(sim_pred, SIM_N), 5);
}
END_TEST

/* The kernel's EXP_5/EXP_15 agree with the floating-point decay factors. */
START_TEST(test_kernel_constants)
{
	ck_assert_double_eq_tol(EXP_1 / (double)FIXED_1, loadavg__step(1, 0, 5, 60), 1e-3);
	ck_assert_double_eq_tol(EXP_5 / (double)FIXED_1, loadavg__step(1, 0, 5, 300), 1e-3);
	ck_assert_double_eq_tol(EXP_15 / (double)FIXED_1, loadavg__step(1, 0, 5, 900), 1e-3);
}
END_TEST

/*
 * Wrong active series: each must be detected by a large error, so a
 * harness that generated a different load than it thinks is caught.
 */
static double wrong_none(double t) { return 0; }
static double wrong_half(double t) { return sim_active(t) / 2; }
static double wrong_late(double t) { return sim_active(t - 60); }

static double (*const wrong_cases[])(double) = { wrong_none, wrong_half, wrong_late };

START_TEST(test_predict_wrong_active)
{
	struct loadavg_fit fit;
	size_t i;

	sim_series(sim_t, sim_act, sim_load, 0.5);
	for (i = 0; i < SIM_N; i++)
		sim_act[i] = wrong_cases[_i](sim_t[i]);
	ck_assert_int_eq(loadavg__predict(sim_t, sim_act, sim_load, SIM_N, NULL, &fit), 0);
	ck_assert_msg(fit.max_abs_err > 1.0, "wrong series %d: max error only %.3f",
		      _i, fit.max_abs_err);
}
END_TEST

/*
 * A constant load equal to the active count never changes the printed
 * value: updates come only from the every-5-s fallback, and the
 * prediction must stay put.
 */
START_TEST(test_predict_constant)
{
	struct loadavg_fit fit;
	size_t i;

	for (i = 0; i < SIM_N; i++) {
		sim_t[i] = i * SIM_DT;
		sim_act[i] = 3;
		sim_load[i] = 3;
	}
	ck_assert_int_eq(loadavg__predict(sim_t, sim_act, sim_load, SIM_N, sim_pred, &fit), 0);
	ck_assert_uint_eq(fit.n_updates,
			  (size_t)(sim_t[SIM_N - 1] / LOADAVG_MAX_PERIOD_S));
	ck_assert_double_eq_tol(fit.max_abs_err, 0, TOL);
	ck_assert_double_eq_tol(sim_pred[SIM_N - 1], 3, TOL);
}
END_TEST

/* NaN at the head of load1 delays the start; NaN in active carries forward. */
START_TEST(test_predict_nan)
{
	double t[] = { 0, 1, 2, 3, 4, 5, 6 };
	double act[] = { 4, NAN, 4, 4, 4, 4, 4 };
	double obs[] = { NAN, 2, 2, 2, 2, 2.16, 2.16 };
	double pred[7];
	struct loadavg_fit fit;

	ck_assert_int_eq(loadavg__predict(t, act, obs, 7, pred, &fit), 0);
	ck_assert(isnan(pred[0]));
	ck_assert_double_eq_tol(pred[1], 2, TOL);
	ck_assert_double_eq_tol(pred[4], 2, TOL);
	/* one update between t=4 and t=5, with active 4 */
	ck_assert_uint_eq(fit.n_updates, 1);
	ck_assert_double_eq_tol(pred[5], loadavg__step(2, 4, 5, 60), TOL);
	ck_assert_double_eq_tol(pred[6], pred[5], TOL);
}
END_TEST

/*
 * The update seen between t=1 and t=2 must use the active count sampled at
 * t=1, the last reading before it, not the one at t=2 taken after it.
 */
START_TEST(test_predict_active_before)
{
	double t[] = { 0, 1, 2, 3 };
	double act[] = { 2, 4, 8, 8 };
	double obs[] = { 1, 1, 1.24, 1.24 };
	double pred[4];
	struct loadavg_fit fit;

	ck_assert_int_eq(loadavg__predict(t, act, obs, 4, pred, &fit), 0);
	ck_assert_uint_eq(fit.n_updates, 1);
	ck_assert_double_eq_tol(pred[1], 1, TOL);
	ck_assert_double_eq_tol(pred[2], loadavg__step(1, 4, 5, 60), TOL);
	ck_assert_double_eq_tol(fit.final_pred, pred[3], TOL);
	ck_assert_double_eq_tol(fit.final_obs, 1.24, TOL);
}
END_TEST

START_TEST(test_predict_invalid)
{
	double t[] = { 0, 2, 1 }, v[] = { 1, 1, 1 };
	struct loadavg_fit fit;

	ck_assert_int_eq(loadavg__predict(t, v, v, 3, NULL, &fit), -EINVAL);
	ck_assert_int_eq(loadavg__predict(t, v, v, 0, NULL, &fit), -EINVAL);
	ck_assert_int_eq(loadavg__predict(NULL, v, v, 2, NULL, &fit), -EINVAL);
}
END_TEST

/* --- paired comparisons: signed rank, Hodges-Lehmann ------------------ */

/* Two-sided critical values of Wilcoxon's signed-rank test, as printed in
 * the usual tables (e.g. Hollander & Wolfe, table A.4). */
static const struct crit_case {
	int n;
	double alpha;
	int t;
} crit_cases[] = {
	{ 5, 0.05, -1 },	/* 5 pairs cannot reach 95% */
	{ 6, 0.05, 0 }, { 7, 0.05, 2 }, { 8, 0.05, 3 }, { 9, 0.05, 5 },
	{ 10, 0.05, 8 }, { 20, 0.05, 52 }, { 8, 0.01, 0 }, { 10, 0.01, 3 },
};

START_TEST(test_signrank_critical)
{
	const struct crit_case *c = &crit_cases[_i];

	ck_assert_msg(stats__signrank_critical(c->n, c->alpha) == c->t,
		      "n %d alpha %g: critical %d, want %d", c->n, c->alpha,
		      stats__signrank_critical(c->n, c->alpha), c->t);
}
END_TEST

/* The distribution of a subset sum of {1..5}: 1 1 1 2 2 3 3 3 3 3 3 2 2 1 1 1 (/32). */
START_TEST(test_signrank_cdf)
{
	static const int counts5[] = { 1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 2, 2, 1, 1, 1 };
	int cum = 0;

	for (int t = 0; t < 16; t++) {
		cum += counts5[t];
		check_close("n=5", "cdf", stats__signrank_cdf(5, t), cum / 32.0);
	}
	check_close("n=5", "cdf(-1)", stats__signrank_cdf(5, -1), 0);
	check_close("n=5", "cdf(99)", stats__signrank_cdf(5, 99), 1);
	check_close("n=10", "cdf(8)", stats__signrank_cdf(10, 8), 25 / 1024.0);
	/* symmetric about n(n+1)/4 */
	check_close("n=12", "symmetry", stats__signrank_cdf(12, 30),
		    1 - stats__signrank_cdf(12, 77 - 30));
	ck_assert(isnan(stats__signrank_cdf(0, 1)));
	ck_assert(isnan(stats__signrank_cdf(STATS_SIGNRANK_MAX_N + 1, 1)));
}
END_TEST

/*
 * R's ?wilcox.test example (Hollander & Wolfe, depression scale, 9 patients):
 * wilcox.test(x, y, paired = TRUE, alternative = "greater") gives V = 40,
 * p-value = 0.01953 = P(T+ >= 40) = P(T+ <= 5).
 */
START_TEST(test_signrank_r_example)
{
	static const double x[] = { 1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30 };
	static const double y[] = { 0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29 };
	double d[9];

	for (int i = 0; i < 9; i++)
		d[i] = x[i] - y[i];
	check_close("depression", "V", stats__signrank_tplus(d, 9), 40);
	ck_assert_msg(fabs(stats__signrank_cdf(9, 5) - 0.01953) < 5e-6, "p = %.6f",
		      stats__signrank_cdf(9, 5));
}
END_TEST

START_TEST(test_signrank_ties)
{
	/* |d| = 1 1 2 3: ranks 1.5 1.5 3 4; positives 1, 3 -> 1.5 + 4; the zero is dropped */
	static const double d[] = { 1, -1, 0, -2, 3 };

	check_close("ties", "T+", stats__signrank_tplus(d, 5), 5.5);
	ck_assert(isnan(stats__signrank_tplus(d + 2, 1)));
}
END_TEST

static const struct hl_case {
	const char *what;
	double d[10];
	size_t n;
	double estimate, lo, hi, confidence;
	int k;
} hl_cases[] = {
	/* Walsh averages 1 1.5 2 2 2.5 3: median 2; 3 pairs reach 1 - 2/8 */
	{ "three", { 1, 2, 3 }, 3, 2, 1, 3, 0.75, 1 },
	/* 0 2 4 5 7 10 */
	{ "three uneven", { 0, 4, 10 }, 3, 4.5, 0, 10, 0.75, 1 },
	/* 5 pairs: at best 1 - 2/32, the whole range */
	{ "five", { 3, -1, 4, 1, 5 }, 5, 2.5, -1, 5, 0.9375, 1 },
	/* 6 pairs: 1 - 2/64 >= 95% with the whole range */
	{ "six", { 5, -3, 2, 7, 1, 4 }, 6, 3, -3, 7, 0.96875, 1 },
	/* critical value 3 -> k = 4 of 36 Walsh averages; level 1 - 2 * 5/256 */
	{ "eight", { 1, 2, 3, 4, 5, 6, 7, 8 }, 8, 4.5, 2, 7, 0.9609375, 4 },
	/* critical value 8 -> k = 9 of 55; level 1 - 2 * 25/1024 */
	{ "ten", { 2.1, -0.4, 1.3, 0.8, 3.5, -1.2, 0.9, 1.7, 2.6, 0.2 }, 10,
	  1.15, 0.2, 2.15, 0.951171875, 9 },
	{ "one", { 2.5 }, 1, 2.5, 2.5, 2.5, 0, 1 },
	{ "NaN skipped", { NAN, 1, 2, NAN, 3 }, 5, 2, 1, 3, 0.75, 1 },
};

START_TEST(test_hodges_lehmann)
{
	const struct hl_case *c = &hl_cases[_i];
	struct stats_hl r;

	ck_assert_int_eq(stats__hodges_lehmann(c->d, c->n, 0.95, &r), 0);
	check_close(c->what, "estimate", r.estimate, c->estimate);
	check_close(c->what, "lo", r.lo, c->lo);
	check_close(c->what, "hi", r.hi, c->hi);
	check_close(c->what, "confidence", r.confidence, c->confidence);
	ck_assert_int_eq(r.k, c->k);
}
END_TEST

/*
 * The interval is the set of medians the signed-rank test does not reject:
 * just inside lo, T+ of (d - theta) is within the critical values, just
 * outside it is not. T+ is computed here from ranks, not Walsh averages.
 */
START_TEST(test_hl_inverts_test)
{
	const struct hl_case *c = &hl_cases[5];
	int crit = stats__signrank_critical(10, 0.05), m = 55;
	double shifted[10];
	struct stats_hl r;

	ck_assert_int_eq(stats__hodges_lehmann(c->d, c->n, 0.95, &r), 0);
	for (int side = 0; side < 2; side++) {
		double bound = side ? r.hi : r.lo;

		for (int in = 0; in < 2; in++) {
			double theta = bound + (side ? -1 : 1) * (in ? 1e-6 : -1e-6);
			double t;

			for (int i = 0; i < 10; i++)
				shifted[i] = c->d[i] - theta;
			t = stats__signrank_tplus(shifted, 10);
			if (in)
				ck_assert_msg(t > crit && t < m - crit, "theta %g: T+ %g", theta, t);
			else
				ck_assert_msg(t <= crit || t >= m - crit, "theta %g: T+ %g", theta, t);
		}
	}
}
END_TEST

START_TEST(test_hl_errors)
{
	static const double d[] = { NAN, NAN };
	struct stats_hl r;

	ck_assert_int_eq(stats__hodges_lehmann(d, 2, 0.95, &r), -ENODATA);
	ck_assert(isnan(r.estimate) && isnan(r.lo) && r.n == 0);
	ck_assert_int_eq(stats__hodges_lehmann(d, 0, 0.95, &r), -ENODATA);
	ck_assert_int_eq(stats__hodges_lehmann(hl_cases[0].d, 3, 1.0, &r), -EINVAL);
	ck_assert_int_eq(stats__hodges_lehmann(hl_cases[0].d, 3, 0, &r), -EINVAL);
}
END_TEST

static const struct verdict_case {
	double lo, hi, confidence, floor;
	size_t n;
	enum stats_verdict v;
} verdict_cases[] = {
	{ 0.5, 3, 0.96, 1, 6, STATS_OVERHEAD },
	{ -3, -0.5, 0.96, 1, 6, STATS_BELOW_ZERO },
	{ -0.8, 0.9, 0.96, 1, 6, STATS_WITHIN_NOISE },
	{ -0.8, 1.5, 0.96, 1, 6, STATS_TOO_NOISY },	/* wider than the floor */
	{ -0.8, 0.9, 0.96, NAN, 6, STATS_TOO_NOISY },	/* no floor to compare with */
	{ 0.5, 3, 0.9375, 1, 5, STATS_TOO_FEW },	/* 5 pairs cannot reach 95% */
	{ NAN, NAN, NAN, 1, 0, STATS_NO_DATA },
};

START_TEST(test_verdict)
{
	const struct verdict_case *c = &verdict_cases[_i];
	struct stats_hl r = { .n = c->n, .lo = c->lo, .hi = c->hi, .confidence = c->confidence };

	ck_assert_int_eq(stats__verdict(&r, 0.95, c->floor), c->v);
	ck_assert_ptr_nonnull(stats__verdict_name(c->v));
}
END_TEST

START_TEST(test_noise_floor)
{
	/* baselines 100 102 99 101: 100->102 -2%, 102->99 +2.94% negated, 99->101 -2.02% */
	static const double b[] = { 100, 102, NAN, 99, 101 };
	double out[5];
	struct stats_hl r = { .n = 3, .lo = -2.5, .hi = 1.2 };

	ck_assert_uint_eq(stats__null_differences(b, 5, out), 3);
	check_close("null", "d0", out[0], -2);
	check_close("null", "d1", out[1], -300.0 / 102);
	check_close("null", "d2", out[2], -200.0 / 99);
	check_close("floor", "max(|lo|,|hi|)", stats__noise_floor(&r), 2.5);
	r.n = 0;
	ck_assert(isnan(stats__noise_floor(&r)));
	ck_assert_uint_eq(stats__null_differences(b, 1, out), 0);
}
END_TEST

static Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc;

	tc = tcase_create("descriptive");
	tcase_add_loop_test(tc, test_vector, 0, sizeof(vec_cases) / sizeof(vec_cases[0]));
	tcase_add_test(tc, test_null_input);
	suite_add_tcase(s, tc);

	tc = tcase_create("loadavg_step");
	tcase_add_loop_test(tc, test_step, 0, sizeof(step_cases) / sizeof(step_cases[0]));
	tcase_add_test(tc, test_kernel_constants);
	suite_add_tcase(s, tc);

	tc = tcase_create("loadavg_predict");
	tcase_add_test(tc, test_predict_kernel_step);
	tcase_add_loop_test(tc, test_predict_wrong_active, 0,
			    sizeof(wrong_cases) / sizeof(wrong_cases[0]));
	tcase_add_test(tc, test_predict_constant);
	tcase_add_test(tc, test_predict_nan);
	tcase_add_test(tc, test_predict_active_before);
	tcase_add_test(tc, test_predict_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("paired");
	tcase_add_loop_test(tc, test_signrank_critical, 0,
			    sizeof(crit_cases) / sizeof(crit_cases[0]));
	tcase_add_test(tc, test_signrank_cdf);
	tcase_add_test(tc, test_signrank_r_example);
	tcase_add_test(tc, test_signrank_ties);
	tcase_add_loop_test(tc, test_hodges_lehmann, 0, sizeof(hl_cases) / sizeof(hl_cases[0]));
	tcase_add_test(tc, test_hl_inverts_test);
	tcase_add_test(tc, test_hl_errors);
	tcase_add_loop_test(tc, test_verdict, 0, sizeof(verdict_cases) / sizeof(verdict_cases[0]));
	tcase_add_test(tc, test_noise_floor);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(stats_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
