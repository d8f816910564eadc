// SPDX-License-Identifier: GPL-2.0
/*
 * execmon.c - exec-monitor, user side: attaches execmon.bpf.c to
 * sched_process_exec, drains its ring buffer every poll, and writes
 * exec.txt and exec.json with the execs since the last report.
 *
 * Everything reported comes from the records (argv and parent chain are
 * read by the program at exec time): nothing is read from /proc, where the
 * processes are gone by report time and where reads can hang under load.
 * A persistent activation pins the ring buffer; a later process reopens it
 * and drains it in report().
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "diag.h"
#include "execmon.skel.h"
#include "hld_record.h"
#include "hld_settings.h"

/* Records preallocated at most: one ring buffer's worth, up to this. */
#define EM_PREALLOC	4096

struct execmon {
	struct execmon_bpf *skel;
	struct bpf_link *link;
	struct ring_buffer *rb;
	int rec_err;			/* first error in the record callback */
	struct hld_exec_record *recs;	/* records received since the last report */
	size_t nr_recs, cap_recs;
	uint64_t execs, drops, args_err;	/* BPF counters of phases ended (unpinned runs) */
};

/* ring_buffer callback: keep one hld_exec_record. */
static int execmon__on_record(void *ctx, void *data, size_t size)
{
	struct execmon *em = ctx;
	int err = 0;

	if (!bpf_util__record_ok(data, size, HLD_REC_EXEC, sizeof(struct hld_exec_record)))
		err = -EPROTO;
	else if (bpf_util__reserve((void **)&em->recs, &em->cap_recs, em->nr_recs + 1,
				   sizeof(*em->recs)))
		err = -ENOMEM;
	else
		memcpy(&em->recs[em->nr_recs++], data, sizeof(*em->recs));
	if (err && !em->rec_err)
		em->rec_err = err;
	return 0;
}

static int execmon_probe(char *why, size_t len)
{
	struct execmon_bpf *skel;
	int err;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	skel = execmon_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "cannot load the tp_btf/sched_process_exec program: %s",
			 strerror(-err));
		return err;
	}
	execmon_bpf__destroy(skel);
	return 0;
}

/*
 * Room for as many records as the ring buffer holds (at most EM_PREALLOC),
 * touched, so that the drains of the diagnosis thread neither allocate nor
 * fault pages in while the machine is loaded.
 */
static int execmon__prealloc(struct execmon *em, uint32_t ringbuf)
{
	size_t want = ringbuf / (sizeof(*em->recs) + 8);

	if (want > EM_PREALLOC)
		want = EM_PREALLOC;
	if (bpf_util__reserve((void **)&em->recs, &em->cap_recs, want, sizeof(*em->recs)))
		return -ENOMEM;
	if (em->cap_recs > em->nr_recs)	/* records not yet reported stay */
		memset(em->recs + em->nr_recs, 0, (em->cap_recs - em->nr_recs) * sizeof(*em->recs));
	return 0;
}

/* Release the skeleton, its link and the ring buffer reader (a pinned link stays attached). */
static void execmon__unload(struct execmon *em)
{
	ring_buffer__free(em->rb);
	em->rb = NULL;
	bpf_link__destroy(em->link);
	em->link = NULL;
	execmon_bpf__destroy(em->skel);
	em->skel = NULL;
}

/*
 * Open and load the programs with the settings of @f. With f->pin_dir the
 * maps live there: created and pinned by the first load (activation), or
 * the pinned ones reused (a reopen, which also takes the ring buffer size
 * from the settings, as map reuse requires the same size). Then a ring
 * buffer reader on the events map, and room for its records.
 */
static int execmon__load(struct diag_feature *f, struct execmon *em)
{
	const struct hld_exec_settings *s = f->settings;
	uint32_t rb_size;
	int err;

	em->skel = execmon_bpf__open();
	if (!em->skel)
		return -errno;
	memcpy((char *)em->skel->rodata->targ_comm, s->comm, HLD_COMM_LEN);
	((char *)em->skel->rodata->targ_comm)[HLD_COMM_LEN - 1] = '\0';
	em->skel->rodata->targ_ancestor = s->ancestor;
	rb_size = bpf_util__ringbuf_size(s->ringbuf_size, getpagesize());
	err = bpf_map__set_max_entries(em->skel->maps.events, rb_size);
	if (!err)
		err = execmon__prealloc(em, rb_size);
	if (!err && f->pin_dir)
		err = bpf_util__pin_maps(em->skel->obj, f->pin_dir);
	if (!err)
		err = execmon_bpf__load(em->skel);
	if (!err) {
		em->rb = ring_buffer__new(bpf_map__fd(em->skel->maps.events), execmon__on_record,
					  em, NULL);
		if (!em->rb)
			err = -errno;
	}
	if (err) {
		execmon__unload(em);
		return err < 0 ? err : -EINVAL;
	}
	return 0;
}

