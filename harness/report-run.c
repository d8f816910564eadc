// SPDX-License-Identifier: GPL-2.0
/*
 * report-run.c - summary.md and report.html of one run, made from its result
 * directory (run.json, the charts, perf.folded) alone. `hldbench run` calls
 * report__write() once run.json is written, and `hldbench report` calls it on
 * any result directory, so both give the same files.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flamegraph.h"
#include "folded.h"
#include "plot.h"
#include "report.h"

#define N(buf, fmt, v) rpt_num(buf, sizeof(buf), fmt, v)

/* --- tables shared by both formats ------------------------------------------ */

/*
 * Overhead per tool and load generator. With the statistics (run.json from
 * `hldbench run` since issue 5): the medians with their MADs, the
 * Hodges-Lehmann overhead, its interval and level, the noise floor and the
 * verdict; without, the per-pair median and range.
 */
static void overhead_table(const struct run_result *r, struct rtable *t)
{
	static const char *const stats_head[] = { "tool", "load", "unit",
		"baseline median (MAD)", "diagnosed median (MAD)", "overhead", "CI",
		"confidence", "pairs", "noise floor", "verdict" };
	static const char *const head[] = { "load", "unit", "baseline", "diagnosed",
		"loss median", "loss min..max" };
	char a[32], b[32], c[32];

	if (!r->has_stats) {
		rtable__init(t, 6, head);
		for (int l = 0; l < r->nr_loads; l++) {
			const struct rr_overhead *o = &r->loads[l];

			rtable__row(t);
			rtable__cell(t, "%s", o->load);
			rtable__cell(t, "%s", o->unit[0] ? o->unit : "-");
			rtable__cell(t, "%s", N(a, "%.1f", o->base_median));
			rtable__cell(t, "%s", N(a, "%.1f", o->diag_median));
			rtable__cell(t, "%s", N(a, "%.2f%%", o->loss_median));
			rtable__cell(t, "%s..%s", N(a, "%+.2f%%", o->loss_min),
				     N(b, "%+.2f%%", o->loss_max));
		}
		return;
	}
	rtable__init(t, 11, stats_head);
	for (int ti = 0; ti < r->nr_tools; ti++) {
		const struct rr_tool *tl = &r->tools[ti];

		if (!tl->available) {
			rtable__row(t);
			rtable__cell(t, "%s", tl->name);
			for (int k = 0; k < 9; k++)
				rtable__cell(t, "-");
			rtable__cell(t, "not run: %s", tl->note);
		}
		for (int l = 0; l < r->nr_loads; l++) {
			const struct rr_overhead *o = &r->loads[l];

			if (strcmp(o->tool, tl->name))
				continue;
			rtable__row(t);
			rtable__cell(t, "%s", o->tool);
			rtable__cell(t, "%s", o->load);
			rtable__cell(t, "%s", o->unit[0] ? o->unit : "-");
			rtable__cell(t, "%s (%s)", N(a, "%.1f", o->base_median), N(b, "%.1f", o->base_mad));
			rtable__cell(t, "%s (%s)", N(a, "%.1f", o->diag_median), N(b, "%.1f", o->diag_mad));
			rtable__strong(t, "%s", N(a, "%+.2f%%", o->overhead_pct));
			rtable__cell(t, "%s..%s", N(a, "%+.2f%%", o->ci_lo), N(b, "%+.2f%%", o->ci_hi));
			rtable__cell(t, "%s", N(a, "%.1f%%", o->confidence * 100));
			rtable__cell(t, "%d", o->pairs);
			rtable__cell(t, "%s (%s)", N(c, "±%.2f%%", o->noise_floor_pct),
				     o->noise_source[0] ? o->noise_source : "no source");
			rtable__cell(t, "%s", o->conclusion[0] ? o->conclusion : o->verdict);
		}
	}
}

