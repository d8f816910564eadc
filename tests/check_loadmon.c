// SPDX-License-Identifier: GPL-2.0
/*
 * check_loadmon.c - load-monitor on the eBPF backend, run for real against
 * processes this test holds in D state (vfork waits) or spinning in R
 * state: the ground-truth test, what a capture shows, its accounting
 * (per-capture cap, rate limit, conservation with the reader stopped), and
 * the persistent activation's drain (a second report shows nothing of what
 * the first showed). The cases
 * need root and a working BPF; without them they print why and skip.
 */
#include <check.h>
#include <dirent.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag-test.h"
#include "diag.h"
#include "dstate.h"
#include "run-command.h"

static const char *hldbench = "build/hldbench";

/* NULL if BPF works here, else a reason to skip (printed by the caller). */
static const char *bpf_unavailable(char *why, size_t len)
{
	if (geteuid() != 0)
		return "needs root";
	if (bpf_load_monitor_ops.probe(why, len))
		return why;
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Does the file @dir/@name hold a line starting with @prefix? */
static bool file_has_line(const char *dir, const char *name, const char *prefix)
{
	char path[512], line[4096];
	bool found = false;
	FILE *in;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	in = fopen(path, "r");
	if (!in)
		return false;
	while (!found && fgets(line, sizeof(line), in))
		found = !strncmp(line, prefix, strlen(prefix));
	fclose(in);
	return found;
}

/* A private activation driven through the diag-test frame (report into t->dir). */
static void test_begin(struct diag_test *t)
{
	memset(t, 0, sizeof(*t));
	t->ops = &bpf_load_monitor_ops;
	t->desc = &diag_descs[DIAG_load_monitor];
	t->out = stdout;
	strcpy(t->dir, "/tmp/check_loadmon.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
}

static void test_end(struct diag_test *t)
{
	diag__close(t->f);
	if (t->summary)
		json_object_put(t->summary);
	diag__remove_dir(t->dir);
}

static double num_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : -1;
}

/* --- truth ---------------------------------------------------------------- */

START_TEST(test_truth)
{
	char why[256];
	const char *skip = bpf_unavailable(why, sizeof(why));

	if (skip) {
		printf("SKIP check_loadmon truth: %s\n", skip);
		return;
	}
	ck_assert_int_eq(diag_test__run(&bpf_load_monitor_ops, stdout), 0);
}
END_TEST

/* --- what a capture shows ----------------------------------------------- */

static volatile unsigned long sink;

/* A child named @comm that spins on the CPU: R state. */
static pid_t start_spinner(const char *comm)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_NAME, comm);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			sink++;
	}
	return pid;
}

static const struct show_case {
	const char *name;
	bool spinner;		/* also a spinning process, which must show as R */
} show_cases[] = {
	{ "D: vfork parent", false },
	{ "R: a spinner captured with the D task", true },
};

/*
 * One process in D state crosses task.d=1: its line "pid tgid comm D" (and
 * the spinner's "... R") is in loadmon.txt, its comm in loadmon.folded,
 * and the checks in loadmon-checks.csv.
 */
START_TEST(test_show)
{
	const struct show_case *c = &show_cases[_i];
	struct diag_test t;
	struct dstate *d;
	char why[256], want[128];
	const char *skip = bpf_unavailable(why, sizeof(why));
	pid_t spin = -1, dpid;
	int err;

	if (skip) {
		printf("SKIP check_loadmon show %s: %s\n", c->name, skip);
		return;
	}
	test_begin(&t);
	if (c->spinner) {
		spin = start_spinner("hld-lm-spin");
		ck_assert_int_gt(spin, 0);
	}
	ck_assert_int_eq(diag_test__activate(&t, "task.d=1 min-gap=100ms"), 0);
	d = dstate__hold(1, "hld-lm-show", 10000, &err);
	ck_assert_ptr_nonnull(d);
	dpid = dstate__pid(d, 0);
	ck_assert_int_eq(dstate__wait_blocked(d, 2000), 0);
	sleep_ms(300);
	ck_assert_int_eq(dstate__release(d), 0);
	if (spin > 0) {
		kill(spin, SIGKILL);
		waitpid(spin, NULL, 0);
	}
	ck_assert_int_eq(diag_test__collect(&t), 0);
	ck_assert_double_ge(diag_feature__metric(t.f, "captures"), 1);
	ck_assert_double_ge(diag_feature__metric(t.f, "checks"), 10);
	ck_assert_double_ge(diag_feature__metric(t.f, "max_d"), 1);
	snprintf(want, sizeof(want), "  %d %d hld-lm-show D\n", dpid, dpid);
	ck_assert_msg(file_has_line(t.dir, "loadmon.txt", want), "%s/loadmon.txt has no line %s",
		      t.dir, want);
	if (spin > 0) {
		snprintf(want, sizeof(want), "  %d %d hld-lm-spin R\n", spin, spin);
		ck_assert_msg(file_has_line(t.dir, "loadmon.txt", want),
			      "%s/loadmon.txt has no line %s", t.dir, want);
	}
	ck_assert(file_has_line(t.dir, "loadmon-checks.csv", "t_ns,r,d"));
	ck_assert(file_has_line(t.dir, "loadmon.folded", "hld-lm-show;"));
	test_end(&t);
}
END_TEST

