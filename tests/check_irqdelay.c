// SPDX-License-Identifier: GPL-2.0
/*
 * check_irqdelay.c - irq-delay on the eBPF backend. Interrupts cannot be
 * held off from user space here (no module), so the truth is accounting,
 * measured on a quiet baseline: every timer tick after the first of a
 * phase on a CPU is one interval and lands in exactly one histogram bucket
 * or, if the CPU went idle meanwhile, among the idle gaps (histogram +
 * idle gaps == intervals == ticks - first ticks, per CPU); a tick is
 * late when its gap exceeds the threshold, and every late tick is either a
 * record or a drop (events + drops == late). With threshold 0 every
 * interval is late, so the cap on records is reached and the rest counted
 * as drops. Needs root and BPF; skips with the reason.
 */
#include <check.h>
#include <dirent.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag.h"
#include "hld_settings.h"

#define POLLS		30	/* polls of 10 ms per phase */
#define MAX_CPUS	1024

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
	struct diag_outputs out;
	struct json_writer j;
	FILE *null = fopen("/dev/null", "w");

	ck_assert_ptr_nonnull(null);
	strcpy(dir, "/tmp/check_irqdelay.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	json__init(&j, null, false);
	json__begin_object(&j, NULL);
	out.dir = dir;
	out.json = &j;
	ck_assert_int_eq(f->ops->report(f, &out), 0);
	json__end_object(&j);
	fclose(null);
}

static void remove_dir(const char *dir)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
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
 * ticking CPU's histogram and idle gaps sum to its intervals, and its
 * intervals are its ticks less the first tick of each phase it ticked in
 * (starts, at most @phases). Some CPU, the one that ticked in every phase,
 * started @phases times: a gap spanning two phases would make it fewer.
 */
static void check_per_cpu(json_object *root, uint64_t phases)
{
	json_object *cpus = obj_get(root, "per_cpu");
	uint64_t intervals = 0, hist_total = 0, max_starts = 0;

	ck_assert_ptr_nonnull(cpus);
	ck_assert_int_ge(json_object_array_length(cpus), 1);
	for (size_t i = 0; i < json_object_array_length(cpus); i++) {
		json_object *c = json_object_array_get_idx(cpus, i);
		json_object *h = obj_get(c, "histogram");
		uint64_t sum = 0;

		for (size_t k = 0; h && k < json_object_array_length(h); k++)
			sum += obj_u64(json_object_array_get_idx(h, k), "count");
		ck_assert_uint_eq(sum + obj_u64(c, "idle_gaps"), obj_u64(c, "intervals"));
		ck_assert_uint_eq(obj_u64(c, "intervals") + obj_u64(c, "starts"), obj_u64(c, "ticks"));
		ck_assert_uint_ge(obj_u64(c, "starts"), 1);
		ck_assert_uint_le(obj_u64(c, "starts"), phases);
		if (obj_u64(c, "starts") > max_starts)
			max_starts = obj_u64(c, "starts");
		intervals += obj_u64(c, "intervals");
		hist_total += sum;
	}
	ck_assert_uint_eq(max_starts, phases);
	ck_assert_uint_eq(intervals, obj_u64(root, "intervals"));
	ck_assert_uint_eq(hist_total, obj_u64(root, "histogram_total"));
	ck_assert_uint_eq(hist_total + obj_u64(root, "idle_gaps"), intervals);
}

/* Settings of the table-driven cases; threshold 0 makes every interval late. */
static const struct {
	uint64_t period_us, threshold_us, max_events;
} cases[] = {
	{ 1000, 10000, 1000 },	/* the defaults: late ticks only if the machine stalls */
	{ 1000, 0, 20 },	/* every interval late: the cap is reached, the rest dropped */
	{ 500, 0, 50 },
};

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
	uint64_t late, events, drops, intervals, max_gap = 0;
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
	intervals = obj_u64(root, "intervals");
	ck_assert_uint_eq(events + drops, late);
	ck_assert_uint_eq(diag_feature__metric(f, "late"), late);
	ck_assert_uint_eq(diag_feature__metric(f, "drops"), drops);
	ck_assert_uint_eq(diag_feature__metric(f, "histogram_total") +
			  diag_feature__metric(f, "idle_gaps"), intervals);
	/* The cap: only CPUs racing past the check at once may exceed it, by one each. */
	ck_assert_uint_le(events, s.max_events + ncpu - 1);
	ck_assert_uint_ge(events, late < s.max_events ? late : s.max_events);
	if (!s.threshold_us) {
		ck_assert_uint_eq(late, intervals - obj_u64(root, "idle_gaps"));
		ck_assert_uint_gt(late, s.max_events);	/* POLLS x 10 ms of 1 ms ticks */
		ck_assert_uint_gt(drops, 0);
	}
	ev = obj_get(root, "late_ticks");
	ck_assert_ptr_nonnull(ev);
	ck_assert_uint_eq(json_object_array_length(ev), events);
	for (size_t i = 0; i < json_object_array_length(ev); i++) {
		uint64_t gap = obj_u64(json_object_array_get_idx(ev, i), "gap_ns");

		ck_assert_uint_gt(gap, s.threshold_us * 1000);
		if (gap > max_gap)
			max_gap = gap;
	}
	ck_assert_uint_ge(obj_u64(root, "max_gap_ns"), max_gap);
	ck_assert_uint_eq(diag_feature__metric(f, "max_gap_ns"), obj_u64(root, "max_gap_ns"));
	json_object_put(root);
	diag__close(f);
	remove_dir(dir);
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
	remove_dir(dir);
}
END_TEST

static Suite *irqdelay_suite(void)
{
	Suite *s = suite_create("irqdelay");
	TCase *tc = tcase_create("accounting");
	TCase *tp = tcase_create("phases");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_accounting, 0, sizeof(cases) / sizeof(cases[0]));
	suite_add_tcase(s, tc);
	tcase_set_timeout(tp, 30);
	tcase_add_test(tp, test_phases);
	suite_add_tcase(s, tp);
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
