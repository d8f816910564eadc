// SPDX-License-Identifier: GPL-2.0
/*
 * check_reboot.c - reboot on the eBPF backend:
 *  - the ground-truth test (harness/truth-reboot.c): N reboot(2) calls with
 *    an invalid magic are reported exactly N times, logged N times, and a
 *    second report has none of them;
 *  - a persistent activation (`hldbench diag reboot --activate`) catches the
 *    calls of `hldbench diag reboot --test` with no hldbench process of its
 *    own running, and its reports drain them, with the user frames of the
 *    exited caller named by function from the files the program noted: with
 *    and without user stacks;
 *  - with no activation the report is empty;
 *  - on the kernel module (hld.ko loaded: the guest), a persistent
 *    activation kept by the module catches a child's calls, and reports
 *    from new processes read them from /dev/hld into the log and the
 *    report, then none.
 * Needs root and BPF (the module for its case); skips with the reason. The persistent case runs
 * $HLDBENCH (default build/hldbench).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
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
#include "run-command.h"

#define TEST_CALLS	5		/* reboot(2) calls truth__reboot makes */
#define TEST_COMM	"hld-reboot"	/* its child's name */
#define PIN_DIR		"/sys/fs/bpf/hldbench/reboot"

static const char *hldbench = "build/hldbench";
/* The backend the persistent cases ask for: the default would be kmod where hld.ko is loaded. */
static const char *backend_opt = "--backend=bpf";

/* NULL if the feature can run here, else a reason to skip. */
static const char *reboot_unavailable(char *why, size_t len)
{
	if (geteuid() != 0)
		return "needs root";
	if (bpf_reboot_ops.probe(why, len))
		return why;
	return NULL;
}

/* Run @f's report into a fresh directory @dir (at least 32 bytes). */
static void report_into(struct diag_feature *f, char *dir)
{
	strcpy(dir, "/tmp/check_reboot.XXXXXX");
	ck_assert_int_eq(diag__report_into(f, dir), 0);
}

static int64_t obj_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
}

static const char *obj_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static size_t array_len(struct json_object *rec, const char *key)
{
	struct json_object *a;

	return json_object_object_get_ex(rec, key, &a) ? json_object_array_length(a) : 0;
}

/*
 * Is the first frame of the array @key of @rec named by its function, libc's
 * syscall()? The caller has exited by the report, so only the file the
 * program noted (and the path it kept) can have named it.
 */
static bool array_first_named(struct json_object *rec, const char *key)
{
	struct json_object *a;

	if (!json_object_object_get_ex(rec, key, &a) || !json_object_array_length(a))
		return false;
	return !strcmp(json_object_get_string(json_object_array_get_idx(a, 0)), "syscall");
}

/* Lines of the log at @path from TEST_COMM with the bad magic. */
static int log_lines(const char *path)
{
	char line[2048];
	int n = 0;
	FILE *in = fopen(path, "r");

	ck_assert_ptr_nonnull(in);
	while (fgets(line, sizeof(line), in)) {
		ck_assert_msg(strchr(line, '\n'), "log line without its newline: %s", line);
		n += strstr(line, " comm=" TEST_COMM " ") && strstr(line, "magic1=0xdeadbeef ");
	}
	fclose(in);
	return n;
}

/* What one `--report=json=1` in @path says of TEST_COMM's calls. */
struct cli_report {
	int records;		/* records of TEST_COMM */
	int with_ustack;	/* of those, with user frames */
	int named;		/* of those, the first user frame named by function (syscall) */
	int64_t calls, events, drops;
};

