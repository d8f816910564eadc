// SPDX-License-Identifier: GPL-2.0
/*
 * check_workload.c - `hldbench workload NAME`: each workload run small, its
 * JSON checked against what was asked (counts, pids, cases, bounds), the
 * common members present; bad options refused with exit 2 and a message
 * naming the option; SIGTERM ends a workload with its JSON written; and,
 * where root and BPF are there, two independent measures: sys-cost counts
 * exactly the N getppid() calls of `workload syscalls N`, and irq-stats at
 * least the timer expirations `workload timers` saw, on its CPU.
 * Runs $HLDBENCH (default build/hldbench). A workload that cannot run here
 * (exit 3: mutex without userfaultfd, pages --order 9 without THP) skips
 * with its reason.
 */
#include <check.h>
#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "bpf-util.h"
#include "diag-test.h"
#include "diag.h"
#include "procfs.h"
#include "run-command.h"

#define OUT	"/tmp/check_workload.json"
#define ERR	"/tmp/check_workload.err"
#define MAX_ARGS 12

static const char *hldbench = "build/hldbench";

/* argv = { hldbench, "workload", @args..., "--json", OUT } in @argv. */
static void workload_argv(const char *const *args, const char **argv)
{
	int n = 0;

	argv[n++] = hldbench;
	argv[n++] = "workload";
	for (int i = 0; args[i] && n < MAX_ARGS + 2; i++)
		argv[n++] = args[i];
	argv[n++] = "--json";
	argv[n++] = OUT;
	argv[n] = NULL;
}

/* Run `hldbench workload ARGS --json OUT`, stderr into ERR; the exit code. */
static int workload(const char *const *args)
{
	const char *argv[MAX_ARGS + 6];

	unlink(OUT);
	workload_argv(args, argv);
	return run_command(argv, NULL, ERR);
}

/* The first line of ERR, for messages. */
static const char *err_text(void)
{
	static char buf[1024];
	FILE *f = fopen(ERR, "r");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* Member @key as a number; NaN when absent or null (every comparison then fails). */
static double num(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v ? json_object_get_double(v) : NAN;
}

static size_t len(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
}

/*
 * The members every workload writes: its name, its pid, the options, the
 * measured wall time, no stop and no error.
 */
static void check_common(json_object *r, const char *name)
{
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(json_object_get_string(get(r, "workload")), name);
	ck_assert_double_gt(num(r, "pid"), 0);
	ck_assert(json_object_is_type(get(r, "options"), json_type_object));
	ck_assert_double_gt(num(r, "wall_s"), 0);
	ck_assert_double_ge(num(r, "cpu_s"), 0);
	ck_assert(json_object_is_type(get(r, "stopped_by"), json_type_null));
	ck_assert_msg(json_object_is_type(get(r, "error"), json_type_null), "error: %s",
		      json_object_get_string(get(r, "error")));
}

/*
 * Run the workload; NULL (after printing SKIP with its reason) when it
 * cannot run here (exit 3); otherwise it must exit 0 and its JSON is
 * returned with the common members checked.
 */
static json_object *run_ok(const char *const *args)
{
	int rc = workload(args);
	json_object *r;

	if (rc == 3) {
		printf("SKIP workload %s: %s\n", args[0], err_text());
		return NULL;
	}
	ck_assert_msg(rc == 0, "workload %s: exit %d: %s", args[0], rc, err_text());
	r = json_object_from_file(OUT);
	check_common(r, args[0]);
	return r;
}

/* --- each workload, small ------------------------------------------------ */

START_TEST(test_syscalls)
{
	json_object *r = run_ok((const char *[]){ "syscalls", "1000", NULL });

	ck_assert_double_eq(num(r, "calls"), 1000);
	ck_assert_double_eq(num(get(r, "options"), "N"), 1000);
	ck_assert_str_eq(json_object_get_string(get(r, "syscall")), "getppid");
	ck_assert_double_eq(num(r, "tgid"), num(r, "pid"));
	ck_assert_double_eq(num(r, "tid"), num(r, "pid"));
	json_object_put(r);
}
END_TEST

START_TEST(test_execs)
{
	json_object *r = run_ok((const char *[]){ "execs", "20", NULL });
	json_object *pids = get(r, "pids");
	char marker[64];

	ck_assert_double_eq(num(r, "execs"), 20);
	ck_assert_double_eq(num(r, "failed"), 0);
	ck_assert_str_eq(json_object_get_string(get(r, "binary")), "/bin/true");
	snprintf(marker, sizeof(marker), "hld-execs-%.0f", num(r, "pid"));
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(get(r, "argv"), 1)),
			 marker);
	ck_assert_uint_eq(len(r, "pids"), 20);
	for (size_t i = 0; i < 20; i++)
		for (size_t k = 0; k < i; k++)
			ck_assert_int_ne(json_object_get_int(json_object_array_get_idx(pids, i)),
					 json_object_get_int(json_object_array_get_idx(pids, k)));
	json_object_put(r);
}
END_TEST

