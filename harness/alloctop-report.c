// SPDX-License-Identifier: GPL-2.0
/*
 * alloctop-report.c - alloc-top's report, shared by the backends
 * (bpf/alloctop.c, harness/kmod-alloctop.c): the processes of one drain,
 * most pages first, in alloc-top.txt and alloc-top.json.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloctop-report.h"
#include "hld_settings.h"
#include "json.h"

/* Most pages first; ties by tgid so the order is stable. */
static int alloctop__cmp(const void *pa, const void *pb)
{
	const struct alloctop_row *a = pa, *b = pb;

	if (a->val.pages != b->val.pages)
		return a->val.pages < b->val.pages ? 1 : -1;
	return a->tgid < b->tgid ? -1 : a->tgid > b->tgid;
}

void alloctop__leave_out(struct alloctop_row *rows, size_t *nr, uint32_t tgid,
			 struct alloctop_sum *sum)
{
	size_t n = 0;

	for (size_t i = 0; i < *nr; i++) {
		const struct hld_alloctop_val *v = &rows[i].val;

		if (rows[i].tgid != tgid) {
			rows[n++] = rows[i];
			continue;
		}
		sum->pages -= v->pages < sum->pages ? v->pages : sum->pages;
		sum->allocs -= v->allocs < sum->allocs ? v->allocs : sum->allocs;
	}
	*nr = n;
}

/* The results, as JSON members of the object @j is in. */
static void alloctop__json(struct json_writer *j, const struct alloctop_row *rows, size_t nr,
			   size_t top, const struct alloctop_sum *sum)
{
	char comm[HLD_COMM_LEN + 1];

	json__uint(j, "events", sum->allocs);
	json__uint(j, "pages", sum->pages);
	json__uint(j, "allocs", sum->allocs);
	json__uint(j, "drops", sum->drops);
	json__uint(j, "processes", nr);
	json__begin_array(j, "top");
	for (size_t i = 0; i < nr && i < top; i++) {
		memcpy(comm, rows[i].val.comm, HLD_COMM_LEN);
		comm[HLD_COMM_LEN] = '\0';
		json__begin_object(j, NULL);
		json__uint(j, "tgid", rows[i].tgid);
		json__str(j, "comm", comm);
		json__uint(j, "pages", rows[i].val.pages);
		json__uint(j, "allocs", rows[i].val.allocs);
		json__end_object(j);
	}
	json__end_array(j);
}

/* Write alloc-top.txt: a table of the top processes. */
static int alloctop__write_txt(FILE *o, const struct alloctop_row *rows, size_t nr, size_t top,
			       const struct alloctop_sum *sum)
{
	fprintf(o, "# alloc-top: pages (4 KiB) allocated per process\n");
	fprintf(o, "# since the last report: %llu pages in %llu allocations by %zu processes; "
		"%llu dropped since activation\n",
		(unsigned long long)sum->pages, (unsigned long long)sum->allocs, nr,
		(unsigned long long)sum->drops);
	fprintf(o, "%8s %-16s %12s %12s %10s\n", "TGID", "COMM", "PAGES", "ALLOCS", "MiB");
	for (size_t i = 0; i < nr && i < top; i++)
		fprintf(o, "%8u %-16.16s %12llu %12llu %10.1f\n", rows[i].tgid, rows[i].val.comm,
			(unsigned long long)rows[i].val.pages,
			(unsigned long long)rows[i].val.allocs,
			rows[i].val.pages * 4096.0 / (1024 * 1024));
	return ferror(o) ? -EIO : 0;
}

int alloctop__report_out(struct diag_feature *f, struct alloctop_row *rows, size_t nr,
			 const struct alloctop_sum *sum, const struct diag_outputs *out)
{
	const struct hld_alloctop_settings *s = f->settings;
	char path[PATH_MAX];
	struct json_writer j;
	int err = 0;
	FILE *o;

	qsort(rows, nr, sizeof(*rows), alloctop__cmp);
	f->events = sum->allocs;
	f->drops = sum->drops;

	snprintf(path, sizeof(path), "%s/alloc-top.txt", out->dir);
	o = fopen(path, "we");
	if (!o)
		return -errno;
	if (alloctop__write_txt(o, rows, nr, s->top, sum))
		err = -EIO;
	if (fclose(o) && !err)
		err = -errno;

	snprintf(path, sizeof(path), "%s/alloc-top.json", out->dir);
	o = fopen(path, "we");
	if (!o)
		return -errno;
	json__init(&j, o, true);
	json__begin_object(&j, NULL);
	alloctop__json(&j, rows, nr, s->top, sum);
	json__end_object(&j);
	fputc('\n', o);
	if (fclose(o) && !err)
		err = -errno;

	alloctop__json(out->json, rows, nr, s->top, sum);
	diag_feature__set_metric(f, "pages", sum->pages);
	diag_feature__set_metric(f, "drops", sum->drops);
	return err;
}
