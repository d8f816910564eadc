// SPDX-License-Identifier: GPL-2.0
/*
 * run-result.c - read a result directory's run.json back (json-c) into the
 * figures the reports print. Every field is looked up by name; a missing or
 * null one is NaN (or ""), never a made-up value.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run-result.h"
#include "stats.h"

/* The member at dotted @path ("load.loadavg_model.updates"), or NULL. */
static struct json_object *jget(struct json_object *o, const char *path)
{
	char key[128];
	const char *dot;

	while (o && (dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path = dot + 1;
	}
	return o && json_object_object_get_ex(o, path, &o) ? o : NULL;
}

/* A number at @path; NaN when absent, null or not a number. */
static double jnum(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	if (!v || !(json_object_is_type(v, json_type_double) ||
		    json_object_is_type(v, json_type_int)))
		return NAN;
	return json_object_get_double(v);
}

static uint64_t juint(struct json_object *o, const char *path)
{
	double v = jnum(o, path);

	return isfinite(v) && v > 0 ? (uint64_t)v : 0;
}

static bool jbool(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	return v && json_object_get_boolean(v);
}

/* Copy the string at @path into @buf ("" when absent or null). */
static void jstr(struct json_object *o, const char *path, char *buf, size_t len)
{
	struct json_object *v = jget(o, path);

	snprintf(buf, len, "%s", v && json_object_is_type(v, json_type_string) ?
		 json_object_get_string(v) : "");
}

/* Copy a numeric array into @v (at most @max); returns how many. */
static int jarray(struct json_object *o, const char *path, double *v, int max)
{
	struct json_object *a = jget(o, path);
	int n = 0;

	if (!a || !json_object_is_type(a, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(a) && n < max; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		v[n++] = e && !json_object_is_type(e, json_type_null) ?
			 json_object_get_double(e) : NAN;
	}
	return n;
}

/*
 * The scenario's description: run.json has it since report-run.c reads it
 * back; an older run only has the scenario text, whose [scenario]
 * "description = ..." line (up to a " #" comment) gives it.
 */
static void read_description(struct run_result *r)
{
	struct json_object *text = jget(r->root, "scenario.text");
	const char *p;

	if (jget(r->root, "scenario.description")) {
		jstr(r->root, "scenario.description", r->description, sizeof(r->description));
		return;
	}
	if (!text || !json_object_is_type(text, json_type_string))
		return;
	for (p = json_object_get_string(text); p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		size_t len;
		const char *v, *end, *hash;

		p += strspn(p, " \t");
		if (strncmp(p, "description", 11) || !strchr(" \t=", p[11]))
			continue;
		v = p + 11 + strspn(p + 11, " \t");
		if (*v != '=')
			continue;
		v += 1 + strspn(v + 1, " \t");
		end = strchr(v, '\n');
		len = end ? (size_t)(end - v) : strlen(v);
		hash = memmem(v, len, " #", 2);
		if (hash)
			len = hash - v;
		while (len && strchr(" \t\r", v[len - 1]))
			len--;
		snprintf(r->description, sizeof(r->description), "%.*s", (int)len, v);
		return;
	}
}

static void read_load(struct run_result *r)
{
	struct json_object *j = r->root;

	r->target = jnum(j, "target_load");
	r->tolerance_pct = jnum(j, "tolerance_pct");
	r->achieved = jnum(j, "achieved_load");
	r->load_reached = jbool(j, "load_reached");
	r->miss_pct = jnum(j, "load_miss_pct");
	r->mean_r = jnum(j, "load.mean_r");
	r->mean_d = jnum(j, "load.mean_d");
	r->steady_samples = juint(j, "load.steady_samples");
	r->warmup_ms = juint(j, "load.warmup_ms");
	r->sample_ms = juint(j, "load.sample_interval_ms");
	r->missed_ticks = juint(j, "load.sampler_missed_ticks");
	r->ewma_updates = (int)juint(j, "load.loadavg_model.updates");
	r->ewma_mean_abs_err = jnum(j, "load.loadavg_model.mean_abs_err");
	r->ewma_max_abs_err = jnum(j, "load.loadavg_model.max_abs_err");
	r->ewma_final_pred = jnum(j, "load.loadavg_model.final_predicted");
	r->ewma_final_obs = jnum(j, "load.loadavg_model.final_observed");
	r->loadmon_threshold = jnum(j, "features.load-monitor.thresholds.load");
	if (!(r->loadmon_threshold > 0))
		r->loadmon_threshold = NAN;
}

static void read_phases(struct run_result *r)
{
	struct json_object *a = jget(r->root, "phases");

	if (!a || !json_object_is_type(a, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(a) && r->nr_phases < RR_MAX_PHASES; i++) {
		struct json_object *p = json_object_array_get_idx(a, i);
		struct rr_phase *ph = &r->phases[r->nr_phases++];
		char kind[32];

		ph->start_s = jnum(p, "start_s");
		ph->end_s = jnum(p, "end_s");
		ph->completed = jbool(p, "completed");
		jstr(p, "kind", kind, sizeof(kind));
		ph->diagnosed = !strcmp(kind, "diagnosed");
	}
}

/* "phase N (reason), ..." from an overhead entry's "excluded" array. */
static void read_excluded(struct json_object *t, struct rr_overhead *o)
{
	struct json_object *a = jget(t, "excluded");
	size_t n = 0;

	o->excluded = (int)juint(t, "excluded_phases");
	o->excluded_text[0] = '\0';
	for (size_t i = 0; a && json_object_is_type(a, json_type_array) &&
	     i < json_object_array_length(a) && n < sizeof(o->excluded_text); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		char why[256];

		jstr(e, "reason", why, sizeof(why));
		n += snprintf(o->excluded_text + n, sizeof(o->excluded_text) - n,
			      "%sphase %llu (%s)", i ? ", " : "",
			      (unsigned long long)juint(e, "phase"), why);
	}
}

/*
 * One overhead.throughput entry of tool @tool. The statistics fields
 * (overhead_pct, ci_lo_pct/ci_hi_pct, confidence, noise_floor, verdict,
 * the MADs) are NaN or "" in runs written before they existed.
 */
static void read_throughput(struct run_result *r, const char *tool, struct json_object *t)
{
	struct rr_overhead *o;
	double v[RR_MAX_PHASES];
	int n;

	if (r->nr_loads >= (int)(sizeof(r->loads) / sizeof(r->loads[0])))
		return;
	o = &r->loads[r->nr_loads++];
	snprintf(o->tool, sizeof(o->tool), "%s", tool);
	jstr(t, "load", o->load, sizeof(o->load));
	jstr(t, "unit", o->unit, sizeof(o->unit));
	o->pairs = (int)juint(t, "pairs");
	n = jarray(t, "baseline", v, RR_MAX_PHASES);
	o->base_median = jget(t, "baseline_median") ? jnum(t, "baseline_median") :
			 stats__median(v, n);
	n = jarray(t, "diagnosed", v, RR_MAX_PHASES);
	o->diag_median = jget(t, "diagnosed_median") ? jnum(t, "diagnosed_median") :
			 stats__median(v, n);
	o->base_mad = jnum(t, "baseline_mad");
	o->diag_mad = jnum(t, "diagnosed_mad");
	o->loss_median = jnum(t, "loss_pct_median");
	o->loss_min = jnum(t, "loss_pct_min");
	o->loss_max = jnum(t, "loss_pct_max");
	o->loss_stddev = jnum(t, "loss_pct_stddev");
	o->overhead_pct = jnum(t, "overhead_pct");
	o->ci_lo = jnum(t, "ci_lo_pct");
	o->ci_hi = jnum(t, "ci_hi_pct");
	o->confidence = jnum(t, "confidence");
	o->noise_floor_pct = jnum(t, "noise_floor.pct");
	jstr(t, "noise_floor.source", o->noise_source, sizeof(o->noise_source));
	jstr(t, "verdict", o->verdict, sizeof(o->verdict));
	jstr(t, "conclusion", o->conclusion, sizeof(o->conclusion));
	read_excluded(t, o);
	if (jget(t, "ci_lo_pct"))
		r->has_stats = true;
}

/* A tool's "overhead" object: its throughput entries and its diagnosis CPU. */
static void read_overhead(struct run_result *r, struct rr_tool *tl, struct json_object *ov)
{
	struct json_object *a = jget(ov, "throughput"), *k;

	for (size_t i = 0; a && json_object_is_type(a, json_type_array) &&
	     i < json_object_array_length(a); i++)
		read_throughput(r, tl->name, json_object_array_get_idx(a, i));

	tl->diag_s = jnum(ov, "diag_cpu.diagnosed_s");
	tl->thread_cpu_s = jnum(ov, "diag_cpu.thread_cpu_ns") / 1e9;
	tl->cpu_pct = jnum(ov, "diag_cpu.pct_of_one_cpu");
	tl->kernel_cost_measured = jbool(ov, "diag_cpu.kernel_cost_measured");
	tl->kernel_extra_s = 0;
	a = jget(ov, "diag_cpu.kernel");
	for (size_t i = 0; a && json_object_is_type(a, json_type_array) &&
	     i < json_object_array_length(a); i++) {
		k = json_object_array_get_idx(a, i);
		if (!jbool(k, "in_thread_cpu"))
			tl->kernel_extra_s += jnum(k, "run_ns") / 1e9;
	}
}

static void read_accuracy(struct run_result *r)
{
	struct json_object *j = r->root;

	r->has_loadmon = jget(j, "accuracy.load_monitor") != NULL;
	r->lm_mean_r = jnum(j, "accuracy.load_monitor.monitor_mean_r");
	r->lm_mean_d = jnum(j, "accuracy.load_monitor.monitor_mean_d");
	r->lm_sampler_r = jnum(j, "accuracy.load_monitor.sampler_mean_r");
	r->lm_sampler_d = jnum(j, "accuracy.load_monitor.sampler_mean_d");
	r->lm_checks = jnum(j, "accuracy.load_monitor.checks");
	r->perf_measured = jbool(j, "accuracy.perf.measured");
	jstr(j, "accuracy.perf.workload", r->perf_workload, sizeof(r->perf_workload));
	jstr(j, "accuracy.perf.note", r->perf_note, sizeof(r->perf_note));
	r->nr_parts = jarray(j, "accuracy.perf.expected_pct", r->expected_pct, RR_MAX_PARTS);
	if (jarray(j, "accuracy.perf.measured_pct", r->measured_pct, RR_MAX_PARTS) != r->nr_parts)
		r->nr_parts = 0;
	r->perf_samples = juint(j, "accuracy.perf.samples");
	r->perf_error_pp = jnum(j, "accuracy.perf.error_pp");
}

/*
 * "cause N, ..." from a feature's drops_by_cause, for runs written before
 * run.json carried the feature's own drops_detail text.
 */
static void drops_from_causes(struct json_object *f, char *buf, size_t len)
{
	struct json_object *c = jget(f, "drops_by_cause");
	size_t n = 0;

	buf[0] = '\0';
	if (!c || !json_object_is_type(c, json_type_object))
		return;
	json_object_object_foreach(c, key, val) {
		int64_t v = json_object_get_int64(val);

		if (v > 0 && n < len)
			n += snprintf(buf + n, len - n, "%s%s %lld", n ? ", " : "", key,
				      (long long)v);
	}
	for (char *p = buf; *p; p++)
		if (*p == '_')
			*p = ' ';
}

/* A "features" object's delivery accounting, as tool @tool's. */
static void read_features(struct run_result *r, const char *tool, struct json_object *fs,
			  bool first)
{
	if (!fs || !json_object_is_type(fs, json_type_object))
		return;
	json_object_object_foreach(fs, name, f) {
		struct rr_feature *ft;

		if (r->nr_feats >= RR_MAX_FEATS)
			break;
		ft = &r->feats[r->nr_feats++];
		snprintf(ft->tool, sizeof(ft->tool), "%s", tool);
		snprintf(ft->name, sizeof(ft->name), "%s", name);
		ft->events = juint(f, "events");
		ft->drops = juint(f, "drops");
		if (jget(f, "drops_detail"))
			jstr(f, "drops_detail", ft->drops_detail, sizeof(ft->drops_detail));
		else
			drops_from_causes(f, ft->drops_detail, sizeof(ft->drops_detail));
		if (first && !strcmp(name, "perf"))
			r->has_perf = true;
	}
}

/*
 * The tools compared with the baseline. run.json's "tools" array (`[diag]
 * tools`: hldbench, other backends, peer tools) has per tool its overhead,
 * accuracy and features (the first tool's are the top-level ones); a run
 * without it had one tool, the top-level figures, named "hldbench".
 */
static void read_tools(struct run_result *r)
{
	struct json_object *a = jget(r->root, "tools");

	r->has_tools = a && json_object_is_type(a, json_type_array);
	if (!r->has_tools || !json_object_array_length(a)) {
		struct rr_tool *tl = &r->tools[r->nr_tools++];

		snprintf(tl->name, sizeof(tl->name), "hldbench");
		snprintf(tl->backend, sizeof(tl->backend), "%s", r->backend);
		tl->available = true;
		read_overhead(r, tl, jget(r->root, "overhead"));
		tl->error_pp = r->perf_measured ? r->perf_error_pp : NAN;
		tl->sc_expected = tl->sc_counted = NAN;
		read_features(r, tl->name, jget(r->root, "features"), true);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(a) && r->nr_tools < RR_MAX_TOOLS; i++) {
		struct json_object *t = json_object_array_get_idx(a, i);
		struct rr_tool *tl = &r->tools[r->nr_tools++];

		jstr(t, "name", tl->name, sizeof(tl->name));
		jstr(t, "backend", tl->backend, sizeof(tl->backend));
		tl->available = jbool(t, "available");
		jstr(t, "unavailable_reason", tl->note, sizeof(tl->note));
		tl->error_pp = jbool(t, "accuracy.perf.measured") ?
			       jnum(t, "accuracy.perf.error_pp") : NAN;
		tl->sc_expected = tl->sc_counted = NAN;
		if (jbool(t, "accuracy.sys_cost.measured")) {
			tl->sc_expected = jnum(t, "accuracy.sys_cost.expected");
			tl->sc_counted = jnum(t, "accuracy.sys_cost.counted");
		}
		if (!tl->available)
			continue;
		read_overhead(r, tl, jget(t, "overhead"));
		read_features(r, tl->name, i ? jget(t, "features") : jget(r->root, "features"),
			      i == 0);
	}
}

int run_result__load(const char *dir, struct run_result **out, char *err, size_t errlen)
{
	struct run_result *r;
	char path[4200];
	struct json_object *tag;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	snprintf(path, sizeof(path), "%s/run.json", dir);
	if (access(path, F_OK))
		return -ENOENT;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	r->root = json_object_from_file(path);
	if (!r->root || !json_object_is_type(r->root, json_type_object)) {
		snprintf(err, errlen, "%s: not valid JSON (%s)", path, json_util_get_last_err());
		run_result__free(r);
		return -EINVAL;
	}
	tag = jget(r->root, "hldbench");
	if (!tag || strcmp(json_object_get_string(tag), "run")) {
		snprintf(err, errlen, "%s: not a hldbench run (no \"hldbench\": \"run\")", path);
		run_result__free(r);
		return -EINVAL;
	}
	jstr(r->root, "scenario.name", r->scenario, sizeof(r->scenario));
	jstr(r->root, "started_utc", r->started_utc, sizeof(r->started_utc));
	jstr(r->root, "backend", r->backend, sizeof(r->backend));
	r->interrupted = jbool(r->root, "interrupted");
	jstr(r->root, "interrupt_reason", r->reason, sizeof(r->reason));
	r->phase_s = jnum(r->root, "scenario.phase_ms") / 1e3;
	r->repeat = (int)juint(r->root, "scenario.repeat");
	jstr(r->root, "environment.kernel", r->kernel, sizeof(r->kernel));
	jstr(r->root, "environment.hostname", r->hostname, sizeof(r->hostname));
	jstr(r->root, "environment.machine", r->machine, sizeof(r->machine));
	r->cpus = (int)juint(r->root, "environment.cpus_online");
	read_description(r);
	r->aa = jbool(r->root, "aa");
	r->warmup_phases = jget(r->root, "scenario.warmup_phases") ?
			   (int)juint(r->root, "scenario.warmup_phases") : -1;
	r->inject_spin_us = juint(r->root, "injected_reader_spin_us");
	read_load(r);
	read_phases(r);
	read_accuracy(r);
	read_tools(r);
	*out = r;
	return 0;
}

void run_result__free(struct run_result *r)
{
	if (!r)
		return;
	json_object_put(r->root);
	free(r);
}

const char *run_result__path(const struct run_result *r, const char *name,
			     char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", r->dir, name);
	return buf;
}

bool rr_loss_interval(const struct rr_overhead *o, double *lo, double *hi,
		      char *basis, size_t len)
{
	if (isfinite(o->ci_lo) && isfinite(o->ci_hi)) {
		*lo = o->ci_lo;
		*hi = o->ci_hi;
		if (isfinite(o->confidence))
			snprintf(basis, len, "%.1f%% CI", o->confidence * 100);
		else
			snprintf(basis, len, "CI");
		return true;
	}
	if (o->pairs >= 2 && isfinite(o->loss_min) && isfinite(o->loss_max)) {
		*lo = o->loss_min;
		*hi = o->loss_max;
		snprintf(basis, len, "pair range");
		return true;
	}
	*lo = *hi = NAN;
	snprintf(basis, len, "none");
	return false;
}

double rr_overhead_estimate(const struct rr_overhead *o)
{
	return isfinite(o->overhead_pct) ? o->overhead_pct : o->loss_median;
}

const struct rr_overhead *rr_find_overhead(const struct run_result *r, const char *tool,
					   const char *load)
{
	for (int i = 0; i < r->nr_loads; i++)
		if ((!tool || !strcmp(r->loads[i].tool, tool)) && !strcmp(r->loads[i].load, load))
			return &r->loads[i];
	return NULL;
}
