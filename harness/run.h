/* SPDX-License-Identifier: GPL-2.0 */
/*
 * run.h - the state of one `hldbench run`, shared by the phase driver
 * (builtin-run.c), the ground-truth phase (run-truth.c) and the analysis and
 * outputs (run-report.c).
 */
#ifndef HLD_RUN_H
#define HLD_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "load.h"
#include "scenario.h"

#define RUN_MAX_PHASES 200
#define RUN_MAX_TOOLS SCEN_MAX_TOOLS
#define TRUTH_MAX_PARTS 8
/* The confidence every overhead interval is asked at. */
#define RUN_CONFIDENCE 0.95

struct run_opts {
	const char *scenario;	/* NULL: the embedded default */
	const char *outdir;
	const char *backend;
	uint64_t duration_ms;	/* 0: the scenario's */
	uint64_t repeat;	/* 0: the scenario's */
	int64_t warmup_phases;	/* -1: the scenario's */
	bool aa;		/* A/A: the tools' phases run without diagnosis */
	const char *noise;	/* an A/A run's directory: its noise floor */
	const char *tools;	/* --tools: instead of [diag] tools, NULL: the scenario's */
	bool quiet;
};

/* A tool's accuracy against ground truth: perf against cpu-split, sys-cost against syscalls. */
struct truth {
	bool ran;
	int nr_parts;
	double expected_pct[TRUTH_MAX_PARTS];	/* measured by the workload itself */
	double measured_pct[TRUTH_MAX_PARTS];	/* perf's sample shares */
	uint64_t part_samples[TRUTH_MAX_PARTS];
	uint64_t samples;			/* samples in the workload's parts */
	double error_pp;			/* max |measured - expected|, percentage points */
	char note[256];				/* why it did not run, if it did not */
	/* sys-cost against `hldbench workload syscalls N` */
	bool sc_ran;
	uint64_t sc_expected;			/* getppid calls the workload made */
	double sc_counted;			/* those the tool's sys-cost counted */
	char sc_note[256];
};

/*
 * One configuration compared with the baseline: a backend and the
 * scenario's features on it. "hldbench" is the backend of --backend; other
 * names are backends by name (bpf, kmod, and peers' as they are added).
 */
struct run_tool {
	char name[32];			/* as written in [diag] tools */
	const struct diag_backend *backend;
	bool available;			/* it has phases; else why says why not */
	char why[512];
	char missing[512];		/* features it cannot run, and why ("" if none) */
	struct diag_feature *feats[DIAG_FEATURE__MAX];
	int nr_feats;
	uint64_t diag_thread_ns;	/* CPU time of its diagnosis thread */
	bool diag_realtime;		/* that thread ran at SCHED_FIFO */
	struct truth truth;		/* its perf against the ground truth */
};

/* Noise floor of one load taken from an A/A run (--noise). */
struct noise_ref {
	bool found;
	double floor_pct;
	double lo, hi, confidence;
	int pairs;
};

struct phase {
	int index;		/* 1-based, also the sampler's phase tag */
	int rep;		/* 0-based round of the rotation; -1: a warm-up phase */
	int tool;		/* -1: baseline; else run->tools[tool]'s phase */
	bool warmup;		/* run and reported, never in a statistic */
	bool diagnosed;		/* the tool's features were active (never in A/A) */
	bool completed;		/* ran its full length */
	uint64_t start_ns, end_ns, planned_ms;
	struct load_result load[SCEN_MAX_LOADS];
};

/* Load verification, computed from the sampler after the run. */
struct load_check {
	double achieved;	/* mean R+D over the steady part of all phases */
	double mean_r, mean_d;
	double miss_pct;	/* (achieved - target) / target, percent */
	size_t steady_samples;
	/* 1-min loadavg against the EWMA predicted from the samples */
	double ewma_mean_abs_err, ewma_max_abs_err, ewma_final_pred, ewma_final_obs;
	int ewma_updates;
};

struct run {
	struct scenario *sc;
	const struct diag_backend *backend;	/* the first tool's */
	struct run_tool tools[RUN_MAX_TOOLS];
	int nr_tools;
	struct load *loads[SCEN_MAX_LOADS];
	struct sampler *sampler;

	struct phase phases[RUN_MAX_PHASES];
	int nr_phases, nr_phases_planned;
	uint64_t duration_ms, repeat, warmup_phases;
	uint64_t t0_ns;
	bool aa;				/* --aa */
	const char *noise_dir;			/* --noise, NULL: none */
	struct noise_ref noise[SCEN_MAX_LOADS];	/* from its run.json, by load name */
	uint64_t inject_spin_us;		/* HLDBENCH_INJECT_READER_SPIN_US (testing) */
	char dir[512];
	char started_utc[32];
	bool quiet, tty;

	bool interrupted;
	char reason[256];	/* why it was interrupted */

	bool memory_locked;		/* mlockall() held hldbench's memory in RAM */
	bool kernel_cost_measured;	/* BPF stats were enabled for the run */

	struct load_check check;
	bool load_reached;
};

/* @id among run->tools[@tool]'s features, or NULL. */
struct diag_feature *run__feature(const struct run *run, int tool, enum diag_feature_id id);

/*
 * Read the noise floor of every load from the A/A run in run->noise_dir
 * (its run.json) into run->noise. 0, or -errno with the reason in @err.
 */
int run__read_noise(struct run *run, char *err, size_t len);

/*
 * The ground-truth phase: cpu-split under each tool's perf in turn, into
 * run->tools[i].truth. 0, or -EINTR if cut short.
 */
int run_truth(struct run *run, volatile sig_atomic_t *stop);
/* Why no tool's truth phase ran: @note for each. */
void run__truth_note(struct run *run, const char *note);

/* Analyse the run and write every output into run->dir. */
void run_report(struct run *run);

/* The short end-of-run summary for the terminal. */
void run_print_summary(const struct run *run, FILE *f);

#endif /* HLD_RUN_H */
