// SPDX-License-Identifier: GPL-2.0
/*
 * check_tracepoint.c - the tracepoint feature: names resolve to the raw
 * tracepoints they mean (and a bad one says what to do), the program
 * attaches to any of them, hit counts are exact (the ground truth, and N
 * getppid() calls through syscalls:sys_enter_getppid, whose user frames
 * are named though the child exited before the report), and each report
 * drains exactly what happened since the previous one, in the process
 * that activated and, persistently, through `hldbench diag`.
 *
 * Needs root, BPF and the kernel's BTF; skips with the reason otherwise.
 */
#include <check.h>
#include <errno.h>
#include <sched.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag-test.h"
#include "diag.h"
#include "hld_settings.h"
#include "run-command.h"
#include "tracepoint.h"

#define GETPPID_CALLS	20000
#define FORKS_BEFORE	30	/* forks before the first report */
#define FORKS_AFTER	70	/* and between the first and the second */

static const char *hldbench = "build/hldbench";

/* Why BPF tests cannot run here, or NULL if they can. */
static const char *bpf_unusable(void)
{
	static char why[256];

	if (geteuid())
		return "needs root";
	if (bpf_util__probe(why, sizeof(why)))
		return why;
	return NULL;
}

#define SKIP_UNLESS_BPF()                                                 \
	do {                                                              \
		const char *why_ = bpf_unusable();                        \
		if (why_) {                                               \
			printf("SKIP %s: %s\n", __func__, why_);          \
			return;                                           \
		}                                                         \
	} while (0)

/* --- names ------------------------------------------------------------------ */

static const struct {
	const char *name;
	int err;
	const char *raw;	/* on success */
	int64_t sysnr;
	bool sys_exit;
	const char *why;	/* on failure: in the reason */
} names[] = {
	{ "sched:sched_switch", 0, "sched_switch", -1, false, NULL },
	{ "sched_switch", 0, "sched_switch", -1, false, NULL },
	{ "sched:sched_process_fork", 0, "sched_process_fork", -1, false, NULL },
	{ "block:block_rq_issue", 0, "block_rq_issue", -1, false, NULL },
	{ "raw_syscalls:sys_enter", 0, "sys_enter", -1, false, NULL },
	{ "syscalls:sys_enter_getppid", 0, "sys_enter", 110, false, NULL },
	{ "syscalls:sys_exit_write", 0, "sys_exit", 1, true, NULL },
	{ "sched:sched_swich", -ENOENT, NULL, 0, false, "did you mean sched_switch" },
	{ "no_such_tracepoint_here", -ENOENT, NULL, 0, false, "/sys/kernel/btf/vmlinux" },
	{ "syscalls:sys_enter_nosuchcall", -ENOENT, NULL, 0, false, "no x86_64 syscall" },
	{ "", -EINVAL, NULL, 0, false, "required" },
	{ "sched:", -EINVAL, NULL, 0, false, "not a tracepoint name" },
	{ ":sched_switch", -EINVAL, NULL, 0, false, "not a tracepoint name" },
	{ "a:b:c", -EINVAL, NULL, 0, false, "not a tracepoint name" },
};

START_TEST(test_resolve)
{
	struct tp_target t;
	char why[1024] = "";
	int err;

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		printf("SKIP %s: no /sys/kernel/btf/vmlinux\n", __func__);
		return;
	}
	err = tracepoint__resolve(names[_i].name, &t, why, sizeof(why));
	ck_assert_msg(err == names[_i].err, "%s: %d (%s)", names[_i].name, err, why);
	if (err) {
		ck_assert_msg(strstr(why, names[_i].why), "%s: '%s'", names[_i].name, why);
		return;
	}
	ck_assert_str_eq(t.raw, names[_i].raw);
	ck_assert_int_eq(t.sysnr, names[_i].sysnr);
	ck_assert_int_eq(t.sys_exit, names[_i].sys_exit);
}
END_TEST

/*
 * With tracefs mounted, a subsystem that does not hold the event is
 * refused, naming the right one. A fresh boot has no tracefs: the test
 * mounts one in a mount namespace of its own, which leaves the machine's
 * mounts as they were.
 */
