// SPDX-License-Identifier: GPL-2.0
/*
 * check_mutexmon.c - mutex-monitor on the eBPF backend against a workload
 * where kernel mutex contention provably occurs: WRITERS threads each write
 * 64 KiB chunks into one pipe that one reader thread drains. pipe_write()
 * and pipe_read() take pipe->mutex for every chunk and copy 64 KiB under it,
 * so the threads queue on that one mutex. Checks: contentions are counted
 * for this process, with pipe_write in a waiter's kernel stack on a mutex;
 * any holder seen on that lock is one of this process's threads; and the
 * wait time summed over this process is at most threads x wall time (a
 * consistency bound, not a timing assertion). Needs root, BPF and the lock
 * tracepoints; skips with the reason otherwise.
 */
#include <check.h>
#include <dirent.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag.h"
#include "hld_settings.h"

#define WRITERS		4
#define CHUNK		(64 * 1024)
#define CHUNKS		200		/* per writer */
#define LCB_F_MUTEX	(1u << 5)

static int pipe_fds[2];

/* NULL if the feature can run here, else a reason to skip. */
static const char *mutexmon_unavailable(char *why, size_t len)
{
	if (geteuid() != 0)
		return "needs root";
	if (bpf_mutex_monitor_ops.probe(why, len))
		return why;
	return NULL;
}

/* Write CHUNKS chunks of CHUNK bytes into the pipe. */
static void *writer(void *arg)
{
	static char buf[CHUNK];

	for (int i = 0; i < CHUNKS; i++) {
		size_t off = 0;

		while (off < CHUNK) {
			ssize_t n = write(pipe_fds[1], buf + off, CHUNK - off);

			if (n <= 0)
				return (void *)1;
			off += n;
		}
	}
	return NULL;
}

/* Drain the pipe until every writer's bytes are read. */
static void *reader(void *arg)
{
	static char buf[CHUNK];
	size_t want = (size_t)WRITERS * CHUNKS * CHUNK, got = 0;

	while (got < want) {
		ssize_t n = read(pipe_fds[0], buf, sizeof(buf));

		if (n <= 0)
			return (void *)1;
		got += n;
	}
	return NULL;
}

