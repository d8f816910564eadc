// SPDX-License-Identifier: GPL-2.0
/*
 * truth-load-monitor.c - load-monitor's ground truth: N processes held in
 * D state (vfork waits, harness/dstate.h) with task.d=N must show up as N
 * D-state tasks with a kernel stack in one capture, and the capture's
 * accounting must add up: every R and D task it counted was emitted or
 * dropped, and every crossing check was captured or rate limited. Where
 * the backend cannot take other tasks' kernel stacks at all (the kernel
 * module before 6.12: loadmon.json says "kstacks_available": false, with
 * the reason), the N D-state tasks must be there without them, and the
 * test says so.
 */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "diag-test.h"
#include "dstate.h"

#define TRUTH_DSTATE 4		/* D tasks held */
#define TRUTH_HOLD_MS 300	/* how long they are held once all are in D */

/* The unsigned number @key of @o, or -1. */
static double num_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : -1;
}

/* Is @pid one of the held processes? */
static bool held(const pid_t *pids, uint32_t pid)
{
	for (int i = 0; i < TRUTH_DSTATE; i++)
		if (pids[i] == (pid_t)pid)
			return true;
	return false;
}

/*
 * In capture @cap: how many of the held processes are there in D state with
 * a kernel stack (without one if not @kstacks). Also checks the capture's accounting: R + D counted ==
 * emitted + dropped, and emitted == the tasks listed; *@bad counts the
 * captures where it does not hold.
 */
static int held_in_capture(json_object *cap, const pid_t *pids, bool kstacks, int *bad)
{
	json_object *tasks, *t, *v;
	int n = 0;
	size_t nt;

	if (!json_object_object_get_ex(cap, "tasks", &tasks))
		return 0;
	nt = json_object_array_length(tasks);
	if (num_of(cap, "r") + num_of(cap, "d") != num_of(cap, "emitted") + num_of(cap, "dropped") ||
	    num_of(cap, "emitted") != (double)nt)
		(*bad)++;
	for (size_t i = 0; i < nt; i++) {
		t = json_object_array_get_idx(tasks, i);
		if (!held(pids, num_of(t, "pid")) ||
		    !json_object_object_get_ex(t, "state", &v) ||
		    strcmp(json_object_get_string(v), "D"))
			continue;
		if (kstacks &&
		    (!json_object_object_get_ex(t, "kstack", &v) || !json_object_array_length(v)))
			continue;
		n++;
	}
	return n;
}

/*
 * Activate with task.d=N, hold N processes in D state, release them, and
 * compare the captures with them.
 */
int truth__load_monitor(struct diag_test *t)
{
	const struct timespec hold = { .tv_nsec = TRUTH_HOLD_MS * 1000000L };
	json_object *rep, *caps, *drops, *v;
	pid_t pids[TRUTH_DSTATE];
	bool kstacks = true;
	int err, best = 0, bad = 0;
	struct dstate *d;
	size_t nc;

	/* min-gap=0: every check that sees the D tasks captures them. */
	err = diag_test__activate(t, "task.d=%d min-gap=0 max-tasks=4096", TRUTH_DSTATE);
	if (err)
		return err;
	d = dstate__hold(TRUTH_DSTATE, "hld-dstate", 10000, &err);
	if (!d)
		return err;
	for (int i = 0; i < TRUTH_DSTATE; i++)
		pids[i] = dstate__pid(d, i);
	err = dstate__wait_blocked(d, 2000);
	if (!err) {
		diag_test__say(t, "%d processes in D state (vfork waits), held %d ms",
			       TRUTH_DSTATE, TRUTH_HOLD_MS);
		nanosleep(&hold, NULL);
	}
	if (dstate__release(d) && !err)
		err = -ECHILD;
	if (!err)
		err = diag_test__collect(t);
	if (err)
		return err;
	rep = diag_test__json(t, "loadmon.json");
	if (!rep)
		return -EINVAL;
	if (!json_object_object_get_ex(rep, "captures", &caps)) {
		json_object_put(rep);
		return -EINVAL;
	}
	if (json_object_object_get_ex(rep, "kstacks_available", &v) && !json_object_get_boolean(v)) {
		kstacks = false;
		diag_test__say(t, "kernel stacks of other tasks unavailable here (%s): the held "
			       "tasks are checked without them",
			       json_object_object_get_ex(rep, "kstacks_unavailable_reason", &v) ?
			       json_object_get_string(v) : "no reason given");
	}
	nc = json_object_array_length(caps);
	for (size_t i = 0; i < nc; i++) {
		int n = held_in_capture(json_object_array_get_idx(caps, i), pids, kstacks, &bad);

		if (n > best)
			best = n;
	}
	diag_test__expect(t, "captures", nc, 1, 1e9);
	diag_test__expect(t, kstacks ? "held D tasks with a kernel stack in one capture" :
			  "held D tasks in one capture (no kernel stacks here)", best,
			  TRUTH_DSTATE, TRUTH_DSTATE);
	diag_test__expect(t, "captures where R + D != emitted + dropped", bad, 0, 0);
	diag_test__expect(t, "most D tasks seen by a check", num_of(rep, "max_d"),
			  TRUTH_DSTATE, 1e9);
	diag_test__expect(t, "crossing checks - captures (min-gap=0: none rate limited)",
			  num_of(rep, "checks_crossed") - nc, 0, 0);
	if (json_object_object_get_ex(rep, "drops_by_cause", &drops))
		diag_test__expect(t, "tasks over max-tasks or lost to a full buffer",
				  num_of(drops, "max_tasks") + num_of(drops, "ringbuf_full"), 0, 0);
	json_object_put(rep);
	return 0;
}
