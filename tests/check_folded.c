// SPDX-License-Identifier: GPL-2.0
/*
 * check_folded.c - folded stacks: line parsing (good and malformed), merging
 * of duplicates, frame matching, sorted output, lookup, reversal and a
 * 100k-stack load.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folded.h"

#define FIX "tests/fixtures/folded/"

/* Count of the entry whose stack is exactly @stack, or -1 if absent. */
static long long count_of(const struct folded *f, const char *stack)
{
	const struct folded_entry *e;
	size_t i;

	folded__for_each(f, e, i)
		if (!strcmp(e->stack, stack))
			return (long long)e->count;
	return -1;
}

/* --- one line at a time ------------------------------------------------ */

static const struct line_case {
	const char *line;
	int ret;
	const char *stack;	/* stored stack on success; NULL: nothing added */
	uint64_t count;
	const char *reason;	/* substring of the reason on failure */
} line_cases[] = {
	{ "a;b;c 10", 0, "a;b;c", 10, NULL },
	{ "a 1\n", 0, "a", 1, NULL },
	{ "a;b 7\r\n", 0, "a;b", 7, NULL },
	{ "a;b\t7", 0, "a;b", 7, NULL },
	{ "a;b   3  \n", 0, "a;b", 3, NULL },
	{ "a;b 0", 0, "a;b", 0, NULL },
	{ "worker;std::vector<int, std::allocator<int> >::push_back 4", 0,
	  "worker;std::vector<int, std::allocator<int> >::push_back", 4, NULL },
	{ "perf;operator new(unsigned long) 12", 0, "perf;operator new(unsigned long)", 12, NULL },
	{ "k;do_syscall_64_[k] 18446744073709551615", 0, "k;do_syscall_64_[k]",
	  18446744073709551615ULL, NULL },
	{ "", 0, NULL, 0, NULL },
	{ "   \t\n", 0, NULL, 0, NULL },
	{ "a;b", -EINVAL, NULL, 0, "no sample count" },
	{ "42", -EINVAL, NULL, 0, "no sample count" },
	{ "a;b x", -EINVAL, NULL, 0, "not a number" },
	{ "a;b x3", -EINVAL, NULL, 0, "not a number" },
	{ "a;b -1", -EINVAL, NULL, 0, "not a number" },
	{ "a;b 1.5", -EINVAL, NULL, 0, "not a number" },
	{ "a;b 3x", -EINVAL, NULL, 0, "not a number" },
	{ " 5", -EINVAL, NULL, 0, "empty stack" },
	{ "a;;b 3", -EINVAL, NULL, 0, "empty frame" },
	{ ";a 3", -EINVAL, NULL, 0, "empty frame" },
	{ "a; 3", -EINVAL, NULL, 0, "empty frame" },
	{ "a 18446744073709551616", -EINVAL, NULL, 0, "too large" },
	{ "a 99999999999999999999999", -EINVAL, NULL, 0, "too large" },
};

START_TEST(test_add_line)
{
	const struct line_case *c = &line_cases[_i];
	struct folded *f = folded__new();
	const char *reason = NULL;
	int ret;

	ck_assert_ptr_nonnull(f);
	ret = folded__add_line(f, c->line, &reason);
	ck_assert_msg(ret == c->ret, "'%s': ret %d, want %d", c->line, ret, c->ret);
	if (c->stack) {
		ck_assert_uint_eq(folded__nr_stacks(f), 1);
		ck_assert_str_eq(folded__entry(f, 0)->stack, c->stack);
		ck_assert_uint_eq(folded__entry(f, 0)->len, strlen(c->stack));
		ck_assert_uint_eq(folded__entry(f, 0)->count, c->count);
		ck_assert_uint_eq(folded__total(f), c->count);
	} else {
		ck_assert_uint_eq(folded__nr_stacks(f), 0);
		ck_assert_uint_eq(folded__total(f), 0);
	}
	if (c->reason) {
		ck_assert_ptr_nonnull(reason);
		ck_assert_msg(strstr(reason, c->reason), "'%s': reason '%s', want '%s'",
			      c->line, reason, c->reason);
	}
	folded__free(f);
}
END_TEST

/* --- whole files ------------------------------------------------------- */

static const struct file_case {
	const char *file;
	int ret;
	size_t line;		/* bad line, or 0 */
	const char *reason;
	size_t nr_stacks;	/* stacks added (before the bad line) */
	uint64_t total;
} file_cases[] = {
	{ "good.folded", 0, 0, NULL, 6, 1420 },
	{ "bad-count.folded", -EINVAL, 3, "not a number", 2, 3 },
	{ "bad-empty-frame.folded", -EINVAL, 2, "empty frame", 1, 1 },
	{ "bad-no-count.folded", -EINVAL, 4, "no sample count", 2, 3 },
	{ "bad-overflow.folded", -EINVAL, 2, "too large", 1, 18446744073709551615ULL },
	{ "does-not-exist.folded", -ENOENT, 0, NULL, 0, 0 },
};

