// SPDX-License-Identifier: GPL-2.0
/*
 * check_check.c - `hldbench check`, the CI gate, on run.json files written
 * here with known figures: each limit fails the run when crossed and only
 * then; --write-baseline records what check reads back; bad usage exits 2.
 * No root needed: nothing is run but hldbench check.
 */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run-command.h"

static const char *hldbench = "build/hldbench";
static char dir[] = "/tmp/check_check.XXXXXX";

/* The figures a synthetic run.json carries. */
struct fig {
	bool interrupted, load_reached, aa;
	double overhead, ci_lo, ci_hi, floor;
	int pairs, excluded;
	double perf_error_pp, lm_error_r, diag_cpu;
	int drops, max_drops;
};

static const struct fig good = {
	.load_reached = true, .overhead = 1.0, .ci_lo = -0.5, .ci_hi = 2.5, .floor = 2.0,
	.pairs = 6, .perf_error_pp = 0.8, .lm_error_r = 0.1, .diag_cpu = 0.6,
};

static const char *in(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* The overhead, accuracy and drops objects of run.json's first tool. */
static void write_tool(FILE *f, const struct fig *g)
{
	fprintf(f, "\"overhead\": {\"throughput\": [{\"load\": \"cpu\", \"pairs\": %d, "
		"\"excluded_phases\": %d, \"overhead_pct\": %g, \"ci_lo_pct\": %g, "
		"\"ci_hi_pct\": %g, \"confidence\": 0.96875, \"verdict\": \"within noise\", "
		"\"noise_floor\": {\"pct\": %g, \"source\": \"this run's baselines\"}}], "
		"\"diag_cpu\": {\"pct_of_one_cpu\": %g}},\n",
		g->pairs, g->excluded, g->overhead, g->ci_lo, g->ci_hi, g->floor, g->diag_cpu);
	fprintf(f, "\"accuracy\": {\"perf\": {\"measured\": true, \"samples\": 4000, "
		"\"error_pp\": %g}, \"load_monitor\": {\"monitor_mean_r\": 4.1, "
		"\"sampler_mean_r\": 4.0, \"error_r\": %g}},\n", g->perf_error_pp, g->lm_error_r);
	fprintf(f, "\"drops\": {\"load-monitor\": 0, \"perf\": %d, \"sampler_missed_ticks\": 9}\n",
		g->drops);
}

/* Write DIR/NAME/run.json with @g's figures. */
static const char *write_run(const char *name, const struct fig *g)
{
	const char *d = in(name);
	char path[600];
	FILE *f;

	mkdir(d, 0755);
	snprintf(path, sizeof(path), "%s/run.json", d);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"hldbench\": \"run\", \"started_utc\": \"2026-12-01T00:00:00Z\", "
		"\"interrupted\": %s, \"interrupt_reason\": %s, \"backend\": \"bpf\", \"aa\": %s, "
		"\"injected_reader_spin_us\": 0,\n"
		"\"scenario\": {\"name\": \"ci-overhead\", \"max_drops\": %d},\n"
		"\"environment\": {\"kernel\": \"6.18.0\", \"cpus_online\": 2, \"hostname\": \"h\"},\n"
		"\"target_load\": 4, \"tolerance_pct\": 25, \"achieved_load\": 4.1, "
		"\"load_reached\": %s,\n", g->interrupted ? "true" : "false",
		g->interrupted ? "\"stopped by Interrupt\"" : "null", g->aa ? "true" : "false",
		g->max_drops, g->load_reached ? "true" : "false");
	write_tool(f, g);
	fprintf(f, ", \"tools\": [{\"name\": \"hldbench\", \"backend\": \"bpf\", "
		"\"available\": true,\n");
	write_tool(f, g);
	fprintf(f, "}, {\"name\": \"kmod\", \"available\": false, "
		"\"unavailable_reason\": \"no /dev/hld\"}]}\n");
	ck_assert_int_eq(fclose(f), 0);
	return d;
}

/* Run hldbench check with @args (NULL-terminated, at most 10); its output is in out.txt. */
static int check(const char *const *args)
{
	const char *argv[16] = { hldbench, "check" };
	int n = 2;

	for (; *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	return run_command(argv, in("out.txt"), in("err.txt"));
}

/* True if @file (out.txt or err.txt) has a line containing @s. */
static bool has(const char *file, const char *s)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen(in(file), "r");

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, s) != NULL;
	fclose(f);
	return found;
}

/* The baseline every case checks against: recorded from the good run, max overhead 10%. */
static void setup(void)
{
	const char *args[] = { NULL, "--write-baseline", NULL, "--max-overhead", "10",
			       "--note", "recorded by check_check", NULL };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	args[0] = write_run("good", &good);
	args[2] = in("baseline.json");
	ck_assert_int_eq(check(args), 0);
}

