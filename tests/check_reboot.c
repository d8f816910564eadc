// SPDX-License-Identifier: GPL-2.0
/*
 * check_reboot.c - reboot on the eBPF backend against ground truth: a
 * forked child calls reboot(2) exactly CALLS times with an invalid magic
 * (0xdeadbeef: the kernel refuses it with EINVAL before doing anything, and
 * the child checks that it did), and the test checks that reboot.json holds
 * CALLS records of that child with the magic and a parent chain starting at
 * the test, and that the persistent log got CALLS lines for it. Needs root
 * and BPF; skips with the reason.
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
#include "diag.h"
#include "hld_settings.h"

#define CALLS		3
#define BAD_MAGIC	0xdeadbeefu	/* not LINUX_REBOOT_MAGIC1: reboot(2) fails with EINVAL */
#define CHILD_COMM	"hld-reboot"

/* NULL if the feature can run here, else a reason to skip. */
static const char *reboot_unavailable(char *why, size_t len)
{
	if (geteuid() != 0)
		return "needs root";
	if (bpf_reboot_ops.probe(why, len))
		return why;
	return NULL;
}

/*
 * Child: call reboot(2) CALLS times with the bad magic; exit 0 if every call
 * failed with EINVAL, 10 + the call's index otherwise.
 */
static __attribute__((noinline)) int reboot_child(void)
{
	prctl(PR_SET_NAME, CHILD_COMM);
	for (int i = 0; i < CALLS; i++) {
		errno = 0;
		if (syscall(SYS_reboot, BAD_MAGIC, 0, 0, NULL) != -1 || errno != EINVAL)
			return 10 + i;
	}
	return 0;
}

/* Run @f's report into a fresh directory @dir (at least 32 bytes). */
static void report_into(struct diag_feature *f, char *dir)
{
	struct diag_outputs out;
	struct json_writer j;
	FILE *null = fopen("/dev/null", "w");

	ck_assert_ptr_nonnull(null);
	strcpy(dir, "/tmp/check_reboot.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	json__init(&j, null, false);
	json__begin_object(&j, NULL);
	out.dir = dir;
	out.json = &j;
	ck_assert_int_eq(f->ops->report(f, &out), 0);
	json__end_object(&j);
	fclose(null);
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

/* Does the array @key of @rec hold a string containing @part? */
static bool array_has(struct json_object *rec, const char *key, const char *part)
{
	struct json_object *a;

	if (!json_object_object_get_ex(rec, key, &a))
		return false;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (strstr(json_object_get_string(json_object_array_get_idx(a, i)), part))
			return true;
	return false;
}

static size_t array_len(struct json_object *rec, const char *key)
{
	struct json_object *a;

	return json_object_object_get_ex(rec, key, &a) ? json_object_array_length(a) : 0;
}

/* Lines of the log at @path that name tgid @pid and the bad magic. */
static int log_lines_of(const char *path, pid_t pid)
{
	char line[2048], tag[64];
	int n = 0;
	FILE *in = fopen(path, "r");

	ck_assert_ptr_nonnull(in);
	snprintf(tag, sizeof(tag), " tgid=%d ", pid);
	while (fgets(line, sizeof(line), in)) {
		ck_assert_msg(strchr(line, '\n'), "log line without its newline: %s", line);
		if (strstr(line, tag) && strstr(line, "magic1=0xdeadbeef "))
			n++;
	}
	fclose(in);
	return n;
}

static const struct reboot_case {
	const char *name;
	uint64_t user_stacks;
} reboot_cases[] = {
	{ "with user stacks", 1 },
	{ "kernel stacks only", 0 },
};

START_TEST(test_reboot_truth)
{
	const struct reboot_case *c = &reboot_cases[_i];
	struct json_object *root, *recs, *parents;
	struct hld_reboot_settings s;
	struct diag_feature *f;
	char why[256], dir[64], path[128];
	const char *skip;
	int status, found = 0, done[2], go[2];
	pid_t pid;
	char rc;

	skip = reboot_unavailable(why, sizeof(why));
	if (skip) {
		printf("SKIP check_reboot %s: %s\n", c->name, skip);
		return;
	}
	ck_assert_int_eq(opts__defaults(diag_descs[DIAG_reboot].opts, &s), 0);
	ck_assert_str_eq(s.log, "/var/log/hldbench-reboot.log");
	strcpy(path, "/tmp/check_reboot.log.XXXXXX");
	ck_assert_int_ge(mkstemp(path), 0);
	snprintf(s.log, sizeof(s.log), "%s", path);
	s.user_stacks = c->user_stacks;
	f = diag__open(&bpf_reboot_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);

	/* The child lives until the records are drained, so its user stack can be named. */
	ck_assert_int_eq(pipe(done), 0);
	ck_assert_int_eq(pipe(go), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char res = reboot_child();

		close(go[1]);
		if (write(done[1], &res, 1) != 1 || read(go[0], &res, 1) < 0)
			_exit(2);
		_exit(0);
	}
	ck_assert_int_eq(read(done[0], &rc, 1), 1);
	ck_assert_msg(rc == 0, "the child's reboot(2) call %d did not fail with EINVAL", rc - 10);
	ck_assert_int_eq(f->ops->poll(f), 0);
	close(go[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(go[0]);
	close(done[0]);
	close(done[1]);
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	report_into(f, dir);
	ck_assert_double_ge(diag_feature__metric(f, "calls"), CALLS);
	ck_assert_double_eq(diag_feature__metric(f, "drops"), 0);
	ck_assert_int_eq(log_lines_of(path, pid), CALLS);

	snprintf(why, sizeof(why), "%s/reboot.json", dir);
	root = json_object_from_file(why);
	ck_assert_msg(root, "%s does not parse", why);
	ck_assert(json_object_object_get_ex(root, "records", &recs));
	for (size_t i = 0; i < json_object_array_length(recs); i++) {
		struct json_object *r = json_object_array_get_idx(recs, i);

		if (obj_int(r, "tgid") != pid)
			continue;
		found++;
		ck_assert_int_eq(obj_int(r, "pid"), pid);
		ck_assert_str_eq(obj_str(r, "comm"), CHILD_COMM);
		ck_assert_uint_eq(obj_int(r, "magic1"), BAD_MAGIC);
		ck_assert_int_eq(obj_int(r, "magic2"), 0);
		ck_assert_int_eq(obj_int(r, "cmd"), 0);
		ck_assert(json_object_object_get_ex(r, "parents", &parents));
		ck_assert_int_ge(json_object_array_length(parents), 2);
		ck_assert_int_eq(obj_int(json_object_array_get_idx(parents, 0), "tgid"), getpid());
		ck_assert_int_eq(obj_int(json_object_array_get_idx(parents, 1), "tgid"), getppid());
		ck_assert_msg(array_has(r, "kstack", "do_syscall_64"), "no do_syscall_64 frame");
		if (c->user_stacks)
			ck_assert_uint_gt(array_len(r, "ustack"), 0);
		else
			ck_assert_uint_eq(array_len(r, "ustack"), 0);
	}
	ck_assert_int_eq(found, CALLS);
	json_object_put(root);
	remove_dir(dir);
	unlink(path);
	diag__close(f);
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
	remove_dir(dir);
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
	tcase_add_loop_test(tc, test_reboot_truth, 0, sizeof(reboot_cases) / sizeof(reboot_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(reboot_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
