// SPDX-License-Identifier: GPL-2.0
/*
 * check_runtrace.c - run-trace on the eBPF backend against ground truth: a
 * forked child alternates ROUNDS x (spin SPIN_MS of its own CPU time, then
 * nanosleep SLEEP_MS). The trace must hold >= ROUNDS off-CPU intervals with
 * reason S whose kernel stacks name a nanosleep function, at least
 * ROUNDS x SLEEP_MS of S time, each with its wakeup seen (a nanosleep never returns early: a lower
 * bound, not a timing assertion), and on-CPU time that agrees with the
 * child's CLOCK_THREAD_CPUTIME_ID (bound justified at cpu_bound_ns()).
 * Also the cap: with max-events 5 the rest are counted as drops. Needs root
 * and BPF; skips with the reason.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag.h"
#include "hld_settings.h"

#define ROUNDS		10
#define SPIN_MS		20
#define SLEEP_MS	30
#define NS_PER_MS	1000000ull

static const char *runtrace_unavailable(char *why, size_t len)
{
	if (geteuid() != 0)
		return "needs root";
	if (bpf_run_trace_ops.probe(why, len))
		return why;
	return NULL;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Burn @ns of this thread's CPU time, checking the clock rarely (few syscalls). */
static void spin_cpu(uint64_t ns)
{
	uint64_t end = thread_cpu_ns() + ns;
	volatile uint64_t x = 0;

	while (thread_cpu_ns() < end)
		for (int i = 0; i < 200000; i++)
			x += i;
}

/*
 * The child: wait for "go" on @go, do the known work, then send its CPU
 * time consumed since "go" on @res and exit.
 */
static void child_run(int go, int res)
{
	struct timespec sl = { 0, SLEEP_MS * NS_PER_MS };
	uint64_t t0, d;
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (read(go, &c, 1) != 1)
		_exit(2);
	t0 = thread_cpu_ns();
	for (int i = 0; i < ROUNDS; i++) {
		spin_cpu(SPIN_MS * NS_PER_MS);
		nanosleep(&sl, NULL);
	}
	d = thread_cpu_ns() - t0;
	if (write(res, &d, sizeof(d)) != sizeof(d))
		_exit(3);
	_exit(0);
}