START_TEST(test_load)
{
	const struct file_case *c = &file_cases[_i];
	struct folded *f = folded__new();
	struct folded_error fe = { 0 };
	char path[256];
	int ret;

	snprintf(path, sizeof(path), FIX "%s", c->file);
	ret = folded__load(f, path, &fe);
	ck_assert_msg(ret == c->ret, "%s: ret %d, want %d", c->file, ret, c->ret);
	ck_assert_uint_eq(fe.line, c->line);
	if (c->reason)
		ck_assert_msg(fe.reason && strstr(fe.reason, c->reason),
			      "%s: reason '%s', want '%s'", c->file,
			      fe.reason ? fe.reason : "(null)", c->reason);
	ck_assert_uint_eq(folded__nr_stacks(f), c->nr_stacks);
	ck_assert_uint_eq(folded__total(f), c->total);
	folded__free(f);
}
END_TEST

/* The fixture merges its two stress_cpu_sqrt lines and keeps frames with spaces. */
START_TEST(test_load_merges)
{
	struct folded *f = folded__new();

	ck_assert_int_eq(folded__load(f, FIX "good.folded", NULL), 0);
	ck_assert_int_eq(count_of(f, "stress-ng;main;stress_cpu;stress_cpu_sqrt"), 525);
	ck_assert_int_eq(count_of(f, "worker;std::vector<int, std::allocator<int> >::push_back;"
				  "operator new(unsigned long)"), 40);
	/* loading it again doubles every count, adds no stack */
	ck_assert_int_eq(folded__load(f, FIX "good.folded", NULL), 0);
	ck_assert_uint_eq(folded__nr_stacks(f), 6);
	ck_assert_uint_eq(folded__total(f), 2840);
	ck_assert_int_eq(count_of(f, "stress-ng;main;stress_cpu;stress_cpu_sqrt"), 1050);
	folded__free(f);
}
END_TEST

/* An in-memory stream: a NUL byte inside a line is malformed, not truncation. */
START_TEST(test_read_nul)
{
	static const char text[] = "a 1\nb\0c 2\n";
	struct folded *f = folded__new();
	struct folded_error fe;
	FILE *in = fmemopen((void *)text, sizeof(text) - 1, "r");

	ck_assert_ptr_nonnull(in);
	ck_assert_int_eq(folded__read(f, in, &fe), -EINVAL);
	ck_assert_uint_eq(fe.line, 2);
	ck_assert_ptr_nonnull(strstr(fe.reason, "NUL"));
	ck_assert_uint_eq(folded__total(f), 1);
	fclose(in);
	folded__free(f);
}
END_TEST

/* --- merging ----------------------------------------------------------- */

START_TEST(test_add_merges)
{
	struct folded *f = folded__new();

	ck_assert_int_eq(folded__add(f, "a;b", 3), 0);
	ck_assert_int_eq(folded__add(f, "a;c", 4), 0);
	ck_assert_int_eq(folded__add(f, "a;b", 5), 0);
	ck_assert_int_eq(folded__add(f, "a", 1), 0);
	ck_assert_int_eq(folded__add(f, "a;b;", 1), -EINVAL);
	ck_assert_int_eq(folded__add(f, "", 1), -EINVAL);
	ck_assert_int_eq(folded__add(f, "a\nb", 1), -EINVAL);
	ck_assert_uint_eq(folded__nr_stacks(f), 3);
	ck_assert_uint_eq(folded__total(f), 13);
	ck_assert_int_eq(count_of(f, "a;b"), 8);
	ck_assert_int_eq(count_of(f, "a;c"), 4);
	ck_assert_int_eq(count_of(f, "a"), 1);
	ck_assert_int_eq(folded__add(f, "a", UINT64_MAX), -EOVERFLOW);
	ck_assert_uint_eq(folded__total(f), 13);
	folded__free(f);
}
END_TEST

