// SPDX-License-Identifier: GPL-2.0
/*
 * check_speedscope.c - export known folded stacks as a speedscope file,
 * parse it back with json-c and check it against the file format
 * (speedscope's src/lib/file-format-spec.ts: $schema, shared.frames of
 * {name}, one "sampled" profile with samples of frame indices and weights)
 * and against the stacks: every sample rebuilds a stack of the input with
 * its count as weight, the weights sum to the total, frames are unique.
 */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folded.h"
#include "speedscope.h"

#define FIX "tests/fixtures/folded/"

/* Export @f as @name into a string (caller frees). */
static char *export(const struct folded *f, const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(speedscope__write(f, out, name), 0);
	fclose(out);
	return buf;
}

/* Member @key of object @o, which must exist and have type @type. */
static struct json_object *member(struct json_object *o, const char *key, json_type type)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no member %s", key);
	ck_assert_msg(json_object_is_type(v, type), "%s has type %s", key,
		      json_type_to_name(json_object_get_type(v)));
	return v;
}

static const char *member_str(struct json_object *o, const char *key)
{
	return json_object_get_string(member(o, key, json_type_string));
}

/*
 * Parse @text and check it is a speedscope file of @f named @name. Returns
 * the number of samples.
 */
static size_t check_file(const char *text, const struct folded *f, const char *name)
{
	struct json_object *root = json_tokener_parse(text), *frames, *prof, *samples, *weights;
	size_t nframes, nsamples, nonzero = 0;
	uint64_t sum = 0;
	bool *used;

	ck_assert_msg(root, "not JSON: %.200s", text);
	ck_assert_str_eq(member_str(root, "$schema"),
			 "https://www.speedscope.app/file-format-schema.json");
	ck_assert_str_eq(member_str(root, "exporter"), "hldbench");
	ck_assert_str_eq(member_str(root, "name"), name);
	ck_assert_int_eq(json_object_get_int(member(root, "activeProfileIndex", json_type_int)), 0);

	frames = member(member(root, "shared", json_type_object), "frames", json_type_array);
	nframes = json_object_array_length(frames);
	for (size_t i = 0; i < nframes; i++) {
		struct json_object *fr = json_object_array_get_idx(frames, i);

		ck_assert(json_object_is_type(fr, json_type_object));
		member_str(fr, "name");
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(member_str(fr, "name"),
					     member_str(json_object_array_get_idx(frames, j), "name")),
				      "frame %s listed twice", member_str(fr, "name"));
	}

	ck_assert_uint_eq(json_object_array_length(member(root, "profiles", json_type_array)), 1);
	prof = json_object_array_get_idx(member(root, "profiles", json_type_array), 0);
	ck_assert_str_eq(member_str(prof, "type"), "sampled");
	ck_assert_str_eq(member_str(prof, "name"), name);
	ck_assert_str_eq(member_str(prof, "unit"), "none");
	ck_assert_int_eq(json_object_get_int64(member(prof, "startValue", json_type_int)), 0);
	ck_assert_uint_eq((uint64_t)json_object_get_uint64(member(prof, "endValue", json_type_int)),
			  folded__total(f));
	samples = member(prof, "samples", json_type_array);
	weights = member(prof, "weights", json_type_array);
	nsamples = json_object_array_length(samples);
	ck_assert_uint_eq(json_object_array_length(weights), nsamples);

	used = calloc(nframes + 1, sizeof(*used));
	ck_assert_ptr_nonnull(used);
	for (size_t i = 0; i < nsamples; i++) {
		struct json_object *st = json_object_array_get_idx(samples, i);
		struct json_object *w = json_object_array_get_idx(weights, i);
		char stack[4096] = "";
		size_t len = 0;
		ssize_t idx;

		ck_assert(json_object_is_type(st, json_type_array));
		ck_assert(json_object_is_type(w, json_type_int));
		ck_assert_uint_gt(json_object_array_length(st), 0);
		for (size_t k = 0; k < json_object_array_length(st); k++) {
			struct json_object *ix = json_object_array_get_idx(st, k);
			int64_t fi;

			ck_assert(json_object_is_type(ix, json_type_int));
			fi = json_object_get_int64(ix);
			ck_assert(fi >= 0 && (size_t)fi < nframes);
			used[fi] = true;
			len += snprintf(stack + len, sizeof(stack) - len, "%s%s", k ? ";" : "",
					member_str(json_object_array_get_idx(frames, fi), "name"));
		}
		/* root to leaf: the frames rebuild a stack of the input */
		idx = folded__find(f, stack, strlen(stack));
		ck_assert_msg(idx >= 0, "sample %zu is '%s', not an input stack", i, stack);
		ck_assert_uint_eq((uint64_t)json_object_get_uint64(w), folded__entry(f, idx)->count);
		sum += json_object_get_uint64(w);
	}
	for (size_t i = 0; i < nframes; i++)
		ck_assert_msg(used[i], "frame %zu in no sample", i);
	for (size_t i = 0; i < folded__nr_stacks(f); i++)
		nonzero += folded__entry(f, i)->count != 0;
	ck_assert_uint_eq(nsamples, nonzero);	/* each stack once (each was found) */
	ck_assert_uint_eq(sum, folded__total(f));
	free(used);
	json_object_put(root);
	return nsamples;
}

