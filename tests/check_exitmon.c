// SPDX-License-Identifier: GPL-2.0
/*
 * check_exitmon.c - exit-monitor on the eBPF backend: the ground-truth test
 * (harness/truth-exit-monitor.c: N exits with known codes and signals),
 * the settings it does not cover (no user stacks, a tgid filter), a
 * persistent activation whose reports drain the pinned ring buffer, and
 * conservation (received + dropped == N with the reader stopped). Needs
 * root and BPF; skips with the reason.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag-test.h"
#include "diag.h"
#include "hld_settings.h"

#define CODES	10		/* children exit(0) .. exit(CODES - 1) */
#define NKIDS	(CODES + 1)	/* and one killed by SIGKILL */
#define POLLS	300		/* polls of 10 ms to wait for the records at most */
#define COMM	"hld-exit"

static const char *exitmon_unavailable(char *why, size_t len)
{
	if (geteuid() != 0)
		return "needs root";
	if (bpf_exit_monitor_ops.probe(why, len))
		return why;
	return NULL;
}

/* Run @f's report into a fresh directory @dir (at least 32 bytes). */
static void report_into(struct diag_feature *f, char *dir)
{
	strcpy(dir, "/tmp/check_exitmon.XXXXXX");
	ck_assert_int_eq(diag__report_into(f, dir), 0);
}

static json_object *obj_get(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/*
 * A child named COMM: @sig 0 exits with @code at once; otherwise it sets
 * @sig to its default action (the Check runner's SIGTERM handler is
 * inherited) and waits to be killed with it. Returns once the child is
 * ready for the signal.
 */
static pid_t start_child(int code, int sig)
{
	struct rlimit no_core = { 0, 0 };
	int fds[2];
	char c = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		prctl(PR_SET_NAME, COMM);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setrlimit(RLIMIT_CORE, &no_core);
		if (sig)
			signal(sig, SIG_DFL);
		if (write(fds[1], &c, 1) != 1)
			_exit(127);
		if (sig)
			for (;;)
				pause();
		_exit(code);
	}
	close(fds[1]);
	if (pid > 0)
		ck_assert_int_eq(read(fds[0], &c, 1), 1);
	close(fds[0]);
	return pid;
}

/* What one child should be reported as. */
struct kid {
	pid_t pid;
	int code;	/* exit status, -1 if killed */
	int sig;	/* signal, 0 if exited */
	int seen;
};

static const struct exit_case {
	const char *name;
	bool user_stacks;
	bool tgid_filter;	/* watch only the SIGKILL child */
} exit_cases[] = {
	{ "comm filter, no user stacks", false, false },
	{ "tgid filter", true, true },
};

/*
 * Does the innermost frame of the record's user stack lie in the file the
 * program found (libc, at an offset), named by its function? The child
 * waits in pause(), in libc, and was killed: the name comes from libc's
 * symbols, read by the path the program kept, after the child is gone.
 */
static bool has_named_frame(struct json_object *rec)
{
	struct json_object *ustack = obj_get(rec, "ustack"), *fr;
	const char *file, *sym;

	if (!ustack || !json_object_array_length(ustack))
		return false;
	fr = json_object_array_get_idx(ustack, 0);
	file = json_object_get_string(obj_get(fr, "file"));
	sym = json_object_get_string(obj_get(fr, "sym"));
	return file && sym && !strncmp(file, "libc", 4) &&
	       json_object_get_int64(obj_get(fr, "offset")) && sym[0] != '[' && strstr(sym, "pause");
}

/* Check one record against the child it names; false if it names none. */
static bool check_record(struct json_object *rec, struct kid *kids, bool user_stacks)
{
	int64_t pid = json_object_get_int64(obj_get(rec, "pid"));
	struct json_object *ustack = obj_get(rec, "ustack");

	for (int k = 0; k < NKIDS; k++) {
		struct kid *kid = &kids[k];

		if (kid->pid != pid)
			continue;
		kid->seen++;
		ck_assert_str_eq(json_object_get_string(obj_get(rec, "comm")), COMM);
		ck_assert_int_eq(json_object_get_int64(obj_get(rec, "ppid")), getpid());
		if (kid->sig) {
			ck_assert_str_eq(json_object_get_string(obj_get(rec, "how")), "killed");
			ck_assert_int_eq(json_object_get_int64(obj_get(rec, "signal")), kid->sig);
			ck_assert(json_object_is_type(obj_get(rec, "code"), json_type_null));
		} else {
			ck_assert_str_eq(json_object_get_string(obj_get(rec, "how")), "exited");
			ck_assert_int_eq(json_object_get_int64(obj_get(rec, "code")), kid->code);
			ck_assert(json_object_is_type(obj_get(rec, "signal"), json_type_null));
		}
		ck_assert(!json_object_get_boolean(obj_get(rec, "core_dumped")));
		ck_assert_ptr_nonnull(ustack);
		/* The tracepoint runs before exit_mm() on this kernel: the stack is there. */
		if (user_stacks)
			ck_assert_int_gt(json_object_array_length(ustack), 0);
		else
			ck_assert_int_eq(json_object_array_length(ustack), 0);
		/* The program named the file of the frame the child waited in. */
		if (user_stacks && kid->sig)
			ck_assert_msg(has_named_frame(rec), "child %d: no user frame named", kid->pid);
		return true;
	}
	return false;
}