/* perf's shares against the ground truth, and load-monitor against the sampler. */
static void accuracy_table(const struct run_result *r, struct rtable *t)
{
	static const char *const head[] = { "feature", "figure", "measured", "truth",
		"error", "based on" };
	char a[32], b[32], c[32];

	rtable__init(t, 6, head);
	for (int i = 0; r->perf_measured && i < r->nr_parts; i++) {
		rtable__row(t);
		rtable__cell(t, "perf");
		rtable__cell(t, "cpu-split %s, part%d share", r->perf_workload, i);
		rtable__cell(t, "%s", N(a, "%.2f%%", r->measured_pct[i]));
		rtable__cell(t, "%s", N(b, "%.2f%%", r->expected_pct[i]));
		rtable__cell(t, "%s", N(c, "%+.2f pp", r->measured_pct[i] - r->expected_pct[i]));
		rtable__cell(t, "%llu samples", (unsigned long long)r->perf_samples);
	}
	if (r->perf_measured) {
		rtable__row(t);
		rtable__cell(t, "perf");
		rtable__cell(t, "largest share error");
		rtable__cell(t, "-");
		rtable__cell(t, "-");
		rtable__strong(t, "%s", N(a, "%.2f pp", r->perf_error_pp));
		rtable__cell(t, "%llu samples", (unsigned long long)r->perf_samples);
	} else if (r->has_perf) {
		rtable__row(t);
		rtable__cell(t, "perf");
		rtable__cell(t, "not measured: %s", r->perf_note[0] ? r->perf_note : "no reason given");
	}
	/* the other tools' perf, scored against the same workload in the truth phase */
	for (int i = 1; i < r->nr_tools; i++) {
		if (!r->tools[i].available)
			continue;
		rtable__row(t);
		rtable__cell(t, "perf of %s", r->tools[i].name);
		rtable__cell(t, "largest share error");
		rtable__cell(t, "-");
		rtable__cell(t, "-");
		if (isnan(r->tools[i].error_pp))
			rtable__cell(t, "not measured");
		else
			rtable__strong(t, "%.2f pp", r->tools[i].error_pp);
		rtable__cell(t, "cpu-split %s", r->perf_workload);
	}
	for (int i = 0; i < r->nr_tools; i++) {
		if (!r->tools[i].available || isnan(r->tools[i].sc_counted))
			continue;
		rtable__row(t);
		rtable__cell(t, "sys-cost of %s", r->tools[i].name);
		rtable__cell(t, "getppid calls counted");
		rtable__cell(t, "%.0f", r->tools[i].sc_counted);
		rtable__cell(t, "%.0f", r->tools[i].sc_expected);
		rtable__strong(t, "%+.0f", r->tools[i].sc_counted - r->tools[i].sc_expected);
		rtable__cell(t, "workload syscalls");
	}
	if (r->has_loadmon) {
		rtable__row(t);
		rtable__cell(t, "load-monitor");
		rtable__cell(t, "mean R per check");
		rtable__cell(t, "%s", N(a, "%.2f", r->lm_mean_r));
		rtable__cell(t, "%s (sampler)", N(b, "%.2f", r->lm_sampler_r));
		rtable__cell(t, "%s", N(c, "%+.2f", r->lm_mean_r - r->lm_sampler_r));
		rtable__cell(t, "%s checks", N(a, "%.0f", r->lm_checks));
		rtable__row(t);
		rtable__cell(t, "load-monitor");
		rtable__cell(t, "mean D per check");
		rtable__cell(t, "%s", N(a, "%.2f", r->lm_mean_d));
		rtable__cell(t, "%s (sampler, iowait only)", N(b, "%.2f", r->lm_sampler_d));
		rtable__cell(t, "%s", N(c, "%+.2f", r->lm_mean_d - r->lm_sampler_d));
		rtable__cell(t, "%s checks", N(a, "%.0f", r->lm_checks));
	}
}

/* "perf", or "perf of bpf" for a feature of a tool other than the first. */
static const char *feat_name(const struct run_result *r, const struct rr_feature *ft,
			     char *buf, size_t len)
{
	bool first = !strcmp(ft->tool, r->tools[0].name);

	snprintf(buf, len, "%s%s%s", ft->name, first ? "" : " of ", first ? "" : ft->tool);
	return buf;
}