START_TEST(test_resolve_subsys)
{
	const char *tracefs = "/sys/kernel/tracing";
	struct tp_target t;
	char why[1024] = "";

	if (geteuid() != 0) {
		printf("SKIP %s: needs root to mount tracefs\n", __func__);
		return;
	}
	if (access("/sys/kernel/tracing/events/sched/sched_switch", F_OK)) {
		ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
		ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
		ck_assert_int_eq(mount("nodev", tracefs, "tracefs", 0, NULL), 0);
	}
	ck_assert_int_eq(access("/sys/kernel/tracing/events/sched/sched_switch", F_OK), 0);
	ck_assert_int_eq(tracepoint__resolve("irq:sched_switch", &t, why, sizeof(why)), -ENOENT);
	ck_assert_msg(strstr(why, "name=sched:sched_switch"), "%s", why);
}
END_TEST

/* tracepoint__check() reads the name from the settings, unterminated or not. */
START_TEST(test_check_settings)
{
	struct hld_tracepoint_settings s;
	char why[1024];

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		printf("SKIP %s: no /sys/kernel/btf/vmlinux\n", __func__);
		return;
	}
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(tracepoint__check(&s, why, sizeof(why)), -EINVAL);
	strcpy(s.name, "sched:sched_switch");
	ck_assert_int_eq(tracepoint__check(&s, why, sizeof(why)), 0);
	memset(s.name, 'x', sizeof(s.name));
	ck_assert_int_eq(tracepoint__check(&s, why, sizeof(why)), -EINVAL);
	s.name[20] = '\0';
	ck_assert_int_eq(tracepoint__check(&s, why, sizeof(why)), -ENOENT);
}
END_TEST

/* --- attach -------------------------------------------------------------------- */

static const char *const attach_names[] = {
	"sched:sched_switch", "raw_syscalls:sys_enter", "block:block_rq_issue",
	"sched:sched_process_fork", "syscalls:sys_exit_getppid",
};

/* The feature open with its defaults overridden by @text. */
static struct diag_feature *open_feature(const char *text)
{
	const struct diag_desc *d = &diag_descs[DIAG_tracepoint];
	struct hld_tracepoint_settings s;
	struct diag_feature *f;
	char err[512];

	ck_assert_int_eq(d->settings_size, sizeof(s));
	ck_assert_int_eq(opts__defaults(d->opts, &s), 0);
	ck_assert_msg(!diag_desc__parse(d, text, &s, err, sizeof(err)), "%s: %s", text, err);
	f = diag__open(&bpf_tracepoint_ops, &s);
	ck_assert_ptr_nonnull(f);
	return f;
}

START_TEST(test_attach)
{
	char text[128];
	struct diag_feature *f;

	SKIP_UNLESS_BPF();
	snprintf(text, sizeof(text), "name=%s", attach_names[_i]);
	f = open_feature(text);
	ck_assert_int_eq(bpf_tracepoint_ops.activate(f), 0);
	ck_assert_int_eq(bpf_tracepoint_ops.deactivate(f), 0);
	diag__close(f);
}
END_TEST

/* A name that does not resolve is refused before anything is loaded. */
START_TEST(test_attach_bad_name)
{
	struct diag_feature *f;

	SKIP_UNLESS_BPF();
	f = open_feature("name=sched:sched_swich");
	ck_assert_int_eq(bpf_tracepoint_ops.activate(f), -ENOENT);
	diag__close(f);
}
END_TEST

/* --- exact counts ---------------------------------------------------------------- */

START_TEST(test_truth)
{
	SKIP_UNLESS_BPF();
	ck_assert_int_eq(diag_test__run(&bpf_tracepoint_ops, stdout), 0);
}
END_TEST

/* N raw getppid() calls. */
static int getppid_loop(void *arg)
{
	for (long i = 0; i < *(long *)arg; i++)
		syscall(SYS_getppid);
	return 0;
}

static const struct {
	const char *settings;	/* with tgid=CHILD appended */
	bool kernel_frame;	/* the stacks name the syscall's kernel entry */
	bool user_frame;	/* and the child's function, though it exited before the report */
} syscall_cases[] = {
	{ "name=syscalls:sys_enter_getppid", true, true },
	{ "name=syscalls:sys_exit_getppid stacks=kernel", true, false },
	{ "name=syscalls:sys_enter_getppid stacks=none", false, false },
};

