// SPDX-License-Identifier: GPL-2.0
/*
 * compare.c - the comparison report of two or more result directories:
 * compare.md and compare.html (self-contained), the load trends overlaid on
 * one chart, and a differential flame graph from A to each other run.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare.h"
#include "flamegraph.h"
#include "folded.h"
#include "plot.h"
#include "report.h"

#define N(buf, fmt, v) rpt_num(buf, sizeof(buf), fmt, v)

struct cmp_ctx {
	struct run_result *const *runs;
	int n;
	const char *outdir;
	char diffs[512];		/* cmp__differences() lines */
	int nr_diffs;
	char trend_note[256];		/* why the overlaid chart is missing, or "" */
	char flame_note[COMPARE_MAX_RUNS][256];	/* why a diff graph is missing, or "" */
};

static char label(int i)
{
	return (char)('A' + i);
}

static const char *verdict_name(enum cmp_verdict v)
{
	return v == CMP_BEYOND ? "yes" : v == CMP_WITHIN ? "no" : "cannot tell";
}

void cmp__overhead(const struct rr_overhead *a, const struct rr_overhead *b,
		   struct cmp_delta *d)
{
	double alo, ahi, blo, bhi, floor = NAN;
	char ia[32], ib[32];
	bool ha = rr_loss_interval(a, &alo, &ahi, ia, sizeof(ia));
	bool hb = rr_loss_interval(b, &blo, &bhi, ib, sizeof(ib));

	d->delta = rr_overhead_estimate(b) - rr_overhead_estimate(a);
	if (isfinite(a->noise_floor_pct))
		floor = a->noise_floor_pct;
	if (isfinite(b->noise_floor_pct) && !(floor >= b->noise_floor_pct))
		floor = b->noise_floor_pct;
	if (!isfinite(d->delta)) {
		d->verdict = CMP_UNKNOWN;
		snprintf(d->basis, sizeof(d->basis), "an overhead is missing");
	} else if (ha && hb) {
		bool apart = ahi < blo || bhi < alo;

		d->verdict = apart && (isnan(floor) || fabs(d->delta) > floor) ?
			     CMP_BEYOND : CMP_WITHIN;
		snprintf(d->basis, sizeof(d->basis), "%s %.2f..%.2f vs %s %.2f..%.2f: %s",
			 ia, alo, ahi, ib, blo, bhi, apart ? "apart" : "overlap");
		if (isfinite(floor))
			snprintf(d->basis + strlen(d->basis), sizeof(d->basis) - strlen(d->basis),
				 "; noise floor %.2f", floor);
	} else if (isfinite(floor)) {
		d->verdict = fabs(d->delta) > floor ? CMP_BEYOND : CMP_WITHIN;
		snprintf(d->basis, sizeof(d->basis), "noise floor %.2f", floor);
	} else {
		d->verdict = CMP_UNKNOWN;
		snprintf(d->basis, sizeof(d->basis), "no spread: %s has one pair and no interval",
			 ha ? "B" : "A");
	}
}

/* Binomial standard error, in points, of share @pct measured with @n samples. */
static double share_se(double pct, uint64_t n)
{
	double p = pct / 100;

	return n ? 100 * sqrt(p * (1 - p) / n) : NAN;
}

void cmp__accuracy(const struct run_result *a, const struct run_result *b,
		   struct cmp_delta *d)
{
	double sa, sb, lim;

	d->delta = b->perf_error_pp - a->perf_error_pp;
	if (!a->perf_measured || !b->perf_measured || !a->nr_parts || !b->nr_parts ||
	    !isfinite(d->delta)) {
		d->verdict = CMP_UNKNOWN;
		snprintf(d->basis, sizeof(d->basis), "perf accuracy not measured in both runs");
		return;
	}
	sa = share_se(a->expected_pct[0], a->perf_samples);
	sb = share_se(b->expected_pct[0], b->perf_samples);
	lim = 1.96 * sqrt(sa * sa + sb * sb);
	d->verdict = fabs(d->delta) > lim ? CMP_BEYOND : CMP_WITHIN;
	snprintf(d->basis, sizeof(d->basis), "binomial: |delta| vs %.2f pp "
		 "(1.96 x sqrt(%.2f^2 + %.2f^2))", lim, sa, sb);
}

