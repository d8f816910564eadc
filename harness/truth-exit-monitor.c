// SPDX-License-Identifier: GPL-2.0
/*
 * truth-exit-monitor.c - exit-monitor's ground truth: a child forks
 * processes named "hld-exit" that end in known ways, ROUNDS times each:
 * exit() with the codes of exits_default_cases[], or killed by the signals of
 * exits_default_cases[] (raised by themselves, core dumps off). The report, filtered
 * to that name, must hold exactly those exits, each case ROUNDS times, each
 * with the child as parent and a user stack whose innermost frame (in
 * raise() or _exit(), in libc) lies in a file the report names, and no
 * drop: of records, nor (where the backend says where it takes the stack
 * and counts its losses, eBPF) of stacks between do_exit() entry and exit.
 */
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "diag-test.h"
#include "workload.h"

#define TRUTH_COMM	"hld-exit"
#define TRUTH_ROUNDS	4

#define NR_CASES	exits_nr_default
#define TRUTH_EXITS	(NR_CASES * TRUTH_ROUNDS)

/*
 * The child: fork one process per case and round, one at a time
 * (harness/workload-exits.c); the number that did not end as asked.
 */
static int exit_loop(void *arg)
{
	long done;
	int wrong = exits__run(exits_default_cases, NR_CASES, TRUTH_EXITS, TRUTH_COMM, NULL,
			       NULL, &done);

	return wrong > 125 ? 125 : wrong;
}

static json_object *obj_get(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* Does the record @rec say it ended as @c says (and dumped no core)? */
static bool exit_matches(json_object *rec, const struct exit_case *c)
{
	const char *how = json_object_get_string(obj_get(rec, "how"));

	if (!how || json_object_get_boolean(obj_get(rec, "core_dumped")))
		return false;
	if (c->sig)
		return !strcmp(how, "killed") &&
		       json_object_get_int(obj_get(rec, "signal")) == c->sig;
	return !strcmp(how, "exited") && json_object_get_int(obj_get(rec, "code")) == c->code;
}

/* Has the record @rec a user stack whose innermost frame lies in a named file? */
static bool has_file_frame(json_object *rec)
{
	json_object *us = obj_get(rec, "ustack");

	return json_object_is_type(us, json_type_array) && json_object_array_length(us) > 0 &&
	       json_object_get_string(obj_get(json_object_array_get_idx(us, 0), "file"));
}

int truth__exit_monitor(struct diag_test *t)
{
	int counts[EXITS_MAX_CASES] = { 0 }, nr_codes = 0, ours = 0, unmatched = 0, stacks = 0;
	int files = 0;
	struct diag_child c;
	json_object *rep, *recs;
	const char *where;
	char what[64];
	int err;

	for (int i = 0; i < NR_CASES; i++)
		nr_codes += !exits_default_cases[i].sig;

	err = diag_test__start_child(t, &c, "hld-exits", exit_loop, NULL);
	if (!err)
		err = diag_test__activate(t, "comm=%s", TRUTH_COMM);
	if (err)
		return err;
	diag_test__say(t, "child %d forks %d processes named %s: %d exit codes and %d signals, "
		       "%d times each", c.pid, TRUTH_EXITS, TRUTH_COMM, nr_codes, NR_CASES - nr_codes,
		       TRUTH_ROUNDS);
	err = diag_test__run_child(t, &c);
	if (err)
		return err;
	rep = diag_test__json(t, "exit.json");
	if (!rep)
		return -EINVAL;
	where = json_object_get_string(obj_get(rep, "user_stacks_where"));
	if (where)	/* a backend that says where it takes the stack (eBPF) */
		diag_test__say(t, "user stacks %s", where);
	recs = obj_get(rep, "records");
	if (!json_object_is_type(recs, json_type_array))
		recs = NULL;
	for (size_t r = 0; recs && r < json_object_array_length(recs); r++) {
		json_object *rec = json_object_array_get_idx(recs, r);
		int i;

		if (json_object_get_int64(obj_get(rec, "ppid")) != c.pid)
			continue;
		ours++;
		for (i = 0; i < NR_CASES && !exit_matches(rec, &exits_default_cases[i]); i++)
			;
		if (i == NR_CASES) {
			unmatched++;
			continue;
		}
		counts[i]++;
		stacks += json_object_is_type(obj_get(rec, "ustack"), json_type_array) &&
			  json_object_array_length(obj_get(rec, "ustack")) > 0;
		files += has_file_frame(rec);
	}
	diag_test__expect(t, "exits of the child's processes", ours, TRUTH_EXITS, TRUTH_EXITS);
	for (int i = 0; i < NR_CASES; i++)
		diag_test__expect(t, exit_case__name(&exits_default_cases[i], what, sizeof(what)), counts[i],
				  TRUTH_ROUNDS, TRUTH_ROUNDS);
	diag_test__expect(t, "exits in no case (wrong code or signal)", unmatched, 0, 0);
	diag_test__expect(t, "with a user stack", stacks, TRUTH_EXITS, TRUTH_EXITS);
	diag_test__expect(t, "whose innermost frame's file is named", files, TRUTH_EXITS,
			  TRUTH_EXITS);
	diag_test__expect(t, "drops", t->f->drops, 0, 0);
	if (obj_get(rep, "stack_drops"))
		diag_test__expect(t, "user stacks dropped between do_exit() entry and the exit",
				  json_object_get_int64(obj_get(rep, "stack_drops")), 0, 0);
	json_object_put(rep);
	return 0;
}
