/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mutex-report.h - mutex-monitor's report, for every backend: a backend
 * drains its kernel tables into struct mutex_drained (rows keyed by
 * struct hld_mutex_key, and the hold times where it measures them),
 * mutex__report_out() sorts them and writes mutex.txt, mutex.json,
 * mutex.folded and the feature's run.json fields and metrics.
 */
#ifndef HLD_MUTEX_REPORT_H
#define HLD_MUTEX_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "hld_record.h"
#include "hld_settings.h"

struct ksyms;

struct mutex_row {
	struct hld_mutex_key key;
	struct hld_mutex_val val;
};

/* The hold times of one mutex (kernel module: struct hld_mutex_hold_record). */
struct mutex_hold {
	uint64_t lock, count, total_ns, max_ns, inexact;
	uint32_t max_pid, max_tgid, max_inexact;
	char max_comm[HLD_COMM_LEN];
};

/* What one drain took from the kernel: the waits that ended since the last one. */
struct mutex_drained {
	struct mutex_row *rows;		/* sorted by mutex__report_out(), most wait time first */
	size_t nr;
	uint64_t contentions;		/* counted */
	uint64_t short_waits;		/* under min-wait-ns, not counted */
	struct mutex_hold *holds;	/* one per lock, by lock address */
	size_t nr_holds;
};

/* Kernel stack @id into @ips (HLD_MAX_STACK entries, 0 after the last): 0 or -errno. */
typedef int (*mutex_stack_fn)(void *ctx, int32_t id, uint64_t *ips);

/* The backend's part of the report. */
struct mutex_source {
	const char *backend;		/* "bpf", "kmod" */
	bool holds;			/* hold time measured: the drain's holds[] hold it */
	const char *hold_time;		/* what the report says of hold time */
	const char *limits;		/* what it shows and what not */
	uint64_t drops;			/* since activation, all causes */
	const char *const *cause_names;	/* drops_by_cause members */
	const uint64_t *causes;
	int nr_causes;
	struct ksyms *ksyms;		/* NULL: frames as addresses */
	mutex_stack_fn stack;
	void *ctx;
};

/*
 * Write mutex.txt, mutex.json and mutex.folded into out->dir with @d's rows
 * (sorted here), the feature's fields into out->json; set f->events,
 * f->drops and the metrics.
 */
int mutex__report_out(struct diag_feature *f, const struct mutex_source *src,
		      struct mutex_drained *d, const struct diag_outputs *out);

#endif /* HLD_MUTEX_REPORT_H */
