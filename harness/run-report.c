// SPDX-License-Identifier: GPL-2.0
/*
 * run-report.c - after the run: verify the load, compute overhead and
 * accuracy, and write run.json, samples.csv, the charts and the flame graph;
 * summary.md and report.html are then made from those files (report-run.c),
 * as `hldbench report` makes them. Every figure here comes from a measurement of this run; one
 * that could not be measured is written as null and said so.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "flamegraph.h"
#include "hld_settings.h"
#include "json-read.h"
#include "folded.h"
#include "plot.h"
#include "procfs.h"
#include "report.h"
#include "run-command.h"
#include "run.h"
#include "sampler.h"
#include "stats.h"

#define NS 1e9

#define MAX_PAIRS (RUN_MAX_PHASES / 2)

/* The noise floor beside an overhead figure, and where it came from. */
struct noise_floor {
	double pct;			/* NaN: none */
	const char *source;		/* "this run's baselines", "A/A run DIR", "this A/A run" */
	double lo, hi, confidence;	/* the null interval it comes from */
	int n;				/* its differences (or pairs) */
};

/* Overhead of one tool on one load generator, over the rounds. */
struct load_overhead {
	int n;				/* complete, valid baseline/tool pairs */
	int excluded;			/* measured phases of either kind left out: not valid */
	int excluded_phase[RUN_MAX_PHASES];	/* their indices */
	double base[MAX_PAIRS], diag[MAX_PAIRS], loss_pct[MAX_PAIRS];
	double loss_median, loss_min, loss_max, loss_stddev;
	const char *unit;
	/* each phase kind over its valid measured phases, paired or not */
	int nb, nd;
	double base_median, base_mad, diag_median, diag_mad;
	struct stats_hl ci;		/* Hodges-Lehmann overhead and its interval */
	struct noise_floor noise;
	enum stats_verdict verdict;
};

static double t_rel(const struct run *run, uint64_t ns)
{
	return ((double)ns - (double)run->t0_ns) / NS;
}

/* Steady part of each phase: mean R+D against the target. */
static void check_load(struct run *run)
{
	struct load_check *c = &run->check;
	size_t n, m = 0;
	const struct sample *s = sampler__samples(run->sampler, &n);
	double *rd = calloc(n + 1, sizeof(double)), *r = calloc(n + 1, sizeof(double));
	double *d = calloc(n + 1, sizeof(double));
	double *ts = calloc(n + 1, sizeof(double)), *act = calloc(n + 1, sizeof(double));
	double *obs = calloc(n + 1, sizeof(double)), *pred = calloc(n + 1, sizeof(double));
	struct loadavg_fit fit;

	if (!rd || !r || !d || !ts || !act || !obs || !pred)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct phase *ph;

		ts[i] = t_rel(run, s[i].t_ns);
		act[i] = s[i].r + s[i].d;
		obs[i] = s[i].load1;
		if (s[i].phase < 1 || s[i].phase > run->nr_phases)
			continue;
		ph = &run->phases[s[i].phase - 1];
		if (ph->warmup || s[i].t_ns < ph->start_ns + run->sc->warmup_ms * 1000000ull)
			continue;
		rd[m] = s[i].r + s[i].d;
		r[m] = s[i].r;
		d[m] = s[i].d;
		m++;
	}
	c->steady_samples = m;
	c->achieved = stats__mean(rd, m);
	c->mean_r = stats__mean(r, m);
	c->mean_d = stats__mean(d, m);
	c->miss_pct = (c->achieved - run->sc->target_load) / run->sc->target_load * 100;
	run->load_reached = m > 0 && fabs(c->miss_pct) <= run->sc->tolerance_pct;

	if (n && !loadavg__predict(ts, act, obs, n, pred, &fit)) {
		c->ewma_updates = fit.n_updates;
		c->ewma_mean_abs_err = fit.mean_abs_err;
		c->ewma_max_abs_err = fit.max_abs_err;
		c->ewma_final_pred = fit.final_pred;
		c->ewma_final_obs = fit.final_obs;
	} else {
		c->ewma_mean_abs_err = c->ewma_max_abs_err = NAN;
		c->ewma_final_pred = c->ewma_final_obs = NAN;
	}
out:
	free(rd), free(r), free(d), free(ts), free(act), free(obs), free(pred);
}

/* A phase's result for load @li, if the phase is measured and valid. */
static const struct load_result *measured(const struct phase *ph, int li)
{
	if (ph->warmup || !ph->completed || !ph->load[li].valid)
		return NULL;
	return &ph->load[li];
}

/*
 * The noise floor of load @li: from the A/A run given with --noise; in an
 * A/A run, from its own overhead interval; else from the null differences
 * of this run's consecutive baselines (stats__null_differences).
 */
static void noise_of(const struct run *run, int li, const struct load_overhead *o,
		     struct noise_floor *nf)
{
	static char source[600];
	double b[RUN_MAX_PHASES], d[RUN_MAX_PHASES];
	struct stats_hl null;
	size_t nb = 0, m;

