// SPDX-License-Identifier: GPL-2.0
/*
 * check_integration.c - `hldbench run` end to end on a short scenario: the
 * outputs exist and their numbers agree with each other; an interrupted run
 * keeps its partial results; a bad scenario starts nothing.
 *
 * Needs root and BPF; otherwise it says so and runs no case.
 */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "folded.h"
#include "run-command.h"

static const char *hldbench = "build/hldbench";
static char outdir[] = "/tmp/hld-integration-XXXXXX";
static char intrdir[] = "/tmp/hld-interrupted-XXXXXX";
static char diedir[] = "/tmp/hld-child-died-XXXXXX";
static int run_status;

/* Path of @name in @dir, in a static buffer (one at a time). */
static const char *in(const char *dir, const char *name)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static struct json_object *get(struct json_object *o, const char *path)
{
	char key[128];
	const char *dot;

	while (o && (dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path = dot + 1;
	}
	return o && json_object_object_get_ex(o, path, &o) ? o : NULL;
}

static double num(struct json_object *root, const char *path)
{
	struct json_object *o = get(root, path);

	ck_assert_msg(o, "run.json has no %s", path);
	return json_object_get_double(o);
}

static struct json_object *load_run_json(const char *dir)
{
	struct json_object *root = json_object_from_file(in(dir, "run.json"));

	ck_assert_msg(root, "cannot parse %s", in(dir, "run.json"));
	return root;
}

/* Run the short scenario once for the whole suite. */
static void setup_run(void)
{
	static bool done;
	const char *argv[] = { hldbench, "run", "tests/fixtures/integration/short.conf",
			       "-o", outdir, "--quiet", NULL };

	if (done)
		return;
	done = true;
	ck_assert_ptr_nonnull(mkdtemp(outdir));
	run_status = run_command(argv, in(outdir, "../hld-integration.log"), NULL);
}

START_TEST(test_exit_status)
{
	ck_assert_msg(run_status == 0, "hldbench run exited %d (see /tmp/hld-integration.log)",
		      run_status);
}
END_TEST

static const char *const outputs[] = {
	"run.json", "samples.csv", "load-trend.png", "load-trend.svg", "load-trend.gp",
	"perf.folded", "flame.svg", "loadmon.txt", "loadmon.json", "summary.md", "report.html",
	"truth/cpu-split.json", "truth/perf.folded",
};

START_TEST(test_outputs_exist)
{
	struct stat st;
	const char *p = in(outdir, outputs[_i]);

	ck_assert_msg(!stat(p, &st), "missing %s", p);
	ck_assert_msg(st.st_size > 0, "empty %s", p);
}
END_TEST

START_TEST(test_load_verdict)
{
	struct json_object *r = load_run_json(outdir);
	double target = num(r, "target_load"), achieved = num(r, "achieved_load");
	double tol = num(r, "tolerance_pct"), miss = num(r, "load_miss_pct");
	bool reached = json_object_get_boolean(get(r, "load_reached"));

	ck_assert(!json_object_get_boolean(get(r, "interrupted")));
	/* The verdict and the miss follow from the figures. */
	ck_assert_double_eq_tol(miss, (achieved - target) / target * 100, 1e-6);
	ck_assert_int_eq(reached, fabs(miss) <= tol);
	/* stress-ng --cpu 3 is three runnable tasks. */
	ck_assert_msg(reached, "achieved %.2f against target %.2f", achieved, target);
	json_object_put(r);
}
END_TEST

START_TEST(test_phases_and_overhead)
{
	struct json_object *r = load_run_json(outdir), *phases = get(r, "phases");
	struct json_object *tp, *b, *d, *l, *w;
	int nb = 0, nd = 0;

	/* one warm-up phase (the default), then one baseline and one diagnosed */
	ck_assert_int_eq(json_object_array_length(phases), 3);
	w = json_object_array_get_idx(phases, 0);
	ck_assert(json_object_get_boolean(get(w, "warmup")));
	ck_assert(!json_object_get_boolean(get(w, "in_statistics")));
	ck_assert_str_eq(json_object_get_string(get(w, "kind")), "baseline");
	for (int i = 1; i < 3; i++) {
		struct json_object *ph = json_object_array_get_idx(phases, i);

		ck_assert(json_object_get_boolean(get(ph, "completed")));
		ck_assert(json_object_get_boolean(get(ph, "in_statistics")));
		if (!strcmp(json_object_get_string(get(ph, "kind")), "baseline"))
			nb++;
		else
			nd++;
	}
	ck_assert_int_eq(nb, 1);
	ck_assert_int_eq(nd, 1);

	tp = json_object_array_get_idx(get(r, "overhead.throughput"), 0);
	ck_assert_ptr_nonnull(tp);
	b = get(tp, "baseline");
	d = get(tp, "diagnosed");
	l = get(tp, "loss_pct");
	ck_assert_int_eq(json_object_array_length(b), 1);
	double vb = json_object_get_double(json_object_array_get_idx(b, 0));
	double vd = json_object_get_double(json_object_array_get_idx(d, 0));
	double vl = json_object_get_double(json_object_array_get_idx(l, 0));

	ck_assert(vb > 0 && vd > 0);
	ck_assert_double_eq_tol(vl, (vb - vd) / vb * 100, 1e-6);
	/* one pair: the estimate is that loss, at no confidence, and the run says so */
	ck_assert_double_eq_tol(num(tp, "overhead_pct"), vl, 1e-9);
	ck_assert_double_eq_tol(num(tp, "confidence"), 0, 1e-12);
	ck_assert_str_eq(json_object_get_string(get(tp, "verdict")), "too few pairs to conclude");
	ck_assert_double_eq_tol(num(tp, "baseline_median"), vb, 1e-9);
	ck_assert(num(r, "overhead.diag_cpu.thread_cpu_ns") > 0);
	/* the same objects per tool */
	ck_assert_str_eq(json_object_get_string(get(json_object_array_get_idx(get(r, "tools"), 0),
						    "name")), "hldbench");
	json_object_put(r);
}
END_TEST

START_TEST(test_accuracy)
{
	struct json_object *r = load_run_json(outdir);
	double sr = num(r, "accuracy.load_monitor.sampler_mean_r");
	double lr = num(r, "accuracy.load_monitor.monitor_mean_r");

	/* Both count the same three workers; they sample at different instants. */
	ck_assert_msg(fabs(lr - sr) < 1.0, "load-monitor R %.2f vs sampler R %.2f", lr, sr);
	ck_assert(num(r, "accuracy.load_monitor.checks") > 0);
	ck_assert(json_object_get_boolean(get(r, "accuracy.perf.measured")));
	/* 3 s at 999 Hz: about 3000 samples, so a few points is many sigmas. */
	ck_assert(num(r, "accuracy.perf.samples") > 500);
	ck_assert_msg(num(r, "accuracy.perf.error_pp") < 5, "perf error %.2f pp",
		      num(r, "accuracy.perf.error_pp"));
	json_object_put(r);
}
END_TEST

START_TEST(test_folded_matches_report)
{
	struct json_object *r = load_run_json(outdir);
	struct folded *f = folded__new();
	struct folded_error fe;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(folded__load(f, in(outdir, "perf.folded"), &fe), 0);
	ck_assert_uint_eq(folded__total(f), (uint64_t)num(r, "features.perf.samples"));
	ck_assert_uint_gt(folded__total(f), 0);
	folded__free(f);
	json_object_put(r);
}
END_TEST

START_TEST(test_flame_has_stress_ng)
{
	char buf[1 << 16];
	FILE *f = fopen(in(outdir, "flame.svg"), "r");
	bool found = false;

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(buf, sizeof(buf), f))
		found = strstr(buf, "stress-ng") != NULL;
	fclose(f);
	ck_assert_msg(found, "flame.svg has no stress-ng frame");
}
END_TEST

