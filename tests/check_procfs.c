// SPDX-License-Identifier: GPL-2.0
/*
 * check_procfs.c - the /proc parsers against fixtures captured on the
 * development VM (6.18) and hand-made old-kernel and malformed files.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfs.h"

#define FIX "tests/fixtures/procfs/"

/* Load a fixture into @buf, failing the test if it cannot be read. */
static void load_fixture(const char *name, char *buf, size_t len)
{
	char path[256];
	int n;

	snprintf(path, sizeof(path), FIX "%s", name);
	n = procfs__read(path, buf, len);
	ck_assert_msg(n >= 0, "cannot read %s: %d", path, n);
}

/* --- /proc/stat ------------------------------------------------------- */

static const struct stat_case {
	const char *file;
	uint64_t cpu[PROC_CPU__MAX];
	uint64_t running, blocked, ctxt, processes;
} stat_cases[] = {
	{ "stat-vm-6.18.txt", { 2816, 0, 1609, 241394, 419, 0, 66, 18, 0, 0 },
	  8, 0, 392278, 6606 },
	/* a 2.6.0-era kernel: seven cpu columns */
	{ "stat-7col.txt", { 100, 5, 50, 1000, 20, 3, 4, 0, 0, 0 },
	  3, 1, 1234, 77 },
};

START_TEST(test_stat_fixture)
{
	const struct stat_case *c = &stat_cases[_i];
	struct proc_stat s;
	char buf[8192];
	int k;

	load_fixture(c->file, buf, sizeof(buf));
	ck_assert_int_eq(procfs__parse_stat(buf, &s), 0);
	for (k = 0; k < PROC_CPU__MAX; k++)
		ck_assert_msg(s.cpu[k] == c->cpu[k], "%s: cpu[%d] = %llu, want %llu",
			      c->file, k, (unsigned long long)s.cpu[k],
			      (unsigned long long)c->cpu[k]);
	ck_assert_uint_eq(s.procs_running, c->running);
	ck_assert_uint_eq(s.procs_blocked, c->blocked);
	ck_assert_uint_eq(s.ctxt, c->ctxt);
	ck_assert_uint_eq(s.processes, c->processes);
}
END_TEST

static const char *const stat_bad[] = {
	"stat-no-aggregate.txt",	/* only per-CPU lines */
	"stat-no-running.txt",
	"stat-no-blocked.txt",
	"stat-bad-cpu.txt",		/* a non-number column */
	"stat-short-cpu.txt",		/* fewer than user nice system idle */
	"stat-negative.txt",		/* procs_running -3 */
	"stat-empty.txt",
};

START_TEST(test_stat_malformed)
{
	struct proc_stat s;
	char buf[8192];

	load_fixture(stat_bad[_i], buf, sizeof(buf));
	ck_assert_msg(procfs__parse_stat(buf, &s) == -EINVAL, "%s accepted",
		      stat_bad[_i]);
}
END_TEST

/* --- cpu_busy --------------------------------------------------------- */

static const struct busy_case {
	const char *what;
	uint64_t a[PROC_CPU__MAX], b[PROC_CPU__MAX];
	double want;	/* NaN: expect NaN */
} busy_cases[] = {
	{ "user vs idle", { 0 }, { 30, 0, 0, 70 }, 30.0 },
	{ "iowait is not busy", { 0 }, { 10, 0, 10, 60, 20 }, 20.0 },
	{ "irq softirq steal are busy", { 0 }, { 0, 0, 0, 80, 0, 5, 5, 10 }, 20.0 },
	/* guest 40 is inside user 50: 50 busy of 100, not 90 of 140 */
	{ "guest not double counted", { 0 }, { 50, 0, 0, 50, 0, 0, 0, 0, 40 }, 50.0 },
	{ "guest_nice not double counted", { 0 }, { 0, 20, 0, 80, 0, 0, 0, 0, 0, 20 }, 20.0 },
	{ "difference, not absolute", { 100, 0, 0, 100 }, { 175, 0, 0, 125 }, 75.0 },
	{ "all idle", { 5, 0, 5, 10 }, { 5, 0, 5, 110 }, 0.0 },
	{ "no ticks elapsed", { 5, 0, 5, 10 }, { 5, 0, 5, 10 }, NAN },
};

