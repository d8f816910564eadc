// SPDX-License-Identifier: GPL-2.0
/*
 * workload-dstate.c - `hldbench workload dstate`: N processes held in D
 * state for a known time (harness/dstate.c, which load-monitor's ground
 * truth, harness/truth-load-monitor.c, uses too).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builtin.h"
#include "dstate.h"
#include "workload.h"

#define DSTATE_BLOCK_TIMEOUT_MS 5000

struct dstate_wl {
	uint64_t count;
	uint64_t duration_ms;
	/* results */
	pid_t pids[DSTATE_MAX];
	int started, failed;
	bool all_blocked;
	uint64_t blocked_after_ns, held_ns;
};

/*
 * Fork the workers, wait until every one is in D state, hold them for the
 * duration (counted from then), release and reap them.
 */
static int dstate_run(void *obj, struct workload_ctx *ctx)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	struct dstate_wl *w = obj;
	uint64_t t0 = workload__now_ns(), t1, end;
	struct dstate *d;
	int err;

	d = dstate__hold((int)w->count, "hld-dstate",
			 w->duration_ms + DSTATE_BLOCK_TIMEOUT_MS + 1000, &err);
	if (!d) {
		snprintf(ctx->error, sizeof(ctx->error), "cannot start %d processes: %s",
			 (int)w->count, strerror(-err));
		return HLD_EXIT_FAIL;
	}
	w->started = dstate__nr(d);
	for (int i = 0; i < w->started; i++)
		w->pids[i] = dstate__pid(d, i);
	w->all_blocked = !dstate__wait_blocked(d, DSTATE_BLOCK_TIMEOUT_MS);
	t1 = workload__now_ns();
	w->blocked_after_ns = t1 - t0;
	end = t1 + w->duration_ms * 1000000ull;
	while (w->all_blocked && !workload_stop && workload__now_ns() < end)
		nanosleep(&tick, NULL);
	w->held_ns = w->all_blocked ? workload__now_ns() - t1 : 0;
	w->failed = dstate__release(d);
	snprintf(ctx->summary, sizeof(ctx->summary), "%d processes in D state for %.3f s "
		 "(all in D %.1f ms after the start)", w->started, w->held_ns / 1e9,
		 w->blocked_after_ns / 1e6);
	if (!w->all_blocked)
		snprintf(ctx->error, sizeof(ctx->error), "not every process was in D state within "
			 "%d ms", DSTATE_BLOCK_TIMEOUT_MS);
	else if (w->failed)
		snprintf(ctx->error, sizeof(ctx->error), "%d processes did not exit cleanly",
			 w->failed);
	return ctx->error[0] ? HLD_EXIT_FAIL : HLD_EXIT_OK;
}

static void dstate_report(const void *obj, struct json_writer *j)
{
	const struct dstate_wl *w = obj;

	json__int(j, "tasks", w->started);
	json__str(j, "task_comm", "hld-dstate");
	json__str(j, "method", "vfork wait (killable, D state; not I/O wait)");
	json__begin_array(j, "pids");
	for (int i = 0; i < w->started; i++)
		json__int(j, NULL, w->pids[i]);
	json__end_array(j);
	json__bool(j, "all_in_d", w->all_blocked);
	json__double(j, "in_d_after_s", w->blocked_after_ns / 1e9);
	json__double(j, "held_s", w->held_ns / 1e9);
	json__int(j, "failed", w->failed);
}

static const struct opt dstate_opts[] = {
	{ "N", OPT_UINT, offsetof(struct dstate_wl, count), .min = 1, .max = DSTATE_MAX,
	  .required = true, .help = "processes to hold in D state" },
	{ "duration", OPT_DURATION, offsetof(struct dstate_wl, duration_ms), .min = 1,
	  .max = 86400000, .def = "5s", .help = "how long to hold them, once all are in D state" },
	OPT_END
};

const struct workload workload_dstate = {
	.name = "dstate",
	.comm = "hld-dstate-wl",
	.summary = "hold N processes in D state (vfork waits) for T (load-monitor's truth)",
	.help = "Fork N processes named hld-dstate, each waiting in the kernel for a\n"
		"vfork-style child that only sleeps: a killable uninterruptible wait, state D,\n"
		"counted in the load average but not as I/O wait (so /proc/stat\n"
		"procs_blocked does not count them). Once /proc/PID/stat shows every one in D,\n"
		"hold them for --duration, then release and reap them. JSON: tasks, their\n"
		"pids, whether all were seen in D and when, how long they were held (measured).",
	.positional = "N",
	.opts = dstate_opts,
	.size = sizeof(struct dstate_wl),
	.run = dstate_run,
	.report = dstate_report,
};
