// SPDX-License-Identifier: GPL-2.0
/*
 * workload-execs.c - N execs of a known binary, one at a time:
 * exec-monitor's ground truth (harness/truth-exec-monitor.c) and
 * `hldbench workload execs`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "builtin.h"
#include "run-command.h"
#include "workload.h"

#define EXECS_MAX 100000

int execs__run(const char *binary, const char *marker, int n, pid_t *pids, int *done)
{
	int failed = 0;

	*done = 0;
	for (int i = 0; i < n && !workload_stop; i++) {
		char idx[16];
		const char *argv[] = { binary, marker, idx, NULL };
		struct child_process cp = { .argv = argv };

		snprintf(idx, sizeof(idx), "%d", i);
		if (child__start(&cp)) {
			failed++;
			continue;
		}
		(*done)++;
		if (pids)
			pids[i] = cp.pid;
		failed += child__wait(&cp) || !WIFEXITED(cp.status) || WEXITSTATUS(cp.status);
	}
	return failed;
}

struct execs_wl {
	uint64_t count;
	char binary[256];
	/* results */
	char marker[64];
	pid_t *pids;
	int done, failed;
};

static int execs_check(void *obj, char *err, size_t len)
{
	struct execs_wl *e = obj;

	if (e->binary[0] != '/' || access(e->binary, X_OK)) {
		snprintf(err, len, "--binary: '%s' is not an absolute path to an executable%s%s",
			 e->binary, e->binary[0] == '/' ? ": " : "",
			 e->binary[0] == '/' ? strerror(errno) : "");
		return -EINVAL;
	}
	return 0;
}

static int execs_run(void *obj, struct workload_ctx *ctx)
{
	struct execs_wl *e = obj;

	snprintf(e->marker, sizeof(e->marker), "hld-execs-%d", getpid());
	e->pids = calloc(e->count, sizeof(*e->pids));
	if (!e->pids) {
		snprintf(ctx->error, sizeof(ctx->error), "out of memory");
		return HLD_EXIT_FAIL;
	}
	e->failed = execs__run(e->binary, e->marker, (int)e->count, e->pids, &e->done);
	snprintf(ctx->summary, sizeof(ctx->summary), "%d execs of %s %s INDEX by pid %d, %d failed",
		 e->done, e->binary, e->marker, getpid(), e->failed);
	if (e->failed)
		snprintf(ctx->error, sizeof(ctx->error), "%d of %d runs of %s failed (exec or exit "
			 "status)", e->failed, e->done, e->binary);
	return e->failed ? HLD_EXIT_FAIL : HLD_EXIT_OK;
}

static void execs_report(const void *obj, struct json_writer *j)
{
	const struct execs_wl *e = obj;

	json__str(j, "binary", e->binary);
	json__begin_array(j, "argv");
	json__str(j, NULL, e->binary);
	json__str(j, NULL, e->marker);
	json__str(j, NULL, "INDEX");
	json__end_array(j);
	json__int(j, "execs", e->done);
	json__int(j, "failed", e->failed);
	json__int(j, "parent", getpid());
	json__begin_array(j, "pids");
	for (int i = 0; i < e->done; i++)
		json__int(j, NULL, e->pids[i]);
	json__end_array(j);
	free(e->pids);
}

static const struct opt execs_opts[] = {
	{ "N", OPT_UINT, offsetof(struct execs_wl, count), .min = 1, .max = EXECS_MAX,
	  .required = true, .help = "execs to make" },
	{ "binary", OPT_STR, offsetof(struct execs_wl, binary), .len = 256, .def = "/bin/true",
	  .help = "absolute path of the program to run; it must exit 0 whatever its arguments" },
	OPT_END
};

const struct workload workload_execs = {
	.name = "execs",
	.comm = "hld-execs",
	.summary = "N execs of a known binary, one at a time (exec-monitor's truth)",
	.help = "Fork and exec BINARY N times, one after the other, each as\n"
		"`BINARY hld-execs-PID INDEX` for INDEX = 0..N-1, each in its own process\n"
		"group, stdio on /dev/null, and wait for it. JSON: the binary, the argv\n"
		"pattern, execs started, failed (exec error or exit status not 0), the\n"
		"parent's pid and every child's pid in order.",
	.positional = "N",
	.opts = execs_opts,
	.size = sizeof(struct execs_wl),
	.check = execs_check,
	.run = execs_run,
	.report = execs_report,
};
