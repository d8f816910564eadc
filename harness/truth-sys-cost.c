// SPDX-License-Identifier: GPL-2.0
/*
 * truth-sys-cost.c - sys-cost's ground truth: a child makes exactly N
 * getppid() calls, and the report, filtered to the child, must count
 * exactly N of them; every counted syscall is also in the per-CPU view.
 */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "diag-test.h"

#define TRUTH_GETPPID 100000

/* The child: N raw getppid() system calls (syscall(): no libc caching). */
static int getppid_loop(void *arg)
{
	long n = *(long *)arg;

	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return 0;
}

/* The "count" of the object named @name in the array @key of @o; 0 if absent. */
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

/* The sum of "count" over the array @key of @o. */
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

int truth__sys_cost(struct diag_test *t)
{
	long n = TRUTH_GETPPID;
	struct diag_child c;
	json_object *rep, *v;
	double total;
	int err;

	err = diag_child__start(&c, "hld-getppid", getppid_loop, &n);
	if (err)
		return err;
	err = diag_test__activate(t, "tgid=%d", c.pid);
	if (err) {
		diag_child__wait(&c);
		return err;
	}
	diag_test__say(t, "child %d makes %ld getppid() calls", c.pid, n);
	diag_child__go(&c);
	err = diag_child__wait(&c);
	if (err < 0)
		return err;
	err = diag_test__collect(t);
	if (err)
		return err;
	rep = diag_test__json(t, "syscost.json");
	if (!rep)
		return -EINVAL;
	diag_test__expect(t, "getppid calls of the child", count_of(rep, "by_syscall", "getppid"),
			  n, n);
	total = json_object_object_get_ex(rep, "syscalls", &v) ? (double)json_object_get_uint64(v) : -1;
	diag_test__expect(t, "syscalls in the per-CPU view", sum_of(rep, "by_cpu"), total, total);
	diag_test__expect(t, "drops", t->f->drops, 0, 0);
	json_object_put(rep);
	return 0;
}
