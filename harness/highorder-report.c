// SPDX-License-Identifier: GPL-2.0
/*
 * highorder-report.c - high-order's report, shared by the backends
 * (bpf/highorder.c, harness/kmod-highorder.c): the rows of one drain, most
 * frequent first, with their stacks named by the backend, in
 * high-order.txt, high-order.folded and high-order.json.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf-util.h"
#include "folded.h"
#include "highorder-report.h"
#include "hld_settings.h"
#include "json.h"

#define HIGHORDER_JSON_STACKS	200	/* stacks listed in the JSON, most frequent first */

/* Most allocations first, then by order, process and stack ids: a stable order. */
static int highorder__cmp(const void *pa, const void *pb)
{
	const struct highorder_row *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	if (a->key.order != b->key.order)
		return a->key.order < b->key.order ? 1 : -1;
	if (a->key.tgid != b->key.tgid)
		return a->key.tgid < b->key.tgid ? -1 : 1;
	if (a->key.kstack_id != b->key.kstack_id)
		return a->key.kstack_id < b->key.kstack_id ? -1 : 1;
	return a->key.ustack_id < b->key.ustack_id ? -1 : a->key.ustack_id > b->key.ustack_id;
}

/* Add one row as "comm;user outer..inner;kernel outer..inner_[k];[order N]". */
static int highorder__fold(struct folded *fo, const char *comm, const struct highorder_stack *us,
			   const struct highorder_stack *ks, uint32_t order, uint64_t count)
{
	static char frames[2 * HLD_MAX_STACK + 2][HIGHORDER_FRAME_LEN + 4];
	const char *ptrs[2 * HLD_MAX_STACK + 2];
	size_t n = 0;

	bpf_util__frame(frames[n], HIGHORDER_FRAME_LEN, comm[0] ? comm : "[unknown]");
	ptrs[n] = frames[n];
	n++;
	for (int i = us->nr - 1; i >= 0; i--, n++) {
		bpf_util__frame(frames[n], HIGHORDER_FRAME_LEN, us->names[i]);
		ptrs[n] = frames[n];
	}
	for (int i = ks->nr - 1; i >= 0; i--, n++) {
		bpf_util__frame(frames[n], HIGHORDER_FRAME_LEN, ks->names[i]);
		strcat(frames[n], "_[k]");
		ptrs[n] = frames[n];
	}
	snprintf(frames[n], sizeof(frames[n]), "[order %u]", order);
	ptrs[n] = frames[n];
	n++;
	return folded__add_frames(fo, ptrs, n, count);
}

/* The settings and totals, as JSON members of the object @j is in. */
static void highorder__json_head(struct json_writer *j, const struct hld_highorder_settings *s,
				 const struct highorder_totals *t, uint64_t counted)
{
	json__uint(j, "order", s->order);
	json__int(j, "tgid", s->tgid);
	json__uint(j, "allocs", counted);
	json__uint(j, "events", counted);
	json__uint(j, "allocs_since_activation", t->since_activation);
	json__uint(j, "drops", t->program_busy + t->kernel_stack + t->user_stack +
			       t->count_map_full);
	json__begin_object(j, "drops_by_cause");
	json__uint(j, "program_busy", t->program_busy);
	json__uint(j, "kernel_stack", t->kernel_stack);
	json__uint(j, "user_stack", t->user_stack);
	json__uint(j, "count_map_full", t->count_map_full);
	json__int(j, "last_stack_errno", -t->last_stack_err);
	json__end_object(j);
	/* not drops: the allocation was counted, some user frames are only addresses */
	json__uint(j, "user_stacks_not_placed", t->user_stacks_not_placed);
	json__uint(j, "user_frames_not_placed", t->user_frames_not_placed);
	json__bool(j, "kernel_symbols_restricted", t->kernel_symbols_restricted);
	json__uint(j, "allocs_by_reporter", t->own);
}

/* One stack array of names, innermost first. */
static void highorder__json_stack(struct json_writer *j, const char *key,
				  const struct highorder_stack *st)
{
	json__begin_array(j, key);
	for (int i = 0; i < st->nr; i++)
		json__str(j, NULL, st->names[i]);
	json__end_array(j);
}

