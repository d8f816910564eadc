// SPDX-License-Identifier: GPL-2.0
/*
 * check_run_command.c - child processes: exit codes, exec failures,
 * redirection, signal state, stopping whole groups, kill_all.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "run-command.h"

/* Read a whole small file into @buf; returns its length or -1. */
static int slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return (int)n;
}

/* A fresh scratch path under /tmp for this test process. */
static void tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/tmp/check_run_command.%d.%s", getpid(), name);
}

/* --- exit codes ----------------------------------------------------------- */

static const struct {
	const char *argv[4];
	int code;
} exit_cases[] = {
	{ { "true" }, 0 },
	{ { "false" }, 1 },
	{ { "sh", "-c", "exit 7" }, 7 },
	{ { "sh", "-c", "exit 255" }, 255 },
	{ { "sh", "-c", "kill -KILL $$" }, 128 + SIGKILL },
	{ { "sh", "-c", "kill -TERM $$" }, 128 + SIGTERM },
};

START_TEST(test_exit_code)
{
	ck_assert_int_eq(run_command(exit_cases[_i].argv, NULL, NULL), exit_cases[_i].code);
}
END_TEST

START_TEST(test_describe)
{
	struct child_process cp = { .argv = (const char *const[]){ "sh", "-c", "exit 3", NULL } };
	char buf[64];

	ck_assert_int_eq(child__start(&cp), 0);
	ck_assert_int_eq(child__wait(&cp), 0);
	ck_assert_str_eq(child__describe(cp.status, buf, sizeof(buf)), "exit 3");

	cp.argv = (const char *const[]){ "sh", "-c", "kill -SEGV $$", NULL };
	ck_assert_int_eq(child__start(&cp), 0);
	ck_assert_int_eq(child__wait(&cp), 0);
	ck_assert_str_eq(child__describe(cp.status, buf, sizeof(buf)), "killed by SIGSEGV");
}
END_TEST

/* --- exec and set-up failures ----------------------------------------------- */

static const struct {
	const char *argv[2];
	const char *out;
	int err;
} fail_cases[] = {
	{ { "hldbench-no-such-program" }, NULL, -ENOENT },
	{ { "/nonexistent/dir/prog" }, NULL, -ENOENT },
	{ { "/" }, NULL, -EACCES },		/* a directory */
	{ { "true" }, "/nonexistent/dir/out.log", -ENOENT },
	{ { NULL }, NULL, -EINVAL },
};

START_TEST(test_start_failure)
{
	struct child_process cp = {
		.argv = fail_cases[_i].argv,
		.out_path = fail_cases[_i].out,
	};

	ck_assert_int_eq(child__start(&cp), fail_cases[_i].err);
	ck_assert(!cp.running);
}
END_TEST

/* --- redirection ----------------------------------------------------------- */

START_TEST(test_redirect_split)
{
	const char *argv[] = { "sh", "-c", "echo out; echo err >&2", NULL };
	char out[256], err[256], buf[64];

	tmp_path(out, sizeof(out), "out");
	tmp_path(err, sizeof(err), "err");
	ck_assert_int_eq(run_command(argv, out, err), 0);
	ck_assert_int_eq(slurp(out, buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "out\n");
	ck_assert_int_eq(slurp(err, buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "err\n");
	unlink(out);
	unlink(err);
}
END_TEST

START_TEST(test_redirect_same_truncates)
{
	const char *argv[] = { "sh", "-c", "echo a; echo b >&2", NULL };
	char path[256], buf[64];
	FILE *f;

	tmp_path(path, sizeof(path), "both");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("old contents that must go away\n", f);
	fclose(f);
	ck_assert_int_eq(run_command(argv, path, path), 0);
	slurp(path, buf, sizeof(buf));
	ck_assert_str_eq(buf, "a\nb\n");
	unlink(path);
}
END_TEST

/* --- signal state of the child ---------------------------------------------- */

/*
 * The harness blocks and ignores signals for itself; the child must start
 * with an empty mask and default dispositions.
 */
START_TEST(test_signals_reset)
{
	const char *argv[] = { "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status", NULL };
	char path[256], buf[256];
	unsigned long long blk, ign;
	sigset_t set;

	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);

	tmp_path(path, sizeof(path), "sig");
	ck_assert_int_eq(run_command(argv, path, NULL), 0);
	slurp(path, buf, sizeof(buf));
	ck_assert_int_eq(sscanf(buf, "SigBlk:\t%llx\nSigIgn:\t%llx", &blk, &ign), 2);
	ck_assert_uint_eq(blk, 0);
	/*
	 * Signals 32 and 33 are glibc's own: libc cannot change their
	 * disposition, so an ignore inherited from our parent survives exec.
	 * Every other signal must be back to its default.
	 */
	ck_assert_uint_eq(ign & ~0x180000000ull, 0);
	unlink(path);
}
END_TEST

/* --- stopping ---------------------------------------------------------------- */

/* A plain child dies of the polite SIGTERM. */
START_TEST(test_stop_term)
{
	struct child_process cp = { .argv = (const char *const[]){ "sleep", "30", NULL } };

	ck_assert_int_eq(child__start(&cp), 0);
	ck_assert(cp.running);
	ck_assert_int_eq(child__poll(&cp), 0);
	ck_assert_int_eq(child__stop(&cp, 2000), 0);
	ck_assert(!cp.running);
	ck_assert(WIFSIGNALED(cp.status));
	ck_assert_int_eq(WTERMSIG(cp.status), SIGTERM);
	/* stopping again is harmless */
	ck_assert_int_eq(child__stop(&cp, 100), 0);
}
END_TEST

/*
 * A shell that ignores SIGTERM and a grandchild that inherited that: stop
 * must escalate to SIGKILL and reach the grandchild too. This process is a
 * subreaper, so the orphaned grandchild comes back to us to be waited for.
 */
START_TEST(test_stop_group_kill)
{
	const char *argv[] = { "sh", "-c", "trap '' TERM; sleep 30 & echo $!; wait", NULL };
	struct child_process cp = { .argv = argv };
	char path[256], buf[64];
	pid_t grandchild = 0;
	int status;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	tmp_path(path, sizeof(path), "gc");
	cp.out_path = path;
	ck_assert_int_eq(child__start(&cp), 0);
	while (grandchild <= 0) {
		usleep(10000);
		if (slurp(path, buf, sizeof(buf)) > 0 && strchr(buf, '\n'))
			grandchild = atoi(buf);
	}
	ck_assert_int_eq(getpgid(grandchild), cp.pid);

	ck_assert_int_eq(child__stop(&cp, 200), 0);
	ck_assert(WIFSIGNALED(cp.status));
	ck_assert_int_eq(WTERMSIG(cp.status), SIGKILL);

	ck_assert_int_eq(waitpid(grandchild, &status, 0), grandchild);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGKILL);
	unlink(path);
}
END_TEST