static const struct export_case {
	const char *label;
	const char *text;	/* NULL: the fixture */
	size_t nr_samples;
	size_t nr_frames;
} export_cases[] = {
	{ "fixture", NULL, 6, 15 },
	{ "shared frames", "a;b;c 5\na;b 2\nb;a 1\n", 3, 3 },
	{ "recursion", "rec;rec;rec 4\nrec 1\n", 2, 1 },
	{ "zero count", "a;b 3\na;gone 0\n", 1, 2 },
	{ "spaces", "comm;operator new(unsigned long) 2\n", 1, 2 },
	{ "empty", "", 0, 0 },
};

START_TEST(test_export)
{
	const struct export_case *c = &export_cases[_i];
	struct folded *f = folded__new();
	struct json_object *root;
	char *text;
	FILE *in;

	ck_assert_ptr_nonnull(f);
	if (!c->text) {
		ck_assert_int_eq(folded__load(f, FIX "good.folded", NULL), 0);
	} else if (*c->text) {
		in = fmemopen((void *)c->text, strlen(c->text), "r");
		ck_assert_int_eq(folded__read(f, in, NULL), 0);
		fclose(in);
	}
	text = export(f, c->label);
	ck_assert_uint_eq(check_file(text, f, c->label), c->nr_samples);
	root = json_tokener_parse(text);
	ck_assert_uint_eq(json_object_array_length(json_object_object_get(
		json_object_object_get(root, "shared"), "frames")), c->nr_frames);
	json_object_put(root);
	free(text);
	folded__free(f);
}
END_TEST

/* Names JSON must escape, and bytes that are not UTF-8, still parse. */
START_TEST(test_escape)
{
	struct folded *f = folded__new();
	struct json_object *root, *frames;
	char *text;

	ck_assert_int_eq(folded__add(f, "say \"hi\";back\\slash\ttab", 2), 0);
	ck_assert_int_eq(folded__add(f, "bad\xff" "byte", 1), 0);
	text = export(f, "q\"uote");
	root = json_tokener_parse(text);
	ck_assert_ptr_nonnull(root);
	frames = json_object_object_get(json_object_object_get(root, "shared"), "frames");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
		json_object_array_get_idx(frames, 0), "name")), "bad\xef\xbf\xbd" "byte");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
		json_object_array_get_idx(frames, 1), "name")), "say \"hi\"");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
		json_object_array_get_idx(frames, 2), "name")), "back\\slash\ttab");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(root, "name")), "q\"uote");
	json_object_put(root);
	free(text);
	folded__free(f);
}
END_TEST

/* Reversed stacks export leaf first; a NULL name is "hldbench". */
START_TEST(test_reversed)
{
	struct folded *f = folded__new(), *r;
	char *text;

	ck_assert_int_eq(folded__load(f, FIX "good.folded", NULL), 0);
	r = folded__reversed(f);
	text = export(r, NULL);
	check_file(text, r, "hldbench");
	ck_assert_ptr_nonnull(strstr(text, "\"frames\":[{\"name\":\"ext4_file_write_iter_[k]\"}"));
	free(text);
	folded__free(r);
	folded__free(f);
}
END_TEST

/* The same stacks added in any order give the same bytes. */
START_TEST(test_deterministic)
{
	static const char *const stacks[] = { "b;x;y", "a;q", "b;x", "a b;z", "c" };
	struct folded *f1 = folded__new(), *f2 = folded__new();
	size_t n = sizeof(stacks) / sizeof(stacks[0]);
	char *s1, *s2;

	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(folded__add(f1, stacks[i], i + 1), 0);
		ck_assert_int_eq(folded__add(f2, stacks[n - 1 - i], n - i), 0);
	}
	s1 = export(f1, "x");
	s2 = export(f2, "x");
	ck_assert_str_eq(s1, s2);
	free(s1);
	free(s2);
	folded__free(f1);
	folded__free(f2);
}
END_TEST

static Suite *speedscope_suite(void)
{
	Suite *s = suite_create("speedscope");
	TCase *tc;

	tc = tcase_create("format");
	tcase_add_loop_test(tc, test_export, 0, sizeof(export_cases) / sizeof(export_cases[0]));
	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_reversed);
	tcase_add_test(tc, test_deterministic);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(speedscope_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
