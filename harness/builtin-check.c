// SPDX-License-Identifier: GPL-2.0
/*
 * builtin-check.c - `hldbench check RUN --baseline FILE`: the CI gate. It
 * reads a run's run.json and a baseline recorded from an earlier run, checks
 * the overhead, the accuracy and the drops against their limits, prints one
 * line per check with the measured value, the limit and the margin, and
 * exits 1 when any check fails. `--write-baseline FILE` records a baseline.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "builtin.h"
#include "json.h"
#include "json-read.h"
#include "run-command.h"

/* Limits when neither the command line nor the baseline gives one. */
#define DEF_MAX_OVERHEAD_PCT	10.0
#define DEF_MAX_ACCURACY_PP	5.0
#define DEF_MAX_LOADMON_R	1.0
#define DEF_MAX_DIAG_CPU_PCT	5.0

struct check_opts {
	const char *run;		/* directory, or its run.json */
	const char *baseline;
	const char *write_baseline;
	const char *note;
	double max_overhead, max_accuracy, max_loadmon, max_diag_cpu;	/* NaN: not given */
};

struct checker {
	int passed, failed, skipped;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hldbench check RUN --baseline FILE [--max-overhead PCT]\n"
		"                      [--max-accuracy-error PP] [--max-loadmon-error R]\n"
		"                      [--max-diag-cpu PCT]\n"
		"       hldbench check RUN --write-baseline FILE [--note TEXT] [limits as above]\n\n"
		"The CI gate: check the run in directory RUN (its run.json) against a baseline\n"
		"recorded from an earlier run. Every check prints PASS, FAIL or SKIP with the\n"
		"measured value, the limit and the margin (limit - measured). It fails when:\n"
		"  - the run was interrupted, or missed its target load;\n"
		"  - a tool's overhead interval lies entirely above --max-overhead, or above\n"
		"    the baseline's overhead plus the noise floor (the larger of the run's\n"
		"    and the baseline's);\n"
		"  - fewer than 2 valid baseline/tool pairs are left;\n"
		"  - the diagnosis's own CPU time exceeds --max-diag-cpu percent of one CPU;\n"
		"  - perf's error against ground truth exceeds --max-accuracy-error, or\n"
		"    load-monitor's mean R is further than --max-loadmon-error from the\n"
		"    sampler's;\n"
		"  - a feature dropped more events than the scenario's [diag] max-drops.\n\n"
		"  --baseline FILE        the baseline (JSON, from --write-baseline)\n"
		"  --max-overhead PCT     allowed throughput loss, percent (default: the\n"
		"                         baseline's limit, else %.0f)\n"
		"  --max-accuracy-error PP  allowed perf error, percentage points (default:\n"
		"                         the baseline's, else %.0f)\n"
		"  --max-loadmon-error R  allowed |load-monitor R - sampler R| (default: the\n"
		"                         baseline's, else %.1f)\n"
		"  --max-diag-cpu PCT     allowed diagnosis CPU, percent of one CPU (default:\n"
		"                         the baseline's, else %.0f)\n"
		"  --write-baseline FILE  record RUN's figures, these limits and where and\n"
		"                         when they were recorded into FILE, then check RUN\n"
		"                         against the limits alone\n"
		"  --note TEXT            how the baseline was recorded, kept in FILE\n\n"
		"Exit status: 0 every check passed, 1 a check failed, 2 bad usage or an\n"
		"unreadable run.json or baseline. docs/run.md describes each check.\n",
		DEF_MAX_OVERHEAD_PCT, DEF_MAX_ACCURACY_PP, DEF_MAX_LOADMON_R, DEF_MAX_DIAG_CPU_PCT);
}

