// SPDX-License-Identifier: GPL-2.0
/*
 * truth-high-order.c - high-order's ground truth: a child makes page
 * allocations of known order, and the report, filtered to the child at
 * order >= 2, must count them exactly:
 *  - pipes grown with F_SETPIPE_SZ to 1 MiB (the most an unprivileged
 *    process may ask for): the kernel allocates the ring of struct
 *    pipe_buffer with kcalloc(), which above two pages comes straight from
 *    the page allocator, order get_order(256 * sizeof(struct pipe_buffer)),
 *    the size read from the kernel's BTF (order 2 here). One allocation per
 *    pipe, with pipe_fcntl() on the kernel stack;
 *  - transparent huge pages: a 2 MiB-aligned anonymous region with
 *    MADV_HUGEPAGE, one byte written per 2 MiB: one order-9 allocation
 *    per huge page the child got. The truth is the child's AnonHugePages
 *    (/proc/PID/smaps_rollup, read before it exits): the kernel may fall
 *    back to small pages when it finds no free 2 MiB block.
 * A second report must hold none of the child's allocations: the first one
 * drained them.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "diag-test.h"
#include "workload.h"

#define TRUTH_PIPES		8
#define TRUTH_PIPE_BYTES	(1ul << 20)
#define TRUTH_THP_PAGES		2
#define TRUTH_MIN_ORDER		PAGES_PIPE_MIN_ORDER
#define TRUTH_THP_ORDER		PAGES_THP_ORDER

struct ho_work {
	int done;		/* write end: the child's result, one byte */
	int hold;		/* read end: the child exits when it reads EOF */
	int spare[2];		/* the parent's ends, closed in the child */
	bool thp;
};

/* The child: the allocations, then its result on @done, then wait for EOF on @hold. */
static int ho_child(void *arg)
{
	struct ho_work *w = arg;
	char res, b;

	close(w->spare[0]);
	close(w->spare[1]);
	res = truth_pipe_resize(TRUTH_PIPES, TRUTH_PIPE_BYTES) ||
	      (w->thp && truth_thp_touch(TRUTH_THP_PAGES, NULL)) ? 'e' : 'k';
	if (write(w->done, &res, 1) != 1)
		return 2;
	while (read(w->hold, &b, 1) > 0)
		;
	return 0;
}

/* Does the JSON array of frame names @stack hold a name containing @part? */
static bool stack_has(json_object *stack, const char *part)
{
	for (size_t i = 0; stack && i < json_object_array_length(stack); i++)
		if (strstr(json_object_get_string(json_object_array_get_idx(stack, i)), part))
			return true;
	return false;
}

/* The child's allocations in high-order.json, by kind. */
struct ho_seen {
	long pipe;		/* pipe order, a pipe_fcntl frame */
	long thp;		/* order 9, a huge-page fault frame */
	long thp_user;		/* of those, truth_thp_touch in the user stack */
	long low;		/* below the order asked for */
	long other;		/* anything else */
	long all;		/* the sum over the child's stacks */
	long allocs;		/* the report's total */
};

/* Member @key of @o as an integer, -1 if absent. */
static long member_int(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
}

/* Sort the child @pid's allocations in the report by kind. */
static int ho_seen(struct diag_test *t, pid_t pid, int porder, struct ho_seen *seen)
{
	json_object *rep = diag_test__json(t, "high-order.json"), *stacks;

	memset(seen, 0, sizeof(*seen));
	if (!rep)
		return -EINVAL;
	if (!json_object_object_get_ex(rep, "stacks", &stacks)) {
		json_object_put(rep);
		return -EINVAL;
	}
	seen->allocs = member_int(rep, "allocs");
	for (size_t i = 0; i < json_object_array_length(stacks); i++) {
		json_object *s = json_object_array_get_idx(stacks, i), *ks = NULL, *us = NULL;
		long count = member_int(s, "count"), order = member_int(s, "order");

		seen->all += count;
		if (member_int(s, "tgid") != pid)
			continue;
		json_object_object_get_ex(s, "kstack", &ks);
		json_object_object_get_ex(s, "ustack", &us);
		if (order < TRUTH_MIN_ORDER) {
			seen->low += count;
		} else if (order == porder && stack_has(ks, "pipe_fcntl")) {
			seen->pipe += count;
		} else if (order == TRUTH_THP_ORDER && stack_has(ks, "huge")) {
			seen->thp += count;
			if (stack_has(us, "truth_thp_touch"))
				seen->thp_user += count;
		} else {
			seen->other += count;
		}
	}
	json_object_put(rep);
	return 0;
}

