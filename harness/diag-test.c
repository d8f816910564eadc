// SPDX-License-Identifier: GPL-2.0
/*
 * diag-test.c - the frame around each feature's ground-truth test: a
 * private activation, polled by the diagnosis thread, a report written
 * into a temporary directory, expectations printed and counted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag-test.h"
#include "json.h"

const diag_test_fn diag_tests[DIAG_FEATURE__MAX] = {
	[DIAG_sys_cost] = truth__sys_cost,
	[DIAG_tracepoint] = truth__tracepoint,
	[DIAG_kprobe] = truth__kprobe,
	[DIAG_reboot] = truth__reboot,
	[DIAG_high_order] = truth__high_order,
	[DIAG_exec_monitor] = truth__exec_monitor,
	[DIAG_exit_monitor] = truth__exit_monitor,
	[DIAG_run_trace] = truth__run_trace,
	[DIAG_mutex_monitor] = truth__mutex_monitor,
	[DIAG_load_monitor] = truth__load_monitor,
	[DIAG_alloc_top] = truth__alloc_top,
	[DIAG_perf] = truth__perf,
	[DIAG_irq_stats] = truth__irq_stats,
	[DIAG_irq_delay] = truth__irq_delay,
};

void diag_test__say(struct diag_test *t, const char *fmt, ...)
{
	va_list ap;

	fputs("  ", t->out);
	va_start(ap, fmt);
	vfprintf(t->out, fmt, ap);
	va_end(ap);
	fputc('\n', t->out);
	fflush(t->out);
}

int diag_test__activate(struct diag_test *t, const char *fmt, ...)
{
	char text[512] = "", err[512];
	void *settings;
	int ret;

	if (fmt) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(text, sizeof(text), fmt, ap);
		va_end(ap);
	}
	settings = calloc(1, t->desc->settings_size ? t->desc->settings_size : 1);
	if (!settings)
		return -ENOMEM;
	ret = opts__defaults(t->desc->opts, settings);
	if (!ret && text[0])
		ret = diag_desc__parse(t->desc, text, settings, err, sizeof(err));
	if (!ret && t->ops->check && t->ops->check(settings, err, sizeof(err)))
		ret = -EINVAL;
	if (ret == -EINVAL)
		diag_test__say(t, "bad settings: %s", err);
	if (!ret) {
		diag_test__say(t, "activating %s%s%s", t->desc->name, text[0] ? " with " : "",
			       text);
		t->f = diag__open(t->ops, settings);
		ret = t->f ? t->ops->activate(t->f) : -ENOMEM;
	}
	free(settings);
	if (ret)
		return ret;
	t->f->active = true;
	t->runner = diag_runner__start(&t->f, 1, &ret);
	return ret;
}

/* Parse the JSON file @path; NULL if it is missing or malformed. */
static json_object *json_file(const char *path)
{
	return json_object_from_file(path);
}

int diag_test__collect(struct diag_test *t)
{
	struct diag_outputs out = { .dir = t->dir };
	struct json_writer j;
	char path[sizeof(t->dir) + 32];
	uint64_t cpu_ns;
	bool rt;
	FILE *jf;
	int err = 0;

	if (!t->f)
		return -EINVAL;
	if (t->runner)
		err = diag_runner__stop(t->runner, &cpu_ns, &rt);
	t->runner = NULL;
	if (t->f->active) {
		int e = t->ops->deactivate(t->f);

		t->f->active = false;
		if (!err)
			err = e;
	}
	if (err)
		return err;
	jf = fopen(diag_test__path(t, "summary.json", path, sizeof(path)), "w");
	if (!jf)
		return -errno;
	out.json = &j;
	json__init(&j, jf, true);
	json__begin_object(&j, NULL);
	err = t->ops->report(t->f, &out);
	json__end_object(&j);
	if (fclose(jf) && !err)
		err = -EIO;
	if (err)
		return err;
	if (t->summary)
		json_object_put(t->summary);
	t->summary = json_file(path);
	diag_test__say(t, "report: %llu events, %llu dropped",
		       (unsigned long long)t->f->events, (unsigned long long)t->f->drops);
	if (t->f->tool_cpu_ns || t->f->tool_startup_cpu_ns || t->f->tool_post_cpu_ns)
		diag_test__say(t, "peer tool CPU time: %.1f ms getting ready, %.1f ms while active, "
			       "%.1f ms making the report", t->f->tool_startup_cpu_ns / 1e6,
			       t->f->tool_cpu_ns / 1e6, t->f->tool_post_cpu_ns / 1e6);
	return t->summary ? 0 : -EINVAL;
}

const char *diag_test__path(const struct diag_test *t, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", t->dir, name);
	return buf;
}

struct json_object *diag_test__json(const struct diag_test *t, const char *name)
{
	char path[sizeof(t->dir) + 256];

	return json_file(diag_test__path(t, name, path, sizeof(path)));
}