	nf->pct = nf->lo = nf->hi = nf->confidence = NAN;
	nf->n = 0;
	if (run->noise_dir) {
		const struct noise_ref *r = &run->noise[li];

		snprintf(source, sizeof(source), "A/A run %s", run->noise_dir);
		nf->source = source;
		if (r->found) {
			nf->pct = r->floor_pct;
			nf->lo = r->lo;
			nf->hi = r->hi;
			nf->confidence = r->confidence;
			nf->n = r->pairs;
		}
		return;
	}
	if (run->aa) {
		nf->source = "this A/A run";
		nf->pct = stats__noise_floor(&o->ci);
		nf->lo = o->ci.lo;
		nf->hi = o->ci.hi;
		nf->confidence = o->ci.confidence;
		nf->n = (int)o->ci.n;
		return;
	}
	nf->source = "this run's baselines";
	for (int p = 0; p < run->nr_phases; p++) {
		const struct load_result *lr = measured(&run->phases[p], li);

		if (lr && run->phases[p].tool < 0)
			b[nb++] = lr->rate;
	}
	m = stats__null_differences(b, nb, d);
	if (stats__hodges_lehmann(d, m, RUN_CONFIDENCE, &null))
		return;
	nf->pct = stats__noise_floor(&null);
	nf->lo = null.lo;
	nf->hi = null.hi;
	nf->confidence = null.confidence;
	nf->n = (int)null.n;
}

/* Throughput lost to tool @ti on load @li, pairing its phase with the baseline of each round. */
static void overhead_of(const struct run *run, int ti, int li, struct load_overhead *o)
{
	double kb[RUN_MAX_PHASES], kd[RUN_MAX_PHASES];

	memset(o, 0, sizeof(*o));
	for (int p = 0; p < run->nr_phases; p++) {
		const struct phase *ph = &run->phases[p];
		const struct load_result *lr = measured(ph, li);

		if (ph->warmup || (ph->tool != -1 && ph->tool != ti))
			continue;
		if (!lr) {
			o->excluded_phase[o->excluded++] = ph->index;
			continue;
		}
		o->unit = lr->unit;
		if (ph->tool < 0)
			kb[o->nb++] = lr->rate;
		else
			kd[o->nd++] = lr->rate;
	}
	for (int rep = 0; rep < (int)run->repeat; rep++) {
		const struct load_result *b = NULL, *dg = NULL;

		for (int p = 0; p < run->nr_phases; p++) {
			const struct phase *ph = &run->phases[p];

			if (ph->rep != rep || !measured(ph, li))
				continue;
			if (ph->tool == ti)
				dg = &ph->load[li];
			else if (ph->tool < 0)
				b = &ph->load[li];
		}
		if (!b || !dg || b->rate <= 0)
			continue;
		o->base[o->n] = b->rate;
		o->diag[o->n] = dg->rate;
		o->loss_pct[o->n] = (b->rate - dg->rate) / b->rate * 100;
		o->n++;
	}
	o->loss_median = stats__median(o->loss_pct, o->n);
	o->loss_min = stats__min(o->loss_pct, o->n);
	o->loss_max = stats__max(o->loss_pct, o->n);
	o->loss_stddev = stats__stddev(o->loss_pct, o->n);
	o->base_median = stats__median(kb, o->nb);
	o->base_mad = stats__mad(kb, o->nb);
	o->diag_median = stats__median(kd, o->nd);
	o->diag_mad = stats__mad(kd, o->nd);
	stats__hodges_lehmann(o->loss_pct, o->n, RUN_CONFIDENCE, &o->ci);
	noise_of(run, li, o, &o->noise);
	o->verdict = stats__verdict(&o->ci, RUN_CONFIDENCE, o->noise.pct);
}

/*
 * One sentence for the verdict, for summary.md, the terminal and run.json's
 * "conclusion".
 */
static void conclusion(const struct load_overhead *o, char *buf, size_t len)
{
	switch (o->verdict) {
	case STATS_NO_DATA:
		snprintf(buf, len, "no valid pair: nothing to conclude");
		break;
	case STATS_TOO_FEW:
		snprintf(buf, len, "too few pairs to conclude: %zu pair(s) reach at most %.1f%% "
			 "confidence (%.0f%% needs 6 or more)", o->ci.n, o->ci.confidence * 100,
			 RUN_CONFIDENCE * 100);
		break;
	case STATS_OVERHEAD:
		snprintf(buf, len, "overhead: the interval lies above zero");
		break;
	case STATS_BELOW_ZERO:
		snprintf(buf, len, "the diagnosed phases did more work (interval below zero): "
			 "drift or noise the interval does not model; nothing to conclude");
		break;
	case STATS_WITHIN_NOISE:
		snprintf(buf, len, "no overhead beyond the noise floor (the interval lies within "
			 "±%.2f%%)", o->noise.pct);
		break;
	case STATS_TOO_NOISY:
		if (isnan(o->noise.pct))
			snprintf(buf, len, "too noisy to conclude: the interval spans zero and "
				 "there is no noise floor to compare it with");
		else
			snprintf(buf, len, "too noisy to conclude: the interval spans zero and "
				 "reaches beyond the noise floor ±%.2f%%", o->noise.pct);
		break;
	}
}

/* Seconds tool @ti's diagnosis was active. */
static double diagnosed_seconds(const struct run *run, int ti)
{
	double s = 0;

	for (int p = 0; p < run->nr_phases; p++)
		if (run->phases[p].diagnosed && run->phases[p].tool == ti)
			s += (run->phases[p].end_ns - run->phases[p].start_ns) / NS;
	return s;
}