void report__drops_rows(const struct run_result *r, const char *run, struct rtable *t)
{
	char name[160];

	for (int i = 0; i <= r->nr_feats; i++) {
		const struct rr_feature *ft = &r->feats[i];

		rtable__row(t);
		rtable__cell(t, "%s", i < r->nr_feats ? feat_name(r, ft, name, sizeof(name)) :
			     "sampler (late ticks)");
		if (run)
			rtable__cell(t, "%s", run);
		if (i == r->nr_feats) {
			rtable__cell(t, "%llu samples", (unsigned long long)r->steady_samples);
			rtable__cell(t, "%llu", (unsigned long long)r->missed_ticks);
			rtable__cell(t, "-");
			break;
		}
		rtable__cell(t, "%llu", (unsigned long long)ft->events);
		if (ft->drops)
			rtable__strong(t, "%llu", (unsigned long long)ft->drops);
		else
			rtable__cell(t, "0");
		rtable__cell(t, "%s", ft->drops_detail[0] ? ft->drops_detail : "-");
	}
}

/* Every feature's events and drops (zero included), and the sampler's late ticks. */
static void drops_table(const struct run_result *r, struct rtable *t)
{
	static const char *const head[] = { "source", "events", "dropped", "by cause" };

	rtable__init(t, 4, head);
	report__drops_rows(r, NULL, t);
}

/* --- prose shared by both formats ---------------------------------------------- */

static void intro_line(const struct run_result *r, char *buf, size_t len)
{
	snprintf(buf, len, "Started %s, backend %s, %d phase(s) of %.0f s.",
		 r->started_utc, r->backend, r->nr_phases, r->phase_s);
}

/* The load verdict; @em wraps the figures to stress ("**" in Markdown). */
static void load_line(const struct run_result *r, const char *em, char *buf, size_t len)
{
	snprintf(buf, len, "Target %.2f ±%.0f%%: achieved %s%.2f%s (R %.2f + D %.2f), %s by "
		 "%.1f%%: %s%s%s.", r->target, r->tolerance_pct, em, r->achieved, em, r->mean_r,
		 r->mean_d, r->miss_pct < 0 ? "under" : "over", fabs(r->miss_pct), em,
		 r->load_reached ? "target reached" : "target missed", em);
}

static void steady_line(const struct run_result *r, char *buf, size_t len)
{
	snprintf(buf, len, "Achieved load is the mean of R+D (procs_running - 1, procs_blocked) "
		 "over the steady part of each phase (after a %.1f s warm-up), from %llu samples "
		 "every %llu ms; %llu sampler ticks were late.", r->warmup_ms / 1e3,
		 (unsigned long long)r->steady_samples, (unsigned long long)r->sample_ms,
		 (unsigned long long)r->missed_ticks);
}

static void ewma_line(const struct run_result *r, char *buf, size_t len)
{
	snprintf(buf, len, "1-min loadavg against the kernel's EWMA predicted from the samples: "
		 "%d updates, mean |error| %.3f, max %.3f; final predicted %.2f, observed %.2f.",
		 r->ewma_updates, r->ewma_mean_abs_err, r->ewma_max_abs_err, r->ewma_final_pred,
		 r->ewma_final_obs);
}

static void cpu_line(const struct run_result *r, const struct rr_tool *tl, char *buf,
		     size_t len)
{
	char who[80] = "";

	if (r->has_tools)
		snprintf(who, sizeof(who), " (%s)", tl->name);
	snprintf(buf, len, "Diagnosis CPU%s: thread %.3f s + kernel (BPF, outside the thread) "
		 "%.3f s over %.1f s diagnosed = %.2f%% of one CPU%s.", who, tl->thread_cpu_s,
		 tl->kernel_extra_s, tl->diag_s, tl->cpu_pct, tl->kernel_cost_measured ? "" :
		 " (BPF run time not measured: stats unavailable)");
}

static const char loss_note[] = "Loss is (baseline - diagnosed) / baseline for each "
	"repetition (phase order alternates between repetitions).";

static const char stats_note[] = "Loss is (baseline - diagnosed) / baseline for each "
	"round; the overhead is the Hodges-Lehmann estimate of its median with the exact "
	"Wilcoxon signed-rank interval, and the noise floor is the largest |bound| of the "
	"interval that pure noise gives (docs/run.md).";

