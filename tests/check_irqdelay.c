// SPDX-License-Identifier: GPL-2.0
/*
 * check_irqdelay.c - irq-delay on the eBPF backend.
 *
 * accounting, on the machine as it is: every timer tick lands in exactly
 * one lateness bucket (histogram == ticks, per CPU), every tick after the
 * first of a phase on a CPU is one interval (intervals + starts == ticks);
 * a tick is late when it fired more than the threshold after it was due,
 * and every late tick is either a record or a drop (events + drops ==
 * late). With threshold 0 every tick is late, so the cap on records is
 * reached and the rest counted as drops. irq-delay.folded holds one stack
 * per record.
 *
 * ground truth: `hldbench diag irq-delay --test`'s test
 * (harness/truth-irq-delay.c): quiet baseline, SCHED_FIFO loop and known
 * interrupt-off stalls.
 *
 * persistence: a pinned activation keeps ticking after its process let go
 * of it (the perf events live in their pinned links), and each report
 * drains: the second, PAUSE_MS after the first, holds no more ticks than
 * that time allows, and the record cap counts from the previous report.
 * Needs root and BPF (and bpffs for persistence); skips with the reason.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag-test.h"
#include "diag.h"
#include "folded.h"
#include "hld_settings.h"

#define POLLS		30	/* polls of 10 ms per phase */
#define MAX_CPUS	1024
#define BUSY_MS		300	/* CPU kept busy (so that it ticks) before the first report */
#define PAUSE_MS	20	/* ... and between the two reports */
#define CAP		20	/* max-events of the persistent activation */

/* The pinned activation's directory, removed in the Check parent even when a test fails. */
static char pin_dir[128];

static const char *irqdelay_unavailable(char *why, size_t len)
{
	if (geteuid() != 0)
		return "needs root";
	if (bpf_irq_delay_ops.probe(why, len))
		return why;
	return NULL;
}

/* Let ticks happen for POLLS x 10 ms, draining the records as the diag thread would. */
static void run_phase(struct diag_feature *f)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	ck_assert_int_eq(f->ops->activate(f), 0);
	for (int i = 0; i < POLLS; i++) {
		nanosleep(&ts, NULL);
		ck_assert_int_eq(f->ops->poll(f), 0);
	}
	ck_assert_int_eq(f->ops->deactivate(f), 0);
}

/* Run @f's report into a fresh directory @dir (at least 32 bytes). */
static void report_into(struct diag_feature *f, char *dir)
{
	strcpy(dir, "/tmp/check_irqdelay.XXXXXX");
	ck_assert_int_eq(diag__report_into(f, dir), 0);
}