/* A non-negative number option; prints the error and returns -EINVAL. */
static int parse_limit(const char *opt, const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || *end || !(*v >= 0) || *v > 1e6) {
		fprintf(stderr, "hldbench check: --%s: bad value '%s' (a number >= 0)\n", opt, s);
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct check_opts *o)
{
	static const struct option longopts[] = {
		{ "baseline", required_argument, NULL, 'b' },
		{ "write-baseline", required_argument, NULL, 'w' },
		{ "note", required_argument, NULL, 'n' },
		{ "max-overhead", required_argument, NULL, 'o' },
		{ "max-accuracy-error", required_argument, NULL, 'a' },
		{ "max-loadmon-error", required_argument, NULL, 'l' },
		{ "max-diag-cpu", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	o->max_overhead = o->max_accuracy = o->max_loadmon = o->max_diag_cpu = NAN;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->baseline = optarg;
			break;
		case 'w':
			o->write_baseline = optarg;
			break;
		case 'n':
			o->note = optarg;
			break;
		case 'o':
			if (parse_limit("max-overhead", optarg, &o->max_overhead))
				return -EINVAL;
			break;
		case 'a':
			if (parse_limit("max-accuracy-error", optarg, &o->max_accuracy))
				return -EINVAL;
			break;
		case 'l':
			if (parse_limit("max-loadmon-error", optarg, &o->max_loadmon))
				return -EINVAL;
			break;
		case 'c':
			if (parse_limit("max-diag-cpu", optarg, &o->max_diag_cpu))
				return -EINVAL;
			break;
		case 'h':
			usage(stdout);
			exit(HLD_EXIT_OK);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "hldbench check: %s\n", argc - optind ? "one run at a time" :
			"which run? give its directory (hldbench check RUN --baseline FILE)");
		return -EINVAL;
	}
	if (!o->baseline == !o->write_baseline) {
		fprintf(stderr, "hldbench check: give --baseline FILE (check) or --write-baseline "
			"FILE (record one)\n");
		return -EINVAL;
	}
	if (o->note && !o->write_baseline) {
		fprintf(stderr, "hldbench check: --note goes with --write-baseline\n");
		return -EINVAL;
	}
	o->run = argv[optind];
	return 0;
}

/* --- reading run.json -------------------------------------------------- */

/* RUN is a directory with run.json, or the file itself. */
static struct json_object *read_run(const char *run, char *path, size_t len)
{
	size_t n = strlen(run);

	if (n > 5 && !strcmp(run + n - 5, ".json"))
		snprintf(path, len, "%s", run);
	else
		snprintf(path, len, "%s/run.json", run);
	return json_object_from_file(path);
}

/* --- the checks ----------------------------------------------------------- */

/*
 * One check's line: PASS when @measured <= @limit (FAIL otherwise, or when
 * @measured is NaN: not measured); @what names it and @detail says more.
 */
static void check_le(struct checker *c, const char *what, const char *quantity,
		     double measured, double limit, const char *unit, const char *detail)
{
	bool ok = !isnan(measured) && !isnan(limit) && measured <= limit;

	if (ok)
		c->passed++;
	else
		c->failed++;
	if (isnan(measured))
		printf("FAIL  %-34s %s not measured%s%s\n", what, quantity, detail ? "  " : "",
		       detail ? detail : "");
	else
		printf("%s  %-34s %s %.2f%s  limit %.2f%s  margin %+.2f%s%s\n", ok ? "PASS" : "FAIL",
		       what, quantity, measured, unit, limit, unit, limit - measured,
		       detail ? "  " : "", detail ? detail : "");
}

static void check_true(struct checker *c, const char *what, bool ok, const char *detail)
{
	if (ok)
		c->passed++;
	else
		c->failed++;
	printf("%s  %-34s %s\n", ok ? "PASS" : "FAIL", what, detail);
}

static void skip(struct checker *c, const char *what, const char *why)
{
	c->skipped++;
	printf("SKIP  %-34s %s\n", what, why);
}

/* A limit: the command line's, else the baseline's, else the default. */
static double limit_of(double given, struct json_object *base, const char *key, double def)
{
	double b = jr__num(jr__get(base, "limits"), key);

	return !isnan(given) ? given : !isnan(b) ? b : def;
}

