// SPDX-License-Identifier: GPL-2.0
/*
 * peer-perf.c - the perf backend: the perf feature by `perf record -g -F
 * FREQ` (system-wide, or -p TGID / -t TID, -C CPU), started with its
 * events disabled and enabled through its control fifo so that sampling
 * is on when activate() returns; at deactivation `perf script` turns
 * perf.data into stacks, folded here into the same perf.folded and
 * perf.txt as the built-in perf writes.
 *
 * perf.data lives in a private directory under /tmp for the activation
 * and is removed once folded. perf script's CPU time is not the sampled
 * phase's: it goes to f->tool_post_cpu_ns. perf record has no comm
 * filter: comm= is applied when folding (the samples are taken, then
 * skipped).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "folded.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "peer.h"
#include "perf-report.h"

#define PERF_ACK_MS	30000	/* perf record's answer to a control command */

struct perf_priv {
	struct peer_proc p;
	struct perf_ctl ctl;
	struct folded *folded;		/* since the last report */
	struct perf_script_stats st;	/* since the last report */
	uint64_t lost_total;		/* since the first activation */
	uint64_t seen_total;
};

static int perf_probe(char *why, size_t len)
{
	return peer__probe_tool("perf", "linux-perf", why, len);
}

/* Is the frame at @addr in @dso a kernel one? */
static bool kernel_frame(unsigned long long addr, const char *dso)
{
	return addr >= 0xffff800000000000ull || !strncmp(dso, "[kernel", 7);
}

/* The name of a frame: its symbol, else [its dso's file name], else [unknown]. */
static const char *frame_name(char *sym, char *dso)
{
	char *base;

	if (strcmp(sym, "[unknown]") && sym[0])
		return sym;
	if (!dso[0] || !strcmp(dso, "unknown") || dso[0] == '[')
		return "[unknown]";
	base = strrchr(dso, '/');
	base = base ? base + 1 : dso;
	snprintf(sym, 256, "[%s]", base);
	return sym;
}

/*
 * One frame line, "\t   ADDR SYM (DSO)", into @sym and @dso; false if
 * the line is not one.
 */
static bool parse_frame(char *line, unsigned long long *addr, char *sym, char *dso)
{
	char *p = line, *end, *open;
	size_t n;

	while (*p == ' ' || *p == '\t')
		p++;
	*addr = strtoull(p, &end, 16);
	if (end == p || (*end != ' ' && *end))
		return false;
	p = end;
	while (*p == ' ')
		p++;
	n = strlen(p);
	while (n && (p[n - 1] == '\n' || p[n - 1] == ' '))
		p[--n] = '\0';
	dso[0] = '\0';
	open = strrchr(p, '(');
	if (n && p[n - 1] == ')' && open) {
		snprintf(dso, 256, "%.*s", (int)(p + n - 1 - open - 1), open + 1);
		while (open > p && open[-1] == ' ')
			open--;
		*open = '\0';
	}
	snprintf(sym, 256, "%s", p);
	return true;
}

/*
 * A sample's header line, "COMM TID" or "COMM PID/TID" (COMM may hold blanks), into
 * @comm; false if the line is not one.
 */
static bool parse_header(char *line, char *comm, size_t len)
{
	char *p = line, *last;
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
	while (*p == ' ')
		p++;
	last = strrchr(p, ' ');
	if (!last || !last[1] || strspn(last + 1, "0123456789/") != strlen(last + 1))
		return false;
	while (last > p && last[-1] == ' ')
		last--;
	snprintf(comm, len, "%.*s", (int)(last - p), p);
	return true;
}

/* Frames of the sample being read: names, leaf first. */
struct script_sample {
	char comm[64];
	bool open;
	char *user[PEER_MAX_FRAMES], *kernel[PEER_MAX_FRAMES];
	int nu, nk;
};

static void sample__reset(struct script_sample *s)
{
	for (int i = 0; i < s->nu; i++)
		free(s->user[i]);
	for (int i = 0; i < s->nk; i++)
		free(s->kernel[i]);
	s->nu = s->nk = 0;
	s->open = false;
}

/* Fold the finished sample @s, unless the comm filter skips it. */
static int sample__fold(struct folded *fo, struct script_sample *s, const char *comm,
			struct perf_script_stats *st)
{
	int err = 0;

