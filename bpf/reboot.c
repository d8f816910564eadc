// SPDX-License-Identifier: GPL-2.0
/*
 * reboot.c - reboot, user side: attaches reboot.bpf.c to raw_tp/sys_enter,
 * appends every record it drains from the ring buffer to the persistent log
 * (one line, then fsync) and reports the calls drained since the last
 * report: reboot.txt and reboot.json. A persistent activation pins the maps
 * (the ring buffer holds the records until a report drains them) and the
 * link, so calls are caught with no hldbench process running.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "diag.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "reboot-report.h"
#include "reboot.bpf.h"
#include "reboot.skel.h"
#include "syms.h"

struct reboot {
	struct reboot_bpf *skel;
	struct bpf_link *link;
	struct ring_buffer *rb;
	struct reboot_log log;		/* the persistent log and the records kept */
};

/* ring_buffer callback: log and keep a well-formed record (harness/reboot-report.c). */
static int reboot__on_record(void *ctx, void *data, size_t size)
{
	struct reboot *rb = ctx;

	if (!bpf_util__record_ok(data, size, HLD_REC_REBOOT, sizeof(struct hld_reboot_record))) {
		if (!rb->log.cb_err)
			rb->log.cb_err = -EPROTO;
		return 0;
	}
	reboot_log__record(&rb->log, data);
	return 0;
}

/* Usable if BPF works and the sys_enter program loads on this kernel. */
static int reboot_probe(char *why, size_t len)
{
	struct reboot_bpf *skel;
	int err;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	skel = reboot_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "cannot load the raw_tp/sys_enter program: %s", strerror(-err));
		return err;
	}
	reboot_bpf__destroy(skel);
	return 0;
}

/* The private state of @f, created on first use. */
static struct reboot *reboot__priv(struct diag_feature *f)
{
	struct reboot *rb = f->priv;

	if (rb)
		return rb;
	rb = calloc(1, sizeof(*rb));
	if (!rb)
		return NULL;
	f->priv = rb;
	if (reboot_log__init(&rb->log))
		return NULL;
	return rb;
}

/*
 * Load the program (on @pin_dir's maps when set: created and pinned, or
 * reused when already pinned), set up the ring buffer reader and open the
 * log for appending. Without @set_rodata the pinned .rodata is reused as is.
 */
static int reboot__load(struct reboot *rb, const struct hld_reboot_settings *s,
			bool set_rodata, const char *pin_dir)
{
	int err;

	rb->skel = reboot_bpf__open();
	if (!rb->skel)
		return -errno;
	if (set_rodata)
		rb->skel->rodata->want_ustack = !!s->user_stacks;
	err = pin_dir ? bpf_util__pin_maps(rb->skel->obj, pin_dir) : 0;
	if (!err)
		err = reboot_bpf__load(rb->skel);
	if (err) {
		reboot_bpf__destroy(rb->skel);
		rb->skel = NULL;
		return err < 0 ? err : -EINVAL;
	}
	rb->rb = ring_buffer__new(bpf_map__fd(rb->skel->maps.events), reboot__on_record, rb, NULL);
	if (!rb->rb)
		return -errno;
	return reboot_log__open(&rb->log, s);
}

/*
 * Load the program on the first phase (its counters then live until free),
 * open the log, attach. With f->pin_dir the maps and the link are pinned
 * there, so the program keeps recording into the pinned ring buffer after
 * this process exits.
 */
static int reboot_activate(struct diag_feature *f)
{
	struct reboot *rb = reboot__priv(f);
	int err;

	if (!rb)
		return -ENOMEM;
	if (!rb->skel) {
		err = reboot__load(rb, f->settings, true, f->pin_dir);
		if (err)
			return err;
	}
	rb->link = bpf_program__attach(rb->skel->progs.reboot_enter);
	if (!rb->link)
		return -errno;
	return f->pin_dir ? bpf_util__pin_link(rb->link, f->pin_dir, "link_sys_enter") : 0;
}

