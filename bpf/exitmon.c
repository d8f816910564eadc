// SPDX-License-Identifier: GPL-2.0
/*
 * exitmon.c - exit-monitor, user side: attaches exitmon.bpf.c to
 * sched_process_exit, drains its ring buffer every poll, and writes
 * exit.txt and exit.json with the exits since the last report
 * (harness/exitmon-report.c, shared with the kernel-module backend).
 * A persistent activation pins the ring buffer;
 * a later process reopens it and drains it in report().
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "diag.h"
#include "exitmon-report.h"
#include "exitmon.bpf.h"
#include "exitmon.skel.h"
#include "hld_record.h"
#include "hld_settings.h"

/* Records preallocated at most: one ring buffer's worth, up to this. */
#define XM_PREALLOC	4096

struct exitmon {
	struct exitmon_bpf *skel;
	struct bpf_link *link;
	struct ring_buffer *rb;
	struct exitmon_recs recs;	/* records received since the last report */
	/* BPF counters of phases ended (unpinned runs) */
	uint64_t seen, drops, no_ustack, vma_err;
	int paths_fd;			/* ustack_paths kept past an unload, or -1 */
};

/* ring_buffer callback: keep one exitmon_event. */
static int exitmon__on_record(void *ctx, void *data, size_t size)
{
	struct exitmon *xm = ctx;

	exitmon__keep(&xm->recs, data, size);
	return 0;
}

static int exitmon_probe(char *why, size_t len)
{
	struct exitmon_bpf *skel;
	int err;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	skel = exitmon_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "cannot load the tp_btf/sched_process_exit program: %s",
			 strerror(-err));
		return err;
	}
	exitmon_bpf__destroy(skel);
	return 0;
}

/*
 * Room for as many records as the ring buffer holds (at most XM_PREALLOC),
 * so that the drains of the diagnosis thread neither allocate nor fault
 * pages in while the machine is loaded.
 */
static int exitmon__prealloc_rb(struct exitmon *xm, uint32_t ringbuf)
{
	size_t want = ringbuf / (sizeof(*xm->recs.v) + 8);

	return exitmon__prealloc(&xm->recs, want > XM_PREALLOC ? XM_PREALLOC : want);
}

/* Release the skeleton, its link and the ring buffer reader (a pinned link stays attached). */
static void exitmon__unload(struct exitmon *xm)
{
	ring_buffer__free(xm->rb);
	xm->rb = NULL;
	bpf_link__destroy(xm->link);
	xm->link = NULL;
	exitmon_bpf__destroy(xm->skel);
	xm->skel = NULL;
}

/*
 * Open and load the program with the settings of @f. With f->pin_dir the
 * maps live there: created and pinned by the first load (activation), or
 * the pinned ones reused (a reopen, which also takes the ring buffer size
 * from the settings, as map reuse requires the same size). Then a ring
 * buffer reader on the events map, and room for its records.
 */
static int exitmon__load(struct diag_feature *f, struct exitmon *xm)
{
	const struct hld_exit_settings *s = f->settings;
	uint32_t rb_size;
	int err;

	xm->skel = exitmon_bpf__open();
	if (!xm->skel)
		return -errno;
	memcpy((char *)xm->skel->rodata->targ_comm, s->comm, HLD_COMM_LEN);
	((char *)xm->skel->rodata->targ_comm)[HLD_COMM_LEN - 1] = '\0';
	xm->skel->rodata->targ_tgid = s->tgid;
	xm->skel->rodata->want_ustack = !!s->user_stacks;
	xm->skel->rodata->all_threads = !!s->all_threads;
	rb_size = bpf_util__ringbuf_size(s->ringbuf_size, getpagesize());
	err = bpf_map__set_max_entries(xm->skel->maps.events, rb_size);
	if (!err)
		err = exitmon__prealloc_rb(xm, rb_size);
	if (!err && f->pin_dir)
		err = bpf_util__pin_maps(xm->skel->obj, f->pin_dir);
	if (!err)
		err = exitmon_bpf__load(xm->skel);
	if (!err) {
		xm->rb = ring_buffer__new(bpf_map__fd(xm->skel->maps.events), exitmon__on_record,
					  xm, NULL);
		if (!xm->rb)
			err = -errno;
	}
	if (err) {
		exitmon__unload(xm);
		return err < 0 ? err : -EINVAL;
	}
	return 0;
}

/* The adapter state of @f, allocated on first use. */
static struct exitmon *exitmon__get(struct diag_feature *f)
{
	struct exitmon *xm = f->priv;

	if (!xm) {
		xm = calloc(1, sizeof(*xm));
		if (xm)
			xm->paths_fd = -1;
		f->priv = xm;
	}
	return xm;
}

/*
 * Load and attach. With f->pin_dir (`hldbench diag exit-monitor
 * --activate`) the maps and the link are pinned there, so the program keeps
 * recording into the pinned ring buffer after this process exits.
 */
