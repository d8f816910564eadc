// SPDX-License-Identifier: GPL-2.0
/*
 * check_irqstats.c - irq-stats on the eBPF backend.
 *
 * ground truth: `hldbench diag irq-stats --test`'s test
 * (harness/truth-irq-stats.c): counts agree with the deltas of
 * /proc/interrupts and /proc/softirqs over the same window.
 *
 * persistence: a pinned activation whose activating process has let go of
 * it keeps counting, and each report drains: before the first report the
 * test makes FIRST_SLEEPS nanosleep() calls, before the second
 * SECOND_SLEEPS. Each sleep ends in one hrtimer_wakeup, so the first
 * report holds at least FIRST_SLEEPS of them and the second at least
 * SECOND_SLEEPS but fewer than FIRST_SLEEPS (other tasks' sleeps add a
 * few; a report that did not drain would hold both rounds). A report's
 * events are the sum of its tables. Needs root, BPF and bpffs; skips with
 * the reason.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag-test.h"
#include "diag.h"
#include "hld_settings.h"

#define FIRST_SLEEPS	2000
#define SECOND_SLEEPS	20

/* The pinned activation's directory, removed in the parent even when a test fails. */
static char pin_dir[128];

/* NULL if the feature can run here, else why not. */
static const char *unavailable(char *why, size_t len)
{

	if (geteuid() != 0)
		return "needs root";
	if (bpf_irq_stats_ops.probe(why, len))
		return why;
	return NULL;
}

/* Unchecked fixture (runs in the Check parent): name the pin directory, remove it. */
static void pin_setup(void)
{
	snprintf(pin_dir, sizeof(pin_dir), DIAG_PIN_ROOT "/check_irqstats-%d", getpid());
}

static void pin_teardown(void)
{
	diag__remove_dir(pin_dir);
}

/* @n sleeps of 10 us, each one hrtimer that wakes us. */
static void sleeps(int n)
{
	struct timespec ts = { 0, 10000 };

	for (int i = 0; i < n; i++)
		nanosleep(&ts, NULL);
}

/* Report @f into a fresh directory and return irq-stats.json, parsed. */
static json_object *report(struct diag_feature *f)
{
	char dir[] = "/tmp/check_irqstats.XXXXXX", path[64];
	struct diag_outputs out;
	struct json_writer j;
	json_object *root;
	FILE *null = fopen("/dev/null", "w");

	ck_assert_ptr_nonnull(null);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	json__init(&j, null, false);
	json__begin_object(&j, NULL);
	out.dir = dir;
	out.json = &j;
	ck_assert_int_eq(f->ops->report(f, &out), 0);
	json__end_object(&j);
	fclose(null);
	snprintf(path, sizeof(path), "%s/irq-stats.json", dir);
	root = json_object_from_file(path);
	ck_assert_ptr_nonnull(root);
	diag__remove_dir(dir);
	return root;
}

static json_object *obj_get(json_object *o, const char *key)
{
	json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s in the report", key);
	return v;
}

/* Sum of the counts of table @table, or of the rows named @name in it (if not NULL). */
static unsigned long long table_count(json_object *root, const char *table, const char *name)
{
	json_object *arr = obj_get(root, table);
	unsigned long long n = 0;

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		if (!name || !strcmp(json_object_get_string(obj_get(e, "name")), name))
			n += json_object_get_int64(obj_get(e, "count"));
	}
	return n;
}

/* The report's events are what its tables hold (timers: all listed, top-timers large). */
static void check_events(struct diag_feature *f, json_object *root)
{
	unsigned long long sum = table_count(root, "irqs", NULL) +
				 table_count(root, "vectors", NULL) +
				 table_count(root, "softirqs", NULL) +
				 table_count(root, "timers", NULL);

	ck_assert_uint_eq(json_object_get_int64(obj_get(root, "events")), sum);
	ck_assert_uint_eq(f->events, sum);
}

START_TEST(test_truth)
{
	char why[256];
	const char *skip = unavailable(why, sizeof(why));

	if (skip) {
		printf("skip irq-stats ground truth: %s\n", skip);
		return;
	}
	ck_assert_int_eq(diag_test__run(&bpf_irq_stats_ops, stdout), 0);
}
END_TEST

START_TEST(test_persistent_drain)
{
	struct hld_irqstats_settings s = { .top_timers = 100000 };
	char why[256];
	const char *skip = unavailable(why, sizeof(why));
	struct diag_feature *f;
	unsigned long long first, second;
	json_object *r1, *r2;

	if (skip) {
		printf("skip irq-stats persistence: %s\n", skip);
		return;
	}
	ck_assert_int_ge(diag__pin_root(), 0);
	ck_assert_int_eq(mkdir(pin_dir, 0700), 0);

	f = diag__open(&bpf_irq_stats_ops, &s);
	ck_assert_ptr_nonnull(f);
	f->pin_dir = pin_dir;
	ck_assert_int_eq(f->ops->activate(f), 0);
	diag__close(f);			/* the pins keep the programs attached */

	f = diag__open(&bpf_irq_stats_ops, &s);
	ck_assert_ptr_nonnull(f);
	f->pin_dir = pin_dir;
	ck_assert_int_eq(f->ops->reopen(f), 0);
	sleeps(FIRST_SLEEPS);
	r1 = report(f);
	check_events(f, r1);
	sleeps(SECOND_SLEEPS);
	r2 = report(f);
	check_events(f, r2);
	first = table_count(r1, "timers", "hrtimer_wakeup");
	second = table_count(r2, "timers", "hrtimer_wakeup");
	printf("irq-stats persistence: hrtimer_wakeup %llu for %d sleeps, then %llu for %d\n",
	       first, FIRST_SLEEPS, second, SECOND_SLEEPS);
	ck_assert_uint_ge(first, FIRST_SLEEPS);
	ck_assert_uint_ge(second, SECOND_SLEEPS);
	ck_assert_uint_lt(second, FIRST_SLEEPS);
	ck_assert_uint_eq(f->drops, 0);
	json_object_put(r1);
	json_object_put(r2);
	diag__close(f);
}
END_TEST

static Suite *irqstats_suite(void)
{
	Suite *s = suite_create("irqstats");
	TCase *tt = tcase_create("ground truth");
	TCase *tp = tcase_create("persistence");

	tcase_set_timeout(tt, 30);
	tcase_add_test(tt, test_truth);
	suite_add_tcase(s, tt);
	tcase_set_timeout(tp, 30);
	tcase_add_unchecked_fixture(tp, pin_setup, pin_teardown);
	tcase_add_test(tp, test_persistent_drain);
	suite_add_tcase(s, tp);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(irqstats_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
