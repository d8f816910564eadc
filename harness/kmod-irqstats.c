// SPDX-License-Identifier: GPL-2.0
/*
 * kmod-irqstats.c - irq-stats on the kernel module (kmod/feat_irqstats.c):
 * activate through /dev/hld, and at report time drain the module's
 * generation of rows (struct hld_irqstats_record, one per CPU and table
 * entry) into the same irq-stats.txt and irq-stats.json as the eBPF
 * backend (harness/irqstats-report.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>		/* libbpf_num_possible_cpus() */

#include "diag.h"
#include "irqstats-report.h"
#include "kmod-dev.h"
#include "syms.h"

struct kmod_irqstats {
	struct kmod_feature k;	/* first: kmod__feature() */
	struct ksyms *ksyms;	/* NULL if /proc/kallsyms cannot be read */
};

static int kmod_irqstats_probe(char *why, size_t len)
{
	return kmod__probe(DIAG_irq_stats, why, len);
}

static int kmod_irqstats_activate(struct diag_feature *f)
{
	return kmod__feature(f, sizeof(struct kmod_irqstats)) ? kmod__feature_activate(f) : -errno;
}

static int kmod_irqstats_reopen(struct diag_feature *f)
{
	return kmod__feature(f, sizeof(struct kmod_irqstats)) ? kmod__feature_reopen(f) : -errno;
}

/* Fold the module's rows into the tables of @d, merging each entry's CPUs into one row. */
static int kmod_irqstats__parse(const void *buf, size_t len, struct irqstats_data *d)
{
	const struct hld_irqstats_record *r;
	size_t off = 0;
	int err;

	err = irqstats__fixed_rows(d);
	if (err)
		return err;
	while ((r = kmod__record(buf, len, &off, HLD_REC_IRQSTATS, sizeof(*r), &err))) {
		struct irqstats_row *row;
		char name[HLD_IRQSTATS_NAME_LEN + 1];

		if (r->table >= HLD_IRQSTATS_T__MAX || (int)r->cpu >= d->nr_possible)
			return -EPROTO;
		if (!d->since_ns)
			d->since_ns = r->hdr.ts;
		memcpy(name, r->name, HLD_IRQSTATS_NAME_LEN);
		name[HLD_IRQSTATS_NAME_LEN] = '\0';
		row = irqstats__row_find(d, r->table, r->id, r->kind);
		if (!row)
			row = irqstats__row_add(d, r->table, r->id, r->kind, name);
		if (!row)
			return -ENOMEM;
		if (!row->name[0] && name[0])
			snprintf(row->name, sizeof(row->name), "%s", name);
		row->cpu[r->cpu].count += r->count;
		row->cpu[r->cpu].time_ns += r->time_ns;
	}
	return err;
}

/* Drain the module's rows since the last report, and write the report. */
static int kmod_irqstats_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct kmod_irqstats *q = kmod__feature(f, sizeof(*q));
	struct hld_ioc_status st;
	struct irqstats_data d;
	void *buf = NULL;
	size_t len = 0;
	int err = 0;

	irqstats__data_init(&d, libbpf_num_possible_cpus());
	if (!q)
		err = -errno;
	if (!err && !q->ksyms)
		q->ksyms = ksyms__load();	/* NULL: timer functions become addresses */
	if (!err) {
		d.ksyms = q->ksyms;
		err = kmod__report(q->k.fd, DIAG_irq_stats, &buf, &len);
	}
	if (!err)
		err = kmod_irqstats__parse(buf, len, &d);
	if (!err && !kmod__status(q->k.fd, DIAG_irq_stats, &st))
		d.drops = st.drops;
	if (!err)
		err = irqstats__report_out(f, &d, out);
	free(buf);
	irqstats__data_free(&d);
	return err;
}

static void kmod_irqstats_free(struct diag_feature *f)
{
	struct kmod_irqstats *q = f->priv;

	if (q && q->ksyms)
		ksyms__free(q->ksyms);
	kmod__feature_free(f);
}

const struct diag_ops kmod_irq_stats_ops = {
	.id = DIAG_irq_stats,
	.probe = kmod_irqstats_probe,
	.activate = kmod_irqstats_activate,
	.deactivate = kmod__feature_deactivate,
	.report = kmod_irqstats_report,
	.reopen = kmod_irqstats_reopen,
	.free = kmod_irqstats_free,
};
