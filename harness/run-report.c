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
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "flamegraph.h"
#include "hld_settings.h"
#include "folded.h"
#include "plot.h"
#include "procfs.h"
#include "report.h"
#include "run-command.h"
#include "run.h"
#include "sampler.h"
#include "stats.h"

#define NS 1e9

/* Overhead of the diagnosis on one load generator, over the repetitions. */
struct load_overhead {
	int n;				/* complete baseline/diagnosed pairs */
	double base[RUN_MAX_PHASES / 2], diag[RUN_MAX_PHASES / 2], loss_pct[RUN_MAX_PHASES / 2];
	double loss_median, loss_min, loss_max, loss_stddev;
	const char *unit;
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
		if (s[i].t_ns < ph->start_ns + run->sc->warmup_ms * 1000000ull)
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

/* Throughput lost to diagnosis, pairing the phases of each repetition. */
static void overhead_of(const struct run *run, int li, struct load_overhead *o)
{
	memset(o, 0, sizeof(*o));
	for (int rep = 0; rep < (int)run->repeat; rep++) {
		const struct load_result *b = NULL, *dg = NULL;

		for (int p = 0; p < run->nr_phases; p++) {
			const struct phase *ph = &run->phases[p];

			if (ph->rep != rep || !ph->completed || !ph->load[li].valid)
				continue;
			if (ph->diagnosed)
				dg = &ph->load[li];
			else
				b = &ph->load[li];
		}
		if (!b || !dg || b->rate <= 0)
			continue;
		o->unit = b->unit;
		o->base[o->n] = b->rate;
		o->diag[o->n] = dg->rate;
		o->loss_pct[o->n] = (b->rate - dg->rate) / b->rate * 100;
		o->n++;
	}
	o->loss_median = stats__median(o->loss_pct, o->n);
	o->loss_min = stats__min(o->loss_pct, o->n);
	o->loss_max = stats__max(o->loss_pct, o->n);
	o->loss_stddev = stats__stddev(o->loss_pct, o->n);
}

/* Seconds the diagnosis was active. */
static double diagnosed_seconds(const struct run *run)
{
	double s = 0;

	for (int p = 0; p < run->nr_phases; p++)
		if (run->phases[p].diagnosed)
			s += (run->phases[p].end_ns - run->phases[p].start_ns) / NS;
	return s;
}

/* Kernel-side diagnosis time not already inside the diagnosis thread's CPU time. */
static uint64_t kernel_extra_ns(const struct run *run)
{
	uint64_t ns = 0;

	for (int i = 0; i < run->nr_feats; i++)
		if (!run->feats[i]->kernel_cost_in_thread)
			ns += run->feats[i]->kernel_run_ns;
	return ns;
}

/* Mean of the sampler's R (or D) over the diagnosed phases. */
static double sampler_mean_in_diag(const struct run *run, bool want_d)
{
	size_t n;
	const struct sample *s = sampler__samples(run->sampler, &n);
	double sum = 0;
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i].phase < 1 || s[i].phase > run->nr_phases ||
		    !run->phases[s[i].phase - 1].diagnosed)
			continue;
		sum += want_d ? s[i].d : s[i].r;
		m++;
	}
	return m ? sum / m : NAN;
}

