// SPDX-License-Identifier: GPL-2.0
/*
 * check_scenario.c - the scenario file parser: good files with every parsed
 * value, bad files with their exact "path:line: key: reason" message, file
 * loading, and the help text generated from the tables.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hld_settings.h"
#include "scenario.h"

#define FIXTURES "tests/fixtures/scenario/"

/* [scenario] with only its required keys: three lines. */
#define HEAD "[scenario]\nname = x\ntarget-load = 1\n"
/* One load section: three lines. */
#define LOAD "[load.cpu]\ntool = stress-ng\nargs = --cpu 1\n"

/* --- good files ----------------------------------------------------------- */

struct want {
	const char *name, *description;
	double target_load, tolerance;
	uint64_t duration_ms, warmup_ms, sample_ms, repeat, warmup_phases;
	const char *tools;
	uint64_t max_drops;
	int nr_loads;
	struct load_spec loads[3];
	const char *features;		/* enabled features, blank-separated */
	bool truth;
	const char *split;
	uint64_t truth_ms;
	uint64_t lm_load, lm_load_d, lm_interval_ms;
	uint64_t perf_freq;
	int64_t perf_cpu;
	const char *perf_comm;
};

/*
 * Values every file gets when it does not say otherwise. Each case lists
 * DEFAULTS first and then what differs; a later designator wins (C11 6.7.9),
 * which is the point here, so that warning is off for this table.
 */
#pragma GCC diagnostic ignored "-Woverride-init"
#define DEFAULTS .description = "", .tolerance = 10, .duration_ms = 20000, .warmup_ms = 3000, \
	.sample_ms = 100, .repeat = 3, .warmup_phases = 1, .tools = "hldbench", .features = "load-monitor perf", .truth = true,      \
	.split = "70:30", .truth_ms = 5000, .lm_interval_ms = 10, .perf_freq = 99,            \
	.perf_cpu = -1, .perf_comm = ""