START_TEST(test_loadmon_captured)
{
	struct json_object *r = load_run_json(outdir);

	ck_assert(num(r, "features.load-monitor.captures") > 0);
	ck_assert(num(r, "features.load-monitor.tasks_captured") >= 3);
	ck_assert(get(r, "drops.load-monitor") && get(r, "drops.perf"));
	/* the summary of drops is what each feature's report counted */
	ck_assert(num(r, "drops.load-monitor") == num(r, "features.load-monitor.drops"));
	ck_assert(num(r, "drops.perf") == num(r, "features.perf.drops"));
	json_object_put(r);
}
END_TEST

START_TEST(test_samples_csv)
{
	FILE *f = fopen(in(outdir, "samples.csv"), "r");
	char line[1024];
	int rows = 0, in_phase = 0;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_msg(!strncmp(line, "t_s,phase,r,d", 13), "header: %s", line);
	while (fgets(line, sizeof(line), f)) {
		int phase;

		rows++;
		ck_assert_int_eq(sscanf(line, "%*[^,],%d", &phase), 1);
		in_phase += phase > 0;
	}
	fclose(f);
	ck_assert_int_gt(rows, 0);
	ck_assert_int_gt(in_phase, 0);
}
END_TEST

/* Start a 20 s run of the short scenario into @dir; returns once phase 1 runs. */
static void start_long_run(struct child_process *cp, const char **argv, char *dir)
{
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	argv[0] = hldbench;
	argv[1] = "run";
	argv[2] = "tests/fixtures/integration/short.conf";
	argv[3] = "-o";
	argv[4] = dir;
	argv[5] = "--quiet";
	argv[6] = "--duration";
	argv[7] = "20s";
	argv[8] = NULL;
	cp->argv = argv;
	ck_assert_int_eq(child__start(cp), 0);
	for (int i = 0; i < 400 && stat(in(dir, "phase1-base-cpu.log"), &st); i++)
		usleep(50000);
	ck_assert_int_eq(stat(in(dir, "phase1-base-cpu.log"), &st), 0);
	sleep(1);
}