/* A child that exits by itself is reaped by stop, status kept. */
START_TEST(test_stop_after_exit)
{
	struct child_process cp = { .argv = (const char *const[]){ "sh", "-c", "exit 4", NULL } };

	ck_assert_int_eq(child__start(&cp), 0);
	while (!child__poll(&cp))
		usleep(1000);
	ck_assert_int_eq(child__stop(&cp, 100), 0);
	ck_assert(WIFEXITED(cp.status));
	ck_assert_int_eq(WEXITSTATUS(cp.status), 4);
}
END_TEST

START_TEST(test_kill_all)
{
	struct child_process a = { .argv = (const char *const[]){ "sleep", "30", NULL } };
	struct child_process b = { .argv = (const char *const[]){ "sh", "-c", "trap '' TERM; sleep 30", NULL } };

	ck_assert_int_eq(child__start(&a), 0);
	ck_assert_int_eq(child__start(&b), 0);
	run_command__kill_all();
	ck_assert_int_eq(child__wait(&a), 0);
	ck_assert_int_eq(child__wait(&b), 0);
	ck_assert(WIFSIGNALED(a.status) && WTERMSIG(a.status) == SIGKILL);
	ck_assert(WIFSIGNALED(b.status) && WTERMSIG(b.status) == SIGKILL);
	/* reaped children leave the registry: nothing left to kill */
	run_command__kill_all();
}
END_TEST

/* --- cgroup join --------------------------------------------------------------- */

START_TEST(test_cgroup_join)
{
	const char *argv[] = { "cat", "/proc/self/cgroup", NULL };
	struct child_process cp = { .argv = argv };
	char dir[256], procs[300], path[256], buf[4096], want[300];

	if (geteuid() != 0) {
		printf("SKIP test_cgroup_join: needs root to create a cgroup\n");
		return;
	}
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/pids/hldbench-check-%d", getpid());
	if (mkdir(dir, 0755) < 0) {
		printf("SKIP test_cgroup_join: cannot create %s: %s\n", dir, strerror(errno));
		return;
	}
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	tmp_path(path, sizeof(path), "cg");
	cp.out_path = path;
	cp.cgroup_procs = procs;
	ck_assert_int_eq(child__start(&cp), 0);
	ck_assert_int_eq(child__wait(&cp), 0);
	ck_assert(WIFEXITED(cp.status) && WEXITSTATUS(cp.status) == 0);
	slurp(path, buf, sizeof(buf));
	snprintf(want, sizeof(want), ":pids:/hldbench-check-%d\n", getpid());
	ck_assert_ptr_nonnull(strstr(buf, want));
	rmdir(dir);
	unlink(path);

	cp.cgroup_procs = "/nonexistent/cgroup.procs";
	ck_assert_int_eq(child__start(&cp), -ENOENT);
}
END_TEST

static Suite *run_command_suite(void)
{
	Suite *s = suite_create("run_command");
	TCase *tc;

	tc = tcase_create("exit");
	tcase_add_loop_test(tc, test_exit_code, 0, sizeof(exit_cases) / sizeof(exit_cases[0]));
	tcase_add_test(tc, test_describe);
	suite_add_tcase(s, tc);

	tc = tcase_create("start_failure");
	tcase_add_loop_test(tc, test_start_failure, 0, sizeof(fail_cases) / sizeof(fail_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("redirect");
	tcase_add_test(tc, test_redirect_split);
	tcase_add_test(tc, test_redirect_same_truncates);
	tcase_add_test(tc, test_signals_reset);
	suite_add_tcase(s, tc);

	tc = tcase_create("stop");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_stop_term);
	tcase_add_test(tc, test_stop_group_kill);
	tcase_add_test(tc, test_stop_after_exit);
	tcase_add_test(tc, test_kill_all);
	suite_add_tcase(s, tc);

	tc = tcase_create("cgroup");
	tcase_add_test(tc, test_cgroup_join);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(run_command_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
