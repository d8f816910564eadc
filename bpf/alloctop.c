// SPDX-License-Identifier: GPL-2.0
/*
 * alloctop.c - alloc-top, user side: loads alloctop.bpf.c once, attaches it
 * while a phase is active, and reports from its maps the processes that
 * allocated the most pages: alloc-top.txt, alloc-top.json.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "alloctop.skel.h"
#include "bpf-util.h"
#include "diag.h"
#include "hld_record.h"
#include "hld_settings.h"

struct alloctop {
	struct alloctop_bpf *skel;
	struct bpf_link *link;
};

struct alloctop_row {
	uint32_t tgid;
	struct hld_alloctop_val val;
};

/* Usable if BPF works and the tp_btf program loads on this kernel. */
static int alloctop_probe(char *why, size_t len)
{
	struct alloctop_bpf *skel;
	int err;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	skel = alloctop_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "cannot load the mm_page_alloc program: %s", strerror(-err));
		return err;
	}
	alloctop_bpf__destroy(skel);
	return 0;
}

/* Load the program on the first phase (the maps then live until free) and attach it. */
static int alloctop_activate(struct diag_feature *f)
{
	const struct hld_alloctop_settings *s = f->settings;
	struct alloctop *a = f->priv;
	int err;

	if (!a) {
		a = calloc(1, sizeof(*a));
		if (!a)
			return -ENOMEM;
		f->priv = a;
	}
	if (!a->skel) {
		a->skel = alloctop_bpf__open();
		if (!a->skel)
			return -errno;
		a->skel->rodata->targ_tgid = s->tgid;
		err = f->pin_dir ? bpf_util__pin_maps(a->skel->obj, f->pin_dir) : 0;
		if (!err)
			err = alloctop_bpf__load(a->skel);
		if (err) {
			alloctop_bpf__destroy(a->skel);
			a->skel = NULL;
			return err;
		}
	}
	a->link = bpf_program__attach(a->skel->progs.alloctop_page_alloc);
	if (!a->link)
		return -errno;
	return f->pin_dir ? bpf_util__pin_link(a->link, f->pin_dir, "link_page_alloc") : 0;
}

/* Attach to a persistent activation: the programs loaded on its pinned maps, not attached. */
static int alloctop_reopen(struct diag_feature *f)
{
	struct alloctop *a = calloc(1, sizeof(*a));
	int err;

	if (!a)
		return -ENOMEM;
	f->priv = a;
	a->skel = alloctop_bpf__open();
	if (!a->skel)
		return -errno;
	err = bpf_util__pin_maps(a->skel->obj, f->pin_dir);
	if (!err)
		err = alloctop_bpf__load(a->skel);
	if (err) {
		alloctop_bpf__destroy(a->skel);
		a->skel = NULL;
		return err < 0 ? err : -EINVAL;
	}
	return 0;
}

/* Detach; the counts stay in the maps for report(). */
static int alloctop_deactivate(struct diag_feature *f)
{
	struct alloctop *a = f->priv;

	if (!a || !a->link)
		return 0;
	bpf_link__destroy(a->link);
	a->link = NULL;
	f->kernel_run_ns = 0;
	f->kernel_run_cnt = 0;
	bpf_util__prog_stats(bpf_program__fd(a->skel->progs.alloctop_page_alloc),
			     &f->kernel_run_ns, &f->kernel_run_cnt);
	return 0;
}

/* Most pages first; ties by tgid so the order is stable. */
static int alloctop__cmp(const void *pa, const void *pb)
{
	const struct alloctop_row *a = pa, *b = pb;

	if (a->val.pages != b->val.pages)
		return a->val.pages < b->val.pages ? 1 : -1;
	return a->tgid < b->tgid ? -1 : a->tgid > b->tgid;
}