static int exitmon_activate(struct diag_feature *f)
{
	struct exitmon *xm = exitmon__get(f);
	int err;

	if (!xm)
		return -ENOMEM;
	f->kernel_cost_in_thread = false;
	err = exitmon__load(f, xm);
	if (err)
		return err;
	xm->link = bpf_program__attach(xm->skel->progs.exitmon_exit);
	if (!xm->link) {
		err = -errno;
		goto out_unload;
	}
	if (f->pin_dir) {
		err = bpf_util__pin_link(xm->link, f->pin_dir, "link_exit");
		if (err)
			goto out_unload;
	}
	return 0;

out_unload:
	exitmon__unload(xm);
	return err;
}

/*
 * Open a persistent activation in this process: the program loaded on the
 * pinned maps, nothing attached; report() drains the pinned ring buffer.
 */
static int exitmon_reopen(struct diag_feature *f)
{
	struct exitmon *xm = exitmon__get(f);

	return xm ? exitmon__load(f, xm) : -ENOMEM;
}

/* Drain the ring buffer into the records of the next report. */
static int exitmon_poll(struct diag_feature *f)
{
	struct exitmon *xm = f->priv;
	int err;

	if (!xm || !xm->rb)
		return 0;
	err = ring_buffer__consume(xm->rb);
	if (err < 0)
		return err;
	f->events = xm->recs.n;
	f->drops = xm->drops + xm->skel->bss->nr_drops;
	return xm->recs.err;
}

/* Detach, take the last records and the counters, and unload; the records stay for report(). */
static int exitmon_deactivate(struct diag_feature *f)
{
	struct exitmon *xm = f->priv;
	int err;

	if (!xm || !xm->skel)
		return 0;
	bpf_link__destroy(xm->link);
	xm->link = NULL;
	err = exitmon_poll(f);
	bpf_util__prog_stats(bpf_program__fd(xm->skel->progs.exitmon_exit),
			     &f->kernel_run_ns, &f->kernel_run_cnt);
	xm->seen += xm->skel->bss->nr_exits;
	xm->drops += xm->skel->bss->nr_drops;
	xm->no_ustack += xm->skel->bss->nr_no_ustack;
	xm->vma_err += xm->skel->bss->nr_vma_err;
	f->drops = xm->drops;
	/* the records' file paths: the report names their functions after the unload */
	if (xm->paths_fd < 0)
		xm->paths_fd = fcntl(bpf_map__fd(xm->skel->maps.ustack_paths), F_DUPFD_CLOEXEC, 0);
	exitmon__unload(xm);
	return err;
}

/* Counters since activation, for the report. */
static struct exitmon_totals exitmon__totals(const struct exitmon *xm)
{
	struct exitmon_totals t = { xm->seen, xm->drops, xm->no_ustack, xm->vma_err };

	if (xm->skel) {
		t.seen += xm->skel->bss->nr_exits;
		t.drops += xm->skel->bss->nr_drops;
		t.no_ustack += xm->skel->bss->nr_no_ustack;
		t.vma_err += xm->skel->bss->nr_vma_err;
	}
	return t;
}

/* The ustack_paths map: the loaded program's, or the one kept when it was unloaded. */
static int exitmon__paths_fd(const struct exitmon *xm)
{
	return xm->skel ? bpf_map__fd(xm->skel->maps.ustack_paths) : xm->paths_fd;
}

/*
 * Write exit.txt and exit.json with the records since the last report:
 * whatever the ring buffer still holds is drained first (in a process that
 * reopened a persistent activation, that is all of them), and the records
 * reported are then forgotten. Drops count since activation.
 */
static int exitmon_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct exitmon empty = { .paths_fd = -1 }, *xm = f->priv ? f->priv : &empty;
	struct exitmon_totals t;
	int err = 0, err2;

	if (xm->rb)
		err = ring_buffer__consume(xm->rb);
	if (err >= 0)
		err = xm->recs.err;
	t = exitmon__totals(xm);
	xm->recs.paths_fd = exitmon__paths_fd(xm);
	err2 = exitmon__report_out(f, &xm->recs, &t, "bpf", out, !err);
	json__double(out->json, "bpf_run_ns_per_exit", f->kernel_run_cnt ?
		     (double)f->kernel_run_ns / f->kernel_run_cnt : NAN);
	return err ? err : err2;
}

/* Release everything; a pinned activation's link and maps stay in bpffs. */
static void exitmon_free(struct diag_feature *f)
{
	struct exitmon *xm = f->priv;

	if (!xm)
		return;
	exitmon__unload(xm);
	if (xm->paths_fd >= 0)
		close(xm->paths_fd);
	exitmon__recs_free(&xm->recs);
	free(xm);
	f->priv = NULL;
}

const struct diag_ops bpf_exit_monitor_ops = {
	.id = DIAG_exit_monitor,
	.probe = exitmon_probe,
	.activate = exitmon_activate,
	.poll = exitmon_poll,
	.deactivate = exitmon_deactivate,
	.report = exitmon_report,
	.free = exitmon_free,
	.reopen = exitmon_reopen,
};
