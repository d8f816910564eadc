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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "diag.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "irqstats.skel.h"
#include "syms.h"

#define IRQSTATS_NAME_LEN	48
#define IRQSTATS_MAX_CPUS	8192

static const char *const softirq_names[HLD_IRQSTATS_NR_SOFTIRQS] = {
	"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU",
};

static const char *const vector_names[HLD_IRQSTATS_VEC__MAX] = {
	[HLD_IRQSTATS_VEC_LOC] = "LOC",
	[HLD_IRQSTATS_VEC_RES] = "RES",
	[HLD_IRQSTATS_VEC_CAL] = "CAL",
};

static const char *const timer_kinds[HLD_IRQSTATS_TIMER__MAX] = {
	[HLD_IRQSTATS_HRTIMER] = "hrtimer",
	[HLD_IRQSTATS_TIMER_LIST] = "timer_list",
};

struct irqstats {
	struct irqstats_bpf *skel;
	struct bpf_link **links;
	int nr_links;
	uint32_t gen;			/* the generation being reported */
	struct ksyms *ksyms;		/* NULL if /proc/kallsyms cannot be read */
	int nr_possible;		/* per-CPU values per map element */
};

/* One line of a table: an IRQ, a vector, a softirq or a timer function. */
struct irqstats_row {
	char name[IRQSTATS_NAME_LEN];
	int64_t id;			/* IRQ or vector number, softirq number, callback address */
	unsigned char key[sizeof(struct hld_irqstats_timer_key)];	/* the map key, to clear it */
	const char *kind;		/* timers: "hrtimer" or "timer_list"; else NULL */
	uint64_t count, time_ns;	/* over all CPUs */
	struct hld_irqstats_val *cpu;	/* nr_possible entries */
};

enum { T_IRQS, T_VECTORS, T_SOFTIRQS, T_TIMERS, T__MAX };

struct irqstats_table {
	const char *title;		/* "irqs", "softirqs", ... */
	const char *id_name;		/* what id is: "irq", "vec", "addr" */
	struct irqstats_row *rows;
	size_t nr, cap;
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
 * Append a row to @t with the per-CPU values of @key (@key_size bytes) in
 * map @fd. 0 or -errno.
 */
static int irqstats__add(struct irqstats *q, struct irqstats_table *t, int fd, const void *key,
			 size_t key_size, int64_t id, const char *name, const char *kind)
{
	struct irqstats_row *r;
	size_t bytes = q->nr_possible * sizeof(struct hld_irqstats_val);

	if (bpf_util__reserve((void **)&t->rows, &t->cap, t->nr + 1, sizeof(*t->rows)))
		return -ENOMEM;
	r = &t->rows[t->nr];
	memset(r, 0, sizeof(*r));
	r->cpu = calloc(1, bytes);
	if (!r->cpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, key, r->cpu)) {
		free(r->cpu);
		return 0;	/* deleted meanwhile */
	}
	for (int c = 0; c < q->nr_possible; c++) {
		r->count += r->cpu[c].count;
		r->time_ns += r->cpu[c].time_ns;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	memcpy(r->key, key, key_size);
	r->id = id;
	r->kind = kind;
	t->nr++;
	return 0;
}

/* By id (IRQ tables), ascending. */
static int irqstats__cmp_id(const void *pa, const void *pb)
{
	const struct irqstats_row *a = pa, *b = pb;

	return a->id < b->id ? -1 : a->id > b->id;
}

/* By total time, then count, descending (timer table). */
static int irqstats__cmp_time(const void *pa, const void *pb)
{
	const struct irqstats_row *a = pa, *b = pb;

	if (a->time_ns != b->time_ns)
		return a->time_ns < b->time_ns ? 1 : -1;
	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	return irqstats__cmp_id(pa, pb);
}

/* The hard IRQ lines of generation q->gen, by number, named by their first handler. */
static int irqstats__irqs(struct irqstats *q, struct irqstats_table *t)
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
		err = irqstats__add(q, t, fd, &next, sizeof(next), irq, name, NULL);
	}
	qsort(t->rows, t->nr, sizeof(*t->rows), irqstats__cmp_id);
	return err;
}

/* The timer callbacks of generation q->gen, most time first, named from kallsyms. */
static int irqstats__timers(struct irqstats *q, struct irqstats_table *t)
{
	int fd = bpf_map__fd(q->skel->maps.timers);
	struct hld_irqstats_timer_key key, next;
	char name[IRQSTATS_NAME_LEN];
	int err = 0;

	for (void *prev = NULL; !err && !bpf_map_get_next_key(fd, prev, &next); prev = &key) {
		const char *sym = NULL;

		key = next;
		if (next.gen != q->gen)
			continue;
		if (q->ksyms && !ksyms__restricted(q->ksyms))
			sym = ksyms__name(q->ksyms, next.func);
		if (!next.func)		/* a timer_list run whose entry was not seen */
			snprintf(name, sizeof(name), "(attached mid-run)");
		else if (sym)
			snprintf(name, sizeof(name), "%s", sym);
		else
			snprintf(name, sizeof(name), "0x%llx", (unsigned long long)next.func);
		err = irqstats__add(q, t, fd, &next, sizeof(next), next.func, name,
				    next.kind < HLD_IRQSTATS_TIMER__MAX ? timer_kinds[next.kind] : "?");
	}
	qsort(t->rows, t->nr, sizeof(*t->rows), irqstats__cmp_time);
	return err;
}