/* Read every process's entry from the hash into a sorted array. */
static int alloctop__rows(struct alloctop *a, struct alloctop_row **rows, size_t *nr)
{
	int fd = bpf_map__fd(a->skel->maps.procs);
	size_t cap = 0;
	uint32_t key, next;

	*rows = NULL;
	*nr = 0;
	for (void *prev = NULL; !bpf_map_get_next_key(fd, prev, &next); prev = &key) {
		key = next;
		if (bpf_util__reserve((void **)rows, &cap, *nr + 1, sizeof(**rows)))
			return -ENOMEM;
		if (bpf_map_lookup_elem(fd, &next, &(*rows)[*nr].val))
			continue;	/* deleted meanwhile */
		(*rows)[*nr].tgid = next;
		(*nr)++;
	}
	qsort(*rows, *nr, sizeof(**rows), alloctop__cmp);
	return 0;
}

/* The results, as JSON members of the object @j is in. */
static void alloctop__json(struct json_writer *j, const struct alloctop_row *rows, size_t nr,
			   size_t top, uint64_t pages, uint64_t allocs, uint64_t drops)
{
	char comm[HLD_COMM_LEN + 1];

	json__uint(j, "pages", pages);
	json__uint(j, "allocs", allocs);
	json__uint(j, "drops", drops);
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
			       uint64_t pages, uint64_t allocs, uint64_t drops)
{
	fprintf(o, "# alloc-top: pages (4 KiB) allocated per process\n");
	fprintf(o, "# total %llu pages in %llu allocations by %zu processes, %llu dropped\n",
		(unsigned long long)pages, (unsigned long long)allocs, nr,
		(unsigned long long)drops);
	fprintf(o, "%8s %-16s %12s %12s %10s\n", "TGID", "COMM", "PAGES", "ALLOCS", "MiB");
	for (size_t i = 0; i < nr && i < top; i++)
		fprintf(o, "%8u %-16.16s %12llu %12llu %10.1f\n", rows[i].tgid, rows[i].val.comm,
			(unsigned long long)rows[i].val.pages,
			(unsigned long long)rows[i].val.allocs,
			rows[i].val.pages * 4096.0 / (1024 * 1024));
	return ferror(o) ? -EIO : 0;
}

static int alloctop_report(struct diag_feature *f, const struct diag_outputs *out)
{
	const struct hld_alloctop_settings *s = f->settings;
	struct alloctop *a = f->priv;
	struct alloctop_row *rows = NULL;
	uint64_t pages = 0, allocs = 0, drops = 0;
	char path[PATH_MAX];
	struct json_writer j;
	size_t nr = 0;
	int err = 0;
	FILE *o;

	if (a && a->skel) {
		err = alloctop__rows(a, &rows, &nr);
		pages = a->skel->bss->nr_pages;
		allocs = a->skel->bss->nr_allocs;
		drops = a->skel->bss->nr_drops;
	}
	f->events = allocs;
	f->drops = drops;

	snprintf(path, sizeof(path), "%s/alloc-top.txt", out->dir);
	o = fopen(path, "we");
	if (!o) {
		err = -errno;
		goto out_free;
	}
	if (alloctop__write_txt(o, rows, nr, s->top, pages, allocs, drops) && !err)
		err = -EIO;
	if (fclose(o) && !err)
		err = -errno;

	snprintf(path, sizeof(path), "%s/alloc-top.json", out->dir);
	o = fopen(path, "we");
	if (!o) {
		err = -errno;
		goto out_free;
	}
	json__init(&j, o, true);
	json__begin_object(&j, NULL);
	alloctop__json(&j, rows, nr, s->top, pages, allocs, drops);
	json__end_object(&j);
	fputc('\n', o);
	if (fclose(o) && !err)
		err = -errno;

	alloctop__json(out->json, rows, nr, s->top, pages, allocs, drops);
	diag_feature__set_metric(f, "pages", pages);
	diag_feature__set_metric(f, "drops", drops);
out_free:
	free(rows);
	return err;
}

static void alloctop_free(struct diag_feature *f)
{
	struct alloctop *a = f->priv;

	if (!a)
		return;
	alloctop_deactivate(f);
	alloctop_bpf__destroy(a->skel);
	free(a);
	f->priv = NULL;
}

const struct diag_ops bpf_alloc_top_ops = {
	.id = DIAG_alloc_top,
	.probe = alloctop_probe,
	.activate = alloctop_activate,
	.deactivate = alloctop_deactivate,
	.report = alloctop_report,
	.reopen = alloctop_reopen,
	.free = alloctop_free,
};