int cmp__differences(struct run_result *const *runs, int n, char *buf, size_t len)
{
	size_t used = 0;
	int lines = 0;

	buf[0] = '\0';
	for (int k = 0; k < 4; k++) {
		static const char *const what[] = { "scenario", "kernel", "CPUs", "hostname" };
		char v[COMPARE_MAX_RUNS][128];
		bool differ = false;

		for (int i = 0; i < n; i++) {
			const struct run_result *r = runs[i];

			if (k == 0)
				snprintf(v[i], sizeof(v[i]), "%s", r->scenario);
			else if (k == 1)
				snprintf(v[i], sizeof(v[i]), "%s", r->kernel);
			else if (k == 2)
				snprintf(v[i], sizeof(v[i]), "%d", r->cpus);
			else
				snprintf(v[i], sizeof(v[i]), "%s", r->hostname);
			differ |= i && strcmp(v[i], v[0]);
		}
		if (!differ)
			continue;
		lines++;
		used += snprintf(buf + used, used < len ? len - used : 0, "%s differs:", what[k]);
		for (int i = 0; i < n; i++)
			used += snprintf(buf + used, used < len ? len - used : 0, "%s %c %s",
					 i ? "," : "", label(i), v[i]);
		used += snprintf(buf + used, used < len ? len - used : 0, "\n");
	}
	return lines;
}

/* --- tables ---------------------------------------------------------------------------- */

static void runs_table(const struct cmp_ctx *c, struct rtable *t)
{
	static const char *const head[] = { "run", "directory", "scenario", "started",
		"backend", "kernel", "host", "CPUs", "phases" };

	rtable__init(t, 9, head);
	for (int i = 0; i < c->n; i++) {
		const struct run_result *r = c->runs[i];

		rtable__row(t);
		rtable__cell(t, "%c", label(i));
		rtable__cell(t, "%s", r->dir);
		rtable__cell(t, "%s", r->scenario);
		rtable__cell(t, "%s", r->started_utc);
		rtable__cell(t, "%s", r->backend);
		rtable__cell(t, "%s", r->kernel);
		rtable__cell(t, "%s", r->hostname);
		rtable__cell(t, "%d", r->cpus);
		rtable__cell(t, "%d x %.0f s%s", r->nr_phases, r->phase_s,
			     r->interrupted ? " (interrupted)" : "");
	}
}

static void load_table(const struct cmp_ctx *c, struct rtable *t)
{
	static const char *const head[] = { "run", "target", "achieved", "R", "D",
		"miss", "reached", "delta vs A" };
	char a[32], b[32];

	rtable__init(t, 8, head);
	for (int i = 0; i < c->n; i++) {
		const struct run_result *r = c->runs[i];

		rtable__row(t);
		rtable__cell(t, "%c", label(i));
		rtable__cell(t, "%s ±%.0f%%", N(a, "%.2f", r->target), r->tolerance_pct);
		rtable__cell(t, "%s", N(a, "%.2f", r->achieved));
		rtable__cell(t, "%s", N(a, "%.2f", r->mean_r));
		rtable__cell(t, "%s", N(a, "%.2f", r->mean_d));
		rtable__cell(t, "%s", N(a, "%+.1f%%", r->miss_pct));
		if (r->load_reached)
			rtable__cell(t, "yes");
		else
			rtable__strong(t, "no");
		rtable__cell(t, "%s", i ? N(b, "%+.2f", r->achieved - c->runs[0]->achieved) : "-");
	}
}

/*
 * Overhead of each of A's (tool, load) entries in every run. A run whose
 * tools[] has no tool of that name (an older run, or a peer-tool run) has
 * its first tool matched with A's first tool on the same load, and the row
 * says which tool; A's other tools are not in that run.
 */
