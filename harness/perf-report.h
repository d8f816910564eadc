/* SPDX-License-Identifier: GPL-2.0 */
/*
 * perf-report.h - the report of perf, for every backend (bpf/profile.c,
 * harness/kmod-tracepoint.c): a backend folds its samples into struct
 * folded, counts its losses into struct perf_loss, and perf_report__out()
 * writes perf.folded and perf.txt and the fields and metrics both backends
 * share; the backend adds its own fields to out->json after.
 */
#ifndef HLD_PERF_REPORT_H
#define HLD_PERF_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "folded.h"

/* Samples since activation, and the losses among them, by cause. */
struct perf_loss {
	uint64_t seen;			/* samples that passed the filters */
	uint64_t drops;			/* every loss below */
	uint64_t kstack, ustack;	/* a stack could not be taken */
	uint64_t count_full;		/* the in-kernel count table was full */
	uint64_t missed;		/* the handler could not run (kmod: nested) */
};

/* What a report says besides the stacks. */
struct perf_summary {
	uint64_t samples;		/* samples in the folded stacks */
	uint64_t freq;
	int nr_cpus;
	bool restricted;		/* kernel frames stay unnamed (kptr_restrict) */
	/* processes that exited before the report: named from their executable, not at all */
	uint64_t exe_only, no_maps;
};

/*
 * Write perf.folded (@folded) and perf.txt (the losses and the leaf
 * functions most often on CPU) into out->dir, the shared fields into
 * out->json, and set f->events, f->drops and the metrics. 0 or -errno.
 */
int perf_report__out(struct diag_feature *f, const struct diag_outputs *out,
		     const struct folded *folded, const struct perf_summary *sum,
		     const struct perf_loss *loss);

#endif /* HLD_PERF_REPORT_H */
