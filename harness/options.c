// SPDX-License-Identifier: GPL-2.0
/*
 * options.c - table-driven options: parsing, defaults, formatting, help.
 *
 * Every value is parsed strictly: the whole string must be consumed, no
 * blanks, no sign where none makes sense, no silent truncation or rounding.
 * Error reasons name the accepted form or range so that the caller only has
 * to prefix them with "file:line: key: ".
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options.h"

#define MS_PER_S UINT64_C(1000)
#define MS_PER_M (60 * MS_PER_S)
#define MS_PER_H (60 * MS_PER_M)
#define KIB UINT64_C(1024)
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define TIB (1024 * GIB)

/* -EDOM from the decimal helpers: valid syntax, but not a whole unit. */
#define ETOOFINE EDOM

/* Write a printf-style reason into @err (if any) and return @rc. */
static int __attribute__((format(printf, 4, 5)))
fail(char *err, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/*
 * Split "DIGITS[.DIGITS]" at the start of @s into an integer mantissa and a
 * count of fraction digits (trailing zeros dropped), so that values with
 * units can be scaled exactly, without floating point. *end is set even on
 * -ERANGE so that the caller can still check the unit first.
 */
static int decimal__parse(const char *s, const char **end, uint64_t *mant, unsigned *frac)
{
	const char *p = s, *f, *last;
	int rc = 0;

	*mant = 0;
	*frac = 0;
	*end = s;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		if (__builtin_mul_overflow(*mant, 10, mant) ||
		    __builtin_add_overflow(*mant, (uint64_t)(*p - '0'), mant))
			rc = -ERANGE;
		p++;
	}
	if (*p == '.') {
		f = ++p;
		while (isdigit((unsigned char)*p))
			p++;
		if (p == f)
			return -EINVAL;
		for (last = p; last > f && last[-1] == '0'; last--)
			;
		for (; f < last; f++) {
			if (__builtin_mul_overflow(*mant, 10, mant) ||
			    __builtin_add_overflow(*mant, (uint64_t)(*f - '0'), mant))
				rc = -ERANGE;
			(*frac)++;
		}
	}
	*end = p;
	return rc;
}

/*
 * mant / 10^frac * mult, exactly. -ETOOFINE when the result is not a whole
 * number (e.g. "0.5ms"), -ERANGE when it does not fit 64 bits.
 */
static int decimal__scale(uint64_t mant, unsigned frac, uint64_t mult, uint64_t *out)
{
	unsigned __int128 v = (unsigned __int128)mant * mult, p10 = 1;

	if (frac > 38)
		return -ETOOFINE;
	while (frac--)
		p10 *= 10;
	if (v % p10)
		return -ETOOFINE;
	v /= p10;
	if (v > UINT64_MAX)
		return -ERANGE;
	*out = (uint64_t)v;
	return 0;
}

/* Duration parser; returns -EINVAL (syntax), -ETOOFINE or -ERANGE. */
static int duration__parse(const char *s, uint64_t *ms)
{
	static const struct { const char *suffix; uint64_t mult; } units[] = {
		{ "ms", 1 }, { "s", MS_PER_S }, { "m", MS_PER_M }, { "h", MS_PER_H },
		{ "", MS_PER_S },
	};
	const char *end;
	uint64_t mant;
	unsigned frac;
	int rc;

	rc = decimal__parse(s, &end, &mant, &frac);
	if (rc == -EINVAL)
		return rc;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix))
			continue;
		if (rc)
			return rc;
		return decimal__scale(mant, frac, units[i].mult, ms);
	}
	return -EINVAL;
}

/*
 * Size parser: a number, an optional k/K, m/M, g/G or t/T multiplier (powers
 * of 1024), then an optional "B" (or "iB" after a multiplier).
 */
