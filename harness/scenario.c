// SPDX-License-Identifier: GPL-2.0
/*
 * scenario.c - parse load scenario files (INI, fio-style).
 *
 * Each section is described by one option table below; the tables drive
 * parsing, defaults and `hldbench help scenario`. Errors are reported as
 * "path:line: key: reason", first error only.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

#define SCEN_MAX_FILE (1024 * 1024)
#define SECT_MAX_KEYS 32
#define FEATURES_LEN 512

static const char *const tool_names[] = { "stress-ng", "fio", NULL };
static const char *const truth_workloads[] = { "cpu-split", NULL };

#define SC(f) offsetof(struct scenario, f)
#define SCLEN(f) sizeof(((struct scenario *)0)->f)
static const struct opt scenario_opts[] = {
	{ "name", OPT_STR, SC(name), SCLEN(name), .required = true,
	  .help = "name of the scenario, used in the result directory and reports" },
	{ "description", OPT_STR, SC(description), SCLEN(description), .def = "",
	  .help = "one line saying what the scenario exercises" },
	{ "target-load", OPT_DOUBLE, SC(target_load), 0, 0.1, 10000, .required = true,
	  .help = "mean load to reach: runnable + uninterruptible (R + D) tasks" },
	{ "tolerance", OPT_DOUBLE, SC(tolerance_pct), 0, 1, 100, "10",
	  .help = "accepted deviation of the measured load from target-load, in percent" },
	{ "duration", OPT_DURATION, SC(duration_ms), 0, 1000, 3600000, "20s",
	  .help = "length of one phase (baseline or diagnosed)" },
	{ "warmup", OPT_DURATION, SC(warmup_ms), 0, 0, 600000, "3s",
	  .help = "start of each phase left out of the steady part; must be < duration" },
	{ "sample-interval", OPT_DURATION, SC(sample_ms), 0, 10, 10000, "100ms",
	  .help = "how often the /proc sampler reads the load" },
	{ "repeat", OPT_UINT, SC(repeat), 0, 1, 100, "3",
	  .help = "number of baseline/diagnosed phase pairs" },
	{ "warmup-phases", OPT_UINT, SC(warmup_phases), 0, 0, 10, "1",
	  .help = "whole phases run before the measured ones, reported but left out of "
		  "every statistic (they rotate through baseline and tools like the rest)" },
	OPT_END
};

/* Below this a tool's own code and stacks leave no room for page cache. */
#define MEMORY_LIMIT_MIN (16ull << 20)

#define LS(f) offsetof(struct load_spec, f)
static const struct opt load_opts[] = {
	{ "tool", OPT_ENUM, LS(tool), .required = true, .choices = tool_names,
	  .help = "the load generator" },
	{ "args", OPT_STR, LS(args), SCEN_ARGS_LEN, .required = true,
	  .help = "the tool's arguments, split on blanks, no shell; {dev}: the loop device" },
	{ "loop-size", OPT_SIZE, LS(loop_size), 0, 0, 0, "0",
	  .help = "size of a loop device to create for {dev} (0: none)" },
	{ "read-iops", OPT_UINT, LS(read_iops), 0, 0, 1000000, "0",
	  .help = "blkio throttle on the loop device's reads (0: none)" },
	{ "write-iops", OPT_UINT, LS(write_iops), 0, 0, 1000000, "0",
	  .help = "blkio throttle on the loop device's writes (0: none)" },
	{ "memory-limit", OPT_SIZE, LS(memory_limit), 0, 0, 1024.0 * 1024 * 1024 * 1024, "0",
	  .help = "run the tool in a memory cgroup limited to this (0: none, else 16M..1T): "
		  "page cache beyond it is reclaimed" },
	OPT_END
};

/* [diag] keys that are not feature settings; applied to struct scenario afterwards. */
struct diag_keys {
	char features[FEATURES_LEN];
	char tools[SCEN_TOOLS_LEN];
	uint64_t max_drops;
};

