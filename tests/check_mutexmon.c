// SPDX-License-Identifier: GPL-2.0
/*
 * check_mutexmon.c - mutex-monitor on the eBPF backend: the ground-truth
 * test (harness/truth-mutex-monitor.c: a pipe's mutex held in a userfaultfd
 * fault with four threads queued on it), the empty report with its caveat
 * on hold time, and persistent activations (no filter, and filtered to
 * init) that see the ground-truth test's waits from beside it: its four
 * pipe_write waits, or none; then, in the next report, none. Needs root,
 * BPF and the lock tracepoints; skips with the reason otherwise.
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

#define LCB_F_MUTEX	(1u << 5)
#define TRUTH_COMM	"hld-pipemutex"	/* the ground-truth test's process */
#define TRUTH_WAITERS	4		/* its waits on the pipe mutex */

/* NULL if the feature can run here, else a reason to skip. */
static const char *mutexmon_unavailable(char *why, size_t len)
{
	if (geteuid() != 0)
		return "needs root";
	if (bpf_mutex_monitor_ops.probe(why, len))
		return why;
	return NULL;
}

/*
 * Run @f's report into a fresh directory; returns its mutex.json parsed and,
 * if @caveat, whether mutex.txt says hold time is not available.
 */
static struct json_object *report(struct diag_feature *f, bool *caveat)
{
	char dir[] = "/tmp/check_mutexmon.XXXXXX", path[128], line[256];
	struct diag_outputs out = { .dir = dir };
	struct json_object *root;
	struct json_writer j;
	FILE *null = fopen("/dev/null", "w"), *in;

	ck_assert_ptr_nonnull(null);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	json__init(&j, null, false);
	json__begin_object(&j, NULL);
	out.json = &j;
	ck_assert_int_eq(f->ops->report(f, &out), 0);
	json__end_object(&j);
	fclose(null);
	snprintf(path, sizeof(path), "%s/mutex.json", dir);
	root = json_object_from_file(path);
	ck_assert_msg(root, "%s does not parse", path);
	snprintf(path, sizeof(path), "%s/mutex.txt", dir);
	in = fopen(path, "r");
	ck_assert_ptr_nonnull(in);
	while (caveat && fgets(line, sizeof(line), in))
		if (strstr(line, "hold time: not available on this kernel (needs kprobes)") ||
		    strstr(line, "hold time: not available on the eBPF backend"))
			*caveat = true;
	fclose(in);
	diag__remove_dir(dir);
	return root;
}