static const struct { const char *what, *text; struct want want; } good[] = {
	{ "minimal", HEAD LOAD, {
		DEFAULTS, .name = "x", .target_load = 1, .nr_loads = 1,
		.loads = { { .name = "cpu", .tool = LOAD_STRESS_NG, .args = "--cpu 1", .line = 4 } },
	} },
	{ "full, every key, comments and odd spacing",
	  "# full scenario\n"
	  "; another comment style\n"
	  "\n"
	  "[ scenario ]\n"
	  "name=full   \n"
	  "  description =  every key, once  # trailing comment\n"
	  "target-load = 12.5\n"
	  "tolerance = 5\n"
	  "duration = 1.5m\n"
	  "warmup = 500ms\n"
	  "sample-interval = 50ms\n"
	  "repeat = 7\n"
	  "warmup-phases = 2\n"
	  "[load.io_1]\r\n"
	  "tool = fio\r\n"
	  "args = --name=r --filename={dev} --rw=randread --direct=1 --ioengine=psync\n"
	  "loop-size = 256M\n"
	  "read-iops = 50\n"
	  "write-iops = 20\n"
	  "[diag]\n"
	  "features = load-monitor, perf,sys-cost\n"
	  "tools = hldbench, bpf\n"
	  "max-drops = 12\n"
	  "load-monitor.load = 5\n"
	  "load-monitor.load.d = 2\n"
	  "load-monitor.interval = 20ms\n"
	  "perf.freq = 999\n"
	  "perf.cpu = 1\n"
	  "perf.comm = stress-ng\n"
	  "[truth]\n"
	  "enabled = no\n"
	  "workload = cpu-split\n"
	  "split = 50:30:20\n"
	  "duration = 10s\n", {
		.name = "full", .description = "every key, once", .target_load = 12.5,
		.tolerance = 5, .duration_ms = 90000, .warmup_ms = 500, .sample_ms = 50,
		.repeat = 7, .warmup_phases = 2, .tools = "hldbench, bpf", .max_drops = 12,
		.nr_loads = 1,
		.loads = { { .name = "io_1", .tool = LOAD_FIO,
			     .args = "--name=r --filename={dev} --rw=randread --direct=1 --ioengine=psync",
			     .loop_size = 256 << 20, .read_iops = 50, .write_iops = 20, .line = 14 } },
		.features = "load-monitor sys-cost perf", .truth = false, .split = "50:30:20",
		.truth_ms = 10000, .lm_load = 5, .lm_load_d = 2, .lm_interval_ms = 20,
		.perf_freq = 999, .perf_cpu = 1, .perf_comm = "stress-ng",
	} },
	/* The six shipped scenario shapes. */
	{ "cpu-load6: one stress-ng CPU load",
	  "[scenario]\nname = cpu-load6\ntarget-load = 6\nduration = 20s\n"
	  "[load.cpu]\ntool = stress-ng\nargs = --cpu 6 --cpu-method matrixprod\n", {
		DEFAULTS, .name = "cpu-load6", .target_load = 6, .nr_loads = 1,
		.loads = { { .name = "cpu", .tool = LOAD_STRESS_NG,
			     .args = "--cpu 6 --cpu-method matrixprod", .line = 5 } },
	} },
	{ "io-dstate: fio on a throttled loop device",
	  "[scenario]\nname = io-dstate\ntarget-load = 4\ntolerance = 20\n"
	  "[load.io]\ntool = fio\nargs = --name=d --filename={dev} --rw=randread --numjobs=4\n"
	  "loop-size = 1G\nread-iops = 100\n"
	  "[diag]\nfeatures = load-monitor\nload-monitor.load.d = 3\n", {
		DEFAULTS, .name = "io-dstate", .target_load = 4, .tolerance = 20, .nr_loads = 1,
		.loads = { { .name = "io", .tool = LOAD_FIO,
			     .args = "--name=d --filename={dev} --rw=randread --numjobs=4",
			     .loop_size = 1ULL << 30, .read_iops = 100, .line = 5 } },
		.features = "load-monitor", .lm_load_d = 3,
	} },
	{ "mixed: CPU and IO loads together",
	  "[scenario]\nname = mixed\ntarget-load = 8\nrepeat = 2\n"
	  "[load.cpu]\ntool = stress-ng\nargs = --cpu 4\n"
	  "[load.io]\ntool = fio\nargs = --filename={dev} --rw=randwrite --fsync=1\n"
	  "loop-size = 512M\nwrite-iops = 40\n"
	  "[diag]\nload-monitor.load = 8\n", {
		DEFAULTS, .name = "mixed", .target_load = 8, .repeat = 2, .nr_loads = 2,
		.loads = { { .name = "cpu", .tool = LOAD_STRESS_NG, .args = "--cpu 4", .line = 5 },
			   { .name = "io", .tool = LOAD_FIO,
			     .args = "--filename={dev} --rw=randwrite --fsync=1",
			     .loop_size = 512 << 20, .write_iops = 40, .line = 8 } },
		.lm_load = 8,
	} },
	{ "mem-pressure: stress-ng under a memory limit",
	  "[scenario]\nname = mem-pressure\ntarget-load = 4\n"
	  "[load.hdd]\ntool = stress-ng\nargs = --hdd 4\nmemory-limit = 128M\n", {
		DEFAULTS, .name = "mem-pressure", .target_load = 4, .nr_loads = 1,
		.loads = { { .name = "hdd", .tool = LOAD_STRESS_NG, .args = "--hdd 4", .line = 4,
			     .memory_limit = 128 << 20 } },
	} },
	{ "memory limit and throttle on one load, limits at the range ends",
	  "[scenario]\nname = both\ntarget-load = 2\n"
	  "[load.io]\ntool = fio\nargs = --filename={dev}\nloop-size = 64M\nread-iops = 10\n"
	  "memory-limit = 16M\n"
	  "[load.big]\ntool = stress-ng\nargs = --vm 1\nmemory-limit = 1T\n", {
		DEFAULTS, .name = "both", .target_load = 2, .nr_loads = 2,
		.loads = { { .name = "io", .tool = LOAD_FIO, .args = "--filename={dev}",
			     .loop_size = 64 << 20, .read_iops = 10, .memory_limit = 16 << 20,
			     .line = 4 },
			   { .name = "big", .tool = LOAD_STRESS_NG, .args = "--vm 1",
			     .memory_limit = 1ULL << 40, .line = 10 } },
	} },
	{ "syscall-heavy: sys-cost and perf",
	  "[scenario]\nname = sys\ntarget-load = 2\n"
	  "[load.sys]\ntool = stress-ng\nargs = --getpid 2\n"
	  "[diag]\nfeatures = sys-cost perf\nperf.freq = 499\n", {
		DEFAULTS, .name = "sys", .target_load = 2, .nr_loads = 1,
		.loads = { { .name = "sys", .tool = LOAD_STRESS_NG, .args = "--getpid 2", .line = 4 } },
		.features = "sys-cost perf", .perf_freq = 499,
	} },
	{ "baseline-only: no diagnosis, no truth phase",
	  "[scenario]\nname = base\ntarget-load = 0.5\nsample-interval = 1s\n"
	  "[load.cpu]\ntool = stress-ng\nargs = --cpu 1 --cpu-load 50\n"
	  "[diag]\nfeatures = none\n[truth]\nenabled = off\n", {
		DEFAULTS, .name = "base", .target_load = 0.5, .sample_ms = 1000, .nr_loads = 1,
		.loads = { { .name = "cpu", .tool = LOAD_STRESS_NG, .args = "--cpu 1 --cpu-load 50",
			     .line = 5 } },
		.features = "", .truth = false,
	} },
	{ "profiler-accuracy: long run, custom truth split",
	  "[scenario]\nname = accuracy\ntarget-load = 2\nduration = 1m\nwarmup = 10s\n"
	  "[load.cpu]\ntool = stress-ng\nargs = --cpu 2\n"
	  "[diag]\nfeatures = perf\nperf.freq = 999\n"
	  "[truth]\nsplit = 60:25:15\nduration = 30s\n", {
		DEFAULTS, .name = "accuracy", .target_load = 2, .duration_ms = 60000,
		.warmup_ms = 10000, .nr_loads = 1,
		.loads = { { .name = "cpu", .tool = LOAD_STRESS_NG, .args = "--cpu 2", .line = 6 } },
		.features = "perf", .perf_freq = 999, .split = "60:25:15", .truth_ms = 30000,
	} },
	{ "sections in any order, eight loads",
	  "[truth]\nsplit = 50:50\n[diag]\nfeatures = reboot\n"
	  "[load.a]\ntool=fio\nargs=-a\n[load.b]\ntool=fio\nargs=-b\n"
	  "[load.c]\ntool=fio\nargs=-c\n[load.d]\ntool=fio\nargs=-d\n"
	  "[load.e]\ntool=fio\nargs=-e\n[load.f]\ntool=fio\nargs=-f\n"
	  "[load.g]\ntool=fio\nargs=-g\n[load.h]\ntool=fio\nargs=-h\n"
	  HEAD, {
		DEFAULTS, .name = "x", .target_load = 1, .nr_loads = 8,
		.loads = { { .name = "a", .tool = LOAD_FIO, .args = "-a", .line = 5 },
			   { .name = "b", .tool = LOAD_FIO, .args = "-b", .line = 8 },
			   { .name = "c", .tool = LOAD_FIO, .args = "-c", .line = 11 } },
		.features = "reboot", .split = "50:50",
	} },
};