START_TEST(test_add_frames)
{
	static const char *const frames[] = { "comm", "main loop", "leaf_[k]" };
	static const char *const bad[] = { "comm", "a;b" };
	static const char *const empty[] = { "comm", "" };
	struct folded *f = folded__new();

	ck_assert_int_eq(folded__add_frames(f, frames, 3, 2), 0);
	ck_assert_int_eq(folded__add(f, "comm;main loop;leaf_[k]", 1), 0);
	ck_assert_int_eq(folded__add_frames(f, frames, 1, 1), 0);
	ck_assert_int_eq(folded__add_frames(f, bad, 2, 1), -EINVAL);
	ck_assert_int_eq(folded__add_frames(f, empty, 2, 1), -EINVAL);
	ck_assert_int_eq(folded__add_frames(f, frames, 0, 1), -EINVAL);
	ck_assert_uint_eq(folded__nr_stacks(f), 2);
	ck_assert_int_eq(count_of(f, "comm;main loop;leaf_[k]"), 3);
	ck_assert_int_eq(count_of(f, "comm"), 1);
	folded__free(f);
}
END_TEST

/*
 * 100k unique stacks, each added twice, with the same 20-byte prefix so
 * that only the hash table (not a prefix scan) tells them apart.
 */
START_TEST(test_many_stacks)
{
	struct folded *f = folded__new();
	char buf[96];
	uint64_t want = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (unsigned int i = 0; i < 100000; i++) {
			snprintf(buf, sizeof(buf), "stress-ng;main;loop;fn_%u;leaf_%u", i / 10, i);
			ck_assert_int_eq(folded__add(f, buf, i % 7 + 1), 0);
			want += i % 7 + 1;
		}
	}
	ck_assert_uint_eq(folded__nr_stacks(f), 100000);
	ck_assert_uint_eq(folded__total(f), want);
	ck_assert_int_eq(count_of(f, "stress-ng;main;loop;fn_9999;leaf_99999"), 2 * (99999 % 7 + 1));
	ck_assert_uint_eq(folded__count_matching(f, "fn_0"), 2 * (1 + 2 + 3 + 4 + 5 + 6 + 7 + 1 + 2 + 3));
	ck_assert_uint_eq(folded__count_matching(f, "loop"), want);
	folded__free(f);
}
END_TEST

/* --- frame matching ---------------------------------------------------- */

static const struct match_case {
	const char *frame;
	uint64_t count;
} match_cases[] = {
	{ "stress_cpu_sqrt", 525 },
	{ "stress_cpu", 825 },		/* not a prefix match on stress_cpu_sqrt */
	{ "stress", 0 },
	{ "main", 1230 },		/* recursion (main;main;main) counted once */
	{ "stress-ng", 975 },		/* the comm level is a frame too */
	{ "entry_SYSCALL_64_[k]", 550 },
	{ "entry_SYSCALL_64", 0 },
	{ "operator new(unsigned long)", 40 },
	{ "std::vector<int, std::allocator<int> >::push_back", 40 },
	{ "worker;std::vector<int, std::allocator<int> >::push_back", 0 },
	{ "", 0 },
	{ "nonexistent", 0 },
};

START_TEST(test_count_matching)
{
	const struct match_case *c = &match_cases[_i];
	struct folded *f = folded__new();
	uint64_t n;

	ck_assert_int_eq(folded__load(f, FIX "good.folded", NULL), 0);
	n = folded__count_matching(f, c->frame);
	ck_assert_msg(n == c->count, "'%s': %llu, want %llu", c->frame,
		      (unsigned long long)n, (unsigned long long)c->count);
	folded__free(f);
}
END_TEST

/* --- writing ----------------------------------------------------------- */

/* Write @f to a string (caller frees). */
static char *write_str(const struct folded *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(folded__write(f, out), 0);
	fclose(out);
	return buf;
}

START_TEST(test_write_sorted)
{
	static const char *const stacks[] = { "b;x", "a b;y", "a;z", "a", "b;x" };
	static const char want[] = "a 4\na b;y 2\na;z 3\nb;x 6\n";
	struct folded *f1 = folded__new(), *f2 = folded__new(), *f3 = folded__new();
	static const uint64_t counts[] = { 1, 2, 3, 4, 5 };
	char *s1, *s2, *s3;
	FILE *in;

	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(folded__add(f1, stacks[i], counts[i]), 0);
	for (int i = 4; i >= 0; i--)
		ck_assert_int_eq(folded__add(f2, stacks[i], counts[i]), 0);
	s1 = write_str(f1);
	s2 = write_str(f2);
	ck_assert_str_eq(s1, want);
	ck_assert_str_eq(s2, want);

	/* what was written reads back to the same set */
	in = fmemopen(s1, strlen(s1), "r");
	ck_assert_int_eq(folded__read(f3, in, NULL), 0);
	fclose(in);
	s3 = write_str(f3);
	ck_assert_str_eq(s3, want);
	free(s1);
	free(s2);
	free(s3);
	folded__free(f1);
	folded__free(f2);
	folded__free(f3);
}
END_TEST