static void overhead_table(const struct cmp_ctx *c, struct rtable *t)
{
	static const char *const head[] = { "tool / load", "run", "overhead", "interval",
		"noise floor", "delta vs A", "beyond the noise?", "judged by" };
	const struct run_result *ra = c->runs[0];
	char a[32], b[32], basis[32];

	rtable__init(t, 8, head);
	for (int l = 0; l < ra->nr_loads; l++) {
		const struct rr_overhead *oa = &ra->loads[l];

		for (int i = 0; i < c->n; i++) {
			const struct run_result *r = c->runs[i];
			const struct rr_overhead *o = rr_find_overhead(r, oa->tool, oa->load);
			double lo, hi;
			struct cmp_delta d;

			if (!o && !strcmp(oa->tool, ra->tools[0].name))
				o = rr_find_overhead(r, r->tools[0].name, oa->load);
			rtable__row(t);
			rtable__cell(t, "%s / %s", oa->tool, oa->load);
			if (!o && rr_find_overhead(r, r->tools[0].name, oa->load)) {
				rtable__cell(t, "%c", label(i));
				rtable__cell(t, "not in this run");
				continue;
			}
			if (!o) {
				rtable__cell(t, "%c", label(i));
				rtable__cell(t, "no load named %s in this run", oa->load);
				continue;
			}
			rtable__cell(t, "%c%s%s", label(i), strcmp(o->tool, oa->tool) ? ": " : "",
				     strcmp(o->tool, oa->tool) ? o->tool : "");
			rtable__cell(t, "%s (%d pairs)", N(a, "%+.2f%%", rr_overhead_estimate(o)),
				     o->pairs);
			if (rr_loss_interval(o, &lo, &hi, basis, sizeof(basis)))
				rtable__cell(t, "%s..%s (%s)", N(a, "%+.2f", lo), N(b, "%+.2f", hi),
					     basis);
			else
				rtable__cell(t, "none (one pair)");
			rtable__cell(t, "%s", N(a, "±%.2f%%", o->noise_floor_pct));
			if (!i) {
				rtable__cell(t, "-");
				rtable__cell(t, "reference");
				rtable__cell(t, "-");
				continue;
			}
			cmp__overhead(oa, o, &d);
			rtable__cell(t, "%s", N(a, "%+.2f pp", d.delta));
			if (d.verdict == CMP_BEYOND)
				rtable__strong(t, "%s", verdict_name(d.verdict));
			else
				rtable__cell(t, "%s", verdict_name(d.verdict));
			rtable__cell(t, "%s", d.basis);
		}
	}
}

static void cpu_table(const struct cmp_ctx *c, struct rtable *t)
{
	static const char *const head[] = { "run", "tool", "diagnosis CPU (of one)",
		"thread s", "kernel s", "diagnosed s", "delta vs A" };
	const struct rr_tool *ta = &c->runs[0]->tools[0];
	char a[32];

	rtable__init(t, 7, head);
	for (int i = 0; i < c->n; i++) {
		const struct rr_tool *tl = &c->runs[i]->tools[0];

		rtable__row(t);
		rtable__cell(t, "%c", label(i));
		rtable__cell(t, "%s", tl->name);
		rtable__cell(t, "%s", N(a, "%.2f%%", tl->cpu_pct));
		rtable__cell(t, "%s", N(a, "%.3f", tl->thread_cpu_s));
		rtable__cell(t, "%s%s", N(a, "%.3f", tl->kernel_extra_s),
			     tl->kernel_cost_measured ? "" : " (not measured)");
		rtable__cell(t, "%s", N(a, "%.1f", tl->diag_s));
		rtable__cell(t, "%s", i ? N(a, "%+.2f pp", tl->cpu_pct - ta->cpu_pct) : "-");
	}
}