/*
 * Attach to a persistent activation: the program loaded on the pinned maps
 * (settings from the pinned .rodata), not attached; report() drains the
 * pinned ring buffer into the log and the report.
 */
static int reboot_reopen(struct diag_feature *f)
{
	struct reboot *rb = reboot__priv(f);

	if (!rb)
		return -ENOMEM;
	return reboot__load(rb, f->settings, false, f->pin_dir);
}

/* Drain the ring buffer into the log and the records kept for the report. */
static int reboot_poll(struct diag_feature *f)
{
	struct reboot *rb = f->priv;
	int err;

	if (!rb || !rb->rb)
		return 0;
	err = ring_buffer__consume(rb->rb);
	if (err < 0)
		return err;
	f->drops = rb->skel->bss->nr_drops + rb->log.not_kept;
	return rb->log.cb_err;
}

/* Detach and drain what is left into the log; the records stay for report(). */
static int reboot_deactivate(struct diag_feature *f)
{
	struct reboot *rb = f->priv;

	if (!rb || !rb->link)
		return 0;
	bpf_link__destroy(rb->link);
	rb->link = NULL;
	f->kernel_run_ns = 0;
	f->kernel_run_cnt = 0;
	bpf_util__prog_stats(bpf_program__fd(rb->skel->progs.reboot_enter),
			     &f->kernel_run_ns, &f->kernel_run_cnt);
	return reboot_poll(f);
}

/*
 * Frame @i of @r's user stack placed in the file the program noted in the
 * ufiles slot of its call (reboot-report.h's reboot_ufile_fn); NULL when
 * the slot holds a later call's (more than REBOOT_HISTORY calls since) or
 * none was noted.
 */
static const char *reboot__ufile(void *ctx, const struct hld_reboot_record *r, int i,
				 char *buf, size_t len)
{
	static struct reboot_ufiles u;
	struct reboot *rb = ctx;
	uint32_t slot = r->seq % REBOOT_HISTORY;

	if (bpf_map_lookup_elem(bpf_map__fd(rb->skel->maps.ufiles), &slot, &u) ||
	    u.seq != r->seq)
		return NULL;
	return ustack_files__symbol(&u.uf, i, bpf_map__fd(rb->skel->maps.ustack_paths),
				    rb->log.usyms, buf, len);
}

/*
 * Drain the ring buffer (into the log, too), then report the calls drained
 * since the last report and forget them: reboot.txt, reboot.json. The call
 * and drop counters are the program's, since activation.
 */
static int reboot_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct reboot *rb = f->priv;
	struct reboot_totals t = {
		.backend = "bpf",
		.how = "# the BPF program records each call into its ring buffer before the call\n"
		       "#   proceeds; the log line is written when user space drains it\n",
	};
	int err = 0;

	if (rb && rb->skel) {
		err = reboot_poll(f);
		t.calls = rb->skel->bss->nr_calls;
		t.ring_drops = rb->skel->bss->nr_drops;
		t.ufiles_missed = rb->skel->bss->nr_ufiles_missed;
		t.ufile = reboot__ufile;
		t.ctx = rb;
	}
	if (err)
		return err;
	return reboot__report_out(f, rb ? &rb->log : NULL, &t, out);
}

/* Detach if attached (a pinned link stays: only this process's fd closes). */
static void reboot_free(struct diag_feature *f)
{
	struct reboot *rb = f->priv;

	if (!rb)
		return;
	reboot_deactivate(f);
	ring_buffer__free(rb->rb);
	reboot_bpf__destroy(rb->skel);
	reboot_log__free(&rb->log);
	free(rb);
	f->priv = NULL;
}

const struct diag_ops bpf_reboot_ops = {
	.id = DIAG_reboot,
	.probe = reboot_probe,
	.activate = reboot_activate,
	.poll = reboot_poll,
	.deactivate = reboot_deactivate,
	.report = reboot_report,
	.free = reboot_free,
	.reopen = reboot_reopen,
};
