// SPDX-License-Identifier: GPL-2.0
/*
 * check_sampler.c - the sampler thread on this machine's /proc: lifecycle,
 * sample consistency, phase tags and the CSV it writes. Nothing here
 * asserts on how long anything took.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sampler.h"

#define INTERVAL_MS	10

static const char csv_header[] =
	"t_s,phase,r,d,r_raw,load1,load5,load15,cpu_busy,psi_cpu_some,"
	"psi_io_some,psi_io_full,psi_mem_some,psi_mem_full,pred_load1\n";

/* Sleep until the running sampler holds at least @want samples. */
static void wait_samples(struct sampler *s, size_t want)
{
	struct timespec nap = { 0, INTERVAL_MS * 1000000L };

	while (sampler__count(s) < want)
		nanosleep(&nap, NULL);
}

/* A run with a phase change in the middle, shared by the tests below. */
static struct sampler *run_sampler(size_t before, size_t after)
{
	struct sampler *s = sampler__new(INTERVAL_MS);
	size_t n;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(sampler__start(s), 0);
	wait_samples(s, before);
	n = sampler__count(s);
	sampler__set_phase(s, 7);
	wait_samples(s, n + after);
	ck_assert_int_eq(sampler__stop(s), 0);
	return s;
}

START_TEST(test_lifecycle)
{
	struct sampler *s = sampler__new(INTERVAL_MS);
	struct sample x;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(sampler__latest(s, &x), -ENODATA);
	ck_assert_int_eq(sampler__stop(s), 0);	/* not started: harmless */
	ck_assert_int_eq(sampler__start(s), 0);
	ck_assert_int_eq(sampler__start(s), -EINVAL);
	ck_assert_int_eq(sampler__stop(s), 0);
	ck_assert_int_eq(sampler__stop(s), 0);
	sampler__free(s);
	sampler__free(NULL);

	s = sampler__new(0);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(sampler__start(s), -EINVAL);
	sampler__free(s);
}
END_TEST

START_TEST(test_free_running)
{
	struct sampler *s = sampler__new(INTERVAL_MS);

	ck_assert_int_eq(sampler__start(s), 0);
	sampler__free(s);	/* must stop and join the thread itself */
}
END_TEST

START_TEST(test_samples_consistent)
{
	struct sampler *s = run_sampler(5, 5);
	const struct sample *x;
	size_t i, n;

	x = sampler__samples(s, &n);
	ck_assert_uint_ge(n, 10);
	ck_assert_int_eq(sampler__error(s), 0);
	ck_assert(isnan(x[0].cpu_busy));
	for (i = 0; i < n; i++) {
		/* the sampler counts itself: r excludes it */
		ck_assert_uint_ge(x[i].r_raw, 1);
		ck_assert_uint_eq(x[i].r, x[i].r_raw - 1);
		ck_assert(x[i].load1 >= 0 && x[i].load5 >= 0 && x[i].load15 >= 0);
		if (i) {
			ck_assert_uint_gt(x[i].t_ns, x[i - 1].t_ns);
			ck_assert(isnan(x[i].cpu_busy) ||
				  (x[i].cpu_busy >= 0 && x[i].cpu_busy <= 100));
		}
	}
	if (access("/proc/pressure/io", R_OK)) {
		printf("check_sampler: no PSI on this kernel, checking the flag only\n");
		ck_assert(sampler__psi_missing(s));
		ck_assert(isnan(x[0].psi_io_some));
	} else {
		ck_assert(!sampler__psi_missing(s));
		ck_assert(!isnan(x[n - 1].psi_io_some) && !isnan(x[n - 1].psi_io_full));
	}
	printf("check_sampler: %zu samples, %llu missed ticks, realtime %s\n", n,
	       (unsigned long long)sampler__missed(s), sampler__realtime(s) ? "yes" : "no");
	sampler__free(s);
}
END_TEST

START_TEST(test_phase_tags)
{
	struct sampler *s = run_sampler(3, 3);
	const struct sample *x;
	size_t i, n, switched = 0;

	x = sampler__samples(s, &n);
	ck_assert_int_eq(x[0].phase, -1);
	ck_assert_int_eq(x[n - 1].phase, 7);
	/* one switch from -1 to 7, never back */
	for (i = 1; i < n; i++) {
		ck_assert(x[i].phase == -1 || x[i].phase == 7);
		if (x[i].phase != x[i - 1].phase) {
			ck_assert_int_eq(x[i].phase, 7);
			switched++;
		}
	}
	ck_assert_uint_eq(switched, 1);
	sampler__free(s);
}
END_TEST

/* Count the comma-separated fields of @line. */
static int fields(const char *line)
{
	int k = 1;

	for (; *line; line++)
		k += *line == ',';
	return k;
}

START_TEST(test_csv)
{
	struct sampler *s = run_sampler(3, 3);
	char path[] = "/tmp/check_sampler.XXXXXX", line[1024];
	const struct sample *x;
	size_t n, rows = 0;
	double t0_s, t;
	FILE *f;
	int fd;

	x = sampler__samples(s, &n);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* t0 one second before the first sample: the first t_s is 1.000 */
	ck_assert_int_eq(sampler__write_csv(s, path, x[0].t_ns - 1000000000ULL), 0);

	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_str_eq(line, csv_header);
	while (fgets(line, sizeof(line), f)) {
		int phase;
		unsigned r, d, r_raw;

		ck_assert_int_eq(fields(line), 15);
		ck_assert_int_eq(sscanf(line, "%lf,%d,%u,%u,%u", &t, &phase, &r, &d, &r_raw), 5);
		ck_assert_int_eq(phase, x[rows].phase);
		ck_assert_uint_eq(r, x[rows].r);
		ck_assert_uint_eq(d, x[rows].d);
		ck_assert_uint_eq(r_raw, x[rows].r_raw);
		if (!rows)
			t0_s = t;
		/* the predictor column is a number once load1 is known */
		ck_assert_ptr_null(strstr(strrchr(line, ','), "NaN"));
		rows++;
	}
	fclose(f);
	unlink(path);
	ck_assert_uint_eq(rows, n);
	ck_assert_double_eq_tol(t0_s, 1.0, 0.0005);
	ck_assert_double_eq_tol(t, (x[n - 1].t_ns - x[0].t_ns) / 1e9 + 1.0, 0.0005);

	ck_assert_int_eq(sampler__write_csv(s, "/nonexistent-dir/samples.csv", 0), -ENOENT);
	sampler__free(s);
}
END_TEST

static Suite *sampler_suite(void)
{
	Suite *s = suite_create("sampler");
	TCase *tc;

	tc = tcase_create("lifecycle");
	tcase_add_test(tc, test_lifecycle);
	tcase_add_test(tc, test_free_running);
	suite_add_tcase(s, tc);

	tc = tcase_create("samples");
	tcase_add_test(tc, test_samples_consistent);
	tcase_add_test(tc, test_phase_tags);
	suite_add_tcase(s, tc);

	tc = tcase_create("csv");
	tcase_add_test(tc, test_csv);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sampler_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
