// SPDX-License-Identifier: GPL-2.0
/*
 * peer.c - what the peer backends share: finding the tool, running it as a
 * child that is ready once it says so, stopping it and taking its CPU
 * time, and the list of peer backends.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "folded.h"
#include "peer.h"

#define TRACEFS "/sys/kernel/tracing"

const struct diag_backend *const diag_peer_backends[] = {
	&diag_backend_perf,
	&diag_backend_bpftrace,
	&diag_backend_strace,
	NULL,
};

int peer__probe_tool(const char *tool, const char *pkg, char *why, size_t len)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	while (path && *path) {
		const char *end = strchrnul(path, ':');

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(end - path), path, tool);
		if (end > path && !access(buf, X_OK))
			return 0;
		path = *end ? end + 1 : end;
	}
	snprintf(why, len, "%s is not installed (Debian package %s; 'make deps' installs it)",
		 tool, pkg);
	return -ENOENT;
}

int peer__mkdir(struct peer_proc *p)
{
	snprintf(p->dir, sizeof(p->dir), "/tmp/hldbench-peer-XXXXXX");
	if (!mkdtemp(p->dir)) {
		p->dir[0] = '\0';
		return -errno;
	}
	peer__path(p, "stdout", p->out, sizeof(p->out));
	peer__path(p, "stderr", p->err, sizeof(p->err));
	return 0;
}

const char *peer__path(const struct peer_proc *p, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", p->dir, name);
	return buf;
}

char *peer__slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "re");
	size_t cap = 65536, n = 0, r;
	char *buf = f ? malloc(cap) : NULL;

	while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				buf = NULL;
				errno = ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (f)
		fclose(f);
	if (!buf)
		return NULL;
	buf[n] = '\0';
	if (size)
		*size = n;
	return buf;
}

void peer__first_line(const char *path, const char *skip, char *buf, size_t len)
{
	char *text = peer__slurp(path, NULL), *line, *save = NULL;

	buf[0] = '\0';
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (skip && strstr(line, skip))
			continue;
		snprintf(buf, len, "%s", line);
		break;
	}
	free(text);
}

/* Does @path hold @what? */
static bool file_has(const char *path, const char *what)
{
	char *text = peer__slurp(path, NULL);
	bool has = text && strstr(text, what);

	free(text);
	return has;
}

/* The CPU time of process @pid so far (all its threads), 0 if unreadable. */
static uint64_t peer__cpu_ns(pid_t pid)
{
	struct timespec ts;
	clockid_t clk;

	if (clock_getcpuclockid(pid, &clk) || clock_gettime(clk, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int peer__start(struct peer_proc *p, const char *const *argv, const char *ready,
		int timeout_ms, char *why, size_t len)
{
	const struct timespec tick = { .tv_nsec = 20 * 1000 * 1000 };
	int err;

	p->cp.argv = argv;
	p->cp.out_path = p->out;
	p->cp.err_path = p->err;
	err = child__start(&p->cp);
	if (err) {
		snprintf(why, len, "cannot start %s: %s", argv[0], strerror(-err));
		return err;
	}
	for (int waited = 0; ready && waited < timeout_ms; waited += 20) {
		if (file_has(p->out, ready) || file_has(p->err, ready)) {
			p->ready_cpu_ns = peer__cpu_ns(p->cp.pid);
			return 0;
		}
		if (child__poll(&p->cp)) {
			char line[256];

			peer__first_line(p->err, "RLIMIT_MEMLOCK", line, sizeof(line));
			snprintf(why, len, "%s exited before it was ready: %s", argv[0],
				 line[0] ? line : "(no message)");
			return -EIO;
		}
		nanosleep(&tick, NULL);
	}
	if (!ready)
		return 0;
	snprintf(why, len, "%s not ready after %d ms", argv[0], timeout_ms);
	child__stop(&p->cp, 1000);
	return -ETIMEDOUT;
}

int peer__stop(struct peer_proc *p, int sig, int grace_ms, uint64_t *cpu_ns,
	       uint64_t *startup_ns)
{
	uint64_t startup;
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	int err = 0;

	if (p->cp.running)
		kill(p->cp.pid, sig);
	for (int waited = 0; p->cp.running && waited < grace_ms; waited += 10) {
		if (child__poll(&p->cp))
			break;
		nanosleep(&tick, NULL);
	}
	if (p->cp.running)
		err = child__stop(&p->cp, 1000);
	startup = p->ready_cpu_ns < p->cp.cpu_ns ? p->ready_cpu_ns : p->cp.cpu_ns;
	if (cpu_ns)
		*cpu_ns += p->cp.cpu_ns - startup;
	if (startup_ns)
		*startup_ns += startup;
	return err ? err : p->cp.status;
}

void peer__cleanup(struct peer_proc *p)
{
	if (p->cp.running)
		child__stop(&p->cp, 1000);
	if (p->dir[0])
		diag__remove_dir(p->dir);
	p->dir[0] = '\0';
}

int peer__tracefs(void)
{
	if (!access(TRACEFS "/events", F_OK))
		return 0;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL))
		return -errno;
	return 0;
}

int peer__nr_cpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? n : 1;
}

