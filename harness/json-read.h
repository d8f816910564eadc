/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json-read.h - reading run.json and its kin (json-c): lookups that treat a
 * missing member, a null and a wrong type alike, so that a reader of an
 * older or partial file gets NaN, NULL or false rather than a crash.
 */
#ifndef HLD_JSON_READ_H
#define HLD_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* Member @key of object @o, or NULL (also for a NULL @o). */
struct json_object *jr__get(struct json_object *o, const char *key);

/* A number member, NaN when missing, null or not a number. */
double jr__num(struct json_object *o, const char *key);

/* A string member, or NULL. */
const char *jr__str(struct json_object *o, const char *key);

/* A boolean member (json-c's truthiness), false when missing. */
bool jr__bool(struct json_object *o, const char *key);

/* Element @i of array member @key, NULL past its end or if it is no array. */
struct json_object *jr__at(struct json_object *o, const char *key, size_t i);

/* The element of array member @key whose string member @field is @value, or NULL. */
struct json_object *jr__find(struct json_object *o, const char *key, const char *field,
			     const char *value);

#endif /* HLD_JSON_READ_H */
