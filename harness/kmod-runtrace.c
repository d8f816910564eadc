// SPDX-License-Identifier: GPL-2.0
/*
 * kmod-runtrace.c - run-trace on the kernel module (kmod/feat_runtrace.c):
 * activate through /dev/hld, read the intervals (struct
 * hld_runtrace_record) from the device every poll, and at report time
 * take the module's totals and their cut (struct hld_runtrace_totals) and
 * write the same run-trace.txt and run-trace.json as the eBPF backend
 * (harness/runtrace-report.c).
 *
 * The module emits into per-CPU buffers: records come in CPU order, so the
 * timeline is sorted by start; those that ended after the cut belong to
 * the next report and are kept for it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "kmod-dev.h"
#include "runtrace-report.h"

struct kmod_runtrace {
	int fd;				/* /dev/hld; closing it ends a private activation */
	struct rt_timeline tl;		/* intervals read, not reported yet */
	struct rt_totals done;		/* totals of the phases ended, not reported yet */
	struct rt_losses lost;		/* losses of the phases ended */
	uint64_t cut;			/* the cut of the totals in done (0: none) */
	bool active;
};

static int kmod_runtrace_probe(char *why, size_t len)
{
	return kmod__probe(DIAG_run_trace, why, len);
}

static struct kmod_runtrace *kmod_runtrace__priv(struct diag_feature *f)
{
	struct kmod_runtrace *rt = f->priv;

	if (rt)
		return rt;
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return NULL;
	rt->fd = kmod__open();
	if (rt->fd < 0) {
		errno = -rt->fd;
		free(rt);
		return NULL;
	}
	runtrace__timeline_init(&rt->tl);
	f->priv = rt;
	return rt;
}

static int kmod_runtrace__keep(void *ctx, const void *rec, size_t size)
{
	return runtrace__keep(ctx, rec, size);
}

static int kmod_runtrace__discard(void *ctx, const void *rec, size_t size)
{
	return 0;
}

/* Read the intervals ready in the device into the timeline. */
static int kmod_runtrace__read(struct kmod_runtrace *rt)
{
	return kmod__drain(DIAG_run_trace, KMOD_REC(HLD_REC_RUNTRACE), kmod_runtrace__keep, &rt->tl);
}

/* The module's losses since activation. */
static int kmod_runtrace__losses(struct kmod_runtrace *rt, struct rt_losses *l)
{
	struct hld_ioc_status st;
	int err = kmod__status(rt->fd, DIAG_run_trace, &st);

	if (!err) {
		l->drops = st.drops_cause[0];
		l->no_stack = st.drops_cause[1];
	}
	return err;
}

/*
 * Take the module's totals since the last drain into @t, with their cut
 * into rt->cut, and read the intervals emitted up to then.
 */
static int kmod_runtrace__drain(struct kmod_runtrace *rt, struct rt_totals *t)
{
	const struct hld_runtrace_totals *tot;
	struct rt_totals add;
	void *buf;
	size_t len;
	int err;

	err = kmod__report(rt->fd, DIAG_run_trace, &buf, &len);
	if (err)
		return err;
	tot = buf;
	if (len < sizeof(*tot) || tot->hdr.type != HLD_REC_RUNTRACE_TOTALS ||
	    tot->hdr.len != sizeof(*tot)) {
		free(buf);
		return -EPROTO;
	}
	memcpy(add.oncpu_ns, tot->oncpu_ns, sizeof(add.oncpu_ns));
	memcpy(add.offcpu_ns, tot->offcpu_ns, sizeof(add.offcpu_ns));
	memcpy(add.offcpu_cnt, tot->offcpu_cnt, sizeof(add.offcpu_cnt));
	runtrace__totals_add(t, &add);
	rt->cut = tot->hdr.ts;
	free(buf);
	return kmod_runtrace__read(rt);
}

/*
 * Trace s->pid (EINVAL without one), from a clean device: records of an
 * earlier activation that nobody read are discarded. A persistent
 * activation (f->pin_dir set) outlives this process's fd.
 */
static int kmod_runtrace_activate(struct diag_feature *f)
{
	const struct hld_runtrace_settings *s = f->settings;
	struct kmod_runtrace *rt;
	int err;

	if (s->pid <= 0)
		return -EINVAL;
	rt = kmod_runtrace__priv(f);
	if (!rt)
		return -errno;
	f->kernel_cost_in_thread = false;
	err = kmod__drain(DIAG_run_trace, KMOD_REC(HLD_REC_RUNTRACE), kmod_runtrace__discard, NULL);
	if (!err)
		err = kmod__activate(rt->fd, DIAG_run_trace, s, sizeof(*s), f->pin_dir);
	rt->active = !err;
	return err;
}

