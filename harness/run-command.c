// SPDX-License-Identifier: GPL-2.0
/*
 * run-command.c - start, watch and stop child processes (see run-command.h).
 *
 * Each child leads its own process group, so stopping it stops whatever it
 * forked too. Live groups sit in a fixed registry that
 * run_command__kill_all() walks with nothing but kill(2), so it may be
 * called from a signal handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "run-command.h"

#define RC_MAX_CHILDREN 64

/* Process group ids of live children; 0 marks a free slot. */
static volatile sig_atomic_t live_pgids[RC_MAX_CHILDREN];

/* Claim a free registry slot for @pgid; -EMFILE when all are taken. */
static int registry__add(pid_t pgid)
{
	for (int i = 0; i < RC_MAX_CHILDREN; i++) {
		sig_atomic_t expected = 0;

		if (__atomic_compare_exchange_n(&live_pgids[i], &expected, pgid, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return 0;
	}
	return -EMFILE;
}

/* Forget @pgid once its leader has been reaped. */
static void registry__del(pid_t pgid)
{
	for (int i = 0; i < RC_MAX_CHILDREN; i++) {
		sig_atomic_t expected = pgid;

		if (__atomic_compare_exchange_n(&live_pgids[i], &expected, 0, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return;
	}
}

/*
 * SIGKILL every registered group. Only kill(2) and atomic loads: safe in a
 * signal handler and from atexit(). Slots stay set; the owners reap and
 * clear them.
 */
void run_command__kill_all(void)
{
	int saved = errno;

	for (int i = 0; i < RC_MAX_CHILDREN; i++) {
		pid_t pgid = __atomic_load_n(&live_pgids[i], __ATOMIC_SEQ_CST);

		if (pgid > 0)
			kill(-pgid, SIGKILL);
	}
	errno = saved;
}

/*
 * In the child: report @err to the parent through the CLOEXEC pipe and die.
 * Only async-signal-safe calls from here on, the parent may have threads.
 */
static void __attribute__((noreturn)) child__fail(int fd, int err)
{
	ssize_t n = write(fd, &err, sizeof(err));

	(void)n;
	_exit(127);
}

/* In the child: point @target_fd at @path (or /dev/null). 0 or errno. */
static int child__redirect(const char *path, int target_fd)
{
	int fd;

	if (path)
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	else
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (dup2(fd, target_fd) < 0)
		return errno;
	close(fd);
	return 0;
}

/*
 * In the child: write our own pid to the cgroup's cgroup.procs (v1 and v2
 * both take a pid; "0" is v2-only). Formats the number by hand because
 * snprintf is not async-signal-safe.
 */
static int child__join_cgroup(const char *procs)
{
	char buf[24];
	char *p = buf + sizeof(buf);
	pid_t pid = getpid();
	int fd, err = 0;

	*--p = '\n';
	do {
		*--p = '0' + pid % 10;
		pid /= 10;
	} while (pid);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, p, buf + sizeof(buf) - p) < 0)
		err = errno;
	close(fd);
	return err;
}

/*
 * In the child: undo what the harness set up for itself. Blocked signals
 * and SIG_IGN dispositions survive exec; a load generator that ignores
 * SIGTERM could not be stopped politely.
 */
static void child__reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);	/* EINVAL for KILL, STOP and gaps */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The child side of child__start(): never returns. */
static void __attribute__((noreturn)) child__exec(const struct child_process *cp, int errfd)
{
	bool same = cp->out_path && cp->err_path && !strcmp(cp->out_path, cp->err_path);
	int err;

	setpgid(0, 0);
	child__reset_signals();
	err = child__redirect(NULL, STDIN_FILENO);
	if (!err)
		err = child__redirect(cp->out_path, STDOUT_FILENO);
	if (!err) {
		if (same)
			err = dup2(STDOUT_FILENO, STDERR_FILENO) < 0 ? errno : 0;
		else
			err = child__redirect(cp->err_path, STDERR_FILENO);
	}
	if (!err && cp->cgroup_procs)
		err = child__join_cgroup(cp->cgroup_procs);
	if (err)
		child__fail(errfd, err);
	execvp(cp->argv[0], (char *const *)cp->argv);
	child__fail(errfd, errno);
}

/*
 * Fork and exec @cp->argv in a new process group. Set-up or exec errors in
 * the child come back through a CLOEXEC pipe: EOF means exec succeeded.
 */
int child__start(struct child_process *cp)
{
	int pfd[2], child_err = 0, err;
	ssize_t n;
	pid_t pid;

	cp->pid = 0;
	cp->status = 0;
	cp->cpu_ns = 0;
	cp->running = false;
	if (!cp->argv || !cp->argv[0])
		return -EINVAL;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;

	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		close(pfd[0]);
		child__exec(cp, pfd[1]);
	}

	/* Both sides call setpgid so that no kill(-pid) can miss the group. */
	setpgid(pid, pid);
	close(pfd[1]);
	do {
		n = read(pfd[0], &child_err, sizeof(child_err));
	} while (n < 0 && errno == EINTR);
	close(pfd[0]);

	if (n == sizeof(child_err)) {
		while (waitpid(pid, &cp->status, 0) < 0 && errno == EINTR)
			;
		return -child_err;
	}

	cp->pid = pid;
	cp->running = true;
	err = registry__add(pid);
	if (err) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, &cp->status, 0) < 0 && errno == EINTR)
			;
		cp->running = false;
		return err;
	}
	return 0;
}