int truth__high_order(struct diag_test *t)
{
	int porder = pages__pipe_order(TRUTH_PIPE_BYTES), done[2], hold[2], err;
	const char *no_thp = pages__thp_unavailable();
	struct ho_work w = { .thp = !no_thp };
	struct diag_child c;
	struct ho_seen seen;
	long thp = 0;
	char res = 0;

	if (porder < TRUTH_MIN_ORDER) {
		diag_test__say(t, "cannot tell the order of a 1 MiB pipe's slot array from BTF");
		return -ENOTSUP;
	}
	if (pipe2(done, O_CLOEXEC))
		return -errno;
	if (pipe2(hold, O_CLOEXEC)) {
		err = -errno;
		close(done[0]);
		close(done[1]);
		return err;
	}
	w.done = done[1];
	w.hold = hold[0];
	w.spare[0] = done[0];
	w.spare[1] = hold[1];
	err = diag_child__start(&c, "hld-highorder", ho_child, &w);
	close(done[1]);
	close(hold[0]);
	if (err) {
		close(done[0]);
		close(hold[1]);
		return err;
	}
	err = diag_test__activate(t, "order=%d tgid=%d", TRUTH_MIN_ORDER, c.pid);
	if (err)
		goto out;
	diag_test__say(t, "child %d grows %d pipes to 1 MiB: %d allocations of order %d", c.pid,
		       TRUTH_PIPES, TRUTH_PIPES, porder);
	if (no_thp)
		diag_test__say(t, "no huge pages: %s", no_thp);
	else
		diag_test__say(t, "child %d writes %d huge pages of a MADV_HUGEPAGE region: "
			       "one order-%d allocation per huge page it gets", c.pid,
			       TRUTH_THP_PAGES, TRUTH_THP_ORDER);
	diag_child__go(&c);
	if (read(done[0], &res, 1) != 1 || res != 'k') {
		diag_test__say(t, "the child's workload failed");
		err = -EIO;
		goto out;
	}
	if (w.thp) {
		thp = pages__thp_of(c.pid);
		diag_test__say(t, "the child got %ld huge pages (AnonHugePages)", thp);
	}
	err = diag_test__collect(t);	/* while the child lives: its user stacks resolve */
	if (!err)
		err = ho_seen(t, c.pid, porder, &seen);
	if (err)
		goto out;
	diag_test__expect(t, "pipe slot arrays (order of the pipe, pipe_fcntl)", seen.pipe,
			  TRUTH_PIPES, TRUTH_PIPES);
	if (thp > 0) {
		diag_test__expect(t, "huge-page faults (order 9)", seen.thp, thp, thp);
		diag_test__expect(t, "of those, truth_thp_touch in the user stack", seen.thp_user,
				  thp, thp);
	} else if (w.thp) {
		diag_test__say(t, "the kernel gave the child no huge page: order 9 not checked");
	}
	diag_test__expect(t, "allocations below order 2", seen.low, 0, 0);
	diag_test__say(t, "other allocations of order >= 2 by the child (slab refills): %ld",
		       seen.other);
	diag_test__expect(t, "allocs in the report = sum over its stacks", seen.allocs, seen.all,
			  seen.all);
	diag_test__expect(t, "drops", t->f->drops, 0, 0);
	diag_test__say(t, "second report: the first one drained the allocations");
	err = diag_test__collect(t);
	if (!err)
		err = ho_seen(t, c.pid, porder, &seen);
	if (!err)
		diag_test__expect(t, "allocations of the child in the second report",
				  seen.pipe + seen.thp + seen.other + seen.low, 0, 0);
out:
	close(done[0]);
	close(hold[1]);
	diag_child__wait(&c);
	return err;
}
