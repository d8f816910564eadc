// SPDX-License-Identifier: GPL-2.0
/*
 * load-stress-ng.c - stress-ng as a load generator.
 *
 * stress-ng 0.15 writes its metrics to stderr for people and, with
 * --yaml FILE, as YAML for programs:
 *
 *	metrics:
 *	    - stressor: cpu
 *	      bogo-ops: 7639
 *	      bogo-ops-per-second-usr-sys-time: 1992.404398
 *	      bogo-ops-per-second-real-time: 2545.302199
 *	      wall-clock-time: 3.001215
 *	      ...
 *	...
 *
 * Only that flat list is needed, so a line parser does instead of a YAML
 * library.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

/* Per-stressor fields found so far; all three are needed. */
struct sng_stressor {
	bool has_ops, has_rate;
	char name[32];
};

/* Parse a number that must fill the whole value. 0 or -EINVAL. */
static int parse_num(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (end == s || errno)
		return -EINVAL;
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	return *end ? -EINVAL : 0;
}

/* Check that the stressor just finished had what we need; fill @res->note if not. */
static int sng_stressor__check(const struct sng_stressor *st, struct load_result *res, int line)
{
	if (st->has_ops && st->has_rate)
		return 0;
	snprintf(res->note, sizeof(res->note), "stressor %s before line %d lacks %s", st->name, line,
		 st->has_ops ? "bogo-ops-per-second-real-time" : "bogo-ops");
	return -EINVAL;
}

/*
 * Sum bogo-ops and bogo-ops-per-second-real-time over the stressors of the
 * "metrics:" list; wall_s is the longest wall-clock-time. -EINVAL with a
 * note when the list is missing, empty or has a bad value.
 */
int load__parse_stress_ng_yaml(const char *path, struct load_result *res)
{
	struct sng_stressor st = { 0 };
	bool in_metrics = false, done = false;
	int lineno = 0, nr = 0, err = 0;
	char line[512];
	FILE *f;

	memset(res, 0, sizeof(*res));
	res->unit = load_stress_ng_ops.unit;
	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		snprintf(res->note, sizeof(res->note), "cannot open %s: %s", path, strerror(-err));
		return err;
	}
	while (!err && !done && fgets(line, sizeof(line), f)) {
		char *p = line, *key, *val, *colon;
		double v;

		lineno++;
		if (!in_metrics) {
			in_metrics = !strcmp(line, "metrics:\n") || !strcmp(line, "metrics:");
			continue;
		}
		if (line[0] != ' ' && line[0] != '\n') {	/* "..." or the next top-level key */
			done = true;
			continue;
		}
		while (*p == ' ')
			p++;
		if (*p == '\n' || !*p)
			continue;
		if (p[0] == '-' && p[1] == ' ') {	/* "- stressor: NAME" opens an entry */
			if (nr)
				err = sng_stressor__check(&st, res, lineno);
			memset(&st, 0, sizeof(st));
			nr++;
			p += 2;
		} else if (!nr) {
			continue;
		}
		colon = strchr(p, ':');
		if (!colon)
			continue;
		*colon = '\0';
		key = p;
		val = colon + 1;
		while (*val == ' ')
			val++;
		if (!strcmp(key, "stressor")) {
			val[strcspn(val, "\n")] = '\0';
			snprintf(st.name, sizeof(st.name), "%s", val);
			continue;
		}
		if (strcmp(key, "bogo-ops") && strcmp(key, "bogo-ops-per-second-real-time") &&
		    strcmp(key, "wall-clock-time"))
			continue;
		if (parse_num(val, &v) || v < 0) {
			val[strcspn(val, "\n")] = '\0';
			snprintf(res->note, sizeof(res->note), "line %d: %s: bad value \"%.40s\"",
				 lineno, key, val);
			err = -EINVAL;
		} else if (!strcmp(key, "bogo-ops")) {
			res->ops += (uint64_t)v;
			st.has_ops = true;
		} else if (!strcmp(key, "bogo-ops-per-second-real-time")) {
			res->rate += v;
			st.has_rate = true;
		} else if (v > res->wall_s) {
			res->wall_s = v;
		}
	}
	fclose(f);
	if (!err && nr)
		err = sng_stressor__check(&st, res, lineno + 1);
	if (!err && !nr) {
		snprintf(res->note, sizeof(res->note), "%s", in_metrics ?
			 "no stressors under metrics:" : "no metrics: section (--metrics-brief missing?)");
		err = -EINVAL;
	}
	if (err) {
		res->rate = 0;
		res->ops = 0;
		return err;
	}
	res->valid = true;
	return 0;
}

/*
 * stress-ng ends itself after --timeout and then writes the YAML. The
 * user's arguments come first so that ours win if repeated.
 */
static int sng__phase_argv(struct load_argv *a, uint64_t secs, const char *out_path,
			   const char *args, const char *dev)
{
	int err = load_argv__push(a, "stress-ng");

	if (!err)
		err = load_argv__split(a, args, dev);
	if (!err)
		err = load_argv__push(a, "--timeout");
	if (!err)
		err = load_argv__push(a, "%llus", (unsigned long long)secs);
	if (!err)
		err = load_argv__push(a, "--yaml");
	if (!err)
		err = load_argv__push(a, "%s", out_path);
	if (!err)
		err = load_argv__push(a, "--metrics-brief");
	return err;
}

const struct load_ops load_stress_ng_ops = {
	.name = "stress-ng",
	.package = "stress-ng",
	.ext = "yaml",
	.unit = "bogo-ops/s",
	/*
	 * stress-ng(1), EXIT STATUS: "7: The bogo ops metrics maybe untrustworthy.
	 * This is most likely to occur when a stress test is terminated during
	 * the update of a bogo-ops counter such as when it has been OOM killed."
	 */
	.untrusted_status = 7,
	.phase_argv = sng__phase_argv,
	.parse = load__parse_stress_ng_yaml,
};
