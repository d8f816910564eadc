// SPDX-License-Identifier: GPL-2.0
/*
 * check_execmon.c - exec-monitor on the eBPF backend: the ground-truth test
 * (harness/truth-exec-monitor.c: N execs under the ancestor filter), the
 * other filters (comm, none, a comm that matches nothing), a persistent
 * activation whose reports drain the pinned ring buffer, and conservation
 * (received + dropped == N with the reader stopped). Needs root and BPF;
 * skips with the reason.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag-test.h"
#include "diag.h"
#include "hld_settings.h"
#include "run-command.h"

#define EXECS	20
#define POLLS	300	/* polls of 10 ms to wait for the records at most */

/* NULL if the feature can run here, else a reason to skip. */
static const char *execmon_unavailable(char *why, size_t len)
{
	if (geteuid() != 0)
		return "needs root";
	if (bpf_exec_monitor_ops.probe(why, len))
		return why;
	return NULL;
}

/* Run @f's report into a fresh directory @dir (at least 32 bytes). */
static void report_into(struct diag_feature *f, char *dir)
{
	strcpy(dir, "/tmp/check_execmon.XXXXXX");
	ck_assert_int_eq(diag__report_into(f, dir), 0);
}

static const char *obj_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static int64_t obj_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
}

/* Is @tgid in the "parents" array of @rec? */
static bool has_ancestor(struct json_object *rec, pid_t tgid)
{
	struct json_object *parents;

	if (!json_object_object_get_ex(rec, "parents", &parents))
		return false;
	for (size_t i = 0; i < json_object_array_length(parents); i++)
		if (obj_int(json_object_array_get_idx(parents, i), "tgid") == tgid)
			return true;
	return false;
}

static const struct exec_case {
	const char *name;
	const char *comm;	/* comm filter */
	int want;		/* marked execs expected in the report */
} exec_cases[] = {
	{ "comm filter", "true", EXECS },
	{ "no filter", "", EXECS },
	{ "comm filter, no match", "hld-nomatch", 0 },
};

/* The ground-truth test `hldbench diag exec-monitor --test` runs. */
START_TEST(test_exec_ground_truth)
{
	char why[256];
	const char *skip = execmon_unavailable(why, sizeof(why));

	if (skip) {
		printf("SKIP check_execmon ground truth: %s\n", skip);
		return;
	}
	ck_assert_int_eq(diag_test__run(&bpf_exec_monitor_ops, stdout), 0);
}
END_TEST

START_TEST(test_exec_filter)
{
	const struct exec_case *c = &exec_cases[_i];
	struct json_object *root, *recs;
	struct hld_exec_settings s;
	struct diag_feature *f;
	char why[256], dir[64], marker[64], path[128], idx[EXECS][8];
	bool seen[EXECS] = { false };
	const char *skip;
	int found = 0;

	skip = execmon_unavailable(why, sizeof(why));
	if (skip) {
		printf("SKIP check_execmon filter %s: %s\n", c->name, skip);
		return;
	}
	ck_assert_int_eq(opts__defaults(diag_descs[DIAG_exec_monitor].opts, &s), 0);
	snprintf(s.comm, sizeof(s.comm), "%s", c->comm);
	s.ancestor = -1;
	f = diag__open(&bpf_exec_monitor_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	snprintf(marker, sizeof(marker), "hld-execmon-%d-%d", getpid(), _i);
	for (int i = 0; i < EXECS; i++) {
		const char *argv[] = { "/bin/true", marker, idx[i], NULL };

		snprintf(idx[i], sizeof(idx[i]), "%d", i);
		ck_assert_int_eq(run_command(argv, NULL, NULL), 0);
		ck_assert_int_eq(f->ops->poll(f), 0);
	}
	for (int i = 0; i < POLLS && f->events < (uint64_t)c->want; i++) {
		usleep(DIAG_POLL_MS * 1000);
		ck_assert_int_eq(f->ops->poll(f), 0);
	}
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	report_into(f, dir);
	ck_assert_double_eq(diag_feature__metric(f, "drops"), 0);
	ck_assert_double_ge(diag_feature__metric(f, "execs"), c->want);

	snprintf(path, sizeof(path), "%s/exec.json", dir);
	root = json_object_from_file(path);
	ck_assert_msg(root, "%s does not parse", path);
	ck_assert(json_object_object_get_ex(root, "records", &recs));
	for (size_t r = 0; r < json_object_array_length(recs); r++) {
		struct json_object *rec = json_object_array_get_idx(recs, r), *argv, *parents;
		const char *a1, *a2;
		int n;

		ck_assert(json_object_object_get_ex(rec, "argv", &argv));
		if (json_object_array_length(argv) != 3)
			continue;
		a1 = json_object_get_string(json_object_array_get_idx(argv, 1));
		if (strcmp(a1, marker))
			continue;
		ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(argv, 0)), "/bin/true");
		a2 = json_object_get_string(json_object_array_get_idx(argv, 2));
		n = atoi(a2);
		ck_assert_int_ge(n, 0);
		ck_assert_int_lt(n, EXECS);
		ck_assert_msg(!seen[n], "exec %d reported twice", n);
		seen[n] = true;
		found++;
		ck_assert_str_eq(obj_str(rec, "filename"), "/bin/true");
		ck_assert_str_eq(obj_str(rec, "comm"), "true");
		ck_assert_msg(has_ancestor(rec, getpid()), "exec %d: test pid %d not in parents", n, getpid());
		/* The nearest parent is the test itself, which forked the child. */
		ck_assert(json_object_object_get_ex(rec, "parents", &parents));
		ck_assert_int_eq(obj_int(json_object_array_get_idx(parents, 0), "tgid"), getpid());
	}
	ck_assert_int_eq(found, c->want);
	json_object_put(root);
	diag__remove_dir(dir);
	diag__close(f);
}
END_TEST


