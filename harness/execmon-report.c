// SPDX-License-Identifier: GPL-2.0
/*
 * execmon-report.c - exec-monitor's records and report, shared by the
 * backends (bpf/execmon.c, harness/kmod-execmon.c): keeping the records a
 * drain delivers, and writing them to exec.txt and exec.json.
 *
 * Everything reported comes from the records (argv and parent chain are
 * read by the kernel side at exec time): nothing is read from /proc, where
 * the processes are gone by report time and where reads can hang under load.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf-util.h"
#include "execmon-report.h"
#include "hld_settings.h"
#include "json.h"

int execmon__prealloc(struct execmon_recs *r, size_t want)
{
	if (bpf_util__reserve((void **)&r->v, &r->cap, want, sizeof(*r->v)))
		return -ENOMEM;
	if (r->cap > r->n)	/* records not yet reported stay */
		memset(r->v + r->n, 0, (r->cap - r->n) * sizeof(*r->v));
	return 0;
}

void execmon__keep(struct execmon_recs *r, const void *data, size_t size)
{
	int err = 0;

	if (!bpf_util__record_ok(data, size, HLD_REC_EXEC, sizeof(struct hld_exec_record)))
		err = -EPROTO;
	else if (bpf_util__reserve((void **)&r->v, &r->cap, r->n + 1, sizeof(*r->v)))
		err = -ENOMEM;
	else
		memcpy(&r->v[r->n++], data, sizeof(*r->v));
	if (err && !r->err)
		r->err = err;
}

/*
 * The argv of @r as one line: the NULs between arguments become spaces, a
 * trailing NUL is dropped, anything unprintable becomes '?'. @buf holds
 * HLD_EXEC_ARGS + 1 bytes.
 */
static char *execmon__args_line(const struct hld_exec_record *r, char *buf)
{
	uint32_t n = r->args_len > HLD_EXEC_ARGS ? HLD_EXEC_ARGS : r->args_len;

	while (n && !r->args[n - 1])
		n--;
	for (uint32_t i = 0; i < n; i++) {
		unsigned char c = r->args[i];

		buf[i] = !c ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : c;
	}
	buf[n] = '\0';
	return buf;
}

/* A fixed-size kernel string field as a C string. */
static const char *execmon__str(char *buf, const char *field, size_t len)
{
	memcpy(buf, field, len);
	buf[len] = '\0';
	return buf;
}

static int execmon__write_txt(const struct execmon_recs *em, const struct execmon_totals *t,
			      const struct hld_exec_settings *s, const char *backend,
			      const char *path)
{
	char args[HLD_EXEC_ARGS + 1], name[HLD_EXEC_FILENAME + 1], comm[HLD_COMM_LEN + 1];
	uint64_t t0 = em->n ? em->v[0].hdr.ts : 0;
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	fprintf(o, "# exec-monitor (%s): %zu execs since the last report; since activation: "
		"%llu execs seen, %llu dropped (ring buffer full), %llu with unreadable argv\n",
		backend, em->n, (unsigned long long)t->seen, (unsigned long long)t->drops,
		(unsigned long long)t->args_err);
	fprintf(o, "# filters: comm=%s ancestor=%lld\n", s->comm[0] ? s->comm : "(any)",
		(long long)s->ancestor);
	fprintf(o, "# per exec: seconds since the first [CLOCK_MONOTONIC ns], pid tgid uid comm path;\n"
		"#   argv (first %d bytes, arguments separated by spaces, \"...\" if cut);\n"
		"#   parents: pid/tgid comm, parent first, up to %d levels\n",
		HLD_EXEC_ARGS, HLD_EXEC_ANCESTORS);
	for (size_t i = 0; i < em->n; i++) {
		const struct hld_exec_record *r = &em->v[i];

		fprintf(o, "%.6f [%llu] %u %u %u %s %s\n", (r->hdr.ts - t0) / 1e9,
			(unsigned long long)r->hdr.ts, r->pid, r->tgid, r->uid,
			execmon__str(comm, r->comm, HLD_COMM_LEN),
			execmon__str(name, r->filename, HLD_EXEC_FILENAME));
		if (r->args_err)
			fprintf(o, "  argv: (unreadable: %s)\n", strerror(-r->args_err));
		else
			fprintf(o, "  argv: %s%s\n", execmon__args_line(r, args),
				r->args_total > r->args_len ? " ..." : "");
		fprintf(o, "  parents:");
		for (uint32_t a = 0; a < r->nr_ancestors && a < HLD_EXEC_ANCESTORS; a++)
			fprintf(o, " %s%u/%u %s", a ? "< " : "", r->ancestors[a].pid,
				r->ancestors[a].tgid,
				execmon__str(comm, r->ancestors[a].comm, HLD_COMM_LEN));
		fputc('\n', o);
	}
	if (fclose(o))
		return -errno;
	return 0;
}