/* Kernel-side diagnosis time of tool @ti not already inside its thread's CPU time. */
static uint64_t kernel_extra_ns(const struct run *run, int ti)
{
	const struct run_tool *t = &run->tools[ti];
	uint64_t ns = 0;

	for (int i = 0; i < t->nr_feats; i++)
		if (!t->feats[i]->kernel_cost_in_thread)
			ns += t->feats[i]->kernel_run_ns;
	return ns;
}

/*
 * CPU time of tool @ti's own processes during its phases (a peer's perf,
 * bpftrace, strace), once ready; @startup: what getting ready took instead.
 */
static uint64_t peer_tool_ns(const struct run *run, int ti, bool startup)
{
	const struct run_tool *t = &run->tools[ti];
	uint64_t ns = 0;

	for (int i = 0; i < t->nr_feats; i++)
		ns += startup ? t->feats[i]->tool_startup_cpu_ns : t->feats[i]->tool_cpu_ns;
	return ns;
}

/* Everything tool @ti's diagnosis cost in CPU time over its phases. */
static uint64_t diag_total_ns(const struct run *run, int ti)
{
	return run->tools[ti].diag_thread_ns + kernel_extra_ns(run, ti) + peer_tool_ns(run, ti, false);
}

/* Tool @ti's diagnosis CPU over its diagnosed seconds, percent of one CPU. */
static double diag_cpu_pct(const struct run *run, int ti)
{
	double s = diagnosed_seconds(run, ti);

	return s > 0 ? diag_total_ns(run, ti) / (s * NS) * 100 : NAN;
}

/* Mean of the sampler's R (or D) over tool @ti's diagnosed phases. */
static double sampler_mean_in_diag(const struct run *run, int ti, bool want_d)
{
	size_t n;
	const struct sample *s = sampler__samples(run->sampler, &n);
	double sum = 0;
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		const struct phase *ph;

		if (s[i].phase < 1 || s[i].phase > run->nr_phases)
			continue;
		ph = &run->phases[s[i].phase - 1];
		if (!ph->diagnosed || ph->tool != ti)
			continue;
		sum += want_d ? s[i].d : s[i].r;
		m++;
	}
	return m ? sum / m : NAN;
}

struct diag_feature *run__feature(const struct run *run, int tool, enum diag_feature_id id)
{
	const struct run_tool *t;

	if (tool < 0 || tool >= run->nr_tools)
		return NULL;
	t = &run->tools[tool];
	for (int i = 0; i < t->nr_feats; i++)
		if (t->feats[i]->ops->id == id)
			return t->feats[i];
	return NULL;
}

/* First line of `TOOL --version`, or NULL. */
static char *tool_version(const char *dir, const char *tool)
{
	char path[PATH_MAX], buf[256] = "";
	const char *argv[] = { tool, "--version", NULL };
	FILE *f;

	snprintf(path, sizeof(path), "%s/.version.tmp", dir);
	if (run_command(argv, path, path) < 0)
		return NULL;
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
	unlink(path);
	return buf[0] ? strdup(buf) : NULL;
}

static void json_environment(const struct run *run, struct json_writer *j)
{
	static const char *const tools[] = { "stress-ng", "fio", "gnuplot" };
	struct utsname u;
	char buf[4096];
	unsigned long long kb = 0;

	uname(&u);
	json__begin_object(j, "environment");
	json__str(j, "kernel", u.release);
	json__str(j, "kernel_version", u.version);
	json__str(j, "machine", u.machine);
	json__str(j, "hostname", u.nodename);
	json__int(j, "cpus_online", sysconf(_SC_NPROCESSORS_ONLN));
	if (!procfs__read("/proc/meminfo", buf, sizeof(buf)))
		sscanf(buf, "MemTotal: %llu kB", &kb);
	json__uint(j, "mem_total_kb", kb);
	json__begin_object(j, "tools");
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		char *v = tool_version(run->dir, tools[i]);

		json__str(j, tools[i], v);
		free(v);
	}
	json__str(j, "libbpf", libbpf_version_string());
	json__end_object(j);
	json__end_object(j);
}

/* Why @ph's measurement cannot be used, or NULL: not completed, or a load's result not valid. */
static const char *phase_invalid(const struct run *run, const struct phase *ph)
{
	static char buf[200];

	if (!ph->completed)
		return "did not run its full length";
	for (int l = 0; l < run->sc->nr_loads; l++) {
		if (ph->load[l].valid)
			continue;
		snprintf(buf, sizeof(buf), "load.%s: %s", run->sc->loads[l].name,
			 ph->load[l].note[0] ? ph->load[l].note : "no valid result");
		return buf;
	}
	return NULL;
}