/* Integers print as integers, the rest with three decimals. */
static void print_num(FILE *f, double v)
{
	if (isfinite(v) && v == floor(v) && fabs(v) < 1e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.3f", v);
}

bool diag_test__expect(struct diag_test *t, const char *what, double got, double lo, double hi)
{
	bool ok = got >= lo && got <= hi;	/* NaN never passes */

	t->checks++;
	t->failed += !ok;
	fprintf(t->out, "  %s: expected ", what);
	print_num(t->out, lo);
	if (hi != lo) {
		fputs("..", t->out);
		print_num(t->out, hi);
	}
	fputs(", got ", t->out);
	print_num(t->out, got);
	fprintf(t->out, "  %s\n", ok ? "ok" : "FAIL");
	fflush(t->out);
	return ok;
}

int diag_test__run(const struct diag_ops *ops, FILE *out)
{
	struct diag_test t = {
		.ops = ops,
		.desc = &diag_descs[ops->id],
		.out = out,
		.dir = "/tmp/hldbench-test-XXXXXX",
	};
	diag_test_fn fn = diag_tests[ops->id];
	uint64_t cpu_ns;
	bool rt;
	int err;

	if (!fn)
		return -ENOTSUP;
	if (!mkdtemp(t.dir))
		return -errno;
	fprintf(out, "%s: ground-truth test\n", t.desc->name);
	err = fn(&t);
	if (t.child)
		diag_child__wait(t.child);
	if (t.runner)
		diag_runner__stop(t.runner, &cpu_ns, &rt);
	diag__close(t.f);
	if (t.summary)
		json_object_put(t.summary);
	diag__remove_dir(t.dir);
	if (!err && !t.checks)
		err = -EINVAL;		/* a test that checked nothing proved nothing */
	if (err) {
		fprintf(out, "%s: test could not run: %s\n", t.desc->name, strerror(-err));
		return err;
	}
	fprintf(out, "%s: %s (%d of %d expectations held)\n", t.desc->name,
		t.failed ? "FAIL" : "PASS", t.checks - t.failed, t.checks);
	return t.failed ? 1 : 0;
}

/*
 * The child is named before this returns (it says so on @r): a feature
 * activated next sees only @comm, never the parent's name it had for the
 * instant after fork() (alloc-top keeps the comm of a process's first
 * allocation: on a 6.1 guest it once did not find the child by its name).
 */
int diag_child__start(struct diag_child *c, const char *comm, int (*fn)(void *arg), void *arg)
{
	int p[2], r[2];
	char b = 0;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	if (pipe2(r, O_CLOEXEC)) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0) {
		close(p[0]);
		close(p[1]);
		close(r[0]);
		close(r[1]);
		return -errno;
	}
	if (c->pid == 0) {
		close(p[1]);
		close(r[0]);
		prctl(PR_SET_NAME, comm);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (write(r[1], &b, 1) != 1 || read(p[0], &b, 1) != 1)
			_exit(127);
		_exit(fn(arg));
	}
	close(p[0]);
	close(r[1]);
	if (read(r[0], &b, 1) != 1) {	/* the child died before it was named */
		close(r[0]);
		close(p[1]);
		waitpid(c->pid, NULL, 0);
		return -ECHILD;
	}
	close(r[0]);
	c->go = p[1];
	return 0;
}

int diag_rounds__start(struct diag_rounds *r, const char *comm,
		       int (*fn)(void *arg, int round), void *arg)
{
	int g[2], d[2];
	char b;

	if (pipe2(g, O_CLOEXEC))
		return -errno;
	if (pipe2(d, O_CLOEXEC)) {
		close(g[0]);
		close(g[1]);
		return -errno;
	}
	fflush(NULL);
	r->pid = fork();
	if (r->pid == 0) {
		close(g[1]);
		close(d[0]);
		prctl(PR_SET_NAME, comm);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (write(d[1], "r", 1) != 1)	/* named: see diag_child__start() */
			_exit(1);
		for (int round = 0; read(g[0], &b, 1) == 1; round++)
			if (fn(arg, round) || write(d[1], "d", 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(g[0]);
	close(d[1]);
	r->go = g[1];
	r->done = d[0];
	if (r->pid < 0) {
		diag_rounds__end(r);
		return -errno;
	}
	if (read(r->done, &b, 1) != 1) {
		diag_rounds__end(r);
		return -ECHILD;
	}
	return 0;
}

int diag_rounds__next(struct diag_rounds *r)
{
	char b;
	ssize_t n;

	if (write(r->go, "g", 1) != 1)
		return errno == EPIPE ? -ECHILD : -errno;
	do
		n = read(r->done, &b, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : n ? -errno : -ECHILD;
}

int diag_rounds__end(struct diag_rounds *r)
{
	int status;

	close(r->go);
	close(r->done);
	if (r->pid < 0)
		return -ECHILD;
	while (waitpid(r->pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return status;
}

int diag_child__go(struct diag_child *c)
{
	int ret = write(c->go, "g", 1) == 1 ? 0 : -errno;

	close(c->go);
	c->go = -1;
	return ret;
}

int diag_child__wait(struct diag_child *c)
{
	int status;

	if (c->go >= 0) {		/* never started: let it exit */
		close(c->go);
		c->go = -1;
	}
	while (waitpid(c->pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return status;
}

int diag_test__start_child(struct diag_test *t, struct diag_child *c, const char *comm,
			   int (*fn)(void *arg), void *arg)
{
	int err = diag_child__start(c, comm, fn, arg);

	if (!err)
		t->child = c;
	return err;
}

int diag_test__run_child(struct diag_test *t, struct diag_child *c)
{
	int status;

	diag_child__go(c);
	status = diag_child__wait(c);
	if (t->child == c)
		t->child = NULL;
	if (status < 0)
		return status;
	if (status) {
		diag_test__say(t, "the workload child failed (wait status %#x)", status);
		return -ECHILD;
	}
	return diag_test__collect(t);
}
