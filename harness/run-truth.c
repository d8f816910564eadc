// SPDX-License-Identifier: GPL-2.0
/*
 * run-truth.c - perf's accuracy against ground truth, for each tool of the
 * run in turn (the built-in backend's and each peer's perf).
 *
 * `hldbench workload cpu-split 70:30` spins one thread in cpu_split_part0,
 * cpu_split_part1, ... and measures the CPU time it spent in each with
 * CLOCK_THREAD_CPUTIME_ID. The profiler samples it at TRUTH_FREQ whatever
 * the scenario's frequency (with its other settings); its share of samples
 * in each part is compared with the workload's own measurement, in
 * percentage points. At 999 Hz a 5 s phase gives ~5000 samples: even
 * random sampling would be within sqrt(0.7 * 0.3 / 5000) = 0.65 pp (one
 * standard deviation), and periodic sampling of random 5-15 ms blocks is
 * several times closer than that, well inside the 2 pp the issue asks.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "folded.h"
#include "hld_settings.h"
#include "procfs.h"
#include "run-command.h"
#include "run.h"
#include "syscost-report.h"

#define TRUTH_FREQ	999	/* samples per second in the truth phase */

/* Read the workload's measured shares from its JSON output. */
static int read_truth_json(const char *path, struct truth *t)
{
	struct json_object *root = json_object_from_file(path), *shares;
	int n;

	if (!root)
		return -EINVAL;
	if (!json_object_object_get_ex(root, "share_pct", &shares) ||
	    !json_object_is_type(shares, json_type_array)) {
		json_object_put(root);
		return -EINVAL;
	}
	n = json_object_array_length(shares);
	if (n < 1 || n > TRUTH_MAX_PARTS) {
		json_object_put(root);
		return -EINVAL;
	}
	t->nr_parts = n;
	for (int i = 0; i < n; i++)
		t->expected_pct[i] = json_object_get_double(json_object_array_get_idx(shares, i));
	json_object_put(root);
	return 0;
}

/* perf's share of samples in each part, from the folded stacks. */
static int score_folded(const char *path, struct truth *t)
{
	struct folded *f = folded__new();
	struct folded_error fe;
	char frame[32];
	int err;

	if (!f)
		return -ENOMEM;
	err = folded__load(f, path, &fe);
	if (err) {
		folded__free(f);
		return err;
	}
	t->samples = 0;
	for (int i = 0; i < t->nr_parts; i++) {
		snprintf(frame, sizeof(frame), "cpu_split_part%d", i);
		t->part_samples[i] = folded__count_matching(f, frame);
		t->samples += t->part_samples[i];
	}
	folded__free(f);
	if (!t->samples)
		return -ENODATA;
	t->error_pp = 0;
	for (int i = 0; i < t->nr_parts; i++) {
		double d;

		t->measured_pct[i] = 100.0 * t->part_samples[i] / t->samples;
		d = t->measured_pct[i] - t->expected_pct[i];
		if (d < 0)
			d = -d;
		if (d > t->error_pp)
			t->error_pp = d;
	}
	return 0;
}

#define TRUTH_SYSCALLS	100000	/* getppid calls of the sys-cost truth */

/* Write @f's report into @dir with its JSON object in @dir/@name. 0 or -errno. */
static int report_into(struct diag_feature *f, const char *dir, const char *name)
{
	char path[PATH_MAX + 32];
	struct json_writer j;
	struct diag_outputs out = { .dir = dir, .json = &j };
	FILE *fp;
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (!fp)
		return -errno;
	json__init(&j, fp, true);
	json__begin_object(&j, NULL);
	err = f->ops->report(f, &out);
	json__end_object(&j);
	fputc('\n', fp);
	fclose(fp);
	return err;
}

/* Wait up to @ms for @cp to stop itself (the workload's --sigstop). */
static bool truth_stopped(struct child_process *cp, int ms)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", cp->pid);
	for (int waited = 0; waited < ms; waited += 10) {
		if (procfs__state(path) == 'T')
			return true;
		usleep(10000);
	}
	return false;
}

/* The workload's JSON at @path, once it is whole (it is written before the linger). */
static bool truth_written(const char *path)
{
	struct json_object *root = json_object_from_file(path);

	json_object_put(root);
	return root != NULL;
}

/*
 * Start `hldbench workload NAME ARGS... --json DIR/NAME.json --linger 60s`
 * (its output in DIR/NAME.log), its JSON path into @json. 0 or -errno.
 */