/* The @n elements of generation q->gen of the per-CPU array @map, named by @names. */
static int irqstats__array(struct irqstats *q, struct irqstats_table *t, struct bpf_map *map,
			   const char *const *names, uint32_t n)
{
	int err = 0;

	for (uint32_t i = 0; i < n && !err; i++) {
		uint32_t key = q->gen * n + i;

		err = irqstats__add(q, t, bpf_map__fd(map), &key, sizeof(key), i, names[i], NULL);
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

/* Read generation q->gen into the tables @t, then clear it. */
static int irqstats__drain(struct irqstats *q, struct irqstats_table *t)
{
	int err;

	err = irqstats__flip(q);
	if (!err)
		err = irqstats__irqs(q, &t[T_IRQS]);
	if (!err)
		err = irqstats__array(q, &t[T_VECTORS], q->skel->maps.vectors,
				      vector_names, HLD_IRQSTATS_VEC__MAX);
	if (!err)
		err = irqstats__array(q, &t[T_SOFTIRQS], q->skel->maps.softirqs,
				      softirq_names, HLD_IRQSTATS_NR_SOFTIRQS);
	if (!err)
		err = irqstats__timers(q, &t[T_TIMERS]);
	if (!err)
		err = irqstats__clear(q, &t[T_IRQS], q->skel->maps.irqs, false);
	if (!err)
		err = irqstats__clear(q, &t[T_VECTORS], q->skel->maps.vectors, true);
	if (!err)
		err = irqstats__clear(q, &t[T_SOFTIRQS], q->skel->maps.softirqs, true);
	if (!err)
		err = irqstats__clear(q, &t[T_TIMERS], q->skel->maps.timers, false);
	return err;
}

/* Write one table to the text file: counts, then time in us, per CPU; @max rows. */
static void irqstats__write_table(FILE *o, const struct irqstats_table *t, const bool *online,
				  int nr_possible, size_t max)
{
	fprintf(o, "\n%s\n%-*s", t->title, IRQSTATS_NAME_LEN / 2 + 12, "");
	for (int c = 0; c < nr_possible; c++)
		if (online[c])
			fprintf(o, " %10s%-3d", "count CPU", c);
	fprintf(o, " %12s %12s %10s", "COUNT", "TIME_US", "AVG_NS");
	for (int c = 0; c < nr_possible; c++)
		if (online[c])
			fprintf(o, " %9s%-3d", "us CPU", c);
	fputc('\n', o);
	for (size_t i = 0; i < t->nr && i < max; i++) {
		const struct irqstats_row *r = &t->rows[i];

		if (r->kind)
			fprintf(o, "%-*.*s %-11s", IRQSTATS_NAME_LEN / 2, IRQSTATS_NAME_LEN / 2,
				r->name, r->kind);
		else
			fprintf(o, "%5lld %-*.*s ", (long long)r->id, IRQSTATS_NAME_LEN / 2 + 5,
				IRQSTATS_NAME_LEN / 2 + 5, r->name);
		for (int c = 0; c < nr_possible; c++)
			if (online[c])
				fprintf(o, " %13llu", (unsigned long long)r->cpu[c].count);
		fprintf(o, " %12llu %12.1f %10.0f", (unsigned long long)r->count, r->time_ns / 1e3,
			r->count ? (double)r->time_ns / r->count : 0.0);
		for (int c = 0; c < nr_possible; c++)
			if (online[c])
				fprintf(o, " %12.1f", r->cpu[c].time_ns / 1e3);
		fputc('\n', o);
	}
	if (t->nr > max)
		fprintf(o, "(%zu more not shown)\n", t->nr - max);
}

/* One table as a JSON array @t->title of its first @max rows. */
static void irqstats__json_table(struct json_writer *j, const struct irqstats_table *t,
				 const bool *online, int nr_possible, size_t max)
{
	json__begin_array(j, t->title);
	for (size_t i = 0; i < t->nr && i < max; i++) {
		const struct irqstats_row *r = &t->rows[i];

		json__begin_object(j, NULL);
		json__str(j, "name", r->name);
		if (r->kind) {
			json__str(j, "kind", r->kind);
			json__uint(j, "addr", (uint64_t)r->id);
		} else {
			json__int(j, t->id_name, r->id);
		}
		json__uint(j, "count", r->count);
		json__uint(j, "time_ns", r->time_ns);
		json__begin_array(j, "per_cpu");
		for (int c = 0; c < nr_possible; c++) {
			if (!online[c])
				continue;
			json__begin_object(j, NULL);
			json__int(j, "cpu", c);
			json__uint(j, "count", r->cpu[c].count);
			json__uint(j, "time_ns", r->cpu[c].time_ns);
			json__end_object(j);
		}
		json__end_array(j);
		json__end_object(j);
	}
	json__end_array(j);
}

/* Sum of the counts of @t. */
static uint64_t irqstats__total(const struct irqstats_table *t)
{
	uint64_t n = 0;

	for (size_t i = 0; i < t->nr; i++)
		n += t->rows[i].count;
	return n;
}

/* Free the rows of @t (not @t itself). */
static void irqstats__free_table(struct irqstats_table *t)
{
	for (size_t i = 0; i < t->nr; i++)
		free(t->rows[i].cpu);
	free(t->rows);
}

/*
 * Drain the counters collected since the previous report (or activation)
 * into irq-stats.txt and irq-stats.json, and the same JSON into out->json;
 * events are this report's, drops count since activation.
 */
static int irqstats_report(struct diag_feature *f, const struct diag_outputs *out)
{
	const struct hld_irqstats_settings *s = f->settings;
	struct irqstats *q = f->priv;
	struct irqstats_table t[T__MAX] = {
		[T_IRQS] = { "irqs", "irq" },
		[T_VECTORS] = { "vectors", "vector" },
		[T_SOFTIRQS] = { "softirqs", "vec" },
		[T_TIMERS] = { "timers", "addr" },
	};
	size_t max[T__MAX] = { SIZE_MAX, SIZE_MAX, SIZE_MAX, s->top_timers };
	static bool online[IRQSTATS_MAX_CPUS];
	struct json_writer jw, *js[2] = { &jw, out->json };
	int nr_possible = q ? q->nr_possible : 0;
	uint64_t drops = 0, events, since = 0, now = bpf_util__now_ns();
	char path[PATH_MAX];
	FILE *o = NULL, *jf = NULL;
	int err = 0;

	if (nr_possible > IRQSTATS_MAX_CPUS)
		nr_possible = IRQSTATS_MAX_CPUS;
	memset(online, 0, sizeof(online));
	if (bpf_util__online_cpus(online, IRQSTATS_MAX_CPUS) < 0)
		memset(online, 1, nr_possible * sizeof(*online));
	if (q && q->skel) {
		err = irqstats__drain(q, t);
		drops = q->skel->bss->nr_drops;
		since = q->skel->bss->since_ns;
		q->skel->bss->since_ns = now;
	}
	if (err)
		goto out_free;
	events = irqstats__total(&t[T_IRQS]) + irqstats__total(&t[T_VECTORS]) +
		 irqstats__total(&t[T_SOFTIRQS]) + irqstats__total(&t[T_TIMERS]);

	snprintf(path, sizeof(path), "%s/irq-stats.txt", out->dir);
	o = fopen(path, "we");
	snprintf(path, sizeof(path), "%s/irq-stats.json", out->dir);
	jf = fopen(path, "we");
	if (!o || !jf) {
		err = -errno;
		goto out_free;
	}
	fprintf(o, "# irq-stats: hard IRQs (by line, counted per handler run), x86 system vectors,\n"
		   "# softirqs and timer callbacks (top %llu by time): count and time per CPU;\n"
		   "# time runs from entry to exit and includes interrupts nested in it.\n"
		   "# over the last %.3f s (since the previous report or the activation): %llu events;\n"
		   "# %llu events dropped since activation (map full)\n",
		(unsigned long long)s->top_timers, since ? (now - since) / 1e9 : 0.0,
		(unsigned long long)events, (unsigned long long)drops);
	for (int i = 0; i < T__MAX; i++)
		irqstats__write_table(o, &t[i], online, nr_possible, max[i]);

	json__init(&jw, jf, true);
	json__begin_object(&jw, NULL);
	for (int k = 0; k < 2; k++) {
		json__uint(js[k], "events", events);
		json__uint(js[k], "drops", drops);
		json__uint(js[k], "window_ns", since ? now - since : 0);
		json__uint(js[k], "timer_functions", t[T_TIMERS].nr);
		json__bool(js[k], "kernel_symbols_restricted",
			   !q || !q->ksyms || ksyms__restricted(q->ksyms));
		for (int i = 0; i < T__MAX; i++)
			irqstats__json_table(js[k], &t[i], online, nr_possible, max[i]);
	}
	json__end_object(&jw);
	fputc('\n', jf);

	f->events = events;
	f->drops = drops;
	diag_feature__set_metric(f, "irqs", irqstats__total(&t[T_IRQS]));
	diag_feature__set_metric(f, "vectors", irqstats__total(&t[T_VECTORS]));
	diag_feature__set_metric(f, "softirqs", irqstats__total(&t[T_SOFTIRQS]));
	diag_feature__set_metric(f, "timers", irqstats__total(&t[T_TIMERS]));
	diag_feature__set_metric(f, "drops", drops);
out_free:
	if (o && fclose(o) && !err)
		err = -errno;
	if (jf && fclose(jf) && !err)
		err = -errno;
	for (int i = 0; i < T__MAX; i++)
		irqstats__free_table(&t[i]);
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
