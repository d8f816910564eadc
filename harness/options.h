/* SPDX-License-Identifier: GPL-2.0 */
/*
 * options.h - table-driven options.
 *
 * One table of struct opt per option set (a scenario section, a diagnosis
 * feature's settings) drives the parser, the defaults and the help text.
 * Each entry names a field of a target struct by offsetof().
 */
#ifndef HLD_OPTIONS_H
#define HLD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum opt_type {
	OPT_INT,	/* int64_t */
	OPT_UINT,	/* uint64_t */
	OPT_DOUBLE,	/* double */
	OPT_BOOL,	/* bool: 1/0, true/false, yes/no, on/off */
	OPT_STR,	/* char[len]: len given in opt.len */
	OPT_DURATION,	/* uint64_t milliseconds: "500ms", "30s", "5m", "1h"; bare number = seconds */
	OPT_SIZE,	/* uint64_t bytes: "4k", "256M", "1G" (powers of 1024) */
	OPT_ENUM,	/* int: index into opt.choices (NULL-terminated) */
};

struct opt {
	const char *name;	/* key as written in files and on command lines */
	enum opt_type type;
	size_t off;		/* offsetof() in the target struct */
	size_t len;		/* OPT_STR: buffer size */
	double min, max;	/* inclusive range; ignored when min == max == 0 */
	const char *def;	/* default, as text; NULL = none */
	bool required;		/* must be given (a default does not satisfy it) */
	const char *const *choices;	/* OPT_ENUM */
	const char *help;
};

#define OPT_END { .name = NULL }

/* Set every option that has a default. Returns 0 or -EINVAL (bad default). */
int opts__defaults(const struct opt *tab, void *obj);

/* Look up @key in @tab; NULL if absent. */
const struct opt *opts__find(const struct opt *tab, const char *key);

/*
 * Parse @val for option @o into @obj. On error returns -EINVAL (or -ERANGE
 * for a value out of range) and writes a reason, without the key, to @err
 * (e.g. "bad duration \"3q\": use a number with ms, s, m or h").
 */
int opts__set(const struct opt *o, void *obj, const char *val, char *err, size_t errlen);

/* Format the current value of @o in @obj into @buf (for --settings, run.json). */
int opts__format(const struct opt *o, const void *obj, char *buf, size_t len);

/* Print one line per option: name, type, range, default, help. */
void opts__help(FILE *f, const struct opt *tab, const char *prefix);

/* Parse helpers, exposed for the command line and tests. */
int parse_duration_ms(const char *s, uint64_t *ms);
int parse_size(const char *s, uint64_t *bytes);

#endif /* HLD_OPTIONS_H */
