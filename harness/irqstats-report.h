/* SPDX-License-Identifier: GPL-2.0 */
/*
 * irqstats-report.h - irq-stats' report, for every backend: a backend
 * fills struct irqstats_data's tables from its kernel counters (one row
 * per IRQ line, vector, softirq or timer function, with per-CPU values),
 * irqstats__report_out() sums and sorts them and writes irq-stats.txt,
 * irq-stats.json and the feature's run.json fields and metrics.
 */
#ifndef HLD_IRQSTATS_REPORT_H
#define HLD_IRQSTATS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "hld_record.h"
#include "hld_settings.h"

#define IRQSTATS_ROW_NAME_LEN	48

struct ksyms;

extern const char *const irqstats_softirq_names[HLD_IRQSTATS_NR_SOFTIRQS];
extern const char *const irqstats_vector_names[HLD_IRQSTATS_VEC__MAX];
extern const char *const irqstats_timer_kinds[HLD_IRQSTATS_TIMER__MAX];

/* One line of a table: an IRQ, a vector, a softirq or a timer function. */
struct irqstats_row {
	char name[IRQSTATS_ROW_NAME_LEN];
	int64_t id;			/* IRQ or vector number, softirq number, callback address */
	uint32_t kind;			/* timers: enum hld_irqstats_timer_kind */
	unsigned char key[sizeof(struct hld_irqstats_timer_key)];	/* backend's: its key */
	uint64_t count, time_ns;	/* over all CPUs, set by irqstats__report_out() */
	struct hld_irqstats_val *cpu;	/* nr_possible entries */
};

struct irqstats_table {
	const char *title;		/* "irqs", "softirqs", ... */
	const char *id_name;		/* what id is: "irq", "vector", "vec", "addr" */
	struct irqstats_row *rows;
	size_t nr, cap;
};

/* One drain, indexed by enum hld_irqstats_table. */
struct irqstats_data {
	struct irqstats_table t[HLD_IRQSTATS_T__MAX];
	int nr_possible;		/* per-CPU values per row */
	uint64_t drops;			/* since activation */
	uint64_t since_ns;		/* start of the window, CLOCK_MONOTONIC; 0: unknown */
	const struct ksyms *ksyms;	/* names timer functions; NULL: addresses */
};

/* Set up @d's empty tables for @nr_possible CPUs. */
void irqstats__data_init(struct irqstats_data *d, int nr_possible);
/* Free the rows of @d (not @d itself). */
void irqstats__data_free(struct irqstats_data *d);

/*
 * A new zeroed row of table @table, or NULL (-ENOMEM). Timer rows are
 * named from d->ksyms by their address @id; the others take @name.
 */
struct irqstats_row *irqstats__row_add(struct irqstats_data *d, int table, int64_t id,
				       uint32_t kind, const char *name);
/* The row of @table with @id and @kind, or NULL. */
struct irqstats_row *irqstats__row_find(struct irqstats_data *d, int table, int64_t id,
					uint32_t kind);
/* Rows for every vector and softirq, in order (the tables of fixed size). */
int irqstats__fixed_rows(struct irqstats_data *d);

/*
 * Sum and sort the tables, write irq-stats.txt and irq-stats.json into
 * out->dir, the same JSON into out->json, and set f->events, f->drops and
 * the metrics.
 */
int irqstats__report_out(struct diag_feature *f, struct irqstats_data *d,
			 const struct diag_outputs *out);

#endif /* HLD_IRQSTATS_REPORT_H */
