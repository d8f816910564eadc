// SPDX-License-Identifier: GPL-2.0
/*
 * check_bpf.c - the eBPF backend: the user-side helpers, and perf run for
 * real against spinning processes this test starts: each filter, the
 * ground truth, and a persistent activation reported three times. The BPF cases need
 * root and a working BPF; without them they print why and skip.
 * (load-monitor's cases are in check_loadmon.c.)
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag-test.h"
#include "diag.h"
#include "folded.h"
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
	strcpy(dir, "/tmp/check_bpf.XXXXXX");
	ck_assert_int_eq(diag__report_into(f, dir), 0);
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

/* Does @dir/perf.folded hold a stack with the frame @frame? */
static bool folded_has_frame(const char *dir, const char *frame)
{
	char path[512];
	struct folded *f = folded__new();
	struct folded_error fe;
	bool found;

	ck_assert_ptr_nonnull(f);
	snprintf(path, sizeof(path), "%s/perf.folded", dir);
	found = !folded__load(f, path, &fe) && folded__count_matching(f, frame) > 0;
	folded__free(f);
	return found;
}

/* --- perf ----------------------------------------------------------------- */

/*
 * The workload of the filter cases: "hld-spin" pinned to CPU 0 with a
 * second thread "hld-thread", and "hld-other" pinned to the last CPU.
 */
struct perf_spinners {
	pid_t spin, other;
	volatile pid_t *thread;	/* the tid of hld-spin's thread, shared */
};

/* Pin the calling thread to @cpu. */
static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* hld-spin's second thread: publish its tid, then spin. */
static void *spin_thread(void *arg)
{
	volatile pid_t *tid = arg;

	prctl(PR_SET_NAME, "hld-thread");
	*tid = gettid();
	for (;;)
		sink++;
	return NULL;
}

/* A spinning child named @comm on @cpu; with @tid, it runs a second spinning thread too. */
static pid_t start_pinned(const char *comm, int cpu, volatile pid_t *tid)
{
	pid_t pid = fork();
	pthread_t th;

	if (pid == 0) {
		prctl(PR_SET_NAME, comm);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pin_to(cpu);
		if (tid)
			pthread_create(&th, NULL, spin_thread, (void *)tid);
		for (;;)
			sink++;
	}
	return pid;
}