static void json_phases(const struct run *run, struct json_writer *j)
{
	json__begin_array(j, "phases");
	for (int p = 0; p < run->nr_phases; p++) {
		const struct phase *ph = &run->phases[p];

		json__begin_object(j, NULL);
		json__int(j, "index", ph->index);
		const char *why = phase_invalid(run, ph);

		json__int(j, "repeat", ph->rep + 1);
		json__str(j, "kind", ph->tool >= 0 ? "diagnosed" : "baseline");
		json__str(j, "tool", ph->tool >= 0 ? run->tools[ph->tool].name : NULL);
		json__bool(j, "diagnosis_active", ph->diagnosed);
		json__bool(j, "warmup", ph->warmup);
		json__double(j, "start_s", t_rel(run, ph->start_ns));
		json__double(j, "end_s", t_rel(run, ph->end_ns));
		json__bool(j, "completed", ph->completed);
		json__bool(j, "valid", !why);
		json__str(j, "invalid_reason", why);
		json__bool(j, "in_statistics", !why && !ph->warmup);
		json__begin_array(j, "loads");
		for (int l = 0; l < run->sc->nr_loads; l++) {
			const struct load_result *lr = &ph->load[l];

			json__begin_object(j, NULL);
			json__str(j, "name", run->sc->loads[l].name);
			json__bool(j, "valid", lr->valid);
			json__bool(j, "untrusted", lr->untrusted);
			json__double(j, "rate", lr->valid ? lr->rate : NAN);
			json__str(j, "unit", lr->unit);
			json__uint(j, "ops", lr->ops);
			json__double(j, "wall_s", lr->wall_s);
			json__str(j, "note", lr->note[0] ? lr->note : NULL);
			json__end_object(j);
		}
		json__end_array(j);
		json__end_object(j);
	}
	json__end_array(j);
}

static void json_load(const struct run *run, struct json_writer *j)
{
	const struct load_check *c = &run->check;

	json__double(j, "target_load", run->sc->target_load);
	json__double(j, "tolerance_pct", run->sc->tolerance_pct);
	json__double(j, "achieved_load", c->achieved);
	json__bool(j, "load_reached", run->load_reached);
	json__double(j, "load_miss_pct", c->miss_pct);
	json__begin_object(j, "load");
	json__str(j, "definition", "mean of R+D over the steady part of every measured (not warm-up) phase; "
		  "R = procs_running - 1 (the sampler itself), D = procs_blocked");
	json__double(j, "mean_r", c->mean_r);
	json__double(j, "mean_d", c->mean_d);
	json__uint(j, "steady_samples", c->steady_samples);
	json__uint(j, "warmup_ms", run->sc->warmup_ms);
	json__uint(j, "sample_interval_ms", run->sc->sample_ms);
	json__uint(j, "sampler_missed_ticks", sampler__missed(run->sampler));
	json__bool(j, "sampler_realtime", sampler__realtime(run->sampler));
	json__begin_object(j, "loadavg_model");
	json__str(j, "definition", "1-min loadavg predicted by the kernel's EWMA "
		  "(e = exp(-5/60) per 5 s update) from the sampled R+D");
	json__int(j, "updates", c->ewma_updates);
	json__double(j, "mean_abs_err", c->ewma_mean_abs_err);
	json__double(j, "max_abs_err", c->ewma_max_abs_err);
	json__double(j, "final_predicted", c->ewma_final_pred);
	json__double(j, "final_observed", c->ewma_final_obs);
	json__end_object(j);
	json__end_object(j);
}

/* The overhead interval, the noise floor and the verdict of one throughput entry. */
static void json_overhead_stats(const struct run *run, const struct load_overhead *o,
				struct json_writer *j)
{
	char buf[256];

	json__int(j, "excluded_phases", o->excluded);
	json__begin_array(j, "excluded");
	for (int i = 0; i < o->excluded; i++) {
		const struct phase *ph = &run->phases[o->excluded_phase[i] - 1];

		json__begin_object(j, NULL);
		json__int(j, "phase", ph->index);
		json__str(j, "reason", phase_invalid(run, ph));
		json__end_object(j);
	}
	json__end_array(j);
	json__int(j, "baseline_phases", o->nb);
	json__double(j, "baseline_median", o->base_median);
	json__double(j, "baseline_mad", o->base_mad);
	json__int(j, "diagnosed_phases", o->nd);
	json__double(j, "diagnosed_median", o->diag_median);
	json__double(j, "diagnosed_mad", o->diag_mad);
	json__double(j, "overhead_pct", o->ci.estimate);
	json__double(j, "ci_lo_pct", o->ci.lo);
	json__double(j, "ci_hi_pct", o->ci.hi);
	json__double(j, "confidence", o->ci.confidence);
	json__double(j, "confidence_asked", RUN_CONFIDENCE);
	json__str(j, "ci_method", "Hodges-Lehmann estimate of the median paired loss_pct; "
		  "exact Wilcoxon signed-rank interval (Walsh averages)");
	json__begin_object(j, "noise_floor");
	json__double(j, "pct", o->noise.pct);
	json__str(j, "source", o->noise.source);
	json__double(j, "ci_lo_pct", o->noise.lo);
	json__double(j, "ci_hi_pct", o->noise.hi);
	json__double(j, "confidence", o->noise.confidence);
	json__int(j, "n", o->noise.n);
	json__end_object(j);
	json__str(j, "verdict", stats__verdict_name(o->verdict));
	conclusion(o, buf, sizeof(buf));
	json__str(j, "conclusion", buf);
}