/* The unsigned member @key of @o, or -1. */
static double member(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? (double)json_object_get_uint64(v) : -1;
}

START_TEST(test_syscall)
{
	struct diag_test t = {
		.ops = &bpf_tracepoint_ops,
		.desc = &diag_descs[DIAG_tracepoint],
		.out = stdout,
		.dir = "/tmp/hld-check-tp-XXXXXX",
	};
	long n = GETPPID_CALLS;
	struct diag_child c;
	json_object *rep, *stacks;
	char path[128];
	int status;

	SKIP_UNLESS_BPF();
	ck_assert_ptr_nonnull(mkdtemp(t.dir));
	ck_assert_int_eq(diag_child__start(&c, "hld-getppid", getppid_loop, &n), 0);
	ck_assert_int_eq(diag_test__activate(&t, "%s tgid=%d", syscall_cases[_i].settings, c.pid), 0);
	ck_assert_int_eq(diag_child__go(&c), 0);
	status = diag_child__wait(&c);
	ck_assert(WIFEXITED(status) && !WEXITSTATUS(status));
	ck_assert_int_eq(diag_test__collect(&t), 0);
	rep = diag_test__json(&t, "tracepoint.json");
	ck_assert_ptr_nonnull(rep);
	ck_assert_int_eq(member(rep, "hits"), n);
	ck_assert_int_eq(member(rep, "drops"), 0);
	ck_assert(json_object_object_get_ex(rep, "stacks", &stacks));
	ck_assert_int_ge(json_object_array_length(stacks), 1);
	if (syscall_cases[_i].kernel_frame) {
		const char *top = json_object_get_string(json_object_object_get(
			json_object_array_get_idx(stacks, 0), "folded"));

		ck_assert_msg(strstr(top, "do_syscall_64_[k]"), "%s", top);
		/*
		 * The child is gone: only the files the program noted name its
		 * frames (getppid_loop has no frame of its own at -O2).
		 */
		if (syscall_cases[_i].user_frame)
			ck_assert_msg(strstr(top, ";diag_child__start;syscall;"), "%s", top);
	}
	json_object_put(rep);
	unlink(diag_test__path(&t, "tracepoint.txt", path, sizeof(path)));
	unlink(diag_test__path(&t, "tracepoint.json", path, sizeof(path)));
	unlink(diag_test__path(&t, "tracepoint.folded", path, sizeof(path)));
	unlink(diag_test__path(&t, "summary.json", path, sizeof(path)));
	rmdir(t.dir);
	if (t.summary)
		json_object_put(t.summary);
	diag__close(t.f);
}
END_TEST

/* --- drains ------------------------------------------------------------------------ */

/* Round 0 of the forker: FORKS_BEFORE forks, each reaped; round 1: FORKS_AFTER. */
static int fork_round(void *arg, int round)
{
	for (int i = 0; i < (round ? FORKS_AFTER : FORKS_BEFORE); i++) {
		pid_t p = fork();

		if (p == 0)
			_exit(0);
		if (p < 0 || waitpid(p, NULL, 0) != p)
			return 1;
	}
	return 0;
}

/* report() into a scratch directory; the hits it counted. */
static uint64_t report_hits(struct diag_feature *f)
{
	char dir[] = "/tmp/hld-check-tp-XXXXXX", path[128];
	struct diag_outputs out = { .dir = dir };
	struct json_writer j;
	FILE *jf;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	jf = fopen(path, "w");
	ck_assert_ptr_nonnull(jf);
	out.json = &j;
	json__init(&j, jf, false);
	json__begin_object(&j, NULL);
	ck_assert_int_eq(bpf_tracepoint_ops.report(f, &out), 0);
	json__end_object(&j);
	fclose(jf);
	unlink(path);
	for (const char *const *n = (const char *const[]){ "txt", "json", "folded", NULL }; *n; n++) {
		snprintf(path, sizeof(path), "%s/tracepoint.%s", dir, *n);
		ck_assert_int_eq(unlink(path), 0);
	}
	rmdir(dir);
	return f->events;
}

