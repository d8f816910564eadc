// SPDX-License-Identifier: GPL-2.0
/*
 * check_kprobe.c - the kprobe feature: function names are checked against
 * /proc/kallsyms (a bad one says what to do), the feature says where the
 * kernel has no kprobes and points at tracepoint, and where it has them:
 * N opens count exactly N hits of do_sys_openat2 (the ground truth), and
 * an activation through `hldbench diag` persists, each report draining
 * exactly what came since the previous one.
 *
 * The host here has no kprobes: there the counting cases skip, saying so,
 * and the QEMU guests (tests/vm/), whose kernels have them, run them.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag-test.h"
#include "diag.h"
#include "hld_settings.h"
#include "run-command.h"
#include "tracepoint.h"

#define KPROBE_PMU	"/sys/bus/event_source/devices/kprobe"
#define OPENS_BEFORE	30	/* opens before the first report */
#define OPENS_AFTER	70	/* and between the first and the second */

static const char *hldbench = "build/hldbench";

/* Why kprobe cannot count here, or NULL if it can. */
static const char *kprobe_unusable(void)
{
	static char why[512];

	if (geteuid())
		return "needs root";
	if (bpf_util__probe(why, sizeof(why)))
		return why;
	if (access(KPROBE_PMU, F_OK))
		return "no kprobes on this kernel (no " KPROBE_PMU ")";
	return NULL;
}

#define SKIP_UNLESS_KPROBE()                                              \
	do {                                                              \
		const char *why_ = kprobe_unusable();                     \
		if (why_) {                                               \
			printf("SKIP %s: %s\n", __func__, why_);          \
			return;                                           \
		}                                                         \
	} while (0)

/* --- names ------------------------------------------------------------------ */

static const struct {
	const char *name;
	int err;
	const char *why;	/* on failure: in the reason */
} names[] = {
	{ "do_sys_openat2", 0, NULL },
	{ "vfs_read", 0, NULL },
	{ "do_sys_opnat2", -ENOENT, "did you mean do_sys_openat2" },
	{ "no_such_function_here", -ENOENT, "/proc/kallsyms" },
	{ "", -EINVAL, "required" },
	{ "do sys", -EINVAL, "not a kernel function name" },
	{ "vfs_read+0x10", -EINVAL, "not a kernel function name" },
};

START_TEST(test_resolve)
{
	char why[1024] = "";
	int err;

	if (access("/proc/kallsyms", R_OK)) {
		printf("SKIP %s: /proc/kallsyms is not readable\n", __func__);
		return;
	}
	err = kprobe__resolve(names[_i].name, why, sizeof(why));
	ck_assert_msg(err == names[_i].err, "%s: %d (%s)", names[_i].name, err, why);
	if (names[_i].why)
		ck_assert_msg(strstr(why, names[_i].why), "%s: %s", names[_i].name, why);
}
END_TEST

/* kprobe__check() reads the function from the settings, unterminated or not. */
START_TEST(test_check_settings)
{
	struct hld_tracepoint_settings s;
	char why[1024];

	if (access("/proc/kallsyms", R_OK)) {
		printf("SKIP %s: /proc/kallsyms is not readable\n", __func__);
		return;
	}
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(kprobe__check(&s, why, sizeof(why)), -EINVAL);
	strcpy(s.name, "do_sys_openat2");
	ck_assert_int_eq(kprobe__check(&s, why, sizeof(why)), 0);
	memset(s.name, 'x', sizeof(s.name));
	ck_assert_int_eq(kprobe__check(&s, why, sizeof(why)), -EINVAL);
	s.name[20] = '\0';
	ck_assert_int_eq(kprobe__check(&s, why, sizeof(why)), -ENOENT);
}
END_TEST

/* Without the kprobe PMU the feature is unavailable and names tracepoint; with it, it loads. */
START_TEST(test_probe)
{
	char why[512] = "";
	int err;

	if (geteuid()) {
		printf("SKIP %s: needs root\n", __func__);
		return;
	}
	err = bpf_kprobe_ops.probe(why, sizeof(why));
	if (access(KPROBE_PMU, F_OK)) {
		ck_assert_int_eq(err, -ENOTSUP);
		ck_assert_msg(strstr(why, "CONFIG_KPROBES") && strstr(why, "tracepoint"), "%s", why);
	} else {
		ck_assert_msg(!err, "%d: %s", err, why);
		ck_assert_msg(strstr(why, "function=NAME"), "%s", why);
	}
}
END_TEST

/* --- counts -------------------------------------------------------------------- */

START_TEST(test_truth)
{
	SKIP_UNLESS_KPROBE();
	ck_assert_int_eq(diag_test__run(&bpf_kprobe_ops, stdout), 0);
}
END_TEST

