/* SPDX-License-Identifier: GPL-2.0 */
/*
 * alloctop-report.h - alloc-top's report, for every backend: a backend
 * drains its kernel tables into rows (one per process) and totals, and
 * alloctop__report_out() sorts them and writes alloc-top.txt,
 * alloc-top.json and the feature's run.json fields and metrics.
 */
#ifndef HLD_ALLOCTOP_REPORT_H
#define HLD_ALLOCTOP_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "hld_record.h"

/* One process of a drain. */
struct alloctop_row {
	uint32_t tgid;
	struct hld_alloctop_val val;
};

/* The totals of one drained generation; drops are since activation. */
struct alloctop_sum {
	uint64_t pages, allocs, drops;
};

/*
 * Take process @tgid's rows out of @rows (a reopened report leaves out its
 * own allocations: observing is not the workload) and their pages and
 * allocations off @sum.
 */
void alloctop__leave_out(struct alloctop_row *rows, size_t *nr, uint32_t tgid,
			 struct alloctop_sum *sum);

/*
 * Sort @rows (most pages first), write alloc-top.txt and alloc-top.json
 * into out->dir and the feature's fields into out->json, set f->events,
 * f->drops and the metrics. 0 or -errno.
 */
int alloctop__report_out(struct diag_feature *f, struct alloctop_row *rows, size_t nr,
			 const struct alloctop_sum *sum, const struct diag_outputs *out);

#endif /* HLD_ALLOCTOP_REPORT_H */
