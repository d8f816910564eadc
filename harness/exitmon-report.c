// SPDX-License-Identifier: GPL-2.0
/*
 * exitmon-report.c - exit-monitor's records and report, shared by the
 * backends (bpf/exitmon.c, harness/kmod-exitmon.c): keeping the samples
 * (struct exitmon_event) a drain delivers, and writing them to exit.txt and
 * exit.json.
 *
 * Everything reported comes from the records: the kernel side itself names
 * the file and file offset of each user frame (ustack-files.bpf.h). Nothing
 * is read from /proc, where an exited process has nothing left and where
 * reads can block for long under load.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf-util.h"
#include "exitmon-report.h"
#include "hld_settings.h"
#include "json.h"
#include "syms.h"

int exitmon__prealloc(struct exitmon_recs *xm, size_t want)
{
	if (bpf_util__reserve((void **)&xm->v, &xm->cap, want, sizeof(*xm->v)))
		return -ENOMEM;
	if (xm->cap > xm->n)	/* records not yet reported stay */
		memset(xm->v + xm->n, 0, (xm->cap - xm->n) * sizeof(*xm->v));
	return 0;
}

/* How the kernel's exit_code reads: an exit status, or a signal. */
struct xm_status {
	bool killed;
	int code;		/* exit status (0..255) or signal number */
	bool core;
};

static struct xm_status exitmon__decode(uint32_t exit_code)
{
	struct xm_status st;

	st.killed = (exit_code & 0x7f) != 0;
	st.code = st.killed ? (int)(exit_code & 0x7f) : (int)((exit_code >> 8) & 0xff);
	st.core = st.killed && (exit_code & 0x80);
	return st;
}

void exitmon__keep(struct exitmon_recs *xm, const void *data, size_t size)
{
	struct exitmon_event *x;
	int err = 0;

	if (!bpf_util__record_ok(data, size, HLD_REC_EXIT, sizeof(struct exitmon_event))) {
		err = -EPROTO;
	} else if (bpf_util__reserve((void **)&xm->v, &xm->cap, xm->n + 1,
				     sizeof(*xm->v))) {
		err = -ENOMEM;
	} else {
		x = &xm->v[xm->n++];
		memcpy(x, data, sizeof(*x));
		if (x->rec.nr_ustack > HLD_MAX_STACK)
			x->rec.nr_ustack = HLD_MAX_STACK;
		if (x->uf.nr_files > USTACK_FILES)
			x->uf.nr_files = USTACK_FILES;
		for (uint32_t i = 0; i < x->uf.nr_files; i++)
			x->uf.files[i][USTACK_FILE_NAME - 1] = '\0';
	}
	if (err && !xm->err)
		xm->err = err;
}

/* "exited with code 3", "killed by SIGKILL (core dumped)". */
static const char *exitmon__describe(uint32_t exit_code, char *buf, size_t len)
{
	struct xm_status st = exitmon__decode(exit_code);
	const char *sig;

	if (!st.killed) {
		snprintf(buf, len, "exited with code %d", st.code);
		return buf;
	}
	sig = sigabbrev_np(st.code);
	if (sig)
		snprintf(buf, len, "killed by SIG%s%s", sig, st.core ? " (core dumped)" : "");
	else
		snprintf(buf, len, "killed by signal %d%s", st.code, st.core ? " (core dumped)" : "");
	return buf;
}

/* The file frame @i of @x lies in: a base name, "vdso", or NULL (anonymous or not found). */
static const char *exitmon__file(const struct exitmon_event *x, uint32_t i)
{
	const struct ustack_files *uf = &x->uf;
	uint8_t idx = i < HLD_MAX_STACK ? uf->idx[i] : USTACK_NO_FILE;

	if (i >= uf->nr_frames)
		return NULL;
	if (idx == USTACK_VDSO)
		return "vdso";
	if (idx < uf->nr_files && uf->files[idx][0])
		return uf->files[idx];
	return NULL;
}

