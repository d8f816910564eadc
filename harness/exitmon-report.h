/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exitmon-report.h - exit-monitor's records and report, for every backend:
 * a backend hands each sample it receives (struct exitmon_event,
 * bpf/exitmon.bpf.h: from the BPF ring buffer, or read() on /dev/hld) to
 * exitmon__keep(), and exitmon__report_out() writes exit.txt, exit.json and
 * the feature's run.json fields and metrics.
 */
#ifndef HLD_EXITMON_REPORT_H
#define HLD_EXITMON_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "exitmon.bpf.h"

struct usyms;

/* The records received since the last report, and how to name their frames. */
struct exitmon_recs {
	struct exitmon_event *v;
	size_t n, cap;
	int err;		/* first error keeping a record */
	int paths_fd;		/* ustack_paths map of the files' paths, or -1: none kept */
	struct usyms *usyms;	/* names frames by function, at report */
};

/* Counters since activation, from the kernel side. */
struct exitmon_totals {
	uint64_t seen;		/* exits that passed the filters */
	uint64_t drops;		/* records lost */
	uint64_t no_ustack;	/* records without a user stack */
	uint64_t vma_err;	/* frames whose mapping could not be looked up */
};

/*
 * Room for @want records (the records not yet reported stay), touched, so
 * that the drains neither allocate nor fault in under load. 0 or -ENOMEM.
 */
int exitmon__prealloc(struct exitmon_recs *xm, size_t want);

/* Keep the sample @data (@size bytes), its counts clamped; an error goes to xm->err. */
void exitmon__keep(struct exitmon_recs *xm, const void *data, size_t size);

/*
 * Write exit.txt and exit.json into out->dir (unless @files is false: the
 * drain failed), the feature's fields into out->json, set f->events,
 * f->drops and the metrics, and forget the records. @backend names the
 * backend in both files. 0 or -errno.
 */
int exitmon__report_out(struct diag_feature *f, struct exitmon_recs *xm,
			const struct exitmon_totals *t, const char *backend,
			const struct diag_outputs *out, bool files);

/* Free the records and the symbol cache (not paths_fd). */
void exitmon__recs_free(struct exitmon_recs *xm);

#endif /* HLD_EXITMON_REPORT_H */
