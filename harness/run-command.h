/* SPDX-License-Identifier: GPL-2.0 */
/*
 * run-command.h - start child processes safely.
 *
 * Every child (stress-ng, fio, gnuplot, our own workloads) starts here: an
 * argv array (never a shell), its own process group, stdout/stderr to files,
 * optionally placed in a cgroup before exec. Live children are tracked so
 * that run_command__kill_all() can tear them all down from any exit path.
 */
#ifndef HLD_RUN_COMMAND_H
#define HLD_RUN_COMMAND_H

#include <stdbool.h>
#include <sys/types.h>

struct child_process {
	const char *const *argv;	/* argv[0] searched in PATH */
	const char *out_path;		/* stdout to this file (truncated); NULL: /dev/null */
	const char *err_path;		/* stderr to this file; NULL: /dev/null; may equal out_path */
	const char *cgroup_procs;	/* if set: "cgroup.procs" file the child joins before exec */
	/* filled in */
	pid_t pid;			/* also the process group id */
	int status;			/* wait status once reaped */
	bool running;
	/* once reaped: its CPU time, user + system, with its reaped descendants' (wait4) */
	unsigned long long cpu_ns;
};

/* fork + exec in a new process group. Returns 0 or -errno (exec failure included). */
int child__start(struct child_process *cp);

/* Non-blocking reap. Returns 1 if the child has exited (status set), 0 if running. */
int child__poll(struct child_process *cp);

/* Wait for exit. Returns 0 or -errno. */
int child__wait(struct child_process *cp);

/*
 * Stop the child's whole process group: SIGTERM, wait up to @grace_ms, then
 * SIGKILL; reaps the child. Safe to call on a child that already exited.
 */
int child__stop(struct child_process *cp, int grace_ms);

/* Run to completion; returns the exit code (0..255), or -errno. */
int run_command(const char *const *argv, const char *out_path, const char *err_path);

/* SIGKILL every live child's process group (for exit paths and signals). */
void run_command__kill_all(void);

/* Describe a wait status: "exit 1", "killed by SIGSEGV". */
const char *child__describe(int status, char *buf, size_t len);

#endif /* HLD_RUN_COMMAND_H */