static const struct opt diag_opts[] = {
	{ "features", OPT_STR, offsetof(struct diag_keys, features), FEATURES_LEN,
	  .def = "load-monitor perf",
	  .help = "diagnosis features to run, separated by blanks or commas; none: no feature" },
	{ "tools", OPT_STR, offsetof(struct diag_keys, tools), SCEN_TOOLS_LEN, .def = "hldbench",
	  .help = "what to compare with the baseline, each in its own phases: hldbench (the "
		  "backend of --backend) or a backend by name (bpf, kmod, perf, bpftrace, "
		  "strace); up to 4" },
	{ "max-drops", OPT_UINT, offsetof(struct diag_keys, max_drops), 0, 0, 1e15, "0",
	  .help = "events each feature may drop before `hldbench check` fails the run" },
	OPT_END
};

/* [truth] keys; struct scenario has no field for the (single) workload. */
struct truth_keys {
	bool enabled;
	int workload;
	char split[SCLEN(truth_split)];
	uint64_t duration_ms;
};

#define TK(f) offsetof(struct truth_keys, f)
static const struct opt truth_opts[] = {
	{ "enabled", OPT_BOOL, TK(enabled), .def = "true",
	  .help = "run the ground-truth phase that measures the profiler's accuracy" },
	{ "workload", OPT_ENUM, TK(workload), .def = "cpu-split", .choices = truth_workloads,
	  .help = "the built-in workload with known shares of CPU time" },
	{ "split", OPT_STR, TK(split), SCLEN(truth_split), .def = "70:30",
	  .help = "cpu-split shares: 2 to 8 positive integers separated by ':', summing to 100" },
	{ "duration", OPT_DURATION, TK(duration_ms), 0, 1000, 600000, "5s",
	  .help = "length of the ground-truth phase" },
	OPT_END
};

enum section {
	SECT_NONE,
	SECT_SCENARIO,
	SECT_LOAD,
	SECT_DIAG,
	SECT_TRUTH,
};

/* Where each key of one section was given (0: not given), and the header line. */
struct keyset {
	int header;
	int line[SECT_MAX_KEYS];
};

struct parser {
	struct scenario *sc;
	const char *path;
	char *err;
	size_t errlen;
	enum section sect;
	int nr_lines;
	struct keyset ks_scenario, ks_diag, ks_truth;
	struct keyset ks_loads[SCEN_MAX_LOADS];
	struct keyset ks_feat[DIAG_FEATURE__MAX];
	struct diag_keys diag;
	struct truth_keys truth;
};