/* Two reports while the feature stays active: each counts only its own forks. */
START_TEST(test_drain_in_process)
{
	struct diag_feature *f;
	struct diag_rounds r;
	char text[96];

	SKIP_UNLESS_BPF();
	ck_assert_int_eq(diag_rounds__start(&r, "hld-forker", fork_round, NULL), 0);
	snprintf(text, sizeof(text), "name=sched:sched_process_fork tgid=%d", r.pid);
	f = open_feature(text);
	ck_assert_int_eq(bpf_tracepoint_ops.activate(f), 0);
	ck_assert_int_eq(diag_rounds__next(&r), 0);
	ck_assert_int_eq(report_hits(f), FORKS_BEFORE);
	ck_assert_int_eq(diag_rounds__next(&r), 0);
	ck_assert_int_eq(report_hits(f), FORKS_AFTER);
	ck_assert_int_eq(report_hits(f), 0);
	ck_assert_int_eq(f->drops, 0);
	ck_assert_int_eq(diag_rounds__end(&r), 0);
	ck_assert_int_eq(bpf_tracepoint_ops.deactivate(f), 0);
	diag__close(f);
}
END_TEST

/* `hldbench diag tracepoint ARG`, stdout into @out; the exit code. */
static int diag(const char *out, const char *arg)
{
	const char *argv[] = { hldbench, "diag", "tracepoint", arg, NULL };

	return run_command(argv, out, "/dev/null");
}

/* "hits" of the JSON report in @path, or -1. */
static double json_hits(const char *path)
{
	json_object *o = json_object_from_file(path);
	double v;

	if (!o)
		return -1;
	v = member(o, "hits");
	json_object_put(o);
	return v;
}

/* The same, persistently: the activation outlives its command, each --report drains. */
START_TEST(test_drain_persistent)
{
	const char *out = "/tmp/hld-check-tp-cli.out";
	struct diag_rounds r;
	char act[96];

	SKIP_UNLESS_BPF();
	if (access(hldbench, X_OK)) {
		printf("SKIP %s: no %s (run from the repository root, or set HLDBENCH)\n",
		       __func__, hldbench);
		return;
	}
	diag(out, "--deactivate");		/* a leftover from an earlier run */
	ck_assert_int_eq(diag_rounds__start(&r, "hld-forker", fork_round, NULL), 0);
	snprintf(act, sizeof(act), "--activate=name=sched:sched_process_fork tgid=%d", r.pid);
	ck_assert_int_eq(diag(out, act), 0);
	ck_assert_int_eq(diag_rounds__next(&r), 0);
	ck_assert_int_eq(diag(out, "--report=json=1"), 0);
	ck_assert_int_eq(json_hits(out), FORKS_BEFORE);
	ck_assert_int_eq(diag_rounds__next(&r), 0);
	ck_assert_int_eq(diag(out, "--report=json=1"), 0);
	ck_assert_int_eq(json_hits(out), FORKS_AFTER);
	ck_assert_int_eq(diag(out, "--deactivate"), 0);
	ck_assert_int_eq(diag_rounds__end(&r), 0);
	unlink(out);
}
END_TEST

/* The TCases: names, attach, exact counts, drains. */
static Suite *tracepoint_suite(void)
{
	Suite *s = suite_create("tracepoint");
	TCase *tc;

	tc = tcase_create("names");
	tcase_add_loop_test(tc, test_resolve, 0, sizeof(names) / sizeof(names[0]));
	tcase_add_test(tc, test_resolve_subsys);
	tcase_add_test(tc, test_check_settings);
	suite_add_tcase(s, tc);

	tc = tcase_create("attach");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_attach, 0, sizeof(attach_names) / sizeof(attach_names[0]));
	tcase_add_test(tc, test_attach_bad_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("counts");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_truth);
	tcase_add_loop_test(tc, test_syscall, 0, sizeof(syscall_cases) / sizeof(syscall_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("drain");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_drain_in_process);
	tcase_add_test(tc, test_drain_persistent);
	suite_add_tcase(s, tc);
	return s;
}

/* Run every case; HLDBENCH names the binary the persistent case runs. */
int main(void)
{
	SRunner *sr = srunner_create(tracepoint_suite());
	int failed;

	if (getenv("HLDBENCH"))
		hldbench = getenv("HLDBENCH");
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