/*
 * Frame @i of @x by function (its file as the kernel side found it at exit,
 * opened by the path kept in xm->paths_fd now), else "[file+0xoffset]", or "[unknown]" where no
 * file is known.
 */
static const char *exitmon__frame(const struct exitmon_recs *xm, const struct exitmon_event *x,
				  uint32_t i, char *buf, size_t len)
{
	const char *name = ustack_files__symbol(&x->uf, i, xm->paths_fd, xm->usyms, buf, len);

	return name ? name : "[unknown]";
}

static const char *exitmon__comm(char *buf, const char *comm)
{
	memcpy(buf, comm, HLD_COMM_LEN);
	buf[HLD_COMM_LEN] = '\0';
	return buf;
}

static int exitmon__write_txt(const struct exitmon_recs *xm, const struct exitmon_totals *t,
			      const struct hld_exit_settings *s, const char *backend,
			      const char *path)
{
	uint64_t t0 = xm->n ? xm->v[0].rec.hdr.ts : 0;
	char desc[64], name[128], comm[HLD_COMM_LEN + 1];
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	fprintf(o, "# exit-monitor (%s): %zu exits since the last report; since activation: "
		"%llu exits seen, %llu dropped (ring buffer full), %llu without a user stack, "
		"%llu frames with no mapping found\n", backend, xm->n, (unsigned long long)t->seen,
		(unsigned long long)t->drops, (unsigned long long)t->no_ustack,
		(unsigned long long)t->vma_err);
	fprintf(o, "# filters: comm=%s tgid=%lld, %s, user stacks %s\n",
		s->comm[0] ? s->comm : "(any)", (long long)s->tgid,
		s->all_threads ? "all threads" : "thread-group leaders only",
		s->user_stacks ? "on" : "off");
	fprintf(o, "# per exit: seconds since the first [CLOCK_MONOTONIC ns], pid tgid ppid comm, "
		"how it ended, then its user stack innermost first: address, then the function, "
		"read from the file the kernel side found mapped there at exit, or [file+offset] when "
		"the file has no symbol there, is gone or is another file now\n");
	for (size_t i = 0; i < xm->n; i++) {
		const struct exitmon_event *x = &xm->v[i];
		const struct hld_exit_record *r = &x->rec;

		fprintf(o, "%.6f [%llu] %u %u %u %s %s%s\n", (r->hdr.ts - t0) / 1e9,
			(unsigned long long)r->hdr.ts, r->pid, r->tgid, r->ppid,
			exitmon__comm(comm, r->comm), exitmon__describe(r->exit_code, desc, sizeof(desc)),
			r->group_dead ? " (last thread)" : "");
		if (s->user_stacks && !r->nr_ustack)
			fprintf(o, "    (no user stack: %s)\n", strerror(-r->ustack_err));
		for (uint32_t k = 0; k < r->nr_ustack; k++)
			fprintf(o, "    0x%llx %s\n", (unsigned long long)r->ustack[k],
				exitmon__frame(xm, x, k, name, sizeof(name)));
	}
	if (fclose(o))
		return -errno;
	return 0;
}