/*
 * The paragraphs around the overhead table, one per call (@i from 0) until
 * it returns false: the A/A note, the phase plan, phases excluded, the
 * diagnosis CPU of each tool, an injected regression.
 */
static bool overhead_para(const struct run_result *r, int i, char *buf, size_t len)
{
	buf[0] = '\0';
	if (i-- == 0) {
		if (r->aa)
			snprintf(buf, len, "A/A run: the tools' phases ran without diagnosis, so "
				 "every overhead below is pure noise: this run is a noise floor "
				 "(hldbench run --noise %s).", r->dir);
		return true;
	}
	if (i-- == 0) {
		if (r->warmup_phases >= 0)
			snprintf(buf, len, "%d warm-up phase(s) first, not in any statistic; then "
				 "%d round(s) of one baseline and one phase per tool, the order "
				 "rotated each round.", r->warmup_phases, r->repeat);
		return true;
	}
	if (i < r->nr_loads) {
		const struct rr_overhead *o = &r->loads[i];

		if (o->excluded)
			snprintf(buf, len, "%s, load.%s: %d phase(s) excluded: %s.", o->tool,
				 o->load, o->excluded, o->excluded_text);
		return true;
	}
	i -= r->nr_loads;
	if (i < r->nr_tools) {
		if (r->tools[i].available)
			cpu_line(r, &r->tools[i], buf, len);
		return true;
	}
	if (i == r->nr_tools) {
		if (r->inject_spin_us)
			snprintf(buf, len, "Injected regression: the diagnosis thread busy-looped "
				 "%llu µs per poll (for testing hldbench check).",
				 (unsigned long long)r->inject_spin_us);
		return true;
	}
	return false;
}

/* --- summary.md -------------------------------------------------------------------- */

int report__summary_md(const struct run_result *r, FILE *f)
{
	struct rtable t;
	char line[1024], name[160];

	fprintf(f, "# hldbench run: %s\n\n", r->scenario);
	intro_line(r, line, sizeof(line));
	fprintf(f, "%s  \n%s%s\n\n", r->description, line,
		r->interrupted ? " **Interrupted: partial results.**" : "");
	if (r->interrupted)
		fprintf(f, "Interrupted: %s.\n\n", r->reason);
	fprintf(f, "Kernel %s on %s (%s), %d CPUs.\n\n", r->kernel, r->hostname, r->machine,
		r->cpus);

	fprintf(f, "## Load\n\n");
	load_line(r, "**", line, sizeof(line));
	fprintf(f, "%s\n\n", line);
	steady_line(r, line, sizeof(line));
	fprintf(f, "%s\n\n", line);
	ewma_line(r, line, sizeof(line));
	fprintf(f, "%s\n\n![load trend](load-trend.png)\n\n", line);

	fprintf(f, "## Overhead\n\n");
	overhead_table(r, &t);
	rtable__md(&t, f);
	rtable__free(&t);
	fprintf(f, "\n%s\n\n", r->has_stats ? stats_note : loss_note);
	for (int i = 0; overhead_para(r, i, line, sizeof(line)); i++)
		if (line[0])
			fprintf(f, "%s\n\n", line);

	fprintf(f, "## Accuracy\n\n");
	if (r->has_loadmon)
		fprintf(f, "load-monitor mean R %.2f vs sampler %.2f; mean D %.2f vs sampler %.2f "
			"(%.0f checks).\n\n", r->lm_mean_r, r->lm_sampler_r, r->lm_mean_d,
			r->lm_sampler_d, r->lm_checks);
	if (r->perf_measured) {
		fprintf(f, "perf against `hldbench workload cpu-split %s`: ", r->perf_workload);
		for (int i = 0; i < r->nr_parts; i++)
			fprintf(f, "%spart%d %.1f%% measured vs %.1f%% true", i ? ", " : "", i,
				r->measured_pct[i], r->expected_pct[i]);
		fprintf(f, " (%llu samples): error **%.2f pp**.\n\n",
			(unsigned long long)r->perf_samples, r->perf_error_pp);
	} else {
		fprintf(f, "perf accuracy not measured: %s.\n\n",
			r->perf_note[0] ? r->perf_note : "no reason recorded");
	}
	for (int i = 1; i < r->nr_tools; i++)
		if (r->tools[i].available && !isnan(r->tools[i].error_pp))
			fprintf(f, "perf of %s against the same workload: error **%.2f pp**.\n\n",
				r->tools[i].name, r->tools[i].error_pp);
	for (int i = 0; i < r->nr_tools; i++)
		if (r->tools[i].available && !isnan(r->tools[i].sc_counted))
			fprintf(f, "sys-cost of %s against `hldbench workload syscalls %.0f`: "
				"**%.0f** of its %.0f getppid calls counted.\n\n", r->tools[i].name,
				r->tools[i].sc_expected, r->tools[i].sc_counted,
				r->tools[i].sc_expected);

	fprintf(f, "## Drops\n\n");
	for (int i = 0; i < r->nr_feats; i++) {
		const struct rr_feature *ft = &r->feats[i];

		fprintf(f, "- %s: %llu events, %llu dropped%s%s%s\n",
			feat_name(r, ft, name, sizeof(name)),
			(unsigned long long)ft->events, (unsigned long long)ft->drops,
			ft->drops_detail[0] ? " (" : "", ft->drops_detail,
			ft->drops_detail[0] ? ")" : "");
	}
	fprintf(f, "- sampler: %llu late ticks\n", (unsigned long long)r->missed_ticks);

	fprintf(f, "\n## Files\n\n- run.json, samples.csv, load-trend.png/.svg/.gp\n"
		"- report.html: this summary as one self-contained page, charts inline\n"
		"- perf.folded, flame.svg ([flame graph](flame.svg))\n"
		"- loadmon.txt, loadmon.json, loadmon-checks.csv, loadmon.folded\n"
		"- truth/: the ground-truth workload and its profile\n"
		"- phaseN-*.yaml/.json/.log: the load generators' own output\n");
	return ferror(f) ? -EIO : 0;
}