	if (!s->open)
		return 0;
	if (comm && comm[0] && strncmp(s->comm, comm, HLD_COMM_LEN - 1)) {
		st->foreign++;
	} else {
		err = peer__fold_add(fo, s->comm, (const char *const *)s->user, s->nu,
				     (const char *const *)s->kernel, s->nk, 1);
		st->samples += !err;
	}
	sample__reset(s);
	return err;
}

int peer__fold_perf_script(struct folded *fo, FILE *in, const char *comm, bool kernel,
			   bool user, struct perf_script_stats *st)
{
	struct script_sample s = { 0 };
	char *line = NULL, sym[256], dso[256];
	unsigned long long addr;
	size_t cap = 0;
	int err = 0, lines = 0;

	while (!err && getline(&line, &cap, in) > 0) {
		lines++;
		if (line[0] == '\n' || !line[0]) {
			err = sample__fold(fo, &s, comm, st);
		} else if (line[0] == '\t' || line[0] == ' ') {
			if (!s.open || !parse_frame(line, &addr, sym, dso))
				continue;
			if (kernel_frame(addr, dso)) {
				if (kernel && s.nk < PEER_MAX_FRAMES)
					s.kernel[s.nk++] = strdup(sym[0] && strcmp(sym, "[unknown]") ?
								  sym : "[kernel]");
			} else if (user && s.nu < PEER_MAX_FRAMES) {
				s.user[s.nu++] = strdup(frame_name(sym, dso));
			}
		} else {
			err = sample__fold(fo, &s, comm, st);
			if (!err && parse_header(line, s.comm, sizeof(s.comm)))
				s.open = true;
			else if (!err && lines == 1)
				err = -EPROTO;
		}
	}
	if (!err)
		err = sample__fold(fo, &s, comm, st);
	sample__reset(&s);
	free(line);
	return err;
}

/* "lost N chunks" in perf script's stderr (@path): N, else 0. */
static uint64_t lost_chunks(const char *path)
{
	char *text = peer__slurp(path, NULL), *p;
	unsigned long long n = 0;

	p = text ? strstr(text, " and lost ") : NULL;
	if (p)
		sscanf(p, " and lost %llu", &n);
	free(text);
	return n;
}

static int perf_activate(struct diag_feature *f)
{
	const struct hld_perf_settings *s = f->settings;
	struct perf_priv *pp = f->priv;
	char why[512], freq[24], target[24], cpu[24], data[96];
	const char *argv[20];
	int n = 0, err;

	if (!pp) {
		pp = calloc(1, sizeof(*pp));
		if (!pp || !(pp->folded = folded__new())) {
			free(pp);
			return -ENOMEM;
		}
		f->priv = pp;
	}
	err = peer__mkdir(&pp->p);
	if (!err)
		err = peer__perf_ctl_open(&pp->ctl, pp->p.dir);
	if (err)
		goto fail;
	snprintf(freq, sizeof(freq), "-F%llu", (unsigned long long)s->freq);
	argv[n++] = "perf";
	argv[n++] = "record";
	argv[n++] = "-g";
	argv[n++] = freq;
	argv[n++] = "-o";
	argv[n++] = peer__path(&pp->p, "perf.data", data, sizeof(data));
	if (!s->kernel && s->user)
		argv[n++] = "--all-user";
	else if (s->kernel && !s->user)
		argv[n++] = "--all-kernel";
	if (s->pid >= 0 || s->tgid >= 0) {
		snprintf(target, sizeof(target), "%lld", (long long)(s->pid >= 0 ? s->pid : s->tgid));
		argv[n++] = s->pid >= 0 ? "-t" : "-p";
		argv[n++] = target;
	} else {
		argv[n++] = "-a";
	}
	if (s->cpu >= 0) {
		snprintf(cpu, sizeof(cpu), "%lld", (long long)s->cpu);
		argv[n++] = "-C";
		argv[n++] = cpu;
	}
	argv[n++] = "-D";
	argv[n++] = "-1";
	argv[n++] = pp->ctl.arg;
	argv[n] = NULL;
	err = peer__start(&pp->p, argv, NULL, 0, why, sizeof(why));
	if (!err)
		err = peer__perf_ctl_cmd(&pp->ctl, "enable", PERF_ACK_MS);
	if (err) {
		char line[256];

		peer__first_line(pp->p.err, NULL, line, sizeof(line));
		fprintf(stderr, "hldbench: perf record: %s\n", line[0] ? line : strerror(-err));
		goto fail;
	}
	return 0;
fail:
	peer__perf_ctl_close(&pp->ctl);
	peer__cleanup(&pp->p);
	return err;
}