START_TEST(test_cpu_busy)
{
	const struct busy_case *c = &busy_cases[_i];
	struct proc_stat a = { 0 }, b = { 0 };
	double got;
	int k;

	for (k = 0; k < PROC_CPU__MAX; k++) {
		a.cpu[k] = c->a[k];
		b.cpu[k] = c->b[k];
	}
	got = procfs__cpu_busy(&a, &b);
	if (isnan(c->want))
		ck_assert_msg(isnan(got), "%s: got %g, want NaN", c->what, got);
	else
		ck_assert_msg(fabs(got - c->want) < 1e-9, "%s: got %g, want %g",
			      c->what, got, c->want);
}
END_TEST

/* --- /proc/loadavg ---------------------------------------------------- */

static const struct loadavg_case {
	const char *file;
	double a1, a5, a15;
	unsigned running, threads, last_pid;
} loadavg_cases[] = {
	{ "loadavg-vm-6.18.txt", 0.15, 0.04, 0.01, 8, 103, 6606 },
	{ "loadavg-busy.txt", 12.50, 7.25, 3.00, 13, 1024, 424242 },
};

START_TEST(test_loadavg_fixture)
{
	const struct loadavg_case *c = &loadavg_cases[_i];
	struct loadavg l;
	char buf[256];

	load_fixture(c->file, buf, sizeof(buf));
	ck_assert_int_eq(procfs__parse_loadavg(buf, &l), 0);
	ck_assert_double_eq_tol(l.avg1, c->a1, 1e-9);
	ck_assert_double_eq_tol(l.avg5, c->a5, 1e-9);
	ck_assert_double_eq_tol(l.avg15, c->a15, 1e-9);
	ck_assert_uint_eq(l.nr_running, c->running);
	ck_assert_uint_eq(l.nr_threads, c->threads);
	ck_assert_uint_eq(l.last_pid, c->last_pid);
}
END_TEST

static const char *const loadavg_bad[] = {
	"loadavg-truncated.txt",
	"loadavg-no-slash.txt",
	"loadavg-garbage.txt",
	"stat-empty.txt",
};

START_TEST(test_loadavg_malformed)
{
	struct loadavg l;
	char buf[256];

	load_fixture(loadavg_bad[_i], buf, sizeof(buf));
	ck_assert_msg(procfs__parse_loadavg(buf, &l) == -EINVAL, "%s accepted",
		      loadavg_bad[_i]);
}
END_TEST

/* --- /proc/pressure --------------------------------------------------- */

static const struct psi_case {
	const char *file;
	struct psi want;
} psi_cases[] = {
	/* 6.18 prints a full line of zeros for cpu */
	{ "psi-cpu-vm-6.18.txt",
	  { 17.19, 4.52, 1.05, 6702934, 0, 0, 0, 0, true } },
	{ "psi-io-vm-6.18.txt",
	  { 3.90, 0.79, 0.30, 4039317, 1.91, 0.40, 0.22, 3525846, true } },
	{ "psi-memory-vm-6.18.txt",
	  { 0, 0, 0, 0, 0, 0, 0, 0, true } },
	/* before 5.13, cpu has no full line */
	{ "psi-cpu-old-kernel.txt",
	  { 1.50, 0.75, 0.25, 123456, 0, 0, 0, 0, false } },
};

