/* SPDX-License-Identifier: GPL-2.0 */
/*
 * peer.h - peer tools (perf, bpftrace, strace) as diagnosis backends.
 *
 * A peer backend runs the tool the way a user would, as a child process
 * started for each activation and stopped at its deactivation, and parses
 * what the tool printed into the same report files and JSON fields as the
 * built-in feature writes (perf.folded, syscost.json, exec.json,
 * irq-stats.json), so that the same ground-truth tests and the same run
 * score it. The tool's own CPU time (wait4() rusage) goes into
 * f->tool_cpu_ns, and what turning its output into the report costs
 * afterwards into f->tool_post_cpu_ns.
 *
 * The parsers are separate from the process handling so that the tests
 * can feed them fixtures (tests/fixtures/peer-*).
 */
#ifndef HLD_PEER_H
#define HLD_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "run-command.h"

struct folded;
struct sc_data;
struct execmon_recs;
struct irqstats_data;

/*
 * 0 if @tool is an executable in $PATH; else -ENOENT and, in @why, that it
 * is not installed and which Debian package @pkg provides it.
 */
int peer__probe_tool(const char *tool, const char *pkg, char *why, size_t len);

/* One run of a peer tool: its process, and its files in a private directory. */
struct peer_proc {
	struct child_process cp;
	uint64_t ready_cpu_ns;		/* its CPU time when it was ready (getting there) */
	char dir[64];			/* mkdtemp()'d; removed by peer__cleanup() */
	char out[96], err[96];		/* its stdout and stderr, in dir */
};

/* Make @p's private directory; the path of @name in it into @buf. */
int peer__mkdir(struct peer_proc *p);
const char *peer__path(const struct peer_proc *p, const char *name, char *buf, size_t len);

/*
 * Start @argv with stdout and stderr into p->out and p->err, and wait up to
 * @timeout_ms until either holds @ready (bpftrace's "Attaching", strace's
 * "attached"); @ready NULL: do not wait. 0; -ENOENT if it cannot be
 * started; -EIO if it exited first (its stderr's first line in @why);
 * -ETIMEDOUT (it is stopped).
 */
int peer__start(struct peer_proc *p, const char *const *argv, const char *ready,
		int timeout_ms, char *why, size_t len);

/*
 * Stop @p: send @sig, wait for it to exit (its output written) at most
 * @grace_ms, then kill it; add its CPU time once it was ready to *@cpu_ns
 * and what getting ready took to *@startup_ns (either may be NULL).
 * Returns its wait status, or -errno.
 */
int peer__stop(struct peer_proc *p, int sig, int grace_ms, uint64_t *cpu_ns,
	       uint64_t *startup_ns);

/*
 * perf record's control fifos (--control=fifo:CTL,ACK): commands such as
 * "enable" and "disable", each acknowledged. @arg is the option to pass.
 */
struct perf_ctl {
	int ctl, ack;
	char ctl_path[96], ack_path[96], arg[256];	/* ctl_path[0]: open */
};

/* Make the fifos in @dir and open both ends of each. 0 or -errno. */
int peer__perf_ctl_open(struct perf_ctl *c, const char *dir);
/* Send @cmd, wait up to @timeout_ms for the acknowledgement. 0 or -errno. */
int peer__perf_ctl_cmd(struct perf_ctl *c, const char *cmd, int timeout_ms);
/* Close and remove the fifos (nothing if they were not made). */
void peer__perf_ctl_close(struct perf_ctl *c);

/* Remove @p's directory and the files in it. */
void peer__cleanup(struct peer_proc *p);

/* Read @path whole (NUL-terminated, *@size bytes); NULL and errno on failure. */
char *peer__slurp(const char *path, size_t *size);

/* Possible CPUs (the size of per-CPU views), at least 1. */
int peer__nr_cpus(void);

/* Mount tracefs on /sys/kernel/tracing if it is not (bpftrace needs it). 0 or -errno. */
int peer__tracefs(void);

/* The first line of @path, for error messages, into @buf ("" if none). */
void peer__first_line(const char *path, const char *skip, char *buf, size_t len);

/* --- parsers, fed the tools' output ------------------------------------ */

/*
 * Add @count samples of one stack to @fo in the built-in perf's folded
 * format, "comm;user outer..inner;kernel outer..inner_[k]": @user and
 * @kernel hold the frame names leaf first, as the tools print them.
 * 0 or -errno.
 */
int peer__fold_add(struct folded *fo, const char *comm, const char *const *user, int nr_user,
		   const char *const *kernel, int nr_kernel, uint64_t count);

#define PEER_MAX_FRAMES 128

/* What parsing `perf script` output found. */
struct perf_script_stats {
	uint64_t samples;		/* samples folded */
	uint64_t foreign;		/* samples skipped by the comm filter */
	uint64_t lost;			/* "lost N chunks" perf script reported */
};

/*
 * Fold `perf script -F comm,tid,ip,sym,dso` output (@text) into @fo as
 * "comm;outer..inner user frames;kernel frames_[k]", the built-in perf's
 * format; @comm ("" or NULL: any) keeps only samples of that comm;
 * kernel or user false drops those frames. 0 or -errno (-EPROTO: not perf
 * script output).
 */
int peer__fold_perf_script(struct folded *fo, FILE *in, const char *comm, bool kernel,
			   bool user, struct perf_script_stats *st);

/*
 * bpftrace -f json output: call @fn for each line of type "map" or "stats"
 * (the map's name, its key as text, its value object) and of type "printf"
 * (name NULL, key the printed text); count "lost" events into *@lost.
 */
struct json_object;
typedef int (*peer_bt_fn)(void *ctx, const char *map, const char *key, struct json_object *val);
int peer__bpftrace_json(char *text, peer_bt_fn fn, void *ctx, uint64_t *lost);

/* The bpftrace scripts, for the tests and docs: text with the settings applied. */
int peer__bpftrace_script(enum diag_feature_id id, const void *settings, char *buf, size_t len);

/* Process names seen in a tool's output, for syscost__build(). */
struct peer_comms {
	struct peer_comm { uint32_t tgid; char comm[16]; } *v;
	size_t n, cap;
};

/* Note @comm as @tgid's name unless it has one. 0 or -ENOMEM. */
int peer_comms__add(struct peer_comms *c, uint32_t tgid, const char *comm);
/* A syscost_comm_fn on a struct peer_comms. */
int peer_comms__find(void *comms, uint32_t tgid, char *comm);

/*
 * Add bpftrace's sys-cost maps (@text: its -f json output) into @d, the
 * process names into @comms. 0 or -errno.
 */
int peer__bpftrace_syscost(struct sc_data *d, struct peer_comms *comms, char *text,
			   uint64_t *lost);
/* Add bpftrace's exec-monitor lines into @r. 0 or -errno. */
int peer__bpftrace_exec(struct execmon_recs *r, char *text, uint64_t *lost);
/* Add bpftrace's irq-stats maps into @d (its fixed rows made). 0 or -errno. */
int peer__bpftrace_irqstats(struct irqstats_data *d, char *text, uint64_t *lost);
/* Fold bpftrace's perf map into @fo; the samples into *@samples. 0 or -errno. */
int peer__bpftrace_perf(struct folded *fo, char *text, uint64_t *samples, uint64_t *lost);

/*
 * strace -c -w output (@text): each syscall's calls and seconds into @d as
 * process @tgid's. 0 or -errno (-EPROTO: not strace's table).
 */
int peer__strace_summary(struct sc_data *d, char *text, uint32_t tgid);

#endif /* HLD_PEER_H */
