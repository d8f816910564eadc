/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tracepoint-report.h - the report of tracepoint and kprobe, for every
 * backend (bpf/tracepoint.c, harness/kmod-tracepoint.c): a backend drains
 * its kernel tables into struct tp_report, one key (process, comm, stacks)
 * at a time, folding each into "comm;user outer..inner;kernel outer..inner_[k]"
 * with the helpers below, and adds its per-CPU hits; tp_report__out()
 * writes FEATURE.txt, FEATURE.json and FEATURE.folded and the feature's
 * run.json fields and metrics, then starts the totals afresh.
 */
#ifndef HLD_TRACEPOINT_REPORT_H
#define HLD_TRACEPOINT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "tracepoint.h"

#define TP_MAX_REFRESH		64	/* processes whose maps are re-read per drain */

/* One process (as named when it hit) and its hits counted with stacks. */
struct tp_proc {
	uint32_t tgid;
	char comm[HLD_COMM_LEN + 1];
	uint64_t hits;
};

/* Loss since activation, as the backend counted it. */
struct tp_drops {
	uint64_t count, kstack, ustack, missed;
	int64_t last_kerr, last_uerr;
	/* not losses, names: user stacks whose files were not noted, frames not placed */
	uint64_t ufiles_full, ufiles_missed;
};

/* What was drained since the last report, the symbol tables, and the folding scratch. */
struct tp_report {
	bool kprobe;			/* target.raw is a kernel function */
	struct tp_target target;
	struct ksyms *ksyms;		/* NULL: kernel frames stay addresses */
	struct usyms *usyms;
	int nr_cpus;
	struct folded *folded;
	uint64_t hits;			/* every hit (the per-CPU counts) */
	uint64_t counted;		/* of those, hits counted with their stacks */
	uint64_t *cpu_hits;
	struct tp_proc *procs;
	size_t nr_procs, cap_procs;
	pid_t refreshed[TP_MAX_REFRESH];
	int nr_refreshed;
	char *stack;
	size_t stack_cap, stack_len;
};

/*
 * Set up @r for feature @f (kprobe or tracepoint): resolve the settings'
 * name into r->target, allocate the totals for every possible CPU, and load
 * the kernel symbols if kernel stacks are wanted. 0 or -errno.
 */
int tp_report__init(struct tp_report *r, const struct diag_feature *f);
/*
 * The part of tp_report__init() that needs no target (perf's samples): the
 * per-CPU totals, the folded stacks, the user symbols, and the kernel
 * symbols if @kernel_stacks, into @r zeroed by the caller. 0 or -errno.
 */
int tp_report__init_stacks(struct tp_report *r, bool kernel_stacks);
/* Free what @r holds (not @r itself). */
void tp_report__free(struct tp_report *r);

/* A new drain: processes whose maps were re-read may be re-read again. */
void tp_report__drain_begin(struct tp_report *r);

/* Start folding a key of process @comm ("" is "[unknown]"). 0 or -ENOMEM. */
int tp_report__begin(struct tp_report *r, const char *comm);
/* Append one frame (@suffix: "" or "_[k]"). 0 or -ENOMEM. */
int tp_report__frame(struct tp_report *r, const char *frame, const char *suffix);

/*
 * Name user frame @i of @n, at @addr, when @tgid's maps could not: a
 * backend's second chance (NULL: none).
 */
typedef const char *(*tp_unknown_fn)(void *ctx, int i, char *buf, size_t len);

/*
 * Append user stack @ips (@n frames, innermost first) of process @tgid,
 * outermost first. Consecutive frames nobody can name are one "[unknown]".
 */
int tp_report__user(struct tp_report *r, uint32_t tgid, const uint64_t *ips, int n,
		    tp_unknown_fn unknown, void *ctx);
/*
 * Append kernel stack @ips (@n frames, innermost first), outermost first,
 * with "_[k]", leaving out the leading frames of the tracing machinery.
 */
int tp_report__kernel(struct tp_report *r, const uint64_t *ips, int n);
/* The key is folded: add @count hits to its stack and to process (@tgid, @comm). */
int tp_report__end(struct tp_report *r, uint32_t tgid, const char *comm, uint64_t count);

/* Merge the rows of one (tgid, comm) into one, after a drain. */
void tp_report__merge_procs(struct tp_report *r);

/* Forget what was drained (after a report). 0 or -ENOMEM. */
int tp_report__reset(struct tp_report *r);

/* Every loss since activation, whatever its cause. */
uint64_t tp_drops__sum(const struct tp_drops *d);

/*
 * Write FEATURE.txt, .json and .folded into out->dir from @r (NULL: nothing
 * drained), the feature's fields into out->json, set f->events, f->drops
 * and the metrics, and start @r afresh. @backend names the backend in
 * FEATURE.json. The backend may add its own fields to out->json after.
 */
int tp_report__out(struct diag_feature *f, struct tp_report *r, const struct tp_drops *d,
		   const char *backend, const struct diag_outputs *out);

#endif /* HLD_TRACEPOINT_REPORT_H */