static void cli_report_read(const char *path, struct cli_report *r)
{
	struct json_object *root = json_object_from_file(path), *recs;

	ck_assert_msg(root, "%s does not parse", path);
	memset(r, 0, sizeof(*r));
	r->calls = obj_int(root, "calls");
	r->events = obj_int(root, "events");
	r->drops = obj_int(root, "drops");
	ck_assert(json_object_object_get_ex(root, "records", &recs));
	for (size_t i = 0; i < json_object_array_length(recs); i++) {
		struct json_object *rec = json_object_array_get_idx(recs, i);

		if (strcmp(obj_str(rec, "comm"), TEST_COMM) ||
		    obj_int(rec, "magic1") != 0xdeadbeef)
			continue;
		r->records++;
		r->with_ustack += array_len(rec, "ustack") > 0;
		r->named += array_first_named(rec, "ustack");
	}
	json_object_put(root);
}

/* Run `hldbench diag reboot BACKEND A1 [A2]`, output into @out; the exit code. */
static int diag(const char *out, const char *a1, const char *a2)
{
	const char *argv[] = { hldbench, "diag", "reboot", backend_opt, a1, a2, NULL };

	return run_command(argv, out, out);
}

/* The ground-truth test, as `hldbench diag reboot --test` runs it. */
START_TEST(test_reboot_truth)
{
	char why[256];
	const char *skip = reboot_unavailable(why, sizeof(why));

	if (skip) {
		printf("SKIP check_reboot truth: %s\n", skip);
		return;
	}
	ck_assert_int_eq(diag_test__run(&bpf_reboot_ops, stdout), 0);
}
END_TEST

static const struct persist_case {
	const char *name;
	int user_stacks;
} persist_cases[] = {
	{ "with user stacks", 1 },
	{ "kernel stacks only", 0 },
};

/*
 * Activate persistently, let `--test` make its TEST_CALLS calls (its own
 * private activation does not matter here), report twice from new
 * processes, deactivate.
 */
START_TEST(test_reboot_persistent)
{
	const struct persist_case *c = &persist_cases[_i];
	const char *out = "/tmp/check_reboot.out", *rep = "/tmp/check_reboot.json";
	char why[256], log[64], act[128];
	const char *skip = reboot_unavailable(why, sizeof(why));
	struct cli_report r;
	int fd;

	if (!skip && access(hldbench, X_OK))
		skip = "no hldbench binary (set HLDBENCH)";
	if (!skip && !access(PIN_DIR, F_OK))
		skip = "reboot is already active persistently";
	if (skip) {
		printf("SKIP check_reboot persistent %s: %s\n", c->name, skip);
		return;
	}
	strcpy(log, "/tmp/check_reboot.log.XXXXXX");
	fd = mkstemp(log);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(act, sizeof(act), "--activate=log=%s user-stacks=%d", log, c->user_stacks);
	ck_assert_int_eq(diag(out, act, NULL), 0);
	ck_assert_int_eq(access(PIN_DIR "/link_sys_enter", F_OK), 0);
	ck_assert_int_eq(diag(out, "--test", NULL), 0);

	ck_assert_int_eq(diag(rep, "--report=json=1", NULL), 0);
	cli_report_read(rep, &r);
	ck_assert_int_eq(r.records, TEST_CALLS);
	ck_assert_int_eq(r.with_ustack, c->user_stacks ? TEST_CALLS : 0);
	ck_assert_int_eq(r.named, c->user_stacks ? TEST_CALLS : 0);
	ck_assert_int_ge(r.calls, TEST_CALLS);
	ck_assert_int_ge(r.events, TEST_CALLS);
	ck_assert_int_eq(r.drops, 0);
	ck_assert_int_eq(log_lines(log), TEST_CALLS);

	ck_assert_int_eq(diag(rep, "--report=json=1", NULL), 0);
	cli_report_read(rep, &r);
	ck_assert_int_eq(r.records, 0);
	ck_assert_int_ge(r.calls, TEST_CALLS);
	ck_assert_int_eq(r.drops, 0);
	ck_assert_int_eq(log_lines(log), TEST_CALLS);

	ck_assert_int_eq(diag(out, "--deactivate", NULL), 0);
	ck_assert_int_ne(access(PIN_DIR, F_OK), 0);
	unlink(out);
	unlink(rep);
	unlink(log);
}
END_TEST

