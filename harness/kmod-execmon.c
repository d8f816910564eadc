// SPDX-License-Identifier: GPL-2.0
/*
 * kmod-execmon.c - exec-monitor on the kernel module (kmod/feat_execmon.c):
 * a record stream (kmod-dev.h): the module's struct hld_exec_record taken
 * from read() on every poll, and the same exec.txt and exec.json as the
 * eBPF backend (harness/execmon-report.c). The counters (execs seen,
 * ring-full drops, unreadable argv) come from the module's status.
 */
#include <stdlib.h>

#include "diag.h"
#include "execmon-report.h"
#include "kmod-dev.h"

static void kmod_execmon__keep(void *recs, const void *rec, size_t len)
{
	execmon__keep(recs, rec, len);
}

static int kmod_execmon__prealloc(void *recs, size_t want)
{
	return execmon__prealloc(recs, want);
}

static int kmod_execmon__err(const void *recs)
{
	return ((const struct execmon_recs *)recs)->err;
}

static size_t kmod_execmon__nr(const void *recs)
{
	return ((const struct execmon_recs *)recs)->n;
}

/* drops_cause[0]: ring full; [1]: records whose argv was unreadable (kmod/feat_execmon.c). */
static int kmod_execmon__report(struct diag_feature *f, void *recs,
				const struct hld_ioc_status *st, const struct diag_outputs *out,
				bool files)
{
	struct execmon_totals t = { 0 };

	if (st) {
		t.seen = st->events;
		t.drops = st->drops_cause[0];
		t.args_err = st->drops_cause[1];
	}
	return execmon__report_out(f, recs, &t, "kmod", out, files);
}

static void kmod_execmon__free_recs(void *recs)
{
	free(((struct execmon_recs *)recs)->v);
}

static const struct kmod_stream_desc kmod_execmon = {
	.id = DIAG_exec_monitor,
	.type = HLD_REC_EXEC,
	.rec_size = sizeof(struct hld_exec_record),
	.recs_size = sizeof(struct execmon_recs),
	.keep = kmod_execmon__keep,
	.prealloc = kmod_execmon__prealloc,
	.recs_err = kmod_execmon__err,
	.nr_recs = kmod_execmon__nr,
	.report = kmod_execmon__report,
	.free_recs = kmod_execmon__free_recs,
	.prealloc_max = 4096,
};

KMOD_STREAM_OPS(kmod_exec_monitor_ops, kmod_execmon);