/* The run completed, and reached its load. */
static void check_run(struct checker *c, struct json_object *r)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", jr__bool(r, "interrupted") ?
		 (jr__str(r, "interrupt_reason") ? jr__str(r, "interrupt_reason") : "interrupted") :
		 "not interrupted");
	check_true(c, "run completed", !jr__bool(r, "interrupted"), buf);
	snprintf(buf, sizeof(buf), "achieved %.2f, target %.2f ±%.0f%%", jr__num(r, "achieved_load"),
		 jr__num(r, "target_load"), jr__num(r, "tolerance_pct"));
	check_true(c, "load reached", jr__bool(r, "load_reached"), buf);
	if (jr__num(r, "injected_reader_spin_us") > 0)
		printf("NOTE  the run was made with HLDBENCH_INJECT_READER_SPIN_US=%.0f "
		       "(a deliberate regression)\n", jr__num(r, "injected_reader_spin_us"));
}

/* One tool's overhead on one load, against the maximum and against the baseline. */
static void check_overhead(struct checker *c, const char *tool, struct json_object *tp,
			   struct json_object *btp, double max)
{
	const char *load = jr__str(tp, "load") ? jr__str(tp, "load") : "?";
	double lo = jr__num(tp, "ci_lo_pct"), est = jr__num(tp, "overhead_pct");
	double floor = jr__num(jr__get(tp, "noise_floor"), "pct");
	char what[96], detail[256];

	snprintf(detail, sizeof(detail), "(overhead %+.2f%%, %.1f%% CI %+.2f..%+.2f%%, %.0f pairs; "
		 "%s)", est, jr__num(tp, "confidence") * 100, lo, jr__num(tp, "ci_hi_pct"),
		 jr__num(tp, "pairs"), jr__str(tp, "verdict") ? jr__str(tp, "verdict") :
		 "run.json without statistics: an older hldbench");
	snprintf(what, sizeof(what), "overhead %s load.%s <= max", tool, load);
	check_le(c, what, "CI low", lo, max, "%", detail);

	snprintf(what, sizeof(what), "pairs %s load.%s >= 2", tool, load);
	snprintf(detail, sizeof(detail), "%.0f valid pairs, %.0f phase(s) excluded",
		 jr__num(tp, "pairs"), jr__num(tp, "excluded_phases"));
	check_true(c, what, jr__num(tp, "pairs") >= 2, detail);

	snprintf(what, sizeof(what), "overhead %s load.%s vs baseline", tool, load);
	if (!btp) {
		skip(c, what, "the baseline has no figure for this tool and load");
		return;
	}
	{
		double bfloor = jr__num(btp, "noise_floor_pct"), noise;
		double bl = jr__num(btp, "overhead_pct");

		noise = isnan(floor) ? bfloor : isnan(bfloor) ? floor : fmax(floor, bfloor);
		if (isnan(noise))
			noise = 0;
		snprintf(detail, sizeof(detail), "(limit = baseline overhead %+.2f%% + noise floor "
			 "%.2f%%, the larger of the run's %.2f%% and the baseline's %.2f%%)", bl, noise,
			 floor, bfloor);
		check_le(c, what, "CI low", lo, bl + noise, "%", detail);
	}
}

/* A tool's accuracy: perf against ground truth, load-monitor against the sampler. */
static void check_accuracy(struct checker *c, const char *tool, struct json_object *acc,
			   struct json_object *bacc, double max_pp, double max_r)
{
	struct json_object *perf = jr__get(acc, "perf"), *lm = jr__get(acc, "load_monitor");
	char what[96], detail[160];

