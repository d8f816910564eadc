// SPDX-License-Identifier: GPL-2.0
/*
 * check_options.c - the table-driven option parser: durations, sizes,
 * numbers, booleans, enums, strings, ranges, defaults, formatting, help.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

struct sample {
	int64_t i;
	uint64_t u;
	double d;
	bool b;
	char s[8];
	uint64_t dur;
	uint64_t size;
	int e;
	uint64_t free_u;	/* no range */
};

static const char *const tools[] = { "stress-ng", "fio", NULL };

#define SO(f) offsetof(struct sample, f)
static const struct opt sample_opts[] = {
	{ "i", OPT_INT, SO(i), 0, -5, 5, "-1", .help = "an int" },
	{ "u", OPT_UINT, SO(u), 0, 1, 100, "3", .help = "a uint" },
	{ "d", OPT_DOUBLE, SO(d), 0, 0.1, 10000, "2.5", .help = "a double" },
	{ "b", OPT_BOOL, SO(b), .def = "yes", .help = "a bool" },
	{ "s", OPT_STR, SO(s), sizeof(((struct sample *)0)->s), .def = "ab", .help = "a str" },
	{ "dur", OPT_DURATION, SO(dur), 0, 10, 10000, "100ms", .help = "a duration" },
	{ "size", OPT_SIZE, SO(size), 0, 0, 0, "4k", .help = "a size" },
	{ "e", OPT_ENUM, SO(e), .def = "fio", .choices = tools, .help = "an enum" },
	{ "free-u", OPT_UINT, SO(free_u), .help = "a uint without range" },
	OPT_END
};

/* --- durations ------------------------------------------------------------ */

static const struct { const char *in; uint64_t ms; } dur_good[] = {
	{ "500ms", 500 }, { "30s", 30000 }, { "5m", 300000 }, { "1h", 3600000 },
	{ "20", 20000 }, { "0", 0 }, { "1.5s", 1500 }, { "0.25", 250 },
	{ "1.5m", 90000 }, { "0.001s", 1 }, { "2.50s", 2500 }, { "0ms", 0 },
	{ "1.000000000000000000000000s", 1000 },
	{ "5124095576030h", 5124095576030ULL * 3600000ULL },
};

static const char *const dur_bad[] = {
	"", "3q", "-1s", "10 s", " 10s", "10s ", "s", "ms", "1.s", ".5s", "1..5s", "+1s",
	"1e3", "0x10", "10S", "10MS", "1sec", "0.5ms", "0.0001s", "1,5s", "nan", "inf",
};

static const char *const dur_overflow[] = {
	"5124095576031h", "18446744073709551616ms", "99999999999999999999999s",
};

START_TEST(test_duration_good)
{
	uint64_t ms = 12345;

	ck_assert_int_eq(parse_duration_ms(dur_good[_i].in, &ms), 0);
	ck_assert_uint_eq(ms, dur_good[_i].ms);
}
END_TEST

START_TEST(test_duration_bad)
{
	uint64_t ms;

	ck_assert_msg(parse_duration_ms(dur_bad[_i], &ms) == -EINVAL,
		      "\"%s\" accepted", dur_bad[_i]);
}
END_TEST

START_TEST(test_duration_overflow)
{
	uint64_t ms;

	ck_assert_int_eq(parse_duration_ms(dur_overflow[_i], &ms), -ERANGE);
}
END_TEST

/* --- sizes ---------------------------------------------------------------- */

static const struct { const char *in; uint64_t bytes; } size_good[] = {
	{ "0", 0 }, { "512", 512 }, { "512B", 512 }, { "4k", 4096 }, { "4K", 4096 },
	{ "4KiB", 4096 }, { "4kB", 4096 }, { "256M", 256ULL << 20 }, { "256MiB", 256ULL << 20 },
	{ "1G", 1ULL << 30 }, { "1g", 1ULL << 30 }, { "1.5G", 3ULL << 29 }, { "2T", 2ULL << 40 },
	{ "0.5k", 512 }, { "16777215T", 16777215ULL << 40 },
};

static const char *const size_bad[] = {
	"", "4q", "-4k", "4 k", "4iB", "4kb", "4KIB", "k", "4kk", "0.3k", "1.5", "4k ", "0x10",
};

START_TEST(test_size_good)
{
	uint64_t b = 1;

	ck_assert_int_eq(parse_size(size_good[_i].in, &b), 0);
	ck_assert_uint_eq(b, size_good[_i].bytes);
}
END_TEST

START_TEST(test_size_bad)
{
	uint64_t b;

	ck_assert_msg(parse_size(size_bad[_i], &b) == -EINVAL, "\"%s\" accepted", size_bad[_i]);
}
END_TEST

START_TEST(test_size_overflow)
{
	uint64_t b;

	ck_assert_int_eq(parse_size("16777216T", &b), -ERANGE);
	ck_assert_int_eq(parse_size("18446744073709551616", &b), -ERANGE);
}
END_TEST

