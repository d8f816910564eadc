// SPDX-License-Identifier: GPL-2.0
/*
 * truth-exec-monitor.c - exec-monitor's ground truth: a child runs
 * /bin/true exactly N times, each with a marker and its index in argv, and
 * the report, filtered to the child's descendants, must hold exactly those
 * N execs, each once, with the path, the argv, and a parent chain that
 * starts at the child and goes on to the test process, taken from the
 * records (the processes are gone by report time).
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag-test.h"
#include "workload.h"

#define TRUTH_EXECS	100
#define TRUTH_BINARY	"/bin/true"

struct exec_work {
	int n;
	char marker[64];
};

/* The child: run TRUTH_BINARY n times (harness/workload-execs.c); the number that failed. */
static int exec_loop(void *arg)
{
	const struct exec_work *w = arg;
	int done, failed = execs__run(TRUTH_BINARY, w->marker, w->n, NULL, &done);

	return failed > 125 ? 125 : failed;
}

static json_object *obj_get(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* The string @key of @o, or "" if absent. */
static const char *obj_str(json_object *o, const char *key)
{
	const char *s = json_object_get_string(obj_get(o, key));

	return s ? s : "";
}

/* Element @i of the array @arr as a string, or "" if absent. */
static const char *arr_str(json_object *arr, size_t i)
{
	const char *s = json_object_is_type(arr, json_type_array) &&
			i < json_object_array_length(arr) ?
			json_object_get_string(json_object_array_get_idx(arr, i)) : NULL;

	return s ? s : "";
}

/* The "tgid" of parent @i of the record @rec, or -1. */
static long parent_tgid(json_object *rec, size_t i)
{
	json_object *parents = obj_get(rec, "parents");

	if (!json_object_is_type(parents, json_type_array) ||
	    i >= json_object_array_length(parents))
		return -1;
	return json_object_get_int64(obj_get(json_object_array_get_idx(parents, i), "tgid"));
}

/* What the report says about the marked execs. */
struct exec_tally {
	int marked;		/* records whose argv[1] is the marker */
	int distinct;		/* distinct indices among them */
	int argv_ok;		/* argv exactly { binary, marker, index } */
	int path_ok;		/* filename and comm of the binary */
	int chain_ok;		/* parents: the child, then the test process */
	int others;		/* records of anything else */
};

static void exec_tally(json_object *recs, const struct exec_work *w, pid_t child,
		       struct exec_tally *t)
{
	bool *seen = calloc(w->n, sizeof(*seen));

	memset(t, 0, sizeof(*t));
	if (!json_object_is_type(recs, json_type_array))
		recs = NULL;
	for (size_t r = 0; recs && r < json_object_array_length(recs); r++) {
		json_object *rec = json_object_array_get_idx(recs, r);
		json_object *argv = obj_get(rec, "argv");
		char *end;
		long i;

		if (strcmp(arr_str(argv, 1), w->marker)) {
			t->others++;
			continue;
		}
		t->marked++;
		i = strtol(arr_str(argv, 2), &end, 10);
		if (*end || end == arr_str(argv, 2) || i < 0 || i >= w->n)
			continue;
		if (seen && !seen[i]) {
			seen[i] = true;
			t->distinct++;
		}
		t->argv_ok += json_object_array_length(argv) == 3 &&
			      !strcmp(arr_str(argv, 0), TRUTH_BINARY);
		t->path_ok += !strcmp(obj_str(rec, "filename"), TRUTH_BINARY) &&
			      !strcmp(obj_str(rec, "comm"), "true");
		t->chain_ok += parent_tgid(rec, 0) == child && parent_tgid(rec, 1) == getpid();
	}
	free(seen);
}

int truth__exec_monitor(struct diag_test *t)
{
	struct exec_work w = { .n = TRUTH_EXECS };
	struct exec_tally tally;
	struct diag_child c;
	json_object *rep;
	int err;

	snprintf(w.marker, sizeof(w.marker), "hld-truth-exec-%d", getpid());
	err = diag_test__start_child(t, &c, "hld-execs", exec_loop, &w);
	if (!err)
		err = diag_test__activate(t, "ancestor=%d", c.pid);
	if (err)
		return err;
	diag_test__say(t, "child %d runs %s %s INDEX for INDEX = 0..%d", c.pid, TRUTH_BINARY,
		       w.marker, w.n - 1);
	err = diag_test__run_child(t, &c);
	if (err)
		return err;
	rep = diag_test__json(t, "exec.json");
	if (!rep)
		return -EINVAL;
	exec_tally(obj_get(rep, "records"), &w, c.pid, &tally);
	diag_test__expect(t, "execs reported", tally.marked, w.n, w.n);
	diag_test__expect(t, "distinct execs (each index once)", tally.distinct, w.n, w.n);
	diag_test__expect(t, "with argv " TRUTH_BINARY " MARKER INDEX", tally.argv_ok, w.n, w.n);
	diag_test__expect(t, "with path " TRUTH_BINARY " and comm true", tally.path_ok, w.n, w.n);
	diag_test__expect(t, "with parents child < test process", tally.chain_ok, w.n, w.n);
	diag_test__expect(t, "other execs under the child", tally.others, 0, 0);
	diag_test__expect(t, "drops", t->f->drops, 0, 0);
	json_object_put(rep);
	return 0;
}