/* Run @f's report into a fresh directory @dir (at least 32 bytes). */
static void report_into(struct diag_feature *f, char *dir)
{
	struct diag_outputs out;
	struct json_writer j;
	FILE *null = fopen("/dev/null", "w");

	ck_assert_ptr_nonnull(null);
	strcpy(dir, "/tmp/check_runtrace.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	json__init(&j, null, false);
	json__begin_object(&j, NULL);
	out.dir = dir;
	out.json = &j;
	ck_assert_int_eq(f->ops->report(f, &out), 0);
	json__end_object(&j);
	fclose(null);
}

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

static json_object *obj_get(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* Does some frame of the interval @ev name a nanosleep function? */
static bool stack_has_nanosleep(json_object *ev)
{
	json_object *ks = obj_get(ev, "kstack");

	for (size_t i = 0; ks && i < json_object_array_length(ks); i++) {
		const char *sym = json_object_get_string(obj_get(json_object_array_get_idx(ks, i),
								 "sym"));

		if (sym && strstr(sym, "nanosleep"))
			return true;
	}
	return false;
}

/*
 * How far the traced on-CPU time may be from the child's own CPU time @cpu.
 * Both come from the scheduler clock at the same switches, but: the trace
 * also covers the child's last instructions after it read its clock (a
 * write and _exit, well under 1 ms) and its return from read() before it
 * read it first; the thread clock excludes IRQ and steal time the trace's
 * intervals include (CONFIG_IRQ_TIME_ACCOUNTING, paravirt steal). 2 ms plus
 * 5% of @cpu covers these on a quiet machine with room to spare.
 */
static uint64_t cpu_bound_ns(uint64_t cpu)
{
	return 2 * NS_PER_MS + cpu / 20;
}

/* Fork the child, trace it with @s, and return its CPU time; the report goes to @dir. */
static uint64_t trace_child(struct hld_runtrace_settings *s, struct diag_feature **fp, char *dir)
{
	int go[2], res[2], status;
	struct diag_feature *f;
	uint64_t cpu = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(res), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		child_run(go[0], res[1]);
	s->pid = pid;
	f = diag__open(&bpf_run_trace_ops, s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	while (read(res[0], &cpu, sizeof(cpu)) < 0)
		;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	report_into(f, dir);
	close(go[0]);
	close(go[1]);
	close(res[0]);
	close(res[1]);
	*fp = f;
	return cpu;
}

static struct hld_runtrace_settings defaults(void)
{
	struct hld_runtrace_settings s = {
		.pid = -1, .max_events = 100000, .ringbuf_size = 4 << 20,
	};

	return s;
}

START_TEST(test_sleep_intervals)
{
	struct hld_runtrace_settings s = defaults();
	json_object *root, *tl;
	char dir[64], path[128], why[256];
	const char *skip = runtrace_unavailable(why, sizeof(why));
	struct diag_feature *f;
	uint64_t cpu, oncpu, sleep_ns = 0;
	int sleeps = 0, named = 0, woken = 0;

	if (skip) {
		printf("SKIP check_runtrace: %s\n", skip);
		return;
	}
	cpu = trace_child(&s, &f, dir);
	snprintf(path, sizeof(path), "%s/run-trace.json", dir);
	root = json_object_from_file(path);
	ck_assert_ptr_nonnull(root);
	tl = obj_get(root, "timeline");
	ck_assert_ptr_nonnull(tl);
	for (size_t i = 0; i < json_object_array_length(tl); i++) {
		json_object *ev = json_object_array_get_idx(tl, i);
		const char *reason = json_object_get_string(obj_get(ev, "reason"));

		if (strcmp(json_object_get_string(obj_get(ev, "state")), "off-cpu") ||
		    !reason || strcmp(reason, "S"))
			continue;
		sleeps++;
		sleep_ns += json_object_get_uint64(obj_get(ev, "duration_ns"));
		named += stack_has_nanosleep(ev);
		woken += json_object_get_type(obj_get(ev, "waker_pid")) == json_type_int;
	}
	ck_assert_int_ge(sleeps, ROUNDS);
	ck_assert_int_ge(named, ROUNDS);
	ck_assert_int_ge(woken, ROUNDS);	/* each nanosleep ends in a wakeup */
	ck_assert_uint_ge(sleep_ns, ROUNDS * SLEEP_MS * NS_PER_MS);
	ck_assert_uint_ge(diag_feature__metric(f, "offcpu_sleep_ns"), ROUNDS * SLEEP_MS * NS_PER_MS);
	ck_assert_uint_eq(diag_feature__metric(f, "drops"), 0);
	ck_assert_uint_eq(diag_feature__metric(f, "events"), json_object_array_length(tl));
	oncpu = diag_feature__metric(f, "oncpu_ns");
	ck_assert_uint_ge(cpu, ROUNDS * SPIN_MS * NS_PER_MS);
	ck_assert_msg(oncpu + cpu_bound_ns(cpu) >= cpu && oncpu <= cpu + cpu_bound_ns(cpu),
		      "traced on-CPU %llu ns, child's own CPU time %llu ns",
		      (unsigned long long)oncpu, (unsigned long long)cpu);
	/* The spin is user code: most of the on-CPU time is user mode. */
	ck_assert_uint_ge(diag_feature__metric(f, "oncpu_user_ns"), oncpu / 2);
	json_object_put(root);
	diag__close(f);
	remove_dir(dir);
}
END_TEST

START_TEST(test_cap)
{
	struct hld_runtrace_settings s = defaults();
	char dir[64], why[256];
	const char *skip = runtrace_unavailable(why, sizeof(why));
	struct diag_feature *f;

	if (skip) {
		printf("SKIP check_runtrace: %s\n", skip);
		return;
	}
	s.max_events = 5;
	trace_child(&s, &f, dir);
	ck_assert_uint_eq(diag_feature__metric(f, "events"), 5);
	/* >= 2 intervals a round (on, off), each beyond the cap a drop. */
	ck_assert_uint_ge(diag_feature__metric(f, "drops"), 2 * ROUNDS - 5);
	ck_assert_uint_ge(diag_feature__metric(f, "offcpu_sleep_ns"), ROUNDS * SLEEP_MS * NS_PER_MS);
	diag__close(f);
	remove_dir(dir);
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

static Suite *runtrace_suite(void)
{
	Suite *s = suite_create("runtrace");
	TCase *tc = tcase_create("truth");
	TCase *tset = tcase_create("settings");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sleep_intervals);
	tcase_add_test(tc, test_cap);
	suite_add_tcase(s, tc);
	tcase_add_test(tset, test_pid_required);
	suite_add_tcase(s, tset);
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
