/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diag.h - the diagnosis module's backend interface.
 *
 * A backend (eBPF in bpf/, the kernel module in kmod/) provides a table of
 * features. Each feature fills one struct diag_ops; the harness only ever
 * talks to features through it, so adding a feature or a backend does not
 * touch the harness.
 *
 * Life cycle, driven by the harness (or by `hldbench diag`):
 *   diag__open()                with settings from the scenario's [diag]
 *                               section or the command line
 *   ops->activate()             once per diagnosed phase
 *   ops->poll()                 every DIAG_POLL_MS from the diag thread
 *   ops->deactivate()           end of the phase; collected data is kept
 *   ops->report()               once at the end: files + JSON + metrics
 *   diag__close()
 */
#ifndef HLD_DIAG_H
#define HLD_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "options.h"

#define DIAG_POLL_MS 10
#define DIAG_MAX_METRICS 16

/* HLD_FEATURES(X): the feature list, shared with the kernel module. */
#include "hld_features.h"

struct diag_feature;
struct diag_outputs;

/* Feature ids, in HLD_FEATURES order. */
enum diag_feature_id {
#define X(id, name, summary) DIAG_##id,
	HLD_FEATURES(X)
#undef X
	DIAG_FEATURE__MAX,
};

/*
 * What a feature is, independent of backend: its name and its settings,
 * described by one option table (include/hld_settings.h holds the structs).
 */
struct diag_desc {
	const char *name;		/* "load-monitor" */
	const char *summary;
	const struct opt *opts;		/* settings table, OPT_END-terminated */
	size_t settings_size;		/* size of the struct opts point into */
};

/* Indexed by enum diag_feature_id. */
extern const struct diag_desc diag_descs[DIAG_FEATURE__MAX];

/* The descriptor named @name, or NULL. */
const struct diag_desc *diag_desc__find(const char *name);

/*
 * Apply "key=value ..." (separated by blanks or commas) to @settings with
 * @d's option table. 0, or -EINVAL with the key and the reason in @err.
 */
int diag_desc__parse(const struct diag_desc *d, const char *text, void *settings,
		     char *err, size_t len);

struct diag_ops {
	enum diag_feature_id id;
	/* 0 if usable on this machine, else -errno and a reason in @why. */
	int (*probe)(char *why, size_t len);
	int (*activate)(struct diag_feature *f);
	int (*poll)(struct diag_feature *f);	/* may be NULL */
	int (*deactivate)(struct diag_feature *f);
	/*
	 * Write the feature's files into out->dir and its results into the
	 * open JSON object out->json; set metrics for the harness.
	 */
	int (*report)(struct diag_feature *f, const struct diag_outputs *out);
	void (*free)(struct diag_feature *f);	/* release priv */
	/*
	 * Persistent activation (`hldbench diag FEATURE --activate`): when
	 * f->pin_dir is set, activate() pins its maps and links there so the
	 * activation outlives the process, and reopen() attaches a new
	 * process to them, for report(). NULL: not supported yet.
	 */
	int (*reopen)(struct diag_feature *f);
	/*
	 * Check settings beyond their option table's ranges (that a named
	 * tracepoint exists, say) before anything is activated: 0, or
	 * -EINVAL with "key: reason" in @why. NULL: nothing to check.
	 */
	int (*check)(const void *settings, char *why, size_t len);
};

struct diag_outputs {
	const char *dir;		/* result directory */
	struct json_writer *json;	/* positioned inside this feature's object */
};

struct diag_metric {
	const char *name;		/* static string */
	double value;
};

struct diag_feature {
	const struct diag_ops *ops;
	void *settings;			/* ops->settings_size bytes */
	void *priv;			/* backend state */
	bool active;
	/* loss accounting, shown in every report */
	uint64_t events;		/* records or samples delivered */
	uint64_t drops;			/* events that could not be delivered */
	char drops_detail[160];		/* the drops by cause, "cause N, ...", or "" */
	/* kernel-side cost, from bpf_prog_info when BPF stats are enabled */
	uint64_t kernel_run_ns;
	uint64_t kernel_run_cnt;
	bool kernel_cost_in_thread;	/* the cost is already in the diag thread's CPU time */
	/*
	 * A peer backend (perf, bpftrace, strace: harness/peer.h) runs the tool
	 * as child processes: tool_cpu_ns is their CPU time (user + system,
	 * wait4() rusage) over the activations once the tool was ready, a cost
	 * of the diagnosis like the diag thread's; tool_startup_cpu_ns what
	 * it took to get ready (bpftrace compiles its script: seconds), paid
	 * once per activation, not per second diagnosed; tool_post_cpu_ns the
	 * CPU time spent after a deactivation turning the tool's output into
	 * the report (perf script), outside every phase. All 0 on the built-in
	 * backends.
	 */
	uint64_t tool_cpu_ns;
	uint64_t tool_startup_cpu_ns;
	uint64_t tool_post_cpu_ns;
	/*
	 * Set for a persistent activation: its bpffs directory, or for a backend
	 * with active_settings() the device that keeps it. NULL: private.
	 */
	const char *pin_dir;
	struct diag_metric metrics[DIAG_MAX_METRICS];
	int nr_metrics;
};

