// SPDX-License-Identifier: GPL-2.0
/*
 * peer-strace.c - the strace backend: sys-cost by `strace -c -w -f -p TGID`
 * (or `-c -w -p TID` for a thread), the summary table it prints when it
 * detaches parsed into syscost.txt and syscost.json.
 *
 * strace follows processes through ptrace: it cannot trace the whole
 * system, so a tgid (or pid) is required; it has no per-CPU view, no
 * maximum duration, and with -f it sums the target and the children it
 * forks into one table, reported as the target's. It counts a syscall when
 * it returns: exit and exit_group, which never return, are not counted.
 * -w makes its time the wall-clock time from entry to exit, as sys-cost's.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf-util.h"
#include "hld_settings.h"
#include "peer.h"
#include "syscost-report.h"

#define STRACE_ATTACH_MS 10000

struct strace_priv {
	struct peer_proc p;
	struct sc_data d;		/* since the last report */
	char comm[HLD_COMM_LEN];	/* the target's, when activated */
	uint32_t tgid;
	char argv_pid[24];
};

static int strace_probe(char *why, size_t len)
{
	return peer__probe_tool("strace", "strace", why, len);
}

/* Available where strace is installed, with what it cannot do said. */
static int strace_feature_probe(char *why, size_t len)
{
	int err = strace_probe(why, len);

	if (!err)
		snprintf(why, len, "follows processes (ptrace) only: needs tgid= or pid=, "
			 "cannot trace the whole system; no per-CPU view");
	return err;
}

/* strace traces processes, one target: tgid or pid, no comm filter. */
static int strace_check(const void *settings, char *why, size_t len)
{
	const struct hld_syscost_settings *s = settings;

	if (s->tgid < 0 && s->pid < 0) {
		snprintf(why, len, "tgid: strace follows processes (ptrace), it cannot trace the "
			 "whole system: set tgid=PID (or pid=TID)");
		return -EINVAL;
	}
	if (s->comm[0]) {
		snprintf(why, len, "comm: strace cannot filter by comm: set tgid=PID instead");
		return -EINVAL;
	}
	return 0;
}

int peer__strace_summary(struct sc_data *d, char *text, uint32_t tgid)
{
	char *line, *save = NULL;
	int dashes = 0, rows = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tok[8], *ts = NULL;
		struct syscost_val v = { 0 };
		double seconds;
		int n = 0, nr;

		if (!strncmp(line, "------", 6)) {
			dashes++;
			continue;
		}
		if (dashes != 1)
			continue;
		for (char *t = strtok_r(line, " \t", &ts); t && n < 8; t = strtok_r(NULL, " \t", &ts))
			tok[n++] = t;
		/* % time, seconds, usecs/call, calls, [errors,] syscall */
		if (n < 5 || n > 6)
			return -EPROTO;
		seconds = strtod(tok[1], NULL);
		v.count = strtoull(tok[3], NULL, 10);
		v.total_ns = (uint64_t)(seconds * 1e9 + 0.5);
		nr = syscost__nr(tok[n - 1]);
		if (nr < 0)
			nr = SYSCOST_OTHER;	/* a name this table lacks */
		if (syscost__add_pair(d, tgid, nr, &v))
			return -ENOMEM;
		rows++;
	}
	return dashes >= 1 || rows ? 0 : -EPROTO;
}

static int strace_activate(struct diag_feature *f)
{
	const struct hld_syscost_settings *s = f->settings;
	struct strace_priv *sp = f->priv;
	const char *argv[10];
	char why[512], path[64];
	int n = 0, err;

	err = strace_check(s, why, sizeof(why));
	if (err)
		return err;
	if (!sp) {
		sp = calloc(1, sizeof(*sp));
		if (!sp)
			return -ENOMEM;
		err = syscost__data_init(&sp->d, peer__nr_cpus());
		if (err) {
			free(sp);
			return err;
		}
		f->priv = sp;
	}
	err = peer__mkdir(&sp->p);
	if (err)
		return err;
	sp->tgid = s->tgid >= 0 ? s->tgid : s->pid;
	snprintf(sp->argv_pid, sizeof(sp->argv_pid), "%lld",
		 (long long)(s->pid >= 0 ? s->pid : s->tgid));
	argv[n++] = "strace";
	argv[n++] = "-c";
	argv[n++] = "-w";
	if (s->pid < 0)
		argv[n++] = "-f";
	argv[n++] = "-o";
	argv[n++] = sp->p.out;
	argv[n++] = "-p";
	argv[n++] = sp->argv_pid;
	argv[n] = NULL;
	err = peer__start(&sp->p, argv, "attached", STRACE_ATTACH_MS, why, sizeof(why));
	/* strace does not say whom it traced: the harness names the target once attached */
	snprintf(path, sizeof(path), "/proc/%s/comm", sp->argv_pid);
	if (!err)
		peer__first_line(path, NULL, sp->comm, sizeof(sp->comm));
	if (err) {
		fprintf(stderr, "hldbench: strace: %s\n", why);
		peer__cleanup(&sp->p);
	}
	return err;
}

/* Detach (strace prints its table then), and add the table to what is kept. */
static int strace_deactivate(struct diag_feature *f)
{
	struct strace_priv *sp = f->priv;
	char *text;
	int err;

	if (!sp || !sp->p.dir[0])
		return 0;
	peer__stop(&sp->p, SIGINT, 5000, &f->tool_cpu_ns, &f->tool_startup_cpu_ns);
	text = peer__slurp(sp->p.out, NULL);
	err = text ? peer__strace_summary(&sp->d, text, sp->tgid) : -errno;
	free(text);
	peer__cleanup(&sp->p);
	return err;
}

static int strace_comm(void *ctx, uint32_t tgid, char *comm)
{
	const struct strace_priv *sp = ctx;

	snprintf(comm, HLD_COMM_LEN, "%s", sp->comm[0] ? sp->comm : "?");
	return 0;
}

static int strace_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct strace_priv *sp = f->priv;
	struct sc_data empty;
	int err;

	if (!sp) {
		err = syscost__data_init(&empty, peer__nr_cpus());
		if (!err)
			err = syscost__report_out(f, &empty, "strace", out, true);
		syscost__data_free(&empty);
		return err;
	}
	err = syscost__build(&sp->d, strace_comm, sp);
	if (!err)
		err = syscost__report_out(f, &sp->d, "strace", out, true);
	json__str(out->json, "tool", "strace -c -w -f -p");
	syscost__data_free(&sp->d);
	return err ? err : syscost__data_init(&sp->d, peer__nr_cpus());
}

static void strace_free(struct diag_feature *f)
{
	struct strace_priv *sp = f->priv;

	if (!sp)
		return;
	peer__cleanup(&sp->p);
	syscost__data_free(&sp->d);
	free(sp);
	f->priv = NULL;
}

static const struct diag_ops strace_sys_cost_ops = {
	.id = DIAG_sys_cost,
	.probe = strace_feature_probe,
	.check = strace_check,
	.activate = strace_activate,
	.deactivate = strace_deactivate,
	.report = strace_report,
	.free = strace_free,
};

static const struct diag_ops *const strace_features[] = {
	&strace_sys_cost_ops,
	NULL,
};

const struct diag_backend diag_backend_strace = {
	.name = "strace",
	.peer = true,
	.probe = strace_probe,
	.features = strace_features,
};