/* Report "path:line: key: reason" (the first error only) and return -EINVAL. */
static int __attribute__((format(printf, 4, 5)))
parser__error(struct parser *p, int line, const char *key, const char *fmt, ...)
{
	size_t n;
	int w;
	va_list ap;

	if (!p->err || !p->errlen)
		return -EINVAL;
	w = snprintf(p->err, p->errlen, "%s:%d: %s: ", p->path, line, key);
	n = w < 0 ? 0 : (size_t)w;
	if (n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* "a, b, c": the keys of @tab, for "unknown key" errors. */
static void keys__format(const struct opt *tab, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (const struct opt *o = tab; o->name && n < len; o++)
		n += snprintf(buf + n, len - n, "%s%s", o == tab ? "" : ", ", o->name);
}

/* "load-monitor, sys-cost, ...": every feature name, for errors and help. */
static void features__format(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < DIAG_FEATURE__MAX && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? ", " : "", diag_descs[i].name);
}

/*
 * Set @key of @tab in @obj from @val, with the duplicate and unknown-key
 * checks; @where names the section for messages ("in [scenario]").
 * Returns the option set, or NULL after reporting an error.
 */
static const struct opt *parser__set(struct parser *p, const struct opt *tab, void *obj,
				     struct keyset *ks, const char *where,
				     const char *key, const char *shown_key,
				     const char *val, int line)
{
	char reason[256], known[512];
	const struct opt *o = opts__find(tab, key);
	size_t idx;

	if (!o) {
		keys__format(tab, known, sizeof(known));
		parser__error(p, line, shown_key, "unknown key %s (known: %s)", where, known);
		return NULL;
	}
	idx = (size_t)(o - tab);
	if (idx >= SECT_MAX_KEYS) {
		parser__error(p, line, shown_key, "internal error: too many keys %s", where);
		return NULL;
	}
	if (ks->line[idx]) {
		parser__error(p, line, shown_key, "duplicate key %s (first at line %d)", where,
			      ks->line[idx]);
		return NULL;
	}
	ks->line[idx] = line;
	if (opts__set(o, obj, val, reason, sizeof(reason))) {
		parser__error(p, line, shown_key, "%s", reason);
		return NULL;
	}
	return o;
}

/* The line a key was given on, 0 if it was not. */
static int keyset__line(const struct keyset *ks, const struct opt *tab, const char *key)
{
	const struct opt *o = opts__find(tab, key);

	return o ? ks->line[o - tab] : 0;
}

/*
 * Apply the [diag] features list to sc->enabled: names separated by blanks
 * or commas, each known; "none" alone means no feature.
 */
static int parser__features(struct parser *p, int line)
{
	char list[FEATURES_LEN], known[512];
	char *save = NULL, *name;
	bool none = false, any = false;

	memset(p->sc->enabled, 0, sizeof(p->sc->enabled));
	snprintf(list, sizeof(list), "%s", p->diag.features);
	for (name = strtok_r(list, " \t,", &save); name; name = strtok_r(NULL, " \t,", &save)) {
		const struct diag_desc *d;

		if (!strcmp(name, "none")) {
			none = true;
			continue;
		}
		d = diag_desc__find(name);
		if (!d) {
			features__format(known, sizeof(known));
			return parser__error(p, line, "features",
					     "unknown feature \"%s\" (known: %s, or none)",
					     name, known);
		}
		p->sc->enabled[d - diag_descs] = true;
		any = true;
	}
	if (none && any)
		return parser__error(p, line, "features",
				     "\"none\" cannot be combined with other features");
	if (!none && !any)
		return parser__error(p, line, "features",
				     "empty: name features, or none for no diagnosis");
	return 0;
}

int scenario__check_tools(const char *tools, char *why, size_t len)
{
	char list[SCEN_TOOLS_LEN], *save = NULL, *name;
	const char *seen[SCEN_MAX_TOOLS];
	int n = 0;

	if (strlen(tools) >= sizeof(list)) {
		snprintf(why, len, "longer than %d characters", SCEN_TOOLS_LEN - 1);
		return -EINVAL;
	}
	snprintf(list, sizeof(list), "%s", tools);
	for (name = strtok_r(list, " \t,", &save); name; name = strtok_r(NULL, " \t,", &save)) {
		if (n == SCEN_MAX_TOOLS) {
			snprintf(why, len, "more than %d tools", SCEN_MAX_TOOLS);
			return -EINVAL;
		}
		for (int i = 0; i < n; i++) {
			if (!strcmp(seen[i], name)) {
				snprintf(why, len, "\"%s\" named twice", name);
				return -EINVAL;
			}
		}
		seen[n++] = name;
	}
	if (!n) {
		snprintf(why, len, "empty: name what to compare with the baseline, e.g. hldbench");
		return -EINVAL;
	}
	return 0;
}

static int parser__tools(struct parser *p, int line)
{
	char why[128];

	if (scenario__check_tools(p->diag.tools, why, sizeof(why)))
		return parser__error(p, line, "tools", "%s", why);
	return 0;
}

/* Check a cpu-split: 2..8 positive integers separated by ':', summing to 100. */
static int parser__split(struct parser *p, int line)
{
	const char *s = p->truth.split;
	unsigned long sum = 0;
	int n = 0;

	for (;;) {
		unsigned long v = 0;
		const char *start = s;

		while (isdigit((unsigned char)*s) && v <= 100)
			v = v * 10 + (unsigned long)(*s++ - '0');
		if (s == start || v == 0 || v > 100 || (*s && *s != ':'))
			return parser__error(p, line, "split",
					     "bad split \"%s\": use 2 to 8 positive integers "
					     "separated by ':', e.g. 70:30", p->truth.split);
		sum += v;
		n++;
		if (!*s++)
			break;
	}
	if (n < 2 || n > 8)
		return parser__error(p, line, "split",
				     "bad split \"%s\": %d shares (use 2 to 8)", p->truth.split, n);
	if (sum != 100)
		return parser__error(p, line, "split",
				     "bad split \"%s\": shares must sum to 100 (they sum to %lu)",
				     p->truth.split, sum);
	return 0;
}

/* A [diag] key: "features" or FEATURE.key into that feature's settings. */
static int parser__diag_key(struct parser *p, const char *key, const char *val, int line)
{
	char feature[64], where[80], known[512];
	const struct diag_desc *d;
	const char *dot = strchr(key, '.');
	size_t id;

	if (!dot) {
		if (!opts__find(diag_opts, key))
			return parser__error(p, line, key,
					     "unknown key in [diag] (known: features, tools, max-drops, FEATURE.key)");
		if (!parser__set(p, diag_opts, &p->diag, &p->ks_diag, "in [diag]",
				 key, key, val, line))
			return -EINVAL;
		if (!strcmp(key, "tools"))
			return parser__tools(p, line);
		if (strcmp(key, "features"))
			return 0;
		return parser__features(p, line);
	}
	snprintf(feature, sizeof(feature), "%.*s", (int)(dot - key), key);
	d = diag_desc__find(feature);
	if (!d) {
		features__format(known, sizeof(known));
		return parser__error(p, line, key, "unknown feature \"%s\" (known: %s)",
				     feature, known);
	}
	id = (size_t)(d - diag_descs);
	snprintf(where, sizeof(where), "for %s", d->name);
	if (!parser__set(p, d->opts, p->sc->settings[id], &p->ks_feat[id], where,
			 dot + 1, key, val, line))
		return -EINVAL;
	return 0;
}

/* A "key = value" line in the current section. */
static int parser__key(struct parser *p, const char *key, const char *val, int line)
{
	struct scenario *sc = p->sc;
	char where[SCEN_NAME_LEN + 16];
	const struct opt *o;

	switch (p->sect) {
	case SECT_NONE:
		return parser__error(p, line, key,
				     "key outside any section (start with [scenario])");
	case SECT_SCENARIO:
		o = parser__set(p, scenario_opts, sc, &p->ks_scenario, "in [scenario]",
				key, key, val, line);
		if (!o)
			return -EINVAL;
		if (!strcmp(o->name, "name") && !sc->name[0])
			return parser__error(p, line, key, "empty: a scenario needs a name");
		return 0;
	case SECT_LOAD:
		snprintf(where, sizeof(where), "in [load.%s]", sc->loads[sc->nr_loads - 1].name);
		o = parser__set(p, load_opts, &sc->loads[sc->nr_loads - 1],
				&p->ks_loads[sc->nr_loads - 1], where, key, key, val, line);
		if (!o)
			return -EINVAL;
		if (!strcmp(o->name, "args") && !sc->loads[sc->nr_loads - 1].args[0])
			return parser__error(p, line, key, "empty: give the tool's arguments");
		return 0;
	case SECT_DIAG:
		return parser__diag_key(p, key, val, line);
	case SECT_TRUTH:
		o = parser__set(p, truth_opts, &p->truth, &p->ks_truth, "in [truth]",
				key, key, val, line);
		if (!o)
			return -EINVAL;
		if (!strcmp(o->name, "split"))
			return parser__split(p, line);
		return 0;
	}
	return -EINVAL;
}

/* True if @s is a valid load name: [A-Za-z0-9_-]+. */
static bool load_name__valid(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			       "0123456789_-") == strlen(s);
}