/* --- opts__set: values and error reasons ----------------------------------- */

/* A good value and what it must store, checked through opts__format. */
static const struct { const char *key, *val, *formatted; } set_good[] = {
	{ "i", "-5", "-5" }, { "i", "5", "5" }, { "i", "0", "0" },
	{ "u", "1", "1" }, { "u", "100", "100" },
	{ "d", "0.1", "0.1" }, { "d", "10000", "10000" }, { "d", "1e3", "1000" },
	{ "d", "3.14159", "3.14159" }, { "d", "0.30000000000000004", "0.30000000000000004" },
	{ "b", "1", "true" }, { "b", "0", "false" }, { "b", "true", "true" },
	{ "b", "FALSE", "false" }, { "b", "yes", "true" }, { "b", "no", "false" },
	{ "b", "on", "true" }, { "b", "off", "false" },
	{ "s", "", "" }, { "s", "1234567", "1234567" },
	{ "dur", "10ms", "10ms" }, { "dur", "10s", "10s" }, { "dur", "1.5s", "1500ms" },
	{ "dur", "0.06m", "3600ms" }, { "dur", "1", "1s" },
	{ "size", "1048576", "1M" }, { "size", "1536", "1536" }, { "size", "3G", "3G" },
	{ "e", "stress-ng", "stress-ng" }, { "e", "fio", "fio" },
	{ "free-u", "18446744073709551615", "18446744073709551615" },
};