static void accuracy_table(const struct cmp_ctx *c, struct rtable *t)
{
	static const char *const head[] = { "figure", "run", "value", "based on",
		"delta vs A", "beyond the noise?", "judged by" };
	char a[32];

	rtable__init(t, 7, head);
	for (int i = 0; i < c->n; i++) {
		const struct run_result *r = c->runs[i];
		struct cmp_delta d;

		rtable__row(t);
		rtable__cell(t, "perf: largest share error vs cpu-split %s", r->perf_workload);
		rtable__cell(t, "%c", label(i));
		if (!r->perf_measured) {
			rtable__cell(t, "not measured");
			rtable__cell(t, "%s", r->perf_note);
			continue;
		}
		rtable__cell(t, "%s", N(a, "%.2f pp", r->perf_error_pp));
		rtable__cell(t, "%llu samples", (unsigned long long)r->perf_samples);
		if (!i) {
			rtable__cell(t, "-");
			rtable__cell(t, "reference");
			rtable__cell(t, "-");
			continue;
		}
		cmp__accuracy(c->runs[0], r, &d);
		rtable__cell(t, "%s", N(a, "%+.2f pp", d.delta));
		if (d.verdict == CMP_BEYOND)
			rtable__strong(t, "%s", verdict_name(d.verdict));
		else
			rtable__cell(t, "%s", verdict_name(d.verdict));
		rtable__cell(t, "%s", d.basis);
	}
	for (int i = 0; i < c->n; i++) {
		const struct run_result *r = c->runs[i];

		if (!r->has_loadmon)
			continue;
		rtable__row(t);
		rtable__cell(t, "load-monitor: mean R minus the sampler's");
		rtable__cell(t, "%c", label(i));
		rtable__cell(t, "%s", N(a, "%+.3f", r->lm_mean_r - r->lm_sampler_r));
		rtable__cell(t, "%s checks", N(a, "%.0f", r->lm_checks));
		rtable__cell(t, "%s", i && c->runs[0]->has_loadmon ?
			     N(a, "%+.3f", (r->lm_mean_r - r->lm_sampler_r) -
			       (c->runs[0]->lm_mean_r - c->runs[0]->lm_sampler_r)) : "-");
		rtable__cell(t, "%s", i ? "cannot tell" : "reference");
		rtable__cell(t, "%s", i ? "no noise estimate for this figure" : "-");
	}
}

static void drops_table(const struct cmp_ctx *c, struct rtable *t)
{
	static const char *const head[] = { "source", "run", "events", "dropped", "by cause" };

	rtable__init(t, 5, head);
	for (int i = 0; i < c->n; i++) {
		char run[2] = { label(i), 0 };

		report__drops_rows(c->runs[i], run, t);
	}
}

/* Peers are worth a table when some run compared more than one tool. */
static bool any_tools(const struct cmp_ctx *c)
{
	for (int i = 0; i < c->n; i++)
		if (c->runs[i]->nr_tools > 1)
			return true;
	return false;
}

/*
 * Every tool of every run (hldbench, backends, peer tools), grouped by tool:
 * its overhead on the first load, CPU and accuracy, and the overhead delta
 * against the same tool in A.
 */
static void peers_table(const struct cmp_ctx *c, struct rtable *t)
{
	static const char *const head[] = { "tool", "run", "overhead", "interval",
		"CPU (of one)", "accuracy error", "overhead delta vs A", "beyond the noise?" };
	const char *seen[COMPARE_MAX_RUNS * RR_MAX_TOOLS];
	const char *load = c->runs[0]->nr_loads ? c->runs[0]->loads[0].load : "";
	int nseen = 0;
	char a[32], b[32], basis[32];

	rtable__init(t, 8, head);
	for (int i = 0; i < c->n; i++)
		for (int k = 0; k < c->runs[i]->nr_tools; k++) {
			const char *name = c->runs[i]->tools[k].name;
			bool dup = false;

			for (int s = 0; s < nseen; s++)
				dup |= !strcmp(seen[s], name);
			if (!dup)
				seen[nseen++] = name;
		}
	for (int s = 0; s < nseen; s++) {
		const struct rr_overhead *oa = rr_find_overhead(c->runs[0], seen[s], load);

		for (int i = 0; i < c->n; i++) {
			const struct rr_tool *tl = NULL;
			const struct rr_overhead *o = rr_find_overhead(c->runs[i], seen[s], load);
			struct cmp_delta d;
			double lo, hi;

			for (int k = 0; k < c->runs[i]->nr_tools; k++)
				if (!strcmp(c->runs[i]->tools[k].name, seen[s]))
					tl = &c->runs[i]->tools[k];
			rtable__row(t);
			rtable__cell(t, "%s", seen[s]);
			rtable__cell(t, "%c", label(i));
			if (!tl || !tl->available || !o) {
				rtable__cell(t, "%s%s", !tl ? "not in this run" : "not run: ",
					     tl ? tl->note : "");
				continue;
			}
			rtable__cell(t, "%s", N(a, "%+.2f%%", rr_overhead_estimate(o)));
			if (rr_loss_interval(o, &lo, &hi, basis, sizeof(basis)))
				rtable__cell(t, "%s..%s (%s)", N(a, "%+.2f", lo), N(b, "%+.2f", hi),
					     basis);
			else
				rtable__cell(t, "none");
			rtable__cell(t, "%s", N(a, "%.2f%%", tl->cpu_pct));
			rtable__cell(t, "%s", N(a, "%.2f pp", tl->error_pp));
			if (!i || !oa) {
				rtable__cell(t, "-");
				rtable__cell(t, "%s", i ? "not in A" : "reference");
				continue;
			}
			cmp__overhead(oa, o, &d);
			rtable__cell(t, "%s", N(a, "%+.2f pp", d.delta));
			rtable__cell(t, "%s (%s)", verdict_name(d.verdict), d.basis);
		}
	}
}