/* The enabled features as "a b c", in id order. */
static void enabled__format(const struct scenario *sc, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < DIAG_FEATURE__MAX; i++)
		if (sc->enabled[i])
			n += snprintf(buf + n, len - n, "%s%s", n ? " " : "", diag_descs[i].name);
}

static void check_want(const struct scenario *sc, const struct want *w)
{
	const struct hld_loadmon_settings *lm = sc->settings[DIAG_load_monitor];
	const struct hld_perf_settings *pf = sc->settings[DIAG_perf];
	char features[512];

	ck_assert_str_eq(sc->name, w->name);
	ck_assert_str_eq(sc->description, w->description);
	ck_assert_double_eq(sc->target_load, w->target_load);
	ck_assert_double_eq(sc->tolerance_pct, w->tolerance);
	ck_assert_uint_eq(sc->duration_ms, w->duration_ms);
	ck_assert_uint_eq(sc->warmup_ms, w->warmup_ms);
	ck_assert_uint_eq(sc->sample_ms, w->sample_ms);
	ck_assert_uint_eq(sc->repeat, w->repeat);
	ck_assert_uint_eq(sc->warmup_phases, w->warmup_phases);
	ck_assert_str_eq(sc->tools, w->tools);
	ck_assert_uint_eq(sc->max_drops, w->max_drops);
	ck_assert_int_eq(sc->nr_loads, w->nr_loads);
	for (int i = 0; i < sc->nr_loads && i < 3; i++) {
		const struct load_spec *got = &sc->loads[i], *want = &w->loads[i];

		ck_assert_str_eq(got->name, want->name);
		ck_assert_int_eq(got->tool, want->tool);
		ck_assert_str_eq(got->args, want->args);
		ck_assert_uint_eq(got->loop_size, want->loop_size);
		ck_assert_uint_eq(got->read_iops, want->read_iops);
		ck_assert_uint_eq(got->write_iops, want->write_iops);
		ck_assert_uint_eq(got->memory_limit, want->memory_limit);
		ck_assert_int_eq(got->line, want->line);
	}
	enabled__format(sc, features, sizeof(features));
	ck_assert_str_eq(features, w->features);
	ck_assert_int_eq(sc->truth, w->truth);
	ck_assert_str_eq(sc->truth_split, w->split);
	ck_assert_uint_eq(sc->truth_ms, w->truth_ms);
	for (int i = 0; i < DIAG_FEATURE__MAX; i++)
		ck_assert_ptr_nonnull(sc->settings[i]);
	ck_assert_uint_eq(lm->load, w->lm_load);
	ck_assert_uint_eq(lm->load_r, 0);
	ck_assert_uint_eq(lm->load_d, w->lm_load_d);
	ck_assert_uint_eq(lm->interval_ms, w->lm_interval_ms);
	ck_assert_uint_eq(lm->max_tasks, 256);
	ck_assert_uint_eq(lm->min_gap_ms, 1000);
	ck_assert_uint_eq(pf->freq, w->perf_freq);
	ck_assert_int_eq(pf->cpu, w->perf_cpu);
	ck_assert_int_eq(pf->pid, -1);
	ck_assert_str_eq(pf->comm, w->perf_comm);
}

