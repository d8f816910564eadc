/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sampler.h - a thread that samples the system's load from /proc.
 *
 * Every interval_ms, on a fixed CLOCK_MONOTONIC grid (absolute deadlines,
 * so the period never drifts), the thread reads /proc/stat, /proc/loadavg
 * and /proc/pressure/{cpu,io,memory} and appends one struct sample to an
 * array. A tick that is already past when the previous sample completes is
 * skipped and counted in sampler__missed(); the grid is kept.
 *
 * The thread asks for SCHED_FIFO priority 1 so that it keeps its period
 * when the load it measures saturates every CPU; sampler__realtime() says
 * whether it got it (it needs root or CAP_SYS_NICE and an RT budget).
 *
 * The harness tags samples with sampler__set_phase() and reads the array
 * after sampler__stop(). Functions return 0 or -errno and print nothing.
 */
#ifndef HLD_SAMPLER_H
#define HLD_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sample {
	uint64_t t_ns;		/* CLOCK_MONOTONIC when the sample was taken */
	/*
	 * R tasks excluding the sampler: procs_running - 1. The sampler is
	 * itself running while it reads /proc/stat, so procs_running always
	 * counts it; r is the load the rest of the system puts on the CPUs.
	 */
	uint32_t r;
	uint32_t r_raw;		/* procs_running as read */
	uint32_t d;		/* procs_blocked: tasks in D state (IO wait) */
	double load1, load5, load15;	/* /proc/loadavg; NaN if unreadable */
	double cpu_busy;	/* % busy over all CPUs since the previous sample; NaN for the first */
	/* PSI avg10 values, %; NaN when the kernel has no PSI */
	double psi_cpu_some;
	double psi_io_some, psi_io_full;
	double psi_mem_some, psi_mem_full;
	int phase;		/* sampler__set_phase() tag in force */
};

struct sampler;

/* A stopped sampler with room preallocated for a few minutes of samples. NULL: no memory. */
struct sampler *sampler__new(uint64_t interval_ms);

/*
 * Start the thread; the first sample is taken at once, then one per
 * interval. -EINVAL for a zero interval or if already started.
 */
int sampler__start(struct sampler *s);

/* Tag the samples taken from now on (the harness: -1 between phases, 1..2N in them). */
void sampler__set_phase(struct sampler *s, int phase);

/*
 * Stop and join the thread (it finishes its current sleep, so this takes
 * up to one interval). Returns 0, or -errno if joining failed.
 */
int sampler__stop(struct sampler *s);

/*
 * The samples taken so far and their count. The array belongs to the
 * sampler; while the thread runs it may be reallocated by the next sample,
 * so read it after sampler__stop() (or use sampler__latest()).
 */
const struct sample *sampler__samples(const struct sampler *s, size_t *n);

/* Number of samples taken so far, safe while running. */
size_t sampler__count(struct sampler *s);

/* Copy of the newest sample, safe while running. -ENODATA if none yet. */
int sampler__latest(struct sampler *s, struct sample *out);

/* Ticks skipped because the previous sample ended after their deadline. */
uint64_t sampler__missed(const struct sampler *s);

/* True if the thread runs SCHED_FIFO (set once sampler__start() returned). */
bool sampler__realtime(const struct sampler *s);

/* True if /proc/pressure could not be read at least once (PSI fields are NaN). */
bool sampler__psi_missing(const struct sampler *s);

/*
 * First error reading /proc/stat or /proc/loadavg (-errno, or -EINVAL for
 * text that did not parse); 0 if none. Such samples carry NaN loads and
 * zero counts.
 */
int sampler__error(const struct sampler *s);

/*
 * Write the samples as CSV: a header line, then one row per sample with
 *	t_s,phase,r,d,r_raw,load1,load5,load15,cpu_busy,psi_cpu_some,
 *	psi_io_some,psi_io_full,psi_mem_some,psi_mem_full,pred_load1
 * where t_s is seconds since @t0_ns (CLOCK_MONOTONIC) with millisecond
 * precision, unavailable values are written "NaN", and pred_load1 is the
 * kernel-EWMA prediction of load1 from r + d (loadavg__predict in stats.h).
 * Call after sampler__stop().
 */
int sampler__write_csv(const struct sampler *s, const char *path, uint64_t t0_ns);

/* Stop the thread if it runs and free everything. NULL is fine. */
void sampler__free(struct sampler *s);

/* CLOCK_MONOTONIC now, in ns: the clock of sample.t_ns, for t0_ns. */
uint64_t sampler__now_ns(void);

#endif /* HLD_SAMPLER_H */
