// SPDX-License-Identifier: GPL-2.0
/*
 * truth-sys-cost.c - sys-cost's ground truth: a child makes exactly N
 * getppid() calls, and the report, filtered to the child, must count
 * exactly N of them, in the per-syscall view and in the child's row of the
 * per-process view (named by its comm), and its one exit_group(); every
 * counted syscall is also in the per-CPU view. A second report must be
 * empty: the first one drained what was counted.
 */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "diag-test.h"
#include "syscost-report.h"
#include "workload.h"

#define TRUTH_GETPPID 100000
#define TRUTH_COMM "hld-getppid"

/* The child: N raw getppid() system calls (harness/workload-syscalls.c). */
static int getppid_loop(void *arg)
{
	long n = *(long *)arg;

	return syscalls__getppid(n) == n ? 0 : 1;
}

/* The "count" of the object named @name in the array @key of @o; 0 if absent, -1 if no array. */
static double count_of(json_object *o, const char *key, const char *name)
{
	json_object *arr, *e, *v;

	if (!json_object_object_get_ex(o, key, &arr))
		return -1;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(e, "name", &v) &&
		    !strcmp(json_object_get_string(v), name) &&
		    json_object_object_get_ex(e, "count", &v))
			return json_object_get_uint64(v);
	}
	return 0;
}

/* The sum of "count" over the array @key of @o; -1 if there is no such array. */
static double sum_of(json_object *o, const char *key)
{
	json_object *arr, *v;
	double sum = 0;

	if (!json_object_object_get_ex(o, key, &arr))
		return -1;
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(arr, i), "count", &v))
			sum += json_object_get_uint64(v);
	return sum;
}

/* The by_process entry of @tgid, or NULL. */
static json_object *process_of(json_object *rep, pid_t tgid)
{
	json_object *arr, *e, *v;

	if (!json_object_object_get_ex(rep, "by_process", &arr))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(e, "tgid", &v) && json_object_get_int64(v) == tgid)
			return e;
	}
	return NULL;
}

double syscost__json_calls(json_object *rep, pid_t tgid, const char *name)
{
	json_object *p = process_of(rep, tgid);

	return p ? count_of(p, "syscalls", name) : -1;
}

/* The member @key of @o as a number; -1 if it is missing. */
static double num_of(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? (double)json_object_get_uint64(v) : -1;
}

/* Check the first report: the child's N getppid calls, its exit, the views agreeing. */
static void check_first(struct diag_test *t, json_object *rep, pid_t child, long n)
{
	json_object *p = process_of(rep, child), *v;
	bool named = p && json_object_object_get_ex(p, "comm", &v) &&
		     !strcmp(json_object_get_string(v), TRUTH_COMM);

	diag_test__expect(t, "getppid calls in the per-syscall view", count_of(rep, "by_syscall", "getppid"),
			  n, n);
	diag_test__expect(t, "getppid calls of the child",
			  p ? count_of(p, "syscalls", "getppid") : -1, n, n);
	diag_test__expect(t, "exit_group calls of the child",
			  p ? count_of(p, "syscalls", "exit_group") : -1, 1, 1);
	diag_test__expect(t, "child named " TRUTH_COMM, named, 1, 1);
	diag_test__expect(t, "syscalls in the per-CPU view", sum_of(rep, "by_cpu"),
			  num_of(rep, "syscalls"), num_of(rep, "syscalls"));
	diag_test__expect(t, "events of the report = syscalls", t->f->events,
			  num_of(rep, "syscalls"), num_of(rep, "syscalls"));
	diag_test__expect(t, "drops", t->f->drops, 0, 0);
}

/* Collect a report and parse its syscost.json into *@rep. 0 or -errno. */
static int collect(struct diag_test *t, json_object **rep)
{
	int err = diag_test__collect(t);

	if (err)
		return err;
	*rep = diag_test__json(t, "syscost.json");
	return *rep ? 0 : -EINVAL;
}

int truth__sys_cost(struct diag_test *t)
{
	long n = TRUTH_GETPPID;
	struct diag_child c;
	json_object *rep;
	int err;

	err = diag_test__start_child(t, &c, TRUTH_COMM, getppid_loop, &n);
	if (!err)
		err = diag_test__activate(t, "tgid=%d", c.pid);
	if (err)
		return err;
	diag_test__say(t, "child %d makes %ld getppid() calls, then exits", c.pid, n);
	err = diag_test__run_child(t, &c);
	if (err)
		return err;
	rep = diag_test__json(t, "syscost.json");
	if (!rep)
		return -EINVAL;
	check_first(t, rep, c.pid, n);
	json_object_put(rep);

	diag_test__say(t, "second report: the first one drained the calls");
	err = collect(t, &rep);
	if (err)
		return err;
	diag_test__expect(t, "syscalls in the second report", num_of(rep, "syscalls"), 0, 0);
	diag_test__expect(t, "drops", t->f->drops, 0, 0);
	json_object_put(rep);
	return 0;
}
