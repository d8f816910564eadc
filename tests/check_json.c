// SPDX-License-Identifier: GPL-2.0
/*
 * check_json.c - the streaming JSON writer: documents read back with json-c,
 * exact layout, escaping, number round-trips, NaN as null.
 */
#include <check.h>
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* A writer on a memory buffer; json_text() closes it and returns the text. */
struct membuf {
	char *text;
	size_t len;
	FILE *f;
};

static void membuf__open(struct membuf *m)
{
	m->text = NULL;
	m->len = 0;
	m->f = open_memstream(&m->text, &m->len);
	ck_assert_ptr_nonnull(m->f);
}

static char *membuf__close(struct membuf *m)
{
	fclose(m->f);
	return m->text;
}

/* The nested document both layouts must encode identically. */
static void write_doc(struct json_writer *j)
{
	json__begin_object(j, NULL);
	json__str(j, "name", "cpu-load6");
	json__int(j, "neg", -42);
	json__int(j, "min", INT64_MIN);
	json__uint(j, "big", UINT64_MAX);
	json__double(j, "load", 5.93);
	json__double(j, "nan", NAN);
	json__bool(j, "ok", true);
	json__bool(j, "bad", false);
	json__null(j, "none");
	json__str(j, "nullstr", NULL);
	json__begin_array(j, "phases");
	for (int i = 0; i < 3; i++) {
		json__begin_object(j, NULL);
		json__int(j, "i", i);
		json__begin_array(j, "samples");
		json__double(j, NULL, i * 0.1);
		json__double(j, NULL, 1e-300);
		json__end_array(j);
		json__end_object(j);
	}
	json__end_array(j);
	json__begin_object(j, "empty");
	json__end_object(j);
	json__begin_array(j, "empty_array");
	json__end_array(j);
	json__end_object(j);
}

/* Parse @text with json-c and check every value write_doc() put in. */
static void check_doc(const char *text)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root, *v, *phases, *ph, *samples;

	root = json_tokener_parse_ex(tok, text, (int)strlen(text));
	ck_assert_msg(root && json_tokener_get_error(tok) == json_tokener_success,
		      "json-c rejects: %s", text);
	json_tokener_free(tok);
	ck_assert(json_object_is_type(root, json_type_object));
	ck_assert_int_eq(json_object_object_length(root), 13);

	ck_assert(json_object_object_get_ex(root, "name", &v));
	ck_assert_str_eq(json_object_get_string(v), "cpu-load6");
	ck_assert(json_object_object_get_ex(root, "neg", &v));
	ck_assert_int_eq(json_object_get_int64(v), -42);
	ck_assert(json_object_object_get_ex(root, "min", &v));
	ck_assert(json_object_get_int64(v) == INT64_MIN);
	ck_assert(json_object_object_get_ex(root, "big", &v));
	ck_assert(json_object_get_uint64(v) == UINT64_MAX);
	ck_assert(json_object_object_get_ex(root, "load", &v));
	ck_assert_double_eq(json_object_get_double(v), 5.93);
	ck_assert(json_object_object_get_ex(root, "nan", &v));
	ck_assert_ptr_null(v);
	ck_assert(json_object_object_get_ex(root, "ok", &v));
	ck_assert(json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(root, "bad", &v));
	ck_assert(json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(root, "none", &v));
	ck_assert_ptr_null(v);
	ck_assert(json_object_object_get_ex(root, "nullstr", &v));
	ck_assert_ptr_null(v);

	ck_assert(json_object_object_get_ex(root, "phases", &phases));
	ck_assert(json_object_is_type(phases, json_type_array));
	ck_assert_int_eq(json_object_array_length(phases), 3);
	for (int i = 0; i < 3; i++) {
		ph = json_object_array_get_idx(phases, i);
		ck_assert(json_object_object_get_ex(ph, "i", &v));
		ck_assert_int_eq(json_object_get_int(v), i);
		ck_assert(json_object_object_get_ex(ph, "samples", &samples));
		ck_assert_int_eq(json_object_array_length(samples), 2);
		ck_assert_double_eq(json_object_get_double(json_object_array_get_idx(samples, 0)),
				    i * 0.1);
		ck_assert_double_eq(json_object_get_double(json_object_array_get_idx(samples, 1)),
				    1e-300);
	}
	ck_assert(json_object_object_get_ex(root, "empty", &v));
	ck_assert(json_object_is_type(v, json_type_object));
	ck_assert_int_eq(json_object_object_length(v), 0);
	ck_assert(json_object_object_get_ex(root, "empty_array", &v));
	ck_assert(json_object_is_type(v, json_type_array));
	ck_assert_int_eq(json_object_array_length(v), 0);
	json_object_put(root);
}

START_TEST(test_nested)
{
	struct json_writer j;
	struct membuf m;
	char *text;

	membuf__open(&m);
	json__init(&j, m.f, _i);
	write_doc(&j);
	text = membuf__close(&m);
	check_doc(text);
	if (_i) {
		ck_assert_ptr_nonnull(strstr(text, "\n  \"phases\": [\n    {\n      \"i\": 0,\n"));
		ck_assert(text[strlen(text) - 1] == '\n');
	} else {
		ck_assert_ptr_null(strchr(text, '\n'));
		ck_assert_ptr_null(strchr(text, ' '));
	}
	free(text);
}
END_TEST