/* Tool @ti's throughput losses, one entry per load. */
static void json_throughput(const struct run *run, int ti, struct json_writer *j)
{
	json__begin_array(j, "throughput");
	for (int l = 0; l < run->sc->nr_loads; l++) {
		struct load_overhead o;

		overhead_of(run, ti, l, &o);
		json__begin_object(j, NULL);
		json__str(j, "load", run->sc->loads[l].name);
		json__str(j, "unit", o.unit);
		json__int(j, "pairs", o.n);
		json__begin_array(j, "baseline");
		for (int i = 0; i < o.n; i++)
			json__double(j, NULL, o.base[i]);
		json__end_array(j);
		json__begin_array(j, "diagnosed");
		for (int i = 0; i < o.n; i++)
			json__double(j, NULL, o.diag[i]);
		json__end_array(j);
		json__begin_array(j, "loss_pct");
		for (int i = 0; i < o.n; i++)
			json__double(j, NULL, o.loss_pct[i]);
		json__end_array(j);
		json__double(j, "loss_pct_median", o.loss_median);
		json__double(j, "loss_pct_min", o.loss_min);
		json__double(j, "loss_pct_max", o.loss_max);
		json__double(j, "loss_pct_stddev", o.loss_stddev);
		json_overhead_stats(run, &o, j);
		json__end_object(j);
	}
	json__end_array(j);
}