	snprintf(what, sizeof(what), "accuracy %s perf", tool);
	if (jr__bool(perf, "measured")) {
		snprintf(detail, sizeof(detail), "(%.0f samples)", jr__num(perf, "samples"));
		check_le(c, what, "error", jr__num(perf, "error_pp"), max_pp, " pp", detail);
	} else if (!isnan(jr__num(bacc, "perf_error_pp"))) {
		check_le(c, what, "error", NAN, max_pp, " pp", jr__str(perf, "note"));
	} else {
		skip(c, what, jr__str(perf, "note") ? jr__str(perf, "note") : "not measured");
	}
	snprintf(what, sizeof(what), "accuracy %s sys-cost", tool);
	if (jr__bool(jr__get(acc, "sys_cost"), "measured")) {
		struct json_object *sc = jr__get(acc, "sys_cost");

		snprintf(detail, sizeof(detail), "(%.0f of %.0f getppid calls counted: exact or "
			 "nothing)", jr__num(sc, "counted"), jr__num(sc, "expected"));
		check_le(c, what, "|miscount|", fabs(jr__num(sc, "error")), 0, "", detail);
	} else if (jr__get(acc, "sys_cost")) {
		skip(c, what, jr__str(jr__get(acc, "sys_cost"), "note"));
	}
	snprintf(what, sizeof(what), "accuracy %s load-monitor", tool);
	if (lm) {
		snprintf(detail, sizeof(detail), "(monitor R %.2f vs sampler R %.2f)",
			 jr__num(lm, "monitor_mean_r"), jr__num(lm, "sampler_mean_r"));
		check_le(c, what, "|R error|", fabs(jr__num(lm, "error_r")), max_r, "", detail);
	} else {
		skip(c, what, "load-monitor did not run");
	}
}

/* A tool's drops per feature, against the scenario's max-drops. */
static void check_drops(struct checker *c, const char *tool, struct json_object *drops,
			double allowed)
{
	char what[96];

	json_object_object_foreach(drops, feature, v) {
		if (!strcmp(feature, "sampler_missed_ticks"))
			continue;
		snprintf(what, sizeof(what), "drops %s %s", tool, feature);
		check_le(c, what, "dropped", json_object_get_double(v), allowed, "",
			 "([diag] max-drops)");
	}
}

/*
 * Every check on run.json @r against baseline @b (NULL when writing one:
 * the limits alone). Returns the number of failures.
 */
static int check_all(struct json_object *r, struct json_object *b, const struct check_opts *o)
{
	double max_ov = limit_of(o->max_overhead, b, "max_overhead_pct", DEF_MAX_OVERHEAD_PCT);
	double max_pp = limit_of(o->max_accuracy, b, "max_accuracy_error_pp", DEF_MAX_ACCURACY_PP);
	double max_r = limit_of(o->max_loadmon, b, "max_loadmon_error_r", DEF_MAX_LOADMON_R);
	double max_cpu = limit_of(o->max_diag_cpu, b, "max_diag_cpu_pct", DEF_MAX_DIAG_CPU_PCT);
	double allowed = jr__num(jr__get(r, "scenario"), "max_drops");
	struct checker c = { 0 };
	struct json_object *t;

	if (isnan(allowed))
		allowed = 0;
	check_run(&c, r);
	if (jr__bool(r, "aa"))
		check_true(&c, "not an A/A run", false, "an A/A run has no diagnosis to check");
	if (!jr__get(r, "tools"))
		check_true(&c, "run.json has tools[]", false, "made by an older hldbench");
	for (size_t i = 0; (t = jr__at(r, "tools", i)); i++) {
		const char *name = jr__str(t, "name") ? jr__str(t, "name") : "?";
		struct json_object *bt = jr__find(b, "tools", "name", name), *tp;
		char what[96];

		if (!jr__bool(t, "available")) {
			snprintf(what, sizeof(what), "tool %s", name);
			skip(&c, what, jr__str(t, "unavailable_reason"));
			continue;
		}
		for (size_t l = 0; (tp = jr__at(jr__get(t, "overhead"), "throughput", l)); l++)
			check_overhead(&c, name, tp, jr__find(bt, "loads", "load", jr__str(tp, "load")),
				       max_ov);
		snprintf(what, sizeof(what), "diag cpu %s <= max", name);
		check_le(&c, what, "CPU", jr__num(jr__get(jr__get(t, "overhead"), "diag_cpu"), "pct_of_one_cpu"),
			 max_cpu, "%", "(of one CPU, diagnosis thread + BPF programs)");
		check_accuracy(&c, name, jr__get(t, "accuracy"), jr__get(bt, "accuracy"), max_pp, max_r);
		check_drops(&c, name, jr__get(t, "drops"), allowed);
	}
	printf("%d checks: %d passed, %d failed, %d skipped\n", c.passed + c.failed + c.skipped,
	       c.passed, c.failed, c.skipped);
	return c.failed;
}