/* The shares measured are the CPU time the thread measured, summing to 100. */
START_TEST(test_cpu_split)
{
	json_object *r = run_ok((const char *[]){ "cpu-split", "60:40", "--duration", "200ms",
						  NULL });
	json_object *share = get(r, "share_pct");
	double s0, s1;

	ck_assert_uint_eq(len(r, "requested"), 2);
	ck_assert_uint_eq(len(r, "cpu_ns"), 2);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(get(r, "functions"), 1)),
			 "cpu_split_part1");
	s0 = json_object_get_double(json_object_array_get_idx(share, 0));
	s1 = json_object_get_double(json_object_array_get_idx(share, 1));
	ck_assert_double_eq_tol(s0 + s1, 100, 1e-9);
	/* Each part spins until its thread CPU clock reaches its share of the block. */
	ck_assert_double_eq_tol(s0, 60, 2);
	ck_assert_double_ge(num(r, "blocks"), 1);
	json_object_put(r);
}
END_TEST

START_TEST(test_dstate)
{
	json_object *r = run_ok((const char *[]){ "dstate", "3", "--duration", "100ms", NULL });

	ck_assert_double_eq(num(r, "tasks"), 3);
	ck_assert_uint_eq(len(r, "pids"), 3);
	ck_assert(json_object_get_boolean(get(r, "all_in_d")));
	/* held from when all were seen in D until the duration was over */
	ck_assert_double_ge(num(r, "held_s"), 0.1);
	ck_assert_double_eq(num(r, "failed"), 0);
	json_object_put(r);
}
END_TEST

/* Order 0: the kernel's own count of minor faults covers every page written. */
START_TEST(test_pages_anon)
{
	json_object *r = run_ok((const char *[]){ "pages", "500", NULL });

	ck_assert_str_eq(json_object_get_string(get(r, "method")), "anon");
	ck_assert_double_eq(num(r, "allocations"), 500);
	ck_assert_double_ge(num(r, "minor_faults"), 500);
	json_object_put(r);
}
END_TEST

START_TEST(test_pages_pipe)
{
	json_object *r = run_ok((const char *[]){ "pages", "4", "--order", "2", NULL });

	ck_assert_str_eq(json_object_get_string(get(r, "method")), "pipe");
	ck_assert_double_eq(num(r, "allocations"), 4);
	/* the slot array needs an order-2 block: above 2 pages, at most 4 */
	ck_assert_double_gt(num(r, "slot_array_bytes"), 2 * 4096);
	ck_assert_double_le(num(r, "slot_array_bytes"), 4 * 4096);
	json_object_put(r);
}
END_TEST

START_TEST(test_pages_thp)
{
	json_object *r = run_ok((const char *[]){ "pages", "2", "--order", "9", NULL });

	if (!r)
		return;
	ck_assert_str_eq(json_object_get_string(get(r, "method")), "thp");
	ck_assert_double_ge(num(r, "allocations"), 0);
	ck_assert_double_eq(num(r, "allocations") + num(r, "fell_back"), 2);
	json_object_put(r);
}
END_TEST

/* Every waiter queued, each wait within its bounds, the hold at least the duration. */
START_TEST(test_mutex)
{
	json_object *r = run_ok((const char *[]){ "mutex", "--threads", "2", "--duration", "20ms",
						  NULL });
	json_object *ws;

	if (!r)
		return;
	ck_assert_double_eq(num(r, "waits"), 2);
	ck_assert_double_eq(num(r, "holds"), 3);
	ws = get(r, "waiters");
	ck_assert_uint_eq(len(r, "waiters"), 2);
	for (size_t i = 0; i < 2; i++) {
		json_object *w = json_object_array_get_idx(ws, i);

		ck_assert_double_ne(num(w, "tid"), num(r, "holder_tid"));
		ck_assert_double_le(num(w, "wait_min_ns"), num(w, "wait_max_ns"));
	}
	ck_assert_double_ge(num(r, "hold_min_ns"), 20e6);
	ck_assert_double_le(num(r, "hold_min_ns"), num(r, "hold_max_ns"));
	json_object_put(r);
}
END_TEST

