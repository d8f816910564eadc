/* SPDX-License-Identifier: GPL-2.0 */
/*
 * execmon-report.h - exec-monitor's records and report, for every backend:
 * a backend hands each struct hld_exec_record it receives (BPF ring buffer,
 * or read() on /dev/hld) to execmon__keep(), and execmon__report_out()
 * writes exec.txt, exec.json and the feature's run.json fields and metrics.
 */
#ifndef HLD_EXECMON_REPORT_H
#define HLD_EXECMON_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "hld_record.h"

/* The records received since the last report. */
struct execmon_recs {
	struct hld_exec_record *v;
	size_t n, cap;
	int err;		/* first error keeping a record */
};

/* Counters since activation, from the kernel side. */
struct execmon_totals {
	uint64_t seen;		/* execs that passed the filters */
	uint64_t drops;		/* records lost to a full ring buffer */
	uint64_t args_err;	/* records whose argv could not be read */
};

/*
 * Room for @want records (the records not yet reported stay), touched, so
 * that the drains neither allocate nor fault in under load. 0 or -ENOMEM.
 */
int execmon__prealloc(struct execmon_recs *r, size_t want);

/* Keep the record @data (@size bytes); an error is noted in r->err. */
void execmon__keep(struct execmon_recs *r, const void *data, size_t size);

/*
 * Write exec.txt and exec.json into out->dir (unless @files is false: the
 * drain failed), the feature's fields into out->json, set f->events,
 * f->drops and the metrics, and forget the records. @backend names the
 * backend in both files. 0 or -errno.
 */
int execmon__report_out(struct diag_feature *f, struct execmon_recs *r,
			const struct execmon_totals *t, const char *backend,
			const struct diag_outputs *out, bool files);

#endif /* HLD_EXECMON_REPORT_H */