/* Bookkeeping after the leader was reaped: kill leftovers, free the slot. */
static void child__reaped(struct child_process *cp, int status, const struct rusage *ru)
{
	cp->status = status;
	cp->cpu_ns = (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000000ull +
		     (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) * 1000ull;
	cp->running = false;
	kill(-cp->pid, SIGKILL);	/* stragglers; ESRCH when the group is empty */
	registry__del(cp->pid);
}

/* Non-blocking reap of the group leader: 1 once it has exited, else 0. */
int child__poll(struct child_process *cp)
{
	struct rusage ru;
	int status;
	pid_t r;

	if (!cp->running)
		return 1;
	r = wait4(cp->pid, &status, WNOHANG, &ru);
	if (r == cp->pid) {
		child__reaped(cp, status, &ru);
		return 1;
	}
	if (r < 0 && errno == ECHILD) {
		cp->running = false;
		registry__del(cp->pid);
		return 1;
	}
	return 0;
}

/* Block until the leader exits; 0, or -errno if it cannot be waited for. */
int child__wait(struct child_process *cp)
{
	struct rusage ru;
	int status;
	pid_t r;

	if (!cp->running)
		return 0;
	do {
		r = wait4(cp->pid, &status, 0, &ru);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		int err = -errno;

		cp->running = false;
		registry__del(cp->pid);
		return err;
	}
	child__reaped(cp, status, &ru);
	return 0;
}

/*
 * SIGTERM the group, give it @grace_ms to exit (polling every 10 ms), then
 * SIGKILL it and reap. A child that already exited is only reaped.
 */
int child__stop(struct child_process *cp, int grace_ms)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };

	if (!cp->running || child__poll(cp)) {
		/* The leader is gone; members of its group may not be. */
		if (cp->pid > 0)
			kill(-cp->pid, SIGKILL);
		return 0;
	}
	kill(-cp->pid, SIGTERM);
	for (int waited = 0; waited < grace_ms; waited += 10) {
		if (child__poll(cp))
			return 0;
		nanosleep(&tick, NULL);
	}
	if (child__poll(cp))
		return 0;
	kill(-cp->pid, SIGKILL);
	return child__wait(cp);
}

/*
 * Run @argv to completion. Returns its exit code, 128 + the signal number
 * if a signal killed it (as shells report it), or -errno if it could not
 * be started.
 */
int run_command(const char *const *argv, const char *out_path, const char *err_path)
{
	struct child_process cp = {
		.argv = argv,
		.out_path = out_path,
		.err_path = err_path,
	};
	int err;

	err = child__start(&cp);
	if (err)
		return err;
	err = child__wait(&cp);
	if (err)
		return err;
	if (WIFEXITED(cp.status))
		return WEXITSTATUS(cp.status);
	if (WIFSIGNALED(cp.status))
		return 128 + WTERMSIG(cp.status);
	return -ECHILD;
}

/* Describe a wait status for messages and notes: "exit 1", "killed by SIGSEGV". */
const char *child__describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status)) {
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));

		if (abbrev)
			snprintf(buf, len, "killed by SIG%s", abbrev);
		else
			snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
	} else {
		snprintf(buf, len, "wait status 0x%x", status);
	}
	return buf;
}