/* 22 processes over the 11 default cases: each case twice, every end as asked. */
START_TEST(test_exits)
{
	json_object *r = run_ok((const char *[]){ "exits", "22", NULL });
	json_object *cases = get(r, "cases");

	ck_assert_double_eq(num(r, "exits"), 22);
	ck_assert_double_eq(num(r, "wrong"), 0);
	ck_assert_uint_eq(len(r, "pids"), 22);
	ck_assert_uint_eq(len(r, "cases"), 11);
	for (size_t i = 0; i < 11; i++)
		ck_assert_double_eq(num(json_object_array_get_idx(cases, i), "count"), 2);
	json_object_put(r);
}
END_TEST

START_TEST(test_exits_custom)
{
	json_object *r = run_ok((const char *[]){ "exits", "3", "--codes", "7", "--signals",
						  "SIGHUP", NULL });
	json_object *c0, *c1;

	c0 = json_object_array_get_idx(get(r, "cases"), 0);
	c1 = json_object_array_get_idx(get(r, "cases"), 1);
	ck_assert_double_eq(num(c0, "code"), 7);
	ck_assert_double_eq(num(c0, "count"), 2);
	ck_assert_double_eq(num(c1, "signal"), SIGHUP);
	ck_assert_double_eq(num(c1, "count"), 1);
	json_object_put(r);
}
END_TEST

/* Every timer armed was seen to fire, on the CPU asked; armed + skipped = periods. */
START_TEST(test_timers)
{
	json_object *r = run_ok((const char *[]){ "timers", "--rate", "500", "--duration",
						  "200ms", "--cpu", "0", NULL });

	ck_assert_double_eq(num(r, "cpu"), 0);
	ck_assert_double_eq(num(r, "periods"), 100);
	ck_assert_double_eq(num(r, "fired"), num(r, "armed"));
	ck_assert_double_eq(num(r, "armed") + num(r, "skipped"), 100);
	ck_assert_double_eq(num(r, "reads_off_cpu"), 0);
	json_object_put(r);
}
END_TEST

/* --- bad options ---------------------------------------------------------- */

static const struct bad_case {
	const char *args[8];
	const char *says;		/* the message must contain this */
} bad_cases[] = {
	{ { "syscalls" }, "missing N" },
	{ { "syscalls", "0" }, "N: out of range" },
	{ { "syscalls", "abc" }, "N: bad number" },
	{ { "syscalls", "1", "2" }, "a second N" },
	{ { "syscalls", "10", "--bogus", "1" }, "unknown option '--bogus'" },
	{ { "syscalls", "10", "-x" }, "unknown option '-x'" },
	{ { "syscalls", "10", "--linger" }, "--linger needs a value" },
	{ { "syscalls", "10", "--quiet=maybe" }, "--quiet: bad value" },
	{ { "cpu-split", "70:20" }, "bad SHARES" },
	{ { "cpu-split", "70:30", "--duration", "5q" }, "--duration: bad duration" },
	{ { "execs", "3", "--binary", "bin/true" }, "--binary" },
	{ { "execs", "0" }, "N: out of range" },
	{ { "dstate", "2000" }, "N: out of range" },
	{ { "pages", "3", "--order", "1" }, "--order 1" },
	{ { "pages", "3", "--order", "11" }, "--order: out of range" },
	{ { "pages", "3", "--order", "0", "--method", "thp" }, "--method thp" },
	{ { "pages", "3", "--method", "slab" }, "--method: bad value" },
	{ { "mutex", "--threads", "65" }, "--threads: out of range" },
	{ { "mutex", "4" }, "unexpected argument '4'" },
	{ { "exits", "3", "--signals", "STOP" }, "--signals: 'STOP'" },
	{ { "exits", "3", "--signals", "NOPE" }, "--signals: 'NOPE' is no signal" },
	{ { "exits", "3", "--codes", "300" }, "--codes: bad exit code '300'" },
	{ { "exits", "3", "--codes", "", "--signals", "" }, "both empty" },
	{ { "timers", "--rate", "0" }, "--rate: out of range" },
	{ { "timers", "--cpu", "1023" }, "--cpu: CPU 1023" },
	{ { "timers", "--rate", "1", "--duration", "500ms" }, "less than one expiry" },
	{ { "nosuch" }, "unknown workload 'nosuch'" },
};

