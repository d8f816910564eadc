// SPDX-License-Identifier: GPL-2.0
/*
 * check_diag_cli.c - `hldbench diag FEATURE --activate ... --report ...
 * --deactivate`: an activation outlives the command that made it, a second
 * process reports what it collected, and bad input is refused.
 *
 * Uses sys-cost, whose ground truth is exact: N getppid() calls from one
 * process are counted N times, and alloc-top: N touched pages. Needs root
 * and BPF.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run-command.h"

#define CALLS 50000

static const char *hldbench = "build/hldbench";

/* The backend asked for ("--backend=kmod"), or NULL: the default. */
static const char *backend_opt;

/* Run `hldbench diag FEATURE [--backend=..] ARGS...`, output into @out; returns the exit code. */
static int diag_feature(const char *feature, const char *out, const char *a1, const char *a2)
{
	const char *argv[] = { hldbench, "diag", feature, a1, a2, NULL, NULL };

	if (backend_opt) {
		argv[3] = backend_opt;
		argv[4] = a1;
		argv[5] = a2;
	}
	return run_command(argv, out, out);
}

static int diag(const char *out, const char *a1, const char *a2)
{
	return diag_feature("sys-cost", out, a1, a2);
}

/* The count in @path's "getppid" row, or -1. */
static long getppid_count(const char *path)
{
	char line[512];
	long n = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (n < 0 && fgets(line, sizeof(line), f))
		if (!strncmp(line, "getppid ", 8))
			sscanf(line + 8, "%ld", &n);
	fclose(f);
	return n;
}

static bool file_has(const char *path, const char *text)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, text) != NULL;
}

/* The backends the persistent sys-cost case runs on; the loop index picks one. */
static const char *const backends[] = { "--backend=bpf", "--backend=kmod" };

START_TEST(test_activate_report_deactivate)
{
	const char *out = "/tmp/hld-diag-cli.out";
	char act[64];
	int go[2];
	pid_t child;

	backend_opt = backends[_i];
	if (!strcmp(backend_opt, "--backend=kmod") && access("/dev/hld", F_OK)) {
		printf("SKIP %s: kmod: no /dev/hld (hld.ko not loaded)\n", __func__);
		return;
	}
	diag(out, "--deactivate", NULL);	/* a leftover from an earlier run */
	ck_assert_int_eq(pipe(go), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		for (int i = 0; i < CALLS; i++)
			syscall(SYS_getppid);
		_exit(0);
	}
	close(go[0]);
	snprintf(act, sizeof(act), "--activate=tgid=%d top=50", child);
	ck_assert_int_eq(diag(out, act, "--settings"), 0);
	ck_assert(file_has(out, "sys-cost activated"));
	/* The activation is still there: a second one is refused. */
	ck_assert_int_eq(diag(out, "--activate", NULL), 2);
	ck_assert(file_has(out, "already active"));

	ck_assert_int_eq(write(go[1], "g", 1), 1);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);

	/* Another process reports what the pinned programs counted. */
	ck_assert_int_eq(diag(out, "--report", NULL), 0);
	ck_assert_int_eq(getppid_count(out), CALLS);
	ck_assert(file_has(out, "0 dropped"));

	ck_assert_int_eq(diag(out, "--deactivate", NULL), 0);
	ck_assert_int_eq(diag(out, "--report", NULL), 1);
	ck_assert(file_has(out, "not active"));
	unlink(out);
	backend_opt = NULL;
}
END_TEST