/* Write one row to the text file and the JSON writers, and fold it. */
static int highorder__row(const struct highorder_row *r, highorder_stack_fn name, void *ctx,
			  FILE *txt, struct json_writer *const *js, size_t nj, struct folded *fo,
			  size_t idx)
{
	static struct highorder_stack ks, us;
	char comm[HLD_COMM_LEN + 1];

	memcpy(comm, r->key.comm, HLD_COMM_LEN);
	comm[HLD_COMM_LEN] = '\0';
	ks.nr = 0;
	us.nr = 0;
	if (r->key.kstack_id >= 0)
		name(ctx, r->key.kstack_id, false, r->key.tgid, &ks);
	if (r->key.ustack_id >= 0)
		name(ctx, r->key.ustack_id, true, r->key.tgid, &us);

	fprintf(txt, "%llu allocations of order %u (%llu pages each) by %u %s\n",
		(unsigned long long)r->count, r->key.order, 1ull << r->key.order,
		r->key.tgid, comm);
	for (int i = 0; i < ks.nr; i++)
		fprintf(txt, "    %s\n", ks.names[i]);
	if (r->key.ustack_id >= 0) {
		fprintf(txt, "    --\n");
		for (int i = 0; i < us.nr; i++)
			fprintf(txt, "    %s\n", us.names[i]);
	}
	fputc('\n', txt);

	for (size_t k = 0; k < nj && idx < HIGHORDER_JSON_STACKS; k++) {
		json__begin_object(js[k], NULL);
		json__uint(js[k], "tgid", r->key.tgid);
		json__str(js[k], "comm", comm);
		json__uint(js[k], "order", r->key.order);
		json__uint(js[k], "count", r->count);
		highorder__json_stack(js[k], "kstack", &ks);
		highorder__json_stack(js[k], "ustack", &us);
		json__end_object(js[k]);
	}
	return highorder__fold(fo, comm, &us, &ks, r->key.order, r->count);
}

void highorder__stack_add(struct highorder_stack *st, const char *name, uint64_t ip)
{
	if (name)
		snprintf(st->names[st->nr], HIGHORDER_FRAME_LEN, "%s", name);
	else
		snprintf(st->names[st->nr], HIGHORDER_FRAME_LEN, "0x%llx", (unsigned long long)ip);
	st->nr++;
}

uint64_t highorder__leave_out(struct highorder_row *rows, size_t *nr, uint32_t tgid)
{
	uint64_t sum = 0;
	size_t n = 0;

	for (size_t i = 0; i < *nr; i++) {
		if (rows[i].key.tgid == tgid)
			sum += rows[i].count;
		else
			rows[n++] = rows[i];
	}
	*nr = n;
	return sum;
}

/* Open @dir/@name for writing into *@o. 0 or -errno. */
static int highorder__open(const char *dir, const char *name, FILE **o)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*o = fopen(path, "we");
	return *o ? 0 : -errno;
}

int highorder__report_out(struct diag_feature *f, struct highorder_row *rows, size_t nr,
			  const struct highorder_totals *t, highorder_stack_fn name, void *ctx,
			  const struct diag_outputs *out)
{
	const struct hld_highorder_settings *s = f->settings;
	uint64_t counted = 0, drops = t->program_busy + t->kernel_stack + t->user_stack +
				      t->count_map_full;
	FILE *txt = NULL, *fold = NULL, *jf = NULL;
	struct json_writer jw, *js[2] = { &jw, out->json };
	struct folded *fo;
	int err;

	fo = folded__new();
	if (!fo)
		return -ENOMEM;
	qsort(rows, nr, sizeof(*rows), highorder__cmp);
	err = highorder__open(out->dir, "high-order.txt", &txt);
	if (!err)
		err = highorder__open(out->dir, "high-order.folded", &fold);
	if (!err)
		err = highorder__open(out->dir, "high-order.json", &jf);
	if (err)
		goto out_close;
	for (size_t i = 0; i < nr; i++)
		counted += rows[i].count;

	json__init(&jw, jf, true);
	json__begin_object(&jw, NULL);
	for (int k = 0; k < 2; k++) {
		highorder__json_head(js[k], s, t, counted);
		json__begin_array(js[k], "stacks");
	}
	fprintf(txt, "# high-order: page allocations of order >= %llu, most frequent first\n",
		(unsigned long long)s->order);
	fprintf(txt, "# %llu allocations counted in %zu stacks since the last report; "
		"%llu since activation, %llu dropped since activation\n",
		(unsigned long long)counted, nr, (unsigned long long)t->since_activation,
		(unsigned long long)drops);
	if (t->own)
		fprintf(txt, "# left out: %llu allocations by this report's own %s (tgid %d)\n",
			(unsigned long long)t->own, t->own_by ? t->own_by : "process",
			(int)getpid());
	fprintf(txt, "# kernel stack innermost first, then after -- the user stack\n\n");
	for (size_t i = 0; i < nr && !err; i++)
		err = highorder__row(&rows[i], name, ctx, txt, js, 2, fo, i);
	for (int k = 0; k < 2; k++)
		json__end_array(js[k]);
	json__end_object(&jw);
	fputc('\n', jf);
	if (!err)
		err = folded__write(fo, fold);

	f->events = counted;
	f->drops = drops;
	diag_feature__set_metric(f, "allocs", counted);
	diag_feature__set_metric(f, "drops", drops);
out_close:
	if (txt && fclose(txt) && !err)
		err = -errno;
	if (fold && fclose(fold) && !err)
		err = -errno;
	if (jf && fclose(jf) && !err)
		err = -errno;
	folded__free(fo);
	return err;
}