/* --- accounting --------------------------------------------------------- */

static const struct account_case {
	const char *name;
	const char *settings;		/* with task.d=%d */
	int nr_d;			/* processes held in D */
	bool one_capture;		/* min-gap longer than the test: exactly one capture */
} account_cases[] = {
	{ "max-tasks=1: the rest dropped", "task.d=%d max-tasks=1 min-gap=0", 3, false },
	{ "min-gap=60s: one capture, the rest rate limited", "task.d=%d min-gap=60s", 2, true },
};

/*
 * Held D tasks cross task.d repeatedly. Whatever the settings, each
 * capture's R + D equals emitted + dropped and emitted equals the tasks
 * listed; the max-tasks drops are the sum of the captures' dropped; every
 * crossing check was captured or rate limited.
 */
START_TEST(test_account)
{
	const struct account_case *c = &account_cases[_i];
	json_object *rep, *caps, *cap, *tasks, *by;
	double dropped = 0, emitted = 0;
	struct diag_test t;
	struct dstate *d;
	char why[256];
	const char *skip = bpf_unavailable(why, sizeof(why));
	int err;
	size_t nc;

	if (skip) {
		printf("SKIP check_loadmon account %s: %s\n", c->name, skip);
		return;
	}
	test_begin(&t);
	ck_assert_int_eq(diag_test__activate(&t, c->settings, c->nr_d), 0);
	d = dstate__hold(c->nr_d, "hld-lm-acct", 10000, &err);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(dstate__wait_blocked(d, 2000), 0);
	sleep_ms(300);
	ck_assert_int_eq(dstate__release(d), 0);
	ck_assert_int_eq(diag_test__collect(&t), 0);
	rep = diag_test__json(&t, "loadmon.json");
	ck_assert_ptr_nonnull(rep);
	ck_assert(json_object_object_get_ex(rep, "captures", &caps));
	ck_assert(json_object_object_get_ex(rep, "drops_by_cause", &by));
	nc = json_object_array_length(caps);
	ck_assert_uint_ge(nc, 1);
	for (size_t i = 0; i < nc; i++) {
		cap = json_object_array_get_idx(caps, i);
		ck_assert(json_object_object_get_ex(cap, "tasks", &tasks));
		ck_assert_double_eq(num_of(cap, "r") + num_of(cap, "d"),
				    num_of(cap, "emitted") + num_of(cap, "dropped"));
		ck_assert_double_eq(num_of(cap, "emitted"), json_object_array_length(tasks));
		ck_assert_double_ge(num_of(cap, "d"), c->nr_d);
		dropped += num_of(cap, "dropped");
		emitted += num_of(cap, "emitted");
	}
	ck_assert_double_eq(num_of(by, "ringbuf_full"), 0);
	ck_assert_double_eq(num_of(by, "max_tasks"), dropped);
	ck_assert_double_eq(num_of(rep, "events"), emitted);
	ck_assert_uint_eq(t.f->events, emitted);
	if (c->one_capture) {
		ck_assert_uint_eq(nc, 1);
		ck_assert_double_eq(num_of(by, "rate_limit"), num_of(rep, "checks_crossed") - 1);
		ck_assert_double_ge(num_of(by, "rate_limit"), 10);
	} else {
		ck_assert_double_eq(num_of(rep, "checks_crossed"), nc);
		ck_assert_double_eq(num_of(by, "rate_limit"), 0);
		for (size_t i = 0; i < nc; i++)
			ck_assert_double_eq(num_of(json_object_array_get_idx(caps, i), "emitted"), 1);
	}
	json_object_put(rep);
	test_end(&t);
}
END_TEST

/* --- conservation: reader stopped, small buffer ------------------------- */

/*
 * With nobody draining (no poll) and a ring buffer of 256 KiB (max-tasks=8:
 * the minimum), 4 D tasks held for 1 s at min-gap=0 overflow it (100
 * captures of at least 4 records, about 230 fit). Every R and D task the
 * walks counted was received, or dropped to the full buffer or the cap.
 */