START_TEST(test_write_empty)
{
	struct folded *f = folded__new();
	char *s = write_str(f);

	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(folded__total(f), 0);
	ck_assert_ptr_null(folded__entry(f, 0));
	free(s);
	folded__free(f);
}
END_TEST

/* --- lookup and reversal ----------------------------------------------- */

START_TEST(test_find)
{
	struct folded *f = folded__new();
	const struct folded_entry *e;
	ssize_t i;

	ck_assert_int_eq(folded__add(f, "a;b;c", 3), 0);
	ck_assert_int_eq(folded__add(f, "a b", 1), 0);
	i = folded__find(f, "a b", 3);
	ck_assert_int_eq(i, 1);
	e = folded__entry(f, i);
	ck_assert_str_eq(e->stack, "a b");
	ck_assert_int_eq(folded__find(f, "a;b;c;d", 5), 0);	/* @len bytes only */
	ck_assert_int_eq(folded__find(f, "a;b", 3), -ENOENT);	/* a prefix is not a stack */
	ck_assert_int_eq(folded__find(f, "a", 1), -ENOENT);
	folded__free(f);
}
END_TEST

static const struct reverse_case {
	const char *stack;
	const char *reversed;
} reverse_cases[] = {
	{ "a;b;c", "c;b;a" },
	{ "a", "a" },
	{ "comm;x y;z_[k]", "z_[k];x y;comm" },
	{ "ab;c", "c;ab" },
	{ "a;bc", "bc;a" },
	{ "rec;rec;rec", "rec;rec;rec" },
};

START_TEST(test_reversed)
{
	const struct reverse_case *c = &reverse_cases[_i];
	struct folded *f = folded__new(), *r, *rr;

	ck_assert_int_eq(folded__add(f, c->stack, 7), 0);
	ck_assert_int_eq(folded__add(f, "other;stack", 2), 0);
	r = folded__reversed(f);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(folded__nr_stacks(r), 2);
	ck_assert_uint_eq(folded__total(r), 9);
	ck_assert_str_eq(folded__entry(r, 0)->stack, c->reversed);
	ck_assert_uint_eq(folded__entry(r, 0)->len, strlen(c->reversed));
	ck_assert_uint_eq(folded__entry(r, 0)->count, 7);
	ck_assert_int_eq(count_of(r, "stack;other"), 2);
	rr = folded__reversed(r);
	ck_assert_str_eq(folded__entry(rr, 0)->stack, c->stack);
	folded__free(rr);
	folded__free(r);
	folded__free(f);
}
END_TEST

/* Reversing a whole file twice gives back the same stacks and counts. */
START_TEST(test_reversed_file)
{
	struct folded *f = folded__new(), *r, *rr;
	char *s1, *s2;

	ck_assert_int_eq(folded__load(f, FIX "good.folded", NULL), 0);
	r = folded__reversed(f);
	ck_assert_int_eq(count_of(r, "stress_cpu_sqrt;stress_cpu;main;stress-ng"), 525);
	ck_assert_int_eq(count_of(r, "vfs_write_[k];do_syscall_64_[k];entry_SYSCALL_64_[k];stress-ng"),
			 150);
	rr = folded__reversed(r);
	s1 = write_str(f);
	s2 = write_str(rr);
	ck_assert_str_eq(s1, s2);
	ck_assert_uint_eq(folded__total(r), folded__total(f));
	free(s1);
	free(s2);
	folded__free(rr);
	folded__free(r);
	folded__free(f);
}
END_TEST

static Suite *folded_suite(void)
{
	Suite *s = suite_create("folded");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_add_line, 0, sizeof(line_cases) / sizeof(line_cases[0]));
	tcase_add_loop_test(tc, test_load, 0, sizeof(file_cases) / sizeof(file_cases[0]));
	tcase_add_test(tc, test_load_merges);
	tcase_add_test(tc, test_read_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("merge");
	tcase_add_test(tc, test_add_merges);
	tcase_add_test(tc, test_add_frames);
	tcase_add_test(tc, test_many_stacks);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("match");
	tcase_add_loop_test(tc, test_count_matching, 0,
			    sizeof(match_cases) / sizeof(match_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_test(tc, test_write_sorted);
	tcase_add_test(tc, test_write_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("reverse");
	tcase_add_test(tc, test_find);
	tcase_add_loop_test(tc, test_reversed, 0,
			    sizeof(reverse_cases) / sizeof(reverse_cases[0]));
	tcase_add_test(tc, test_reversed_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(folded_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
