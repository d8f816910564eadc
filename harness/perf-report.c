// SPDX-License-Identifier: GPL-2.0
/*
 * perf-report.c - perf's report, shared by its backends: perf.folded,
 * perf.txt, and the JSON fields and metrics they have in common (see
 * perf-report.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "perf-report.h"

#define PERF_TOP	10		/* leaf functions listed in perf.txt */

/* Order of the leaf table: most samples first. */
static int leaf__cmp(const void *a, const void *b)
{
	const struct folded_entry *x = *(const struct folded_entry *const *)a;
	const struct folded_entry *y = *(const struct folded_entry *const *)b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->stack, y->stack);
}

/* perf.txt: the loss accounting and the functions most often on CPU. */
static int perf_report__txt(const struct folded *folded, const struct perf_summary *sum,
			    const struct perf_loss *l, const char *path)
{
	const struct folded_entry *e, **top = NULL;
	struct folded *leaves = folded__new();
	size_t i, nr;
	FILE *o;
	int err = 0;

	if (!leaves)
		return -ENOMEM;
	folded__for_each(folded, e, i) {
		const char *leaf = strrchr(e->stack, ';');

		err = folded__add(leaves, leaf ? leaf + 1 : e->stack, e->count);
		if (err)
			break;
	}
	nr = folded__nr_stacks(leaves);
	top = calloc(nr ? nr : 1, sizeof(*top));
	o = fopen(path, "we");
	if (!o || !top || err) {
		err = err ? err : -errno;
		goto out;
	}
	for (i = 0; i < nr; i++)
		top[i] = folded__entry(leaves, i);
	qsort(top, nr, sizeof(*top), leaf__cmp);
	fprintf(o, "perf: %llu samples since the last report, %zu unique stacks\n",
		(unsigned long long)sum->samples, folded__nr_stacks(folded));
	fprintf(o, "dropped since activation: %llu of %llu (kernel stack %llu, user stack %llu, "
		"count map full %llu, handler missed %llu)\n", (unsigned long long)l->drops,
		(unsigned long long)l->seen, (unsigned long long)l->kstack,
		(unsigned long long)l->ustack, (unsigned long long)l->count_full,
		(unsigned long long)l->missed);
	if (sum->exe_only || sum->no_maps)
		fprintf(o, "exited before the report: %llu processes named from their executable "
			"only (library frames [unknown]), %llu not at all\n",
			(unsigned long long)sum->exe_only, (unsigned long long)sum->no_maps);
	fprintf(o, "\n%8s %7s  %s\n", "samples", "%", "on CPU (leaf frame)");
	for (i = 0; i < nr && i < PERF_TOP; i++)
		fprintf(o, "%8llu %6.2f%%  %s\n", (unsigned long long)top[i]->count,
			sum->samples ? 100.0 * top[i]->count / sum->samples : 0.0, top[i]->stack);
	if (fclose(o))
		err = -errno;
out:
	free(top);
	folded__free(leaves);
	return err;
}

int perf_report__out(struct diag_feature *f, const struct diag_outputs *out,
		     const struct folded *folded, const struct perf_summary *sum,
		     const struct perf_loss *l)
{
	char path[PATH_MAX];
	int err = 0;
	FILE *o;

	snprintf(path, sizeof(path), "%s/perf.folded", out->dir);
	o = fopen(path, "we");
	if (!o)
		return -errno;
	err = folded__write(folded, o);
	if (fclose(o) && !err)
		err = -errno;
	snprintf(path, sizeof(path), "%s/perf.txt", out->dir);
	if (!err)
		err = perf_report__txt(folded, sum, l, path);

	f->events = sum->samples;
	f->drops = l->drops;
	json__uint(out->json, "samples", sum->samples);
	json__uint(out->json, "events", sum->samples);
	json__uint(out->json, "drops", l->drops);
	json__uint(out->json, "samples_seen", l->seen);
	json__begin_object(out->json, "drops_by_cause");
	json__uint(out->json, "kernel_stack", l->kstack);
	json__uint(out->json, "user_stack", l->ustack);
	json__uint(out->json, "count_map_full", l->count_full);
	json__uint(out->json, "handler_missed", l->missed);
	json__end_object(out->json);
	json__uint(out->json, "unique_stacks", folded__nr_stacks(folded));
	json__uint(out->json, "exited_named_by_executable", sum->exe_only);
	json__uint(out->json, "exited_unnamed", sum->no_maps);
	json__uint(out->json, "freq", sum->freq);
	json__uint(out->json, "cpus", sum->nr_cpus);
	json__bool(out->json, "kernel_symbols_restricted", sum->restricted);

	diag_feature__set_metric(f, "samples", sum->samples);
	diag_feature__set_metric(f, "drops", l->drops);
	diag_feature__set_metric(f, "samples_seen", l->seen);
	return err;
}