START_TEST(test_exit_settings)
{
	const struct exit_case *c = &exit_cases[_i];
	struct kid kids[NKIDS];
	struct json_object *root, *recs;
	struct hld_exit_settings s;
	struct diag_feature *f;
	char why[256], dir[64], path[128];
	const char *skip;
	uint64_t want;

	skip = exitmon_unavailable(why, sizeof(why));
	if (skip) {
		printf("SKIP check_exitmon %s: %s\n", c->name, skip);
		return;
	}
	/* The SIGKILL child first, so that the tgid filter can name it. */
	kids[CODES] = (struct kid){ start_child(0, SIGKILL), -1, SIGKILL, 0 };
	ck_assert_int_gt(kids[CODES].pid, 0);
	ck_assert_int_eq(opts__defaults(diag_descs[DIAG_exit_monitor].opts, &s), 0);
	snprintf(s.comm, sizeof(s.comm), "%s", COMM);
	s.user_stacks = c->user_stacks;
	s.tgid = c->tgid_filter ? kids[CODES].pid : -1;
	f = diag__open(&bpf_exit_monitor_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	for (int i = 0; i < CODES; i++) {
		kids[i] = (struct kid){ start_child(i, 0), i, 0, 0 };
		ck_assert_int_gt(kids[i].pid, 0);
	}
	ck_assert_int_eq(kill(kids[CODES].pid, SIGKILL), 0);
	for (int i = 0; i < NKIDS; i++) {
		int st;

		ck_assert_int_eq(waitpid(kids[i].pid, &st, 0), kids[i].pid);
		if (kids[i].sig)
			ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == kids[i].sig);
		else
			ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == kids[i].code);
	}
	want = c->tgid_filter ? 1 : NKIDS;
	for (int i = 0; i < POLLS && f->events < want; i++) {
		usleep(DIAG_POLL_MS * 1000);
		ck_assert_int_eq(f->ops->poll(f), 0);
	}
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	report_into(f, dir);
	ck_assert_double_eq(diag_feature__metric(f, "drops"), 0);
	if (c->tgid_filter)
		ck_assert_double_eq(diag_feature__metric(f, "exits"), 1);
	else
		ck_assert_double_ge(diag_feature__metric(f, "exits"), NKIDS);

	snprintf(path, sizeof(path), "%s/exit.json", dir);
	root = json_object_from_file(path);
	ck_assert_msg(root, "%s does not parse", path);
	recs = obj_get(root, "records");
	ck_assert_ptr_nonnull(recs);
	for (size_t r = 0; r < json_object_array_length(recs); r++)
		check_record(json_object_array_get_idx(recs, r), kids, c->user_stacks);
	for (int k = 0; k < NKIDS; k++) {
		int want_seen = !c->tgid_filter || k == CODES;

		ck_assert_msg(kids[k].seen == want_seen, "child %d (code %d, signal %d) reported %d times",
			      kids[k].pid, kids[k].code, kids[k].sig, kids[k].seen);
	}
	json_object_put(root);
	diag__remove_dir(dir);
	diag__close(f);
}
END_TEST

/* The ground-truth test `hldbench diag exit-monitor --test` runs. */
START_TEST(test_exit_ground_truth)
{
	char why[256];
	const char *skip = exitmon_unavailable(why, sizeof(why));

	if (skip) {
		printf("SKIP check_exitmon ground truth: %s\n", skip);
		return;
	}
	ck_assert_int_eq(diag_test__run(&bpf_exit_monitor_ops, stdout), 0);
}
END_TEST


/* Fork @n children named COMM that exit with code 7, and reap them. */
static void run_exits(int n)
{
	for (int i = 0; i < n; i++) {
		pid_t pid = start_child(7, 0);
		int st;

		ck_assert_int_gt(pid, 0);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	}
}

/*
 * Nothing lost silently: with a one-page ring buffer (two records) and the
 * reader stopped, N exits must come out as records or as counted drops,
 * exactly N in all.
 */
