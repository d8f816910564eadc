// SPDX-License-Identifier: GPL-2.0
/*
 * alloctop.c - alloc-top, user side: loads alloctop.bpf.c once, attaches it
 * while a phase is active, and at each report drains from its maps the
 * processes that allocated the most pages since the previous report:
 * alloc-top.txt, alloc-top.json, with the drops since activation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "alloctop-report.h"
#include "alloctop.bpf.h"
#include "alloctop.skel.h"
#include "bpf-util.h"
#include "diag.h"
#include "hld_record.h"
#include "hld_settings.h"

struct alloctop {
	struct alloctop_bpf *skel;
	struct bpf_link *link;		/* mm_page_alloc */
	struct bpf_link *exec;		/* sched_process_exec: renames */
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
	a->exec = bpf_program__attach(a->skel->progs.alloctop_exec);
	if (!a->exec)
		return -errno;
	a->link = bpf_program__attach(a->skel->progs.alloctop_page_alloc);
	if (!a->link) {
		err = -errno;
		bpf_link__destroy(a->exec);
		a->exec = NULL;
		return err;
	}
	if (!f->pin_dir)
		return 0;
	err = bpf_util__pin_link(a->exec, f->pin_dir, "link_exec");
	return err ? err : bpf_util__pin_link(a->link, f->pin_dir, "link_page_alloc");
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
	bpf_link__destroy(a->exec);
	a->link = NULL;
	a->exec = NULL;
	f->kernel_run_ns = 0;
	f->kernel_run_cnt = 0;
	bpf_util__prog_stats(bpf_program__fd(a->skel->progs.alloctop_page_alloc),
			     &f->kernel_run_ns, &f->kernel_run_cnt);
	return 0;
}

/*
 * Read and delete every entry of generation @old into an array.
 * Keys are collected first and deleted after the walk, since deleting the
 * key a walk stands on restarts it. @self (a tgid, or 0) is left out, and
 * its pages and allocations are taken off @sum.
 */
static int alloctop__rows(struct alloctop *a, uint32_t old, uint32_t self,
			  struct alloctop_row **rows, size_t *nr, struct alloctop_sum *sum)
{
	int fd = bpf_map__fd(a->skel->maps.procs), err = 0;
	struct alloctop_key key, next, *dead = NULL;
	size_t cap = 0, dcap = 0, ndead = 0;

	*rows = NULL;
	*nr = 0;
	for (void *prev = NULL; !bpf_map_get_next_key(fd, prev, &next); prev = &key) {
		struct hld_alloctop_val v;

		key = next;
		if (key.gen != old)
			continue;
		if (bpf_util__reserve((void **)&dead, &dcap, ndead + 1, sizeof(*dead)))
			return -ENOMEM;
		dead[ndead++] = key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;	/* no one else deletes: cannot happen */
		if (bpf_util__reserve((void **)rows, &cap, *nr + 1, sizeof(**rows))) {
			err = -ENOMEM;
			break;
		}
		(*rows)[*nr].tgid = key.tgid;
		(*rows)[*nr].val = v;
		(*nr)++;
	}
	for (size_t i = 0; i < ndead; i++)
		if (bpf_map_delete_elem(fd, &dead[i]) && errno != ENOENT && !err)
			err = -errno;
	free(dead);
	if (self)
		alloctop__leave_out(*rows, nr, self, sum);
	return err;
}

/*
 * Drain what was counted since the last report: flip the generation, wait
 * until no program still counts into the old one, read and clear its
 * totals and entries. A reopened report (another process reading a
 * persistent activation) leaves out its own allocations, made while it
 * loaded the programs: observing is not the workload.
 */
static int alloctop__drain(struct diag_feature *f, struct alloctop_row **rows, size_t *nr,
			   struct alloctop_sum *sum)
{
	struct alloctop *a = f->priv;
	uint32_t old;
	int err;

	memset(sum, 0, sizeof(*sum));
	*rows = NULL;
	*nr = 0;
	if (!a || !a->skel)
		return 0;
	old = a->skel->bss->gen & 1;
	a->skel->bss->gen = old ^ 1;
	err = bpf_util__grace_period();
	if (err)
		return err;
	sum->pages = a->skel->bss->nr_pages[old];
	sum->allocs = a->skel->bss->nr_allocs[old];
	a->skel->bss->nr_pages[old] = 0;
	a->skel->bss->nr_allocs[old] = 0;
	sum->drops = a->skel->bss->nr_drops;
	return alloctop__rows(a, old, f->pin_dir && !a->link ? getpid() : 0, rows, nr, sum);
}

/* Drain the maps (since the last report) into alloc-top.txt, alloc-top.json and run.json. */
static int alloctop_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct alloctop_row *rows = NULL;
	struct alloctop_sum sum;
	size_t nr = 0;
	int err, err2;

	err = alloctop__drain(f, &rows, &nr, &sum);
	err2 = alloctop__report_out(f, rows, nr, &sum, out);
	free(rows);
	return err ? err : err2;
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