/* Refused with exit 2 before any work, naming what is wrong; no JSON written. */
START_TEST(test_bad_option)
{
	const struct bad_case *c = &bad_cases[_i];

	ck_assert_int_eq(workload(c->args), 2);
	ck_assert_msg(strstr(err_text(), c->says), "'%s' not in '%s'", c->says, err_text());
	ck_assert_int_ne(access(OUT, F_OK), 0);
}
END_TEST

static const char *const names[] = { "syscalls", "execs", "cpu-split", "dstate", "pages",
				     "mutex", "exits", "timers" };

/* --help: exit 0, the usage on stdout, the options listed. */
START_TEST(test_help)
{
	const char *argv[] = { hldbench, "workload", names[_i], "--help", NULL };
	char want[64], buf[256];
	FILE *f;

	ck_assert_int_eq(run_command(argv, OUT, ERR), 0);
	f = fopen(OUT, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	snprintf(want, sizeof(want), "usage: hldbench workload %s", names[_i]);
	ck_assert_msg(!strncmp(buf, want, strlen(want)), "got '%s'", buf);
	unlink(OUT);
}
END_TEST

/* --- signals and independent measures ------------------------------------- */

/* The state letter of /proc/@pid/stat, or 0. */
static char state_of(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	return procfs__state(path);
}

/* Start `hldbench workload ARGS --json OUT --sigstop` and wait until it has stopped. */
static void start_stopped(struct child_process *cp, const char *const *args, const char **argv)
{
	const struct timespec ms = { 0, 1000000 };
	int n;

	unlink(OUT);
	workload_argv(args, argv);
	for (n = 0; argv[n]; n++)
		;
	argv[n] = "--sigstop";
	argv[n + 1] = NULL;
	cp->argv = argv;
	cp->err_path = ERR;
	ck_assert_int_eq(child__start(cp), 0);
	for (int i = 0; i < 5000 && state_of(cp->pid) != 'T'; i++)
		nanosleep(&ms, NULL);
	ck_assert_int_eq(state_of(cp->pid), 'T');
}

/* SIGTERM mid-work: exit 0, the JSON written, stopped_by TERM, every armed timer seen. */
START_TEST(test_sigterm)
{
	const char *const args[] = { "timers", "--rate", "100", "--duration", "60s", NULL };
	const struct timespec ms = { 0, 1000000 };
	const char *argv[MAX_ARGS + 8];
	struct child_process cp = { 0 };
	json_object *r;

	start_stopped(&cp, args, argv);
	kill(cp.pid, SIGCONT);
	for (int i = 0; i < 5000 && state_of(cp.pid) == 'T'; i++)
		nanosleep(&ms, NULL);
	kill(cp.pid, SIGTERM);
	ck_assert_int_eq(child__wait(&cp), 0);
	ck_assert(WIFEXITED(cp.status) && WEXITSTATUS(cp.status) == 0);
	r = json_object_from_file(OUT);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(json_object_get_string(get(r, "stopped_by")), "TERM");
	ck_assert_double_lt(num(r, "armed"), 6000);
	ck_assert_double_eq(num(r, "fired"), num(r, "armed"));
	json_object_put(r);
}
END_TEST

/* True if root and BPF are there; otherwise print why @what is skipped. */
static bool bpf_ready(const struct diag_ops *ops, const char *what)
{
	char why[256];

	if (geteuid() != 0) {
		printf("SKIP %s: needs root\n", what);
		return false;
	}
	if (ops->probe(why, sizeof(why))) {
		printf("SKIP %s: %s\n", what, why);
		return false;
	}
	return true;
}

/*
 * Run the workload stopped, activate @ops privately with @settings (a "%d"
 * in it is the workload's pid), let it work, collect the report into @t.
 * The workload's JSON is returned.
 */
static json_object *run_watched(struct diag_test *t, const struct diag_ops *ops,
				const char *settings, const char *const *args)
{
	const char *argv[MAX_ARGS + 8];
	struct child_process cp = { 0 };
	json_object *r;

	memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->desc = &diag_descs[ops->id];
	t->out = stdout;
	snprintf(t->dir, sizeof(t->dir), "/tmp/check_workload.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
	start_stopped(&cp, args, argv);
	ck_assert_int_eq(diag_test__activate(t, settings, cp.pid), 0);
	kill(cp.pid, SIGCONT);
	ck_assert_int_eq(child__wait(&cp), 0);
	ck_assert_int_eq(cp.status, 0);
	ck_assert_int_eq(diag_test__collect(t), 0);
	r = json_object_from_file(OUT);
	check_common(r, args[0]);
	return r;
}

/* The sum of "count" over the rows of @arr whose "name" is @name. */
static double count_named(json_object *arr, const char *name)
{
	double n = 0;

	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *s = json_object_get_string(get(e, "name"));

		if (s && !strcmp(s, name))
			n += num(e, "count");
	}
	return n;
}

static void watched_free(struct diag_test *t)
{
	diag__close(t->f);
	json_object_put(t->summary);
	diag__remove_dir(t->dir);
}

/* sys-cost, filtered to the workload's pid, counts exactly its N getppid() calls. */
START_TEST(test_syscalls_syscost)
{
	struct diag_test t;
	json_object *r, *rep;
	double got;

	if (!bpf_ready(&bpf_sys_cost_ops, "syscalls against sys-cost"))
		return;
	r = run_watched(&t, &bpf_sys_cost_ops, "tgid=%d",
			(const char *[]){ "syscalls", "20000", NULL });
	rep = diag_test__json(&t, "syscost.json");
	got = count_named(get(rep, "by_syscall"), "getppid");
	printf("workload syscalls: %.0f calls made, sys-cost counted %.0f getppid\n",
	       num(r, "calls"), got);
	ck_assert_double_eq(got, num(r, "calls"));
	ck_assert_uint_eq(t.f->drops, 0);
	json_object_put(rep);
	json_object_put(r);
	watched_free(&t);
}
END_TEST

/*
 * irq-stats counts timerfd_tmrproc at least once per timer the workload saw
 * fire (other processes' timerfds may add to it: no upper bound).
 */
START_TEST(test_timers_irqstats)
{
	struct diag_test t;
	json_object *r, *rep;
	double got;

	if (!bpf_ready(&bpf_irq_stats_ops, "timers against irq-stats"))
		return;
	r = run_watched(&t, &bpf_irq_stats_ops, "top-timers=10000",
			(const char *[]){ "timers", "--rate", "1000", "--duration", "200ms", NULL });
	rep = diag_test__json(&t, "irq-stats.json");
	got = count_named(get(rep, "timers"), "timerfd_tmrproc");
	printf("workload timers: %.0f timers fired, irq-stats counted %.0f timerfd_tmrproc\n",
	       num(r, "fired"), got);
	ck_assert_double_ge(num(r, "fired"), 1);
	ck_assert_double_ge(got, num(r, "fired"));
	json_object_put(rep);
	json_object_put(r);
	watched_free(&t);
}
END_TEST

static Suite *workload_suite(void)
{
	Suite *s = suite_create("workload");
	TCase *tc;

	tc = tcase_create("counts");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_syscalls);
	tcase_add_test(tc, test_execs);
	tcase_add_test(tc, test_cpu_split);
	tcase_add_test(tc, test_dstate);
	tcase_add_test(tc, test_pages_anon);
	tcase_add_test(tc, test_pages_pipe);
	tcase_add_test(tc, test_pages_thp);
	tcase_add_test(tc, test_mutex);
	tcase_add_test(tc, test_exits);
	tcase_add_test(tc, test_exits_custom);
	tcase_add_test(tc, test_timers);
	suite_add_tcase(s, tc);

	tc = tcase_create("options");
	tcase_add_loop_test(tc, test_bad_option, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_loop_test(tc, test_help, 0, sizeof(names) / sizeof(names[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("signals and independent measures");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sigterm);
	tcase_add_test(tc, test_syscalls_syscost);
	tcase_add_test(tc, test_timers_irqstats);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (getenv("HLDBENCH"))
		hldbench = getenv("HLDBENCH");
	sr = srunner_create(workload_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