/* One exec as a JSON object; argv split at its NULs. */
static void execmon__json_rec(struct json_writer *j, const struct hld_exec_record *r)
{
	char args[HLD_EXEC_ARGS + 1], name[HLD_EXEC_FILENAME + 1], comm[HLD_COMM_LEN + 1];
	uint32_t n = r->args_len > HLD_EXEC_ARGS ? HLD_EXEC_ARGS : r->args_len;

	json__begin_object(j, NULL);
	json__uint(j, "t_ns", r->hdr.ts);
	json__uint(j, "pid", r->pid);
	json__uint(j, "tgid", r->tgid);
	json__uint(j, "old_pid", r->old_pid);
	json__uint(j, "uid", r->uid);
	json__str(j, "comm", execmon__str(comm, r->comm, HLD_COMM_LEN));
	json__str(j, "filename", execmon__str(name, r->filename, HLD_EXEC_FILENAME));
	json__str(j, "args", execmon__args_line(r, args));
	json__begin_array(j, "argv");
	memcpy(args, r->args, n);
	args[n] = '\0';
	for (uint32_t i = 0; i < n; i += strlen(args + i) + 1)
		json__str(j, NULL, args + i);
	json__end_array(j);
	json__bool(j, "args_truncated", r->args_total > r->args_len);
	json__int(j, "args_errno", -r->args_err);
	json__begin_array(j, "parents");
	for (uint32_t a = 0; a < r->nr_ancestors && a < HLD_EXEC_ANCESTORS; a++) {
		json__begin_object(j, NULL);
		json__uint(j, "pid", r->ancestors[a].pid);
		json__uint(j, "tgid", r->ancestors[a].tgid);
		json__str(j, "comm", execmon__str(comm, r->ancestors[a].comm, HLD_COMM_LEN));
		json__end_object(j);
	}
	json__end_array(j);
	json__end_object(j);
}

static int execmon__write_json(const struct execmon_recs *em, const struct execmon_totals *t,
			       const struct hld_exec_settings *s, const char *backend,
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
	json__int(&j, "ancestor_filter", s->ancestor);
	json__uint(&j, "execs", em->n);
	json__uint(&j, "events", em->n);
	json__uint(&j, "execs_seen", t->seen);
	json__uint(&j, "drops", t->drops);
	json__uint(&j, "args_unreadable", t->args_err);
	json__begin_array(&j, "records");
	for (size_t i = 0; i < em->n; i++)
		execmon__json_rec(&j, &em->v[i]);
	json__end_array(&j);
	json__end_object(&j);
	fputc('\n', o);
	if (fclose(o))
		return -errno;
	return 0;
}

int execmon__report_out(struct diag_feature *f, struct execmon_recs *r,
			const struct execmon_totals *t, const char *backend,
			const struct diag_outputs *out, bool files)
{
	const struct hld_exec_settings *s = f->settings;
	char path[PATH_MAX];
	int err = 0;

	f->events = r->n;
	f->drops = t->drops;
	snprintf(path, sizeof(path), "%s/exec.txt", out->dir);
	if (files)
		err = execmon__write_txt(r, t, s, backend, path);
	snprintf(path, sizeof(path), "%s/exec.json", out->dir);
	if (files && !err)
		err = execmon__write_json(r, t, s, backend, path);
	json__uint(out->json, "events", r->n);
	json__uint(out->json, "execs", r->n);
	json__uint(out->json, "drops", t->drops);
	json__uint(out->json, "execs_seen", t->seen);
	json__uint(out->json, "args_unreadable", t->args_err);
	diag_feature__set_metric(f, "execs", r->n);
	diag_feature__set_metric(f, "drops", t->drops);
	r->n = 0;
	return err;
}
