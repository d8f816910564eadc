/* SPDX-License-Identifier: GPL-2.0 */
/*
 * procfs.h - parsers for /proc/stat, /proc/loadavg and /proc/pressure/ *.
 *
 * The parsers take the file's text, not a path, so tests can feed them
 * fixtures captured on other kernels. procfs__read() is the small reader the
 * sampler uses: one read(2) of a whole small /proc file.
 *
 * All functions return 0 or a negative errno and print nothing.
 */
#ifndef HLD_PROCFS_H
#define HLD_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Column indexes of the aggregate "cpu" line of /proc/stat. */
enum proc_stat_cpu {
	PROC_CPU_USER,
	PROC_CPU_NICE,
	PROC_CPU_SYSTEM,
	PROC_CPU_IDLE,
	PROC_CPU_IOWAIT,	/* 2.5.41+ */
	PROC_CPU_IRQ,		/* 2.6.0+ */
	PROC_CPU_SOFTIRQ,	/* 2.6.0+ */
	PROC_CPU_STEAL,		/* 2.6.11+ */
	PROC_CPU_GUEST,		/* 2.6.24+, already counted in user */
	PROC_CPU_GUEST_NICE,	/* 2.6.33+, already counted in nice */
	PROC_CPU__MAX,
};

struct proc_stat {
	/*
	 * Aggregate "cpu" line: user nice system idle iowait irq softirq steal
	 * guest guest_nice, in USER_HZ ticks. Columns an older kernel does not
	 * print are 0.
	 */
	uint64_t cpu[PROC_CPU__MAX];
	uint64_t procs_running;	/* R tasks now, the reader included */
	uint64_t procs_blocked;	/* D tasks now (waiting on IO) */
	uint64_t ctxt;		/* context switches since boot; 0 if absent */
	uint64_t processes;	/* forks since boot; 0 if absent */
};

struct loadavg {
	double avg1, avg5, avg15;
	unsigned nr_running;	/* runnable scheduling entities now */
	unsigned nr_threads;	/* scheduling entities that exist */
	unsigned last_pid;
};

/*
 * One /proc/pressure/{cpu,io,memory} file. "avg" values are percentages of
 * wall time over 10/60/300 s, "total" is cumulative stall time in us.
 * Kernels before 5.13 print no "full" line for cpu; newer ones print one
 * with zeros. has_full says whether the line was present.
 */
struct psi {
	double some_avg10, some_avg60, some_avg300;
	uint64_t some_total;
	double full_avg10, full_avg60, full_avg300;
	uint64_t full_total;
	bool has_full;
};

/*
 * Read the whole of a small file into @buf (at most @len - 1 bytes) and
 * NUL-terminate it (strlen(buf) is the length read). Returns 0, -errno on
 * failure, or -EFBIG if the file did not fit (@buf then holds the start).
 */
int procfs__read(const char *path, char *buf, size_t len);

/*
 * The state letter ('R', 'S', 'D', 'T', ...) in the stat file @path
 * (/proc/PID/stat, /proc/self/task/TID/stat), or 0 if it cannot be read.
 */
char procfs__state(const char *path);

/*
 * Read the whole file @path like procfs__read(), but in a helper thread,
 * waiting at most @timeout_ms for it. Reads of /proc/PID/{maps,cmdline,
 * environ} take the target's mmap lock and can hang for seconds on a
 * loaded machine; the caller must not hang with them. On success *@out is
 * a malloc'ed, NUL-terminated copy of the file (at most 16 MiB), its
 * length in *@lenp. -ETIMEDOUT if the read did not end in time: it is
 * abandoned, and its helper thread rejoins the pool when the read returns.
 * At most PROCFS_READERS reads can hang at once; past that, calls fail
 * with -ETIMEDOUT at once. Other failures: -errno, -EFBIG.
 */
#define PROCFS_READERS 4
int procfs__slurp(const char *path, int timeout_ms, char **out, size_t *lenp);

/* Reads procfs__slurp() has given up on so far. */
uint64_t procfs__slurp_timeouts(void);

/*
 * Parse /proc/stat text. Needs the aggregate "cpu" line (at least the four
 * original columns) and the procs_running and procs_blocked lines; -EINVAL
 * if any is missing or malformed.
 */
int procfs__parse_stat(const char *text, struct proc_stat *s);

/*
 * Percentage of CPU time spent busy between snapshots @a (earlier) and @b
 * (later), 0..100. Busy is everything except idle and iowait; guest and
 * guest_nice are not added because user and nice already include them.
 * NaN when no tick elapsed (or the counters went backwards).
 */
double procfs__cpu_busy(const struct proc_stat *a, const struct proc_stat *b);

/* Parse /proc/loadavg text ("0.15 0.04 0.01 8/103 6606"); -EINVAL if malformed. */
int procfs__parse_loadavg(const char *text, struct loadavg *l);

/*
 * Parse a /proc/pressure file. The "some" line is required; the "full"
 * line is optional (has_full). -EINVAL if a present line is malformed.
 */
int procfs__parse_psi(const char *text, struct psi *p);

#endif /* HLD_PROCFS_H */