/* The adapter state of @f, allocated on first use. */
static struct execmon *execmon__get(struct diag_feature *f)
{
	if (!f->priv)
		f->priv = calloc(1, sizeof(struct execmon));
	return f->priv;
}

/*
 * Load and attach. With f->pin_dir (`hldbench diag exec-monitor
 * --activate`) the maps and the link are pinned there, so the program keeps
 * recording into the pinned ring buffer after this process exits.
 */
static int execmon_activate(struct diag_feature *f)
{
	struct execmon *em = execmon__get(f);
	int err;

	if (!em)
		return -ENOMEM;
	f->kernel_cost_in_thread = false;
	err = execmon__load(f, em);
	if (err)
		return err;
	em->link = bpf_program__attach(em->skel->progs.execmon_exec);
	if (!em->link) {
		err = -errno;
		goto out_unload;
	}
	if (f->pin_dir) {
		err = bpf_util__pin_link(em->link, f->pin_dir, "link_exec");
		if (err)
			goto out_unload;
	}
	return 0;

out_unload:
	execmon__unload(em);
	return err;
}

/*
 * Open a persistent activation in this process: the programs loaded on the
 * pinned maps, nothing attached; report() drains the pinned ring buffer.
 */
static int execmon_reopen(struct diag_feature *f)
{
	struct execmon *em = execmon__get(f);

	return em ? execmon__load(f, em) : -ENOMEM;
}

/* Drops since activation: ended phases plus the live program's counter. */
static uint64_t execmon__drops(const struct execmon *em)
{
	return em->drops + (em->skel ? em->skel->bss->nr_drops : 0);
}

/* Drain the ring buffer into the records of the next report. */
static int execmon_poll(struct diag_feature *f)
{
	struct execmon *em = f->priv;
	int err;

	if (!em || !em->rb)
		return 0;
	err = ring_buffer__consume(em->rb);
	if (err < 0)
		return err;
	f->events = em->nr_recs;
	f->drops = execmon__drops(em);
	return em->rec_err;
}