/* --- report.html ------------------------------------------------------------------- */

static void html_para(FILE *f, const char *cls, const char *text)
{
	fprintf(f, cls ? "<p class=\"%s\">" : "<p>", cls);
	html__escape(f, text);
	fputs("</p>\n", f);
}

static void html_table(FILE *f, void (*build)(const struct run_result *, struct rtable *),
		       const struct run_result *r)
{
	struct rtable t;

	build(r, &t);
	rtable__html(&t, f);
	rtable__free(&t);
}

int report__html(const struct run_result *r, FILE *f)
{
	char title[128], line[4800], path[4200];

	snprintf(title, sizeof(title), "hldbench run: %s", r->scenario);
	html__begin(f, title);
	intro_line(r, line, sizeof(line));
	html_para(f, NULL, r->description);
	html_para(f, NULL, line);
	snprintf(line, sizeof(line), "Kernel %s on %s (%s), %d CPUs. Result directory %s.",
		 r->kernel, r->hostname, r->machine, r->cpus, r->dir);
	html_para(f, "note", line);
	if (r->interrupted) {
		snprintf(line, sizeof(line), "Interrupted: %s. These are partial results.",
			 r->reason);
		html_para(f, "warn", line);
	}

	fputs("<h2 id=\"load\">Load</h2>\n", f);
	load_line(r, "", line, sizeof(line));
	fputs(r->load_reached ? "<p>" : "<p class=\"warn\">", f);
	html__escape(f, line);
	fputs("</p>\n", f);
	steady_line(r, line, sizeof(line));
	html_para(f, NULL, line);
	ewma_line(r, line, sizeof(line));
	html_para(f, NULL, line);
	html__inline_svg(f, run_result__path(r, "load-trend.svg", path, sizeof(path)),
			 "load-trend", "Load trend: loadavg 1/5/15, R and D, the EWMA "
			 "prediction, the target band; baseline phases grey, diagnosed orange");

	fputs("<h2 id=\"overhead\">Overhead</h2>\n", f);
	html_table(f, overhead_table, r);
	html_para(f, "note", r->has_stats ? stats_note : loss_note);
	for (int i = 0; overhead_para(r, i, line, sizeof(line)); i++)
		if (line[0])
			html_para(f, NULL, line);

	fputs("<h2 id=\"accuracy\">Accuracy</h2>\n", f);
	html_table(f, accuracy_table, r);

	fputs("<h2 id=\"drops\">Drops</h2>\n", f);
	html_table(f, drops_table, r);

	if (r->has_perf) {
		fputs("<h2 id=\"flame\">Flame graph</h2>\n", f);
		html__inline_svg(f, run_result__path(r, "flame.svg", path, sizeof(path)),
				 "flame", "perf over the diagnosed phases: hover for a frame's "
				 "samples, click to zoom, Search (or Ctrl-F over the graph) "
				 "to highlight a regular expression");
	}
	html__end(f);
	return ferror(f) ? -EIO : 0;
}

