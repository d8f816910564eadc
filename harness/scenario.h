/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scenario.h - load scenarios: an INI file, fio-style.
 *
 *   [scenario]        name, target load, durations, sampling
 *   [load.NAME]       one per load generator (stress-ng or fio)
 *   [diag]            features to run alongside, and their settings as
 *                     FEATURE.key = value (e.g. load-monitor.load = 4)
 *   [truth]           the ground-truth workload for perf's accuracy
 *
 * Every key is described once, in an option table in scenario.c; the same
 * tables drive parsing, defaults and `hldbench help scenario`.
 */
#ifndef HLD_SCENARIO_H
#define HLD_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"

#define SCEN_MAX_LOADS 8
#define SCEN_NAME_LEN 64
#define SCEN_ARGS_LEN 512
#define SCEN_TOOLS_LEN 128
#define SCEN_MAX_TOOLS 4

enum load_tool {
	LOAD_STRESS_NG,
	LOAD_FIO,
	LOAD_TOOL__MAX,
};

struct load_spec {
	char name[SCEN_NAME_LEN];	/* NAME of [load.NAME] */
	int tool;			/* enum load_tool */
	char args[SCEN_ARGS_LEN];	/* the tool's arguments, split on blanks (no shell);
					   "{dev}" is replaced by the throttled loop device */
	uint64_t loop_size;		/* bytes; >0: create a loop device for {dev} */
	uint64_t read_iops;		/* blkio throttle on that device, 0: none */
	uint64_t write_iops;
	int line;			/* line of the section header */
	uint64_t memory_limit;		/* bytes; >0: the tool runs in a memory cgroup with this limit */
};

struct scenario {
	/* [scenario] */
	char name[SCEN_NAME_LEN];
	char description[256];
	double target_load;		/* mean R+D over the steady part */
	double tolerance_pct;		/* default 10 */
	uint64_t duration_ms;		/* one phase */
	uint64_t warmup_ms;		/* start of each phase left out of the steady part */
	uint64_t sample_ms;		/* sampler interval, 10 ms .. 10 s */
	uint64_t repeat;		/* baseline/diagnosed phase pairs */
	uint64_t warmup_phases;		/* whole phases run first and left out of statistics */

	/* [load.NAME] */
	struct load_spec loads[SCEN_MAX_LOADS];
	int nr_loads;

	/* [diag] */
	bool enabled[DIAG_FEATURE__MAX];	/* from "features = a b" */
	void *settings[DIAG_FEATURE__MAX];	/* every feature, defaults applied */
	char tools[SCEN_TOOLS_LEN];	/* "tools = hldbench ...": what is compared with the
					   baseline, names separated by blanks (checked by
					   `hldbench run`, which knows the backends) */
	int tools_line;			/* where tools was given, 0: the default, -1: run --tools */
	uint64_t max_drops;		/* events each tool's features may drop (hldbench check) */

	/* [truth] */
	bool truth;			/* run the ground-truth phase */
	char truth_split[32];		/* cpu-split shares, "70:30" */
	uint64_t truth_ms;		/* its duration */

	char path[256];			/* file it came from */
	char *text;			/* the whole file, for run.json */
};

/*
 * Parse @text (the contents of @path) into @sc. On error returns -EINVAL and
 * writes "path:line: key: reason" into @err. @sc must be scenario__free()d
 * in both cases.
 */
int scenario__parse(struct scenario *sc, const char *path, const char *text,
		    char *err, size_t errlen);

/* Read and parse a file; the same errors, plus "path: cannot open: ...". */
int scenario__load(struct scenario *sc, const char *path, char *err, size_t errlen);

void scenario__free(struct scenario *sc);

/* `hldbench help scenario`: every section and key with type, range, default. */
void scenario__help(FILE *f);

/*
 * Check a [diag] tools list (the key, or run's --tools): 1 to
 * SCEN_MAX_TOOLS names separated by blanks or commas, none twice. 0, or
 * -EINVAL and the reason in @why. Whether each names a backend is for
 * `hldbench run`.
 */
int scenario__check_tools(const char *tools, char *why, size_t len);

#endif /* HLD_SCENARIO_H */
