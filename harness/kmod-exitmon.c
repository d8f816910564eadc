// SPDX-License-Identifier: GPL-2.0
/*
 * kmod-exitmon.c - exit-monitor on the kernel module (kmod/feat_exitmon.c):
 * a record stream (kmod-dev.h): the module's samples, in the eBPF
 * backend's format (struct exitmon_event: the exit record, then the file
 * and offset of each user frame), taken from read() on every poll, and the
 * same exit.txt and exit.json as the eBPF backend
 * (harness/exitmon-report.c). The module keeps no file paths, so frames
 * are named "[file+0xoffset]", not by function. The counters come from the
 * module's status.
 */
#include "diag.h"
#include "exitmon-report.h"
#include "kmod-dev.h"

static void kmod_exitmon__keep(void *recs, const void *rec, size_t len)
{
	exitmon__keep(recs, rec, len);
}

static int kmod_exitmon__prealloc(void *recs, size_t want)
{
	return exitmon__prealloc(recs, want);
}

static int kmod_exitmon__err(const void *recs)
{
	return ((const struct exitmon_recs *)recs)->err;
}

static size_t kmod_exitmon__nr(const void *recs)
{
	return ((const struct exitmon_recs *)recs)->n;
}

/*
 * The module's causes (kmod/feat_exitmon.c): drops_cause[0] ring full, [1]
 * no free slot; not drops: [2] records without a user stack, [3] frames
 * whose mapping was not found.
 */
static int kmod_exitmon__report(struct diag_feature *f, void *recs,
				const struct hld_ioc_status *st, const struct diag_outputs *out,
				bool files)
{
	struct exitmon_recs *xm = recs;
	struct exitmon_totals t = { 0 };

	if (st) {
		t.seen = st->events;
		t.drops = st->drops;
		t.no_ustack = st->drops_cause[2];
		t.vma_err = st->drops_cause[3];
	}
	xm->paths_fd = -1;
	return exitmon__report_out(f, xm, &t, "kmod", out, files);
}

static void kmod_exitmon__free_recs(void *recs)
{
	exitmon__recs_free(recs);
}

static const struct kmod_stream_desc kmod_exitmon = {
	.id = DIAG_exit_monitor,
	.type = HLD_REC_EXIT,
	.rec_size = sizeof(struct exitmon_event),
	.recs_size = sizeof(struct exitmon_recs),
	.keep = kmod_exitmon__keep,
	.prealloc = kmod_exitmon__prealloc,
	.recs_err = kmod_exitmon__err,
	.nr_recs = kmod_exitmon__nr,
	.report = kmod_exitmon__report,
	.free_recs = kmod_exitmon__free_recs,
	.prealloc_max = 4096,
};

KMOD_STREAM_OPS(kmod_exit_monitor_ops, kmod_exitmon);