/* Open a section (@name is what is between the brackets, trimmed). */
static int parser__section(struct parser *p, const char *name, const char *shown, int line)
{
	struct scenario *sc = p->sc;
	struct keyset *ks = NULL;
	struct load_spec *ld;

	if (!strcmp(name, "scenario")) {
		p->sect = SECT_SCENARIO;
		ks = &p->ks_scenario;
	} else if (!strcmp(name, "diag")) {
		p->sect = SECT_DIAG;
		ks = &p->ks_diag;
	} else if (!strcmp(name, "truth")) {
		p->sect = SECT_TRUTH;
		ks = &p->ks_truth;
	} else if (!strncmp(name, "load.", 5)) {
		const char *lname = name + 5;

		if (!load_name__valid(lname))
			return parser__error(p, line, shown,
					     "bad load name \"%s\": use letters, digits, '_' and '-'",
					     lname);
		if (strlen(lname) >= SCEN_NAME_LEN)
			return parser__error(p, line, shown,
					     "load name too long (at most %d characters)",
					     SCEN_NAME_LEN - 1);
		for (int i = 0; i < sc->nr_loads; i++)
			if (!strcmp(sc->loads[i].name, lname))
				return parser__error(p, line, shown,
						     "duplicate section (first at line %d)",
						     sc->loads[i].line);
		if (sc->nr_loads >= SCEN_MAX_LOADS)
			return parser__error(p, line, shown,
					     "too many load sections (at most %d)", SCEN_MAX_LOADS);
		ld = &sc->loads[sc->nr_loads];
		if (opts__defaults(load_opts, ld))
			return parser__error(p, line, shown, "internal error: bad default");
		snprintf(ld->name, sizeof(ld->name), "%s", lname);
		ld->line = line;
		p->ks_loads[sc->nr_loads].header = line;
		sc->nr_loads++;
		p->sect = SECT_LOAD;
		return 0;
	} else {
		return parser__error(p, line, shown,
				     "unknown section (known: scenario, load.NAME, diag, truth)");
	}
	if (ks->header)
		return parser__error(p, line, shown, "duplicate section (first at line %d)",
				     ks->header);
	ks->header = line;
	return 0;
}