START_TEST(test_write_baseline)
{
	struct json_object *b = json_object_from_file(in("baseline.json")), *v, *t;

	ck_assert_ptr_nonnull(b);
	ck_assert(json_object_object_get_ex(b, "limits", &v));
	ck_assert(json_object_object_get_ex(v, "max_overhead_pct", &v));
	ck_assert_double_eq(json_object_get_double(v), 10);
	ck_assert(json_object_object_get_ex(b, "recorded", &v));
	ck_assert(json_object_object_get_ex(v, "note", &t));
	ck_assert_str_eq(json_object_get_string(t), "recorded by check_check");
	ck_assert(json_object_object_get_ex(v, "kernel", &t));
	ck_assert_str_eq(json_object_get_string(t), "6.18.0");
	/* only the available tool, with its overhead and noise floor */
	ck_assert(json_object_object_get_ex(b, "tools", &v));
	ck_assert_int_eq(json_object_array_length(v), 1);
	t = json_object_array_get_idx(v, 0);
	ck_assert(json_object_object_get_ex(t, "loads", &v));
	v = json_object_array_get_idx(v, 0);
	ck_assert(json_object_object_get_ex(v, "noise_floor_pct", &t));
	ck_assert_double_eq(json_object_get_double(t), 2);
	json_object_put(b);
}
END_TEST

/* Each case: a change to the good figures, the exit status, a line of the output. */
static const struct gate_case {
	const char *what;
	struct fig fig;
	const char *extra;	/* an option, or NULL */
	const char *extra_val;
	int status;
	const char *line;
} gate_cases[] = {
	{ "the good run passes", { 0 }, NULL, NULL, 0, "0 failed, 1 skipped" },
	{ "interval above the maximum", { .ci_lo = 10.5, .overhead = 12, .ci_hi = 14 }, NULL, NULL,
	  1, "FAIL  overhead hldbench load.cpu <= max  CI low 10.50%  limit 10.00%  margin -0.50" },
	{ "worse than the baseline by more than the noise", { .ci_lo = 3.5, .overhead = 5,
	  .ci_hi = 7 }, NULL, NULL, 1, "FAIL  overhead hldbench load.cpu vs baseline CI low 3.50%  "
	  "limit 3.00%" },
	{ "within the baseline's noise", { .ci_lo = 2.9, .overhead = 4, .ci_hi = 6 }, NULL, NULL, 0,
	  "PASS  overhead hldbench load.cpu vs baseline CI low 2.90%  limit 3.00%" },
	{ "a larger run noise floor widens the limit", { .ci_lo = 3.5, .overhead = 5, .ci_hi = 7,
	  .floor = 4 }, NULL, NULL, 0, "PASS  overhead hldbench load.cpu vs baseline CI low 3.50%  "
	  "limit 5.00%" },
	{ "--max-overhead overrides the baseline's", { .ci_lo = 2, .overhead = 2.5, .ci_hi = 3 },
	  "--max-overhead", "1.5", 1, "FAIL  overhead hldbench load.cpu <= max  CI low 2.00%  "
	  "limit 1.50%" },
	{ "diagnosis CPU", { .diag_cpu = 48 }, NULL, NULL, 1,
	  "FAIL  diag cpu hldbench <= max           CPU 48.00%  limit 5.00%" },
	{ "diagnosis CPU limit given", { .diag_cpu = 0.9 }, "--max-diag-cpu", "0.5", 1,
	  "FAIL  diag cpu hldbench <= max" },
	{ "perf accuracy", { .perf_error_pp = 5.5 }, NULL, NULL, 1,
	  "FAIL  accuracy hldbench perf             error 5.50 pp  limit 5.00 pp" },
	{ "perf accuracy limit given", { .perf_error_pp = 1.2 }, "--max-accuracy-error", "1", 1,
	  "FAIL  accuracy hldbench perf" },
	{ "load-monitor accuracy", { .lm_error_r = -1.5 }, NULL, NULL, 1,
	  "FAIL  accuracy hldbench load-monitor     |R error| 1.50  limit 1.00" },
	{ "drops beyond the allowance", { .drops = 3 }, NULL, NULL, 1,
	  "FAIL  drops hldbench perf                dropped 3.00  limit 0.00" },
	{ "drops within the allowance", { .drops = 3, .max_drops = 3 }, NULL, NULL, 0,
	  "PASS  drops hldbench perf" },
	{ "interrupted", { .interrupted = true }, NULL, NULL, 1,
	  "FAIL  run completed                      stopped by Interrupt" },
	{ "load missed", { .load_reached = false, .pairs = -1 }, NULL, NULL, 1,
	  "FAIL  load reached" },
	{ "one pair left", { .pairs = 1, .excluded = 5 }, NULL, NULL, 1,
	  "FAIL  pairs hldbench load.cpu >= 2       1 valid pairs, 5 phase(s) excluded" },
	{ "an A/A run is not a result", { .aa = true }, NULL, NULL, 1, "FAIL  not an A/A run" },
};

