// SPDX-License-Identifier: GPL-2.0
/*
 * execmon.c - exec-monitor, user side: attaches execmon.bpf.c to
 * sched_process_exec, drains its ring buffer every poll, and writes
 * exec.txt and exec.json with the execs since the last report
 * (harness/execmon-report.c, shared with the kernel-module backend).
 * A persistent activation pins the ring buffer; a later process reopens it
 * and drains it in report().
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "diag.h"
#include "execmon-report.h"
#include "execmon.skel.h"
#include "hld_record.h"
#include "hld_settings.h"

/* Records preallocated at most: one ring buffer's worth, up to this. */
#define EM_PREALLOC	4096

struct execmon {
	struct execmon_bpf *skel;
	struct bpf_link *link;
	struct ring_buffer *rb;
	struct execmon_recs recs;	/* records received since the last report */
	uint64_t execs, drops, args_err;	/* BPF counters of phases ended (unpinned runs) */
};

/* ring_buffer callback: keep one hld_exec_record. */
static int execmon__on_record(void *ctx, void *data, size_t size)
{
	struct execmon *em = ctx;

	execmon__keep(&em->recs, data, size);
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
 * so that the drains of the diagnosis thread neither allocate nor fault
 * pages in while the machine is loaded.
 */
static int execmon__prealloc_rb(struct execmon *em, uint32_t ringbuf)
{
	size_t want = ringbuf / (sizeof(*em->recs.v) + 8);

	return execmon__prealloc(&em->recs, want > EM_PREALLOC ? EM_PREALLOC : want);
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
		err = execmon__prealloc_rb(em, rb_size);
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
	f->events = em->recs.n;
	f->drops = execmon__drops(em);
	return em->recs.err;
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

/* Counters since activation, for the report. */
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

/*
 * Write exec.txt and exec.json with the records since the last report:
 * whatever the ring buffer still holds is drained first (in a process that
 * reopened a persistent activation, that is all of them), and the records
 * reported are then forgotten. Drops count since activation.
 */
static int execmon_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct execmon empty = { 0 }, *em = f->priv ? f->priv : &empty;
	struct execmon_totals t;
	int err = 0, err2;

	if (em->rb)
		err = ring_buffer__consume(em->rb);
	if (err >= 0)
		err = em->recs.err;
	t = execmon__totals(em);
	err2 = execmon__report_out(f, &em->recs, &t, "bpf", out, !err);
	json__double(out->json, "bpf_run_ns_per_exec", f->kernel_run_cnt ?
		     (double)f->kernel_run_ns / f->kernel_run_cnt : NAN);
	return err ? err : err2;
}

/* Release everything; a pinned activation's link and maps stay in bpffs. */
static void execmon_free(struct diag_feature *f)
{
	struct execmon *em = f->priv;

	if (!em)
		return;
	execmon__unload(em);
	free(em->recs.v);
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
