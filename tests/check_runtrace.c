// SPDX-License-Identifier: GPL-2.0
/*
 * check_runtrace.c - run-trace on the eBPF backend: the ground-truth test
 * (harness/truth-run-trace.c: spins and sleeps against the thread's own
 * clocks, and a drained second report), the max-events cap, the required
 * pid, and a persistent activation whose reports, each from a reopening
 * "process", hold the intervals since the previous one. The workload here is
 * a thread that makes a known number of short nanosleep() calls: each is
 * exactly one sleeping (S) off-CPU interval. Needs root and BPF; skips with
 * the reason.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag-test.h"
#include "diag.h"
#include "hld_settings.h"


/* NULL if the feature can run here, else a reason to skip. */
static const char *runtrace_unavailable(char *why, size_t len)
{
	if (geteuid() != 0)
		return "needs root";
	if (bpf_run_trace_ops.probe(why, len))
		return why;
	return NULL;
}

/* @n nanosleep() calls of 1 ms: n sleeping intervals. */
static int sleep_n(int n)
{
	struct timespec ts = { 0, 1000000 };

	for (int i = 0; i < n; i++)
		if (nanosleep(&ts, NULL))
			return 1;
	return 0;
}

/* Run @f's report into a fresh directory, removed after. */
static void report(struct diag_feature *f)
{
	char dir[] = "/tmp/check_runtrace.XXXXXX";
	struct diag_outputs out = { .dir = dir };
	struct json_writer j;
	FILE *null = fopen("/dev/null", "w");

	ck_assert_ptr_nonnull(null);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	json__init(&j, null, false);
	json__begin_object(&j, NULL);
	out.json = &j;
	ck_assert_int_eq(f->ops->report(f, &out), 0);
	json__end_object(&j);
	fclose(null);
	diag__remove_dir(dir);
}

static struct hld_runtrace_settings defaults(void)
{
	struct hld_runtrace_settings s;

	ck_assert_int_eq(opts__defaults(diag_descs[DIAG_run_trace].opts, &s), 0);
	return s;
}

START_TEST(test_truth)
{
	char why[256];
	const char *skip = runtrace_unavailable(why, sizeof(why));

	if (skip) {
		printf("SKIP check_runtrace truth: %s\n", skip);
		return;
	}
	ck_assert_int_eq(diag_test__run(&bpf_run_trace_ops, stdout), 0);
}
END_TEST

static int sleep_20(void *arg)
{
	return sleep_n(20);
}

/* max-events 5: five records, every other interval a drop, the totals complete. */
START_TEST(test_cap)
{
	struct hld_runtrace_settings s = defaults();
	struct diag_feature *f;
	struct diag_child c;
	char why[256];
	const char *skip = runtrace_unavailable(why, sizeof(why));

	if (skip) {
		printf("SKIP check_runtrace cap: %s\n", skip);
		return;
	}
	ck_assert_int_eq(diag_child__start(&c, "hld-rt-cap", sleep_20, NULL), 0);
	s.pid = c.pid;
	s.max_events = 5;
	f = diag__open(&bpf_run_trace_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	ck_assert_int_eq(diag_child__go(&c), 0);
	ck_assert_int_eq(diag_child__wait(&c), 0);
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	report(f);
	ck_assert_uint_eq(diag_feature__metric(f, "events"), 5);
	/* >= 2 intervals a sleep (on CPU, off CPU), each beyond the cap a drop. */
	ck_assert_uint_ge(diag_feature__metric(f, "drops"), 2 * 20 - 5);
	ck_assert_uint_eq(diag_feature__metric(f, "offcpu_sleep_intervals"), 20);
	diag__close(f);
}
END_TEST

START_TEST(test_pid_required)
{
	struct hld_runtrace_settings s = defaults();
	struct diag_feature *f = diag__open(&bpf_run_trace_ops, &s);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), -EINVAL);
	diag__close(f);
}
END_TEST

/* The persistent workload: on each byte read from @go, @n[i] sleeps, then a byte on @done. */
static void __attribute__((noreturn)) two_phases(int go, int done, const int *n)
{
	char b;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (int i = 0; i < 2; i++) {
		if (read(go, &b, 1) != 1 || sleep_n(n[i]) || write(done, "d", 1) != 1)
			_exit(1);
	}
	_exit(0);
}

