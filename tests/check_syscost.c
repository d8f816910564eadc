// SPDX-License-Identifier: GPL-2.0
/*
 * check_syscost.c - sys-cost on the eBPF backend: the syscall name table;
 * the ground-truth test (harness/truth-sys-cost.c, also `hldbench diag
 * sys-cost --test`); N getppid() calls counted exactly N under each other
 * filter that admits the child and not at all under one that does not;
 * reports taken while the child runs drain exactly (their sum is N); a
 * full per-process table loses nothing from the per-syscall view and
 * counts what it cannot hold; phases. The BPF cases need root and a
 * working BPF; without them they print why and skip.
 */
#include <check.h>
#include <dirent.h>
#include <json-c/json.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag-test.h"
#include "diag.h"
#include "hld_settings.h"
#include "syscost.bpf.h"

#define N_CALLS 100000
#define CHILD_COMM "hld-getppid"

/* --- names -------------------------------------------------------------- */

static const struct name_case {
	unsigned int nr;
	const char *name;
} name_cases[] = {
	{ 0, "read" },
	{ 39, "getpid" },
	{ 59, "execve" },
	{ 110, "getppid" },
	{ 231, "exit_group" },
	{ 450, "set_mempolicy_home_node" },
	{ 335, "sys_335" },		/* a hole in the x86_64 table */
	{ 1023, "sys_1023" },
	{ 0x40000000, "sys_1073741824" },
};

/* Known numbers map to their x86_64 names, unknown ones to sys_<n>. */
START_TEST(test_name)
{
	const struct name_case *c = &name_cases[_i];
	char buf[32];

	ck_assert_str_eq(syscost__name(c->nr, buf, sizeof(buf)), c->name);
}
END_TEST

/* --- truth -------------------------------------------------------------- */

enum filter_tgid { TGID_ANY, TGID_CHILD, TGID_OTHER };

static const struct truth_case {
	const char *name;
	enum filter_tgid tgid;
	bool pid;		/* pid filter = the child's only thread */
	const char *comm;	/* comm filter, "" for any */
	uint64_t want;		/* getppid calls the report must show for the child */
	bool only_child;	/* the filter admits nothing but the child */
	bool count_only;	/* time=0 */
} truth_cases[] = {
	{ "tgid and pid = child", TGID_CHILD, true, "", N_CALLS, true, false },
	{ "comm = child's", TGID_ANY, false, CHILD_COMM, N_CALLS, false, false },
	{ "no filter", TGID_ANY, false, "", N_CALLS, false, false },
	{ "tgid = child, comm = other", TGID_CHILD, false, "hld-nobody", 0, true, false },
	{ "tgid = another process", TGID_OTHER, false, "", 0, false, false },
	{ "count only (time=0), tgid = child", TGID_CHILD, false, "", N_CALLS, true, true },
	{ "count only (time=0), no filter", TGID_ANY, false, "", N_CALLS, false, true },
};

/*
 * A child named CHILD_COMM that waits for a byte on @go, then makes exactly
 * N_CALLS getppid() system calls (syscall(): no libc caching) and exits.
 */
static pid_t start_getppid_child(int go)
{
	pid_t pid = fork();
	char b;

	if (pid == 0) {
		prctl(PR_SET_NAME, CHILD_COMM);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (read(go, &b, 1) != 1)
			_exit(1);
		for (int i = 0; i < N_CALLS; i++)
			syscall(SYS_getppid);
		_exit(0);
	}
	return pid;
}

/* Run @f's report into a fresh directory, whose path goes into @dir. */
static void report_into(struct diag_feature *f, char *dir)
{
	strcpy(dir, "/tmp/check_syscost.XXXXXX");
	ck_assert_int_eq(diag__report_into(f, dir), 0);
}

/* The "count" of the entry named @name in the JSON array @arr, 0 if absent. */
static uint64_t json_count_of(json_object *arr, const char *name)
{
	json_object *e, *v;

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(e, "name", &v) &&
		    !strcmp(json_object_get_string(v), name) &&
		    json_object_object_get_ex(e, "count", &v))
			return json_object_get_uint64(v);
	}
	return 0;
}