/* --- regenerating a result directory ------------------------------------------------ */

/* load-trend.svg from samples.csv and run.json's phases, when it is missing. */
static int redraw_chart(const struct run_result *r)
{
	struct plot_phase ph[RR_MAX_PHASES];
	struct plot_opts o = {
		.title = r->scenario,
		.target = r->target,
		.tolerance_pct = r->tolerance_pct,
		.threshold = r->loadmon_threshold,
		.phases = ph,
		.nr_phases = r->nr_phases,
	};
	char path[4200];

	if (!access(run_result__path(r, "load-trend.svg", path, sizeof(path)), F_OK))
		return 0;
	for (int p = 0; p < r->nr_phases; p++) {
		ph[p].start_s = r->phases[p].start_s;
		ph[p].end_s = r->phases[p].end_s;
		ph[p].diagnosed = r->phases[p].diagnosed;
	}
	return plot__load_trend(r->dir, &o);
}

int report__flame_svg(const char *folded, const char *svg, const char *title,
		      const char *what)
{
	struct flamegraph_opts o;
	struct folded_error fe;
	struct folded *f = folded__new();
	char sub[256];
	FILE *out;
	int err;

	if (!f)
		return -ENOMEM;
	err = folded__load(f, folded, &fe);
	if (err)
		goto out;
	out = fopen(svg, "w");
	if (!out) {
		err = -errno;
		goto out;
	}
	snprintf(sub, sizeof(sub), "%s, %llu samples", what, (unsigned long long)folded__total(f));
	flamegraph_opts__init(&o);
	o.title = title;
	o.subtitle = sub;
	err = flamegraph__write(f, out, &o);
	if (fclose(out) && !err)
		err = -errno;
	if (err)
		unlink(svg);
out:
	folded__free(f);
	return err;
}

/* flame.svg from perf.folded, when it is missing. */
static int redraw_flame(const struct run_result *r)
{
	char in[4200], out[4200], sub[256];

	if (!r->has_perf || !access(run_result__path(r, "flame.svg", out, sizeof(out)), F_OK))
		return 0;
	snprintf(sub, sizeof(sub), "%s, diagnosed phases", r->scenario);
	return report__flame_svg(run_result__path(r, "perf.folded", in, sizeof(in)), out,
				 "hldbench perf", sub);
}

/* Write @name in @r's directory with @fn; the path in @err on failure. */
static int write_file(const struct run_result *r, const char *name,
		      int (*fn)(const struct run_result *, FILE *), char *err, size_t errlen)
{
	char path[4200];
	FILE *f = fopen(run_result__path(r, name, path, sizeof(path)), "w");
	int rc;

	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s", path);
		return rc;
	}
	rc = fn(r, f);
	if (fclose(f) && !rc)
		rc = -errno;
	if (rc)
		snprintf(err, errlen, "%s", path);
	return rc;
}

int report__write(const char *dir, char *err, size_t errlen)
{
	struct run_result *r;
	int rc;

	rc = run_result__load(dir, &r, err, errlen);
	if (rc)
		return rc;
	redraw_chart(r);	/* a chart that cannot be drawn shows as missing */
	redraw_flame(r);
	rc = write_file(r, "summary.md", report__summary_md, err, errlen);
	if (!rc)
		rc = write_file(r, "report.html", report__html, err, errlen);
	run_result__free(r);
	return rc;
}
