// SPDX-License-Identifier: GPL-2.0
/*
 * json-read.c - lookups in parsed JSON (see json-read.h).
 */
#include <math.h>
#include <string.h>

#include "json-read.h"

struct json_object *jr__get(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

double jr__num(struct json_object *o, const char *key)
{
	struct json_object *v = jr__get(o, key);

	return v && (json_object_is_type(v, json_type_double) ||
		     json_object_is_type(v, json_type_int)) ? json_object_get_double(v) : NAN;
}

const char *jr__str(struct json_object *o, const char *key)
{
	struct json_object *v = jr__get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

bool jr__bool(struct json_object *o, const char *key)
{
	return json_object_get_boolean(jr__get(o, key));
}

struct json_object *jr__at(struct json_object *o, const char *key, size_t i)
{
	struct json_object *a = jr__get(o, key);

	if (!a || !json_object_is_type(a, json_type_array) || i >= json_object_array_length(a))
		return NULL;
	return json_object_array_get_idx(a, i);
}

struct json_object *jr__find(struct json_object *o, const char *key, const char *field,
			     const char *value)
{
	struct json_object *e;

	for (size_t i = 0; (e = jr__at(o, key, i)); i++)
		if (jr__str(e, field) && !strcmp(jr__str(e, field), value))
			return e;
	return NULL;
}
