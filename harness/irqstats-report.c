// SPDX-License-Identifier: GPL-2.0
/*
 * irqstats-report.c - irq-stats' report, shared by the backends
 * (bpf/irqstats.c, harness/kmod-irqstats.c): the tables of one drain,
 * summed over CPUs and sorted, written to irq-stats.txt and irq-stats.json.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf-util.h"
#include "irqstats-report.h"
#include "json.h"
#include "syms.h"

#define IRQSTATS_MAX_CPUS	8192

const char *const irqstats_softirq_names[HLD_IRQSTATS_NR_SOFTIRQS] = {
	"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU",
};

const char *const irqstats_vector_names[HLD_IRQSTATS_VEC__MAX] = {
	[HLD_IRQSTATS_VEC_LOC] = "LOC",
	[HLD_IRQSTATS_VEC_RES] = "RES",
	[HLD_IRQSTATS_VEC_CAL] = "CAL",
};

const char *const irqstats_timer_kinds[HLD_IRQSTATS_TIMER__MAX] = {
	[HLD_IRQSTATS_HRTIMER] = "hrtimer",
	[HLD_IRQSTATS_TIMER_LIST] = "timer_list",
};

void irqstats__data_init(struct irqstats_data *d, int nr_possible)
{
	static const char *const names[HLD_IRQSTATS_T__MAX][2] = {
		[HLD_IRQSTATS_T_IRQ] = { "irqs", "irq" },
		[HLD_IRQSTATS_T_VECTOR] = { "vectors", "vector" },
		[HLD_IRQSTATS_T_SOFTIRQ] = { "softirqs", "vec" },
		[HLD_IRQSTATS_T_TIMER] = { "timers", "addr" },
	};

	memset(d, 0, sizeof(*d));
	for (int i = 0; i < HLD_IRQSTATS_T__MAX; i++) {
		d->t[i].title = names[i][0];
		d->t[i].id_name = names[i][1];
	}
	d->nr_possible = nr_possible > 0 ? nr_possible : 0;
}

void irqstats__data_free(struct irqstats_data *d)
{
	for (int i = 0; i < HLD_IRQSTATS_T__MAX; i++) {
		for (size_t k = 0; k < d->t[i].nr; k++)
			free(d->t[i].rows[k].cpu);
		free(d->t[i].rows);
		d->t[i].rows = NULL;
		d->t[i].nr = d->t[i].cap = 0;
	}
}

/* The name of timer callback @func: its symbol, else its address. */
static void irqstats__timer_name(const struct irqstats_data *d, uint64_t func, char *buf,
				 size_t len)
{
	const char *sym = NULL;

	if (d->ksyms && !ksyms__restricted(d->ksyms))
		sym = ksyms__name(d->ksyms, func);
	if (!func)		/* a timer_list run whose entry was not seen */
		snprintf(buf, len, "(attached mid-run)");
	else if (sym)
		snprintf(buf, len, "%s", sym);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)func);
}

struct irqstats_row *irqstats__row_add(struct irqstats_data *d, int table, int64_t id,
				       uint32_t kind, const char *name)
{
	struct irqstats_table *t = &d->t[table];
	struct irqstats_row *r;

	if (bpf_util__reserve((void **)&t->rows, &t->cap, t->nr + 1, sizeof(*t->rows)))
		return NULL;
	r = &t->rows[t->nr];
	memset(r, 0, sizeof(*r));
	r->cpu = calloc(d->nr_possible ? d->nr_possible : 1, sizeof(*r->cpu));
	if (!r->cpu)
		return NULL;
	if (table == HLD_IRQSTATS_T_TIMER)
		irqstats__timer_name(d, id, r->name, sizeof(r->name));
	else
		snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
	r->id = id;
	r->kind = kind;
	t->nr++;
	return r;
}

struct irqstats_row *irqstats__row_find(struct irqstats_data *d, int table, int64_t id,
					uint32_t kind)
{
	struct irqstats_table *t = &d->t[table];

	for (size_t i = 0; i < t->nr; i++)
		if (t->rows[i].id == id && t->rows[i].kind == kind)
			return &t->rows[i];
	return NULL;
}

