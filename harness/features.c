// SPDX-License-Identifier: GPL-2.0
/*
 * features.c - what each diagnosis feature is and which settings it takes,
 * independent of backend. One option table per feature drives the
 * scenario's [diag] keys, the command line and the help text.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "hld_settings.h"

#define LM(f) offsetof(struct hld_loadmon_settings, f)
static const struct opt load_monitor_opts[] = {
	{ "load", OPT_UINT, LM(load), 0, 0, 100000, "0",
	  .help = "capture when the 1-minute load average of R+D tasks (integer part) "
		  "reaches this (0: off)" },
	{ "load.r", OPT_UINT, LM(load_r), 0, 0, 100000, "0",
	  .help = "capture when the 1-minute load average of R tasks (integer part) "
		  "reaches this (0: off)" },
	{ "load.d", OPT_UINT, LM(load_d), 0, 0, 100000, "0",
	  .help = "capture when the 1-minute load average of D tasks (load - load.r, "
		  "integer part) reaches this (0: off)" },
	{ "task.d", OPT_UINT, LM(task_d), 0, 0, 100000, "0",
	  .help = "capture when this many tasks are in D state at a check (0: off)" },
	{ "task.r", OPT_UINT, LM(task_r), 0, 0, 100000, "0",
	  .help = "capture when this many tasks are runnable at a check: spikes the "
		  "load averages smooth away (0: off)" },
	{ "interval", OPT_DURATION, LM(interval_ms), 0, 10, 10000, "10ms",
	  .help = "how often the load is checked" },
	{ "max-tasks", OPT_UINT, LM(max_tasks), 0, 1, 4096, "256",
	  .help = "tasks captured per capture; the rest are counted as dropped" },
	{ "min-gap", OPT_DURATION, LM(min_gap_ms), 0, 0, 3600000, "1s",
	  .help = "rate limit: at least this long between two captures" },
	{ "user-stacks", OPT_UINT, LM(user_stacks), 0, 0, 1, "1",
	  .help = "also capture user stacks where the kernel allows (0/1)" },
	OPT_END
};

#define PF(f) offsetof(struct hld_perf_settings, f)
static const struct opt perf_opts[] = {
	{ "freq", OPT_UINT, PF(freq), 0, 1, 10000, "99",
	  .help = "samples per second per CPU" },
	{ "pid", OPT_INT, PF(pid), 0, -1, 4194304, "-1",
	  .help = "only this thread (-1: any)" },
	{ "tgid", OPT_INT, PF(tgid), 0, -1, 4194304, "-1",
	  .help = "only this process (-1: any)" },
	{ "cpu", OPT_INT, PF(cpu), 0, -1, 8191, "-1",
	  .help = "only this CPU (-1: all)" },
	{ "comm", OPT_STR, PF(comm), sizeof(((struct hld_perf_settings *)0)->comm), 0, 0, "",
	  .help = "only tasks with this comm (empty: any)" },
	{ "kernel", OPT_UINT, PF(kernel), 0, 0, 1, "1",
	  .help = "record kernel stacks (0/1)" },
	{ "user", OPT_UINT, PF(user), 0, 0, 1, "1",
	  .help = "record user stacks (0/1)" },
	OPT_END
};

typedef struct hld_loadmon_settings load_monitor_settings_t;
typedef struct hld_perf_settings perf_settings_t;

#define AT(f) offsetof(struct hld_alloctop_settings, f)
static const struct opt alloc_top_opts[] = {
	{ "top", OPT_UINT, AT(top), 0, 1, 100000, "20",
	  .help = "processes listed, most pages first" },
	{ "tgid", OPT_INT, AT(tgid), 0, -1, 4194304, "-1",
	  .help = "only this process (-1: any)" },
	OPT_END
};

typedef struct hld_alloctop_settings alloc_top_settings_t;

#define EC(f) offsetof(struct hld_exec_settings, f)
static const struct opt exec_monitor_opts[] = {
	{ "comm", OPT_STR, EC(comm), sizeof(((struct hld_exec_settings *)0)->comm), 0, 0, "",
	  .help = "only execs whose new comm is this (empty: any)" },
	{ "ancestor", OPT_INT, EC(ancestor), 0, -1, 4194304, "-1",
	  .help = "only execs with this tgid among their 8 nearest ancestors (-1: any)" },
	{ "ringbuf", OPT_SIZE, EC(ringbuf_size), 0, 4096, 1073741824, "4M",
	  .help = "ring buffer size (rounded up to a power of two): what a persistent "
		  "activation holds between two reports" },
	OPT_END
};

#define EX(f) offsetof(struct hld_exit_settings, f)
static const struct opt exit_monitor_opts[] = {
	{ "comm", OPT_STR, EX(comm), sizeof(((struct hld_exit_settings *)0)->comm), 0, 0, "",
	  .help = "only tasks with this comm (empty: any)" },
	{ "tgid", OPT_INT, EX(tgid), 0, -1, 4194304, "-1",
	  .help = "only this process (-1: any)" },
	{ "user-stacks", OPT_UINT, EX(user_stacks), 0, 0, 1, "1",
	  .help = "record the user stack at exit (0/1)" },
	{ "all-threads", OPT_UINT, EX(all_threads), 0, 0, 1, "0",
	  .help = "every thread's exit (1) or thread-group leaders only (0)" },
	{ "ringbuf", OPT_SIZE, EX(ringbuf_size), 0, 4096, 1073741824, "4M",
	  .help = "ring buffer size (rounded up to a power of two): what a persistent "
		  "activation holds between two reports" },
	OPT_END
};

typedef struct hld_exec_settings exec_monitor_settings_t;
typedef struct hld_exit_settings exit_monitor_settings_t;

#define HO(f) offsetof(struct hld_highorder_settings, f)
static const struct opt high_order_opts[] = {
	{ "order", OPT_UINT, HO(order), 0, 1, 10, "3",
	  .help = "record allocations of this order and above" },
	{ "tgid", OPT_INT, HO(tgid), 0, -1, 4194304, "-1",
	  .help = "only this process (-1: any)" },
	{ "user", OPT_UINT, HO(user), 0, 0, 1, "1",
	  .help = "also record user stacks (0/1)" },
	OPT_END
};

typedef struct hld_highorder_settings high_order_settings_t;

#define SC(f) offsetof(struct hld_syscost_settings, f)
static const struct opt sys_cost_opts[] = {
	{ "tgid", OPT_INT, SC(tgid), 0, -1, 4194304, "-1",
	  .help = "only this process (-1: any)" },
	{ "pid", OPT_INT, SC(pid), 0, -1, 4194304, "-1",
	  .help = "only this thread (-1: any)" },
	{ "comm", OPT_STR, SC(comm), sizeof(((struct hld_syscost_settings *)0)->comm), 0, 0, "",
	  .help = "only tasks with this comm (empty: any)" },
	{ "time", OPT_UINT, SC(time), 0, 0, 1, "1",
	  .help = "1: count and time each syscall; 0: count only, at about a quarter "
		  "of the cost (no exit program, no clock reads)" },
	{ "top", OPT_UINT, SC(top), 0, 1, 100000, "20",
	  .help = "rows shown per table in syscost.txt" },
	OPT_END
};
typedef struct hld_syscost_settings sys_cost_settings_t;

#define IS(f) offsetof(struct hld_irqstats_settings, f)
static const struct opt irq_stats_opts[] = {
	{ "top-timers", OPT_UINT, IS(top_timers), 0, 1, 100000, "30",
	  .help = "timer functions listed, most time first" },
	OPT_END
};

typedef struct hld_irqstats_settings irq_stats_settings_t;

#define RT(f) offsetof(struct hld_runtrace_settings, f)
static const struct opt run_trace_opts[] = {
	{ "pid", OPT_INT, RT(pid), 0, -1, 4194304, "-1",
	  .help = "the thread traced (required)" },
	{ "max-events", OPT_UINT, RT(max_events), 0, 1, 10000000, "100000",
	  .help = "intervals recorded per report; the rest are counted as dropped" },
	{ "ringbuf", OPT_SIZE, RT(ringbuf_size), 0, 4096, 1073741824, "4M",
	  .help = "ring buffer size (rounded up to a power of two), split between the "
		  "two generations' buffers" },
	OPT_END
};

typedef struct hld_runtrace_settings run_trace_settings_t;

#define ID(f) offsetof(struct hld_irqdelay_settings, f)
static const struct opt irq_delay_opts[] = {
	{ "period-us", OPT_UINT, ID(period_us), 0, 10, 1000000, "1000",
	  .help = "timer sample period per CPU, in microseconds" },
	{ "threshold-us", OPT_UINT, ID(threshold_us), 0, 0, 10000000, "10000",
	  .help = "a tick that fires more than this after it was due is late (0: every tick)" },
	{ "max-events", OPT_UINT, ID(max_events), 0, 1, 1000000, "1000",
	  .help = "late ticks recorded with a stack; the rest are counted as dropped" },
	OPT_END
};

typedef struct hld_irqdelay_settings irq_delay_settings_t;

#define MX(f) offsetof(struct hld_mutex_settings, f)
static const struct opt mutex_monitor_opts[] = {
	{ "min-wait-ns", OPT_UINT, MX(min_wait_ns), 0, 0, 10000000000ull, "0",
	  .help = "record waits at least this many ns long" },
	{ "top", OPT_UINT, MX(top), 0, 1, 100000, "20",
	  .help = "rows shown in mutex.txt, most wait time first" },
	{ "tgid", OPT_INT, MX(tgid), 0, -1, 4194304, "-1",
	  .help = "only waiters in this process (-1: any)" },
	OPT_END
};

typedef struct hld_mutex_settings mutex_monitor_settings_t;

#define RB(f) offsetof(struct hld_reboot_settings, f)
static const struct opt reboot_opts[] = {
	{ "log", OPT_STR, RB(log), sizeof(((struct hld_reboot_settings *)0)->log), 0, 0,
	  "/var/log/hldbench-reboot.log",
	  .help = "persistent log: one line per call, appended and fsync'ed" },
	{ "user-stacks", OPT_UINT, RB(user_stacks), 0, 0, 1, "1",
	  .help = "also record the caller's user stack (0/1)" },
	OPT_END
};

typedef struct hld_reboot_settings reboot_settings_t;

static const char *const tracepoint_stacks[] = { "both", "kernel", "user", "none", NULL };

#define TP(f) offsetof(struct hld_tracepoint_settings, f)
#define TP_SIZE(f) sizeof(((struct hld_tracepoint_settings *)0)->f)
/* The filters and tables tracepoint and kprobe share; @txt names the report. */
#define TP_FILTER_OPTS(txt)                                                                \
	{ "tgid", OPT_INT, TP(tgid), 0, -1, 4194304, "-1",                                 \
	  .help = "only this process (-1: any)" },                                         \
	{ "pid", OPT_INT, TP(pid), 0, -1, 4194304, "-1",                                   \
	  .help = "only this thread (-1: any)" },                                          \
	{ "cpu", OPT_INT, TP(cpu), 0, -1, 8191, "-1",                                      \
	  .help = "only this CPU (-1: all)" },                                             \
	{ "comm", OPT_STR, TP(comm), TP_SIZE(comm), 0, 0, "",                              \
	  .help = "only tasks with this comm (empty: any)" },                              \
	{ "stacks", OPT_ENUM, TP(stacks), 0, 0, 0, "both", .choices = tracepoint_stacks,   \
	  .help = "stacks recorded with each hit (none: counts only)" },                   \
	{ "top", OPT_UINT, TP(top), 0, 1, 100000, "10",                                    \
	  .help = "processes and stacks shown in " txt ", most hits first" }

