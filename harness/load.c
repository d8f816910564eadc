// SPDX-License-Identifier: GPL-2.0
/*
 * load.c - the load generator registry and the phase life cycle (see load.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "blkdev.h"
#include "cgroup.h"
#include "load.h"
#include "run-command.h"

/* How long a tool may take past its own timeout to write its results. */
#define LOAD_FINISH_MS 10000
/* SIGTERM to SIGKILL when we stop a tool. */
#define LOAD_GRACE_MS 3000
/* A stop this close to the tool's own end waits for that end instead. */
#define LOAD_SLACK_MS 1000

/* The generators, indexed by enum load_tool. */
static const struct load_ops *const load_table[LOAD_TOOL__MAX] = {
	[LOAD_STRESS_NG] = &load_stress_ng_ops,
	[LOAD_FIO] = &load_fio_ops,
};

struct load {
	struct load_spec spec;
	const struct load_ops *ops;
	struct blkdev *dev;
	struct memcg *mem;		/* memory-limit, NULL if none */
	struct child_process cp;
	struct load_argv argv;
	char out_path[512];
	char log_path[512];
	struct timespec t0;
	uint64_t duration_ms;
	bool started;
};

const struct load_ops *load__ops(int tool)
{
	if (tool < 0 || tool >= LOAD_TOOL__MAX)
		return NULL;
	return load_table[tool];
}

int load_argv__push(struct load_argv *a, const char *fmt, ...)
{
	size_t room = sizeof(a->buf) - a->used;
	va_list ap;
	int n;

	if (a->argc >= LOAD_MAX_ARGS)
		return -E2BIG;
	va_start(ap, fmt);
	n = vsnprintf(a->buf + a->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return -E2BIG;
	a->argv[a->argc++] = a->buf + a->used;
	a->argv[a->argc] = NULL;
	a->used += n + 1;
	return 0;
}

/* Append one token of @len bytes at @tok, with "{dev}" replaced by @dev. */
static int load_argv__token(struct load_argv *a, const char *tok, size_t len, const char *dev)
{
	static const char marker[] = "{dev}";
	const size_t mlen = sizeof(marker) - 1;
	char out[512];
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		const char *piece = tok + i;
		size_t plen = 1;

		if (len - i >= mlen && !memcmp(tok + i, marker, mlen)) {
			if (!dev)
				return -EINVAL;
			piece = dev;
			plen = strlen(dev);
			i += mlen;
		} else {
			i++;
		}
		if (o + plen >= sizeof(out))
			return -E2BIG;
		memcpy(out + o, piece, plen);
		o += plen;
	}
	out[o] = '\0';
	return load_argv__push(a, "%s", out);
}

/* Split @args on blanks into @a, substituting "{dev}" (see load.h). */
int load_argv__split(struct load_argv *a, const char *args, const char *dev)
{
	const char *p = args;

	while (p && *p) {
		size_t len;
		int err;

		p += strspn(p, " \t\n");
		len = strcspn(p, " \t\n");
		if (!len)
			break;
		err = load_argv__token(a, p, len, dev);
		if (err)
			return err;
		p += len;
	}
	return 0;
}

/* True if @name is an executable file in one of $PATH's directories. */
static bool in_path(const char *name)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
	while (*path) {
		size_t len = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, len ? path : ".", name);
		if (!access(buf, X_OK))
			return true;
		path += len;
		if (*path == ':')
			path++;
	}
	return false;
}

