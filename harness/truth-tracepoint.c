// SPDX-License-Identifier: GPL-2.0
/*
 * truth-tracepoint.c - the ground truth of tracepoint and kprobe, which
 * share their implementation and their report.
 *
 * tracepoint: a child forks exactly N times, and sched:sched_process_fork,
 * filtered to the child, must count exactly N hits, all of them the
 * child's, all on the fork path of the kernel (kernel_clone) in the folded
 * stacks, none dropped.
 *
 * kprobe: a child opens a file exactly N times, and a kprobe on
 * do_sys_openat2 (which open, openat and openat2 all pass through),
 * filtered to the child, must count exactly N hits, each with the
 * function itself as the leaf of its kernel stack, none dropped.
 */
#include <fcntl.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag-test.h"
#include "folded.h"

#define TRUTH_FORKS 200
#define TRUTH_FRAME "kernel_clone_[k]"	/* where the kernel hits the tracepoint */
#define TRUTH_OPENS 1000
#define TRUTH_FUNCTION "do_sys_openat2"

/* The child: N forks, each reaped; a fork that fails fails the workload. */
static int fork_loop(void *arg)
{
	long n = *(long *)arg;

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, NULL, 0) != pid)
			return 1;
	}
	return 0;
}

/* The child: N opens of /dev/null, each closed; an open that fails fails the workload. */
static int open_loop(void *arg)
{
	long n = *(long *)arg;

	for (long i = 0; i < n; i++) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd < 0 || close(fd))
			return 1;
	}
	return 0;
}

/* The unsigned member @key of @o, or -1 if absent. */
static double member(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? (double)json_object_get_uint64(v) : -1;
}

/* The "hits" of process @tgid in the array "by_process" of @o; 0 if absent. */
static double process_hits(json_object *o, pid_t tgid)
{
	json_object *arr;
	double sum = 0;

	if (!json_object_object_get_ex(o, "by_process", &arr))
		return -1;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		if (member(e, "tgid") == tgid)
			sum += member(e, "hits");
	}
	return sum;
}

/* The sum of "hits" over the array @key of @o. */
static double sum_hits(json_object *o, const char *key)
{
	json_object *arr;
	double sum = 0;

	if (!json_object_object_get_ex(o, key, &arr))
		return -1;
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		sum += member(json_object_array_get_idx(arr, i), "hits");
	return sum;
}

/* Hits whose folded stack holds @frame, from the report's FEATURE.folded. */
static double frame_hits(struct diag_test *t, const char *frame)
{
	char name[64];

	struct folded *fo = folded__new();
	char path[sizeof(t->dir) + 32];
	double n = -1;

	if (!fo)
		return -1;
	snprintf(name, sizeof(name), "%s.folded", t->desc->name);
	if (!folded__load(fo, diag_test__path(t, name, path, sizeof(path)), NULL))
		n = folded__count_matching(fo, frame);
	folded__free(fo);
	return n;
}

/*
 * A child held until the feature, activated with @settings (a "%d" in it
 * is the child's pid), watches it, then runs @fn(&n): the report must hold
 * exactly its @n hits as @what, all of them the child's, all with @frame
 * in their folded stack, none dropped.
 */
static int truth__count(struct diag_test *t, const char *settings, const char *comm,
			int (*fn)(void *), long n, const char *what, const char *frame)
{
	char file[64], label[128];
	struct diag_child c;
	json_object *rep;
	int err;

	err = diag_test__start_child(t, &c, comm, fn, &n);
	if (!err)
		err = diag_test__activate(t, settings, c.pid);
	if (err)
		return err;
	diag_test__say(t, "child %d: %ld %s", c.pid, n, what);
	err = diag_test__run_child(t, &c);
	if (err)
		return err;
	snprintf(file, sizeof(file), "%s.json", t->desc->name);
	rep = diag_test__json(t, file);
	if (!rep)
		return -EINVAL;
	diag_test__expect(t, what, member(rep, "hits"), n, n);
	diag_test__expect(t, "hits of the child", process_hits(rep, c.pid), n, n);
	diag_test__expect(t, "hits in the per-CPU view", sum_hits(rep, "by_cpu"), n, n);
	snprintf(label, sizeof(label), "hits with %s in the stack", frame);
	diag_test__expect(t, label, frame_hits(t, frame), n, n);
	diag_test__expect(t, "drops", t->f->drops, 0, 0);
	json_object_put(rep);
	return 0;
}

int truth__tracepoint(struct diag_test *t)
{
	return truth__count(t, "name=sched:sched_process_fork tgid=%d", "hld-forker", fork_loop,
			    TRUTH_FORKS, "sched_process_fork hits", TRUTH_FRAME);
}

int truth__kprobe(struct diag_test *t)
{
	return truth__count(t, "function=" TRUTH_FUNCTION " tgid=%d", "hld-opener", open_loop,
			    TRUTH_OPENS, TRUTH_FUNCTION " hits (opens)", TRUTH_FUNCTION "_[k]");
}
