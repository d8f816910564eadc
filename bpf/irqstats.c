// SPDX-License-Identifier: GPL-2.0
/*
 * irqstats.c - irq-stats, user side: loads irqstats.bpf.c once, attaches
 * its entry/exit programs while a phase is active, and reports from its
 * per-CPU maps: irq-stats.txt (tables per CPU) and irq-stats.json.
 *
 * A persistent activation pins the maps and links under f->pin_dir; a
 * later process reopens them (reopen()) to report. Each report drains: it
 * flips the generation the programs write, waits for a grace period, and
 * reads and clears the previous generation, so it holds exactly the events
 * since the previous report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "diag.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "irqstats-report.h"
#include "irqstats.skel.h"
#include "syms.h"

struct irqstats {
	struct irqstats_bpf *skel;
	struct bpf_link **links;
	int nr_links;
	uint32_t gen;			/* the generation being reported */
	struct ksyms *ksyms;		/* NULL if /proc/kallsyms cannot be read */
	int nr_possible;		/* per-CPU values per map element */
};

/* Usable if BPF works and every tracepoint program loads on this kernel. */
static int irqstats_probe(char *why, size_t len)
{
	struct irqstats_bpf *skel;
	int err;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	skel = irqstats_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "cannot load the irq, softirq and timer programs: %s",
			 strerror(-err));
		return err;
	}
	irqstats_bpf__destroy(skel);
	return 0;
}

/* Drop our links: private ones detach, pinned ones stay attached through their pins. */
static void irqstats__detach(struct irqstats *q)
{
	for (int i = 0; i < q->nr_links; i++)
		bpf_link__destroy(q->links[i]);
	q->nr_links = 0;
}

/*
 * Attach every program of the object (entry and exit of each kind); with
 * @pin_dir, pin each link there as link_<program> so that it outlives us.
 */
static int irqstats__attach(struct irqstats *q, const char *pin_dir)
{
	char name[64];
	struct bpf_program *prog;
	int n = 0, err;

	bpf_object__for_each_program(prog, q->skel->obj)
		n++;
	if (!q->links) {
		q->links = calloc(n, sizeof(*q->links));
		if (!q->links)
			return -ENOMEM;
	}
	bpf_object__for_each_program(prog, q->skel->obj) {
		struct bpf_link *link = bpf_program__attach(prog);

		if (!link) {
			err = -errno;
			irqstats__detach(q);
			return err;
		}
		q->links[q->nr_links++] = link;
		if (!pin_dir)
			continue;
		snprintf(name, sizeof(name), "link_%s", bpf_program__name(prog));
		err = bpf_util__pin_link(link, pin_dir, name);
		if (err) {
			irqstats__detach(q);
			return err;
		}
	}
	return 0;
}

/* Open the skeleton and load it, on the maps pinned in @pin_dir if set. */
static int irqstats__load(struct irqstats *q, const char *pin_dir)
{
	int err;

	q->skel = irqstats_bpf__open();
	if (!q->skel)
		return -errno;
	err = pin_dir ? bpf_util__pin_maps(q->skel->obj, pin_dir) : 0;
	if (!err)
		err = irqstats_bpf__load(q->skel);
	if (err) {
		irqstats_bpf__destroy(q->skel);
		q->skel = NULL;
		return err < 0 ? err : -EINVAL;
	}
	return 0;
}

/* The private state of @f, allocated on first use. */
static struct irqstats *irqstats__priv(struct diag_feature *f, int *err)
{
	struct irqstats *q = f->priv;

	*err = 0;
	if (q)
		return q;
	q = calloc(1, sizeof(*q));
	if (!q) {
		*err = -ENOMEM;
		return NULL;
	}
	f->priv = q;
	q->ksyms = ksyms__load();	/* NULL: timer functions become addresses */
	q->nr_possible = libbpf_num_possible_cpus();
	if (q->nr_possible <= 0) {
		*err = q->nr_possible ? q->nr_possible : -EINVAL;
		return NULL;
	}
	return q;
}

/*
 * Load the programs on the first phase (the maps then live until free) and
 * attach them; a persistent activation pins maps and links in f->pin_dir.
 */