/* alloc-top, persistently: a child touching PAGES pages is charged for them. */
START_TEST(test_alloctop_persistent)
{
	enum { PAGES = 10000 };
	const char *out = "/tmp/hld-diag-cli-alloc.out";
	char act[64], line[512];
	long pid = 0, pages = -1;
	int go[2];
	pid_t child;
	FILE *f;

	diag_feature("alloc-top", out, "--deactivate", NULL);
	ck_assert_int_eq(pipe(go), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		char c, *p;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		p = mmap(NULL, PAGES * 4096L, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		madvise(p, PAGES * 4096L, MADV_NOHUGEPAGE);
		for (long i = 0; i < PAGES; i++)
			p[i * 4096] = 1;
		_exit(0);
	}
	close(go[0]);
	snprintf(act, sizeof(act), "--activate=tgid=%d", child);
	ck_assert_int_eq(diag_feature("alloc-top", out, act, NULL), 0);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	ck_assert_int_eq(diag_feature("alloc-top", out, "--report", "--deactivate"), 0);
	f = fopen(out, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %ld %*s %ld", &pid, &pages) == 2 && pid == child)
			break;
	fclose(f);
	ck_assert_int_eq(pid, child);
	/* Page tables and the child's other allocations add a little (check_alloctop). */
	ck_assert_msg(pages >= PAGES && pages < PAGES + 1000, "alloc-top charged %ld pages", pages);
	unlink(out);
}
END_TEST

static const struct bad_case {
	const char *arg;
	int status;
	const char *msg;
} bad_cases[] = {
	{ "--activate=bogus=1", 2, "bogus: unknown key" },
	{ "--activate=top=0", 2, "top: out of range: 0 (accepted 1..100000)" },
	{ "--activate=tgid", 2, "expected key=value" },
	{ "--activatex", 2, "unknown option" },
	{ "--report=json=2", 2, "json: '2': accepted: 0 or 1" },
	{ "--report=flame", 2, "'flame': expected key=value" },
	{ "--report=svg=x.svg", 2, "svg: unknown key (accepted: json=0|1, flame=FILE.svg, folded=FILE)" },
	{ "--tests", 2, "unknown option '--tests'" },
};

START_TEST(test_bad_input)
{
	const struct bad_case *c = &bad_cases[_i];
	const char *out = "/tmp/hld-diag-cli-bad.out";

	ck_assert_int_eq(diag(out, c->arg, NULL), c->status);
	ck_assert_msg(file_has(out, c->msg), "%s: no '%s' in the output", c->arg, c->msg);
	unlink(out);
}
END_TEST

/* --test runs sys-cost's ground-truth test and says how it went. */
START_TEST(test_truth)
{
	const char *out = "/tmp/hld-diag-cli-test.out";

	ck_assert_int_eq(diag(out, "--test", NULL), 0);
	ck_assert(file_has(out, "getppid calls of the child: expected 100000, got 100000  ok"));
	ck_assert(file_has(out, "sys-cost: PASS"));
	unlink(out);
}
END_TEST

/* The sum of the counts of the folded file @path, or -1. */
static long folded_total(const char *path)
{
	char line[8192];
	long sum = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *sp = strrchr(line, ' ');

		if (sp)
			sum += atol(sp + 1);
	}
	fclose(f);
	return sum;
}

/*
 * --report="folded=F flame=F.svg" writes the stacks collected since the
 * last report: 5 forks by a child, seen by a persistent tracepoint
 * activation filtered to it, then none.
 */
START_TEST(test_report_stacks)
{
	const char *out = "/tmp/hld-diag-cli-stacks.out", *folded = "/tmp/hld-diag-cli.folded";
	const char *svg = "/tmp/hld-diag-cli.svg";
	char act[128], rep[256], b;
	int go[2];
	pid_t child;

	ck_assert_int_eq(pipe(go), 0);
	child = fork();
	if (child == 0) {
		close(go[1]);
		if (read(go[0], &b, 1) != 1)
			_exit(1);
		for (int i = 0; i < 5; i++) {
			pid_t pid = fork();

			if (pid == 0)
				_exit(0);
			waitpid(pid, NULL, 0);
		}
		_exit(0);
	}
	close(go[0]);
	snprintf(act, sizeof(act), "--activate=name=sched:sched_process_fork tgid=%d", child);
	snprintf(rep, sizeof(rep), "--report=folded=%s flame=%s", folded, svg);
	ck_assert_int_eq(diag_feature("tracepoint", out, act, NULL), 0);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	close(go[1]);
	waitpid(child, NULL, 0);
	ck_assert_int_eq(diag_feature("tracepoint", out, rep, NULL), 0);
	ck_assert_int_eq(folded_total(folded), 5);
	ck_assert(file_has(svg, "<svg"));
	ck_assert_int_eq(diag_feature("tracepoint", out, rep, "--deactivate"), 0);
	ck_assert_int_eq(folded_total(folded), 0);
	ck_assert(file_has(out, "no stacks since the last report"));
	ck_assert_int_eq(diag(out, "--report=folded=/tmp/hld-diag-cli-none", NULL), 1);
	unlink(out);
	unlink(folded);
	unlink(svg);
}
END_TEST

/* --help names the feature's settings with their ranges. */
START_TEST(test_feature_help)
{
	const char *out = "/tmp/hld-diag-cli-help.out";

	ck_assert_int_eq(diag(out, "--help", NULL), 0);
	ck_assert(file_has(out, "--test"));
	ck_assert(file_has(out, "tgid = INTEGER"));
	unlink(out);
}
END_TEST

static Suite *diag_cli_suite(void)
{
	Suite *s = suite_create("diag_cli");
	TCase *tc = tcase_create("persistent");

	if (geteuid() != 0 || access("/sys/kernel/btf/vmlinux", R_OK) || access(hldbench, X_OK)) {
		printf("SKIP: diag command set: needs root, BTF and a built hldbench\n");
		return s;
	}
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_activate_report_deactivate, 0,
			    sizeof(backends) / sizeof(backends[0]));
	tcase_add_loop_test(tc, test_bad_input, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_alloctop_persistent);
	tcase_add_test(tc, test_truth);
	tcase_add_test(tc, test_report_stacks);
	tcase_add_test(tc, test_feature_help);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (getenv("HLDBENCH"))
		hldbench = getenv("HLDBENCH");
	sr = srunner_create(diag_cli_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
