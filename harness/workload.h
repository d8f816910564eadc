/* SPDX-License-Identifier: GPL-2.0 */
/*
 * workload.h - the ground-truth workloads: work of an exactly known amount,
 * shared by `hldbench workload NAME` (harness/builtin-workload.c) and the
 * features' ground-truth tests (harness/truth-*.c), so that what a test
 * checks a feature against is what a user can run by hand.
 *
 * Each workload is one file, harness/workload-<name>.c, holding the work
 * itself (the functions below, which print nothing and return 0 or
 * -errno) and a struct workload that registers it as a command: an option
 * table, a run() that does the work, and a report() that writes what was
 * done as members of one JSON object. builtin-workload.c frames every
 * workload the same way (see there for the common options and members).
 */
#ifndef HLD_WORKLOAD_H
#define HLD_WORKLOAD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "json.h"
#include "options.h"

/* Set by SIGTERM or SIGINT in `hldbench workload`: finish the current step. 0 elsewhere. */
extern volatile sig_atomic_t workload_stop;

/* The frame's view of one run: what run() may set besides its own struct. */
struct workload_ctx {
	char summary[512];	/* the one-line summary printed on stderr */
	char error[512];	/* why the work failed or cannot run here */
};

struct workload {
	const char *name;
	const char *comm;		/* the process's name while it works */
	const char *summary;		/* one line in `hldbench workload --help` */
	const char *help;		/* what it does and what its JSON holds */
	const char *positional;		/* the option given as the one argument, or NULL */
	const struct opt *opts;		/* its options, in the struct run() gets */
	size_t size;			/* that struct: options and results */
	/* Options that are each valid but not together; -EINVAL with a reason in @err. */
	int (*check)(void *obj, char *err, size_t len);
	/* Do the work; HLD_EXIT_OK, _FAIL (ctx->error says why) or _UNSUPPORTED. */
	int (*run)(void *obj, struct workload_ctx *ctx);
	/* Write what was done as members of the open JSON object. */
	void (*report)(const void *obj, struct json_writer *j);
};

#define WORKLOADS(X) X(syscalls) X(execs) X(cpu_split) X(dstate) X(pages) X(mutex) X(exits) \
	X(timers)
#define X(name) extern const struct workload workload_##name;
WORKLOADS(X)
#undef X

/* CLOCK_MONOTONIC, or another clock, in ns. */
uint64_t workload__now_ns(void);
uint64_t workload__clock_ns(int clockid);

/* --- syscalls ------------------------------------------------------------- */

/* @n raw getppid() calls (syscall(): no libc caching); the number made (fewer on a stop). */
long syscalls__getppid(long n);

/* --- execs ---------------------------------------------------------------- */

/*
 * Run @binary @n times, one at a time, each as `@binary @marker INDEX`
 * (INDEX = 0..n-1) through child__start(); @pids (if set) gets each pid.
 * Returns how many did not exit with 0; *@done how many were started.
 */
int execs__run(const char *binary, const char *marker, int n, pid_t *pids, int *done);

/* --- cpu-split ------------------------------------------------------------ */

#define CPU_SPLIT_MAX_PARTS 8

/*
 * One thread spins in cpu_split_part0, _part1, ... for shares[k]% of every
 * block of its CPU time (5 to 15 ms, drawn at random) and measures the CPU
 * time it spent in each part with CLOCK_THREAD_CPUTIME_ID.
 */
struct cpu_split {
	int shares[CPU_SPLIT_MAX_PARTS];
	int nr;
	uint64_t cpu_ns[CPU_SPLIT_MAX_PARTS];	/* measured */
	uint64_t blocks;			/* whole blocks done */
	uint64_t preempted;			/* involuntary context switches meanwhile */
};

/* Parse "70:30" into @s: 1..8 whole percentages, each >= 1, summing to 100. */
int cpu_split__parse(struct cpu_split *s, const char *text);

/*
 * Spin until @cpu_limit_ns of the thread's CPU time (0: no limit) or until
 * CLOCK_MONOTONIC reaches @deadline_ns, or a stop; adds to s->cpu_ns.
 */
void cpu_split__run(struct cpu_split *s, uint64_t cpu_limit_ns, uint64_t deadline_ns);

/* The parts, non-static so that they keep their names in stacks (-rdynamic). */
void cpu_split_part0(uint64_t until_ns);
void cpu_split_part1(uint64_t until_ns);

/* --- pages ---------------------------------------------------------------- */

