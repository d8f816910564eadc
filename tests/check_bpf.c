// SPDX-License-Identifier: GPL-2.0
/*
 * check_bpf.c - the eBPF backend: the user-side helpers, and perf run for
 * real against spinning processes this test starts. The BPF cases need
 * root and a working BPF; without them they print why and skip.
 * (load-monitor's cases are in check_loadmon.c.)
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag.h"
#include "hld_settings.h"

/* --- helpers ------------------------------------------------------------ */

static const struct frame_case {
	const char *in;
	size_t len;
	const char *out;
} frame_cases[] = {
	{ "do_syscall_64", 64, "do_syscall_64" },
	{ "a;b", 64, "a_b" },
	{ "line\nbreak", 64, "line_break" },
	{ "operator new(unsigned long)", 64, "operator new(unsigned long)" },
	{ "truncated", 5, "trun" },
	{ "", 8, "" },
};

START_TEST(test_frame)
{
	const struct frame_case *c = &frame_cases[_i];
	char buf[64];

	ck_assert_str_eq(bpf_util__frame(buf, c->len, c->in), c->out);
}
END_TEST

static const size_t reserve_cases[] = { 1, 63, 64, 65, 1000, 100000 };

START_TEST(test_reserve)
{
	size_t want = reserve_cases[_i], cap = 0;
	uint32_t *arr = NULL;

	ck_assert_int_eq(bpf_util__reserve((void **)&arr, &cap, want, sizeof(*arr)), 0);
	ck_assert_uint_ge(cap, want);
	for (size_t i = 0; i < want; i++)
		arr[i] = i;
	/* A smaller request keeps the array. */
	ck_assert_int_eq(bpf_util__reserve((void **)&arr, &cap, 1, sizeof(*arr)), 0);
	ck_assert_uint_eq(arr[want - 1], want - 1);
	free(arr);
}
END_TEST

START_TEST(test_online_cpus)
{
	bool online[1024];
	int n = bpf_util__online_cpus(online, 1024);
	long conf = sysconf(_SC_NPROCESSORS_ONLN);

	ck_assert_int_eq(n, conf);
}
END_TEST

/* --- workloads ---------------------------------------------------------- */

static volatile unsigned long sink;

/* A child named @comm that spins on the CPU: R state. */
static pid_t start_spinner_named(const char *comm)
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

static pid_t start_spinner(void)
{
	return start_spinner_named("hld-spin");
}

static void stop_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* NULL if BPF works here, else a reason to skip (printed by the caller). */
static const char *bpf_unavailable(const struct diag_ops *ops, char *why, size_t len)
{
	if (geteuid() != 0)
		return "needs root";
	if (ops->probe(why, len))
		return why;
	return NULL;
}

/* Run @f's report into a fresh directory; the directory's path goes into @dir. */
static void report_into(struct diag_feature *f, char *dir)
{
	struct diag_outputs out;
	struct json_writer j;
	FILE *null = fopen("/dev/null", "w");

	ck_assert_ptr_nonnull(null);
	strcpy(dir, "/tmp/check_bpf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	json__init(&j, null, false);
	json__begin_object(&j, NULL);
	out.dir = dir;
	out.json = &j;
	ck_assert_int_eq(f->ops->report(f, &out), 0);
	json__end_object(&j);
	fclose(null);
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

/* Remove the report directory @dir and the files in it. */
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

/* --- perf ----------------------------------------------------------------- */

START_TEST(test_perf_filter)
{
	struct hld_perf_settings s;
	struct diag_feature *f;
	char why[256], dir[64];
	const char *skip;
	pid_t spin, spin2;

	skip = bpf_unavailable(&bpf_perf_ops, why, sizeof(why));
	if (skip) {
		printf("SKIP check_bpf perf: %s\n", skip);
		return;
	}
	spin = start_spinner();
	spin2 = start_spinner_named("hld-other");
	ck_assert_int_gt(spin, 0);
	ck_assert_int_gt(spin2, 0);
	ck_assert_int_eq(opts__defaults(diag_descs[DIAG_perf].opts, &s), 0);
	s.freq = 999;
	s.tgid = spin;
	f = diag__open(&bpf_perf_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	for (int i = 0; i < 100; i++) {
		usleep(DIAG_POLL_MS * 1000);
		ck_assert_int_eq(f->ops->poll(f), 0);
	}
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	stop_child(spin);
	stop_child(spin2);
	report_into(f, dir);
	ck_assert_double_gt(diag_feature__metric(f, "samples"), 0);
	ck_assert_uint_eq(f->events, diag_feature__metric(f, "samples"));
	ck_assert(file_has_line(dir, "perf.folded", "hld-spin;"));
	/* The tgid filter held: neither the other spinner nor the idle task. */
	ck_assert(!file_has_line(dir, "perf.folded", "hld-other;"));
	ck_assert(!file_has_line(dir, "perf.folded", "swapper"));
	ck_assert_double_lt(diag_feature__metric(f, "drops"), 1);
	remove_dir(dir);
	diag__close(f);
}
END_TEST

static Suite *bpf_suite(void)
{
	Suite *s = suite_create("bpf");
	TCase *tc;

	tc = tcase_create("helpers");
	tcase_add_loop_test(tc, test_frame, 0, sizeof(frame_cases) / sizeof(frame_cases[0]));
	tcase_add_loop_test(tc, test_reserve, 0, sizeof(reserve_cases) / sizeof(reserve_cases[0]));
	tcase_add_test(tc, test_online_cpus);
	suite_add_tcase(s, tc);

	tc = tcase_create("perf");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_perf_filter);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bpf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