/* The good figures with the case's non-zero ones on top. */
static struct fig fig_of(const struct gate_case *c)
{
	struct fig g = good;

	g.interrupted = c->fig.interrupted;
	g.aa = c->fig.aa;
	if (c->fig.pairs == -1)
		g.load_reached = false;
	else if (c->fig.pairs)
		g.pairs = c->fig.pairs;
	if (c->fig.overhead)
		g.overhead = c->fig.overhead;
	if (c->fig.ci_lo)
		g.ci_lo = c->fig.ci_lo;
	if (c->fig.ci_hi)
		g.ci_hi = c->fig.ci_hi;
	if (c->fig.floor)
		g.floor = c->fig.floor;
	if (c->fig.perf_error_pp)
		g.perf_error_pp = c->fig.perf_error_pp;
	if (c->fig.lm_error_r)
		g.lm_error_r = c->fig.lm_error_r;
	if (c->fig.diag_cpu)
		g.diag_cpu = c->fig.diag_cpu;
	g.excluded = c->fig.excluded;
	g.drops = c->fig.drops;
	g.max_drops = c->fig.max_drops;
	return g;
}

START_TEST(test_gate)
{
	const struct gate_case *c = &gate_cases[_i];
	struct fig g = fig_of(c);
	char name[32];
	const char *args[] = { NULL, "--baseline", in("baseline.json"), c->extra, c->extra_val,
			       NULL };
	int rc;

	snprintf(name, sizeof(name), "case%d", _i);
	args[0] = write_run(name, &g);
	rc = check(args);
	ck_assert_msg(rc == c->status, "%s: exit %d, want %d", c->what, rc, c->status);
	ck_assert_msg(has("out.txt", c->line), "%s: no line \"%s\" in %s", c->what, c->line,
		      in("out.txt"));
	/* every check says PASS, FAIL or SKIP, and the unavailable tool is skipped */
	ck_assert(has("out.txt", "SKIP  tool kmod"));
}
END_TEST

static const struct usage_case {
	const char *what;
	const char *args[6];
	const char *msg;
} usage_cases[] = {
	{ "no run", { "--baseline", "x", NULL }, "which run?" },
	{ "no baseline", { "RUN", NULL }, "give --baseline FILE" },
	{ "both", { "RUN", "--baseline", "x", "--write-baseline", "y", NULL }, "give --baseline" },
	{ "bad limit", { "RUN", "--baseline", "x", "--max-overhead", "-3", NULL },
	  "--max-overhead: bad value '-3'" },
	{ "no run.json", { "/nonexistent", "--baseline", "x", NULL },
	  "cannot read /nonexistent/run.json" },
	{ "not a baseline", { "RUN", "--baseline", "RUNJSON", NULL }, "is not a baseline" },
};

START_TEST(test_usage)
{
	const struct usage_case *c = &usage_cases[_i];
	const char *args[8] = { 0 };
	char runjson[600];

	snprintf(runjson, sizeof(runjson), "%s/run.json", in("good"));
	for (int i = 0; c->args[i]; i++)
		args[i] = !strcmp(c->args[i], "RUN") ? in("good") :
			  !strcmp(c->args[i], "RUNJSON") ? runjson : c->args[i];
	ck_assert_msg(check(args) == 2, "%s", c->what);
	ck_assert_msg(has("err.txt", c->msg), "%s: stderr lacks \"%s\"", c->what, c->msg);
}
END_TEST

static Suite *check_suite(void)
{
	Suite *s = suite_create("check");
	TCase *tc = tcase_create("gate");

	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_write_baseline);
	tcase_add_loop_test(tc, test_gate, 0, sizeof(gate_cases) / sizeof(gate_cases[0]));
	tcase_add_loop_test(tc, test_usage, 0, sizeof(usage_cases) / sizeof(usage_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(check_suite());
	int failed;

	if (getenv("HLDBENCH"))
		hldbench = getenv("HLDBENCH");
	if (access(hldbench, X_OK)) {
		printf("SKIP: %s is not built\n", hldbench);
		return EXIT_FAILURE;
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