/* Start the three spinning tasks and wait until the thread's tid is known. */
static void perf_spinners__start(struct perf_spinners *ps)
{
	long last = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	void *shared = mmap(NULL, sizeof(*ps->thread), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(shared, MAP_FAILED);
	ps->thread = shared;
	*ps->thread = 0;
	ps->spin = start_pinned("hld-spin", 0, ps->thread);
	ps->other = start_pinned("hld-other", last, NULL);
	ck_assert_int_gt(ps->spin, 0);
	ck_assert_int_gt(ps->other, 0);
	for (int i = 0; i < 1000 && !*ps->thread; i++)
		usleep(1000);
	ck_assert_int_gt(*ps->thread, 0);
}

/* Kill and reap them. */
static void perf_spinners__stop(struct perf_spinners *ps)
{
	stop_child(ps->spin);
	stop_child(ps->other);
	munmap((void *)ps->thread, sizeof(*ps->thread));
}

/* Settings for @fmt (one %d: a pid or CPU the case picks), the defaults otherwise. */
static void perf_settings(struct hld_perf_settings *s, const char *fmt, int arg)
{
	char text[128], err[256];

	ck_assert_int_eq(opts__defaults(diag_descs[DIAG_perf].opts, s), 0);
	snprintf(text, sizeof(text), fmt, arg);
	ck_assert_msg(!diag_desc__parse(&diag_descs[DIAG_perf], text, s, err, sizeof(err)),
		      "%s: %s", text, err);
}

enum perf_target { T_SPIN, T_THREAD, T_OTHER, T_LAST_CPU };

/* One filter: what it selects, and which comms must and must not show up. */
static const struct perf_filter_case {
	const char *fmt;
	enum perf_target target;
	const char *present, *absent[3];
} perf_filter_cases[] = {
	{ "freq=999 tgid=%d", T_SPIN, "hld-spin;", { "hld-other;", "swapper", NULL } },
	{ "freq=999 pid=%d", T_THREAD, "hld-thread;", { "hld-spin;", "hld-other;", "swapper" } },
	{ "freq=999 comm=hld-other%.0d", T_OTHER, "hld-other;", { "hld-spin;", "hld-thread;", "swapper" } },
	{ "freq=999 cpu=%d", T_LAST_CPU, "hld-other;", { "hld-spin;", "hld-thread;", NULL } },
};

/* Each filter alone, against three spinning tasks on known CPUs. */
START_TEST(test_perf_filter)
{
	const struct perf_filter_case *c = &perf_filter_cases[_i];
	struct perf_spinners ps;
	struct hld_perf_settings s;
	struct diag_feature *f;
	char why[256], dir[64];
	const char *skip;
	int arg = 0;

	skip = bpf_unavailable(&bpf_perf_ops, why, sizeof(why));
	if (skip) {
		printf("SKIP check_bpf perf: %s\n", skip);
		return;
	}
	if (c->target == T_LAST_CPU && sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("SKIP check_bpf perf cpu filter: needs two CPUs\n");
		return;
	}
	perf_spinners__start(&ps);
	switch (c->target) {
	case T_SPIN:
		arg = ps.spin;
		break;
	case T_THREAD:
		arg = *ps.thread;
		break;
	case T_OTHER:
		break;
	case T_LAST_CPU:
		arg = sysconf(_SC_NPROCESSORS_ONLN) - 1;
		break;
	}
	perf_settings(&s, c->fmt, arg);
	f = diag__open(&bpf_perf_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	for (int i = 0; i < 50; i++) {
		usleep(DIAG_POLL_MS * 1000);
		ck_assert_int_eq(f->ops->poll(f), 0);
	}
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	perf_spinners__stop(&ps);
	report_into(f, dir);
	ck_assert_double_gt(diag_feature__metric(f, "samples"), 0);
	ck_assert_uint_eq(f->events, diag_feature__metric(f, "samples"));
	ck_assert_msg(file_has_line(dir, "perf.folded", c->present), "%s: no %s", c->fmt,
		      c->present);
	for (int k = 0; k < 3 && c->absent[k]; k++)
		ck_assert_msg(!file_has_line(dir, "perf.folded", c->absent[k]), "%s: %s sampled",
			      c->fmt, c->absent[k]);
	ck_assert_double_lt(diag_feature__metric(f, "drops"), 1);
	diag__remove_dir(dir);
	diag__close(f);
}
END_TEST

/* The ground truth, as `hldbench diag perf --test` runs it. */
START_TEST(test_perf_truth)
{
	char why[256];
	const char *skip = bpf_unavailable(&bpf_perf_ops, why, sizeof(why));

	if (skip) {
		printf("SKIP check_bpf perf truth: %s\n", skip);
		return;
	}
	ck_assert_int_eq(diag_test__run(&bpf_perf_ops, stdout), 0);
}
END_TEST

/*
 * A frame-pointer chain for the user stack walk: the leaf has no frame of
 * its own (gcc omits leaf frames), so its caller is lost to any FP walker,
 * but the outer function must appear above it.
 */
#define FP_FN __attribute__((noinline, optimize("no-omit-frame-pointer")))
void check_fp_inner(void);
void check_fp_middle(void);
void check_fp_outer(void);

FP_FN void check_fp_inner(void)
{
	for (;;)
		sink++;
}

FP_FN void check_fp_middle(void)
{
	check_fp_inner();
	sink++;
}

FP_FN void check_fp_outer(void)
{
	check_fp_middle();
	sink++;
}

/* Is there a stack in @dir/perf.folded with both @outer and, later, @inner? */
static bool folded_has_chain(const char *dir, const char *outer, const char *inner)
{
	char path[512];
	struct folded *f = folded__new();
	const struct folded_entry *e;
	struct folded_error fe;
	bool found = false;
	size_t i;

	ck_assert_ptr_nonnull(f);
	snprintf(path, sizeof(path), "%s/perf.folded", dir);
	if (!folded__load(f, path, &fe)) {
		folded__for_each(f, e, i) {
			const char *o = strstr(e->stack, outer);

			if (o && strstr(o, inner))
				found = true;
		}
	}
	folded__free(f);
	return found;
}

/*
 * Code built with frame pointers keeps its user call chain: the program
 * takes the one-frame shortcut only where the frame pointer register cannot
 * be one.
 */
START_TEST(test_perf_fp_chain)
{
	struct hld_perf_settings s;
	struct diag_feature *f;
	char why[256], dir[64];
	const char *skip;
	pid_t child;

	skip = bpf_unavailable(&bpf_perf_ops, why, sizeof(why));
	if (skip) {
		printf("SKIP check_bpf perf fp chain: %s\n", skip);
		return;
	}
	child = fork();
	if (child == 0) {
		prctl(PR_SET_NAME, "hld-fp");
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		check_fp_outer();
	}
	ck_assert_int_gt(child, 0);
	perf_settings(&s, "freq=999 tgid=%d", child);
	f = diag__open(&bpf_perf_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	usleep(300000);
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	stop_child(child);
	report_into(f, dir);
	ck_assert_double_gt(diag_feature__metric(f, "samples"), 0);
	ck_assert_msg(folded_has_chain(dir, "check_fp_outer;", "check_fp_inner"),
		      "no check_fp_outer;...;check_fp_inner stack");
	diag__remove_dir(dir);
	diag__close(f);
}
END_TEST

void check_perf_spin_fn(void);

/* A function of this executable the persistent case must find by name after its process exited. */
__attribute__((noinline)) void check_perf_spin_fn(void)
{
	for (;;)
		sink++;
}

/* A report of the persistent activation in @pin_dir from a fresh reopening, as --report does. */
static struct diag_feature *perf_report_pinned(const char *pin_dir, char *dir)
{
	struct diag_feature *f = diag__open(&bpf_perf_ops, NULL);

	ck_assert_ptr_nonnull(f);
	f->pin_dir = pin_dir;
	ck_assert_int_eq(bpf_perf_ops.reopen(f), 0);
	report_into(f, dir);
	return f;
}

/*
 * A persistent activation: pinned, left by its process; three reports from
 * three fresh processes' worth of state. Each drains exactly what came
 * since the previous one (their sum is every sample the filter let
 * through, nothing twice), the last one after the sampled process exited
 * names its function from what the program recorded of its executable.
 */
START_TEST(test_perf_persistent)
{
	char why[256], pin_dir[64], dir[64], path[PATH_MAX];
	struct hld_perf_settings s;
	struct diag_feature *f;
	double events[3], seen;
	const char *skip;
	struct dirent *e;
	pid_t child;
	DIR *d;

	skip = bpf_unavailable(&bpf_perf_ops, why, sizeof(why));
	if (skip) {
		printf("SKIP check_bpf perf persistent: %s\n", skip);
		return;
	}
	child = fork();
	if (child == 0) {
		prctl(PR_SET_NAME, "hld-pinned");
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		check_perf_spin_fn();
	}
	ck_assert_int_gt(child, 0);
	ck_assert_int_ge(diag__pin_root(), 0);
	snprintf(pin_dir, sizeof(pin_dir), DIAG_PIN_ROOT "/check-perf-%d", getpid());
	ck_assert_int_eq(mkdir(pin_dir, 0700), 0);
	perf_settings(&s, "freq=999 tgid=%d", child);
	f = diag__open(&bpf_perf_ops, &s);
	ck_assert_ptr_nonnull(f);
	f->pin_dir = pin_dir;
	ck_assert_int_eq(f->ops->activate(f), 0);
	diag__close(f);		/* the pinned links keep sampling */

	usleep(300000);
	f = perf_report_pinned(pin_dir, dir);
	events[0] = f->events;
	ck_assert(file_has_line(dir, "perf.folded", "hld-pinned;"));
	diag__remove_dir(dir);
	diag__close(f);

	usleep(300000);
	stop_child(child);
	f = perf_report_pinned(pin_dir, dir);
	events[1] = f->events;
	/* Exited before this report: named through its executable. */
	ck_assert_msg(file_has_line(dir, "perf.folded", "hld-pinned;") &&
		      folded_has_frame(dir, "check_perf_spin_fn"), "no check_perf_spin_fn");
	diag__remove_dir(dir);
	diag__close(f);

	f = perf_report_pinned(pin_dir, dir);
	events[2] = f->events;
	seen = diag_feature__metric(f, "samples_seen");
	ck_assert_double_lt(diag_feature__metric(f, "drops"), 1);
	diag__remove_dir(dir);
	diag__close(f);

	ck_assert_double_gt(events[0], 0);
	ck_assert_double_gt(events[1], 0);
	ck_assert_double_eq(events[2], 0);
	ck_assert_double_eq(events[0] + events[1], seen);

	d = opendir(pin_dir);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	ck_assert_int_eq(rmdir(pin_dir), 0);
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
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_perf_filter, 0,
			    sizeof(perf_filter_cases) / sizeof(perf_filter_cases[0]));
	tcase_add_test(tc, test_perf_truth);
	tcase_add_test(tc, test_perf_fp_chain);
	tcase_add_test(tc, test_perf_persistent);
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