static int irqstats_activate(struct diag_feature *f)
{
	struct irqstats *q;
	int err;

	q = irqstats__priv(f, &err);
	if (!q)
		return err;
	if (!q->skel) {
		err = irqstats__load(q, f->pin_dir);
		if (err)
			return err;
		q->skel->bss->since_ns = bpf_util__now_ns();
	}
	return irqstats__attach(q, f->pin_dir);
}

/* Attach to a persistent activation: its pinned maps, for report(); nothing is attached. */
static int irqstats_reopen(struct diag_feature *f)
{
	struct irqstats *q;
	int err;

	q = irqstats__priv(f, &err);
	if (!q)
		return err;
	return irqstats__load(q, f->pin_dir);
}

/* Detach; the counters stay in the maps for report(). */
static int irqstats_deactivate(struct diag_feature *f)
{
	struct irqstats *q = f->priv;
	struct bpf_program *prog;

	if (!q || !q->nr_links)
		return 0;
	irqstats__detach(q);
	f->kernel_run_ns = 0;
	f->kernel_run_cnt = 0;
	bpf_object__for_each_program(prog, q->skel->obj)
		bpf_util__prog_stats(bpf_program__fd(prog), &f->kernel_run_ns, &f->kernel_run_cnt);
	return 0;
}

/*
 * Append a row of table @table to @d with the per-CPU values of @key
 * (@key_size bytes) in map @fd (none if it was deleted meanwhile). 0 or -errno.
 */
static int irqstats__add(struct irqstats_data *d, int table, int fd, const void *key,
			 size_t key_size, int64_t id, uint32_t kind, const char *name)
{
	size_t bytes = d->nr_possible * sizeof(struct hld_irqstats_val);
	struct hld_irqstats_val *v = calloc(1, bytes);
	struct irqstats_row *r;

	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, key, v)) {
		free(v);
		return 0;	/* deleted meanwhile */
	}
	r = irqstats__row_add(d, table, id, kind, name);
	if (r) {
		memcpy(r->cpu, v, bytes);
		memcpy(r->key, key, key_size);
	}
	free(v);
	return r ? 0 : -ENOMEM;
}

/* The hard IRQ lines of generation q->gen, named by their first handler. */
static int irqstats__irqs(struct irqstats *q, struct irqstats_data *d)
{
	int fd = bpf_map__fd(q->skel->maps.irqs);
	int names = bpf_map__fd(q->skel->maps.irq_names);
	uint32_t key, next, irq;
	char name[32];
	int err = 0;

	for (void *prev = NULL; !err && !bpf_map_get_next_key(fd, prev, &next); prev = &key) {
		key = next;
		if (next >> 31 != q->gen)
			continue;
		irq = next & ~(1u << 31);
		memset(name, 0, sizeof(name));
		bpf_map_lookup_elem(names, &irq, name);
		name[sizeof(name) - 1] = '\0';
		err = irqstats__add(d, HLD_IRQSTATS_T_IRQ, fd, &next, sizeof(next), irq, 0, name);
	}
	return err;
}

/* The timer callbacks of generation q->gen. */
static int irqstats__timers(struct irqstats *q, struct irqstats_data *d)
{
	int fd = bpf_map__fd(q->skel->maps.timers);
	struct hld_irqstats_timer_key key, next;
	int err = 0;

	for (void *prev = NULL; !err && !bpf_map_get_next_key(fd, prev, &next); prev = &key) {
		key = next;
		if (next.gen != q->gen)
			continue;
		err = irqstats__add(d, HLD_IRQSTATS_T_TIMER, fd, &next, sizeof(next), next.func,
				    next.kind, NULL);
	}
	return err;
}

/* The @n elements of generation q->gen of the per-CPU array @map, named by @names. */
static int irqstats__array(struct irqstats *q, struct irqstats_data *d, int table,
			   struct bpf_map *map, const char *const *names, uint32_t n)
{
	int err = 0;

	for (uint32_t i = 0; i < n && !err; i++) {
		uint32_t key = q->gen * n + i;

		err = irqstats__add(d, table, bpf_map__fd(map), &key, sizeof(key), i, 0, names[i]);
	}
	return err;
}