/* The member @key of @o; fails the test when it is missing. */
static json_object *json_get(json_object *o, const char *key)
{
	json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no \"%s\" in syscost.json", key);
	return v;
}

/* The child's getppid count in by_process, 0 when the child is not listed. */
static uint64_t child_getppid(json_object *root, pid_t child)
{
	json_object *procs = json_get(root, "by_process"), *p;

	for (size_t i = 0; i < json_object_array_length(procs); i++) {
		p = json_object_array_get_idx(procs, i);
		if (json_object_get_int64(json_get(p, "tgid")) == child) {
			ck_assert_str_eq(json_object_get_string(json_get(p, "comm")), CHILD_COMM);
			return json_count_of(json_get(p, "syscalls"), "getppid");
		}
	}
	return 0;
}

/* The sum of by_cpu counts: every counted syscall returned on some CPU. */
static uint64_t cpu_sum(json_object *root)
{
	json_object *cpus = json_get(root, "by_cpu");
	uint64_t sum = 0;

	for (size_t i = 0; i < json_object_array_length(cpus); i++) {
		json_object *c = json_object_array_get_idx(cpus, i);

		sum += json_object_get_uint64(json_get(c, "count"));
	}
	return sum;
}

/* Does @dir/syscost.txt hold a line starting with @prefix? */
static bool txt_has_line(const char *dir, const char *prefix)
{
	char path[512], line[512];
	bool found = false;
	FILE *in;

	snprintf(path, sizeof(path), "%s/syscost.txt", dir);
	in = fopen(path, "r");
	if (!in)
		return false;
	while (!found && fgets(line, sizeof(line), in))
		found = !strncmp(line, prefix, strlen(prefix));
	fclose(in);
	return found;
}