/* Run @n execs of /bin/true with @marker in argv. */
static void run_execs(const char *marker, int n)
{
	for (int i = 0; i < n; i++) {
		const char *argv[] = { "/bin/true", marker, NULL };

		ck_assert_int_eq(run_command(argv, NULL, NULL), 0);
	}
}

/* Records in @dir/exec.json whose argv[1] is @marker. */
static int count_marked(const char *dir, const char *marker)
{
	struct json_object *root, *recs;
	char path[128];
	int n = 0;

	snprintf(path, sizeof(path), "%s/exec.json", dir);
	root = json_object_from_file(path);
	ck_assert_msg(root, "%s does not parse", path);
	ck_assert(json_object_object_get_ex(root, "records", &recs));
	for (size_t r = 0; r < json_object_array_length(recs); r++) {
		struct json_object *argv;

		if (json_object_object_get_ex(json_object_array_get_idx(recs, r), "argv", &argv) &&
		    json_object_array_length(argv) == 2 &&
		    !strcmp(json_object_get_string(json_object_array_get_idx(argv, 1)), marker))
			n++;
	}
	json_object_put(root);
	return n;
}

/* A process that reopens the activation in @pin and reports: the marked execs in it. */
static int reopen_report(const struct hld_exec_settings *s, const char *pin, const char *marker,
			 uint64_t *events)
{
	struct diag_feature *f = diag__open(&bpf_exec_monitor_ops, s);
	char dir[64];
	int n;

	ck_assert_ptr_nonnull(f);
	f->pin_dir = pin;
	ck_assert_int_eq(f->ops->reopen(f), 0);
	report_into(f, dir);
	*events = f->events;
	ck_assert_uint_eq(f->drops, 0);
	n = count_marked(dir, marker);
	diag__remove_dir(dir);
	diag__close(f);
	return n;
}

/*
 * `hldbench run`: two phases (activate, execs, deactivate) then a report,
 * which holds the execs of both; a second report holds none.
 */