struct cmp_section {
	const char *id, *title;
	void (*build)(const struct cmp_ctx *, struct rtable *);
	bool (*wanted)(const struct cmp_ctx *);	/* NULL: always */
	const char *note;
};

static const struct cmp_section sections[] = {
	{ "runs", "Runs", runs_table, NULL, NULL },
	{ "load", "Load", load_table, NULL,
	  "Achieved load: mean R+D over the steady part of each phase (docs/run.md)." },
	{ "overhead", "Overhead", overhead_table, NULL,
	  "Overhead: the Hodges-Lehmann estimate of the median loss where run.json has it, "
	  "else the median loss over the pairs; loss = (baseline - diagnosed) / baseline. "
	  "A delta is beyond the noise when the runs' intervals (the signed-rank interval "
	  "at its exact level where the run has one, else the min..max over its pairs) do "
	  "not overlap and, where a noise floor was measured, the delta exceeds the larger "
	  "floor." },
	{ "cpu", "Diagnosis CPU", cpu_table, NULL,
	  "The first tool of each run. One figure per run: no noise estimate, so no "
	  "verdict." },
	{ "accuracy", "Accuracy", accuracy_table, NULL,
	  "perf's error is beyond the noise when it moved by more than 1.96 binomial "
	  "standard errors of the two runs' shares combined." },
	{ "drops", "Drops", drops_table, NULL, NULL },
	{ "peers", "Peer tools", peers_table, any_tools, NULL },
};

#define NR_SECTIONS (sizeof(sections) / sizeof(sections[0]))

/* --- charts ------------------------------------------------------------------------------ */

/* Copy @from to @to; 0 or -errno. */
static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "r"), *out;
	size_t n;
	int err = 0;

	if (!in)
		return -errno;
	out = fopen(to, "w");
	if (!out) {
		err = -errno;
		fclose(in);
		return err;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			err = -EIO;
	if (ferror(in))
		err = -EIO;
	fclose(in);
	if (fclose(out) && !err)
		err = -errno;
	return err;
}

static void draw_trends(struct cmp_ctx *c)
{
	struct plot_series s[COMPARE_MAX_RUNS];
	char csv[COMPARE_MAX_RUNS][32], lab[COMPARE_MAX_RUNS][128], from[4200], to[4200];
	int n = 0, err;

	for (int i = 0; i < c->n; i++) {
		snprintf(csv[n], sizeof(csv[n]), "samples-%c.csv", label(i));
		snprintf(to, sizeof(to), "%s/%s", c->outdir, csv[n]);
		if (copy_file(run_result__path(c->runs[i], "samples.csv", from, sizeof(from)), to))
			continue;
		snprintf(lab[n], sizeof(lab[n]), "%c: %s (%s)", label(i), c->runs[i]->scenario,
			 c->runs[i]->backend);
		s[n].label = lab[n];
		s[n].csv = csv[n];
		n++;
	}
	err = n ? plot__load_trends(c->outdir, "load-trends", "load of the compared runs", s, n)
		: -ENOENT;
	if (err)
		snprintf(c->trend_note, sizeof(c->trend_note), "%s",
			 err == -ENOENT ? "no samples.csv, or gnuplot is not installed" :
			 strerror(-err));
}

/*
 * diff-flame-X.svg: perf from A to run @i (flamegraph__write_diff(): widths
 * are X's samples, A scaled to X's total, red for growth, blue for
 * shrinkage). Returns 0, -ENODATA if a run has no samples, or -errno.
 */