/* One exit as a JSON object. */
static void exitmon__json_exit(struct json_writer *j, const struct exitmon_recs *xm,
			       const struct exitmon_event *x)
{
	const struct hld_exit_record *r = &x->rec;
	struct xm_status st = exitmon__decode(r->exit_code);
	char desc[64], name[128], addr[32], comm[HLD_COMM_LEN + 1];

	json__begin_object(j, NULL);
	json__uint(j, "t_ns", r->hdr.ts);
	json__uint(j, "pid", r->pid);
	json__uint(j, "tgid", r->tgid);
	json__uint(j, "ppid", r->ppid);
	json__str(j, "comm", exitmon__comm(comm, r->comm));
	json__uint(j, "exit_code_raw", r->exit_code);
	json__str(j, "how", st.killed ? "killed" : "exited");
	if (st.killed) {
		json__null(j, "code");
		json__int(j, "signal", st.code);
	} else {
		json__int(j, "code", st.code);
		json__null(j, "signal");
	}
	json__bool(j, "core_dumped", st.core);
	json__str(j, "description", exitmon__describe(r->exit_code, desc, sizeof(desc)));
	json__bool(j, "group_dead", r->group_dead);
	json__int(j, "ustack_errno", -r->ustack_err);
	json__int(j, "vma_errno", -x->uf.vma_err);
	json__begin_array(j, "ustack");
	for (uint32_t k = 0; k < r->nr_ustack; k++) {
		const char *file = exitmon__file(x, k);

		json__begin_object(j, NULL);
		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)r->ustack[k]);
		json__str(j, "addr", addr);
		json__str(j, "file", file);
		if (file)
			json__uint(j, "offset", x->uf.off[k]);
		else
			json__null(j, "offset");
		json__str(j, "sym", exitmon__frame(xm, x, k, name, sizeof(name)));
		json__end_object(j);
	}
	json__end_array(j);
	json__end_object(j);
}

static int exitmon__write_json(const struct exitmon_recs *xm, const struct exitmon_totals *t,
			       const struct hld_exit_settings *s, const char *backend,
			       const char *path)
{
	struct json_writer j;
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	json__init(&j, o, true);
	json__begin_object(&j, NULL);
	json__str(&j, "backend", backend);
	json__str(&j, "comm_filter", s->comm);
	json__int(&j, "tgid_filter", s->tgid);
	json__bool(&j, "all_threads", s->all_threads);
	json__bool(&j, "user_stacks", s->user_stacks);
	json__uint(&j, "exits", xm->n);
	json__uint(&j, "events", xm->n);
	json__uint(&j, "exits_seen", t->seen);
	json__uint(&j, "drops", t->drops);
	json__uint(&j, "no_user_stack", t->no_ustack);
	json__uint(&j, "frames_unmapped", t->vma_err);
	json__begin_array(&j, "records");
	for (size_t i = 0; i < xm->n; i++)
		exitmon__json_exit(&j, xm, &xm->v[i]);
	json__end_array(&j);
	json__end_object(&j);
	fputc('\n', o);
	if (fclose(o))
		return -errno;
	return 0;
}

int exitmon__report_out(struct diag_feature *f, struct exitmon_recs *xm,
			const struct exitmon_totals *t, const char *backend,
			const struct diag_outputs *out, bool files)
{
	const struct hld_exit_settings *s = f->settings;
	char path[PATH_MAX];
	int err = 0;

	if (!xm->usyms && xm->n)
		xm->usyms = usyms__new();	/* NULL: frames stay "[file+0xoff]" */
	f->events = xm->n;
	f->drops = t->drops;
	snprintf(path, sizeof(path), "%s/exit.txt", out->dir);
	if (files)
		err = exitmon__write_txt(xm, t, s, backend, path);
	snprintf(path, sizeof(path), "%s/exit.json", out->dir);
	if (files && !err)
		err = exitmon__write_json(xm, t, s, backend, path);
	json__uint(out->json, "events", xm->n);
	json__uint(out->json, "exits", xm->n);
	json__uint(out->json, "drops", t->drops);
	json__uint(out->json, "exits_seen", t->seen);
	json__uint(out->json, "no_user_stack", t->no_ustack);
	json__uint(out->json, "frames_unmapped", t->vma_err);
	diag_feature__set_metric(f, "exits", xm->n);
	diag_feature__set_metric(f, "drops", t->drops);
	diag_feature__set_metric(f, "no_user_stack", t->no_ustack);
	xm->n = 0;
	return err;
}

void exitmon__recs_free(struct exitmon_recs *xm)
{
	usyms__free(xm->usyms);
	xm->usyms = NULL;
	free(xm->v);
	xm->v = NULL;
	xm->n = xm->cap = 0;
}