/* --- recording a baseline -------------------------------------------------- */

/* `git describe --always --dirty` of the current directory, or NULL outside a checkout. */
static char *git_describe(void)
{
	const char *argv[] = { "git", "describe", "--always", "--dirty", "--tags", NULL };
	char path[] = "/tmp/hldbench-describe-XXXXXX", buf[128] = "";
	int fd = mkstemp(path);
	FILE *f;

	if (fd < 0)
		return NULL;
	close(fd);
	if (run_command(argv, path, NULL) == 0 && (f = fopen(path, "r"))) {
		if (fgets(buf, sizeof(buf), f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
	unlink(path);
	return buf[0] ? strdup(buf) : NULL;
}

/* The baseline: RUN's figures per tool and load, the limits, and provenance. */
static int write_baseline(struct json_object *r, const char *run_path, const struct check_opts *o)
{
	struct json_object *env = jr__get(r, "environment"), *t, *tp, *acc;
	struct json_writer j;
	char now[32], *git = git_describe();
	time_t tt = time(NULL);
	FILE *f = fopen(o->write_baseline, "w");

	if (!f) {
		fprintf(stderr, "hldbench check: cannot write %s: %s\n", o->write_baseline,
			strerror(errno));
		free(git);
		return -errno;
	}
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime(&tt));
	json__init(&j, f, true);
	json__begin_object(&j, NULL);
	json__str(&j, "hldbench", "check-baseline");
	json__int(&j, "version", 1);
	json__begin_object(&j, "recorded");
	json__str(&j, "utc", now);
	json__str(&j, "from_run", run_path);
	json__str(&j, "run_started_utc", jr__str(r, "started_utc"));
	json__str(&j, "scenario", jr__str(jr__get(r, "scenario"), "name"));
	json__str(&j, "backend", jr__str(r, "backend"));
	json__bool(&j, "load_reached", jr__bool(r, "load_reached"));
	json__double(&j, "achieved_load", jr__num(r, "achieved_load"));
	json__double(&j, "target_load", jr__num(r, "target_load"));
	json__str(&j, "kernel", jr__str(env, "kernel"));
	json__int(&j, "cpus_online", (int64_t)jr__num(env, "cpus_online"));
	json__str(&j, "hostname", jr__str(env, "hostname"));
	json__str(&j, "hldbench_git", git);
	json__str(&j, "note", o->note);
	json__end_object(&j);
	json__begin_object(&j, "limits");
	json__double(&j, "max_overhead_pct", !isnan(o->max_overhead) ? o->max_overhead :
		     DEF_MAX_OVERHEAD_PCT);
	json__double(&j, "max_accuracy_error_pp", !isnan(o->max_accuracy) ? o->max_accuracy :
		     DEF_MAX_ACCURACY_PP);
	json__double(&j, "max_loadmon_error_r", !isnan(o->max_loadmon) ? o->max_loadmon :
		     DEF_MAX_LOADMON_R);
	json__double(&j, "max_diag_cpu_pct", !isnan(o->max_diag_cpu) ? o->max_diag_cpu :
		     DEF_MAX_DIAG_CPU_PCT);
	json__end_object(&j);
	json__begin_array(&j, "tools");
	for (size_t i = 0; (t = jr__at(r, "tools", i)); i++) {
		if (!jr__bool(t, "available"))
			continue;
		json__begin_object(&j, NULL);
		json__str(&j, "name", jr__str(t, "name"));
		json__begin_array(&j, "loads");
		for (size_t l = 0; (tp = jr__at(jr__get(t, "overhead"), "throughput", l)); l++) {
			json__begin_object(&j, NULL);
			json__str(&j, "load", jr__str(tp, "load"));
			json__double(&j, "overhead_pct", jr__num(tp, "overhead_pct"));
			json__double(&j, "ci_lo_pct", jr__num(tp, "ci_lo_pct"));
			json__double(&j, "ci_hi_pct", jr__num(tp, "ci_hi_pct"));
			json__double(&j, "confidence", jr__num(tp, "confidence"));
			json__int(&j, "pairs", (int64_t)jr__num(tp, "pairs"));
			json__double(&j, "noise_floor_pct", jr__num(jr__get(tp, "noise_floor"), "pct"));
			json__str(&j, "noise_floor_source", jr__str(jr__get(tp, "noise_floor"), "source"));
			json__end_object(&j);
		}
		json__end_array(&j);
		json__double(&j, "diag_cpu_pct", jr__num(jr__get(jr__get(t, "overhead"), "diag_cpu"),
						     "pct_of_one_cpu"));
		acc = jr__get(t, "accuracy");
		json__begin_object(&j, "accuracy");
		json__double(&j, "perf_error_pp", jr__bool(jr__get(acc, "perf"), "measured") ?
			     jr__num(jr__get(acc, "perf"), "error_pp") : NAN);
		json__double(&j, "loadmon_error_r", jr__num(jr__get(acc, "load_monitor"), "error_r"));
		json__end_object(&j);
		json__end_object(&j);
	}
	json__end_array(&j);
	json__end_object(&j);
	fputc('\n', f);
	free(git);
	if (fclose(f)) {
		fprintf(stderr, "hldbench check: cannot write %s: %s\n", o->write_baseline,
			strerror(errno));
		return -EIO;
	}
	printf("baseline  %s written from %s\n", o->write_baseline, run_path);
	return 0;
}

int cmd_check(int argc, char **argv)
{
	struct check_opts o = { 0 };
	struct json_object *r, *b = NULL;
	char path[PATH_MAX];
	int failed;

	if (parse_args(argc, argv, &o))
		return HLD_EXIT_USAGE;
	r = read_run(o.run, path, sizeof(path));
	if (!r || !json_object_is_type(r, json_type_object)) {
		fprintf(stderr, "hldbench check: cannot read %s: %s\n", path,
			json_util_get_last_err() ? json_util_get_last_err() : "not a JSON object");
		json_object_put(r);
		return HLD_EXIT_USAGE;
	}
	if (o.baseline) {
		b = json_object_from_file(o.baseline);
		if (!b || strcmp(jr__str(b, "hldbench") ? jr__str(b, "hldbench") : "", "check-baseline")) {
			fprintf(stderr, "hldbench check: %s is not a baseline (made with hldbench "
				"check RUN --write-baseline FILE)%s%s\n", o.baseline,
				b ? "" : ": ", b ? "" : json_util_get_last_err());
			json_object_put(b);
			json_object_put(r);
			return HLD_EXIT_USAGE;
		}
		printf("check     %s against %s (recorded %s from %s, kernel %s, %d CPUs, "
		       "hldbench %s)\n", path, o.baseline, jr__str(jr__get(b, "recorded"), "utc"),
		       jr__str(jr__get(b, "recorded"), "from_run"), jr__str(jr__get(b, "recorded"), "kernel"),
		       (int)jr__num(jr__get(b, "recorded"), "cpus_online"),
		       jr__str(jr__get(b, "recorded"), "hldbench_git") ?
		       jr__str(jr__get(b, "recorded"), "hldbench_git") : "unknown");
	} else if (jr__bool(r, "interrupted") || jr__bool(r, "aa")) {
		fprintf(stderr, "hldbench check: %s is %s: not a baseline\n", path,
			jr__bool(r, "aa") ? "an A/A run" : "an interrupted run");
		json_object_put(r);
		return HLD_EXIT_FAIL;
	} else if (write_baseline(r, path, &o)) {
		json_object_put(r);
		return HLD_EXIT_FAIL;
	}
	failed = check_all(r, b, &o);
	json_object_put(b);
	json_object_put(r);
	return failed ? HLD_EXIT_FAIL : HLD_EXIT_OK;
}
