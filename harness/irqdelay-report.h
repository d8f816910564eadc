/* SPDX-License-Identifier: GPL-2.0 */
/*
 * irqdelay-report.h - irq-delay's report, for every backend: a backend
 * fills struct irqdelay_data with one drain of its per-CPU counters and
 * lateness histograms and the late ticks received since the last report
 * (struct hld_irqdelay_record); irqdelay__report_out() writes
 * irq-delay.txt, irq-delay.folded, irq-delay.json and the feature's
 * run.json fields and metrics.
 */
#ifndef HLD_IRQDELAY_REPORT_H
#define HLD_IRQDELAY_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "hld_record.h"
#include "hld_settings.h"

struct ksyms;

/* One CPU's counters of one generation (irqdelay.bpf.c's layout). */
struct irqdelay_cpu {
	uint64_t ticks, intervals, starts, late, max_gap, max_late, perf_skips;
};

/* Late ticks received since the last report. */
struct irqdelay_recs {
	struct hld_irqdelay_record *recs;
	size_t nr, cap;
};

struct irqdelay_data {
	int nr;				/* possible CPUs */
	struct irqdelay_cpu *cpu;	/* [nr] */
	uint64_t *hist;			/* [HLD_IRQDELAY_SLOTS][nr] */
	/* over all CPUs, by irqdelay__data_sum() */
	uint64_t ticks, intervals, late, max_gap, max_late, perf_skips, hist_total;
	const struct hld_irqdelay_record *recs;	/* this report's late ticks */
	size_t nr_recs;
	const struct ksyms *ksyms;	/* NULL: stacks stay addresses */
	uint64_t events;		/* late-tick records of this report */
	uint64_t drops;			/* since activation */
	uint64_t window_ns;		/* since the previous report or the activation */
	const char *backend;		/* "bpf", "kmod" */
	bool perf_event;		/* the ticks are a cpu-clock perf event's (perf_skips apply) */
};

/* Allocate @d's per-CPU arrays for @nr CPUs (@d zeroed first). 0 or -ENOMEM. */
int irqdelay__data_init(struct irqdelay_data *d, int nr);
void irqdelay__data_free(struct irqdelay_data *d);
/* The totals of @d from its per-CPU counters and histograms. */
void irqdelay__data_sum(struct irqdelay_data *d);

/* Keep the late-tick record @data (@size bytes): 0, -EPROTO if it is not one, or -ENOMEM. */
int irqdelay__recs_add(struct irqdelay_recs *v, const void *data, size_t size);

/* Write the report files into out->dir and the summary into out->json; set f's counts and metrics. */
int irqdelay__report_out(struct diag_feature *f, const struct irqdelay_data *d,
			 const struct diag_outputs *out);

#endif /* HLD_IRQDELAY_REPORT_H */