struct diag_backend {
	const char *name;		/* "bpf", "kmod"; peers: "perf", "bpftrace", "strace" */
	/* A peer tool under test, not hldbench's own: never picked by "auto". */
	bool peer;
	/* 0 if the backend can run here, else -errno and a reason. */
	int (*probe)(char *why, size_t len);
	const struct diag_ops *const *features;	/* NULL-terminated */
	/*
	 * Start measuring the kernel-side cost of the features (BPF run time).
	 * Returns a handle to close() when done (which restores the previous
	 * state), or -errno. May be NULL.
	 */
	int (*cost_begin)(void);
	/*
	 * A backend that keeps persistent activations itself (the module does)
	 * rather than pinning them in bpffs: the settings of @id's active
	 * persistent activation into @buf (@size bytes). 0, -ENOENT if @id is
	 * not active, or -errno. NULL: activations are pinned under DIAG_PIN_ROOT.
	 */
	int (*active_settings)(enum diag_feature_id id, void *buf, size_t size);
};

extern const struct diag_backend diag_backend_bpf;
extern const struct diag_backend diag_backend_kmod;
/* The peer tools as backends (harness/peer-*.c), NULL-terminated. */
extern const struct diag_backend diag_backend_perf;
extern const struct diag_backend diag_backend_bpftrace;
extern const struct diag_backend diag_backend_strace;
extern const struct diag_backend *const diag_peer_backends[];

/*
 * Pick a backend by name ("auto", "bpf", "kmod", or a peer's name); NULL
 * and a reason on failure.
 */
const struct diag_backend *diag__backend(const char *name, char *why, size_t len);

/* The backend's ops for @feature, or NULL (with a reason) when it has none. */
const struct diag_ops *diag__find(const struct diag_backend *b, const char *feature,
				  char *why, size_t len);

/*
 * Allocate a feature. @settings (diag_descs[id].settings_size bytes) is
 * copied; NULL means the defaults. NULL on allocation failure.
 */
struct diag_feature *diag__open(const struct diag_ops *ops, const void *settings);
void diag__close(struct diag_feature *f);

/*
 * The diagnosis thread: calls ops->poll() of every feature every DIAG_POLL_MS,
 * at SCHED_FIFO priority 1 when allowed so that it keeps its period on an
 * overloaded machine. Its CPU time is the user-space cost of diagnosis.
 */
struct diag_runner;

/*
 * For testing the overhead gate only (`hldbench check`, tests/ci-gate.sh):
 * HLDBENCH_INJECT_READER_SPIN_US=N makes the diagnosis thread busy-loop N
 * microseconds on every poll, a deliberate regression. 0 when unset; a value
 * that is not a number 0..1000000 is ignored (0). run.json records it.
 */
#define DIAG_INJECT_SPIN_ENV "HLDBENCH_INJECT_READER_SPIN_US"
uint64_t diag__inject_spin_us(void);

struct diag_runner *diag_runner__start(struct diag_feature **feats, int n, int *err);
/* Stop and join; returns the first poll error seen (0 if none). */
int diag_runner__stop(struct diag_runner *r, uint64_t *cpu_ns, bool *realtime);

/*
 * Write @f's report into a new directory made from the mkdtemp() template
 * @dir (its JSON object goes nowhere): for tests and tools that only want
 * the files. 0 or -errno.
 */
int diag__report_into(struct diag_feature *f, char *dir);

/* Where persistent activations are pinned: a root-only directory in bpffs. */
#define DIAG_BPFFS	"/sys/fs/bpf"
#define DIAG_PIN_ROOT	DIAG_BPFFS "/hldbench"

/*
 * Mount bpffs on DIAG_BPFFS if nothing is mounted there (a fresh boot has
 * none) and make DIAG_PIN_ROOT, mode 0700. 1 if it mounted bpffs, 0 if it
 * was there, -errno on failure.
 */
int diag__pin_root(void);

/* Remove the directory @dir and the files in it (not subdirectories). 0 or -errno. */
int diag__remove_dir(const char *dir);

void diag_feature__set_metric(struct diag_feature *f, const char *name, double value);
/* The metric's value, or NaN if it was not set. */
double diag_feature__metric(const struct diag_feature *f, const char *name);

#endif /* HLD_DIAG_H */
