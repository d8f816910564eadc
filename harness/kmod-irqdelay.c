// SPDX-License-Identifier: GPL-2.0
/*
 * kmod-irqdelay.c - irq-delay on the kernel module (kmod/feat_irqdelay.c):
 * activate through /dev/hld, read the late ticks (struct
 * hld_irqdelay_record) from the device every poll, and at report time
 * drain the module's generation of per-CPU counters and histograms
 * (struct hld_irqdelay_cpu_record) into the same irq-delay.txt,
 * irq-delay.folded and irq-delay.json as the eBPF backend
 * (harness/irqdelay-report.c).
 *
 * The device's records are every feature's: those of other features that
 * a poll reads are skipped (and lost to them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>		/* libbpf_num_possible_cpus() */

#include "bpf-util.h"
#include "diag.h"
#include "irqdelay-report.h"
#include "kmod-dev.h"
#include "syms.h"


struct kmod_irqdelay {
	struct kmod_feature k;	/* first: kmod__feature() */
	struct ksyms *ksyms;		/* NULL if /proc/kallsyms cannot be read */
	struct irqdelay_recs recs;	/* late ticks read since the last report */
	int rec_err;
};

static int kmod_irqdelay_probe(char *why, size_t len)
{
	return kmod__probe(DIAG_irq_delay, why, len);
}

static int kmod_irqdelay_activate(struct diag_feature *f)
{
	f->kernel_cost_in_thread = false;
	return kmod__feature(f, sizeof(struct kmod_irqdelay)) ? kmod__feature_activate(f) : -errno;
}

static int kmod_irqdelay_reopen(struct diag_feature *f)
{
	return kmod__feature(f, sizeof(struct kmod_irqdelay)) ? kmod__feature_reopen(f) : -errno;
}

/* Keep one late tick. */
static int kmod_irqdelay__keep(void *ctx, const void *rec, size_t len)
{
	return irqdelay__recs_add(ctx, rec, len);
}

/* Read the records ready on the device; keep the late ticks. */
static int kmod_irqdelay_poll(struct diag_feature *f)
{
	struct kmod_irqdelay *q = f->priv;
	int err;

	if (!q)
		return 0;
	err = kmod__drain(DIAG_irq_delay, KMOD_REC(HLD_REC_IRQDELAY), kmod_irqdelay__keep, &q->recs);
	if (err && !q->rec_err)
		q->rec_err = err;
	f->events = q->recs.nr;
	return q->rec_err;
}

/* Cancel the timers; the counters stay in the module for report(). */
static int kmod_irqdelay_deactivate(struct diag_feature *f)
{
	int err = kmod__feature_deactivate(f);

	return err ? err : kmod_irqdelay_poll(f);
}

/* Fill @d from the module's per-CPU rows; *@since: the start of their window. */
static int kmod_irqdelay__parse_cpus(const void *buf, size_t len, struct irqdelay_data *d,
				     uint64_t *since)
{
	const struct hld_irqdelay_cpu_record *r;
	size_t off = 0;
	int err;

	while ((r = kmod__record(buf, len, &off, HLD_REC_IRQDELAY_CPU, sizeof(*r), &err))) {
		struct irqdelay_cpu *c;

		if ((int)r->cpu >= d->nr)
			return -EPROTO;
		*since = r->hdr.ts;
		c = &d->cpu[r->cpu];
		c->ticks = r->ticks;
		c->intervals = r->intervals;
		c->starts = r->starts;
		c->late = r->late;
		c->max_gap = r->max_gap_ns;
		c->max_late = r->max_late_ns;
		for (int k = 0; k < HLD_IRQDELAY_SLOTS; k++)
			d->hist[k * d->nr + r->cpu] = r->hist[k];
	}
	irqdelay__data_sum(d);
	return err;
}

/*
 * Drain the module's counters since the last report and the late ticks
 * read since then (the last ones read now) into the report files.
 */
static int kmod_irqdelay_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct kmod_irqdelay *q = kmod__feature(f, sizeof(*q));
	uint64_t since = 0, now = bpf_util__now_ns();
	struct hld_ioc_status st;
	struct irqdelay_data d;
	void *buf = NULL;
	size_t len = 0;
	int err;

	err = irqdelay__data_init(&d, libbpf_num_possible_cpus());
	if (!err && !q)
		err = -errno;
	if (!err)
		err = kmod__report(q->k.fd, DIAG_irq_delay, &buf, &len);
	if (!err)
		err = kmod_irqdelay__parse_cpus(buf, len, &d, &since);
	if (!err)
		err = kmod_irqdelay_poll(f);
	if (!err)
		err = kmod__status(q->k.fd, DIAG_irq_delay, &st);
	if (err)
		goto out_free;
	if (!q->ksyms)
		q->ksyms = ksyms__load();	/* NULL: stacks stay addresses */
	d.backend = "kmod";
	d.ksyms = q->ksyms;
	d.recs = q->recs.recs;
	d.nr_recs = q->recs.nr;
	d.events = q->recs.nr;
	d.drops = st.drops;
	d.window_ns = since && now > since ? now - since : 0;
	err = irqdelay__report_out(f, &d, out);
	q->recs.nr = 0;		/* reported */
out_free:
	free(buf);
	irqdelay__data_free(&d);
	return err;
}

/* Close the device (a private activation ends with it) and free what was read. */
static void kmod_irqdelay_free(struct diag_feature *f)
{
	struct kmod_irqdelay *q = f->priv;

	if (q) {
		if (q->ksyms)
			ksyms__free(q->ksyms);
		free(q->recs.recs);
	}
	kmod__feature_free(f);
}

const struct diag_ops kmod_irq_delay_ops = {
	.id = DIAG_irq_delay,
	.probe = kmod_irqdelay_probe,
	.activate = kmod_irqdelay_activate,
	.poll = kmod_irqdelay_poll,
	.deactivate = kmod_irqdelay_deactivate,
	.report = kmod_irqdelay_report,
	.reopen = kmod_irqdelay_reopen,
	.free = kmod_irqdelay_free,
};
