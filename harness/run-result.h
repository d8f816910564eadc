/* SPDX-License-Identifier: GPL-2.0 */
/*
 * run-result.h - a finished run read back from its result directory.
 *
 * `hldbench run` writes run.json; everything that reports on a run after the
 * fact (summary.md, report.html, `hldbench compare`) reads it back through
 * run_result__load(), so a report of an old run, or of a run.json edited by
 * hand, is made by the same code as the one written at the end of the run.
 *
 * A figure run.json does not have (an older run, an unmeasured value written
 * as null) is NaN here, or an empty string, and the reports say "n/a".
 */
#ifndef HLD_RUN_RESULT_H
#define HLD_RUN_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define RR_MAX_LOADS	8
#define RR_MAX_PHASES	200
#define RR_MAX_FEATS	64
#define RR_MAX_PARTS	8
#define RR_MAX_TOOLS	16

/* One phase, for the chart's shading. */
struct rr_phase {
	double start_s, end_s;
	bool diagnosed, completed;
};

/*
 * The throughput lost to one tool's diagnosis on one load generator. The
 * estimate, interval, noise floor and verdict come from the statistics of
 * `hldbench run` (Hodges-Lehmann estimate, signed-rank interval, noise
 * floor: docs/run.md) where run.json has them, NaN or "" where it does not
 * (older runs: only the per-pair losses).
 */
struct rr_overhead {
	char tool[64];			/* "hldbench" for a run without tools[] */
	char load[64], unit[32];
	int pairs;
	double base_median, diag_median;	/* medians of the rates */
	double base_mad, diag_mad;		/* their MAD; NaN in older runs */
	double loss_median, loss_min, loss_max, loss_stddev;	/* percent */
	double overhead_pct;			/* Hodges-Lehmann estimate */
	double ci_lo, ci_hi, confidence;	/* its interval and exact level (0..1) */
	double noise_floor_pct;			/* +-this is what noise gives */
	char noise_source[96], verdict[48], conclusion[256];
	int excluded;				/* phases left out */
	char excluded_text[512];		/* "phase N (reason), ..." */
};

/* One feature's delivery accounting (of tool @tool). */
struct rr_feature {
	char tool[64];
	char name[64];
	uint64_t events, drops;
	char drops_detail[256];	/* "cause N, ..." or "" */
};

/* A tool compared with the baseline (run.json's "tools"; one implicit otherwise). */
struct rr_tool {
	char name[64], backend[32];
	bool available;
	char note[256];			/* why it did not run */
	double diag_s, thread_cpu_s, kernel_extra_s, cpu_pct;	/* diagnosis CPU */
	bool kernel_cost_measured;
	double error_pp;		/* perf against the ground truth; NaN: not measured */
	double sc_expected, sc_counted;	/* sys-cost against `workload syscalls`; NaN: not measured */
};

struct run_result {
	char dir[4096];
	struct json_object *root;	/* run.json, for what the fields below omit */

	/* the run */
	char scenario[64], description[256], started_utc[32], backend[32];
	bool interrupted;
	char reason[256];
	double phase_s;
	int repeat;

	/* the machine */
	char kernel[128], hostname[128], machine[32];
	int cpus;

	/* load */
	double target, tolerance_pct, achieved, mean_r, mean_d, miss_pct;
	bool load_reached;
	uint64_t steady_samples, warmup_ms, sample_ms, missed_ticks;
	int ewma_updates;
	double ewma_mean_abs_err, ewma_max_abs_err, ewma_final_pred, ewma_final_obs;
	double loadmon_threshold;	/* load-monitor's capture threshold, NaN: none */

	struct rr_phase phases[RR_MAX_PHASES];
	int nr_phases;

	/* overhead, per tool and load */
	bool aa;			/* an A/A run: every overhead is noise */
	int warmup_phases;		/* -1: not recorded (older runs) */
	uint64_t inject_spin_us;	/* injected regression, 0: none */
	struct rr_overhead loads[RR_MAX_LOADS * RR_MAX_TOOLS];
	int nr_loads;
	bool has_stats;			/* run.json has the overhead statistics */

	/* accuracy */
	bool has_loadmon;
	double lm_mean_r, lm_mean_d, lm_sampler_r, lm_sampler_d, lm_checks;
	bool perf_measured;
	char perf_workload[32], perf_note[256];
	int nr_parts;
	double expected_pct[RR_MAX_PARTS], measured_pct[RR_MAX_PARTS];
	uint64_t perf_samples;
	double perf_error_pp;

	/* drops */
	struct rr_feature feats[RR_MAX_FEATS];
	int nr_feats;
	bool has_perf;			/* perf was among the first tool's features */

	/* the tools: tools[0] is the one the top-level figures describe */
	struct rr_tool tools[RR_MAX_TOOLS];
	int nr_tools;
	bool has_tools;			/* run.json has a "tools" array */
};

/*
 * Read @dir/run.json into a new run_result. Returns 0, -ENOENT when @dir has
 * no run.json (not a result directory), -EINVAL when run.json is not JSON or
 * not a hldbench run (a reason in @err), or -ENOMEM. Prints nothing.
 */
int run_result__load(const char *dir, struct run_result **out, char *err, size_t errlen);
void run_result__free(struct run_result *r);

/* Path of @name inside the run's directory, in @buf. */
const char *run_result__path(const struct run_result *r, const char *name,
			     char *buf, size_t len);

/*
 * What a comparison can use as the loss's uncertainty: the signed-rank
 * interval where run.json has one, else the per-pair min..max. Sets [@lo,
 * @hi], writes a short name of the basis into @basis ("96.9% CI", "pair
 * range") and returns true, or false when there is none (fewer than two
 * pairs and no interval).
 */
bool rr_loss_interval(const struct rr_overhead *o, double *lo, double *hi,
		      char *basis, size_t len);

/* The overhead figure: the Hodges-Lehmann estimate, else the median loss. */
double rr_overhead_estimate(const struct rr_overhead *o);

/* The entry of tool @tool (NULL: any) and load @load in @r, or NULL. */
const struct rr_overhead *rr_find_overhead(const struct run_result *r, const char *tool,
					   const char *load);

#endif /* HLD_RUN_RESULT_H */