START_TEST(test_conservation)
{
	const struct diag_desc *desc = &diag_descs[DIAG_load_monitor];
	char why[256], err_text[256];
	const char *skip = bpf_unavailable(why, sizeof(why));
	json_object *rep, *by;
	struct diag_test t;
	struct dstate *d;
	double got, rb, cap, counted;
	void *s;
	int err;

	if (skip) {
		printf("SKIP check_loadmon conservation: %s\n", skip);
		return;
	}
	test_begin(&t);
	s = calloc(1, desc->settings_size);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(opts__defaults(desc->opts, s), 0);
	ck_assert_int_eq(diag_desc__parse(desc, "task.d=4 min-gap=0 max-tasks=8", s, err_text,
					  sizeof(err_text)), 0);
	t.f = diag__open(&bpf_load_monitor_ops, s);
	free(s);
	ck_assert_ptr_nonnull(t.f);
	ck_assert_int_eq(t.f->ops->activate(t.f), 0);
	t.f->active = true;		/* no runner: nothing drains until collect */
	d = dstate__hold(4, "hld-lm-cons", 10000, &err);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(dstate__wait_blocked(d, 2000), 0);
	sleep_ms(1000);
	ck_assert_int_eq(dstate__release(d), 0);
	ck_assert_int_eq(diag_test__collect(&t), 0);
	rep = diag_test__json(&t, "loadmon.json");
	ck_assert_ptr_nonnull(rep);
	ck_assert(json_object_object_get_ex(rep, "drops_by_cause", &by));
	got = num_of(rep, "tasks_captured");
	rb = num_of(by, "ringbuf_full");
	cap = num_of(by, "max_tasks");
	counted = num_of(rep, "tasks_counted_since_activation");
	printf("conservation: %.0f counted = %.0f received + %.0f ring buffer full + %.0f over "
	       "max-tasks\n", counted, got, rb, cap);
	ck_assert_double_gt(rb, 0);
	ck_assert_double_eq(got + rb + cap, counted);
	json_object_put(rep);
	test_end(&t);
}
END_TEST

/* --- persistence: activate, report twice, deactivate ---------------------- */

/* Run `hldbench diag load-monitor ARG`; its stdout into @out. Exit code or -errno. */
static int diag_cmd(const char *arg, const char *out)
{
	const char *argv[] = { hldbench, "diag", "load-monitor", arg, NULL };

	return run_command(argv, out, "/dev/null");
}

/*
 * In the text report @path: the task lines "pid tgid @comm D" (into
 * *@tasks) and the checks of the header "# load-monitor (bpf): N checks".
 */
static long report_checks(const char *path, const char *comm, long *tasks)
{
	char line[4096], want[64];
	long checks = -1;
	FILE *in = fopen(path, "r");

	*tasks = 0;
	if (!in)
		return -1;
	snprintf(want, sizeof(want), " %s D\n", comm);
	while (fgets(line, sizeof(line), in)) {
		size_t n = strlen(line);

		if (n > strlen(want) && !strcmp(line + n - strlen(want), want))
			(*tasks)++;
		sscanf(line, "# load-monitor (bpf): %ld checks", &checks);
	}
	fclose(in);
	return checks;
}

/*
 * The activation outlives the command: D tasks held while no hldbench runs
 * show up in the first report's stacks, and not in the second (a report
 * drains); the second still has checks (the timer kept ticking); after
 * --deactivate the pin directory is gone.
 */
START_TEST(test_persist)
{
	char why[256], dir[] = "/tmp/check_loadmon.XXXXXX", out[600];
	const char *skip = bpf_unavailable(why, sizeof(why));
	struct dstate *d;
	long tasks;
	int err;

	if (skip) {
		printf("SKIP check_loadmon persist: %s\n", skip);
		return;
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/report.txt", dir);
	diag_cmd("--deactivate", "/dev/null");	/* a leftover of an interrupted run */
	ck_assert_int_eq(diag_cmd("--activate=task.d=3", "/dev/null"), 0);
	d = dstate__hold(4, "hld-lm-persist", 10000, &err);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(dstate__wait_blocked(d, 2000), 0);
	sleep_ms(200);
	ck_assert_int_eq(dstate__release(d), 0);

	ck_assert_int_eq(diag_cmd("--report", out), 0);
	ck_assert_int_ge(report_checks(out, "hld-lm-persist", &tasks), 10);
	ck_assert_int_ge(tasks, 4);
	sleep_ms(100);
	ck_assert_int_eq(diag_cmd("--report", out), 0);
	ck_assert_int_ge(report_checks(out, "hld-lm-persist", &tasks), 5);
	ck_assert_int_eq(tasks, 0);

	ck_assert_int_eq(diag_cmd("--deactivate", "/dev/null"), 0);
	ck_assert_int_ne(access("/sys/fs/bpf/hldbench/load-monitor", F_OK), 0);
	unlink(out);
	rmdir(dir);
}
END_TEST

static Suite *loadmon_suite(void)
{
	Suite *s = suite_create("loadmon");
	TCase *tc;

	tc = tcase_create("truth");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_truth);
	suite_add_tcase(s, tc);

	tc = tcase_create("capture");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_show, 0, sizeof(show_cases) / sizeof(show_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("accounting");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_account, 0, sizeof(account_cases) / sizeof(account_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("conservation");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_conservation);
	suite_add_tcase(s, tc);

	tc = tcase_create("persistence");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_persist);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(loadmon_suite());
	int failed;

	if (getenv("HLDBENCH"))
		hldbench = getenv("HLDBENCH");
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