/* One filter case: N getppid() calls by the child, counted exactly or not at all. */
START_TEST(test_truth)
{
	const struct truth_case *c = &truth_cases[_i];
	struct hld_syscost_settings s = { .tgid = -1, .pid = -1, .top = 20, .time = !c->count_only };
	struct diag_feature *f;
	char why[256], dir[64], path[128];
	json_object *root;
	uint64_t syscalls, events;
	int go[2], status;
	pid_t child;

	if (geteuid() != 0) {
		printf("SKIP %s: needs root\n", c->name);
		return;
	}
	if (bpf_sys_cost_ops.probe(why, sizeof(why))) {
		printf("SKIP %s: %s\n", c->name, why);
		return;
	}
	ck_assert_int_eq(pipe(go), 0);
	child = start_getppid_child(go[0]);
	ck_assert_int_gt(child, 0);
	if (c->tgid == TGID_CHILD)
		s.tgid = child;
	else if (c->tgid == TGID_OTHER)
		s.tgid = getpid();	/* this test process, which makes no getppid() call */
	if (c->pid)
		s.pid = child;
	strncpy(s.comm, c->comm, sizeof(s.comm) - 1);

	f = diag__open(&bpf_sys_cost_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	report_into(f, dir);
	events = f->events;
	close(go[0]);
	close(go[1]);

	snprintf(path, sizeof(path), "%s/syscost.json", dir);
	root = json_object_from_file(path);
	ck_assert_ptr_nonnull(root);
	ck_assert_uint_eq(child_getppid(root, child), c->want);
	syscalls = json_object_get_uint64(json_get(root, "syscalls"));
	ck_assert_uint_eq(cpu_sum(root), syscalls);
	ck_assert_uint_eq(events, syscalls);
	ck_assert_uint_eq(json_object_get_uint64(json_get(root, "drops")), 0);
	/* count only: nothing is timed; otherwise N syscalls take some time */
	if (c->count_only)
		ck_assert_uint_eq(json_object_get_uint64(json_get(root, "total_ns")), 0);
	else if (c->want)
		ck_assert_uint_gt(json_object_get_uint64(json_get(root, "total_ns")), 0);
	ck_assert(diag_feature__metric(f, "syscalls") == (double)syscalls);
	ck_assert(diag_feature__metric(f, "drops") == 0);
	if (c->only_child) {
		/* Nothing but the child passes: the whole table is its getppid() calls. */
		ck_assert_uint_eq(json_count_of(json_get(root, "by_syscall"), "getppid"), c->want);
		ck_assert_int_le(json_object_array_length(json_get(root, "by_process")), 1);
	} else {
		ck_assert_uint_ge(json_count_of(json_get(root, "by_syscall"), "getppid"), c->want);
	}
	if (c->want)
		ck_assert(txt_has_line(dir, "getppid "));
	if (c->tgid == TGID_OTHER)
		ck_assert_uint_eq(json_count_of(json_get(root, "by_syscall"), "getppid"), 0);
	json_object_put(root);
	diag__close(f);
	diag__remove_dir(dir);
}
END_TEST

/* The child's count of syscall @name in by_process, 0 when absent. */
static uint64_t child_count(json_object *root, pid_t child, const char *name)
{
	json_object *procs = json_get(root, "by_process"), *p;

	for (size_t i = 0; i < json_object_array_length(procs); i++) {
		p = json_object_array_get_idx(procs, i);
		if (json_object_get_int64(json_get(p, "tgid")) == child)
			return json_count_of(json_get(p, "syscalls"), name);
	}
	return 0;
}

/* Wait until @pid sleeps in read() (syscall 0) on file descriptor @fd. */
static bool wait_in_read(pid_t pid, int fd)
{
	char path[64], want[32], line[256];
	FILE *in;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	snprintf(want, sizeof(want), "0 0x%x ", fd);
	for (int i = 0; i < 2000; i++) {
		in = fopen(path, "r");
		if (!in)
			return false;
		line[0] = '\0';
		if (!fgets(line, sizeof(line), in))
			line[0] = '\0';
		fclose(in);
		if (!strncmp(line, want, strlen(want)))
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * Two diagnosed phases. The child reads pipe A (entered before attach: not
 * counted), then, in phase 1, returns and reads pipe B, where it sleeps
 * through the detach and returns only in phase 2; then it makes N getppid()
 * calls. The maps accumulate over phases, but the read of B, stamped in
 * phase 1, must not be timed across the gap. The read of A began before
 * the attach and is not counted either, so the child shows no read, its
 * exit_group and N getppid.
 */
START_TEST(test_phases)
{
	struct hld_syscost_settings s = { .tgid = -1, .pid = -1, .top = 20, .time = 1 };
	int a[2], b[2], status;
	char why[256], dir[64], path[128], c;
	struct diag_feature *f;
	json_object *root;
	pid_t child;

	if (geteuid() != 0) {
		printf("SKIP phases: needs root\n");
		return;
	}
	if (bpf_sys_cost_ops.probe(why, sizeof(why))) {
		printf("SKIP phases: %s\n", why);
		return;
	}
	ck_assert_int_eq(pipe(a), 0);
	ck_assert_int_eq(pipe(b), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		prctl(PR_SET_NAME, CHILD_COMM);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (read(a[0], &c, 1) != 1 || read(b[0], &c, 1) != 1)
			_exit(1);
		for (int i = 0; i < N_CALLS; i++)
			syscall(SYS_getppid);
		_exit(0);
	}
	ck_assert(wait_in_read(child, a[0]));
	s.tgid = child;
	f = diag__open(&bpf_sys_cost_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	ck_assert_int_eq(write(a[1], "a", 1), 1);
	ck_assert(wait_in_read(child, b[0]));
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	ck_assert_int_eq(f->ops->activate(f), 0);
	ck_assert_int_eq(write(b[1], "b", 1), 1);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	report_into(f, dir);
	snprintf(path, sizeof(path), "%s/syscost.json", dir);
	root = json_object_from_file(path);
	ck_assert_ptr_nonnull(root);
	ck_assert_uint_eq(child_count(root, child, "getppid"), N_CALLS);
	ck_assert_uint_eq(child_count(root, child, "read"), 0);
	ck_assert_uint_eq(child_count(root, child, "exit_group"), 1);
	json_object_put(root);
	diag__close(f);
	diag__remove_dir(dir);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}
END_TEST

/* A report with nothing activated still writes both files, empty. */
START_TEST(test_empty_report)
{
	struct diag_feature *f = diag__open(&bpf_sys_cost_ops, NULL);
	char dir[64], path[128];
	json_object *root;

	ck_assert_ptr_nonnull(f);
	report_into(f, dir);
	snprintf(path, sizeof(path), "%s/syscost.json", dir);
	root = json_object_from_file(path);
	ck_assert_ptr_nonnull(root);
	ck_assert_uint_eq(json_object_get_uint64(json_get(root, "syscalls")), 0);
	ck_assert(txt_has_line(dir, "sys-cost: 0 syscalls"));
	json_object_put(root);
	diag__close(f);
	diag__remove_dir(dir);
}
END_TEST

/* True if root and BPF are there; otherwise print why @what is skipped. */
static bool bpf_ready(const char *what)
{
	char why[256];

	if (geteuid() != 0) {
		printf("SKIP %s: needs root\n", what);
		return false;
	}
	if (bpf_sys_cost_ops.probe(why, sizeof(why))) {
		printf("SKIP %s: %s\n", what, why);
		return false;
	}
	return true;
}

/* The ground-truth test that `hldbench diag sys-cost --test` runs. */
START_TEST(test_ground_truth)
{
	if (!bpf_ready("ground truth"))
		return;
	ck_assert_int_eq(diag_test__run(&bpf_sys_cost_ops, stdout), 0);
}
END_TEST

#define DRAIN_CALLS 1000000

/* @f's report into a fresh directory: syscost.json parsed; the directory is removed. */
static json_object *report_json(struct diag_feature *f)
{
	char dir[64], path[128];
	json_object *root;

	report_into(f, dir);
	snprintf(path, sizeof(path), "%s/syscost.json", dir);
	root = json_object_from_file(path);
	ck_assert_ptr_nonnull(root);
	diag__remove_dir(dir);
	return root;
}

/*
 * Reports taken while a child makes DRAIN_CALLS getppid() calls: each
 * drains what returned since the previous one, so their getppid counts
 * add up to exactly DRAIN_CALLS, and one taken after the child exited
 * holds nothing. Fails if a flip loses or double-counts a call.
 */
START_TEST(test_drain)
{
	struct hld_syscost_settings s = { .tgid = -1, .pid = -1, .top = 20, .time = 1 };
	uint64_t sum = 0, reports = 0, mid = 0;
	struct diag_feature *f;
	json_object *root;
	int go[2], status;
	pid_t child;

	if (!bpf_ready("drain"))
		return;
	ck_assert_int_eq(pipe(go), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		char b;

		prctl(PR_SET_NAME, CHILD_COMM);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (read(go[0], &b, 1) != 1)
			_exit(1);
		for (int i = 0; i < DRAIN_CALLS; i++)
			syscall(SYS_getppid);
		_exit(0);
	}
	s.tgid = child;
	f = diag__open(&bpf_sys_cost_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	for (;;) {
		pid_t w = waitpid(child, &status, WNOHANG);
		uint64_t n;

		ck_assert_int_ge(w, 0);
		root = report_json(f);
		n = json_count_of(json_get(root, "by_syscall"), "getppid");
		ck_assert_uint_eq(f->events, json_object_get_uint64(json_get(root, "syscalls")));
		json_object_put(root);
		sum += n;
		reports++;
		if (w == child)
			break;
		mid += n > 0;
	}
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	root = report_json(f);
	ck_assert_uint_eq(json_object_get_uint64(json_get(root, "syscalls")), 0);
	json_object_put(root);
	printf("drain: %llu getppid calls in %llu reports (%llu taken while the child ran "
	       "counted some)\n", (unsigned long long)sum, (unsigned long long)reports,
	       (unsigned long long)mid);
	ck_assert_uint_eq(sum, DRAIN_CALLS);
	ck_assert_uint_ge(mid, 1);
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	diag__close(f);
	close(go[0]);
	close(go[1]);
}
END_TEST

#define FULL_PROCS	20	/* x 512 numbers > SYSCOST_PROC_SLOTS pairs on one CPU */
#define FULL_FIRST	512	/* 512..1023: no x86_64 syscall, ENOSYS */

/*
 * FULL_PROCS children on CPU 0 each call every number in [512, 1024) once
 * (ENOSYS): more (process, syscall) pairs than one CPU's table holds.
 * Every call must still be in the per-syscall view (FULL_PROCS of each
 * number), and the per-process view plus its drops must add up to all
 * syscalls counted.
 */
START_TEST(test_table_full)
{
	struct hld_syscost_settings s = { .tgid = -1, .pid = -1, .top = 20, .time = 1 };
	uint64_t procs_sum = 0, syscalls, drops;
	json_object *root, *arr;
	struct diag_feature *f;
	pid_t kids[FULL_PROCS];
	int go[2], status;
	char name[32];

	if (!bpf_ready("table full"))
		return;
	ck_assert_int_eq(pipe(go), 0);
	for (int k = 0; k < FULL_PROCS; k++) {
		kids[k] = fork();
		ck_assert_int_ge(kids[k], 0);
		if (kids[k] == 0) {
			cpu_set_t cpu0;
			char b;

			CPU_ZERO(&cpu0);
			CPU_SET(0, &cpu0);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (sched_setaffinity(0, sizeof(cpu0), &cpu0) || read(go[0], &b, 1) != 1)
				_exit(1);
			for (long nr = FULL_FIRST; nr < SYSCOST_NR_SLOTS; nr++)
				syscall(nr);
			_exit(0);
		}
	}
	f = diag__open(&bpf_sys_cost_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	for (int k = 0; k < FULL_PROCS; k++)
		ck_assert_int_eq(write(go[1], "g", 1), 1);
	for (int k = 0; k < FULL_PROCS; k++) {
		ck_assert_int_eq(waitpid(kids[k], &status, 0), kids[k]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	root = report_json(f);
	for (long nr = FULL_FIRST; nr < SYSCOST_NR_SLOTS; nr++) {
		snprintf(name, sizeof(name), "sys_%ld", nr);
		ck_assert_msg(json_count_of(json_get(root, "by_syscall"), name) >= FULL_PROCS,
			      "%s counted %llu times, want >= %d", name,
			      (unsigned long long)json_count_of(json_get(root, "by_syscall"), name),
			      FULL_PROCS);
	}
	arr = json_get(root, "by_process");
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		procs_sum += json_object_get_uint64(json_get(json_object_array_get_idx(arr, i),
							     "count"));
	syscalls = json_object_get_uint64(json_get(root, "syscalls"));
	drops = json_object_get_uint64(json_get(root, "drops_process_map_full"));
	printf("table full: %llu syscalls, %llu in the per-process view, %llu dropped from it\n",
	       (unsigned long long)syscalls, (unsigned long long)procs_sum,
	       (unsigned long long)drops);
	ck_assert_uint_gt(drops, 0);
	ck_assert_uint_eq(procs_sum + drops, syscalls);
	ck_assert_uint_eq(json_object_get_uint64(json_get(root, "drops_not_counted")), 0);
	ck_assert_uint_eq(f->drops, drops);
	json_object_put(root);
	diag__close(f);
	close(go[0]);
	close(go[1]);
}
END_TEST

/* names (no root), report (no BPF needed); the rest needs root and BPF. */
static Suite *syscost_suite(void)
{
	Suite *s = suite_create("syscost");
	TCase *tc;

	tc = tcase_create("names");
	tcase_add_loop_test(tc, test_name, 0, sizeof(name_cases) / sizeof(name_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("report");
	tcase_add_test(tc, test_empty_report);
	suite_add_tcase(s, tc);

	tc = tcase_create("ground truth");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_ground_truth);
	suite_add_tcase(s, tc);

	tc = tcase_create("filters");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_truth, 0, sizeof(truth_cases) / sizeof(truth_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("drain");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_drain);
	tcase_add_test(tc, test_table_full);
	suite_add_tcase(s, tc);

	tc = tcase_create("phases");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_phases);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; non-zero exit if any check failed. */
int main(void)
{
	SRunner *sr = srunner_create(syscost_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