/* Milliseconds since @t0. */
static uint64_t ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - t0->tv_sec) * 1000 +
	       (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Validate @spec and prepare what lasts across phases: the tool must be in
 * PATH, the arguments must split, the loop device and throttle must work.
 */
struct load *load__new_err(const struct load_spec *spec, int *errp, char *errbuf, size_t errlen)
{
	const struct load_ops *ops = load__ops(spec->tool);
	struct load_argv probe = { .argc = 0 };
	struct load *l;
	int err;

	if (!ops) {
		snprintf(errbuf, errlen, "load.%s: unknown tool %d", spec->name, spec->tool);
		err = -EINVAL;
		goto out_err;
	}
	if (!in_path(ops->name)) {
		snprintf(errbuf, errlen, "%s not found: run 'make deps' (apt-get install %s)",
			 ops->name, ops->package);
		err = -ENOENT;
		goto out_err;
	}
	if (!spec->loop_size && (spec->read_iops || spec->write_iops)) {
		snprintf(errbuf, errlen, "load.%s: read-iops/write-iops need loop-size", spec->name);
		err = -EINVAL;
		goto out_err;
	}
	err = load_argv__split(&probe, spec->args, spec->loop_size ? "/dev/loopN" : NULL);
	if (err) {
		snprintf(errbuf, errlen, "load.%s: %s", spec->name, err == -EINVAL ?
			 "args use {dev} but no loop-size is set" : "args too long");
		goto out_err;
	}

	l = calloc(1, sizeof(*l));
	if (!l) {
		err = -ENOMEM;
		snprintf(errbuf, errlen, "load.%s: %s", spec->name, strerror(ENOMEM));
		goto out_err;
	}
	l->spec = *spec;
	l->ops = ops;
	if (spec->loop_size) {
		struct blkdev_spec bs = {
			.name = spec->name,
			.size = spec->loop_size,
			.read_iops = spec->read_iops,
			.write_iops = spec->write_iops,
		};
		char why[256] = "";

		err = blkdev__new(&bs, &l->dev, why, sizeof(why));
		if (err) {
			snprintf(errbuf, errlen, "load.%s: %s", spec->name, why[0] ? why : strerror(-err));
			free(l);
			goto out_err;
		}
	}
	if (spec->memory_limit) {
		char why[256] = "";

		err = memcg__new(spec->name, spec->memory_limit,
				 l->dev ? blkdev__cgroup_v2_dir(l->dev) : NULL, &l->mem, why,
				 sizeof(why));
		if (err) {
			snprintf(errbuf, errlen, "load.%s: %s", spec->name,
				 why[0] ? why : strerror(-err));
			blkdev__free(l->dev);
			free(l);
			goto out_err;
		}
	}
	if (errp)
		*errp = 0;
	return l;

out_err:
	if (errp)
		*errp = err;
	return NULL;
}

struct load *load__new(const struct load_spec *spec, char *errbuf, size_t errlen)
{
	return load__new_err(spec, NULL, errbuf, errlen);
}

/*
 * The child joined only one cgroup before exec (child_process has one
 * cgroup_procs): with both a memory limit and a v1 blkio throttle, move it
 * and whatever it forked meanwhile into the throttle's cgroup too. In v2
 * both settings are on one directory and there is nothing to do. A failure
 * stops the tool: it would run unthrottled.
 */
static int load__join_throttle(struct load *l)
{
	const char *procs = l->dev ? blkdev__cgroup_procs(l->dev) : NULL;
	char dir[300];
	int err;

	if (!procs || !strcmp(procs, memcg__procs(l->mem)))
		return 0;
	snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(procs, '/') - procs), procs);
	err = cgroup__move_tree(dir, l->cp.pid);
	if (err >= 0)
		return 0;
	child__stop(&l->cp, 0);
	l->started = false;
	return err;
}

/* Start the tool for one phase (see load.h). */
int load__start(struct load *l, uint64_t duration_ms, const char *outdir, const char *tag)
{
	uint64_t secs = (duration_ms + 999) / 1000;
	int err;

	if (l->cp.running)
		return -EBUSY;
	if (!secs)
		secs = 1;
	snprintf(l->out_path, sizeof(l->out_path), "%s/%s-%s.%s", outdir, tag, l->spec.name,
		 l->ops->ext);
	snprintf(l->log_path, sizeof(l->log_path), "%s/%s-%s.log", outdir, tag, l->spec.name);
	unlink(l->out_path);	/* a stale file must not pass for this phase's result */

	memset(&l->argv, 0, sizeof(l->argv));
	err = l->ops->phase_argv(&l->argv, secs, l->out_path, l->spec.args,
				 l->dev ? blkdev__path(l->dev) : NULL);
	if (err)
		return err;

	memset(&l->cp, 0, sizeof(l->cp));
	l->cp.argv = l->argv.argv;
	l->cp.out_path = l->log_path;
	l->cp.err_path = l->log_path;
	l->cp.cgroup_procs = l->mem ? memcg__procs(l->mem) :
			     l->dev ? blkdev__cgroup_procs(l->dev) : NULL;
	l->duration_ms = secs * 1000;
	clock_gettime(CLOCK_MONOTONIC, &l->t0);
	err = child__start(&l->cp);
	l->started = !err;
	if (!err && l->mem)
		err = load__join_throttle(l);
	return err;
}