/* Stop perf record, and fold what `perf script` makes of perf.data. */
static int perf_deactivate(struct diag_feature *f)
{
	const struct hld_perf_settings *s = f->settings;
	struct perf_priv *pp = f->priv;
	char data[96], out[96], errp[96];
	const char *argv[] = { "perf", "script", "-i", data, "-F", "comm,tid,ip,sym,dso", NULL };
	struct child_process cp = { .argv = argv, .out_path = out, .err_path = errp };
	FILE *in;
	int err;

	if (!pp || !pp->p.dir[0])
		return 0;
	peer__stop(&pp->p, SIGINT, 10000, &f->tool_cpu_ns, &f->tool_startup_cpu_ns);
	peer__perf_ctl_close(&pp->ctl);
	peer__path(&pp->p, "perf.data", data, sizeof(data));
	peer__path(&pp->p, "script.txt", out, sizeof(out));
	peer__path(&pp->p, "script.err", errp, sizeof(errp));
	err = child__start(&cp);
	if (!err)
		err = child__wait(&cp);
	f->tool_post_cpu_ns += cp.cpu_ns;
	if (!err && (!WIFEXITED(cp.status) || WEXITSTATUS(cp.status))) {
		char line[256];

		peer__first_line(errp, NULL, line, sizeof(line));
		fprintf(stderr, "hldbench: perf script: %s\n", line);
		err = -EIO;
	}
	in = err ? NULL : fopen(out, "re");
	if (!err && !in)
		err = -errno;
	if (in) {
		err = peer__fold_perf_script(pp->folded, in, s->comm, s->kernel, s->user, &pp->st);
		fclose(in);
		pp->st.lost += lost_chunks(errp);
	}
	peer__cleanup(&pp->p);
	return err;
}

static int perf_report(struct diag_feature *f, const struct diag_outputs *out)
{
	const struct hld_perf_settings *s = f->settings;
	struct perf_priv *pp = f->priv;
	struct folded *empty = pp ? NULL : folded__new();
	struct perf_script_stats st = pp ? pp->st : (struct perf_script_stats){ 0 };
	struct perf_summary sum = {
		.samples = st.samples, .freq = s->freq, .nr_cpus = peer__nr_cpus(),
	};
	struct perf_loss l = { 0 };
	int err;

	if (!pp && !empty)
		return -ENOMEM;
	if (pp) {
		pp->lost_total += st.lost;
		pp->seen_total += st.samples + st.foreign;
		l.seen = pp->seen_total;
		l.drops = l.missed = pp->lost_total;
	}
	err = perf_report__out(f, out, pp ? pp->folded : empty, &sum, &l);
	json__str(out->json, "tool", "perf record -g");
	json__uint(out->json, "lost_chunks", st.lost);
	json__uint(out->json, "skipped_by_comm_filter", st.foreign);
	folded__free(empty);
	if (pp) {
		folded__free(pp->folded);
		pp->folded = folded__new();
		memset(&pp->st, 0, sizeof(pp->st));
		if (!pp->folded && !err)
			err = -ENOMEM;
	}
	return err;
}

static void perf_free(struct diag_feature *f)
{
	struct perf_priv *pp = f->priv;

	if (!pp)
		return;
	peer__perf_ctl_close(&pp->ctl);
	peer__cleanup(&pp->p);
	folded__free(pp->folded);
	free(pp);
	f->priv = NULL;
}

static const struct diag_ops perf_perf_ops = {
	.id = DIAG_perf,
	.probe = perf_probe,
	.activate = perf_activate,
	.deactivate = perf_deactivate,
	.report = perf_report,
	.free = perf_free,
};

static const struct diag_ops *const perf_features[] = {
	&perf_perf_ops,
	NULL,
};

const struct diag_backend diag_backend_perf = {
	.name = "perf",
	.peer = true,
	.probe = perf_probe,
	.features = perf_features,
};