/* Trim blanks (and a CR) at both ends of @s, in place. */
static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* True if @s is a valid key: letters, digits, '_', '-', '.'. */
static bool key__valid(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			       "0123456789_-.") == strlen(s);
}

/*
 * One line: blank, comment, [section] or key = value. A '#' preceded by a
 * blank starts a trailing comment.
 */
static int parser__line(struct parser *p, char *s, int line)
{
	char *eq, *key, *val;

	s = trim(s);
	if (!*s || *s == '#' || *s == ';')
		return 0;
	for (char *c = s + 1; *c; c++) {
		if (*c == '#' && isspace((unsigned char)c[-1])) {
			*c = '\0';
			break;
		}
	}
	s = trim(s);
	if (*s == '[') {
		size_t n = strlen(s);
		char name[SCEN_NAME_LEN + 16], shown[SCEN_NAME_LEN + 24];

		if (n < 2 || s[n - 1] != ']')
			return parser__error(p, line, s, "malformed section header: expected [NAME]");
		s[n - 1] = '\0';
		snprintf(name, sizeof(name), "%s", trim(s + 1));
		snprintf(shown, sizeof(shown), "[%s]", name);
		return parser__section(p, name, shown, line);
	}
	eq = strchr(s, '=');
	if (!eq)
		return parser__error(p, line, s, "not a key = value line");
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (!key__valid(key))
		return parser__error(p, line, *key ? key : "=",
				     "not a key = value line (a key is letters, digits, '_', '-', '.')");
	return parser__key(p, key, val, line);
}

/* Required keys of @tab missing from a section that starts at ks->header. */
static int parser__required(struct parser *p, const struct opt *tab, const struct keyset *ks,
			    const char *section)
{
	for (const struct opt *o = tab; o->name; o++)
		if (o->required && !ks->line[o - tab])
			return parser__error(p, ks->header, o->name,
					     "required key missing in [%s]", section);
	return 0;
}

