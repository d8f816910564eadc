// SPDX-License-Identifier: GPL-2.0
/*
 * kmod-tracepoint.c - kprobe, tracepoint and perf on the kernel module
 * (kmod/feat_tracepoint.c): activate through /dev/hld; drain the module's
 * generation of rows (struct hld_tphit_record per CPU and key, struct
 * hld_tpcpu_record per CPU) every TP_DRAIN_MS while polled, so that user
 * stacks are named while their processes live, at deactivation and at each
 * report, into the same files as the eBPF backend: FEATURE.txt, .json and
 * .folded for kprobe and tracepoint (harness/tracepoint-report.c),
 * perf.folded and perf.txt for perf (harness/perf-report.c). Names are
 * checked as the eBPF backend checks them (bpf/kprobe.c, bpf/tracepoint.c)
 * before the module sees them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag.h"
#include "json.h"
#include "kmod-dev.h"
#include "perf-report.h"
#include "syms.h"
#include "tracepoint-report.h"

#define TP_DRAIN_MS 500		/* drain period while polled */

struct kmod_tp {
	int fd;			/* /dev/hld; closing it ends a private activation */
	struct tp_report rep;	/* totals drained since the last report */
	uint64_t next_drain_ns;
};

static int kmod_kprobe_probe(char *why, size_t len)
{
	int err = kmod__probe(DIAG_kprobe, why, len);

	if (!err)
		snprintf(why, len, "entry of any kernel function in /proc/kallsyms "
			 "(function=NAME, register_kprobe); counts and stacks only");
	return err;
}

static int kmod_tracepoint_probe(char *why, size_t len)
{
	int err = kmod__probe(DIAG_tracepoint, why, len);

	if (!err)
		snprintf(why, len, "any kernel tracepoint by name (tracepoint_probe_register); "
			 "counts and stacks only: the arguments are not read");
	return err;
}

static int kmod_perf_probe(char *why, size_t len)
{
	int err = kmod__probe(DIAG_perf, why, len);

	if (!err)
		snprintf(why, len, "cpu-clock sampling on every online CPU "
			 "(perf_event_create_kernel_counter), kernel and user stacks");
	return err;
}

/* The report's totals: perf's samples need no target resolved. */
static int kmod_tp__report_init(struct tp_report *r, const struct diag_feature *f)
{
	const struct hld_perf_settings *s = f->settings;

	if (f->ops->id != DIAG_perf)
		return tp_report__init(r, f);
	memset(r, 0, sizeof(*r));
	return tp_report__init_stacks(r, s->kernel);
}

/* The feature's state: the device open and the name resolved. NULL and errno on failure. */
static struct kmod_tp *kmod_tp__priv(struct diag_feature *f)
{
	struct kmod_tp *kt = f->priv;
	int err;

	if (kt)
		return kt;
	kt = calloc(1, sizeof(*kt));
	if (!kt)
		return NULL;
	kt->fd = kmod__open();
	err = kt->fd < 0 ? kt->fd : kmod_tp__report_init(&kt->rep, f);
	if (err) {
		if (kt->fd >= 0)
			close(kt->fd);
		tp_report__free(&kt->rep);
		free(kt);
		errno = -err;
		return NULL;
	}
	f->priv = kt;
	return kt;
}

/* Fold one row of the module into the totals; -EPROTO if it is malformed. */
static int kmod_tp__fold(struct tp_report *r, const struct hld_tphit_record *h, size_t len)
{
	char comm[HLD_COMM_LEN + 1];
	int err;

	if (len < HLD_TPHIT_LEN(0, 0) || h->nr_kstack > HLD_MAX_STACK ||
	    h->nr_ustack > HLD_MAX_STACK || len != HLD_TPHIT_LEN(h->nr_kstack, h->nr_ustack) ||
	    (int)h->cpu >= r->nr_cpus)
		return -EPROTO;
	memcpy(comm, h->comm, HLD_COMM_LEN);
	comm[HLD_COMM_LEN] = '\0';
	err = tp_report__begin(r, comm);
	if (!err && (h->flags & HLD_TPHIT_USTACK_LOST))
		err = tp_report__frame(r, "[user stack lost]", "");
	if (!err)
		err = tp_report__user(r, h->tgid, (const uint64_t *)h->ips + h->nr_kstack,
				      h->nr_ustack, NULL, NULL);
	if (!err && (h->flags & HLD_TPHIT_KSTACK_LOST))
		err = tp_report__frame(r, "[kernel stack lost]", "_[k]");
	if (!err)
		err = tp_report__kernel(r, (const uint64_t *)h->ips, h->nr_kstack);
	return err ? err : tp_report__end(r, h->tgid, comm, h->count);
}