START_TEST(test_psi_fixture)
{
	const struct psi_case *c = &psi_cases[_i];
	struct psi p;
	char buf[512];

	load_fixture(c->file, buf, sizeof(buf));
	ck_assert_int_eq(procfs__parse_psi(buf, &p), 0);
	ck_assert_double_eq_tol(p.some_avg10, c->want.some_avg10, 1e-9);
	ck_assert_double_eq_tol(p.some_avg60, c->want.some_avg60, 1e-9);
	ck_assert_double_eq_tol(p.some_avg300, c->want.some_avg300, 1e-9);
	ck_assert_uint_eq(p.some_total, c->want.some_total);
	ck_assert_double_eq_tol(p.full_avg10, c->want.full_avg10, 1e-9);
	ck_assert_double_eq_tol(p.full_avg60, c->want.full_avg60, 1e-9);
	ck_assert_double_eq_tol(p.full_avg300, c->want.full_avg300, 1e-9);
	ck_assert_uint_eq(p.full_total, c->want.full_total);
	ck_assert_int_eq(p.has_full, c->want.has_full);
}
END_TEST

static const char *const psi_bad[] = {
	"psi-missing-field.txt",	/* no avg300 */
	"psi-full-only.txt",		/* "some" is required */
	"psi-garbage.txt",
	"stat-empty.txt",
};

START_TEST(test_psi_malformed)
{
	struct psi p;
	char buf[512];

	load_fixture(psi_bad[_i], buf, sizeof(buf));
	ck_assert_msg(procfs__parse_psi(buf, &p) == -EINVAL, "%s accepted",
		      psi_bad[_i]);
}
END_TEST

/* --- the reader ------------------------------------------------------- */

START_TEST(test_read_missing)
{
	char buf[64];

	ck_assert_int_eq(procfs__read(FIX "no-such-file", buf, sizeof(buf)), -ENOENT);
}
END_TEST

START_TEST(test_read_too_big)
{
	char buf[16];

	ck_assert_int_eq(procfs__read(FIX "stat-vm-6.18.txt", buf, sizeof(buf)), -EFBIG);
	ck_assert_int_eq(buf[15], '\0');
}
END_TEST