#define PAGES_PAGE_BYTES	4096ul
#define PAGES_HUGE_BYTES	(2ul << 20)
#define PAGES_THP_ORDER		9
#define PAGES_PIPE_MIN_ORDER	2	/* above two pages kmalloc() is the page allocator */

/*
 * Map @n anonymous pages with huge pages off (MADV_NOHUGEPAGE) and write one
 * byte to each: one order-0 page allocation per page. The mapping (free it
 * with munmap(@n pages)), or NULL with errno set.
 */
char *pages__touch(long n);

/* sizeof(struct pipe_buffer) from the kernel's BTF, or -errno. */
int pages__pipe_buffer_size(void);

/* The order of the slot array of a pipe of @bytes, or -errno. */
int pages__pipe_order(unsigned long bytes);

/* The smallest pipe size whose slot array is a page allocation of @order; 0 if none. */
unsigned long pages__pipe_bytes(int order);

/*
 * Grow @n pipes to @bytes with F_SETPIPE_SZ, one at a time, each closed
 * again: one kcalloc() of the slot array each, from pipe_fcntl(). 0 or -errno.
 * (Named so in user stacks.)
 */
int truth_pipe_resize(int n, unsigned long bytes);

/*
 * Write one byte to each 2 MiB of a 2 MiB-aligned MADV_HUGEPAGE region of
 * @n huge pages: one order-9 allocation per huge page the kernel gives
 * (it may fall back to small pages). The region is left mapped; *@map (if
 * set) gets it. 0 or -errno. (Named so in user stacks.)
 */
int truth_thp_touch(long n, void **map);

/* Huge pages of @pid (AnonHugePages of /proc/PID/smaps_rollup; 0: self), or -1. */
long pages__thp_of(pid_t pid);

/* NULL if transparent huge pages can be used, else why not. */
const char *pages__thp_unavailable(void);

/* --- mutex ---------------------------------------------------------------- */

#define PIPE_MUTEX_MAX_WAITERS 64

/*
 * One pipe's mutex held for a known time with a known number of threads
 * queued on it: a holder thread write()s a page into a pipe from a
 * userfaultfd-registered buffer, so pipe_write() sleeps in the fault with
 * pipe->mutex held; @waiters threads then write one byte each into the same
 * pipe and block on the mutex (seen in state D, one after the other); @hold_ms
 * after the last one queued the fault is resolved and each waiter gets the
 * mutex in turn. Times are CLOCK_MONOTONIC ns. Lives in memory the caller
 * provides (shared, for a child).
 */
struct pipe_mutex {
	int waiters;				/* asked */
	unsigned int hold_ms;			/* asked */
	int err;				/* 0, or the errno that stopped it */
	int queued;				/* waiters seen blocked */
	int holder_tid;
	uint64_t holder_start_ns, holder_end_ns;	/* around the holder's write() */
	int waiter_tid[PIPE_MUTEX_MAX_WAITERS];
	uint64_t start_ns[PIPE_MUTEX_MAX_WAITERS];	/* before each waiter's write() */
	uint64_t end_ns[PIPE_MUTEX_MAX_WAITERS];	/* after it */
	uint64_t blocked_ns[PIPE_MUTEX_MAX_WAITERS];	/* when first seen in state D */
	uint64_t release_ns;			/* just before the fault was resolved */
};

/* Run it in the calling process (it creates threads). 0 or -errno (also in m->err). */
int pipe_mutex__contend(struct pipe_mutex *m);

/* --- exits ---------------------------------------------------------------- */

#define EXITS_MAX_CASES 64

/* One way to end: exit(code) if sig is 0, else killed by sig. */
struct exit_case {
	int code;
	int sig;
};

/* The default cases: six exit codes and five signals. */
extern const struct exit_case exits_default_cases[];
extern const int exits_nr_default;

/*
 * Fork @n processes named @comm, one at a time, the i-th ending as
 * cases[i % nr] says (a signal raised by itself, core dumps off), and
 * check with waitpid() that each did; counts[k] (if set) gets the
 * processes of case k that did, @pids (if set) each pid. Returns how many
 * did not end as asked; *@done how many were forked.
 */
int exits__run(const struct exit_case *cases, int nr, long n, const char *comm, long *counts,
	       pid_t *pids, long *done);

/* "exited with code 42", "killed by SIGTERM". */
const char *exit_case__name(const struct exit_case *c, char *buf, size_t len);

#endif /* HLD_WORKLOAD_H */