/* A child named TEST_COMM making TEST_CALLS reboot(2) calls with the bad magic: all EINVAL? */
static bool reboot_child(void)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		prctl(PR_SET_NAME, TEST_COMM);
		for (int i = 0; i < TEST_CALLS; i++)
			if (syscall(SYS_reboot, 0xdeadbeefu, 0, 0, NULL) != -1 || errno != EINVAL)
				_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && !WEXITSTATUS(status);
}

/*
 * The kernel module keeps a persistent activation: a child's calls wait in
 * /dev/hld until a report (a new process) reads them into the log and the
 * report; the next report has none; --deactivate ends it.
 */
START_TEST(test_reboot_persistent_kmod)
{
	const char *out = "/tmp/check_reboot_kmod.out", *rep = "/tmp/check_reboot_kmod.json";
	char log[64], act[128];
	struct cli_report r;
	int fd;

	if (geteuid() != 0 || access("/dev/hld", F_OK) || access(hldbench, X_OK)) {
		printf("SKIP check_reboot persistent kmod: %s\n", geteuid() ? "needs root" :
		       access(hldbench, X_OK) ? "no hldbench binary (set HLDBENCH)" :
		       "no /dev/hld (hld.ko not loaded)");
		return;
	}
	backend_opt = "--backend=kmod";
	strcpy(log, "/tmp/check_reboot_kmod.log.XXXXXX");
	fd = mkstemp(log);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(act, sizeof(act), "--activate=log=%s user-stacks=1", log);
	ck_assert_int_eq(diag(out, act, NULL), 0);
	ck_assert(reboot_child());

	ck_assert_int_eq(diag(rep, "--report=json=1", NULL), 0);
	cli_report_read(rep, &r);
	ck_assert_int_eq(r.records, TEST_CALLS);
	ck_assert_int_eq(r.with_ustack, TEST_CALLS);
	ck_assert_int_ge(r.calls, TEST_CALLS);
	ck_assert_int_eq(r.drops, 0);
	ck_assert_int_eq(log_lines(log), TEST_CALLS);

	ck_assert_int_eq(diag(rep, "--report=json=1", NULL), 0);
	cli_report_read(rep, &r);
	ck_assert_int_eq(r.records, 0);
	ck_assert_int_eq(log_lines(log), TEST_CALLS);

	ck_assert_int_eq(diag(out, "--deactivate", NULL), 0);
	ck_assert_int_eq(diag(rep, "--report=json=1", NULL), 1);
	backend_opt = "--backend=bpf";
	unlink(out);
	unlink(rep);
	unlink(log);
}
END_TEST

/* With no activation there is nothing to report, and the report says so. */
START_TEST(test_reboot_empty)
{
	struct diag_feature *f = diag__open(&bpf_reboot_ops, NULL);
	char dir[64];

	ck_assert_ptr_nonnull(f);
	report_into(f, dir);
	ck_assert_double_eq(diag_feature__metric(f, "calls"), 0);
	ck_assert_double_eq(diag_feature__metric(f, "drops"), 0);
	ck_assert_uint_eq(f->events, 0);
	diag__remove_dir(dir);
	diag__close(f);
}
END_TEST

static Suite *reboot_suite(void)
{
	Suite *s = suite_create("reboot");
	TCase *tc;

	tc = tcase_create("report");
	tcase_add_test(tc, test_reboot_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("truth");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_reboot_truth);
	suite_add_tcase(s, tc);

	tc = tcase_create("persistent");
	tcase_set_timeout(tc, 120);	/* hldbench commands in a TCG guest */
	tcase_add_loop_test(tc, test_reboot_persistent, 0,
			    sizeof(persist_cases) / sizeof(persist_cases[0]));
	tcase_add_test(tc, test_reboot_persistent_kmod);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (getenv("HLDBENCH"))
		hldbench = getenv("HLDBENCH");
	sr = srunner_create(reboot_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