static json_object *obj_get(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* Does the "kstack" array of @row hold a frame whose name contains @name? */
static bool stack_has(json_object *row, const char *name)
{
	json_object *st = obj_get(row, "kstack");

	for (size_t i = 0; st && i < json_object_array_length(st); i++)
		if (strstr(json_object_get_string(json_object_array_get_idx(st, i)), name))
			return true;
	return false;
}

/* The waits of the ground-truth process on its pipe mutex in the report @root. */
static uint64_t truth_waits(json_object *root)
{
	json_object *locks = obj_get(root, "locks");
	uint64_t n = 0;

	ck_assert_ptr_nonnull(locks);
	for (size_t i = 0; i < json_object_array_length(locks); i++) {
		json_object *row = json_object_array_get_idx(locks, i);
		const char *comm = json_object_get_string(obj_get(row, "waiter_comm"));

		if (comm && !strcmp(comm, TRUTH_COMM) &&
		    (json_object_get_int64(obj_get(row, "flags")) & LCB_F_MUTEX) &&
		    stack_has(row, "pipe_write"))
			n += json_object_get_int64(obj_get(row, "count"));
	}
	return n;
}

/* With no activation there is nothing to report, and the header keeps the caveat. */
START_TEST(test_mutex_empty)
{
	struct diag_feature *f = diag__open(&bpf_mutex_monitor_ops, NULL);
	struct json_object *root;
	bool caveat = false;

	ck_assert_ptr_nonnull(f);
	root = report(f, &caveat);
	ck_assert(caveat);
	ck_assert_ptr_nonnull(obj_get(root, "hold_time"));
	ck_assert_double_eq(diag_feature__metric(f, "contentions"), 0);
	ck_assert_double_eq(diag_feature__metric(f, "drops"), 0);
	json_object_put(root);
	diag__close(f);
}
END_TEST

START_TEST(test_truth)
{
	char why[256];
	const char *skip = mutexmon_unavailable(why, sizeof(why));

	if (skip) {
		printf("SKIP check_mutexmon truth: %s\n", skip);
		return;
	}
	ck_assert_int_eq(diag_test__run(&bpf_mutex_monitor_ops, stdout), 0);
}
END_TEST

static const struct persist_case {
	const char *name;
	int tgid;		/* the activation's filter */
	uint64_t waits;		/* ground-truth waits it must see */
} persist_cases[] = {
	{ "no filter", -1, TRUTH_WAITERS },
	{ "tgid filter: init only", 1, 0 },
};

/* A process that reopens the activation in @pin and reports: the ground-truth waits in it. */
static uint64_t reopen_report(const struct hld_mutex_settings *s, const char *pin)
{
	struct diag_feature *f = diag__open(&bpf_mutex_monitor_ops, s);
	struct json_object *root;
	uint64_t n;

	ck_assert_ptr_nonnull(f);
	f->pin_dir = pin;
	ck_assert_int_eq(f->ops->reopen(f), 0);
	root = report(f, NULL);
	n = truth_waits(root);
	ck_assert_ptr_nonnull(obj_get(root, "drops"));
	json_object_put(root);
	diag__close(f);
	return n;
}

/*
 * A persistent activation beside the ground-truth test's private one: its
 * report from a reopening "process" holds the test's waits (or none, when
 * filtered to init), and the next report none of them.
 */
START_TEST(test_persistent)
{
	const struct persist_case *c = &persist_cases[_i];
	struct hld_mutex_settings s;
	struct diag_feature *f;
	char why[256], pin[64];
	const char *skip = mutexmon_unavailable(why, sizeof(why));
	FILE *null;

	if (skip) {
		printf("SKIP check_mutexmon persistent %s: %s\n", c->name, skip);
		return;
	}
	ck_assert_int_ge(diag__pin_root(), 0);
	/* Beside the activations of `hldbench diag`, under a name it never uses. */
	snprintf(pin, sizeof(pin), DIAG_PIN_ROOT "/check_mutexmon-%d", getpid());
	ck_assert_int_eq(mkdir(pin, 0700), 0);
	ck_assert_int_eq(opts__defaults(diag_descs[DIAG_mutex_monitor].opts, &s), 0);
	s.tgid = c->tgid;
	f = diag__open(&bpf_mutex_monitor_ops, &s);
	ck_assert_ptr_nonnull(f);
	f->pin_dir = pin;
	ck_assert_int_eq(f->ops->activate(f), 0);
	diag__close(f);		/* as `--activate` does: the pinned links stay */

	null = fopen("/dev/null", "w");
	ck_assert_ptr_nonnull(null);
	ck_assert_int_eq(diag_test__run(&bpf_mutex_monitor_ops, null), 0);
	fclose(null);
	ck_assert_uint_eq(reopen_report(&s, pin), c->waits);
	ck_assert_uint_eq(reopen_report(&s, pin), 0);
	diag__remove_dir(pin);	/* `--deactivate`: the links go with their pins */
	ck_assert_int_eq(access(pin, F_OK), -1);
}
END_TEST

static Suite *mutexmon_suite(void)
{
	Suite *s = suite_create("mutexmon");
	TCase *tc;

	tc = tcase_create("report");
	tcase_add_test(tc, test_mutex_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("truth");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_truth);
	suite_add_tcase(s, tc);

	tc = tcase_create("persistent");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_persistent, 0,
			    sizeof(persist_cases) / sizeof(persist_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mutexmon_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