/* The pid (and process group) of the stress-ng writing into @dir. */
static pid_t stress_ng_of(const char *dir)
{
	char pattern[96], out[128];
	const char *pg[] = { "pgrep", "-o", "-f", pattern, NULL };
	FILE *f;
	int pid = 0;

	snprintf(pattern, sizeof(pattern), "^stress-ng .*%s", dir);
	snprintf(out, sizeof(out), "%s.pgrep", dir);
	ck_assert_int_eq(run_command(pg, out, NULL), 0);
	f = fopen(out, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%d", &pid), 1);
	fclose(f);
	unlink(out);
	return pid;
}

/* The run ended early: exit 130, partial results kept, no load left. */
static void check_partial(struct child_process *cp, const char *dir, pid_t load,
			  const char *reason)
{
	char pgid[16];
	const char *pg[] = { "pgrep", "-g", pgid, NULL };
	struct json_object *r;
	struct stat st;

	ck_assert_int_eq(child__wait(cp), 0);
	ck_assert(WIFEXITED(cp->status));
	ck_assert_int_eq(WEXITSTATUS(cp->status), 130);
	r = load_run_json(dir);
	ck_assert(json_object_get_boolean(get(r, "interrupted")));
	ck_assert_msg(strstr(json_object_get_string(get(r, "interrupt_reason")), reason),
		      "reason: %s", json_object_get_string(get(r, "interrupt_reason")));
	json_object_put(r);
	ck_assert_int_eq(stat(in(dir, "samples.csv"), &st), 0);
	ck_assert_int_eq(stat(in(dir, "summary.md"), &st), 0);
	/* Nothing is left of the load's process group. */
	snprintf(pgid, sizeof(pgid), "%d", load);
	ck_assert_int_eq(run_command(pg, NULL, NULL), 1);
}

/* SIGINT in the middle of the first phase. */
START_TEST(test_interrupted)
{
	const char *argv[9];
	struct child_process cp = { 0 };
	pid_t load;

	start_long_run(&cp, argv, intrdir);
	load = stress_ng_of(intrdir);
	kill(cp.pid, SIGINT);
	check_partial(&cp, intrdir, load, "stopped by");
}
END_TEST

/* A load generator killed from outside ends the run the same way. */
START_TEST(test_child_died)
{
	const char *argv[9];
	struct child_process cp = { 0 };
	pid_t load;

	start_long_run(&cp, argv, diedir);
	load = stress_ng_of(diedir);
	ck_assert_int_eq(kill(load, SIGKILL), 0);
	check_partial(&cp, diedir, load, "load.cpu exited");
}
END_TEST

START_TEST(test_bad_scenario)
{
	const char *argv[] = { hldbench, "run", "tests/fixtures/integration/bad-key.conf",
			       "-o", "/tmp/hld-should-not-exist", NULL };
	char buf[512] = "";
	FILE *f;

	ck_assert_int_eq(run_command(argv, NULL, "/tmp/hld-bad.err"), 2);
	f = fopen("/tmp/hld-bad.err", "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_msg(strstr(buf, "tests/fixtures/integration/bad-key.conf:4: durration:"),
		      "message: %s", buf);
	ck_assert_int_ne(access("/tmp/hld-should-not-exist", F_OK), 0);
}
END_TEST

/* Root and BPF are needed to run; say why not otherwise. */
static const char *cannot_run(void)
{
	if (geteuid() != 0)
		return "not root";
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return "no BTF (/sys/kernel/btf/vmlinux)";
	if (access(hldbench, X_OK))
		return "hldbench is not built";
	return NULL;
}

static Suite *integration_suite(void)
{
	Suite *s = suite_create("integration");
	TCase *tc;
	const char *why = cannot_run();

	tc = tcase_create("usage");
	tcase_add_test(tc, test_bad_scenario);
	suite_add_tcase(s, tc);
	if (why) {
		printf("SKIP: integration run: %s\n", why);
		return s;
	}
	tc = tcase_create("run");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup_run, NULL);
	tcase_add_test(tc, test_exit_status);
	tcase_add_loop_test(tc, test_outputs_exist, 0, sizeof(outputs) / sizeof(outputs[0]));
	tcase_add_test(tc, test_load_verdict);
	tcase_add_test(tc, test_phases_and_overhead);
	tcase_add_test(tc, test_accuracy);
	tcase_add_test(tc, test_folded_matches_report);
	tcase_add_test(tc, test_flame_has_stress_ng);
	tcase_add_test(tc, test_loadmon_captured);
	tcase_add_test(tc, test_samples_csv);
	suite_add_tcase(s, tc);

	tc = tcase_create("interrupt");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_interrupted);
	tcase_add_test(tc, test_child_died);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(integration_suite());
	int failed;

	if (getenv("HLDBENCH"))
		hldbench = getenv("HLDBENCH");
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