static int size__parse(const char *s, uint64_t *bytes)
{
	const char *end;
	uint64_t mant, mult = 1;
	unsigned frac;
	int rc;

	rc = decimal__parse(s, &end, &mant, &frac);
	if (rc == -EINVAL)
		return rc;
	switch (*end) {
	case 'k': case 'K': mult = KIB; end++; break;
	case 'm': case 'M': mult = MIB; end++; break;
	case 'g': case 'G': mult = GIB; end++; break;
	case 't': case 'T': mult = TIB; end++; break;
	}
	if (!strcmp(end, "B") || (mult > 1 && !strcmp(end, "iB")))
		end += strlen(end);
	if (*end)
		return -EINVAL;
	if (rc)
		return rc;
	return decimal__scale(mant, frac, mult, bytes);
}

/*
 * Parse a duration into milliseconds: "500ms", "30s", "5m", "1h", "1.5s";
 * a bare number is seconds. No sign, no blanks, no sub-millisecond part.
 * Returns 0, -EINVAL or -ERANGE (does not fit 64 bits).
 */
int parse_duration_ms(const char *s, uint64_t *ms)
{
	int rc = duration__parse(s, ms);

	return rc == -ETOOFINE ? -EINVAL : rc;
}

/*
 * Parse a size into bytes: "512", "4k", "256M", "1.5G", "4KiB", "1GB".
 * Returns 0, -EINVAL or -ERANGE.
 */
int parse_size(const char *s, uint64_t *bytes)
{
	int rc = size__parse(s, bytes);

	return rc == -ETOOFINE ? -EINVAL : rc;
}

/* Strict signed decimal: optional '-', digits, nothing else. */
static int int__parse(const char *s, int64_t *v)
{
	const char *p = *s == '-' ? s + 1 : s;
	char *end;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (*end)
		return -EINVAL;
	return errno == ERANGE ? -ERANGE : 0;
}

/* Strict unsigned decimal: digits only (strtoull would accept "-1"). */
static int uint__parse(const char *s, uint64_t *v)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	return errno == ERANGE ? -ERANGE : 0;
}

/*
 * Strict decimal floating point: digits, '.', exponent; no hex, no "nan",
 * no "inf", no blanks. -ERANGE on overflow.
 */
static int double__parse(const char *s, double *v)
{
	const char *p = (*s == '-' || *s == '+') ? s + 1 : s;
	char *end;

	if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
		return -EINVAL;
	if (strspn(p, "0123456789.eE+-") != strlen(p))
		return -EINVAL;
	errno = 0;
	*v = strtod(s, &end);
	if (*end)
		return -EINVAL;
	if (!isfinite(*v) || (errno == ERANGE && fabs(*v) == HUGE_VAL))
		return -ERANGE;
	return 0;
}

/*
 * The shortest form of @v that reads back as the same double; whole numbers
 * below 1e15 without an exponent ("10000", not "1e+04").
 */