/* Detach, take the last records and the counters, and unload; the records stay for report(). */
static int execmon_deactivate(struct diag_feature *f)
{
	struct execmon *em = f->priv;
	int err;

	if (!em || !em->skel)
		return 0;
	bpf_link__destroy(em->link);
	em->link = NULL;
	err = execmon_poll(f);
	bpf_util__prog_stats(bpf_program__fd(em->skel->progs.execmon_exec),
			     &f->kernel_run_ns, &f->kernel_run_cnt);
	em->execs += em->skel->bss->nr_execs;
	em->drops += em->skel->bss->nr_drops;
	em->args_err += em->skel->bss->nr_args_err;
	f->drops = em->drops;
	execmon__unload(em);
	return err;
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

/* Counters since activation, for the report. */
struct execmon_totals {
	uint64_t seen;		/* execs that passed the filters */
	uint64_t drops;		/* records lost to a full ring buffer */
	uint64_t args_err;	/* records whose argv could not be read */
};

static struct execmon_totals execmon__totals(const struct execmon *em)
{
	struct execmon_totals t = { em->execs, em->drops, em->args_err };

	if (em->skel) {
		t.seen += em->skel->bss->nr_execs;
		t.drops += em->skel->bss->nr_drops;
		t.args_err += em->skel->bss->nr_args_err;
	}
	return t;
}

static int execmon__write_txt(const struct execmon *em, const struct execmon_totals *t,
			      const struct hld_exec_settings *s, const char *path)
{
	char args[HLD_EXEC_ARGS + 1], name[HLD_EXEC_FILENAME + 1], comm[HLD_COMM_LEN + 1];
	uint64_t t0 = em->nr_recs ? em->recs[0].hdr.ts : 0;
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	fprintf(o, "# exec-monitor (bpf): %zu execs since the last report; since activation: "
		"%llu execs seen, %llu dropped (ring buffer full), %llu with unreadable argv\n",
		em->nr_recs, (unsigned long long)t->seen, (unsigned long long)t->drops,
		(unsigned long long)t->args_err);
	fprintf(o, "# filters: comm=%s ancestor=%lld\n", s->comm[0] ? s->comm : "(any)",
		(long long)s->ancestor);
	fprintf(o, "# per exec: seconds since the first [CLOCK_MONOTONIC ns], pid tgid uid comm path;\n"
		"#   argv (first %d bytes, arguments separated by spaces, \"...\" if cut);\n"
		"#   parents: pid/tgid comm, parent first, up to %d levels\n",
		HLD_EXEC_ARGS, HLD_EXEC_ANCESTORS);
	for (size_t i = 0; i < em->nr_recs; i++) {
		const struct hld_exec_record *r = &em->recs[i];

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

static int execmon__write_json(const struct execmon *em, const struct execmon_totals *t,
			       const struct hld_exec_settings *s, const char *path)
{
	struct json_writer j;
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	json__init(&j, o, true);
	json__begin_object(&j, NULL);
	json__str(&j, "backend", "bpf");
	json__str(&j, "comm_filter", s->comm);
	json__int(&j, "ancestor_filter", s->ancestor);
	json__uint(&j, "execs", em->nr_recs);
	json__uint(&j, "events", em->nr_recs);
	json__uint(&j, "execs_seen", t->seen);
	json__uint(&j, "drops", t->drops);
	json__uint(&j, "args_unreadable", t->args_err);
	json__begin_array(&j, "records");
	for (size_t i = 0; i < em->nr_recs; i++)
		execmon__json_rec(&j, &em->recs[i]);
	json__end_array(&j);
	json__end_object(&j);
	fputc('\n', o);
	if (fclose(o))
		return -errno;
	return 0;
}

/*
 * Write exec.txt and exec.json with the records since the last report:
 * whatever the ring buffer still holds is drained first (in a process that
 * reopened a persistent activation, that is all of them), and the records
 * reported are then forgotten. Drops count since activation.
 */
static int execmon_report(struct diag_feature *f, const struct diag_outputs *out)
{
	const struct hld_exec_settings *s = f->settings;
	struct execmon empty = { 0 }, *em = f->priv ? f->priv : &empty;
	struct execmon_totals t;
	char path[PATH_MAX];
	int err = 0;

	if (em->rb)
		err = ring_buffer__consume(em->rb);
	if (err >= 0)
		err = em->rec_err;
	t = execmon__totals(em);
	f->events = em->nr_recs;
	f->drops = t.drops;
	snprintf(path, sizeof(path), "%s/exec.txt", out->dir);
	if (!err)
		err = execmon__write_txt(em, &t, s, path);
	snprintf(path, sizeof(path), "%s/exec.json", out->dir);
	if (!err)
		err = execmon__write_json(em, &t, s, path);
	json__uint(out->json, "events", em->nr_recs);
	json__uint(out->json, "execs", em->nr_recs);
	json__uint(out->json, "drops", t.drops);
	json__uint(out->json, "execs_seen", t.seen);
	json__uint(out->json, "args_unreadable", t.args_err);
	json__double(out->json, "bpf_run_ns_per_exec", f->kernel_run_cnt ?
		     (double)f->kernel_run_ns / f->kernel_run_cnt : NAN);
	diag_feature__set_metric(f, "execs", em->nr_recs);
	diag_feature__set_metric(f, "drops", t.drops);
	em->nr_recs = 0;
	return err;
}

/* Release everything; a pinned activation's link and maps stay in bpffs. */
static void execmon_free(struct diag_feature *f)
{
	struct execmon *em = f->priv;

	if (!em)
		return;
	execmon__unload(em);
	free(em->recs);
	free(em);
	f->priv = NULL;
}

const struct diag_ops bpf_exec_monitor_ops = {
	.id = DIAG_exec_monitor,
	.probe = execmon_probe,
	.activate = execmon_activate,
	.poll = execmon_poll,
	.deactivate = execmon_deactivate,
	.report = execmon_report,
	.free = execmon_free,
	.reopen = execmon_reopen,
};