static struct diag_feature *find_feature(const struct run *run, enum diag_feature_id id)
{
	for (int i = 0; i < run->nr_feats; i++)
		if (run->feats[i]->ops->id == id)
			return run->feats[i];
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

static void json_phases(const struct run *run, struct json_writer *j)
{
	json__begin_array(j, "phases");
	for (int p = 0; p < run->nr_phases; p++) {
		const struct phase *ph = &run->phases[p];

		json__begin_object(j, NULL);
		json__int(j, "index", ph->index);
		json__int(j, "repeat", ph->rep + 1);
		json__str(j, "kind", ph->diagnosed ? "diagnosed" : "baseline");
		json__double(j, "start_s", t_rel(run, ph->start_ns));
		json__double(j, "end_s", t_rel(run, ph->end_ns));
		json__bool(j, "completed", ph->completed);
		json__begin_array(j, "loads");
		for (int l = 0; l < run->sc->nr_loads; l++) {
			const struct load_result *lr = &ph->load[l];

			json__begin_object(j, NULL);
			json__str(j, "name", run->sc->loads[l].name);
			json__bool(j, "valid", lr->valid);
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
	json__str(j, "definition", "mean of R+D over the steady part of every phase; "
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

static void json_overhead(const struct run *run, struct json_writer *j)
{
	struct rusage ru;
	double diag_s = diagnosed_seconds(run);
	uint64_t kns = kernel_extra_ns(run);

	json__begin_object(j, "overhead");
	json__begin_array(j, "throughput");
	for (int l = 0; l < run->sc->nr_loads; l++) {
		struct load_overhead o;

		overhead_of(run, l, &o);
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
		json__end_object(j);
	}
	json__end_array(j);

	json__begin_object(j, "diag_cpu");
	json__double(j, "diagnosed_s", diag_s);
	json__uint(j, "thread_cpu_ns", run->diag_thread_ns);
	json__bool(j, "thread_realtime", run->diag_realtime);
	json__bool(j, "memory_locked", run->memory_locked);
	json__bool(j, "kernel_cost_measured", run->kernel_cost_measured);
	json__begin_array(j, "kernel");
	for (int i = 0; i < run->nr_feats; i++) {
		const struct diag_feature *f = run->feats[i];

		json__begin_object(j, NULL);
		json__str(j, "feature", diag_descs[f->ops->id].name);
		json__uint(j, "run_ns", f->kernel_run_ns);
		json__uint(j, "run_cnt", f->kernel_run_cnt);
		json__bool(j, "in_thread_cpu", f->kernel_cost_in_thread);
		json__end_object(j);
	}
	json__end_array(j);
	json__uint(j, "total_ns", run->diag_thread_ns + kns);
	json__double(j, "pct_of_one_cpu",
		     diag_s > 0 ? (run->diag_thread_ns + kns) / (diag_s * NS) * 100 : NAN);
	json__str(j, "definition", "diagnosis thread CPU time (user+sys, which includes BPF "
		  "iterator programs run from its read()) plus BPF run_time_ns of programs run "
		  "elsewhere (perf_event), over the diagnosed phases");
	json__end_object(j);
	if (!getrusage(RUSAGE_SELF, &ru)) {
		json__double(j, "hldbench_process_cpu_s",
			     ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
			     ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	}
	json__end_object(j);
}

static void json_accuracy(const struct run *run, struct json_writer *j)
{
	const struct diag_feature *lm = find_feature(run, DIAG_load_monitor);
	const struct truth *t = &run->truth;

	json__begin_object(j, "accuracy");
	if (lm) {
		double sr = sampler_mean_in_diag(run, false), sd = sampler_mean_in_diag(run, true);
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
	json__end_object(j);
}

/* Each feature's report, then the drops they counted (known once they reported). */
static void json_features(const struct run *run, struct json_writer *j)
{
	json__begin_object(j, "features");
	for (int i = 0; i < run->nr_feats; i++) {
		struct diag_feature *f = run->feats[i];
		struct diag_outputs out = { .dir = run->dir, .json = j };

		json__begin_object(j, diag_descs[f->ops->id].name);
		if (f->ops->report(f, &out))
			json__str(j, "report_error", "the feature could not write its report");
		json__uint(j, "events", f->events);
		json__uint(j, "drops", f->drops);
		json__str(j, "drops_detail", f->drops_detail);
		json__end_object(j);
	}
	json__end_object(j);

	json__begin_object(j, "drops");
	for (int i = 0; i < run->nr_feats; i++)
		json__uint(j, diag_descs[run->feats[i]->ops->id].name, run->feats[i]->drops);
	json__uint(j, "sampler_missed_ticks", sampler__missed(run->sampler));
	json__end_object(j);
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
	json__begin_object(&j, "scenario");
	json__str(&j, "name", run->sc->name);
	json__str(&j, "description", run->sc->description);
	json__str(&j, "path", run->sc->path);
	json__uint(&j, "phase_ms", run->duration_ms);
	json__uint(&j, "repeat", run->repeat);
	json__str(&j, "text", run->sc->text);
	json__end_object(&j);
	json_environment(run, &j);
	json_load(run, &j);
	json_phases(run, &j);
	json_overhead(run, &j);
	json_features(run, &j);	/* reports first: they set the metrics accuracy reads */
	json_accuracy(run, &j);
	json__end_object(&j);
	fputc('\n', f);
	return fclose(f) ? -errno : 0;
}

/* load-trend.png/.svg with the phases shaded. */
static int draw_chart(const struct run *run)
{
	struct plot_phase ph[RUN_MAX_PHASES];
	const struct diag_feature *lm = find_feature(run, DIAG_load_monitor);
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
	if (find_feature(run, DIAG_perf)) {
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
	const struct truth *t = &run->truth;
	double diag_s = diagnosed_seconds(run);

	if (run->interrupted)
		fprintf(f, "INTERRUPTED (%s): partial results\n", run->reason);
	fprintf(f, "load      target %.2f, achieved %.2f (R %.2f D %.2f): %s (%+.1f%%, tolerance ±%.0f%%)\n",
		run->sc->target_load, c->achieved, c->mean_r, c->mean_d,
		run->load_reached ? "reached" : "MISSED", c->miss_pct, run->sc->tolerance_pct);
	fprintf(f, "loadavg   1-min %.2f observed, %.2f predicted by EWMA (mean |err| %.3f)\n",
		c->ewma_final_obs, c->ewma_final_pred, c->ewma_mean_abs_err);
	for (int l = 0; l < run->sc->nr_loads; l++) {
		struct load_overhead o;

		overhead_of(run, l, &o);
		fprintf(f, "overhead  load.%s: %.2f%% median throughput loss (%d pairs, %.2f..%.2f)\n",
			run->sc->loads[l].name, o.loss_median, o.n, o.loss_min, o.loss_max);
	}
	fprintf(f, "diag cpu  %.2f%% of one CPU while diagnosing\n",
		diag_s > 0 ? (run->diag_thread_ns + kernel_extra_ns(run)) / (diag_s * NS) * 100 : NAN);
	if (t->ran)
		fprintf(f, "accuracy  perf %.2f pp off the cpu-split %s ground truth (%llu samples)\n",
			t->error_pp, run->sc->truth_split, (unsigned long long)t->samples);
	for (int i = 0; i < run->nr_feats; i++) {
		const struct diag_feature *ft = run->feats[i];

		fprintf(f, "drops     %s: %llu%s%s%s\n", diag_descs[ft->ops->id].name,
			(unsigned long long)ft->drops, ft->drops_detail[0] ? " (" : "",
			ft->drops_detail, ft->drops_detail[0] ? ")" : "");
	}
	fprintf(f, "results   %s/summary.md\n", run->dir);
}