START_TEST(test_exit_conservation)
{
	enum { N = 32 };
	struct hld_exit_settings s;
	struct diag_feature *f;
	char why[256], dir[64];
	const char *skip = exitmon_unavailable(why, sizeof(why));
	double exits, drops;

	if (skip) {
		printf("SKIP check_exitmon conservation: %s\n", skip);
		return;
	}
	ck_assert_int_eq(opts__defaults(diag_descs[DIAG_exit_monitor].opts, &s), 0);
	snprintf(s.comm, sizeof(s.comm), "%s", COMM);
	s.ringbuf_size = 4096;
	f = diag__open(&bpf_exit_monitor_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	run_exits(N);
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	report_into(f, dir);
	exits = diag_feature__metric(f, "exits");
	drops = diag_feature__metric(f, "drops");
	ck_assert_msg(drops > 0, "a 4096-byte ring buffer held all %d records", N);
	ck_assert_msg(exits + drops == N, "received %.0f + dropped %.0f != %d", exits, drops, N);
	ck_assert_uint_eq(f->events + f->drops, N);
	diag__remove_dir(dir);
	diag__close(f);
}
END_TEST

/* A process that reopens the activation in @pin and reports: exits by this test's children. */
static int reopen_report(const struct hld_exit_settings *s, const char *pin, uint64_t *events)
{
	struct diag_feature *f = diag__open(&bpf_exit_monitor_ops, s);
	struct json_object *root, *recs;
	char dir[64], path[128];
	int n = 0;

	ck_assert_ptr_nonnull(f);
	f->pin_dir = pin;
	ck_assert_int_eq(f->ops->reopen(f), 0);
	report_into(f, dir);
	*events = f->events;
	ck_assert_uint_eq(f->drops, 0);
	snprintf(path, sizeof(path), "%s/exit.json", dir);
	root = json_object_from_file(path);
	ck_assert_msg(root, "%s does not parse", path);
	recs = obj_get(root, "records");
	ck_assert_ptr_nonnull(recs);
	for (size_t r = 0; r < json_object_array_length(recs); r++) {
		struct json_object *rec = json_object_array_get_idx(recs, r);

		n += json_object_get_int64(obj_get(rec, "ppid")) == getpid() &&
		     json_object_get_int64(obj_get(rec, "code")) == 7;
	}
	json_object_put(root);
	diag__remove_dir(dir);
	diag__close(f);
	return n;
}

/*
 * A persistent activation: pinned maps and link outlive the activating
 * feature, and each report in a reopening "process" holds the exits since
 * the previous one: A, then none, then B.
 */
START_TEST(test_exit_persistent)
{
	enum { A = 6, B = 3 };
	struct hld_exit_settings s;
	struct diag_feature *f;
	char why[256], pin[64];
	const char *skip = exitmon_unavailable(why, sizeof(why));
	uint64_t events;

	if (skip) {
		printf("SKIP check_exitmon persistent: %s\n", skip);
		return;
	}
	ck_assert_int_ge(diag__pin_root(), 0);
	/* Beside the activations of `hldbench diag`, under a name it never uses. */
	snprintf(pin, sizeof(pin), DIAG_PIN_ROOT "/check_exitmon-%d", getpid());
	ck_assert_int_eq(mkdir(pin, 0700), 0);
	ck_assert_int_eq(opts__defaults(diag_descs[DIAG_exit_monitor].opts, &s), 0);
	snprintf(s.comm, sizeof(s.comm), "%s", COMM);
	f = diag__open(&bpf_exit_monitor_ops, &s);
	ck_assert_ptr_nonnull(f);
	f->pin_dir = pin;
	ck_assert_int_eq(f->ops->activate(f), 0);
	diag__close(f);		/* as `--activate` does: the pinned link stays */

	run_exits(A);
	ck_assert_int_eq(reopen_report(&s, pin, &events), A);
	ck_assert_uint_ge(events, A);
	ck_assert_int_eq(reopen_report(&s, pin, &events), 0);
	run_exits(B);
	ck_assert_int_eq(reopen_report(&s, pin, &events), B);
	diag__remove_dir(pin);	/* `--deactivate`: the link goes with its pin */
	ck_assert_int_eq(access(pin, F_OK), -1);
}
END_TEST

static Suite *exitmon_suite(void)
{
	Suite *s = suite_create("exitmon");
	TCase *tc;

	/*
	 * The timeouts guard against hangs only: `make test` runs this in TCG
	 * guests too, where one load of the programs takes seconds and a case
	 * several times what it takes here.
	 */

	tc = tcase_create("truth");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_exit_ground_truth);
	suite_add_tcase(s, tc);

	tc = tcase_create("settings");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_exit_settings, 0, sizeof(exit_cases) / sizeof(exit_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("persistence");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_exit_persistent);
	suite_add_tcase(s, tc);

	tc = tcase_create("conservation");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_exit_conservation);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(exitmon_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