START_TEST(test_set_good)
{
	struct sample s = { 0 };
	const struct opt *o = opts__find(sample_opts, set_good[_i].key);
	char err[256] = "", buf[64];

	ck_assert_ptr_nonnull(o);
	ck_assert_msg(opts__set(o, &s, set_good[_i].val, err, sizeof(err)) == 0,
		      "%s = %s: %s", set_good[_i].key, set_good[_i].val, err);
	ck_assert_int_eq(opts__format(o, &s, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, set_good[_i].formatted);
}
END_TEST

static const struct { const char *key, *val; int rc; const char *reason; } set_bad[] = {
	{ "i", "abc", -EINVAL, "bad number \"abc\": expected an integer -5..5" },
	{ "i", "6", -ERANGE, "out of range: 6 (accepted -5..5)" },
	{ "i", "-6", -ERANGE, "out of range: -6 (accepted -5..5)" },
	{ "i", "1.0", -EINVAL, "bad number \"1.0\": expected an integer -5..5" },
	{ "i", " 1", -EINVAL, "bad number \" 1\": expected an integer -5..5" },
	{ "i", "99999999999999999999", -ERANGE,
	  "out of range: 99999999999999999999 (accepted -5..5)" },
	{ "u", "abc", -EINVAL, "bad number \"abc\": expected an integer 1..100" },
	{ "u", "-1", -EINVAL, "bad number \"-1\": expected an integer 1..100" },
	{ "u", "0", -ERANGE, "out of range: 0 (accepted 1..100)" },
	{ "u", "101", -ERANGE, "out of range: 101 (accepted 1..100)" },
	{ "u", "", -EINVAL, "bad number \"\": expected an integer 1..100" },
	{ "u", "10x", -EINVAL, "bad number \"10x\": expected an integer 1..100" },
	{ "free-u", "-1", -EINVAL, "bad number \"-1\": expected a non-negative integer" },
	{ "free-u", "18446744073709551616", -ERANGE,
	  "out of range: 18446744073709551616 (accepted 0..18446744073709551615)" },
	{ "d", "x", -EINVAL, "bad number \"x\": expected a number 0.1..10000" },
	{ "d", "nan", -EINVAL, "bad number \"nan\": expected a number 0.1..10000" },
	{ "d", "inf", -EINVAL, "bad number \"inf\": expected a number 0.1..10000" },
	{ "d", "0x10", -EINVAL, "bad number \"0x10\": expected a number 0.1..10000" },
	{ "d", "1e999", -ERANGE, "out of range: 1e999 (accepted 0.1..10000)" },
	{ "d", "0.05", -ERANGE, "out of range: 0.05 (accepted 0.1..10000)" },
	{ "d", "10000.5", -ERANGE, "out of range: 10000.5 (accepted 0.1..10000)" },
	{ "b", "maybe", -EINVAL, "bad value \"maybe\": one of 1/0, true/false, yes/no, on/off" },
	{ "b", "2", -EINVAL, "bad value \"2\": one of 1/0, true/false, yes/no, on/off" },
	{ "s", "12345678", -EINVAL, "too long: 8 characters (at most 7)" },
	{ "dur", "3q", -EINVAL, "bad duration \"3q\": use a number with ms, s, m or h" },
	{ "dur", "10 s", -EINVAL, "bad duration \"10 s\": use a number with ms, s, m or h" },
	{ "dur", "-1s", -EINVAL, "bad duration \"-1s\": use a number with ms, s, m or h" },
	{ "dur", "1.5ms", -EINVAL, "bad duration \"1.5ms\": finer than 1ms" },
	{ "dur", "0", -ERANGE, "out of range: 0 (accepted 10ms..10s)" },
	{ "dur", "11s", -ERANGE, "out of range: 11s (accepted 10ms..10s)" },
	{ "dur", "99999999999999999h", -ERANGE, "out of range: 99999999999999999h (accepted 10ms..10s)" },
	{ "size", "4q", -EINVAL, "bad size \"4q\": use a number with k, M, G or T (powers of 1024)" },
	{ "size", "0.1k", -EINVAL, "bad size \"0.1k\": not a whole number of bytes" },
	{ "e", "foo", -EINVAL, "bad value \"foo\": one of stress-ng, fio" },
	{ "e", "FIO", -EINVAL, "bad value \"FIO\": one of stress-ng, fio" },
};

START_TEST(test_set_bad)
{
	struct sample s, before;
	const struct opt *o = opts__find(sample_opts, set_bad[_i].key);
	char err[256] = "";

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(opts__defaults(sample_opts, &s), 0);
	before = s;
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(opts__set(o, &s, set_bad[_i].val, err, sizeof(err)), set_bad[_i].rc);
	ck_assert_str_eq(err, set_bad[_i].reason);
	ck_assert_msg(!memcmp(&s, &before, sizeof(s)), "value changed on error");
}
END_TEST

/* --- defaults, lookup, formatting, help --------------------------------- */

START_TEST(test_defaults)
{
	struct sample s;

	memset(&s, 0x5a, sizeof(s));
	ck_assert_int_eq(opts__defaults(sample_opts, &s), 0);
	ck_assert_int_eq(s.i, -1);
	ck_assert_uint_eq(s.u, 3);
	ck_assert_double_eq(s.d, 2.5);
	ck_assert(s.b);
	ck_assert_str_eq(s.s, "ab");
	ck_assert_uint_eq(s.dur, 100);
	ck_assert_uint_eq(s.size, 4096);
	ck_assert_int_eq(s.e, 1);
	/* no default: left alone */
	ck_assert_uint_eq(s.free_u, 0x5a5a5a5a5a5a5a5aULL);
}
END_TEST

START_TEST(test_bad_default)
{
	static const struct opt bad[] = {
		{ "x", OPT_DURATION, 0, 0, 10, 100, "1h", .help = "default out of range" },
		OPT_END
	};
	uint64_t v;

	ck_assert_int_eq(opts__defaults(bad, &v), -EINVAL);
}
END_TEST

START_TEST(test_find)
{
	ck_assert_ptr_eq(opts__find(sample_opts, "dur"), &sample_opts[5]);
	ck_assert_ptr_null(opts__find(sample_opts, "du"));
	ck_assert_ptr_null(opts__find(sample_opts, "durations"));
}
END_TEST

START_TEST(test_format_limits)
{
	struct sample s = { .e = 7 };
	char buf[4];

	ck_assert_int_eq(opts__format(&sample_opts[7], &s, buf, sizeof(buf)), -EINVAL);
	s.e = 0;
	ck_assert_int_eq(opts__format(&sample_opts[7], &s, buf, sizeof(buf)), -ENOSPC);
	s.u = 123;
	ck_assert_int_eq(opts__format(&sample_opts[1], &s, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "123");
}
END_TEST

START_TEST(test_help)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	opts__help(f, sample_opts, "pre.");
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "pre.dur = DURATION"));
	ck_assert_ptr_nonnull(strstr(text, "10ms..10s, default 100ms\n      a duration\n"));
	ck_assert_ptr_nonnull(strstr(text, "pre.e = stress-ng|fio"));
	ck_assert_ptr_nonnull(strstr(text, "0.1..10000, default 2.5"));
	ck_assert_ptr_nonnull(strstr(text, "at most 7 characters, default \"ab\""));
	free(text);
}
END_TEST

static Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc;

	tc = tcase_create("duration");
	tcase_add_loop_test(tc, test_duration_good, 0, sizeof(dur_good) / sizeof(dur_good[0]));
	tcase_add_loop_test(tc, test_duration_bad, 0, sizeof(dur_bad) / sizeof(dur_bad[0]));
	tcase_add_loop_test(tc, test_duration_overflow, 0,
			    sizeof(dur_overflow) / sizeof(dur_overflow[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("size");
	tcase_add_loop_test(tc, test_size_good, 0, sizeof(size_good) / sizeof(size_good[0]));
	tcase_add_loop_test(tc, test_size_bad, 0, sizeof(size_bad) / sizeof(size_bad[0]));
	tcase_add_test(tc, test_size_overflow);
	suite_add_tcase(s, tc);

	tc = tcase_create("set");
	tcase_add_loop_test(tc, test_set_good, 0, sizeof(set_good) / sizeof(set_good[0]));
	tcase_add_loop_test(tc, test_set_bad, 0, sizeof(set_bad) / sizeof(set_bad[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("table");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_bad_default);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_format_limits);
	tcase_add_test(tc, test_help);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(options_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
