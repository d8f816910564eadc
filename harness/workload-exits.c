// SPDX-License-Identifier: GPL-2.0
/*
 * workload-exits.c - N processes that end in known ways: exit-monitor's
 * ground truth (harness/truth-exit-monitor.c) and `hldbench workload exits`.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "builtin.h"
#include "workload.h"

#define EXITS_COMM	"hld-exit"
#define EXITS_MAX	100000

const struct exit_case exits_default_cases[] = {
	{ 0, 0 }, { 1, 0 }, { 2, 0 }, { 42, 0 }, { 127, 0 }, { 255, 0 },
	{ 0, SIGKILL }, { 0, SIGTERM }, { 0, SIGSEGV }, { 0, SIGABRT }, { 0, SIGUSR1 },
};
const int exits_nr_default = sizeof(exits_default_cases) / sizeof(exits_default_cases[0]);

/* A forked process: end as @c says. Not dumpable, so that no signal dumps core. */
static void __attribute__((noreturn)) exit_as(const struct exit_case *c, const char *comm)
{
	prctl(PR_SET_NAME, comm);
	prctl(PR_SET_DUMPABLE, 0);
	if (c->sig) {
		signal(c->sig, SIG_DFL);
		raise(c->sig);
	}
	_exit(c->code);
}

int exits__run(const struct exit_case *cases, int nr, long n, const char *comm, long *counts,
	       pid_t *pids, long *done)
{
	int wrong = 0;

	*done = 0;
	fflush(NULL);
	for (long i = 0; i < n && !workload_stop; i++) {
		const struct exit_case *c = &cases[i % nr];
		bool ok;
		int st;
		pid_t pid = fork();

		if (pid == 0)
			exit_as(c, comm);
		if (pid < 0) {
			wrong++;
			continue;
		}
		(*done)++;
		if (pids)
			pids[i] = pid;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (c->sig)
			ok = WIFSIGNALED(st) && WTERMSIG(st) == c->sig;
		else
			ok = WIFEXITED(st) && WEXITSTATUS(st) == c->code;
		wrong += !ok;
		if (ok && counts)
			counts[i % nr]++;
	}
	return wrong;
}

const char *exit_case__name(const struct exit_case *c, char *buf, size_t len)
{
	const char *abbrev = c->sig ? sigabbrev_np(c->sig) : NULL;

	if (!c->sig)
		snprintf(buf, len, "exited with code %d", c->code);
	else if (abbrev)
		snprintf(buf, len, "killed by SIG%s", abbrev);
	else
		snprintf(buf, len, "killed by signal %d", c->sig);
	return buf;
}

struct exits_wl {
	uint64_t count;
	char codes[256];
	char signals[256];
	/* results */
	struct exit_case cases[EXITS_MAX_CASES];
	int nr;
	long counts[EXITS_MAX_CASES];
	pid_t *pids;
	long done;
	int wrong;
};

/* Signals whose default action does not end the process: raising them would not exit. */
static bool signal_ends(int sig)
{
	static const int keep[] = { SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG,
				    SIGWINCH };

	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (sig == keep[i])
			return false;
	return sig >= 1 && sig <= SIGRTMAX;
}

/* A signal by name (TERM, SIGTERM) or number; 0 if none. */
static int signal_of(const char *s)
{
	char *end;
	long v;

	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (int sig = 1; sig < SIGRTMIN; sig++)
		if (sigabbrev_np(sig) && !strcasecmp(s, sigabbrev_np(sig)))
			return sig;
	v = strtol(s, &end, 10);
	return *s && !*end && v >= 1 && v <= SIGRTMAX ? (int)v : 0;
}

/* Parse the comma-separated --codes and --signals into the cases. */
static int exits_check(void *obj, char *err, size_t len)
{
	struct exits_wl *w = obj;
	char buf[256], *tok, *save = NULL;

	w->nr = 0;
	snprintf(buf, sizeof(buf), "%s", w->codes);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long v = strtol(tok, &end, 10);

		if (*end || end == tok || v < 0 || v > 255 || *tok == '-' || *tok == '+') {
			snprintf(err, len, "--codes: bad exit code '%s': use 0..255, "
				 "comma-separated", tok);
			return -EINVAL;
		}
		if (w->nr == EXITS_MAX_CASES)
			goto too_many;
		w->cases[w->nr++] = (struct exit_case){ .code = (int)v };
	}
	snprintf(buf, sizeof(buf), "%s", w->signals);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int sig = signal_of(tok);

		if (!sig || !signal_ends(sig)) {
			snprintf(err, len, "--signals: '%s' is %s: use names (TERM, KILL, SEGV) or "
				 "numbers of signals that end a process, comma-separated", tok,
				 sig ? "a signal that does not end a process by default" :
				 "no signal");
			return -EINVAL;
		}
		if (w->nr == EXITS_MAX_CASES)
			goto too_many;
		w->cases[w->nr++] = (struct exit_case){ .sig = sig };
	}
	if (!w->nr) {
		snprintf(err, len, "--codes and --signals are both empty: nothing to end with");
		return -EINVAL;
	}
	return 0;