static int truth_workload(struct child_process *cp, const char *dir, const char *name,
			  const char *const *args, char *json, size_t len)
{
	const char *argv[16] = { NULL, "workload", name };
	char exe[PATH_MAX], log[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int i = 3, err;

	if (n < 0)
		return -errno;
	exe[n] = '\0';
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	snprintf(json, len, "%s/%s.json", dir, name);
	snprintf(log, sizeof(log), "%s/%s.log", dir, name);
	unlink(json);
	argv[0] = exe;
	while (*args && i < 11)
		argv[i++] = *args++;
	argv[i++] = "--json";
	argv[i++] = json;
	argv[i++] = "--linger";
	argv[i++] = "60s";
	cp->argv = argv;
	cp->out_path = log;
	cp->err_path = log;
	err = child__start(cp);
	cp->argv = NULL;		/* this frame's: only the start reads them */
	cp->out_path = cp->err_path = NULL;
	return err;
}

/*
 * One tool's truth phase: start the cpu-split workload, profile it alone
 * with @perf's backend at TRUTH_FREQ until it has written its measurement
 * (it lingers after it, so that a tool naming frames at its report, as
 * bpftrace does, still finds the process), write DIR/perf.{json,folded}
 * and score them into @t (a note says why when it could not be scored).
 */
static int run_truth_one(struct run *run, struct diag_feature *perf, const char *dir,
			 struct truth *t, volatile sig_atomic_t *stop)
{
	struct hld_perf_settings ps;
	char json[PATH_MAX + 32], log[PATH_MAX + 32], dur[32];
	struct child_process cp = { 0 };
	struct diag_runner *runner;
	struct diag_feature *f;
	uint64_t cpu_ns;
	bool rt;
	int err;

	snprintf(dur, sizeof(dur), "%llums", (unsigned long long)run->sc->truth_ms);
	const char *args[] = { run->sc->truth_split, "--duration", dur, NULL };
	err = truth_workload(&cp, dir, "cpu-split", args, json, sizeof(json));
	if (err) {
		snprintf(t->note, sizeof(t->note), "cannot start the cpu-split workload: %s",
			 strerror(-err));
		return 0;
	}

	/* Profile only the workload, at TRUTH_FREQ, with the scenario's other perf settings. */
	ps = *(struct hld_perf_settings *)perf->settings;
	ps.freq = TRUTH_FREQ;
	ps.tgid = cp.pid;
	ps.pid = -1;
	ps.comm[0] = '\0';
	f = diag__open(perf->ops, &ps);
	if (!f) {
		child__stop(&cp, 1000);
		return -ENOMEM;
	}
	err = f->ops->activate(f);
	if (err) {
		snprintf(t->note, sizeof(t->note), "cannot activate perf: %s", strerror(-err));
		child__stop(&cp, 1000);
		diag__close(f);
		return 0;
	}
	f->active = true;
	runner = diag_runner__start(&f, 1, &err);
	while (runner && !*stop && !child__poll(&cp) && !truth_written(json))
		usleep(20000);
	if (runner)
		diag_runner__stop(runner, &cpu_ns, &rt);
	f->ops->deactivate(f);
	f->active = false;
	if (!*stop)
		report_into(f, dir, "perf.json");	/* the workload still lingers: frames are named */
	child__stop(&cp, 2000);
	diag__close(f);
	if (*stop) {
		snprintf(run->reason, sizeof(run->reason), "stopped by %s during the truth phase",
			 strsignal(*stop));
		return -EINTR;
	}

	if (read_truth_json(json, t)) {
		snprintf(t->note, sizeof(t->note), "the workload wrote no usable cpu-split.json");
		return 0;
	}
	snprintf(log, sizeof(log), "%s/perf.folded", dir);
	err = score_folded(log, t);
	if (err) {
		snprintf(t->note, sizeof(t->note), "no perf samples in cpu_split_part*: %s",
			 strerror(-err));
		return 0;
	}
	t->ran = true;
	return 0;
}

/*
 * One tool's sys-cost truth: `hldbench workload syscalls N` stops itself,
 * sys-cost is activated filtered to it, the workload makes exactly N
 * getppid calls and lingers; sys-cost's count of them must be N.
 */
static int run_truth_syscost(struct run *run, struct diag_feature *sc, const char *dir,
			     struct truth *t, volatile sig_atomic_t *stop)
{
	char json[PATH_MAX + 32], log[PATH_MAX + 32], n_arg[32];
	struct hld_syscost_settings ss;
	struct child_process cp = { 0 };
	struct diag_runner *runner = NULL;
	struct json_object *rep;
	struct diag_feature *f;
	uint64_t cpu_ns;
	bool rt;
	int err;

	snprintf(n_arg, sizeof(n_arg), "%d", TRUTH_SYSCALLS);
	const char *args[] = { n_arg, "--sigstop", "--quiet", NULL };
	err = truth_workload(&cp, dir, "syscalls", args, json, sizeof(json));
	if (err || !truth_stopped(&cp, 5000)) {
		snprintf(t->sc_note, sizeof(t->sc_note), "cannot start the syscalls workload: %s",
			 err ? strerror(-err) : "it did not stop itself");
		if (!err)
			child__stop(&cp, 1000);
		return 0;
	}
	ss = *(struct hld_syscost_settings *)sc->settings;
	ss.tgid = cp.pid;
	ss.pid = -1;
	ss.comm[0] = '\0';
	f = diag__open(sc->ops, &ss);
	if (!f) {
		child__stop(&cp, 1000);
		return -ENOMEM;
	}
	err = f->ops->activate(f);
	if (err) {
		snprintf(t->sc_note, sizeof(t->sc_note), "cannot activate sys-cost: %s",
			 strerror(-err));
		goto out;
	}
	f->active = true;
	runner = diag_runner__start(&f, 1, &err);
	kill(cp.pid, SIGCONT);
	while (runner && !*stop && !child__poll(&cp) && !truth_written(json))
		usleep(20000);
	if (runner)
		diag_runner__stop(runner, &cpu_ns, &rt);
	f->ops->deactivate(f);
	f->active = false;
	if (!*stop)
		report_into(f, dir, "syscost-report.json");
out:
	child__stop(&cp, 2000);
	diag__close(f);
	if (*stop) {
		snprintf(run->reason, sizeof(run->reason), "stopped by %s during the truth phase",
			 strsignal(*stop));
		return -EINTR;
	}
	if (err)
		return 0;
	snprintf(log, sizeof(log), "%s/syscost.json", dir);
	rep = json_object_from_file(log);
	if (!rep || !truth_written(json)) {
		snprintf(t->sc_note, sizeof(t->sc_note), "no syscost.json or syscalls.json written");
		json_object_put(rep);
		return 0;
	}
	t->sc_expected = TRUTH_SYSCALLS;
	t->sc_counted = syscost__json_calls(rep, cp.pid, "getppid");
	json_object_put(rep);
	t->sc_ran = true;
	return 0;
}

void run__truth_note(struct run *run, const char *note)
{
	for (int ti = 0; ti < run->nr_tools; ti++) {
		struct truth *t = &run->tools[ti].truth;

		snprintf(t->note, sizeof(t->note), "%s", note);
		snprintf(t->sc_note, sizeof(t->sc_note), "%s", note);
	}
}

int run_truth(struct run *run, volatile sig_atomic_t *stop)
{
	for (int ti = 0; ti < run->nr_tools; ti++) {
		struct run_tool *tool = &run->tools[ti];
		struct diag_feature *perf = run__feature(run, ti, DIAG_perf);
		struct diag_feature *sc = run__feature(run, ti, DIAG_sys_cost);
		char dir[PATH_MAX];
		int err = 0;

		if (!tool->available) {
			snprintf(tool->truth.note, sizeof(tool->truth.note), "not run: %s", tool->why);
			snprintf(tool->truth.sc_note, sizeof(tool->truth.sc_note), "not run");
			continue;
		}
		if (!perf)
			snprintf(tool->truth.note, sizeof(tool->truth.note),
				 "perf is not among the features this tool ran");
		if (!sc)
			snprintf(tool->truth.sc_note, sizeof(tool->truth.sc_note),
				 "sys-cost is not among the features this tool ran");
		if (!perf && !sc)
			continue;
		/* the first tool's in truth/, the others' beside their reports */
		if (ti) {
			snprintf(dir, sizeof(dir), "%s/%s", run->dir, tool->name);
			if (mkdir(dir, 0755) && errno != EEXIST)
				return -errno;
			snprintf(dir, sizeof(dir), "%s/%s/truth", run->dir, tool->name);
		} else {
			snprintf(dir, sizeof(dir), "%s/truth", run->dir);
		}
		if (perf)
			err = run_truth_one(run, perf, dir, &tool->truth, stop);
		if (!err && sc)
			err = run_truth_syscost(run, sc, dir, &tool->truth, stop);
		if (err)
			return err;
	}
	return 0;
}