/* Tool @ti's "overhead" object: throughput losses and the diagnosis's own CPU. */
static void json_overhead(const struct run *run, int ti, struct json_writer *j)
{
	const struct run_tool *t = &run->tools[ti];
	struct rusage ru;
	double diag_s = diagnosed_seconds(run, ti);

	json__begin_object(j, "overhead");
	json_throughput(run, ti, j);

	json__begin_object(j, "diag_cpu");
	json__double(j, "diagnosed_s", diag_s);
	json__uint(j, "thread_cpu_ns", t->diag_thread_ns);
	json__bool(j, "thread_realtime", t->diag_realtime);
	json__bool(j, "memory_locked", run->memory_locked);
	json__bool(j, "kernel_cost_measured", run->kernel_cost_measured);
	json__begin_array(j, "kernel");
	for (int i = 0; i < t->nr_feats; i++) {
		const struct diag_feature *f = t->feats[i];

		json__begin_object(j, NULL);
		json__str(j, "feature", diag_descs[f->ops->id].name);
		json__uint(j, "run_ns", f->kernel_run_ns);
		json__uint(j, "run_cnt", f->kernel_run_cnt);
		json__bool(j, "in_thread_cpu", f->kernel_cost_in_thread);
		json__end_object(j);
	}
	json__end_array(j);
	json__uint(j, "tool_cpu_ns", peer_tool_ns(run, ti, false));
	json__uint(j, "tool_startup_cpu_ns", peer_tool_ns(run, ti, true));
	json__uint(j, "total_ns", diag_total_ns(run, ti));
	json__double(j, "pct_of_one_cpu", diag_cpu_pct(run, ti));
	json__str(j, "definition", "diagnosis thread CPU time (user+sys, which includes BPF "
		  "iterator programs run from its read()) plus BPF run_time_ns of programs run "
		  "elsewhere (perf_event) plus a peer tool's own processes once ready "
		  "(tool_cpu_ns; getting ready, paid once per phase, is tool_startup_cpu_ns, "
		  "not in the total), over the diagnosed phases");
	json__end_object(j);
	if (!getrusage(RUSAGE_SELF, &ru)) {
		json__double(j, "hldbench_process_cpu_s",
			     ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
			     ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	}
	json__end_object(j);
}

/* Tool @ti's "accuracy" object: its load-monitor against the sampler, its perf against the truth. */
static void json_accuracy(const struct run *run, int ti, struct json_writer *j)
{
	const struct diag_feature *lm = run__feature(run, ti, DIAG_load_monitor);
	const struct truth *t = &run->tools[ti].truth;

	json__begin_object(j, "accuracy");
	if (lm) {
		double sr = sampler_mean_in_diag(run, ti, false);
		double sd = sampler_mean_in_diag(run, ti, true);
		double lr = diag_feature__metric(lm, "mean_r"), ld = diag_feature__metric(lm, "mean_d");

		json__begin_object(j, "load_monitor");
		json__str(j, "definition", "load-monitor's mean R and D per check against the "
			  "sampler's over the diagnosed phases; the sampler's D is procs_blocked "
			  "(tasks in iowait), load-monitor's D is every uninterruptible task");
		json__double(j, "sampler_mean_r", sr);
		json__double(j, "monitor_mean_r", lr);
		json__double(j, "error_r", lr - sr);
		json__double(j, "error_r_pct", sr > 0 ? (lr - sr) / sr * 100 : NAN);
		json__double(j, "sampler_mean_d", sd);
		json__double(j, "monitor_mean_d", ld);
		json__double(j, "error_d", ld - sd);
		json__double(j, "checks", diag_feature__metric(lm, "checks"));
		json__end_object(j);
	}
	json__begin_object(j, "perf");
	json__bool(j, "measured", t->ran);
	if (t->ran) {
		json__str(j, "workload", run->sc->truth_split);
		json__begin_array(j, "expected_pct");
		for (int i = 0; i < t->nr_parts; i++)
			json__double(j, NULL, t->expected_pct[i]);
		json__end_array(j);
		json__begin_array(j, "measured_pct");
		for (int i = 0; i < t->nr_parts; i++)
			json__double(j, NULL, t->measured_pct[i]);
		json__end_array(j);
		json__uint(j, "samples", t->samples);
		json__double(j, "error_pp", t->error_pp);
	} else {
		json__str(j, "note", t->note);
	}
	json__end_object(j);
	if (run__feature(run, ti, DIAG_sys_cost)) {
		json__begin_object(j, "sys_cost");
		json__bool(j, "measured", t->sc_ran);
		if (t->sc_ran) {
			json__str(j, "workload", "syscalls: exactly this many getppid calls");
			json__uint(j, "expected", t->sc_expected);
			json__double(j, "counted", t->sc_counted);
			json__double(j, "error", t->sc_counted - (double)t->sc_expected);
		} else {
			json__str(j, "note", t->sc_note);
		}
		json__end_object(j);
	}
	json__end_object(j);
}

/*
 * Tool @ti's features' reports into @dir (the run's directory for the first
 * tool, a subdirectory named for the tool for the others: their files have
 * the same names).
 */
static void json_features(const struct run *run, int ti, const char *dir,
			  struct json_writer *j)
{
	const struct run_tool *t = &run->tools[ti];

	json__begin_object(j, "features");
	for (int i = 0; i < t->nr_feats; i++) {
		struct diag_feature *f = t->feats[i];
		struct diag_outputs out = { .dir = dir, .json = j };

		json__begin_object(j, diag_descs[f->ops->id].name);
		if (f->ops->report(f, &out))
			json__str(j, "report_error", "the feature could not write its report");
		json__uint(j, "events", f->events);
		json__uint(j, "drops", f->drops);
		json__str(j, "drops_detail", f->drops_detail);
		json__end_object(j);
	}
	json__end_object(j);
}

/* Tool @ti's drops per feature (known once its features reported). */
static void json_drops(const struct run *run, int ti, struct json_writer *j)
{
	const struct run_tool *t = &run->tools[ti];

	json__begin_object(j, "drops");
	for (int i = 0; i < t->nr_feats; i++)
		json__uint(j, diag_descs[t->feats[i]->ops->id].name, t->feats[i]->drops);
	json__uint(j, "sampler_missed_ticks", sampler__missed(run->sampler));
	json__end_object(j);
}

/*
 * "tools": every configuration compared with the baseline, each with the
 * same overhead, accuracy and drops objects as the first tool's top-level
 * ones. The first tool's feature reports are the top-level "features".
 */
static void json_tools(const struct run *run, struct json_writer *j)
{
	char dir[PATH_MAX];

	json__begin_array(j, "tools");
	for (int ti = 0; ti < run->nr_tools; ti++) {
		const struct run_tool *t = &run->tools[ti];

		json__begin_object(j, NULL);
		json__str(j, "name", t->name);
		json__str(j, "backend", t->backend ? t->backend->name : NULL);
		json__bool(j, "available", t->available);
		json__str(j, "unavailable_reason", t->available ? NULL : t->why);
		json__str(j, "features_missing", t->missing[0] ? t->missing : NULL);
		json__begin_array(j, "features_run");
		for (int i = 0; i < t->nr_feats; i++)
			json__str(j, NULL, diag_descs[t->feats[i]->ops->id].name);
		json__end_array(j);
		if (!t->available) {
			json__end_object(j);
			continue;
		}
		json_overhead(run, ti, j);
		if (ti > 0) {
			snprintf(dir, sizeof(dir), "%s/%s", run->dir, t->name);
			if (mkdir(dir, 0755) && errno != EEXIST)
				snprintf(dir, sizeof(dir), "%s", run->dir);
			json__str(j, "files", t->name);
			json_features(run, ti, dir, j);
		}
		json_drops(run, ti, j);
		json_accuracy(run, ti, j);
		json__end_object(j);
	}
	json__end_array(j);
}

static int write_run_json(struct run *run)
{
	char path[PATH_MAX];
	struct json_writer j;
	FILE *f;

	snprintf(path, sizeof(path), "%s/run.json", run->dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	json__init(&j, f, true);
	json__begin_object(&j, NULL);
	json__str(&j, "hldbench", "run");
	json__str(&j, "started_utc", run->started_utc);
	json__bool(&j, "interrupted", run->interrupted);
	json__str(&j, "interrupt_reason", run->interrupted ? run->reason : NULL);
	json__str(&j, "backend", run->backend->name);
	json__bool(&j, "aa", run->aa);
	json__uint(&j, "injected_reader_spin_us", run->inject_spin_us);
	json__begin_object(&j, "scenario");
	json__str(&j, "name", run->sc->name);
	json__str(&j, "description", run->sc->description);
	json__str(&j, "path", run->sc->path);
	json__uint(&j, "phase_ms", run->duration_ms);
	json__uint(&j, "repeat", run->repeat);
	json__uint(&j, "warmup_phases", run->warmup_phases);
	json__str(&j, "tools", run->sc->tools);
	json__uint(&j, "max_drops", run->sc->max_drops);
	json__str(&j, "text", run->sc->text);
	json__end_object(&j);
	json_environment(run, &j);
	json_load(run, &j);
	json_phases(run, &j);
	json_overhead(run, 0, &j);
	json_features(run, 0, run->dir, &j);	/* reports first: they set the metrics accuracy reads */
	json_drops(run, 0, &j);
	json_accuracy(run, 0, &j);
	json_tools(run, &j);
	json__end_object(&j);
	fputc('\n', f);
	return fclose(f) ? -errno : 0;
}

/* load-trend.png/.svg with the phases shaded. */
static int draw_chart(const struct run *run)
{
	struct plot_phase ph[RUN_MAX_PHASES];
	const struct diag_feature *lm = run__feature(run, 0, DIAG_load_monitor);
	struct plot_opts o = {
		.title = run->sc->name,
		.target = run->sc->target_load,
		.tolerance_pct = run->sc->tolerance_pct,
		.threshold = NAN,
		.phases = ph,
		.nr_phases = run->nr_phases,
	};

	if (lm && ((struct hld_loadmon_settings *)lm->settings)->load)
		o.threshold = ((struct hld_loadmon_settings *)lm->settings)->load;
	for (int p = 0; p < run->nr_phases; p++) {
		ph[p].start_s = t_rel(run, run->phases[p].start_ns);
		ph[p].end_s = t_rel(run, run->phases[p].end_ns);
		ph[p].diagnosed = run->phases[p].diagnosed;
	}
	return plot__load_trend(run->dir, &o);
}

/* flame.svg from perf.folded. */
static int draw_flame(const struct run *run)
{
	char in[PATH_MAX], out[PATH_MAX], what[256];

	snprintf(in, sizeof(in), "%s/perf.folded", run->dir);
	snprintf(out, sizeof(out), "%s/flame.svg", run->dir);
	snprintf(what, sizeof(what), "%s, diagnosed phases", run->sc->name);
	return report__flame_svg(in, out, "hldbench perf", what);
}

static void fmt_pct(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%+.2f%%", v);
}

/*
 * "+1.23% (95.0% CI -0.50..+2.90, 6 pairs; noise floor ±1.80% from this
 * run's baselines): too noisy to conclude: ...": an overhead figure, always
 * with its interval and the noise floor beside it.
 */
static void fmt_overhead(const struct load_overhead *o, char *buf, size_t len)
{
	char est[32], lo[32], hi[32], nf[160], concl[256];

	fmt_pct(est, sizeof(est), o->ci.estimate);
	fmt_pct(lo, sizeof(lo), o->ci.lo);
	fmt_pct(hi, sizeof(hi), o->ci.hi);
	if (isnan(o->noise.pct))
		snprintf(nf, sizeof(nf), "no noise floor (%s: too few)", o->noise.source);
	else
		snprintf(nf, sizeof(nf), "noise floor ±%.2f%% from %s", o->noise.pct,
			 o->noise.source);
	conclusion(o, concl, sizeof(concl));
	snprintf(buf, len, "%s (%.1f%% CI %s..%s, %d pairs%s; %s): %s", est,
		 o->ci.confidence * 100, lo, hi, o->n, o->excluded ? ", phases excluded" : "", nf,
		 concl);
}

/* Why each excluded phase was left out, as "phase 3 (reason), ...". */
static void fmt_excluded(const struct run *run, const struct load_overhead *o, char *buf,
			 size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < o->excluded && n < len; i++)
		n += snprintf(buf + n, len - n, "%sphase %d (%s)", i ? ", " : "", o->excluded_phase[i],
			      phase_invalid(run, &run->phases[o->excluded_phase[i] - 1]));
}

/*
 * One line per feature of every tool after @prefix: "perf: 0" (with
 * @events, "perf: 812 events, 0 dropped"), the drops' causes in brackets.
 */
static void print_drops(const struct run *run, FILE *f, const char *prefix, bool events)
{
	for (int ti = 0; ti < run->nr_tools; ti++) {
		const struct run_tool *t = &run->tools[ti];

		for (int i = 0; i < t->nr_feats; i++) {
			const struct diag_feature *ft = t->feats[i];

			fprintf(f, "%s%s%s%s: ", prefix, ti ? t->name : "", ti ? " " : "",
				diag_descs[ft->ops->id].name);
			if (events)
				fprintf(f, "%llu events, %llu dropped", (unsigned long long)ft->events,
					(unsigned long long)ft->drops);
			else
				fprintf(f, "%llu", (unsigned long long)ft->drops);
			fprintf(f, "%s%s%s\n", ft->drops_detail[0] ? " (" : "", ft->drops_detail,
				ft->drops_detail[0] ? ")" : "");
		}
	}
}

/*
 * The A/A run's noise floor per load, by name, from the first tool's
 * overhead.throughput (see run.h). It must be an A/A run that completed.
 */
int run__read_noise(struct run *run, char *err, size_t len)
{
	char path[PATH_MAX];
	struct json_object *root, *tp;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/run.json", run->noise_dir);
	root = json_object_from_file(path);
	if (!root) {
		snprintf(err, len, "cannot read %s: %s", path, json_util_get_last_err());
		return -EINVAL;
	}
	if (!jr__bool(root, "aa")) {
		snprintf(err, len, "%s is not an A/A run (made with hldbench run --aa)", path);
		rc = -EINVAL;
		goto out;
	}
	if (jr__bool(root, "interrupted")) {
		snprintf(err, len, "%s was interrupted: its noise floor is partial; run it again",
			 path);
		rc = -EINVAL;
		goto out;
	}
	tp = jr__get(root, "overhead");
	for (int l = 0; l < run->sc->nr_loads; l++) {
		struct json_object *e = jr__find(tp, "throughput", "load", run->sc->loads[l].name);
		struct json_object *nf = jr__get(e, "noise_floor");
		struct noise_ref *r = &run->noise[l];

		if (e) {
			r->floor_pct = jr__num(nf, "pct");
			r->lo = jr__num(nf, "ci_lo_pct");
			r->hi = jr__num(nf, "ci_hi_pct");
			r->confidence = jr__num(nf, "confidence");
			r->pairs = (int)jr__num(nf, "n");
			r->found = !isnan(r->floor_pct);
		}
		if (!r->found) {
			snprintf(err, len, "%s has no noise floor for load.%s (a scenario with the "
				 "same loads is needed)", path, run->sc->loads[l].name);
			rc = -EINVAL;
			goto out;
		}
	}
out:
	json_object_put(root);
	return rc;
}

void run_report(struct run *run)
{
	char path[PATH_MAX], why[PATH_MAX + 64];
	int err;

	check_load(run);
	snprintf(path, sizeof(path), "%s/samples.csv", run->dir);
	err = sampler__write_csv(run->sampler, path, run->t0_ns);
	if (err)
		fprintf(stderr, "hldbench run: cannot write %s: %s\n", path, strerror(-err));
	err = write_run_json(run);
	if (err)
		fprintf(stderr, "hldbench run: cannot write %s/run.json: %s\n", run->dir,
			strerror(-err));
	err = draw_chart(run);
	if (err)
		fprintf(stderr, "hldbench run: cannot draw %s/load-trend.png: %s "
			"(the gnuplot script is in load-trend.gp)\n", run->dir, strerror(-err));
	if (run__feature(run, 0, DIAG_perf)) {
		err = draw_flame(run);
		if (err)
			fprintf(stderr, "hldbench run: cannot draw %s/flame.svg: %s\n", run->dir,
				strerror(-err));
	}
	err = report__write(run->dir, why, sizeof(why));	/* summary.md, report.html */
	if (err)
		fprintf(stderr, "hldbench run: cannot write the report: %s: %s\n",
			why[0] ? why : run->dir, strerror(-err));
}

void run_print_summary(const struct run *run, FILE *f)
{
	const struct load_check *c = &run->check;
	char buf[1024];

	if (run->interrupted)
		fprintf(f, "INTERRUPTED (%s): partial results\n", run->reason);
	fprintf(f, "load      target %.2f, achieved %.2f (R %.2f D %.2f): %s (%+.1f%%, tolerance ±%.0f%%)\n",
		run->sc->target_load, c->achieved, c->mean_r, c->mean_d,
		run->load_reached ? "reached" : "MISSED", c->miss_pct, run->sc->tolerance_pct);
	fprintf(f, "loadavg   1-min %.2f observed, %.2f predicted by EWMA (mean |err| %.3f)\n",
		c->ewma_final_obs, c->ewma_final_pred, c->ewma_mean_abs_err);
	if (run->aa)
		fprintf(f, "A/A       no diagnosis in any phase: the overheads below are pure noise\n");
	if (run->inject_spin_us)
		fprintf(f, "INJECTED  %s=%llu: a deliberate regression in the diagnosis thread\n",
			DIAG_INJECT_SPIN_ENV, (unsigned long long)run->inject_spin_us);
	for (int ti = 0; ti < run->nr_tools; ti++) {
		if (!run->tools[ti].available) {
			fprintf(f, "overhead  %s: not run: %s\n", run->tools[ti].name,
				run->tools[ti].why);
			continue;
		}
		for (int l = 0; l < run->sc->nr_loads; l++) {
			struct load_overhead o;

			overhead_of(run, ti, l, &o);
			fmt_overhead(&o, buf, sizeof(buf));
			fprintf(f, "overhead  load.%s %s: %s\n", run->sc->loads[l].name,
				run->tools[ti].name, buf);
			if (o.excluded) {
				fmt_excluded(run, &o, buf, sizeof(buf));
				fprintf(f, "excluded  %d phase(s): %s\n", o.excluded, buf);
			}
		}
		if (!run->aa)
			fprintf(f, "diag cpu  %s: %.2f%% of one CPU while diagnosing\n",
				run->tools[ti].name, diag_cpu_pct(run, ti));
	}
	for (int ti = 0; ti < run->nr_tools; ti++) {
		const struct truth *t = &run->tools[ti].truth;

		if (t->ran)
			fprintf(f, "accuracy  perf %s: %.2f pp off the cpu-split %s ground truth "
				"(%llu samples)\n", run->tools[ti].name, t->error_pp,
				run->sc->truth_split, (unsigned long long)t->samples);
		if (t->sc_ran)
			fprintf(f, "accuracy  sys-cost %s: %.0f of the workload's %llu getppid calls "
				"counted\n", run->tools[ti].name, t->sc_counted,
				(unsigned long long)t->sc_expected);
	}
	print_drops(run, f, "drops     ", false);
	fprintf(f, "results   %s/summary.md\n", run->dir);
}
