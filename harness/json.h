/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json.h - a small streaming JSON writer (output only).
 *
 * Keys are given on every call; pass NULL for a key inside an array.
 * Doubles that are NaN or infinite are written as null, so an unmeasured
 * figure never masquerades as a number.
 */
#ifndef HLD_JSON_H
#define HLD_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
	FILE *f;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool pretty;
};

void json__init(struct json_writer *j, FILE *f, bool pretty);
void json__begin_object(struct json_writer *j, const char *key);
void json__end_object(struct json_writer *j);
void json__begin_array(struct json_writer *j, const char *key);
void json__end_array(struct json_writer *j);
void json__str(struct json_writer *j, const char *key, const char *val);	/* NULL -> null */
void json__int(struct json_writer *j, const char *key, int64_t val);
void json__uint(struct json_writer *j, const char *key, uint64_t val);
void json__double(struct json_writer *j, const char *key, double val);
void json__bool(struct json_writer *j, const char *key, bool val);
void json__null(struct json_writer *j, const char *key);
/* Write @s as a quoted, escaped JSON string (no key handling). */
void json__quote(FILE *f, const char *s);

#endif /* HLD_JSON_H */