START_TEST(test_read_exact)
{
	char buf[64];

	/* "0.15 0.04 0.01 8/103 6606\n" is 26 bytes: fits in 27, not in 26 */
	ck_assert_int_eq(procfs__read(FIX "loadavg-vm-6.18.txt", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0.15 0.04 0.01 8/103 6606\n");
	ck_assert_int_eq(procfs__read(FIX "loadavg-vm-6.18.txt", buf, 27), 0);
	ck_assert_str_eq(buf, "0.15 0.04 0.01 8/103 6606\n");
	ck_assert_int_eq(procfs__read(FIX "loadavg-vm-6.18.txt", buf, 26), -EFBIG);
}
END_TEST

/* The live files of this machine parse (skipped where /proc lacks them). */
START_TEST(test_read_live)
{
	struct proc_stat s;
	struct loadavg l;
	struct psi p;
	char buf[16384];

	ck_assert_int_ge(procfs__read("/proc/stat", buf, sizeof(buf)), 0);
	ck_assert_int_eq(procfs__parse_stat(buf, &s), 0);
	/* the reader itself was running */
	ck_assert_uint_ge(s.procs_running, 1);
	ck_assert_int_ge(procfs__read("/proc/loadavg", buf, sizeof(buf)), 0);
	ck_assert_int_eq(procfs__parse_loadavg(buf, &l), 0);
	if (procfs__read("/proc/pressure/io", buf, sizeof(buf)) < 0) {
		printf("check_procfs: skipping live PSI: /proc/pressure/io unreadable\n");
		return;
	}
	ck_assert_int_eq(procfs__parse_psi(buf, &p), 0);
	ck_assert(p.has_full);
}
END_TEST

/* A whole file comes back through the reader pool, byte for byte. */
START_TEST(test_slurp_file)
{
	char want[4096], *got = NULL;
	size_t len = 0;

	ck_assert_int_eq(procfs__read(FIX "loadavg-vm-6.18.txt", want, sizeof(want)), 0);
	ck_assert_int_eq(procfs__slurp(FIX "loadavg-vm-6.18.txt", 5000, &got, &len), 0);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_str_eq(got, want);
	free(got);
	ck_assert_int_eq(procfs__slurp(FIX "no-such-file", 5000, &got, &len), -ENOENT);
	/* a file larger than the readers' first buffer (64 KiB) */
	ck_assert_int_eq(procfs__slurp("/proc/self/exe", 10000, &got, &len), 0);
	ck_assert_uint_gt(len, 65536);
	free(got);
}
END_TEST

/*
 * A read that hangs (the open of a FIFO with no writer, as a read of a
 * busy process's /proc/PID/maps can) times out; once every reader hangs,
 * calls fail at once; when the hung reads end, the readers serve again.
 */
START_TEST(test_slurp_hang)
{
	char fifo[PROCFS_READERS][64], *got = NULL;
	uint64_t t0 = procfs__slurp_timeouts();
	size_t len;
	int i;

	for (i = 0; i < PROCFS_READERS; i++) {
		snprintf(fifo[i], sizeof(fifo[i]), "/tmp/check_procfs.%d.%d", getpid(), i);
		ck_assert_int_eq(mkfifo(fifo[i], 0600), 0);
		ck_assert_int_eq(procfs__slurp(fifo[i], 50, &got, &len), -ETIMEDOUT);
	}
	ck_assert_uint_eq(procfs__slurp_timeouts(), t0 + PROCFS_READERS);
	/* every reader is stuck: refused without trying */
	ck_assert_int_eq(procfs__slurp(FIX "loadavg-vm-6.18.txt", 50, &got, &len), -ETIMEDOUT);
	ck_assert_uint_eq(procfs__slurp_timeouts(), t0 + PROCFS_READERS + 1);
	for (i = 0; i < PROCFS_READERS; i++) {
		int fd = open(fifo[i], O_WRONLY);	/* releases the reader's open */

		ck_assert_int_ge(fd, 0);
		close(fd);
		unlink(fifo[i]);
	}
	/* the released readers rejoin the pool (they may need a moment) */
	for (i = 0; i < 1000; i++) {
		int err = procfs__slurp(FIX "loadavg-vm-6.18.txt", 5000, &got, &len);

		if (!err)
			break;
		ck_assert_int_eq(err, -ETIMEDOUT);
		usleep(1000);
	}
	ck_assert_int_lt(i, 1000);
	free(got);
}
END_TEST

static Suite *procfs_suite(void)
{
	Suite *s = suite_create("procfs");
	TCase *tc;

	tc = tcase_create("stat");
	tcase_add_loop_test(tc, test_stat_fixture, 0,
			    sizeof(stat_cases) / sizeof(stat_cases[0]));
	tcase_add_loop_test(tc, test_stat_malformed, 0,
			    sizeof(stat_bad) / sizeof(stat_bad[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("cpu_busy");
	tcase_add_loop_test(tc, test_cpu_busy, 0,
			    sizeof(busy_cases) / sizeof(busy_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("loadavg");
	tcase_add_loop_test(tc, test_loadavg_fixture, 0,
			    sizeof(loadavg_cases) / sizeof(loadavg_cases[0]));
	tcase_add_loop_test(tc, test_loadavg_malformed, 0,
			    sizeof(loadavg_bad) / sizeof(loadavg_bad[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("psi");
	tcase_add_loop_test(tc, test_psi_fixture, 0,
			    sizeof(psi_cases) / sizeof(psi_cases[0]));
	tcase_add_loop_test(tc, test_psi_malformed, 0,
			    sizeof(psi_bad) / sizeof(psi_bad[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("read");
	tcase_add_test(tc, test_read_missing);
	tcase_add_test(tc, test_read_too_big);
	tcase_add_test(tc, test_read_exact);
	tcase_add_test(tc, test_read_live);
	suite_add_tcase(s, tc);

	tc = tcase_create("slurp");
	tcase_add_test(tc, test_slurp_file);
	tcase_add_test(tc, test_slurp_hang);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(procfs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