/* Drain the module's rows since the last drain into the totals. */
static int kmod_tp__drain(struct diag_feature *f, struct kmod_tp *kt)
{
	struct tp_report *r = &kt->rep;
	size_t len, off = 0;
	void *buf;
	int err;

	err = kmod__report(kt->fd, f->ops->id, &buf, &len);
	if (err)
		return err;
	tp_report__drain_begin(r);
	while (!err && off + sizeof(struct hld_record_header) <= len) {
		const struct hld_record_header *h = (const void *)((const char *)buf + off);
		const struct hld_tpcpu_record *c = (const void *)h;

		if (h->len < sizeof(*h) || off + h->len > len)
			err = -EPROTO;
		else if (h->type == HLD_REC_TPHIT)
			err = kmod_tp__fold(r, (const void *)h, h->len);
		else if (h->type != HLD_REC_TPCPU || h->len != sizeof(*c) || (int)c->cpu >= r->nr_cpus)
			err = -EPROTO;
		else {
			r->cpu_hits[c->cpu] += c->hits;
			r->hits += c->hits;
		}
		off += h->len;
	}
	free(buf);
	tp_report__merge_procs(r);
	return err;
}

/* A persistent activation (f->pin_dir set) outlives this process's fd. */
static int kmod_tp_activate(struct diag_feature *f)
{
	struct kmod_tp *kt = kmod_tp__priv(f);

	if (!kt)
		return -errno;
	kt->next_drain_ns = bpf_util__now_ns() + TP_DRAIN_MS * 1000000ull;
	return kmod__activate(kt->fd, f->ops->id, f->settings,
			      diag_descs[f->ops->id].settings_size, f->pin_dir);
}

/* Attach to a persistent activation: it must be active in the module. */
static int kmod_tp_reopen(struct diag_feature *f)
{
	struct kmod_tp *kt = kmod_tp__priv(f);
	struct hld_ioc_status st;
	int err;

	if (!kt)
		return -errno;
	err = kmod__status(kt->fd, f->ops->id, &st);
	if (!err && st.state != HLD_FSTATE_ACTIVE)
		err = -ENOENT;
	return err;
}

/* Drain every TP_DRAIN_MS, so user stacks are named while their processes live. */
static int kmod_tp_poll(struct diag_feature *f)
{
	struct kmod_tp *kt = f->priv;
	uint64_t now = bpf_util__now_ns();

	if (!kt || now < kt->next_drain_ns)
		return 0;
	kt->next_drain_ns = now + TP_DRAIN_MS * 1000000ull;
	return kmod_tp__drain(f, kt);
}

/* The module's loss counters since activation. */
static void kmod_tp__drops(struct diag_feature *f, struct kmod_tp *kt, struct tp_drops *d)
{
	struct hld_ioc_status st;

	memset(d, 0, sizeof(*d));
	if (!kt || kmod__status(kt->fd, f->ops->id, &st))
		return;
	d->count = st.drops_cause[0];
	d->kstack = st.drops_cause[1];
	d->ustack = st.drops_cause[2];
	d->missed = st.drops_cause[3];
}

/* Stop counting and drain; what was drained stays for report(). */
static int kmod_tp_deactivate(struct diag_feature *f)
{
	struct kmod_tp *kt = f->priv;
	struct tp_drops d;
	int err;

	if (!kt)
		return 0;
	kmod_tp__drops(f, kt, &d);
	f->drops = tp_drops__sum(&d);
	err = kmod__deactivate(kt->fd, f->ops->id);
	if (err && err != -ENOENT)
		return err;
	return kmod_tp__drain(f, kt);
}