/* A process that reopens the activation in @pin and reports: its S intervals and records. */
static uint64_t reopen_report(const struct hld_runtrace_settings *s, const char *pin,
			      uint64_t *events)
{
	struct diag_feature *f = diag__open(&bpf_run_trace_ops, s);
	uint64_t sleeps;

	ck_assert_ptr_nonnull(f);
	f->pin_dir = pin;
	ck_assert_int_eq(f->ops->reopen(f), 0);
	report(f);
	sleeps = diag_feature__metric(f, "offcpu_sleep_intervals");
	*events = f->events;
	ck_assert_uint_eq(diag_feature__metric(f, "drops"), 0);
	diag__close(f);
	return sleeps;
}

/* Run the next phase of the workload and wait for its end. */
static void phase(int go, int done)
{
	char b;

	ck_assert_int_eq(write(go, "g", 1), 1);
	ck_assert_int_eq(read(done, &b, 1), 1);
}

/* Wait until process @pid sleeps (state S), for at most 5 s. */
static void wait_sleeping(pid_t pid)
{
	char path[64], buf[512], *p = NULL;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (int i = 0; i < 5000 && !(p && p[1] == ' ' && p[2] == 'S'); i++) {
		FILE *in = fopen(path, "r");
		size_t n = in ? fread(buf, 1, sizeof(buf) - 1, in) : 0;

		if (in)
			fclose(in);
		buf[n] = '\0';
		p = strrchr(buf, ')');
		usleep(1000);
	}
	ck_assert_msg(p && p[2] == 'S', "process %d did not go to sleep", pid);
}

/*
 * A persistent activation: pinned maps and links outlive the activating
 * feature, and each report in a reopening "process" holds the intervals
 * since the previous one: A sleeps, then none, then B sleeps and the wait
 * for the second phase (it ended with that phase's start). The wait for the
 * first phase began before the activation: not an interval of the trace.
 */
START_TEST(test_persistent)
{
	static const int n[2] = { 7, 5 };
	struct hld_runtrace_settings s = defaults();
	int go[2], done[2], status;
	struct diag_feature *f;
	char why[256], pin[64];
	const char *skip = runtrace_unavailable(why, sizeof(why));
	uint64_t events;
	pid_t pid;

	if (skip) {
		printf("SKIP check_runtrace persistent: %s\n", skip);
		return;
	}
	ck_assert_int_ge(diag__pin_root(), 0);
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(done), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		two_phases(go[0], done[1], n);
	/* Beside the activations of `hldbench diag`, under a name it never uses. */
	snprintf(pin, sizeof(pin), DIAG_PIN_ROOT "/check_runtrace-%d", getpid());
	ck_assert_int_eq(mkdir(pin, 0700), 0);
	wait_sleeping(pid);
	s.pid = pid;
	f = diag__open(&bpf_run_trace_ops, &s);
	ck_assert_ptr_nonnull(f);
	f->pin_dir = pin;
	ck_assert_int_eq(f->ops->activate(f), 0);
	diag__close(f);		/* as `--activate` does: the pinned links stay */
	ck_assert_int_eq(access(strcat(strcpy(why, pin), "/link_runtrace_switch"), F_OK), 0);

	phase(go[1], done[0]);
	ck_assert_uint_eq(reopen_report(&s, pin, &events), n[0]);
	ck_assert_uint_ge(events, 2 * n[0]);
	ck_assert_uint_eq(reopen_report(&s, pin, &events), 0);
	ck_assert_uint_eq(events, 0);
	phase(go[1], done[0]);
	ck_assert_uint_eq(reopen_report(&s, pin, &events), n[1] + 1);
	ck_assert_uint_ge(events, 2 * n[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	diag__remove_dir(pin);	/* `--deactivate`: the links go with their pins */
	ck_assert_int_eq(access(pin, F_OK), -1);
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
}
END_TEST

static Suite *runtrace_suite(void)
{
	Suite *s = suite_create("runtrace");
	TCase *tc;

	tc = tcase_create("truth");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_truth);
	suite_add_tcase(s, tc);

	tc = tcase_create("cap");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("settings");
	tcase_add_test(tc, test_pid_required);
	suite_add_tcase(s, tc);

	tc = tcase_create("persistent");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_persistent);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(runtrace_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