START_TEST(test_exec_phases)
{
	enum { P1 = 4, P2 = 6 };
	struct hld_exec_settings s;
	struct diag_feature *f;
	char why[256], dir[64], marker[64];
	const char *skip = execmon_unavailable(why, sizeof(why));

	if (skip) {
		printf("SKIP check_execmon phases: %s\n", skip);
		return;
	}
	snprintf(marker, sizeof(marker), "hld-phases-%d", getpid());
	ck_assert_int_eq(opts__defaults(diag_descs[DIAG_exec_monitor].opts, &s), 0);
	s.ancestor = getpid();
	f = diag__open(&bpf_exec_monitor_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	run_execs(marker, P1);
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	run_execs(marker, 3);	/* between phases: not recorded */
	ck_assert_int_eq(f->ops->activate(f), 0);
	run_execs(marker, P2);
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	report_into(f, dir);
	ck_assert_int_eq(count_marked(dir, marker), P1 + P2);
	ck_assert_uint_eq(f->events, P1 + P2);
	diag__remove_dir(dir);
	report_into(f, dir);
	ck_assert_int_eq(count_marked(dir, marker), 0);
	ck_assert_uint_eq(f->events, 0);
	diag__remove_dir(dir);
	diag__close(f);
}
END_TEST

/*
 * A persistent activation: pinned maps and link outlive the activating
 * feature, and each report in a reopening "process" holds the execs since
 * the previous one: A, then none, then B.
 */
START_TEST(test_exec_persistent)
{
	enum { A = 7, B = 5 };
	struct hld_exec_settings s;
	struct diag_feature *f;
	char why[256], pin[64], marker[64];
	const char *skip = execmon_unavailable(why, sizeof(why));
	uint64_t events;

	if (skip) {
		printf("SKIP check_execmon persistent: %s\n", skip);
		return;
	}
	ck_assert_int_ge(diag__pin_root(), 0);
	/* Beside the activations of `hldbench diag`, under a name it never uses. */
	snprintf(pin, sizeof(pin), DIAG_PIN_ROOT "/check_execmon-%d", getpid());
	snprintf(marker, sizeof(marker), "hld-persist-%d", getpid());
	ck_assert_int_eq(mkdir(pin, 0700), 0);
	ck_assert_int_eq(opts__defaults(diag_descs[DIAG_exec_monitor].opts, &s), 0);
	s.ancestor = getpid();
	f = diag__open(&bpf_exec_monitor_ops, &s);
	ck_assert_ptr_nonnull(f);
	f->pin_dir = pin;
	ck_assert_int_eq(f->ops->activate(f), 0);
	diag__close(f);		/* as `--activate` does: the pinned link stays */

	run_execs(marker, A);
	ck_assert_int_eq(reopen_report(&s, pin, marker, &events), A);
	ck_assert_uint_eq(events, A);
	ck_assert_int_eq(reopen_report(&s, pin, marker, &events), 0);
	ck_assert_uint_eq(events, 0);
	run_execs(marker, B);
	ck_assert_int_eq(reopen_report(&s, pin, marker, &events), B);
	ck_assert_uint_eq(events, B);
	diag__remove_dir(pin);	/* `--deactivate`: the link goes with its pin */
	run_execs(marker, 1);
	ck_assert_int_eq(access(pin, F_OK), -1);
}
END_TEST

/*
 * Nothing lost silently: with a one-page ring buffer and the reader stopped,
 * N execs must come out as records or as counted drops, exactly N in all.
 */
START_TEST(test_exec_conservation)
{
	enum { N = 64 };
	struct hld_exec_settings s;
	struct diag_feature *f;
	char why[256], dir[64];
	const char *skip = execmon_unavailable(why, sizeof(why));
	double execs, drops;

	if (skip) {
		printf("SKIP check_execmon conservation: %s\n", skip);
		return;
	}
	ck_assert_int_eq(opts__defaults(diag_descs[DIAG_exec_monitor].opts, &s), 0);
	s.ancestor = getpid();	/* exactly the test's execs, whatever else runs */
	s.ringbuf_size = 4096;
	f = diag__open(&bpf_exec_monitor_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	for (int i = 0; i < N; i++) {
		const char *argv[] = { "/bin/true", "hld-conservation", NULL };

		ck_assert_int_eq(run_command(argv, NULL, NULL), 0);
	}
	ck_assert_int_eq(f->ops->poll(f), 0);
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	report_into(f, dir);
	execs = diag_feature__metric(f, "execs");
	drops = diag_feature__metric(f, "drops");
	ck_assert_msg(drops > 0, "a %d-byte ring buffer held all %d records", 4096, N);
	ck_assert_msg(execs + drops == N, "received %.0f + dropped %.0f != %d", execs, drops, N);
	ck_assert_uint_eq(f->events + f->drops, N);
	diag__remove_dir(dir);
	diag__close(f);
}
END_TEST

/* With no activation there is nothing to report, and the report says so. */
START_TEST(test_exec_empty)
{
	struct diag_feature *f = diag__open(&bpf_exec_monitor_ops, NULL);
	char dir[64];

	ck_assert_ptr_nonnull(f);
	report_into(f, dir);
	ck_assert_double_eq(diag_feature__metric(f, "execs"), 0);
	ck_assert_double_eq(diag_feature__metric(f, "drops"), 0);
	diag__remove_dir(dir);
	diag__close(f);
}
END_TEST

static Suite *execmon_suite(void)
{
	Suite *s = suite_create("execmon");
	TCase *tc;

	tc = tcase_create("report");
	tcase_add_test(tc, test_exec_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("truth");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_exec_ground_truth);
	suite_add_tcase(s, tc);

	tc = tcase_create("filters");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_exec_filter, 0, sizeof(exec_cases) / sizeof(exec_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("drain");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_exec_phases);
	tcase_add_test(tc, test_exec_persistent);
	suite_add_tcase(s, tc);

	tc = tcase_create("conservation");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_exec_conservation);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(execmon_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
