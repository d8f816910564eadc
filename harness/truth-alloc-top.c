// SPDX-License-Identifier: GPL-2.0
/*
 * truth-alloc-top.c - alloc-top's ground truth: a child maps N anonymous
 * 4 KiB pages with transparent huge pages off for the mapping
 * (MADV_NOHUGEPAGE, which also rules out multi-size THP) and writes one
 * byte to each, so the kernel allocates exactly one order-0 page per page
 * written. The report, filtered to the child, must charge it at least N
 * pages in at least N allocations, and at most TRUTH_SLACK(N) more: the
 * child's other allocations, which no workload can avoid: its page tables
 * (one PTE page per 512 pages, a PMD or PUD page), copy-on-write copies of
 * the stack and data pages it writes after fork(), and slab pages refilled
 * for its VMA and page-table objects (a few, of order <= 3). Measured
 * here: N + 40 or so. A second report must be empty: the first one drained
 * the counts.
 */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>
#include <unistd.h>

#include "diag-test.h"
#include "workload.h"

#define TRUTH_PAGES	10000
#define TRUTH_COMM	"hld-alloc"
/* Page tables (N/512 + 2) and 64 pages of copy-on-write and slab refills, doubled. */
#define TRUTH_SLACK(n)	(2 * ((n) / 512 + 2 + 64))

/* The child: map N pages, no huge pages, write one byte to each (harness/workload-pages.c). */
static int touch_pages(void *arg)
{
	return pages__touch(*(long *)arg) ? 0 : 2;
}

/* The member @key of @o as a number; -1 if it is missing. */
static double num_of(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? (double)json_object_get_uint64(v) : -1;
}

/* The "top" entry of @tgid in the report, or NULL. */
static json_object *process_of(json_object *rep, pid_t tgid)
{
	json_object *arr, *e;

	if (!json_object_object_get_ex(rep, "top", &arr))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		if (num_of(e, "tgid") == tgid)
			return e;
	}
	return NULL;
}

/* Collect a report and parse its alloc-top.json into *@rep. 0 or -errno. */
static int collect(struct diag_test *t, json_object **rep)
{
	int err = diag_test__collect(t);

	if (err)
		return err;
	*rep = diag_test__json(t, "alloc-top.json");
	return *rep ? 0 : -EINVAL;
}

/* The child's pages and allocations, its name, and the totals agreeing with it. */
static void check_first(struct diag_test *t, json_object *rep, pid_t child, long n)
{
	json_object *p = process_of(rep, child), *v;
	bool named = p && json_object_object_get_ex(p, "comm", &v) &&
		     !strcmp(json_object_get_string(v), TRUTH_COMM);

	diag_test__expect(t, "pages charged to the child", num_of(p, "pages"), n,
			  n + TRUTH_SLACK(n));
	diag_test__expect(t, "allocations by the child", num_of(p, "allocs"), n,
			  n + TRUTH_SLACK(n));
	diag_test__expect(t, "child named " TRUTH_COMM, named, 1, 1);
	diag_test__expect(t, "total pages = the child's (filtered to it)", num_of(rep, "pages"),
			  num_of(p, "pages"), num_of(p, "pages"));
	diag_test__expect(t, "events of the report = allocations", t->f->events,
			  num_of(rep, "allocs"), num_of(rep, "allocs"));
	diag_test__expect(t, "drops", t->f->drops, 0, 0);
}

int truth__alloc_top(struct diag_test *t)
{
	long n = TRUTH_PAGES;
	struct diag_child c;
	json_object *rep;
	int err;

	err = diag_test__start_child(t, &c, TRUTH_COMM, touch_pages, &n);
	if (!err)
		err = diag_test__activate(t, "tgid=%d", c.pid);
	if (err)
		return err;
	diag_test__say(t, "child %d writes %ld fresh 4 KiB pages (no huge pages); allowed on top: "
		       "%d (page tables, copy-on-write, slab)", c.pid, n, TRUTH_SLACK(TRUTH_PAGES));
	err = diag_test__run_child(t, &c);
	if (err)
		return err;
	rep = diag_test__json(t, "alloc-top.json");
	if (!rep)
		return -EINVAL;
	check_first(t, rep, c.pid, n);
	json_object_put(rep);

	diag_test__say(t, "second report: the first one drained the counts");
	err = collect(t, &rep);
	if (err)
		return err;
	diag_test__expect(t, "pages in the second report", num_of(rep, "pages"), 0, 0);
	diag_test__expect(t, "drops", t->f->drops, 0, 0);
	json_object_put(rep);
	return 0;
}
