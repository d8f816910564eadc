// SPDX-License-Identifier: GPL-2.0
/*
 * speedscope.c - folded stacks to a speedscope "sampled" profile.
 *
 * The distinct frame names are collected in a struct folded used as a set
 * of strings (a frame is a valid one-frame stack): its insertion order is
 * the frame index, and folded__find() maps a name back to it in O(1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "speedscope.h"

/*
 * Call @fn on each frame of @e with the frame copied NUL-terminated into
 * @buf (at least e->len + 1 bytes). Stops at the first non-zero return.
 */
static int ss_for_each_frame(const struct folded_entry *e, char *buf,
			     int (*fn)(const char *frame, size_t len, void *arg),
			     void *arg)
{
	const char *p = e->stack, *end = e->stack + e->len;

	while (p < end) {
		const char *semi = memchr(p, ';', end - p);
		size_t len = semi ? (size_t)(semi - p) : (size_t)(end - p);
		int err;

		memcpy(buf, p, len);
		buf[len] = '\0';
		err = fn(buf, len, arg);
		if (err)
			return err;
		p += len + 1;
	}
	return 0;
}

/* Add a frame name to the set (struct folded *) @arg. */
static int ss_collect(const char *frame, size_t len, void *arg)
{
	return folded__add(arg, frame, 1);
}

struct ss_sample {
	const struct folded *frames;
	struct json_writer *j;
};

/* Write a frame's index in the set, as one element of a sample. */
static int ss_index(const char *frame, size_t len, void *arg)
{
	struct ss_sample *s = arg;
	ssize_t idx = folded__find(s->frames, frame, len);

	if (idx < 0)
		return (int)idx;
	json__uint(s->j, NULL, (uint64_t)idx);
	return 0;
}

/* Collect the frames, then stream the file with the JSON writer. */
int speedscope__write(const struct folded *f, FILE *out, const char *name)
{
	const struct folded_entry **v = folded__sorted(f), *e;
	size_t nr = folded__nr_stacks(f), maxlen = 0, i;
	struct folded *frames = folded__new();
	struct json_writer j;
	struct ss_sample s = { frames, &j };
	char *buf = NULL;
	int err = -ENOMEM;

	if (!name)
		name = "hldbench";
	if (!v || !frames)
		goto out;
	for (i = 0; i < nr; i++)
		if (v[i]->len > maxlen)
			maxlen = v[i]->len;
	buf = malloc(maxlen + 1);
	if (!buf)
		goto out;
	for (i = 0; i < nr; i++) {
		if (!v[i]->count)
			continue;
		err = ss_for_each_frame(v[i], buf, ss_collect, frames);
		if (err)
			goto out;
	}

	json__init(&j, out, false);
	json__begin_object(&j, NULL);
	json__str(&j, "$schema", SPEEDSCOPE_SCHEMA);
	json__begin_object(&j, "shared");
	json__begin_array(&j, "frames");
	folded__for_each(frames, e, i) {
		json__begin_object(&j, NULL);
		json__str(&j, "name", e->stack);
		json__end_object(&j);
	}
	json__end_array(&j);
	json__end_object(&j);

	json__begin_array(&j, "profiles");
	json__begin_object(&j, NULL);
	json__str(&j, "type", "sampled");
	json__str(&j, "name", name);
	json__str(&j, "unit", "none");
	json__uint(&j, "startValue", 0);
	json__uint(&j, "endValue", folded__total(f));
	json__begin_array(&j, "samples");
	for (i = 0; i < nr; i++) {
		if (!v[i]->count)
			continue;
		json__begin_array(&j, NULL);
		err = ss_for_each_frame(v[i], buf, ss_index, &s);
		if (err)
			goto out;
		json__end_array(&j);
	}
	json__end_array(&j);
	json__begin_array(&j, "weights");
	for (i = 0; i < nr; i++)
		if (v[i]->count)
			json__uint(&j, NULL, v[i]->count);
	json__end_array(&j);
	json__end_object(&j);
	json__end_array(&j);

	json__str(&j, "name", name);
	json__uint(&j, "activeProfileIndex", 0);
	json__str(&j, "exporter", "hldbench");
	json__end_object(&j);
	fputc('\n', out);
	err = fflush(out) || ferror(out) ? -EIO : 0;
out:
	free(buf);
	free(v);
	folded__free(frames);
	return err;
}