static int draw_diff(const struct cmp_ctx *c, int i)
{
	struct folded *fa = folded__new(), *fb = folded__new();
	struct flamegraph_opts o;
	struct folded_error fe;
	char pa[4200], pb[4200], out[4200], title[256];
	FILE *f;
	int err;

	if (!fa || !fb) {
		err = -ENOMEM;
		goto out;
	}
	err = folded__load(fa, run_result__path(c->runs[0], "perf.folded", pa, sizeof(pa)), &fe);
	if (!err)
		err = folded__load(fb, run_result__path(c->runs[i], "perf.folded", pb, sizeof(pb)),
				   &fe);
	if (!err && (!folded__total(fa) || !folded__total(fb)))
		err = -ENODATA;		/* an A/A run: its perf was opened, never activated */
	if (err)
		goto out;
	snprintf(out, sizeof(out), "%s/diff-flame-%c.svg", c->outdir, label(i));
	f = fopen(out, "w");
	if (!f) {
		err = -errno;
		goto out;
	}
	snprintf(title, sizeof(title), "perf from A (%s, %s) to %c (%s, %s)",
		 c->runs[0]->scenario, c->runs[0]->backend, label(i), c->runs[i]->scenario,
		 c->runs[i]->backend);
	flamegraph_opts__init(&o);
	o.title = title;
	err = flamegraph__write_diff(fa, fb, f, &o);
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		unlink(out);
out:
	folded__free(fa);
	folded__free(fb);
	return err;
}

static void draw_diffs(struct cmp_ctx *c)
{
	for (int i = 1; i < c->n; i++) {
		int err;

		if (!c->runs[0]->has_perf || !c->runs[i]->has_perf) {
			snprintf(c->flame_note[i], sizeof(c->flame_note[i]),
				 "perf was not a feature of %s", c->runs[0]->has_perf ? "this run" : "A");
			continue;
		}
		err = draw_diff(c, i);
		if (err)
			snprintf(c->flame_note[i], sizeof(c->flame_note[i]), "%s",
				 err == -ENOENT ? "a run has no perf.folded" :
				 err == -ENODATA ? "a run has no perf samples: an A/A run diagnoses "
				 "nothing)" : strerror(-err));
	}
}

/* --- the two documents ----------------------------------------------------------------- */

static void md_warnings(const struct cmp_ctx *c, FILE *f)
{
	const char *p = c->diffs;

	if (!c->nr_diffs)
		return;
	fputs("> **Warning: these runs differ in set-up; their figures may not be comparable.**\n",
	      f);
	while (*p) {
		const char *nl = strchr(p, '\n');

		fprintf(f, "> - %.*s\n", (int)(nl ? nl - p : (long)strlen(p)), p);
		p = nl ? nl + 1 : p + strlen(p);
	}
	fputc('\n', f);
}

static int write_md(const struct cmp_ctx *c, FILE *f)
{
	fputs("# hldbench compare:", f);
	for (int i = 0; i < c->n; i++)
		fprintf(f, "%s %c %s", i ? " vs" : "", label(i), c->runs[i]->scenario);
	fputs("\n\n", f);
	md_warnings(c, f);
	for (size_t s = 0; s < NR_SECTIONS; s++) {
		struct rtable t;

		if (sections[s].wanted && !sections[s].wanted(c))
			continue;
		fprintf(f, "## %s\n\n", sections[s].title);
		sections[s].build(c, &t);
		rtable__md(&t, f);
		rtable__free(&t);
		if (sections[s].note)
			fprintf(f, "\n%s\n", sections[s].note);
		fputc('\n', f);
		if (!strcmp(sections[s].id, "load"))
			fprintf(f, c->trend_note[0] ? "Load trends: not drawn (%s).\n\n" :
				"![load trends](load-trends.png)%s\n\n", c->trend_note);
	}
	fputs("## Differential flame graphs\n\n", f);
	for (int i = 1; i < c->n; i++) {
		if (c->flame_note[i][0])
			fprintf(f, "- A to %c: not drawn (%s)\n", label(i), c->flame_note[i]);
		else
			fprintf(f, "- A to %c: [diff-flame-%c.svg](diff-flame-%c.svg): red frames "
				"grew from A to %c, blue shrank\n", label(i), label(i), label(i),
				label(i));
	}
	return ferror(f) ? -EIO : 0;
}