/* Checks that need the whole file, then copying [diag] and [truth] into @sc. */
static int parser__finish(struct parser *p)
{
	struct scenario *sc = p->sc;
	int eof = p->nr_lines ? p->nr_lines : 1;
	char a[32], b[32], section[SCEN_NAME_LEN + 8];
	int line, rc;

	if (!p->ks_scenario.header)
		return parser__error(p, eof, "[scenario]",
				     "section missing: a scenario needs a name and a target-load");
	rc = parser__required(p, scenario_opts, &p->ks_scenario, "scenario");
	if (rc)
		return rc;
	for (int i = 0; i < sc->nr_loads; i++) {
		snprintf(section, sizeof(section), "load.%s", sc->loads[i].name);
		rc = parser__required(p, load_opts, &p->ks_loads[i], section);
		if (rc)
			return rc;
	}
	if (!sc->nr_loads)
		return parser__error(p, eof, "[load.NAME]",
				     "no [load.NAME] section: a scenario needs at least one "
				     "load generator");
	if (sc->warmup_ms >= sc->duration_ms) {
		opts__format(opts__find(scenario_opts, "warmup"), sc, a, sizeof(a));
		opts__format(opts__find(scenario_opts, "duration"), sc, b, sizeof(b));
		line = keyset__line(&p->ks_scenario, scenario_opts, "warmup");
		if (line)
			return parser__error(p, line, "warmup",
					     "must be shorter than duration (%s >= %s)", a, b);
		line = keyset__line(&p->ks_scenario, scenario_opts, "duration");
		return parser__error(p, line, "duration",
				     "must be longer than warmup (%s <= default warmup %s)", b, a);
	}
	for (int i = 0; i < sc->nr_loads; i++) {
		if (strstr(sc->loads[i].args, "{dev}") && !sc->loads[i].loop_size)
			return parser__error(p, keyset__line(&p->ks_loads[i], load_opts, "args"),
					     "args", "{dev} needs a loop device: set loop-size "
					     "in [load.%s]", sc->loads[i].name);
		if (sc->loads[i].memory_limit && sc->loads[i].memory_limit < MEMORY_LIMIT_MIN) {
			opts__format(opts__find(load_opts, "memory-limit"), &sc->loads[i], a,
				     sizeof(a));
			return parser__error(p, keyset__line(&p->ks_loads[i], load_opts,
							     "memory-limit"),
					     "memory-limit", "out of range: %s (accepted 0 or 16M..1T)",
					     a);
		}
	}
	if (!keyset__line(&p->ks_diag, diag_opts, "features")) {
		rc = parser__features(p, p->ks_diag.header ? p->ks_diag.header : eof);
		if (rc)
			return rc;
	}
	snprintf(sc->tools, sizeof(sc->tools), "%s", p->diag.tools);
	sc->tools_line = keyset__line(&p->ks_diag, diag_opts, "tools");
	sc->max_drops = p->diag.max_drops;
	sc->truth = p->truth.enabled;
	snprintf(sc->truth_split, sizeof(sc->truth_split), "%s", p->truth.split);
	sc->truth_ms = p->truth.duration_ms;
	return 0;
}

/* Defaults for everything, and every feature's settings allocated. */
static int parser__init(struct parser *p, const char *text)
{
	struct scenario *sc = p->sc;

	snprintf(sc->path, sizeof(sc->path), "%s", p->path);
	sc->text = strdup(text);
	if (!sc->text)
		return -ENOMEM;
	for (int i = 0; i < DIAG_FEATURE__MAX; i++) {
		sc->settings[i] = calloc(1, diag_descs[i].settings_size);
		if (!sc->settings[i])
			return -ENOMEM;
		if (opts__defaults(diag_descs[i].opts, sc->settings[i]))
			return -EINVAL;
	}
	if (opts__defaults(scenario_opts, sc) || opts__defaults(diag_opts, &p->diag) ||
	    opts__defaults(truth_opts, &p->truth))
		return -EINVAL;
	return 0;
}

/*
 * Parse a scenario: @text is the contents of @path (used in messages).
 * Returns 0, or -EINVAL with "path:line: key: reason" in @err, or -ENOMEM.
 */
