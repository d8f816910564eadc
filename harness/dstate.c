// SPDX-License-Identifier: GPL-2.0
/*
 * dstate.c - hold a known number of processes in D state: each waits in
 * the kernel for a vfork-style child that sleeps until told to exit.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "dstate.h"
#include "procfs.h"

/* Shared by every process of the set (MAP_SHARED): the stop flag. */
struct dstate_shared {
	volatile int stop;
	uint64_t deadline_ns;	/* CLOCK_MONOTONIC */
};

struct dstate {
	struct dstate_shared *sh;
	int nr;
	pid_t pids[];
};

/* CLOCK_MONOTONIC in ns. */
static uint64_t dstate__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * The vfork-style child: shares the parent's memory, so it may only sleep
 * with raw syscalls and look at the shared flag. Its parent waits for it
 * in a killable (D) sleep.
 */
static int dstate__sleeper(void *arg)
{
	struct dstate_shared *sh = arg;
	const struct timespec tick = { .tv_nsec = 20 * 1000 * 1000 };

	while (!sh->stop && dstate__now_ns() < sh->deadline_ns)
		syscall(SYS_nanosleep, &tick, NULL);
	return 0;
}

/* One D-state process: clone(CLONE_VM | CLONE_VFORK) and wait in the kernel. */
static void __attribute__((noreturn)) dstate__worker(struct dstate_shared *sh, const char *comm)
{
	const size_t stack_size = 64 << 10;
	char *stack;
	pid_t pid;

	prctl(PR_SET_NAME, comm);
	stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		_exit(1);
	pid = clone(dstate__sleeper, stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, sh);
	if (pid < 0)
		_exit(1);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* Fork the processes; a failed fork releases those already started. */
struct dstate *dstate__hold(int n, const char *comm, uint64_t max_ms, int *err)
{
	struct dstate *d;

	if (n < 1 || n > DSTATE_MAX) {
		*err = -EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d) + n * sizeof(pid_t));
	if (!d) {
		*err = -ENOMEM;
		return NULL;
	}
	d->sh = mmap(NULL, sizeof(*d->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	if (d->sh == MAP_FAILED) {
		*err = -errno;
		free(d);
		return NULL;
	}
	d->sh->deadline_ns = dstate__now_ns() + max_ms * 1000000ull;
	fflush(NULL);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0)
			dstate__worker(d->sh, comm);
		if (pid < 0) {
			*err = -errno;
			dstate__release(d);
			return NULL;
		}
		d->pids[d->nr++] = pid;
	}
	*err = 0;
	return d;
}

pid_t dstate__pid(const struct dstate *d, int i)
{
	return i >= 0 && i < d->nr ? d->pids[i] : -1;
}

int dstate__nr(const struct dstate *d)
{
	return d->nr;
}

/* The state letter of /proc/@pid/stat ('D', 'S', ...), or 0 if unreadable. */
static char dstate__state_of(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	return procfs__state(path);
}

/* Poll every process's state every 5 ms until all are D. */
int dstate__wait_blocked(const struct dstate *d, int timeout_ms)
{
	const struct timespec tick = { .tv_nsec = 5 * 1000 * 1000 };

	for (int waited = 0; waited <= timeout_ms; waited += 5) {
		int blocked = 0;

		for (int i = 0; i < d->nr; i++)
			blocked += dstate__state_of(d->pids[i]) == 'D';
		if (blocked == d->nr)
			return 0;
		nanosleep(&tick, NULL);
	}
	return -ETIMEDOUT;
}

/* Raise the stop flag: the sleepers exit, their parents leave the vfork wait. */
int dstate__release(struct dstate *d)
{
	int failed = 0;

	if (!d)
		return 0;
	d->sh->stop = 1;
	for (int i = 0; i < d->nr; i++) {
		int status;

		while (waitpid(d->pids[i], &status, 0) < 0) {
			if (errno != EINTR) {
				status = -1;
				break;
			}
		}
		if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	munmap(d->sh, sizeof(*d->sh));
	free(d);
	return failed;
}