START_TEST(test_pretty_layout)
{
	static const char want[] =
		"{\n"
		"  \"a\": 1,\n"
		"  \"b\": [\n"
		"    true,\n"
		"    null\n"
		"  ],\n"
		"  \"c\": {},\n"
		"  \"d\": []\n"
		"}\n";
	struct json_writer j;
	struct membuf m;
	char *text;

	membuf__open(&m);
	json__init(&j, m.f, true);
	json__begin_object(&j, NULL);
	json__int(&j, "a", 1);
	json__begin_array(&j, "b");
	json__bool(&j, NULL, true);
	json__null(&j, NULL);
	json__end_array(&j);
	json__begin_object(&j, "c");
	json__end_object(&j);
	json__begin_array(&j, "d");
	json__end_array(&j);
	json__end_object(&j);
	text = membuf__close(&m);
	ck_assert_str_eq(text, want);
	free(text);
}
END_TEST

/* --- escaping ------------------------------------------------------------ */

static const struct { const char *in, *quoted, *parsed; } escapes[] = {
	{ "plain", "\"plain\"", "plain" },
	{ "", "\"\"", "" },
	{ "say \"hi\"", "\"say \\\"hi\\\"\"", "say \"hi\"" },
	{ "C:\\dir", "\"C:\\\\dir\"", "C:\\dir" },
	{ "a\nb\tc\rd", "\"a\\nb\\tc\\rd\"", "a\nb\tc\rd" },
	{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"", "\x01\x1f\x7f" },
	{ "\b\f", "\"\\u0008\\u000c\"", "\b\f" },
	{ "/slash", "\"/slash\"", "/slash" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5\"",
	  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5" },
	/* invalid UTF-8: lone continuation, truncated sequence, overlong, surrogate */
	{ "a\x80z", "\"a\\ufffdz\"", "a\xef\xbf\xbdz" },
	{ "\xc3", "\"\\ufffd\"", "\xef\xbf\xbd" },
	{ "\xc0\xaf", "\"\\ufffd\\ufffd\"", "\xef\xbf\xbd\xef\xbf\xbd" },
	{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"",
	  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
};

START_TEST(test_escape)
{
	struct json_object *obj;
	struct membuf m;
	char *text;

	membuf__open(&m);
	json__quote(m.f, escapes[_i].in);
	text = membuf__close(&m);
	ck_assert_str_eq(text, escapes[_i].quoted);
	obj = json_tokener_parse(text);
	ck_assert_ptr_nonnull(obj);
	ck_assert_str_eq(json_object_get_string(obj), escapes[_i].parsed);
	json_object_put(obj);
	free(text);
}
END_TEST

START_TEST(test_escaped_key)
{
	struct json_writer j;
	struct json_object *root, *v;
	struct membuf m;
	char *text;

	membuf__open(&m);
	json__init(&j, m.f, false);
	json__begin_object(&j, NULL);
	json__str(&j, "k\"ey\n", "v");
	json__end_object(&j);
	text = membuf__close(&m);
	ck_assert_str_eq(text, "{\"k\\\"ey\\n\":\"v\"}");
	root = json_tokener_parse(text);
	ck_assert_ptr_nonnull(root);
	ck_assert(json_object_object_get_ex(root, "k\"ey\n", &v));
	json_object_put(root);
	free(text);
}
END_TEST

/* --- numbers --------------------------------------------------------------- */

static const double doubles[] = {
	0.0, -0.0, 1.0, -1.5, 0.1, 1.0 / 3, 2.0 / 3, 5.93, 1e-300, 4.9e-324, 1.7976931348623157e308,
	123456789.123456789, 1e15, 1e21, 9007199254740993.0, 3.141592653589793,
};

START_TEST(test_double_roundtrip)
{
	struct json_writer j;
	struct membuf m;
	char *text, *end;

	membuf__open(&m);
	json__init(&j, m.f, false);
	json__double(&j, NULL, doubles[_i]);
	text = membuf__close(&m);
	ck_assert_msg(strtod(text, &end) == doubles[_i] && !*end,
		      "%.17g written as %s", doubles[_i], text);
	ck_assert_msg(strspn(text, "0123456789.-+e") == strlen(text), "not a JSON number: %s", text);
	free(text);
}
END_TEST

static const struct { double v; const char *text; } double_text[] = {
	{ 10000, "10000" }, { 0.1, "0.1" }, { 5.93, "5.93" }, { -2, "-2" }, { 1e-7, "1e-07" },
	{ NAN, "null" }, { -NAN, "null" }, { INFINITY, "null" }, { -INFINITY, "null" },
};

START_TEST(test_double_text)
{
	struct json_writer j;
	struct membuf m;
	char *text;

	membuf__open(&m);
	json__init(&j, m.f, false);
	json__double(&j, NULL, double_text[_i].v);
	text = membuf__close(&m);
	ck_assert_str_eq(text, double_text[_i].text);
	free(text);
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc;

	tc = tcase_create("document");
	tcase_add_loop_test(tc, test_nested, 0, 2);	/* compact, pretty */
	tcase_add_test(tc, test_pretty_layout);
	suite_add_tcase(s, tc);

	tc = tcase_create("escaping");
	tcase_add_loop_test(tc, test_escape, 0, sizeof(escapes) / sizeof(escapes[0]));
	tcase_add_test(tc, test_escaped_key);
	suite_add_tcase(s, tc);

	tc = tcase_create("numbers");
	tcase_add_loop_test(tc, test_double_roundtrip, 0, sizeof(doubles) / sizeof(doubles[0]));
	tcase_add_loop_test(tc, test_double_text, 0, sizeof(double_text) / sizeof(double_text[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(json_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