int peer__fold_add(struct folded *fo, const char *comm, const char *const *user, int nr_user,
		   const char *const *kernel, int nr_kernel, uint64_t count)
{
	char stack[PEER_MAX_FRAMES * 64], frame[256];
	size_t len = 0;

	/* comm, then user frames root first, then kernel frames root first */
	for (int i = -1; i < nr_user + nr_kernel; i++) {
		const char *name = i < 0 ? (comm && comm[0] ? comm : "[unknown]") :
				   i < nr_user ? user[nr_user - 1 - i] :
				   kernel[nr_kernel - 1 - (i - nr_user)];
		int n;

		bpf_util__frame(frame, sizeof(frame), name);
		n = snprintf(stack + len, sizeof(stack) - len, "%s%s%s", i < 0 ? "" : ";", frame,
			     i >= nr_user ? "_[k]" : "");
		if (n < 0 || (size_t)n >= sizeof(stack) - len)
			break;		/* too deep: the outer frames are kept */
		len += n;
	}
	return folded__add(fo, stack, count);
}

int peer__perf_ctl_open(struct perf_ctl *c, const char *dir)
{
	snprintf(c->ctl_path, sizeof(c->ctl_path), "%s/ctl", dir);
	snprintf(c->ack_path, sizeof(c->ack_path), "%s/ack", dir);
	snprintf(c->arg, sizeof(c->arg), "--control=fifo:%s,%s", c->ctl_path, c->ack_path);
	c->ctl = c->ack = -1;
	if (mkfifo(c->ctl_path, 0600) || mkfifo(c->ack_path, 0600))
		return -errno;
	/* O_RDWR: neither open waits for perf to open the other end. */
	c->ctl = open(c->ctl_path, O_RDWR | O_CLOEXEC);
	c->ack = open(c->ack_path, O_RDWR | O_CLOEXEC);
	return c->ctl < 0 || c->ack < 0 ? -errno : 0;
}

int peer__perf_ctl_cmd(struct perf_ctl *c, const char *cmd, int timeout_ms)
{
	struct pollfd pfd = { .fd = c->ack, .events = POLLIN };
	char buf[16];

	if (write(c->ctl, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		return -errno;
	if (poll(&pfd, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	return read(c->ack, buf, sizeof(buf)) > 0 ? 0 : -EIO;
}

void peer__perf_ctl_close(struct perf_ctl *c)
{
	if (!c->ctl_path[0])
		return;
	if (c->ctl >= 0)
		close(c->ctl);
	if (c->ack >= 0)
		close(c->ack);
	unlink(c->ctl_path);
	unlink(c->ack_path);
	c->ctl_path[0] = '\0';
}

int peer_comms__add(struct peer_comms *c, uint32_t tgid, const char *comm)
{
	char buf[16];

	if (!peer_comms__find(c, tgid, buf))
		return 0;
	if (bpf_util__reserve((void **)&c->v, &c->cap, c->n + 1, sizeof(*c->v)))
		return -ENOMEM;
	c->v[c->n].tgid = tgid;
	snprintf(c->v[c->n++].comm, sizeof(c->v->comm), "%s", comm);
	return 0;
}

int peer_comms__find(void *comms, uint32_t tgid, char *comm)
{
	const struct peer_comms *c = comms;

	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].tgid == tgid) {
			memcpy(comm, c->v[i].comm, sizeof(c->v->comm));
			return 0;
		}
	}
	return -ENOENT;
}