/* Attach to a persistent activation: it must be active in the module. */
static int kmod_runtrace_reopen(struct diag_feature *f)
{
	struct kmod_runtrace *rt = kmod_runtrace__priv(f);
	struct hld_ioc_status st;
	int err;

	if (!rt)
		return -errno;
	err = kmod__status(rt->fd, DIAG_run_trace, &st);
	if (!err && st.state != HLD_FSTATE_ACTIVE)
		err = -ENOENT;
	rt->active = !err;
	return err;
}

/* Read the device into memory; events count what the next report will show. */
static int kmod_runtrace_poll(struct diag_feature *f)
{
	struct kmod_runtrace *rt = f->priv;
	struct rt_losses l;
	int err;

	if (!rt || !rt->active)
		return 0;
	err = kmod_runtrace__read(rt);
	if (!err)
		err = kmod_runtrace__losses(rt, &l);
	if (err)
		return err;
	f->events = rt->tl.nr_recs;
	f->drops = rt->lost.drops + l.drops;
	return rt->tl.rec_err;
}

/* Stop tracing, and keep this phase's totals and losses for the report. */
static int kmod_runtrace_deactivate(struct diag_feature *f)
{
	struct kmod_runtrace *rt = f->priv;
	struct rt_losses l = { 0 };
	int err;

	if (!rt || !rt->active)
		return 0;
	err = kmod__deactivate(rt->fd, DIAG_run_trace);
	if (err == -ENOENT)
		err = 0;
	rt->active = false;
	if (!err)
		err = kmod_runtrace__losses(rt, &l);
	rt->lost.drops += l.drops;
	rt->lost.no_stack += l.no_stack;
	f->drops = rt->lost.drops;
	if (!err)
		err = kmod_runtrace__drain(rt, &rt->done);
	return err;
}

/* qsort_r: intervals ended after the cut *@cut last, otherwise by start. */
static int kmod_runtrace__cmp(const void *a, const void *b, void *cut)
{
	const struct hld_runtrace_record *x = a, *y = b;
	bool lx = x->hdr.ts + x->duration_ns > *(uint64_t *)cut;
	bool ly = y->hdr.ts + y->duration_ns > *(uint64_t *)cut;

	if (lx != ly)
		return lx ? 1 : -1;
	return x->hdr.ts < y->hdr.ts ? -1 : x->hdr.ts > y->hdr.ts;
}

/*
 * Write run-trace.txt and run-trace.json with what ended since the last
 * report, then forget it; intervals that ended after the cut stay for the
 * next report.
 */
static int kmod_runtrace_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct kmod_runtrace *rt = kmod_runtrace__priv(f);
	struct rt_timeline view;
	struct rt_totals t;
	struct rt_losses l = { 0 };
	size_t n = 0;
	int err;

	if (!rt)
		return -errno;
	t = rt->done;
	err = kmod_runtrace__drain(rt, &t);
	if (!err && rt->active)
		err = kmod_runtrace__losses(rt, &l);
	if (err)
		return err;
	l.drops += rt->lost.drops;
	l.no_stack += rt->lost.no_stack;
	qsort_r(rt->tl.recs, rt->tl.nr_recs, sizeof(*rt->tl.recs), kmod_runtrace__cmp, &rt->cut);
	while (n < rt->tl.nr_recs &&
	       rt->tl.recs[n].hdr.ts + rt->tl.recs[n].duration_ns <= rt->cut)
		n++;
	view = rt->tl;
	view.nr_recs = n;
	err = runtrace__report_out(f, &view, &t, &l, "kmod", out);
	/* Reported: the next report starts from here. */
	memmove(rt->tl.recs, rt->tl.recs + n, (rt->tl.nr_recs - n) * sizeof(*rt->tl.recs));
	rt->tl.nr_recs -= n;
	rt->tl.rec_err = 0;
	memset(&rt->done, 0, sizeof(rt->done));
	return err;
}

/* Close the device: a private activation ends with it, a persistent one stays. */
static void kmod_runtrace_free(struct diag_feature *f)
{
	struct kmod_runtrace *rt = f->priv;

	if (!rt)
		return;
	close(rt->fd);
	runtrace__timeline_free(&rt->tl);
	free(rt);
	f->priv = NULL;
}

const struct diag_ops kmod_run_trace_ops = {
	.id = DIAG_run_trace,
	.probe = kmod_runtrace_probe,
	.activate = kmod_runtrace_activate,
	.poll = kmod_runtrace_poll,
	.deactivate = kmod_runtrace_deactivate,
	.report = kmod_runtrace_report,
	.reopen = kmod_runtrace_reopen,
	.free = kmod_runtrace_free,
};
