/* SPDX-License-Identifier: GPL-2.0 */
/*
 * loadmon-report.h - load-monitor's report, for every backend: a backend
 * passes the records its kernel side emitted (struct hld_loadmon_task,
 * struct hld_loadmon_capture) to loadmon__record(), adds the checks and
 * the window it drained into struct lm_data, fills lm->k with the kernel
 * side's figures (struct hld_loadmon_stats: load averages, drops and cost
 * since activation), and loadmon__report_out() writes loadmon.txt,
 * loadmon.json, loadmon-checks.csv, loadmon.folded and the feature's
 * run.json fields and metrics.
 */
#ifndef HLD_LOADMON_REPORT_H
#define HLD_LOADMON_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "loadmon.bpf.h"	/* struct loadmon_window, struct loadmon_check */

struct usyms;

/* One captured task; its frames live in lm_data.frames[frame ...]. */
struct lm_task {
	uint32_t pid, tgid, state;
	uint32_t nr_kstack, nr_ustack;
	char comm[HLD_COMM_LEN];
	size_t frame;		/* kernel frames, then user frames */
};

struct lm_capture {
	uint64_t seq;
	uint64_t t_ns;
	uint32_t r, d, emitted, dropped;
	size_t first_task, nr_tasks;
	bool closed;		/* its hld_loadmon_capture record arrived */
};

/* What was drained since the last report, and the kernel side's figures. */
struct lm_data {
	const char *backend;		/* "bpf", "kmod": named in the files */
	struct hld_loadmon_stats k;	/* the figures since activation; window fields unused */
	struct usyms *usyms;		/* only if a user stack ever shows up */
	int rec_err;			/* first error in keeping a record */
	struct loadmon_window win;
	uint64_t hist_skipped;		/* checks overwritten before they were read */
	struct loadmon_check *checks;
	size_t nr_checks, cap_checks;
	struct lm_capture *caps;
	size_t nr_caps, cap_caps;
	struct lm_task *tasks;
	size_t nr_tasks, cap_tasks;
	uint64_t *frames;
	size_t nr_frames, cap_frames;
};

/*
 * Keep one record of @size bytes: a task of a capture or the record that
 * closes it. A bad or unkept one sets lm->rec_err once; returns 0 either way.
 */
int loadmon__record(struct lm_data *lm, const void *data, size_t size);

/*
 * Write the files into out->dir, the feature's fields into out->json, set
 * f->events, f->drops and the metrics; then forget the captures, checks
 * and window (loadmon__forget).
 */
int loadmon__report_out(struct diag_feature *f, struct lm_data *lm,
			const struct diag_outputs *out);

/* Forget what a report has shown: the next one starts from here. */
void loadmon__forget(struct lm_data *lm);

/* Free what @lm holds (not @lm itself). */
void loadmon__data_free(struct lm_data *lm);

#endif /* HLD_LOADMON_REPORT_H */