/*
 * Clear what @t was read from: zero its per-CPU array elements (@array) or
 * delete its hash keys, so that the generation starts empty when it is
 * current again. 0 or -errno.
 */
static int irqstats__clear(struct irqstats *q, const struct irqstats_table *t, struct bpf_map *map,
			   bool array)
{
	struct hld_irqstats_val *zero = calloc(q->nr_possible, sizeof(*zero));
	int fd = bpf_map__fd(map), err = 0;

	if (!zero)
		return -ENOMEM;
	for (size_t i = 0; i < t->nr && !err; i++) {
		if (array && bpf_map_update_elem(fd, t->rows[i].key, zero, BPF_EXIST))
			err = -errno;
		else if (!array && bpf_map_delete_elem(fd, t->rows[i].key) && errno != ENOENT)
			err = -errno;
	}
	free(zero);
	return err;
}

/*
 * Make the programs write the other generation, and wait until none still
 * writes the one they wrote: q->gen is then complete, and ours to read.
 */
static int irqstats__flip(struct irqstats *q)
{
	q->gen = q->skel->bss->gen & 1;
	__atomic_store_n(&q->skel->bss->gen, q->gen ^ 1, __ATOMIC_SEQ_CST);
	return bpf_util__grace_period();
}

/* Read generation q->gen into the tables of @d, then clear it. */
static int irqstats__drain(struct irqstats *q, struct irqstats_data *d)
{
	struct irqstats_table *t = d->t;
	int err;

	err = irqstats__flip(q);
	if (!err)
		err = irqstats__irqs(q, d);
	if (!err)
		err = irqstats__array(q, d, HLD_IRQSTATS_T_VECTOR, q->skel->maps.vectors,
				      irqstats_vector_names, HLD_IRQSTATS_VEC__MAX);
	if (!err)
		err = irqstats__array(q, d, HLD_IRQSTATS_T_SOFTIRQ, q->skel->maps.softirqs,
				      irqstats_softirq_names, HLD_IRQSTATS_NR_SOFTIRQS);
	if (!err)
		err = irqstats__timers(q, d);
	if (!err)
		err = irqstats__clear(q, &t[HLD_IRQSTATS_T_IRQ], q->skel->maps.irqs, false);
	if (!err)
		err = irqstats__clear(q, &t[HLD_IRQSTATS_T_VECTOR], q->skel->maps.vectors, true);
	if (!err)
		err = irqstats__clear(q, &t[HLD_IRQSTATS_T_SOFTIRQ], q->skel->maps.softirqs, true);
	if (!err)
		err = irqstats__clear(q, &t[HLD_IRQSTATS_T_TIMER], q->skel->maps.timers, false);
	return err;
}

/*
 * Drain the counters collected since the previous report (or activation)
 * into irq-stats.txt and irq-stats.json, and the same JSON into out->json;
 * events are this report's, drops count since activation.
 */
static int irqstats_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct irqstats *q = f->priv;
	struct irqstats_data d;
	int err = 0;

	irqstats__data_init(&d, q ? q->nr_possible : 0);
	if (q && q->skel) {
		d.ksyms = q->ksyms;
		err = irqstats__drain(q, &d);
		d.drops = q->skel->bss->nr_drops;
		d.since_ns = q->skel->bss->since_ns;
		q->skel->bss->since_ns = bpf_util__now_ns();
	}
	if (!err)
		err = irqstats__report_out(f, &d, out);
	irqstats__data_free(&d);
	return err;
}

/* Detach if still attached and unload (a persistent activation's pins keep it alive). */
static void irqstats_free(struct diag_feature *f)
{
	struct irqstats *q = f->priv;

	if (!q)
		return;
	irqstats_deactivate(f);
	irqstats_bpf__destroy(q->skel);
	if (q->ksyms)
		ksyms__free(q->ksyms);
	free(q->links);
	free(q);
	f->priv = NULL;
}

const struct diag_ops bpf_irq_stats_ops = {
	.id = DIAG_irq_stats,
	.probe = irqstats_probe,
	.activate = irqstats_activate,
	.deactivate = irqstats_deactivate,
	.report = irqstats_report,
	.free = irqstats_free,
	.reopen = irqstats_reopen,
};