static void double__format(double v, char *buf, size_t len)
{
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(buf, len, "%.0f", v);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* A duration in the largest unit that keeps it exact: "1h", "90s", "150ms". */
static void duration__format(uint64_t ms, char *buf, size_t len)
{
	if (!ms)
		snprintf(buf, len, "0s");
	else if (!(ms % MS_PER_H))
		snprintf(buf, len, "%" PRIu64 "h", ms / MS_PER_H);
	else if (!(ms % MS_PER_M))
		snprintf(buf, len, "%" PRIu64 "m", ms / MS_PER_M);
	else if (!(ms % MS_PER_S))
		snprintf(buf, len, "%" PRIu64 "s", ms / MS_PER_S);
	else
		snprintf(buf, len, "%" PRIu64 "ms", ms);
}

/* A size in the largest power-of-1024 unit that keeps it exact: "4k", "1G". */
static void size__format(uint64_t b, char *buf, size_t len)
{
	if (b && !(b % TIB))
		snprintf(buf, len, "%" PRIu64 "T", b / TIB);
	else if (b && !(b % GIB))
		snprintf(buf, len, "%" PRIu64 "G", b / GIB);
	else if (b && !(b % MIB))
		snprintf(buf, len, "%" PRIu64 "M", b / MIB);
	else if (b && !(b % KIB))
		snprintf(buf, len, "%" PRIu64 "k", b / KIB);
	else
		snprintf(buf, len, "%" PRIu64, b);
}

static bool opt__has_range(const struct opt *o)
{
	return o->min != 0 || o->max != 0;
}

/* One end of @o's range, in @o's own notation (durations as "10ms"). */
static void bound__format(const struct opt *o, double v, char *buf, size_t len)
{
	switch (o->type) {
	case OPT_DURATION:
		duration__format((uint64_t)v, buf, len);
		break;
	case OPT_SIZE:
		size__format((uint64_t)v, buf, len);
		break;
	case OPT_DOUBLE:
		double__format(v, buf, len);
		break;
	default:
		snprintf(buf, len, "%.0f", v);
		break;
	}
}

/* "MIN..MAX" for @o, or "" when it has no range. */
static void range__format(const struct opt *o, char *buf, size_t len)
{
	char lo[32], hi[32];

	if (!opt__has_range(o)) {
		if (len)
			*buf = '\0';
		return;
	}
	bound__format(o, o->min, lo, sizeof(lo));
	bound__format(o, o->max, hi, sizeof(hi));
	snprintf(buf, len, "%s..%s", lo, hi);
}

/* Error for a value outside @o's range (or its type's limits). */
static int out_of_range(const struct opt *o, const char *val, char *err, size_t len)
{
	char range[80];

	range__format(o, range, sizeof(range));
	if (!*range) {
		switch (o->type) {
		case OPT_INT:
			snprintf(range, sizeof(range), "%" PRId64 "..%" PRId64, INT64_MIN, INT64_MAX);
			break;
		case OPT_DOUBLE:
			snprintf(range, sizeof(range), "finite numbers");
			break;
		default:
			snprintf(range, sizeof(range), "0..%" PRIu64 "%s", UINT64_MAX,
				 o->type == OPT_DURATION ? "ms" : "");
			break;
		}
	}
	return fail(err, len, -ERANGE, "out of range: %s (accepted %s)", val, range);
}

/* Range check of an already parsed value. */
static bool in_range(const struct opt *o, double v)
{
	return !opt__has_range(o) || (v >= o->min && v <= o->max);
}

/* "a, b, c" from a NULL-terminated list. */
static void choices__format(const char *const *choices, const char *sep, char *buf, size_t len)
{
	size_t n = 0;

	if (len)
		*buf = '\0';
	for (int i = 0; choices && choices[i] && n < len; i++) {
		int w = snprintf(buf + n, len - n, "%s%s", i ? sep : "", choices[i]);

		if (w < 0)
			return;
		n += (size_t)w;
	}
}

static const char *const bool_true[] = { "1", "true", "yes", "on", NULL };
static const char *const bool_false[] = { "0", "false", "no", "off", NULL };

/* 1 or 0 for a boolean word (any case), -EINVAL otherwise. */
static int bool__parse(const char *s)
{
	for (int i = 0; bool_true[i]; i++) {
		if (!strcasecmp(s, bool_true[i]))
			return 1;
		if (!strcasecmp(s, bool_false[i]))
			return 0;
	}
	return -EINVAL;
}

/*
 * Parse @val for @o and store it in @obj at o->off. The value is checked
 * completely before anything is stored, so @obj is unchanged on error.
 */
int opts__set(const struct opt *o, void *obj, const char *val, char *err, size_t errlen)
{
	char *dst = (char *)obj + o->off;
	char range[80], list[256];
	int64_t i64;
	uint64_t u64;
	double d;
	int rc;

	range__format(o, range, sizeof(range));
	switch (o->type) {
	case OPT_INT:
		rc = int__parse(val, &i64);
		if (rc == -EINVAL)
			return fail(err, errlen, rc, "bad number \"%s\": expected an integer%s%s",
				    val, *range ? " " : "", range);
		if (rc || !in_range(o, (double)i64))
			return out_of_range(o, val, err, errlen);
		memcpy(dst, &i64, sizeof(i64));
		return 0;
	case OPT_UINT:
		rc = uint__parse(val, &u64);
		if (rc == -EINVAL)
			return fail(err, errlen, rc, "bad number \"%s\": expected %s%s", val,
				    *range ? "an integer " : "a non-negative integer", range);
		if (rc || !in_range(o, (double)u64))
			return out_of_range(o, val, err, errlen);
		memcpy(dst, &u64, sizeof(u64));
		return 0;
	case OPT_DOUBLE:
		rc = double__parse(val, &d);
		if (rc == -EINVAL)
			return fail(err, errlen, rc, "bad number \"%s\": expected a number%s%s",
				    val, *range ? " " : "", range);
		if (rc || !in_range(o, d))
			return out_of_range(o, val, err, errlen);
		memcpy(dst, &d, sizeof(d));
		return 0;
	case OPT_BOOL:
		rc = bool__parse(val);
		if (rc < 0)
			return fail(err, errlen, -EINVAL,
				    "bad value \"%s\": one of 1/0, true/false, yes/no, on/off", val);
		*(bool *)dst = rc;
		return 0;
	case OPT_STR:
		if (strlen(val) >= o->len)
			return fail(err, errlen, -EINVAL, "too long: %zu characters (at most %zu)",
				    strlen(val), o->len ? o->len - 1 : 0);
		memcpy(dst, val, strlen(val) + 1);
		return 0;
	case OPT_DURATION:
		rc = duration__parse(val, &u64);
		if (rc == -EINVAL)
			return fail(err, errlen, rc,
				    "bad duration \"%s\": use a number with ms, s, m or h", val);
		if (rc == -ETOOFINE)
			return fail(err, errlen, -EINVAL,
				    "bad duration \"%s\": finer than 1ms", val);
		if (rc || !in_range(o, (double)u64))
			return out_of_range(o, val, err, errlen);
		memcpy(dst, &u64, sizeof(u64));
		return 0;
	case OPT_SIZE:
		rc = size__parse(val, &u64);
		if (rc == -EINVAL)
			return fail(err, errlen, rc,
				    "bad size \"%s\": use a number with k, M, G or T (powers of 1024)",
				    val);
		if (rc == -ETOOFINE)
			return fail(err, errlen, -EINVAL,
				    "bad size \"%s\": not a whole number of bytes", val);
		if (rc || !in_range(o, (double)u64))
			return out_of_range(o, val, err, errlen);
		memcpy(dst, &u64, sizeof(u64));
		return 0;
	case OPT_ENUM:
		for (int i = 0; o->choices && o->choices[i]; i++) {
			if (!strcmp(val, o->choices[i])) {
				*(int *)dst = i;
				return 0;
			}
		}
		choices__format(o->choices, ", ", list, sizeof(list));
		return fail(err, errlen, -EINVAL, "bad value \"%s\": one of %s", val, list);
	}
	return fail(err, errlen, -EINVAL, "internal error: unknown option type %d", o->type);
}

/*
 * Apply every default of @tab to @obj; options without a default are left
 * as they are. A default that does not parse is a bug in the table.
 */
int opts__defaults(const struct opt *tab, void *obj)
{
	for (const struct opt *o = tab; o->name; o++) {
		if (!o->def)
			continue;
		if (opts__set(o, obj, o->def, NULL, 0))
			return -EINVAL;
	}
	return 0;
}

/* Linear search: tables hold a handful of entries. */
const struct opt *opts__find(const struct opt *tab, const char *key)
{
	for (const struct opt *o = tab; o->name; o++)
		if (!strcmp(o->name, key))
			return o;
	return NULL;
}

/*
 * Format the value of @o in @obj so that opts__set() reads it back to the
 * same value. Returns 0, -ENOSPC if @buf is too small, -EINVAL on a bad
 * enum index or type.
 */
int opts__format(const struct opt *o, const void *obj, char *buf, size_t len)
{
	const char *src = (const char *)obj + o->off;
	char tmp[64];
	const char *out = tmp;
	int64_t i64;
	uint64_t u64;
	double d;
	int idx, n = 0;

	switch (o->type) {
	case OPT_INT:
		memcpy(&i64, src, sizeof(i64));
		snprintf(tmp, sizeof(tmp), "%" PRId64, i64);
		break;
	case OPT_UINT:
		memcpy(&u64, src, sizeof(u64));
		snprintf(tmp, sizeof(tmp), "%" PRIu64, u64);
		break;
	case OPT_DOUBLE:
		memcpy(&d, src, sizeof(d));
		double__format(d, tmp, sizeof(tmp));
		break;
	case OPT_BOOL:
		out = *(const bool *)src ? "true" : "false";
		break;
	case OPT_STR:
		out = src;
		break;
	case OPT_DURATION:
		memcpy(&u64, src, sizeof(u64));
		duration__format(u64, tmp, sizeof(tmp));
		break;
	case OPT_SIZE:
		memcpy(&u64, src, sizeof(u64));
		size__format(u64, tmp, sizeof(tmp));
		break;
	case OPT_ENUM:
		idx = *(const int *)src;
		for (n = 0; o->choices && o->choices[n]; n++)
			;
		if (idx < 0 || idx >= n)
			return -EINVAL;
		out = o->choices[idx];
		break;
	default:
		return -EINVAL;
	}
	if (strlen(out) >= len)
		return -ENOSPC;
	memcpy(buf, out, strlen(out) + 1);
	return 0;
}

/* The placeholder shown for @o's value in help: "DURATION", "stress-ng|fio". */
static void opt__type_name(const struct opt *o, char *buf, size_t len)
{
	static const char *const names[] = {
		[OPT_INT] = "INTEGER", [OPT_UINT] = "INTEGER", [OPT_DOUBLE] = "NUMBER",
		[OPT_BOOL] = "BOOL", [OPT_STR] = "STRING", [OPT_DURATION] = "DURATION",
		[OPT_SIZE] = "SIZE",
	};

	if (o->type == OPT_ENUM)
		choices__format(o->choices, "|", buf, len);
	else
		snprintf(buf, len, "%s", (unsigned)o->type < sizeof(names) / sizeof(names[0]) &&
			 names[o->type] ? names[o->type] : "?");
}

/*
 * Print each option of @tab as
 *   PREFIXname = TYPE        range, default or "required"
 *       help
 * so that scenario files and feature settings document themselves.
 */
void opts__help(FILE *f, const struct opt *tab, const char *prefix)
{
	for (const struct opt *o = tab; o->name; o++) {
		char type[128], range[80], head[200], attrs[256];
		size_t n = 0;

		opt__type_name(o, type, sizeof(type));
		range__format(o, range, sizeof(range));
		snprintf(head, sizeof(head), "%s%s = %s", prefix ? prefix : "", o->name, type);
		attrs[0] = '\0';
		if (*range)
			n += snprintf(attrs + n, sizeof(attrs) - n, "%s", range);
		if (o->type == OPT_STR && o->len)
			n += snprintf(attrs + n, sizeof(attrs) - n, "%sat most %zu characters",
				      n ? ", " : "", o->len - 1);
		if (o->required)
			n += snprintf(attrs + n, sizeof(attrs) - n, "%srequired", n ? ", " : "");
		else if (o->def && (*o->def || o->type != OPT_STR))
			n += snprintf(attrs + n, sizeof(attrs) - n, "%sdefault %s%s%s",
				      n ? ", " : "", o->type == OPT_STR ? "\"" : "", o->def,
				      o->type == OPT_STR ? "\"" : "");
		fprintf(f, "  %-36s %s\n", head, attrs);
		if (o->help)
			fprintf(f, "      %s\n", o->help);
	}
}
