/* SPDX-License-Identifier: GPL-2.0 */
/*
 * runtrace-report.h - run-trace's report, for every backend (bpf/runtrace.c,
 * harness/kmod-runtrace.c): a backend keeps the intervals its kernel side
 * emitted (struct hld_runtrace_record) in a struct rt_timeline and drains
 * the totals into struct rt_totals; runtrace__report_out() writes
 * run-trace.txt, run-trace.json and the feature's run.json fields and
 * metrics.
 */
#ifndef HLD_RUNTRACE_REPORT_H
#define HLD_RUNTRACE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "hld_record.h"
#include "hld_settings.h"

struct ksyms;

/* Totals of the intervals that ended, recorded or not. */
struct rt_totals {
	uint64_t oncpu_ns[HLD_RUNTRACE_KIND__MAX];
	uint64_t offcpu_ns[HLD_RUNTRACE_REASON__MAX];
	uint64_t offcpu_cnt[HLD_RUNTRACE_REASON__MAX];
};

/* Losses since activation, shown in every report. */
struct rt_losses {
	uint64_t drops, no_stack;
};

/* The intervals received since the last report, and how to name their frames. */
struct rt_timeline {
	struct hld_runtrace_record *recs;
	size_t nr_recs, cap_recs;
	struct ksyms *ksyms;		/* NULL if /proc/kallsyms cannot be read */
	int rec_err;			/* first error in keeping a record */
};

/* Load the kernel symbols of @tl (NULL on failure: stacks stay addresses). */
void runtrace__timeline_init(struct rt_timeline *tl);
void runtrace__timeline_free(struct rt_timeline *tl);

/*
 * Keep the record @data (@size bytes): a well-formed struct
 * hld_runtrace_record, on-CPU ones short. A bad or unkept record sets
 * tl->rec_err (-EPROTO, -ENOMEM) once; returns 0 either way.
 */
int runtrace__keep(struct rt_timeline *tl, const void *data, size_t size);

/* Add @add into @sum. */
void runtrace__totals_add(struct rt_totals *sum, const struct rt_totals *add);

/*
 * Write run-trace.txt and run-trace.json into out->dir, the feature's
 * fields into out->json, set f->events, f->drops and the metrics, for the
 * timeline @tl and totals @t of this report; @backend ("bpf", "kmod")
 * names the backend in run-trace.txt. Returns tl->rec_err if no write
 * failed.
 */
int runtrace__report_out(struct diag_feature *f, const struct rt_timeline *tl,
			 const struct rt_totals *t, const struct rt_losses *l,
			 const char *backend, const struct diag_outputs *out);

#endif /* HLD_RUNTRACE_REPORT_H */