/* `hldbench diag kprobe ARG`, stdout into @out and stderr into @err; the exit code. */
static int diag(const char *out, const char *err, const char *arg)
{
	const char *argv[] = { hldbench, "diag", "kprobe", arg, NULL };

	return run_command(argv, out, err);
}

/* Does the file @path contain @text? Shows the file when @show. */
static bool file_has(const char *path, const char *text, bool show)
{
	static char buf[1 << 20];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (show)
		fputs(buf, stdout);
	return strstr(buf, text);
}

/* A bad function is refused by `hldbench diag`, naming the key, and nothing stays active. */
START_TEST(test_cli_bad_function)
{
	const char *out = "/tmp/hld-check-kp.out", *err = "/tmp/hld-check-kp.err";

	SKIP_UNLESS_KPROBE();
	ck_assert_int_ne(diag(out, err, "--activate=function=do_sys_opnat2"), 0);
	ck_assert_msg(file_has(err, "function: no kernel function 'do_sys_opnat2'", true), "stderr");
	ck_assert_int_ne(diag(out, err, "--report"), 0);
	unlink(out);
	unlink(err);
}
END_TEST

/* Round 0 of the opener: OPENS_BEFORE opens of /dev/null, each closed; round 1: OPENS_AFTER. */
static int open_round(void *arg, int round)
{
	for (int i = 0; i < (round ? OPENS_AFTER : OPENS_BEFORE); i++) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd < 0 || close(fd))
			return 1;
	}
	return 0;
}

/* The unsigned member @key of the JSON report in @path, or -1. */
static double json_member(const char *path, const char *key)
{
	json_object *o = json_object_from_file(path), *v;
	double n = -1;

	if (o && json_object_object_get_ex(o, key, &v))
		n = (double)json_object_get_uint64(v);
	json_object_put(o);
	return n;
}

/*
 * Persistently: the activation outlives its command, each --report drains
 * (as text, shown, then as JSON with a flame graph of the stacks).
 */
START_TEST(test_drain_persistent)
{
	const char *out = "/tmp/hld-check-kp.out", *err = "/tmp/hld-check-kp.err";
	const char *svg = "/tmp/hld-check-kp.svg";
	struct diag_rounds r;
	char act[128];

	SKIP_UNLESS_KPROBE();
	diag(out, err, "--deactivate");		/* a leftover from an earlier run */
	ck_assert_int_eq(diag_rounds__start(&r, "hld-opener", open_round, NULL), 0);
	snprintf(act, sizeof(act), "--activate=function=do_sys_openat2 tgid=%d", r.pid);
	ck_assert_int_eq(diag(out, err, act), 0);
	ck_assert_int_eq(diag_rounds__next(&r), 0);
	ck_assert_int_eq(diag(out, err, "--report"), 0);
	snprintf(act, sizeof(act), "kprobe do_sys_openat2: %d hits since the last report, "
		 "0 dropped since activation", OPENS_BEFORE);
	ck_assert(file_has(out, act, true));
	ck_assert_int_eq(diag_rounds__next(&r), 0);
	ck_assert_int_eq(diag(out, err, "--report=json=1 flame=/tmp/hld-check-kp.svg"), 0);
	ck_assert_int_eq(json_member(out, "hits"), OPENS_AFTER);
	ck_assert_int_eq(json_member(out, "drops"), 0);
	ck_assert(file_has(svg, "do_sys_openat2", false));
	ck_assert_int_eq(diag(out, err, "--report=json=1"), 0);
	ck_assert_int_eq(json_member(out, "hits"), 0);
	ck_assert_int_eq(diag(out, err, "--deactivate"), 0);
	ck_assert_int_ne(diag(out, err, "--report"), 0);
	ck_assert_int_eq(diag_rounds__end(&r), 0);
	unlink(out);
	unlink(err);
	unlink(svg);
}
END_TEST

/* The TCases: names, availability, exact counts. */
static Suite *kprobe_suite(void)
{
	Suite *s = suite_create("kprobe");
	TCase *tc;

	tc = tcase_create("names");
	tcase_add_loop_test(tc, test_resolve, 0, sizeof(names) / sizeof(names[0]));
	tcase_add_test(tc, test_check_settings);
	tcase_add_test(tc, test_probe);
	suite_add_tcase(s, tc);

	tc = tcase_create("counts");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_truth);
	tcase_add_test(tc, test_cli_bad_function);
	tcase_add_test(tc, test_drain_persistent);
	suite_add_tcase(s, tc);
	return s;
}

/* Run every case; HLDBENCH names the binary the CLI cases run. */
int main(void)
{
	SRunner *sr = srunner_create(kprobe_suite());
	int failed;

	if (getenv("HLDBENCH"))
		hldbench = getenv("HLDBENCH");
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
