// SPDX-License-Identifier: GPL-2.0
/*
 * kmod-loadmon.c - load-monitor on the kernel module (kmod/feat_loadmon.c):
 * activate through /dev/hld, read the captures (struct hld_loadmon_task,
 * struct hld_loadmon_capture) from the device every poll, and at report
 * time take the module's window and figures (struct hld_loadmon_stats) and
 * write the same loadmon.txt, loadmon.json, loadmon.folded and
 * loadmon-checks.csv as the eBPF backend (harness/loadmon-report.c). The
 * module keeps no history of single checks: loadmon-checks.csv has its
 * header only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "kmod-dev.h"
#include "loadmon-report.h"

#define KMOD_LOADMON_RECS (KMOD_REC(HLD_REC_LOADMON_TASK) | KMOD_REC(HLD_REC_LOADMON_CAPTURE))

struct kmod_loadmon {
	int fd;				/* /dev/hld; closing it ends a private activation */
	bool active;
	struct lm_data d;		/* what was read since the last report */
};

static int kmod_loadmon_probe(char *why, size_t len)
{
	return kmod__probe(DIAG_load_monitor, why, len);
}

static struct kmod_loadmon *kmod_loadmon__priv(struct diag_feature *f)
{
	struct kmod_loadmon *lm = f->priv;

	if (lm)
		return lm;
	lm = calloc(1, sizeof(*lm));
	if (!lm)
		return NULL;
	lm->fd = kmod__open();
	if (lm->fd < 0) {
		errno = -lm->fd;
		free(lm);
		return NULL;
	}
	lm->d.backend = "kmod";
	f->priv = lm;
	return lm;
}

static int kmod_loadmon__keep(void *ctx, const void *rec, size_t size)
{
	return loadmon__record(ctx, rec, size);
}

static int kmod_loadmon__discard(void *ctx, const void *rec, size_t size)
{
	return 0;
}

/* Read the captures ready in the device. */
static int kmod_loadmon__read(struct kmod_loadmon *lm)
{
	int err = kmod__drain(DIAG_load_monitor, KMOD_LOADMON_RECS, kmod_loadmon__keep, &lm->d);

	return err ? err : lm->d.rec_err;
}

/*
 * Start the checks, from a clean device: captures of an earlier activation
 * that nobody read are discarded. A persistent activation (f->pin_dir set)
 * outlives this process's fd.
 */
static int kmod_loadmon_activate(struct diag_feature *f)
{
	struct kmod_loadmon *lm = kmod_loadmon__priv(f);
	int err;

	if (!lm)
		return -errno;
	f->kernel_cost_in_thread = false;
	err = kmod__drain(DIAG_load_monitor, KMOD_LOADMON_RECS, kmod_loadmon__discard, NULL);
	if (!err)
		err = kmod__activate(lm->fd, DIAG_load_monitor, f->settings,
				     sizeof(struct hld_loadmon_settings), f->pin_dir);
	lm->active = !err;
	return err;
}

/* Attach to a persistent activation: it must be active in the module. */
static int kmod_loadmon_reopen(struct diag_feature *f)
{
	struct kmod_loadmon *lm = kmod_loadmon__priv(f);
	struct hld_ioc_status st;
	int err;

	if (!lm)
		return -errno;
	f->kernel_cost_in_thread = false;
	err = kmod__status(lm->fd, DIAG_load_monitor, &st);
	if (!err && st.state != HLD_FSTATE_ACTIVE)
		err = -ENOENT;
	lm->active = !err;
	return err;
}

/* Every DIAG_POLL_MS: take the captures, so the device's buffers never fill. */
static int kmod_loadmon_poll(struct diag_feature *f)
{
	struct kmod_loadmon *lm = f->priv;

	if (!lm || !lm->active)
		return 0;
	return kmod_loadmon__read(lm);
}

/* Stop the checks (the window stays in the module for report()) and take what they left. */
static int kmod_loadmon_deactivate(struct diag_feature *f)
{
	struct kmod_loadmon *lm = f->priv;
	int err;

	if (!lm || !lm->active)
		return 0;
	err = kmod__deactivate(lm->fd, DIAG_load_monitor);
	if (err == -ENOENT)
		err = 0;
	lm->active = false;
	return err ? err : kmod_loadmon__read(lm);
}

/* Add the window of @k (checks since the last report) to @w. */
static void kmod_loadmon__window(struct loadmon_window *w, const struct hld_loadmon_stats *k)
{
	w->checks += k->checks;
	w->sum_r += k->sum_r;
	w->sum_d += k->sum_d;
	if (k->max_r > w->max_r)
		w->max_r = k->max_r;
	if (k->max_d > w->max_d)
		w->max_d = k->max_d;
	w->crossed += k->crossed;
	w->captures += k->captures;
	w->tasks += k->tasks;
}

/* Take the module's window and figures, then the captures, and write the report. */
static int kmod_loadmon_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct kmod_loadmon *lm = kmod_loadmon__priv(f);
	const struct hld_loadmon_stats *k;
	void *buf = NULL;
	size_t len = 0;
	int err;

	if (!lm)
		return -errno;
	err = kmod__report(lm->fd, DIAG_load_monitor, &buf, &len);
	if (err)
		return err;
	k = buf;
	if (len < sizeof(*k) || k->hdr.type != HLD_REC_LOADMON_STATS || k->hdr.len != sizeof(*k)) {
		free(buf);
		return -EPROTO;
	}
	kmod_loadmon__window(&lm->d.win, k);
	lm->d.k = *k;
	free(buf);
	f->kernel_run_ns = lm->d.k.run_ns;
	f->kernel_run_cnt = lm->d.k.run_cnt;
	err = kmod_loadmon__read(lm);
	if (err)
		return err;
	return loadmon__report_out(f, &lm->d, out);
}

/* Close the device: a private activation ends with it, a persistent one stays. */
static void kmod_loadmon_free(struct diag_feature *f)
{
	struct kmod_loadmon *lm = f->priv;

	if (!lm)
		return;
	close(lm->fd);
	loadmon__data_free(&lm->d);
	free(lm);
	f->priv = NULL;
}

const struct diag_ops kmod_load_monitor_ops = {
	.id = DIAG_load_monitor,
	.probe = kmod_loadmon_probe,
	.activate = kmod_loadmon_activate,
	.poll = kmod_loadmon_poll,
	.deactivate = kmod_loadmon_deactivate,
	.report = kmod_loadmon_report,
	.reopen = kmod_loadmon_reopen,
	.free = kmod_loadmon_free,
};