int irqstats__fixed_rows(struct irqstats_data *d)
{
	for (int i = 0; i < HLD_IRQSTATS_VEC__MAX; i++)
		if (!irqstats__row_add(d, HLD_IRQSTATS_T_VECTOR, i, 0, irqstats_vector_names[i]))
			return -ENOMEM;
	for (int i = 0; i < HLD_IRQSTATS_NR_SOFTIRQS; i++)
		if (!irqstats__row_add(d, HLD_IRQSTATS_T_SOFTIRQ, i, 0, irqstats_softirq_names[i]))
			return -ENOMEM;
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

/* Sum each row over CPUs; IRQs by number, timers by time. */
static void irqstats__finish(struct irqstats_data *d)
{
	for (int i = 0; i < HLD_IRQSTATS_T__MAX; i++) {
		for (size_t k = 0; k < d->t[i].nr; k++) {
			struct irqstats_row *r = &d->t[i].rows[k];

			r->count = r->time_ns = 0;
			for (int c = 0; c < d->nr_possible; c++) {
				r->count += r->cpu[c].count;
				r->time_ns += r->cpu[c].time_ns;
			}
		}
	}
	qsort(d->t[HLD_IRQSTATS_T_IRQ].rows, d->t[HLD_IRQSTATS_T_IRQ].nr,
	      sizeof(struct irqstats_row), irqstats__cmp_id);
	qsort(d->t[HLD_IRQSTATS_T_TIMER].rows, d->t[HLD_IRQSTATS_T_TIMER].nr,
	      sizeof(struct irqstats_row), irqstats__cmp_time);
}

/* Write one table to the text file: counts, then time in us, per CPU; @max rows. */
static void irqstats__write_table(FILE *o, const struct irqstats_table *t, int table,
				  const bool *online, int nr_possible, size_t max)
{
	fprintf(o, "\n%s\n%-*s", t->title, IRQSTATS_ROW_NAME_LEN / 2 + 12, "");
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

		if (table == HLD_IRQSTATS_T_TIMER)
			fprintf(o, "%-*.*s %-11s", IRQSTATS_ROW_NAME_LEN / 2,
				IRQSTATS_ROW_NAME_LEN / 2, r->name,
				r->kind < HLD_IRQSTATS_TIMER__MAX ? irqstats_timer_kinds[r->kind] : "?");
		else
			fprintf(o, "%5lld %-*.*s ", (long long)r->id, IRQSTATS_ROW_NAME_LEN / 2 + 5,
				IRQSTATS_ROW_NAME_LEN / 2 + 5, r->name);
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
static void irqstats__json_table(struct json_writer *j, const struct irqstats_table *t, int table,
				 const bool *online, int nr_possible, size_t max)
{
	json__begin_array(j, t->title);
	for (size_t i = 0; i < t->nr && i < max; i++) {
		const struct irqstats_row *r = &t->rows[i];

		json__begin_object(j, NULL);
		json__str(j, "name", r->name);
		if (table == HLD_IRQSTATS_T_TIMER) {
			json__str(j, "kind", r->kind < HLD_IRQSTATS_TIMER__MAX ?
				  irqstats_timer_kinds[r->kind] : "?");
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

int irqstats__report_out(struct diag_feature *f, struct irqstats_data *d,
			 const struct diag_outputs *out)
{
	const struct hld_irqstats_settings *s = f->settings;
	const struct irqstats_table *t = d->t;
	size_t max[HLD_IRQSTATS_T__MAX] = { SIZE_MAX, SIZE_MAX, SIZE_MAX, s->top_timers };
	static bool online[IRQSTATS_MAX_CPUS];
	struct json_writer jw, *js[2] = { &jw, out->json };
	int nr_possible = d->nr_possible;
	uint64_t events, now = bpf_util__now_ns(), since = d->since_ns;
	char path[PATH_MAX];
	FILE *o = NULL, *jf = NULL;
	int err = 0;

	if (nr_possible > IRQSTATS_MAX_CPUS)
		nr_possible = IRQSTATS_MAX_CPUS;
	memset(online, 0, sizeof(online));
	if (bpf_util__online_cpus(online, IRQSTATS_MAX_CPUS) < 0)
		memset(online, 1, nr_possible * sizeof(*online));
	irqstats__finish(d);
	events = irqstats__total(&t[HLD_IRQSTATS_T_IRQ]) + irqstats__total(&t[HLD_IRQSTATS_T_VECTOR]) +
		 irqstats__total(&t[HLD_IRQSTATS_T_SOFTIRQ]) + irqstats__total(&t[HLD_IRQSTATS_T_TIMER]);

	snprintf(path, sizeof(path), "%s/irq-stats.txt", out->dir);
	o = fopen(path, "we");
	snprintf(path, sizeof(path), "%s/irq-stats.json", out->dir);
	jf = fopen(path, "we");
	if (!o || !jf) {
		err = -errno;
		goto out_close;
	}
	fprintf(o, "# irq-stats: hard IRQs (by line, counted per handler run), x86 system vectors,\n"
		   "# softirqs and timer callbacks (top %llu by time): count and time per CPU;\n"
		   "# time runs from entry to exit and includes interrupts nested in it.\n"
		   "# over the last %.3f s (since the previous report or the activation): %llu events;\n"
		   "# %llu events dropped since activation (table full)\n",
		(unsigned long long)s->top_timers, since && now > since ? (now - since) / 1e9 : 0.0,
		(unsigned long long)events, (unsigned long long)d->drops);
	for (int i = 0; i < HLD_IRQSTATS_T__MAX; i++)
		irqstats__write_table(o, &t[i], i, online, nr_possible, max[i]);

	json__init(&jw, jf, true);
	json__begin_object(&jw, NULL);
	for (int k = 0; k < 2; k++) {
		json__uint(js[k], "events", events);
		json__uint(js[k], "drops", d->drops);
		json__uint(js[k], "window_ns", since && now > since ? now - since : 0);
		json__uint(js[k], "timer_functions", t[HLD_IRQSTATS_T_TIMER].nr);
		json__bool(js[k], "kernel_symbols_restricted",
			   !d->ksyms || ksyms__restricted(d->ksyms));
		for (int i = 0; i < HLD_IRQSTATS_T__MAX; i++)
			irqstats__json_table(js[k], &t[i], i, online, nr_possible, max[i]);
	}
	json__end_object(&jw);
	fputc('\n', jf);

	f->events = events;
	f->drops = d->drops;
	diag_feature__set_metric(f, "irqs", irqstats__total(&t[HLD_IRQSTATS_T_IRQ]));
	diag_feature__set_metric(f, "vectors", irqstats__total(&t[HLD_IRQSTATS_T_VECTOR]));
	diag_feature__set_metric(f, "softirqs", irqstats__total(&t[HLD_IRQSTATS_T_SOFTIRQ]));
	diag_feature__set_metric(f, "timers", irqstats__total(&t[HLD_IRQSTATS_T_TIMER]));
	diag_feature__set_metric(f, "drops", d->drops);
out_close:
	if (o && fclose(o) && !err)
		err = -errno;
	if (jf && fclose(jf) && !err)
		err = -errno;
	return err;
}