START_TEST(test_good)
{
	struct scenario sc;
	char err[512] = "";
	int rc;

	rc = scenario__parse(&sc, "x.conf", good[_i].text, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s: %s", good[_i].what, err);
	check_want(&sc, &good[_i].want);
	ck_assert_str_eq(sc.path, "x.conf");
	ck_assert_str_eq(sc.text, good[_i].text);
	scenario__free(&sc);
	ck_assert_ptr_null(sc.text);
	scenario__free(&sc);
}
END_TEST

/* --- bad files: the exact message --------------------------------------- */

static const struct { const char *what, *text, *msg; } bad[] = {
	{ "unknown section", HEAD "[lod.cpu]\n",
	  "x.conf:4: [lod.cpu]: unknown section (known: scenario, load.NAME, diag, truth)" },
	{ "unknown key", HEAD "durtion = 5s\n" LOAD,
	  "x.conf:4: durtion: unknown key in [scenario] (known: name, description, target-load, "
	  "tolerance, duration, warmup, sample-interval, repeat, warmup-phases)" },
	{ "tools: empty", HEAD LOAD "[diag]\ntools = ,\n",
	  "x.conf:8: tools: empty: name what to compare with the baseline, e.g. hldbench" },
	{ "tools: twice", HEAD LOAD "[diag]\ntools = hldbench bpf hldbench\n",
	  "x.conf:8: tools: \"hldbench\" named twice" },
	{ "tools: too many", HEAD LOAD "[diag]\ntools = a b c d e\n",
	  "x.conf:8: tools: more than 4 tools" },
	{ "warmup-phases out of range", HEAD "warmup-phases = 11\n" LOAD,
	  "x.conf:4: warmup-phases: out of range: 11 (accepted 0..10)" },
	{ "unknown key in a load", HEAD LOAD "iops = 5\n",
	  "x.conf:7: iops: unknown key in [load.cpu] (known: tool, args, loop-size, read-iops, "
	  "write-iops, memory-limit)" },
	{ "bad number", "[scenario]\nname = x\ntarget-load = abc\n" LOAD,
	  "x.conf:3: target-load: bad number \"abc\": expected a number 0.1..10000" },
	{ "bad integer", HEAD "repeat = 2.5\n" LOAD,
	  "x.conf:4: repeat: bad number \"2.5\": expected an integer 1..100" },
	{ "bad unit", HEAD "duration = 5q\n" LOAD,
	  "x.conf:4: duration: bad duration \"5q\": use a number with ms, s, m or h" },
	{ "blank inside a duration", HEAD "duration = 10 s\n" LOAD,
	  "x.conf:4: duration: bad duration \"10 s\": use a number with ms, s, m or h" },
	{ "bad size unit", HEAD LOAD "loop-size = 1X\n",
	  "x.conf:7: loop-size: bad size \"1X\": use a number with k, M, G or T (powers of 1024)" },
	{ "out of range", HEAD "sample-interval = 0\n" LOAD,
	  "x.conf:4: sample-interval: out of range: 0 (accepted 10ms..10s)" },
	{ "out of range, double", "[scenario]\nname = x\ntarget-load = 0.05\n" LOAD,
	  "x.conf:3: target-load: out of range: 0.05 (accepted 0.1..10000)" },
	{ "out of range, iops", HEAD LOAD "read-iops = 1000001\n",
	  "x.conf:7: read-iops: out of range: 1000001 (accepted 0..1000000)" },
	{ "memory-limit below 16M", HEAD LOAD "memory-limit = 8M\n",
	  "x.conf:7: memory-limit: out of range: 8M (accepted 0 or 16M..1T)" },
	{ "memory-limit of one byte", HEAD "[load.cpu]\nmemory-limit = 1\ntool = stress-ng\n"
	  "args = --cpu 1\n",
	  "x.conf:5: memory-limit: out of range: 1 (accepted 0 or 16M..1T)" },
	{ "memory-limit above 1T", HEAD LOAD "memory-limit = 2T\n",
	  "x.conf:7: memory-limit: out of range: 2T (accepted 0..1T)" },
	{ "memory-limit bad unit", HEAD LOAD "memory-limit = 128Mb\n",
	  "x.conf:7: memory-limit: bad size \"128Mb\": use a number with k, M, G or T "
	  "(powers of 1024)" },
	{ "bad tool", HEAD "[load.cpu]\ntool = stress\n",
	  "x.conf:5: tool: bad value \"stress\": one of stress-ng, fio" },
	{ "bad bool", HEAD LOAD "[truth]\nenabled = maybe\n",
	  "x.conf:8: enabled: bad value \"maybe\": one of 1/0, true/false, yes/no, on/off" },
	{ "missing required key", "[scenario]\nname = x\n" LOAD,
	  "x.conf:1: target-load: required key missing in [scenario]" },
	{ "missing required key in a load", HEAD "[load.cpu]\nargs = --cpu 1\n",
	  "x.conf:4: tool: required key missing in [load.cpu]" },
	{ "missing [scenario]", LOAD "\n# end\n",
	  "x.conf:5: [scenario]: section missing: a scenario needs a name and a target-load" },
	{ "empty name", "[scenario]\nname =\ntarget-load = 1\n" LOAD,
	  "x.conf:2: name: empty: a scenario needs a name" },
	{ "duplicate key", HEAD "duration = 5s\nduration = 6s\n" LOAD,
	  "x.conf:5: duration: duplicate key in [scenario] (first at line 4)" },
	{ "duplicate feature key", HEAD LOAD "[diag]\nperf.freq = 9\nperf.freq = 9\n",
	  "x.conf:9: perf.freq: duplicate key for perf (first at line 8)" },
	{ "duplicate load section", HEAD LOAD "[load.io]\ntool = fio\nargs = -x\n[load.cpu]\n",
	  "x.conf:10: [load.cpu]: duplicate section (first at line 4)" },
	{ "duplicate section", HEAD LOAD "[scenario]\n",
	  "x.conf:7: [scenario]: duplicate section (first at line 1)" },
	{ "bad load name", HEAD "[load.a b]\n",
	  "x.conf:4: [load.a b]: bad load name \"a b\": use letters, digits, '_' and '-'" },
	{ "empty load name", HEAD "[load.]\n",
	  "x.conf:4: [load.]: bad load name \"\": use letters, digits, '_' and '-'" },
	{ "too many loads", HEAD
	  "[load.a]\n[load.b]\n[load.c]\n[load.d]\n[load.e]\n[load.f]\n[load.g]\n[load.h]\n"
	  "[load.i]\n",
	  "x.conf:12: [load.i]: too many load sections (at most 8)" },
	{ "{dev} without loop-size", HEAD "[load.io]\ntool = fio\nargs = --filename={dev}\n",
	  "x.conf:6: args: {dev} needs a loop device: set loop-size in [load.io]" },
	{ "warmup >= duration", HEAD "duration = 5s\nwarmup = 5s\n" LOAD,
	  "x.conf:5: warmup: must be shorter than duration (5s >= 5s)" },
	{ "duration <= default warmup", HEAD "duration = 2s\n" LOAD,
	  "x.conf:4: duration: must be longer than warmup (2s <= default warmup 3s)" },
	{ "bad split: sum", HEAD LOAD "[truth]\nsplit = 70:40\n",
	  "x.conf:8: split: bad split \"70:40\": shares must sum to 100 (they sum to 110)" },
	{ "bad split: one share", HEAD LOAD "[truth]\nsplit = 100\n",
	  "x.conf:8: split: bad split \"100\": 1 shares (use 2 to 8)" },
	{ "bad split: syntax", HEAD LOAD "[truth]\nsplit = 70:-30\n",
	  "x.conf:8: split: bad split \"70:-30\": use 2 to 8 positive integers separated by ':', "
	  "e.g. 70:30" },
	{ "bad split: zero share", HEAD LOAD "[truth]\nsplit = 100:0\n",
	  "x.conf:8: split: bad split \"100:0\": use 2 to 8 positive integers separated by ':', "
	  "e.g. 70:30" },
	{ "unknown feature", HEAD LOAD "[diag]\nfeatures = perf, bogus\n",
	  "x.conf:8: features: unknown feature \"bogus\" (known: load-monitor, sys-cost, "
	  "irq-stats, irq-delay, run-trace, perf, kprobe, tracepoint, exit-monitor, mutex-monitor, "
	  "exec-monitor, alloc-top, high-order, reboot, or none)" },
	{ "none with features", HEAD LOAD "[diag]\nfeatures = none perf\n",
	  "x.conf:8: features: \"none\" cannot be combined with other features" },
	{ "bad feature key", HEAD LOAD "[diag]\nperf.bogus = 1\n",
	  "x.conf:8: perf.bogus: unknown key for perf (known: freq, pid, tgid, cpu, comm, "
	  "kernel, user)" },
	{ "unknown key of kprobe", HEAD LOAD "[diag]\nkprobe.x = 1\n",
	  "x.conf:8: kprobe.x: unknown key for kprobe (known: function, tgid, pid, cpu, comm, "
	  "stacks, top)" },
	{ "unknown key of a feature", HEAD LOAD "[diag]\nsys-cost.x = 1\n",
	  "x.conf:8: sys-cost.x: unknown key for sys-cost (known: tgid, pid, comm, time, top)" },
	{ "setting of an unknown feature", HEAD LOAD "[diag]\nfoo.x = 1\n",
	  "x.conf:8: foo.x: unknown feature \"foo\" (known: load-monitor, sys-cost, irq-stats, "
	  "irq-delay, run-trace, perf, kprobe, tracepoint, exit-monitor, mutex-monitor, exec-monitor, "
	  "alloc-top, high-order, reboot)" },
	{ "unknown [diag] key", HEAD LOAD "[diag]\nfeature = perf\n",
	  "x.conf:8: feature: unknown key in [diag] (known: features, tools, max-drops, FEATURE.key)" },
	{ "bad feature value", HEAD LOAD "[diag]\nload-monitor.interval = 1ms\n",
	  "x.conf:8: load-monitor.interval: out of range: 1ms (accepted 10ms..10s)" },
	{ "bad feature number", HEAD LOAD "[diag]\nperf.freq = fast\n",
	  "x.conf:8: perf.freq: bad number \"fast\": expected an integer 1..10000" },
	{ "no load section", HEAD "\n",
	  "x.conf:4: [load.NAME]: no [load.NAME] section: a scenario needs at least one load "
	  "generator" },
	{ "key outside section", "name = x\n" HEAD LOAD,
	  "x.conf:1: name: key outside any section (start with [scenario])" },
	{ "malformed line", HEAD "just words\n" LOAD,
	  "x.conf:4: just words: not a key = value line" },
	{ "malformed key", HEAD "a key = 1\n" LOAD,
	  "x.conf:4: a key: not a key = value line (a key is letters, digits, '_', '-', '.')" },
	{ "missing key", HEAD "= 1\n" LOAD,
	  "x.conf:4: =: not a key = value line (a key is letters, digits, '_', '-', '.')" },
	{ "malformed section header", HEAD "[diag\n" LOAD,
	  "x.conf:4: [diag: malformed section header: expected [NAME]" },
	{ "string too long", "[scenario]\nname = "
	  "0123456789012345678901234567890123456789012345678901234567890123\ntarget-load = 1\n" LOAD,
	  "x.conf:2: name: too long: 64 characters (at most 63)" },
	{ "first error only", HEAD "a = 1\nb = 2\n",
	  "x.conf:4: a: unknown key in [scenario] (known: name, description, target-load, "
	  "tolerance, duration, warmup, sample-interval, repeat, warmup-phases)" },
	{ "empty file", "",
	  "x.conf:1: [scenario]: section missing: a scenario needs a name and a target-load" },
};

START_TEST(test_bad)
{
	struct scenario sc;
	char err[1024] = "";

	ck_assert_int_eq(scenario__parse(&sc, "x.conf", bad[_i].text, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, bad[_i].msg);
	for (int i = 0; i < DIAG_FEATURE__MAX; i++)
		ck_assert_ptr_nonnull(sc.settings[i]);
	scenario__free(&sc);
}
END_TEST

/* A short error buffer is truncated, never overrun. */
START_TEST(test_short_err)
{
	struct scenario sc;
	char err[16];

	memset(err, 'z', sizeof(err));
	ck_assert_int_eq(scenario__parse(&sc, "x.conf", HEAD "bogus = 1\n", err, 12), -EINVAL);
	ck_assert_str_eq(err, "x.conf:4: b");
	ck_assert_int_eq(err[12], 'z');
	scenario__free(&sc);
}
END_TEST

/* --- files ---------------------------------------------------------------- */

static const struct { const char *path, *msg; } files_bad[] = {
	{ FIXTURES "missing.conf", FIXTURES "missing.conf: cannot open: No such file or directory" },
	{ FIXTURES "bad-range.conf",
	  FIXTURES "bad-range.conf:9: load-monitor.max-tasks: out of range: 5000 (accepted 1..4096)" },
	{ FIXTURES "bad-dev.conf",
	  FIXTURES "bad-dev.conf:10: args: {dev} needs a loop device: set loop-size in [load.io]" },
	{ FIXTURES, FIXTURES ": cannot read: Is a directory" },
};

START_TEST(test_file_bad)
{
	struct scenario sc;
	char err[512] = "";

	ck_assert_int_lt(scenario__load(&sc, files_bad[_i].path, err, sizeof(err)), 0);
	ck_assert_str_eq(err, files_bad[_i].msg);
	scenario__free(&sc);
}
END_TEST

START_TEST(test_file_good)
{
	struct scenario sc;
	char err[512] = "", *want;
	FILE *f;
	long n;

	ck_assert_msg(scenario__load(&sc, FIXTURES "good.conf", err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(sc.name, "fixture-good");
	ck_assert_str_eq(sc.path, FIXTURES "good.conf");
	ck_assert_int_eq(sc.nr_loads, 2);
	ck_assert_str_eq(sc.loads[1].name, "io");
	ck_assert_uint_eq(sc.loads[1].loop_size, 64 << 20);
	ck_assert(sc.enabled[DIAG_load_monitor] && !sc.enabled[DIAG_perf]);

	f = fopen(FIXTURES "good.conf", "r");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	want = calloc(1, (size_t)n + 1);
	ck_assert_uint_eq(fread(want, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	ck_assert_str_eq(sc.text, want);
	free(want);
	scenario__free(&sc);
}
END_TEST

/* A file over 1 MiB is refused, not truncated. */
START_TEST(test_file_too_large)
{
	char path[] = "/tmp/check_scenario.XXXXXX", err[512], msg[600];
	struct scenario sc;
	FILE *f;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(HEAD LOAD, f);
	for (int i = 0; i < 1024 * 1024 / 8; i++)
		fputs("#comment", f);
	fclose(f);
	ck_assert_int_eq(scenario__load(&sc, path, err, sizeof(err)), -EFBIG);
	snprintf(msg, sizeof(msg), "%s: too large (at most 1 MiB)", path);
	ck_assert_str_eq(err, msg);
	scenario__free(&sc);
	unlink(path);
}
END_TEST

/* --- help ------------------------------------------------------------------ */

static const char *const help_lines[] = {
	"[scenario]", "[load.NAME]", "[diag]", "[truth]",
	"  target-load = NUMBER", "0.1..10000, required",
	"  warmup = DURATION", "0s..10m, default 3s",
	"  tool = stress-ng|fio", "  loop-size = SIZE",
	"  memory-limit = SIZE", "0..1T, default 0", "0: none, else 16M..1T",
	"  features = STRING", "default \"load-monitor perf\"",
	"  load-monitor.interval = DURATION", "10ms..10s, default 10ms",
	"  perf.freq = INTEGER", "1..10000, default 99",
	"  split = STRING", "default \"70:30\"",
	"known: load-monitor, sys-cost",
};

START_TEST(test_help)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	scenario__help(f);
	fclose(f);
	ck_assert_msg(strstr(text, help_lines[_i]) != NULL, "help lacks \"%s\"", help_lines[_i]);
	free(text);
}
END_TEST

static Suite *scenario_suite(void)
{
	Suite *s = suite_create("scenario");
	TCase *tc;

	tc = tcase_create("good");
	tcase_add_loop_test(tc, test_good, 0, sizeof(good) / sizeof(good[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("bad");
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_short_err);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_add_loop_test(tc, test_file_bad, 0, sizeof(files_bad) / sizeof(files_bad[0]));
	tcase_add_test(tc, test_file_good);
	tcase_add_test(tc, test_file_too_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("help");
	tcase_add_loop_test(tc, test_help, 0, sizeof(help_lines) / sizeof(help_lines[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(scenario_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