static const struct opt tracepoint_opts[] = {
	{ "name", OPT_STR, TP(name), TP_SIZE(name), 0, 0, "", .required = true,
	  .help = "the tracepoint: subsys:event (sched:sched_switch, syscalls:sys_enter_read) "
		  "or a raw tracepoint name (sched_switch)" },
	TP_FILTER_OPTS("tracepoint.txt"),
	OPT_END
};

typedef struct hld_tracepoint_settings tracepoint_settings_t;

/* kprobe shares tracepoint's settings: its name is the function's. */
static const struct opt kprobe_opts[] = {
	{ "function", OPT_STR, TP(name), TP_SIZE(name), 0, 0, "", .required = true,
	  .help = "the kernel function whose entry is probed, as /proc/kallsyms names it "
		  "(do_sys_openat2)" },
	TP_FILTER_OPTS("kprobe.txt"),
	OPT_END
};

typedef struct hld_tracepoint_settings kprobe_settings_t;

const struct diag_desc diag_descs[DIAG_FEATURE__MAX] = {
#define X(id, name, summary) [DIAG_##id] = { name, summary, id##_opts, sizeof(id##_settings_t) },
	HLD_FEATURES(X)
#undef X
};

const struct diag_desc *diag_desc__find(const char *name)
{
	for (int i = 0; i < DIAG_FEATURE__MAX; i++)
		if (!strcmp(diag_descs[i].name, name))
			return &diag_descs[i];
	return NULL;
}

int diag_desc__parse(const struct diag_desc *d, const char *text, void *settings,
		     char *err, size_t len)
{
	char *copy = strdup(text), *save = NULL, why[256];
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (char *kv = strtok_r(copy, " \t,", &save); kv && !ret;
	     kv = strtok_r(NULL, " \t,", &save)) {
		char *eq = strchr(kv, '=');
		const struct opt *o;

		ret = -EINVAL;
		if (!eq) {
			snprintf(err, len, "'%s': expected key=value", kv);
			continue;
		}
		*eq = '\0';
		o = opts__find(d->opts, kv);
		if (!o)
			snprintf(err, len, "%s: unknown key ('hldbench diag %s --help' lists "
				 "%s's settings)", kv, d->name, d->name);
		else if (opts__set(o, settings, eq + 1, why, sizeof(why)))
			snprintf(err, len, "%s: %s", kv, why);
		else
			ret = 0;
	}
	free(copy);
	return ret;
}
