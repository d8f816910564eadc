// SPDX-License-Identifier: GPL-2.0
/*
 * truth-tracepoint.c - tracepoint's ground truth: a child forks exactly N
 * times, and sched:sched_process_fork, filtered to the child, must count
 * exactly N hits, all of them the child's, all on the fork path of the
 * kernel (kernel_clone) in the folded stacks, none dropped.
 */
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

/* Hits whose folded stack holds @frame, from the report's tracepoint.folded. */
static double frame_hits(struct diag_test *t, const char *frame)
{
	struct folded *fo = folded__new();
	char path[sizeof(t->dir) + 32];
	double n = -1;

	if (!fo)
		return -1;
	if (!folded__load(fo, diag_test__path(t, "tracepoint.folded", path, sizeof(path)), NULL))
		n = folded__count_matching(fo, frame);
	folded__free(fo);
	return n;
}

/*
 * The fork count: a child held until the feature watches its tgid forks
 * TRUTH_FORKS times; the report must hold exactly those hits.
 */
int truth__tracepoint(struct diag_test *t)
{
	long n = TRUTH_FORKS;
	struct diag_child c;
	json_object *rep;
	int err;

	err = diag_child__start(&c, "hld-forker", fork_loop, &n);
	if (err)
		return err;
	err = diag_test__activate(t, "name=sched:sched_process_fork tgid=%d", c.pid);
	if (err) {
		diag_child__wait(&c);
		return err;
	}
	diag_test__say(t, "child %d forks %ld times", c.pid, n);
	diag_child__go(&c);
	err = diag_child__wait(&c);
	if (err < 0)
		return err;
	if (!WIFEXITED(err) || WEXITSTATUS(err)) {
		diag_test__say(t, "the child could not fork %ld times", n);
		return -ECHILD;
	}
	err = diag_test__collect(t);
	if (err)
		return err;
	rep = diag_test__json(t, "tracepoint.json");
	if (!rep)
		return -EINVAL;
	diag_test__expect(t, "sched_process_fork hits", member(rep, "hits"), n, n);
	diag_test__expect(t, "hits of the child", process_hits(rep, c.pid), n, n);
	diag_test__expect(t, "hits in the per-CPU view", sum_hits(rep, "by_cpu"), n, n);
	diag_test__expect(t, "hits with " TRUTH_FRAME " in the stack", frame_hits(t, TRUTH_FRAME),
			  n, n);
	diag_test__expect(t, "drops", t->f->drops, 0, 0);
	json_object_put(rep);
	return 0;
}
