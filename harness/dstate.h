/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dstate.h - hold a known number of processes in D state.
 *
 * Each process forks off a vfork-style child (clone(CLONE_VM |
 * CLONE_VFORK)) that only sleeps, and waits for it in the kernel: a
 * killable uninterruptible wait (TASK_KILLABLE), which is D state, counts
 * in rq->nr_uninterruptible and in the load average, but is not I/O wait.
 * Used by `hldbench workload dstate`, load-monitor's ground-truth test and
 * `hldbench bench load-monitor`.
 */
#ifndef HLD_DSTATE_H
#define HLD_DSTATE_H

#include <stdint.h>
#include <sys/types.h>

#define DSTATE_MAX 1024

struct dstate;

/*
 * Fork @n processes named @comm and put each in D state. They stay there
 * until dstate__release(), and at most @max_ms in any case (a safety net if
 * the caller dies). Returns the set, or NULL with -errno in *@err (on a
 * failed fork the ones started are released).
 */
struct dstate *dstate__hold(int n, const char *comm, uint64_t max_ms, int *err);

/* The @i-th process's pid; the number of processes. */
pid_t dstate__pid(const struct dstate *d, int i);
int dstate__nr(const struct dstate *d);

/*
 * Wait until every process is in D state (/proc/PID/stat), at most
 * @timeout_ms. 0, or -ETIMEDOUT.
 */
int dstate__wait_blocked(const struct dstate *d, int timeout_ms);

/*
 * Let the processes leave D state, reap them and free the set. Returns
 * the number that did not exit cleanly (0 when all did).
 */
int dstate__release(struct dstate *d);

#endif /* HLD_DSTATE_H */