too_many:
	snprintf(err, len, "more than %d codes and signals", EXITS_MAX_CASES);
	return -EINVAL;
}

static int exits_run(void *obj, struct workload_ctx *ctx)
{
	struct exits_wl *w = obj;

	w->pids = calloc(w->count, sizeof(*w->pids));
	if (!w->pids) {
		snprintf(ctx->error, sizeof(ctx->error), "out of memory");
		return HLD_EXIT_FAIL;
	}
	w->wrong = exits__run(w->cases, w->nr, w->count, EXITS_COMM, w->counts, w->pids,
			      &w->done);
	snprintf(ctx->summary, sizeof(ctx->summary), "%ld processes named %s forked by pid %d "
		 "ended in %d ways, %d not as asked", w->done, EXITS_COMM, getpid(), w->nr,
		 w->wrong);
	if (w->wrong)
		snprintf(ctx->error, sizeof(ctx->error), "%d processes did not end as asked (or "
			 "could not be forked)", w->wrong);
	return w->wrong ? HLD_EXIT_FAIL : HLD_EXIT_OK;
}

static void exits_report(const void *obj, struct json_writer *j)
{
	const struct exits_wl *w = obj;
	char name[64];

	json__str(j, "task_comm", EXITS_COMM);
	json__int(j, "parent", getpid());
	json__int(j, "exits", w->done);
	json__int(j, "wrong", w->wrong);
	json__begin_array(j, "cases");
	for (int k = 0; k < w->nr; k++) {
		const struct exit_case *c = &w->cases[k];

		json__begin_object(j, NULL);
		json__str(j, "how", c->sig ? "killed" : "exited");
		if (c->sig) {
			json__int(j, "signal", c->sig);
			json__str(j, "signal_name", sigabbrev_np(c->sig));
		} else {
			json__int(j, "code", c->code);
		}
		json__str(j, "what", exit_case__name(c, name, sizeof(name)));
		json__int(j, "count", w->counts[k]);
		json__end_object(j);
	}
	json__end_array(j);
	json__begin_array(j, "pids");
	for (long i = 0; i < w->done; i++)
		json__int(j, NULL, w->pids[i]);
	json__end_array(j);
	free(w->pids);
}

static const struct opt exits_opts[] = {
	{ "N", OPT_UINT, offsetof(struct exits_wl, count), .min = 1, .max = EXITS_MAX,
	  .required = true, .help = "processes to fork; the i-th ends in case i mod (cases)" },
	{ "codes", OPT_STR, offsetof(struct exits_wl, codes), .len = 256,
	  .def = "0,1,2,42,127,255", .help = "exit codes, comma-separated (empty: none)" },
	{ "signals", OPT_STR, offsetof(struct exits_wl, signals), .len = 256,
	  .def = "KILL,TERM,SEGV,ABRT,USR1",
	  .help = "signals the processes raise on themselves, comma-separated (empty: none)" },
	OPT_END
};

const struct workload workload_exits = {
	.name = "exits",
	.comm = "hld-exits",
	.summary = "N processes ending with known exit codes and signals (exit-monitor's truth)",
	.help = "Fork N processes named hld-exit, one at a time; the cases are the --codes\n"
		"then the --signals, and the i-th process ends in case i mod (number of\n"
		"cases): _exit(code), or raise(signal) with its default action (core dumps\n"
		"off: not dumpable). Each end is checked with waitpid(). JSON: exits, wrong\n"
		"(not as asked), each case with its count, every pid in order.",
	.positional = "N",
	.opts = exits_opts,
	.size = sizeof(struct exits_wl),
	.check = exits_check,
	.run = exits_run,
	.report = exits_report,
};
