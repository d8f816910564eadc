/* SPDX-License-Identifier: GPL-2.0 */
/*
 * load.h - load generators: stress-ng and fio behind one small interface.
 *
 * A scenario's [load.NAME] section (struct load_spec, scenario.h) becomes a
 * struct load. For each phase the harness starts the tool for a fixed time,
 * polls it, stops it and reads back its throughput from the tool's own
 * machine-readable output (stress-ng --yaml, fio --output-format=json):
 *
 *	l = load__new(&sc->loads[i], err, sizeof(err));
 *	load__start(l, sc->duration_ms, outdir, "baseline-1");
 *	while (!load__poll(l) && !phase_over) ...;
 *	load__stop(l, &res);
 *	load__free(l);
 *
 * Each tool is one struct load_ops in its own file (load-stress-ng.c,
 * load-fio.c), listed once in the table in load.c.
 */
#ifndef HLD_LOAD_H
#define HLD_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scenario.h"

struct load_result {
	double rate;		/* summed over stressors / jobs */
	const char *unit;	/* "bogo-ops/s" (stress-ng, real time) or "IOPS" (fio) */
	double wall_s;		/* the tool's own run time; measured by us if it has none */
	uint64_t ops;		/* bogo-ops, or I/Os completed */
	bool valid;		/* output parsed and the tool exited cleanly */
	bool untrusted;		/* the tool said its own counters are unreliable (stress-ng's
				   exit status 7): not valid, whatever its output says */
	char note[128];		/* why not valid, or what to know ("stopped after 3.2s") */
};

struct load;

/*
 * Check that the tool is installed ("stress-ng not found: run 'make deps'
 * (apt-get install stress-ng)", -ENOENT), that the arguments split, and set
 * up the throttled loop device when @spec->loop_size > 0 and the memory
 * cgroup when @spec->memory_limit > 0 (-ENOTSUP with the reason when this
 * machine cannot). The tool of every phase runs in both cgroups. NULL on error, with -errno in *@errp
 * when @errp is given and a message in @err.
 */
struct load *load__new_err(const struct load_spec *spec, int *errp, char *err, size_t errlen);
struct load *load__new(const struct load_spec *spec, char *err, size_t errlen);

/*
 * Start the tool for one phase of @duration_ms (rounded up to whole
 * seconds). Its output goes to OUTDIR/TAG-NAME.yaml or .json, its stdout
 * and stderr to OUTDIR/TAG-NAME.log. 0 or -errno.
 */
int load__start(struct load *l, uint64_t duration_ms, const char *outdir, const char *tag);

/* 1 if the tool has exited (before the phase ended: the phase is cut short), 0 if running. */
int load__poll(struct load *l);

/*
 * End the phase and read the tool's output into @res. A tool still running
 * before its time is up is stopped at once (SIGTERM, then SIGKILL); after
 * its time it is given a few seconds to finish by itself. Returns 0 when
 * @res->valid, else -EIO (the tool failed: died by a signal, exited
 * non-zero) or -EINVAL (no usable output), with @res->note saying why.
 * -EIO with @res->untrusted when the tool exited with its
 * ops->untrusted_status: its rate is kept, for the record, but not valid.
 */
int load__stop(struct load *l, struct load_result *res);

/*
 * Stop the tool if needed, kill what is left in its cgroups, remove them
 * and the loop device, free.
 */
void load__free(struct load *l);

/* The [load.NAME] name, the tool's name, the loop device ("" if none), the pid (0 if not running). */
const char *load__name(const struct load *l);
const char *load__tool(const struct load *l);
const char *load__device(const struct load *l);
pid_t load__pid(const struct load *l);
/* The memory cgroup's directory for memory-limit ("" if none). */
const char *load__memcg_dir(const struct load *l);
/* Paths of the last phase's output and log files. */
const char *load__output_path(const struct load *l);
const char *load__log_path(const struct load *l);

/* --- generator plumbing, shared by load*.c and the tests -------------------- */

#define LOAD_MAX_ARGS 64

/* An argv under construction: pointers into its own buffer. */
struct load_argv {
	const char *argv[LOAD_MAX_ARGS + 1];	/* NULL-terminated */
	int argc;
	char buf[2048];
	size_t used;
};

/* Append one printf-formatted argument. 0 or -E2BIG. */
int load_argv__push(struct load_argv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Append @args split on blanks (no quoting, no shell), with every "{dev}"
 * replaced by @dev. -EINVAL if "{dev}" appears and @dev is NULL, -E2BIG if
 * it does not fit.
 */
int load_argv__split(struct load_argv *a, const char *args, const char *dev);

struct load_ops {
	const char *name;	/* "stress-ng": also the binary looked up in PATH */
	const char *package;	/* Debian package that installs it */
	const char *ext;	/* extension of its machine-readable output */
	const char *unit;	/* unit of load_result.rate */
	/* The exit status by which the tool says its metrics are untrustworthy; 0: none. */
	int untrusted_status;
	/* Append the phase arguments (timeout, output file) and the user's @args. */
	int (*phase_argv)(struct load_argv *a, uint64_t secs, const char *out_path,
			  const char *args, const char *dev);
	/* Parse @path into @res (rate, ops, wall_s; valid on success). 0 or -errno. */
	int (*parse)(const char *path, struct load_result *res);
};

extern const struct load_ops load_stress_ng_ops;
extern const struct load_ops load_fio_ops;

/* The generator for enum load_tool @tool, NULL if out of range. */
const struct load_ops *load__ops(int tool);

/* Parsers, exposed for tests: 0 or -errno (-EINVAL: malformed), note set on error. */
int load__parse_stress_ng_yaml(const char *path, struct load_result *res);
int load__parse_fio_json(const char *path, struct load_result *res);

#endif /* HLD_LOAD_H */
