/* SPDX-License-Identifier: GPL-2.0 */
/*
 * syscost-report.h - sys-cost's report, for every backend: a backend fills
 * struct sc_data from its kernel tables (rows per CPU), syscost__build()
 * merges and sorts them, syscost__report_out() writes syscost.txt,
 * syscost.json and the feature's run.json fields and metrics.
 */
#ifndef HLD_SYSCOST_REPORT_H
#define HLD_SYSCOST_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "syscost.bpf.h"	/* struct syscost_val, SYSCOST_NR_SLOTS */

/* One row of a table: a syscall, or a (process, syscall) pair. */
struct sc_row {
	uint32_t tgid, nr;
	struct syscost_val v;
};

/* One process: the sum of its rows. */
struct sc_proc {
	uint32_t tgid;
	char comm[HLD_COMM_LEN];
	struct syscost_val v;
};

struct sc_cpu {
	uint64_t count, total_ns;
};

/* One drain of the kernel tables, summed over CPUs where a view needs it. */
struct sc_data {
	struct sc_row *nrs;		/* SYSCOST_NR_SLOTS; then the syscalls seen, by total time */
	size_t nr_nrs;
	struct sc_row *pairs;		/* (tgid, syscall) pairs, by total time */
	size_t nr_pairs, cap_pairs;
	struct sc_proc *procs;		/* processes, by total time */
	size_t nr_procs;
	struct sc_cpu *cpus;
	int nr_cpus;
	uint64_t syscalls, total_ns;
	uint64_t drop_start, drop_proc;
};

/* Allocate @d's per-syscall and per-CPU arrays for @nr_cpus CPUs (@d zeroed first). */
int syscost__data_init(struct sc_data *d, int nr_cpus);
/* Free what @d holds (not @d itself). */
void syscost__data_free(struct sc_data *d);
/* Fold @c into @sum: counts and times add, the maximum is the largest. */
void syscost__add(struct syscost_val *sum, const struct syscost_val *c);
/* Append one pair row (one CPU's copy) to @d->pairs. 0 or -ENOMEM. */
int syscost__add_pair(struct sc_data *d, uint32_t tgid, uint32_t nr,
		      const struct syscost_val *v);

/* The comm of process @tgid into @comm (HLD_COMM_LEN): 0, or nonzero if unknown. */
typedef int (*syscost_comm_fn)(void *ctx, uint32_t tgid, char *comm);

/*
 * Merge the rows of one pair into one, sum the pairs into the per-syscall
 * rows (which already hold the overflow counts) and the processes (named
 * by @comm_of), and sort each view by time.
 */
int syscost__build(struct sc_data *d, syscost_comm_fn comm_of, void *ctx);

/*
 * Write syscost.txt and syscost.json into out->dir (unless @files is
 * false: the drain failed), the feature's fields into out->json, set
 * f->events, f->drops and the metrics. @backend names the backend in
 * syscost.json. The backend may add its own fields to out->json after.
 */
int syscost__report_out(struct diag_feature *f, const struct sc_data *d, const char *backend,
			const struct diag_outputs *out, bool files);

/*
 * Reading a report back (the truth tests, the run's truth phase): the calls
 * of syscall @name by process @tgid in syscost.json's object @rep; 0 if
 * none, -1 if the process is not in it.
 */
struct json_object;
double syscost__json_calls(struct json_object *rep, pid_t tgid, const char *name);

#endif /* HLD_SYSCOST_REPORT_H */
