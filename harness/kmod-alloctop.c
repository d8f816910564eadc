// SPDX-License-Identifier: GPL-2.0
/*
 * kmod-alloctop.c - alloc-top on the kernel module (kmod/feat_alloctop.c):
 * activate through /dev/hld, and at report time drain the module's
 * generation of rows (struct hld_alloctop_record, one per CPU and process,
 * and one of totals per CPU) into the same alloc-top.txt and
 * alloc-top.json as the eBPF backend (harness/alloctop-report.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloctop-report.h"
#include "diag.h"
#include "kmod-dev.h"

static int kmod_alloctop_probe(char *why, size_t len)
{
	return kmod__probe(DIAG_alloc_top, why, len);
}

/* By process, and within one process the most recently named row first. */
static int kmod_alloctop__cmp(const void *a, const void *b)
{
	const struct hld_alloctop_record *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->hdr.ts < y->hdr.ts ? 1 : x->hdr.ts > y->hdr.ts ? -1 : 0;
}

/*
 * The module's rows into one row per process (summed over CPUs, named by
 * its latest row; none for a process that only exec'd) and the totals into
 * @sum. 0, -ENOMEM or -EPROTO.
 */
static int kmod_alloctop__parse(const void *buf, size_t len, struct alloctop_row **rows,
				size_t *nr, struct alloctop_sum *sum)
{
	struct hld_alloctop_record *recs;
	size_t off = 0, n = 0;

	*rows = NULL;
	*nr = 0;
	recs = calloc(len / sizeof(*recs) + 1, sizeof(*recs));
	if (!recs)
		return -ENOMEM;
	while (off + sizeof(struct hld_record_header) <= len) {
		const struct hld_alloctop_record *r = (const void *)((const char *)buf + off);

		if (r->hdr.len < sizeof(*r) || off + r->hdr.len > len ||
		    r->hdr.type != HLD_REC_ALLOCTOP) {
			free(recs);
			return -EPROTO;
		}
		off += r->hdr.len;
		if (r->flags & HLD_ALLOCTOP_TOTAL) {
			sum->pages += r->pages;
			sum->allocs += r->allocs;
		} else {
			recs[n++] = *r;
		}
	}
	qsort(recs, n, sizeof(*recs), kmod_alloctop__cmp);
	*rows = calloc(n + 1, sizeof(**rows));
	if (!*rows) {
		free(recs);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct alloctop_row *row;

		if (!i || recs[i].tgid != recs[i - 1].tgid) {	/* its latest name first */
			row = &(*rows)[(*nr)++];
			memset(row, 0, sizeof(*row));
			row->tgid = recs[i].tgid;
			memcpy(row->val.comm, recs[i].comm, HLD_COMM_LEN);
			row->val.comm[HLD_COMM_LEN - 1] = '\0';
		}
		row = &(*rows)[*nr - 1];
		row->val.pages += recs[i].pages;
		row->val.allocs += recs[i].allocs;
		if (i + 1 == n || recs[i + 1].tgid != row->tgid)
			*nr -= !row->val.allocs;	/* only named at exec on these CPUs */
	}
	free(recs);
	return 0;
}

/*
 * Drain the module's rows since the last report, and write the report. A
 * reopened report leaves out its own allocations, as the eBPF backend's.
 */
static int kmod_alloctop_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct kmod_feature *kf = kmod__feature(f, sizeof(*kf));
	struct alloctop_row *rows = NULL;
	struct alloctop_sum sum = { 0 };
	struct hld_ioc_status st;
	void *buf = NULL;
	size_t len = 0, nr = 0;
	int err, err2;

	err = kf ? kmod__report(kf->fd, DIAG_alloc_top, &buf, &len) : -errno;
	if (!err)
		err = kmod_alloctop__parse(buf, len, &rows, &nr, &sum);
	if (!err && kf->reopened)
		alloctop__leave_out(rows, &nr, getpid(), &sum);
	if (kf && !kmod__status(kf->fd, DIAG_alloc_top, &st))
		sum.drops = st.drops;
	err2 = alloctop__report_out(f, rows, nr, &sum, out);
	free(buf);
	free(rows);
	return err ? err : err2;
}

const struct diag_ops kmod_alloc_top_ops = {
	.id = DIAG_alloc_top,
	.probe = kmod_alloctop_probe,
	.activate = kmod__feature_activate,
	.deactivate = kmod__feature_deactivate,
	.report = kmod_alloctop_report,
	.reopen = kmod__feature_reopen,
	.free = kmod__feature_free,
};