static int write_html(const struct cmp_ctx *c, FILE *f)
{
	char title[512], path[4200], id[32], cap[256];
	size_t used = 0;

	used = snprintf(title, sizeof(title), "hldbench compare:");
	for (int i = 0; i < c->n && used < sizeof(title); i++)
		used += snprintf(title + used, sizeof(title) - used, "%s %c %s", i ? " vs" : "",
				 label(i), c->runs[i]->scenario);
	html__begin(f, title);
	if (c->nr_diffs) {
		fputs("<div class=\"warn\" id=\"setup-warning\"><strong>Warning: these runs differ "
		      "in set-up; their figures may not be comparable.</strong><pre>", f);
		html__escape(f, c->diffs);
		fputs("</pre></div>\n", f);
	}
	for (size_t s = 0; s < NR_SECTIONS; s++) {
		struct rtable t;

		if (sections[s].wanted && !sections[s].wanted(c))
			continue;
		fprintf(f, "<h2 id=\"%s\">", sections[s].id);
		html__escape(f, sections[s].title);
		fputs("</h2>\n", f);
		sections[s].build(c, &t);
		rtable__html(&t, f);
		rtable__free(&t);
		if (sections[s].note) {
			fputs("<p class=\"note\">", f);
			html__escape(f, sections[s].note);
			fputs("</p>\n", f);
		}
		if (strcmp(sections[s].id, "load"))
			continue;
		if (c->trend_note[0]) {
			fputs("<p class=\"note\">Load trends: not drawn (", f);
			html__escape(f, c->trend_note);
			fputs(")</p>\n", f);
			continue;
		}
		snprintf(path, sizeof(path), "%s/load-trends.svg", c->outdir);
		html__inline_svg(f, path, "load-trends", "Load trends overlaid: each run's 1-min "
				 "loadavg (solid) and R+D (dotted)");
	}
	fputs("<h2 id=\"diff-flame\">Differential flame graphs</h2>\n"
	      "<p class=\"note\">Widths are the later run's samples; red frames grew from A, "
	      "blue shrank (A scaled to the later run's total); hover shows both counts.</p>\n",
	      f);
	for (int i = 1; i < c->n; i++) {
		snprintf(id, sizeof(id), "diff-flame-%c", label(i));
		snprintf(cap, sizeof(cap), "perf from A to %c", label(i));
		if (c->flame_note[i][0]) {
			fprintf(f, "<p class=\"note\">%s: not drawn (", cap);
			html__escape(f, c->flame_note[i]);
			fputs(")</p>\n", f);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s.svg", c->outdir, id);
		html__inline_svg(f, path, id, cap);
	}
	html__end(f);
	return ferror(f) ? -EIO : 0;
}

static int write_doc(const struct cmp_ctx *c, const char *name,
		     int (*fn)(const struct cmp_ctx *, FILE *), char *err, size_t errlen)
{
	char path[4200];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", c->outdir, name);
	f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s", path);
		return -errno;
	}
	rc = fn(c, f);
	if (fclose(f) && !rc)
		rc = -errno;
	if (rc)
		snprintf(err, errlen, "%s", path);
	return rc;
}

int compare__write(struct run_result *const *runs, int n, const char *outdir,
		   char *err, size_t errlen)
{
	struct cmp_ctx *c;
	int rc;

	if (n < 2 || n > COMPARE_MAX_RUNS)
		return -EINVAL;
	if (mkdir(outdir, 0755) && errno != EEXIST) {
		snprintf(err, errlen, "%s", outdir);
		return -errno;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->runs = runs;
	c->n = n;
	c->outdir = outdir;
	c->nr_diffs = cmp__differences(runs, n, c->diffs, sizeof(c->diffs));
	draw_trends(c);
	draw_diffs(c);
	rc = write_doc(c, "compare.md", write_md, err, errlen);
	if (!rc)
		rc = write_doc(c, "compare.html", write_html, err, errlen);
	free(c);
	return rc;
}