static json_object *obj_get(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static uint64_t obj_u64(struct json_object *o, const char *key)
{
	json_object *v = obj_get(o, key);

	ck_assert_msg(v != NULL, "no %s in the report", key);
	return json_object_get_uint64(v);
}

static int online_cpus(void)
{
	static bool online[MAX_CPUS];
	int n = bpf_util__online_cpus(online, MAX_CPUS);

	ck_assert_int_gt(n, 0);
	return n;
}

/*
 * The per-CPU accounting of the report @root after @phases phases: each
 * ticking CPU's histogram sums to its ticks, and its intervals are its
 * ticks less the first tick of each phase it ticked in (starts, at most
 * @phases). Some CPU, the one that ticked in every phase, started @phases
 * times: a gap spanning two phases would make it fewer.
 */
static void check_per_cpu(json_object *root, uint64_t phases)
{
	json_object *cpus = obj_get(root, "per_cpu");
	uint64_t ticks = 0, intervals = 0, hist_total = 0, max_starts = 0;

	ck_assert_ptr_nonnull(cpus);
	ck_assert_int_ge(json_object_array_length(cpus), 1);
	for (size_t i = 0; i < json_object_array_length(cpus); i++) {
		json_object *c = json_object_array_get_idx(cpus, i);
		json_object *h = obj_get(c, "histogram");
		uint64_t sum = 0;

		for (size_t k = 0; h && k < json_object_array_length(h); k++)
			sum += obj_u64(json_object_array_get_idx(h, k), "count");
		ck_assert_uint_eq(sum, obj_u64(c, "ticks"));
		ck_assert_uint_eq(obj_u64(c, "intervals") + obj_u64(c, "starts"), obj_u64(c, "ticks"));
		ck_assert_uint_ge(obj_u64(c, "starts"), 1);
		ck_assert_uint_le(obj_u64(c, "starts"), phases);
		ck_assert_uint_le(obj_u64(c, "late"), obj_u64(c, "ticks"));
		if (obj_u64(c, "starts") > max_starts)
			max_starts = obj_u64(c, "starts");
		ticks += obj_u64(c, "ticks");
		intervals += obj_u64(c, "intervals");
		hist_total += sum;
	}
	ck_assert_uint_eq(max_starts, phases);
	ck_assert_uint_eq(ticks, obj_u64(root, "ticks"));
	ck_assert_uint_eq(intervals, obj_u64(root, "intervals"));
	ck_assert_uint_eq(hist_total, obj_u64(root, "histogram_total"));
	ck_assert_uint_eq(hist_total, ticks);
}

/* Settings of the table-driven cases; threshold 0 makes every interval late. */
static const struct {
	uint64_t period_us, threshold_us, max_events;
} cases[] = {
	{ 1000, 10000, 1000 },	/* the defaults: late ticks only if the machine stalls */
	{ 1000, 0, 20 },	/* every interval late: the cap is reached, the rest dropped */
	{ 500, 0, 50 },
};

/* Keep this CPU busy for @ms (an idle CPU may not tick). */
static void busy_ms(unsigned int ms)
{
	uint64_t end = bpf_util__now_ns() + ms * 1000000ull;

	while (bpf_util__now_ns() < end)
		;
}

/* Report @f into a fresh directory and return irq-delay.json, parsed. */
static json_object *report_json(struct diag_feature *f)
{
	char dir[64], path[128];
	json_object *root;

	report_into(f, dir);
	snprintf(path, sizeof(path), "%s/irq-delay.json", dir);
	root = json_object_from_file(path);
	ck_assert_ptr_nonnull(root);
	diag__remove_dir(dir);
	return root;
}

/* Unchecked fixture (runs in the Check parent): name the pin directory, remove it. */
static void pin_setup(void)
{
	snprintf(pin_dir, sizeof(pin_dir), DIAG_PIN_ROOT "/check_irqdelay-%d", getpid());
}

static void pin_teardown(void)
{
	diag__remove_dir(pin_dir);
}

START_TEST(test_truth)
{
	char why[256];
	const char *skip = irqdelay_unavailable(why, sizeof(why));

	if (skip) {
		printf("SKIP check_irqdelay ground truth: %s\n", skip);
		return;
	}
	ck_assert_int_eq(diag_test__run(&bpf_irq_delay_ops, stdout), 0);
}
END_TEST

START_TEST(test_persistent_drain)
{
	struct hld_irqdelay_settings s = { .period_us = 1000, .threshold_us = 0, .max_events = CAP };
	char why[256];
	const char *skip = irqdelay_unavailable(why, sizeof(why));
	struct diag_feature *f;
	json_object *r1, *r2;
	uint64_t t0, ncpu;

	if (skip) {
		printf("SKIP check_irqdelay persistence: %s\n", skip);
		return;
	}
	ck_assert_int_ge(diag__pin_root(), 0);
	ncpu = online_cpus();
	ck_assert_int_eq(mkdir(pin_dir, 0700), 0);
	f = diag__open(&bpf_irq_delay_ops, &s);
	ck_assert_ptr_nonnull(f);
	f->pin_dir = pin_dir;
	ck_assert_int_eq(f->ops->activate(f), 0);
	diag__close(f);		/* the pinned links keep the perf events firing */
	busy_ms(BUSY_MS);

	f = diag__open(&bpf_irq_delay_ops, &s);
	ck_assert_ptr_nonnull(f);
	f->pin_dir = pin_dir;
	ck_assert_int_eq(f->ops->reopen(f), 0);
	t0 = bpf_util__now_ns();
	r1 = report_json(f);
	busy_ms(PAUSE_MS);
	r2 = report_json(f);
	printf("irq-delay persistence: %llu ticks in the first report, %llu in the second "
	       "%.1f ms later; records %llu then %llu, drops %llu\n",
	       (unsigned long long)obj_u64(r1, "ticks"), (unsigned long long)obj_u64(r2, "ticks"),
	       (bpf_util__now_ns() - t0) / 1e6, (unsigned long long)obj_u64(r1, "events"),
	       (unsigned long long)obj_u64(r2, "events"), (unsigned long long)obj_u64(r2, "drops"));
	ck_assert_uint_ge(obj_u64(r1, "ticks"), BUSY_MS / 3);
	ck_assert_uint_le(obj_u64(r2, "ticks"),
			  (bpf_util__now_ns() - t0) / 1000000 * ncpu + 2 * ncpu);
	ck_assert_uint_ge(obj_u64(r2, "ticks"), 1);
	/* Every interval is late: the cap is reached in each report, afresh. */
	ck_assert_uint_ge(obj_u64(r1, "events"), CAP);
	ck_assert_uint_le(obj_u64(r1, "events"), CAP + ncpu - 1);
	ck_assert_uint_ge(obj_u64(r2, "events"), 1);
	ck_assert_uint_le(obj_u64(r2, "events"), CAP + ncpu - 1);
	ck_assert_uint_gt(obj_u64(r1, "drops"), 0);
	ck_assert_uint_ge(obj_u64(r2, "drops"), obj_u64(r1, "drops"));
	json_object_put(r1);
	json_object_put(r2);
	diag__close(f);
}
END_TEST

START_TEST(test_accounting)
{
	struct hld_irqdelay_settings s = {
		.period_us = cases[_i].period_us,
		.threshold_us = cases[_i].threshold_us,
		.max_events = cases[_i].max_events,
	};
	char dir[64], path[128], why[256];
	const char *skip = irqdelay_unavailable(why, sizeof(why));
	json_object *root, *ev;
	struct diag_feature *f;
	struct folded *fo;
	uint64_t late, events, drops, ticks;
	int ncpu;

	if (skip) {
		printf("SKIP check_irqdelay: %s\n", skip);
		return;
	}
	ncpu = online_cpus();
	f = diag__open(&bpf_irq_delay_ops, &s);
	ck_assert_ptr_nonnull(f);
	run_phase(f);
	report_into(f, dir);
	snprintf(path, sizeof(path), "%s/irq-delay.json", dir);
	root = json_object_from_file(path);
	ck_assert_ptr_nonnull(root);

	ck_assert_uint_gt(obj_u64(root, "ticks"), 0);
	check_per_cpu(root, 1);
	late = obj_u64(root, "late");
	events = obj_u64(root, "events");
	drops = obj_u64(root, "drops");
	ticks = obj_u64(root, "ticks");
	ck_assert_uint_eq(events + drops, late);
	ck_assert_uint_eq(diag_feature__metric(f, "late"), late);
	ck_assert_uint_eq(diag_feature__metric(f, "drops"), drops);
	ck_assert_uint_eq(diag_feature__metric(f, "histogram_total"), ticks);
	/* The cap: only CPUs racing past the check at once may exceed it, by one each. */
	ck_assert_uint_le(events, s.max_events + ncpu - 1);
	ck_assert_uint_ge(events, late < s.max_events ? late : s.max_events);
	if (!s.threshold_us) {	/* a tick fires after it is due: every one is late */
		ck_assert_uint_eq(late, ticks);
		ck_assert_uint_gt(late, s.max_events);	/* POLLS x 10 ms of 1 ms ticks */
		ck_assert_uint_gt(drops, 0);
	}
	if (late)
		ck_assert_uint_gt(obj_u64(root, "max_late_ns"), s.threshold_us * 1000);
	ev = obj_get(root, "late_ticks");
	ck_assert_ptr_nonnull(ev);
	ck_assert_uint_eq(json_object_array_length(ev), events);
	for (size_t i = 0; i < json_object_array_length(ev); i++)
		ck_assert_uint_le(obj_u64(json_object_array_get_idx(ev, i), "gap_ns"),
				  obj_u64(root, "max_gap_ns"));
	ck_assert_uint_eq(diag_feature__metric(f, "max_gap_ns"), obj_u64(root, "max_gap_ns"));
	ck_assert_uint_eq(diag_feature__metric(f, "max_late_ns"), obj_u64(root, "max_late_ns"));
	/* The flame graph's input: one stack per recorded late tick. */
	fo = folded__new();
	ck_assert_ptr_nonnull(fo);
	snprintf(path, sizeof(path), "%s/irq-delay.folded", dir);
	ck_assert_int_eq(folded__load(fo, path, NULL), 0);
	ck_assert_uint_eq(folded__total(fo), events);
	folded__free(fo);
	json_object_put(root);
	diag__close(f);
	diag__remove_dir(dir);
}
END_TEST

/* Two phases: the counters add up, and no gap spans the time between them. */
START_TEST(test_phases)
{
	struct hld_irqdelay_settings s = { .period_us = 1000, .threshold_us = 0, .max_events = 10 };
	struct timespec between = { 0, 200 * 1000 * 1000 };
	char dir[64], path[128], why[256];
	const char *skip = irqdelay_unavailable(why, sizeof(why));
	struct diag_feature *f;
	json_object *root;

	if (skip) {
		printf("SKIP check_irqdelay: %s\n", skip);
		return;
	}
	f = diag__open(&bpf_irq_delay_ops, &s);
	ck_assert_ptr_nonnull(f);
	run_phase(f);
	nanosleep(&between, NULL);
	run_phase(f);
	report_into(f, dir);
	snprintf(path, sizeof(path), "%s/irq-delay.json", dir);
	root = json_object_from_file(path);
	ck_assert_ptr_nonnull(root);
	/* A gap across the pause would leave no CPU with two starts. */
	check_per_cpu(root, 2);
	json_object_put(root);
	diag__close(f);
	diag__remove_dir(dir);
}
END_TEST

static Suite *irqdelay_suite(void)
{
	Suite *s = suite_create("irqdelay");
	TCase *tc = tcase_create("accounting");
	TCase *tp = tcase_create("phases");
	TCase *tt = tcase_create("ground truth");
	TCase *tper = tcase_create("persistence");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_accounting, 0, sizeof(cases) / sizeof(cases[0]));
	suite_add_tcase(s, tc);
	tcase_set_timeout(tp, 30);
	tcase_add_test(tp, test_phases);
	suite_add_tcase(s, tp);
	tcase_set_timeout(tt, 30);
	tcase_add_test(tt, test_truth);
	suite_add_tcase(s, tt);
	tcase_set_timeout(tper, 30);
	tcase_add_unchecked_fixture(tper, pin_setup, pin_teardown);
	tcase_add_test(tper, test_persistent_drain);
	suite_add_tcase(s, tper);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(irqdelay_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