/* Run the writers and the reader to completion; returns the wall time in ns. */
static uint64_t run_pipe_workload(void)
{
	pthread_t w[WRITERS], r;
	uint64_t t0, t1;
	void *ret;

	ck_assert_int_eq(pipe(pipe_fds), 0);
	t0 = bpf_util__now_ns();
	ck_assert_int_eq(pthread_create(&r, NULL, reader, NULL), 0);
	for (int i = 0; i < WRITERS; i++)
		ck_assert_int_eq(pthread_create(&w[i], NULL, writer, NULL), 0);
	for (int i = 0; i < WRITERS; i++) {
		ck_assert_int_eq(pthread_join(w[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	ck_assert_int_eq(pthread_join(r, &ret), 0);
	ck_assert_ptr_null(ret);
	t1 = bpf_util__now_ns();
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	return t1 - t0;
}

/* Run @f's report into a fresh directory @dir (at least 32 bytes). */
static void report_into(struct diag_feature *f, char *dir)
{
	struct diag_outputs out;
	struct json_writer j;
	FILE *null = fopen("/dev/null", "w");

	ck_assert_ptr_nonnull(null);
	strcpy(dir, "/tmp/check_mutexmon.XXXXXX");
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

/* Does the "kstack" array of @row hold a frame whose name contains @name? */
static bool stack_has(struct json_object *row, const char *name)
{
	struct json_object *st;

	if (!json_object_object_get_ex(row, "kstack", &st))
		return false;
	for (size_t i = 0; i < json_object_array_length(st); i++)
		if (strstr(json_object_get_string(json_object_array_get_idx(st, i)), name))
			return true;
	return false;
}

/* Does @path exist with at least one byte in it? */
static bool file_nonempty(const char *dir, const char *name)
{
	char path[512];
	FILE *in;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	in = fopen(path, "r");
	if (!in)
		return false;
	ok = fgetc(in) != EOF;
	fclose(in);
	return ok;
}

static const struct mutex_case {
	const char *name;
	int tgid;		/* 0: this process, -1: any, else that process */
	bool ours;		/* contentions of this process expected */
} mutex_cases[] = {
	{ "no filter", -1, true },
	{ "tgid filter: this process", 0, true },
	{ "tgid filter: init only", 1, false },
};

START_TEST(test_mutex_truth)
{
	const struct mutex_case *c = &mutex_cases[_i];
	struct json_object *root, *locks;
	struct hld_mutex_settings s;
	struct diag_feature *f;
	char why[256], dir[64];
	uint64_t wall, ours = 0, ours_ns = 0, pipe_waits = 0, holders = 0;
	const char *skip;

	skip = mutexmon_unavailable(why, sizeof(why));
	if (skip) {
		printf("SKIP check_mutexmon %s: %s\n", c->name, skip);
		return;
	}
	ck_assert_int_eq(opts__defaults(diag_descs[DIAG_mutex_monitor].opts, &s), 0);
	s.tgid = c->tgid == 0 ? getpid() : c->tgid;
	f = diag__open(&bpf_mutex_monitor_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	wall = run_pipe_workload();
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	report_into(f, dir);
	ck_assert(file_nonempty(dir, "mutex.txt"));

	root = json_object_from_file(strcat(strcpy(why, dir), "/mutex.json"));
	ck_assert_msg(root, "%s does not parse", why);
	ck_assert(json_object_object_get_ex(root, "locks", &locks));
	ck_assert_int_eq(obj_int(root, "contentions"), diag_feature__metric(f, "contentions"));
	for (size_t i = 0; i < json_object_array_length(locks); i++) {
		struct json_object *row = json_object_array_get_idx(locks, i);

		if (c->tgid >= 0)
			ck_assert_int_eq(obj_int(row, "tgid"), s.tgid);
		if (obj_int(row, "tgid") != getpid())
			continue;
		ours += obj_int(row, "count");
		ours_ns += obj_int(row, "total_ns");
		if (!(obj_int(row, "flags") & LCB_F_MUTEX) || !stack_has(row, "pipe_write"))
			continue;
		pipe_waits += obj_int(row, "count");
		/* Only this process's threads use the pipe: any holder seen is one of them. */
		if (obj_int(row, "holder_pid") > 0) {
			ck_assert_int_eq(obj_int(row, "holder_tgid"), getpid());
			holders++;
		}
	}
	if (c->ours) {
		ck_assert_msg(pipe_waits > 0, "no mutex wait with pipe_write in the stack "
			      "(%llu contentions of this process)", (unsigned long long)ours);
		ck_assert_msg(holders > 0, "no holder recorded on the pipe mutex");
		ck_assert(file_nonempty(dir, "mutex.folded"));
		ck_assert_msg(ours_ns <= (WRITERS + 1) * wall,
			      "%llu ns waited by %d threads in %llu ns of wall time",
			      (unsigned long long)ours_ns, WRITERS + 1, (unsigned long long)wall);
	} else {
		ck_assert_uint_eq(ours, 0);
	}
	ck_assert_double_eq(diag_feature__metric(f, "drops"), 0);
	json_object_put(root);
	remove_dir(dir);
	diag__close(f);
}
END_TEST

/* With no activation there is nothing to report, and the header keeps the caveat. */
START_TEST(test_mutex_empty)
{
	struct diag_feature *f = diag__open(&bpf_mutex_monitor_ops, NULL);
	char dir[64], path[128], line[256];
	bool caveat = false;
	FILE *in;

	ck_assert_ptr_nonnull(f);
	report_into(f, dir);
	ck_assert_double_eq(diag_feature__metric(f, "contentions"), 0);
	ck_assert_double_eq(diag_feature__metric(f, "drops"), 0);
	snprintf(path, sizeof(path), "%s/mutex.txt", dir);
	in = fopen(path, "r");
	ck_assert_ptr_nonnull(in);
	while (fgets(line, sizeof(line), in))
		if (strstr(line, "hold time: not available on this kernel (needs kprobes)"))
			caveat = true;
	fclose(in);
	ck_assert(caveat);
	remove_dir(dir);
	diag__close(f);
}
END_TEST

static Suite *mutexmon_suite(void)
{
	Suite *s = suite_create("mutexmon");
	TCase *tc;

	tc = tcase_create("report");
	tcase_add_test(tc, test_mutex_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("truth");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_mutex_truth, 0, sizeof(mutex_cases) / sizeof(mutex_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mutexmon_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
