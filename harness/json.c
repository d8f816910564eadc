// SPDX-License-Identifier: GPL-2.0
/*
 * json.c - a small streaming JSON writer for run.json and feature reports.
 *
 * The writer keeps one "a value was already written at this level" flag per
 * nesting level, which is all it needs to place commas and, when pretty,
 * newlines and two-space indentation.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Start writing into @f; @pretty selects indented output. */
void json__init(struct json_writer *j, FILE *f, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->pretty = pretty;
}

static void json__indent(struct json_writer *j)
{
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/*
 * Everything that goes before a value: the comma after the previous sibling,
 * the line break and indent, and the key inside an object.
 */
static void json__member(struct json_writer *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
	if (j->pretty && j->depth > 0)
		json__indent(j);
	if (key) {
		json__quote(j->f, key);
		fputs(j->pretty ? ": " : ":", j->f);
	}
}

/*
 * Open a container. Nesting beyond JSON_MAX_DEPTH is a caller bug: the
 * depth is clamped so memory stays safe, but commas and indentation past
 * that depth are no longer right.
 */
static void json__open(struct json_writer *j, const char *key, char c)
{
	json__member(j, key);
	fputc(c, j->f);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
}

/* Close a container; an empty one stays on one line ("{}"). */
static void json__close(struct json_writer *j, char c)
{
	bool had_members = j->need_comma[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (j->pretty && had_members)
		json__indent(j);
	fputc(c, j->f);
	if (j->pretty && j->depth == 0)
		fputc('\n', j->f);
}

void json__begin_object(struct json_writer *j, const char *key)
{
	json__open(j, key, '{');
}

void json__end_object(struct json_writer *j)
{
	json__close(j, '}');
}

void json__begin_array(struct json_writer *j, const char *key)
{
	json__open(j, key, '[');
}

void json__end_array(struct json_writer *j)
{
	json__close(j, ']');
}

/* A string value; NULL is written as null. */
void json__str(struct json_writer *j, const char *key, const char *val)
{
	json__member(j, key);
	if (val)
		json__quote(j->f, val);
	else
		fputs("null", j->f);
}

void json__int(struct json_writer *j, const char *key, int64_t val)
{
	json__member(j, key);
	fprintf(j->f, "%lld", (long long)val);
}

void json__uint(struct json_writer *j, const char *key, uint64_t val)
{
	json__member(j, key);
	fprintf(j->f, "%llu", (unsigned long long)val);
}

/*
 * A double in the shortest form that reads back to the same value, so that
 * run.json loses nothing (whole numbers without an exponent); NaN and
 * infinities are null (unmeasured).
 */
void json__double(struct json_writer *j, const char *key, double val)
{
	char buf[40];

	json__member(j, key);
	if (!isfinite(val)) {
		fputs("null", j->f);
		return;
	}
	if (val == floor(val) && fabs(val) < 1e15) {
		fprintf(j->f, "%.0f", val);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, val);
		if (strtod(buf, NULL) == val)
			break;
	}
	fputs(buf, j->f);
}

void json__bool(struct json_writer *j, const char *key, bool val)
{
	json__member(j, key);
	fputs(val ? "true" : "false", j->f);
}

void json__null(struct json_writer *j, const char *key)
{
	json__member(j, key);
	fputs("null", j->f);
}

/*
 * Length of the well-formed UTF-8 sequence at @s (2..4), or 0 if it is not
 * one: overlong forms, surrogates and code points above U+10FFFF are
 * rejected as RFC 3629 requires.
 */
static int utf8__seq_len(const unsigned char *s)
{
	unsigned cp;
	int n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Quote @s: escape '"', '\\' and control characters; pass valid UTF-8
 * through; replace each byte of invalid UTF-8 with U+FFFD so the output is
 * always valid JSON, whatever a task's comm or a path contains.
 */
void json__quote(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		int n;

		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p++, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
			p++;
		} else if (*p == '\t') {
			fputs("\\t", f);
			p++;
		} else if (*p == '\r') {
			fputs("\\r", f);
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			fputc(*p++, f);
		} else if ((n = utf8__seq_len(p)) > 0) {
			fwrite(p, 1, (size_t)n, f);
			p += n;
		} else {
			fputs("\\ufffd", f);
			p++;
		}
	}
	fputc('"', f);
}