int scenario__parse(struct scenario *sc, const char *path, const char *text,
		    char *err, size_t errlen)
{
	struct parser *p;
	char *copy, *s, *nl;
	int line = 0, rc;

	memset(sc, 0, sizeof(*sc));
	if (err && errlen)
		err[0] = '\0';
	p = calloc(1, sizeof(*p));
	if (!p)
		goto out_nomem;
	p->sc = sc;
	p->path = path;
	p->err = err;
	p->errlen = errlen;
	rc = parser__init(p, text);
	if (rc == -ENOMEM)
		goto out_free_parser;
	if (rc) {
		rc = parser__error(p, 0, "[defaults]", "internal error: a default does not parse");
		goto out_free_parser;
	}
	copy = strdup(text);
	if (!copy) {
		rc = -ENOMEM;
		goto out_free_parser;
	}
	rc = 0;
	for (s = copy; s && !rc; s = nl) {
		nl = strchr(s, '\n');
		if (nl)
			*nl++ = '\0';
		if (!nl && !*s)
			break;
		rc = parser__line(p, s, ++line);
	}
	p->nr_lines = line;
	if (!rc)
		rc = parser__finish(p);
	free(copy);
out_free_parser:
	free(p);
	if (rc != -ENOMEM)
		return rc;
out_nomem:
	if (err && errlen)
		snprintf(err, errlen, "%s: out of memory", path);
	return -ENOMEM;
}

/*
 * Read @path (at most 1 MiB, no NUL bytes) and parse it. Errors are
 * "path: cannot open: ..." and friends, or the parser's.
 */
int scenario__load(struct scenario *sc, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t n = 0;
	ssize_t r;
	int fd, rc;

	memset(sc, 0, sizeof(*sc));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	buf = malloc(SCEN_MAX_FILE + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		rc = -ENOMEM;
		goto out_close;
	}
	while (n <= SCEN_MAX_FILE) {
		r = read(fd, buf + n, SCEN_MAX_FILE + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
			goto out_free;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	if (n > SCEN_MAX_FILE) {
		snprintf(err, errlen, "%s: too large (at most 1 MiB)", path);
		rc = -EFBIG;
		goto out_free;
	}
	if (memchr(buf, '\0', n)) {
		snprintf(err, errlen, "%s: not a text file (contains NUL bytes)", path);
		rc = -EINVAL;
		goto out_free;
	}
	buf[n] = '\0';
	rc = scenario__parse(sc, path, buf, err, errlen);
out_free:
	free(buf);
out_close:
	close(fd);
	return rc;
}

/* Release what parse/load allocated; @sc can be freed again afterwards. */
void scenario__free(struct scenario *sc)
{
	for (int i = 0; i < DIAG_FEATURE__MAX; i++) {
		free(sc->settings[i]);
		sc->settings[i] = NULL;
	}
	free(sc->text);
	sc->text = NULL;
}

/* `hldbench help scenario`: the file format, then every section's keys. */
void scenario__help(FILE *f)
{
	char prefix[80], known[512];
	bool first = true;

	fprintf(f,
		"Scenario files are INI files, fio-style: [section] headers, key = value\n"
		"lines, comments from '#' or ';' at the start of a line or ' #' after a\n"
		"value. Durations take ms, s, m or h (a bare number is seconds; 1.5s is\n"
		"fine); sizes take k, M, G or T (powers of 1024). Errors name file, line\n"
		"and key.\n\n");
	fprintf(f, "[scenario]  what to reach and how long to measure\n");
	opts__help(f, scenario_opts, "");
	fprintf(f, "\n[load.NAME]  one per load generator, up to %d; NAME is [A-Za-z0-9_-]+\n",
		SCEN_MAX_LOADS);
	opts__help(f, load_opts, "");
	fprintf(f, "\n[diag]  diagnosis features run alongside the load, and their settings\n");
	opts__help(f, diag_opts, "");
	features__format(known, sizeof(known));
	fprintf(f, "      known: %s\n", known);
	for (int i = 0; i < DIAG_FEATURE__MAX; i++) {
		if (!diag_descs[i].opts->name)
			continue;
		snprintf(prefix, sizeof(prefix), "%s.", diag_descs[i].name);
		opts__help(f, diag_descs[i].opts, prefix);
	}
	fprintf(f, "  features without settings:");
	for (int i = 0; i < DIAG_FEATURE__MAX; i++) {
		if (diag_descs[i].opts->name)
			continue;
		fprintf(f, "%s %s", first ? "" : ",", diag_descs[i].name);
		first = false;
	}
	fprintf(f, "\n\n[truth]  ground-truth phase: a workload with known CPU shares\n");
	opts__help(f, truth_opts, "");
}