/* Drain the module's rows since the last drain, and write the report. */
static int kmod_tp_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct kmod_tp *kt = kmod_tp__priv(f);
	struct tp_drops d;
	int err = kt ? kmod_tp__drain(f, kt) : -errno, e;

	kmod_tp__drops(f, kt, &d);
	e = tp_report__out(f, kt ? &kt->rep : NULL, &d, "kmod", out);
	return err ? err : e;
}

/*
 * perf: drain, and write perf.folded and perf.txt. The module counts a
 * sample whose stack it could not take under "[... stack lost]": a loss
 * of that stack, not of the sample.
 */
static int kmod_perf_report(struct diag_feature *f, const struct diag_outputs *out)
{
	const struct hld_perf_settings *s = f->settings;
	struct kmod_tp *kt = kmod_tp__priv(f);
	struct perf_summary sum = { .freq = s->freq };
	struct hld_ioc_status st;
	struct perf_loss l;
	int err, e;

	if (!kt)
		return -errno;
	err = kmod_tp__drain(f, kt);
	e = kmod__status(kt->fd, f->ops->id, &st);
	err = err ? err : e;
	if (e)
		memset(&st, 0, sizeof(st));
	l = (struct perf_loss){ .seen = st.events, .drops = st.drops,
				.count_full = st.drops_cause[0], .kstack = st.drops_cause[1],
				.ustack = st.drops_cause[2], .missed = st.drops_cause[3] };
	sum.samples = kt->rep.counted;
	sum.nr_cpus = s->cpu >= 0 ? 1 : (int)sysconf(_SC_NPROCESSORS_ONLN);
	sum.restricted = !kt->rep.ksyms || ksyms__restricted(kt->rep.ksyms);
	e = perf_report__out(f, out, kt->rep.folded, &sum, &l);
	err = err ? err : e;
	json__uint(out->json, "samples_not_in_stacks", kt->rep.hits - kt->rep.counted);
	e = tp_report__reset(&kt->rep);
	return err ? err : e;
}

/* See kmod-dev.h: sampling off is the module's deactivation, which keeps the rows. */
int kmod_perf__enable(struct diag_feature *f, bool on)
{
	struct kmod_tp *kt = f->priv;
	int err;

	if (!kt || f->pin_dir)
		return -ENOTSUP;
	if (on)
		return kmod__activate(kt->fd, DIAG_perf, f->settings,
				      diag_descs[DIAG_perf].settings_size, false);
	err = kmod__deactivate(kt->fd, DIAG_perf);
	return err == -ENOENT ? 0 : err;
}

/* Close the device: a private activation ends with it, a persistent one stays. */
static void kmod_tp_free(struct diag_feature *f)
{
	struct kmod_tp *kt = f->priv;

	if (!kt)
		return;
	close(kt->fd);
	tp_report__free(&kt->rep);
	free(kt);
	f->priv = NULL;
}

const struct diag_ops kmod_kprobe_ops = {
	.id = DIAG_kprobe,
	.probe = kmod_kprobe_probe,
	.activate = kmod_tp_activate,
	.poll = kmod_tp_poll,
	.deactivate = kmod_tp_deactivate,
	.report = kmod_tp_report,
	.reopen = kmod_tp_reopen,
	.check = kprobe__check,
	.free = kmod_tp_free,
};

const struct diag_ops kmod_tracepoint_ops = {
	.id = DIAG_tracepoint,
	.probe = kmod_tracepoint_probe,
	.activate = kmod_tp_activate,
	.poll = kmod_tp_poll,
	.deactivate = kmod_tp_deactivate,
	.report = kmod_tp_report,
	.reopen = kmod_tp_reopen,
	.check = tracepoint__check,
	.free = kmod_tp_free,
};

const struct diag_ops kmod_perf_ops = {
	.id = DIAG_perf,
	.probe = kmod_perf_probe,
	.activate = kmod_tp_activate,
	.poll = kmod_tp_poll,
	.deactivate = kmod_tp_deactivate,
	.report = kmod_perf_report,
	.reopen = kmod_tp_reopen,
	.free = kmod_tp_free,
};