int load__poll(struct load *l)
{
	if (!l->started)
		return 1;
	return child__poll(&l->cp);
}

/*
 * End the phase: wait for a tool at or past its time to finish by itself,
 * stop one that is early (the caller cut the phase) or late, then read its
 * output and combine it with how the tool ended.
 */
int load__stop(struct load *l, struct load_result *res)
{
	const struct timespec tick = { .tv_nsec = 20 * 1000 * 1000 };
	bool stopped = false;
	double measured_s;
	char how[48];
	int err;

	memset(res, 0, sizeof(*res));
	res->unit = l->ops->unit;
	if (!l->started) {
		snprintf(res->note, sizeof(res->note), "not started");
		return -EINVAL;
	}
	if (!child__poll(&l->cp)) {
		if (ms_since(&l->t0) + LOAD_SLACK_MS >= l->duration_ms)
			while (!child__poll(&l->cp) && ms_since(&l->t0) < l->duration_ms + LOAD_FINISH_MS)
				nanosleep(&tick, NULL);
		if (l->cp.running) {
			stopped = true;
			child__stop(&l->cp, LOAD_GRACE_MS);
		}
	}
	if (l->dev)
		blkdev__kill_tasks(l->dev);	/* fio's jobs left our process group */
	if (l->mem)
		memcg__kill_tasks(l->mem);
	measured_s = ms_since(&l->t0) / 1000.0;
	l->started = false;

	err = l->ops->parse(l->out_path, res);
	if (res->wall_s <= 0)
		res->wall_s = measured_s;
	child__describe(l->cp.status, how, sizeof(how));

	if (stopped) {
		if (!err)
			snprintf(res->note, sizeof(res->note), "stopped by hldbench after %.1fs",
				 measured_s);
		else
			snprintf(res->note, sizeof(res->note), "stopped by hldbench after %.1fs (%s), "
				 "no results", measured_s, how);
		return err;
	}
	if (WIFEXITED(l->cp.status) && l->ops->untrusted_status &&
	    WEXITSTATUS(l->cp.status) == l->ops->untrusted_status) {
		res->valid = false;
		res->untrusted = true;
		snprintf(res->note, sizeof(res->note), "%s exited with status %d: its metrics may be "
			 "untrustworthy (%s(1))", l->ops->name, l->ops->untrusted_status,
			 l->ops->name);
		return -EIO;
	}
	if (!WIFEXITED(l->cp.status) || WEXITSTATUS(l->cp.status)) {
		res->valid = false;
		snprintf(res->note, sizeof(res->note), "%s: %s (see %.60s)", l->ops->name, how,
			 strrchr(l->log_path, '/') ? strrchr(l->log_path, '/') + 1 : l->log_path);
		return -EIO;
	}
	return err;
}

void load__free(struct load *l)
{
	if (!l)
		return;
	if (l->cp.running)
		child__stop(&l->cp, LOAD_GRACE_MS);
	if (l->dev)
		blkdev__kill_tasks(l->dev);
	if (l->mem)
		memcg__kill_tasks(l->mem);
	memcg__free(l->mem);
	blkdev__free(l->dev);
	free(l);
}

const char *load__name(const struct load *l)
{
	return l->spec.name;
}

const char *load__tool(const struct load *l)
{
	return l->ops->name;
}

const char *load__device(const struct load *l)
{
	return l->dev ? blkdev__path(l->dev) : "";
}

pid_t load__pid(const struct load *l)
{
	return l->cp.running ? l->cp.pid : 0;
}

const char *load__memcg_dir(const struct load *l)
{
	return l->mem ? memcg__dir(l->mem) : "";
}

const char *load__output_path(const struct load *l)
{
	return l->out_path;
}

const char *load__log_path(const struct load *l)
{
	return l->log_path;
}
