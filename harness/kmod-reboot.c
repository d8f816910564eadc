// SPDX-License-Identifier: GPL-2.0
/*
 * kmod-reboot.c - reboot on the kernel module (kmod/feat_reboot.c):
 * activate through /dev/hld, read the module's struct hld_reboot_record
 * from the device (every poll, and at deactivation and report), append
 * each to the persistent log and report them in the same reboot.txt and
 * reboot.json as the eBPF backend (harness/reboot-report.c). The records
 * come through the process's one /dev/hld reader (kmod-dev.h), which hands
 * this feature those of type HLD_REC_REBOOT.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "kmod-dev.h"
#include "reboot-report.h"

struct kmod_reboot {
	int fd;			/* /dev/hld; closing it ends a private activation */
	bool subscribed;	/* to HLD_REC_REBOOT on the process's reader */
	struct reboot_log log;
};

static int kmod_reboot_probe(char *why, size_t len)
{
	return kmod__probe(DIAG_reboot, why, len);
}

static void kmod_reboot__free_priv(struct kmod_reboot *kr)
{
	if (kr->subscribed)
		kmod__records_unsubscribe(HLD_REC_REBOOT);
	if (kr->fd >= 0)
		close(kr->fd);
	reboot_log__free(&kr->log);
	free(kr);
}

/* The reader's callback: log and keep a reboot record. */
static void kmod_reboot__on_record(void *ctx, const void *rec, size_t len)
{
	const struct hld_reboot_record *r = rec;
	struct kmod_reboot *kr = ctx;

	if (len < sizeof(*r) || r->hdr.version != HLD_RECORD_VERSION) {
		if (!kr->log.cb_err)
			kr->log.cb_err = -EPROTO;
		return;
	}
	reboot_log__record(&kr->log, r);
}

/* The private state of @f, created on first use: the device, the log, the subscription. */
static struct kmod_reboot *kmod_reboot__priv(struct diag_feature *f, int *err)
{
	struct kmod_reboot *kr = f->priv;

	if (kr)
		return kr;
	kr = calloc(1, sizeof(*kr));
	if (!kr) {
		*err = -ENOMEM;
		return NULL;
	}
	kr->log.log_fd = -1;
	kr->fd = kmod__open();
	*err = kr->fd < 0 ? kr->fd : reboot_log__init(&kr->log);
	if (!*err)
		*err = reboot_log__open(&kr->log, f->settings);
	if (!*err)
		*err = kmod__records_subscribe(DIAG_reboot, HLD_REC_REBOOT, kmod_reboot__on_record, kr);
	kr->subscribed = !*err;
	if (*err) {
		kmod_reboot__free_priv(kr);
		return NULL;
	}
	f->priv = kr;
	return kr;
}

/* A persistent activation (f->pin_dir set) outlives this process's fd. */
static int kmod_reboot_activate(struct diag_feature *f)
{
	struct kmod_reboot *kr;
	int err;

	kr = kmod_reboot__priv(f, &err);
	if (!kr)
		return err;
	return kmod__activate(kr->fd, DIAG_reboot, f->settings,
			      diag_descs[DIAG_reboot].settings_size, f->pin_dir);
}

/* Attach to a persistent activation: it must be active in the module. */
static int kmod_reboot_reopen(struct diag_feature *f)
{
	struct hld_ioc_status st;
	struct kmod_reboot *kr;
	int err;

	kr = kmod_reboot__priv(f, &err);
	if (!kr)
		return err;
	err = kmod__status(kr->fd, DIAG_reboot, &st);
	if (!err && st.state != HLD_FSTATE_ACTIVE)
		err = -ENOENT;
	return err;
}

/* Read the records ready into the log and the records kept for the report. */
static int kmod_reboot_poll(struct diag_feature *f)
{
	struct kmod_reboot *kr = f->priv;
	int n;

	if (!kr)
		return 0;
	n = kmod__records_drain();
	if (n < 0)
		return n;
	return kr->log.cb_err;
}

/* Stop catching calls, then read what the module emitted before it stopped. */
static int kmod_reboot_deactivate(struct diag_feature *f)
{
	struct kmod_reboot *kr = f->priv;
	struct hld_ioc_status st;
	int err;

	if (!kr)
		return 0;
	err = kmod__deactivate(kr->fd, DIAG_reboot);
	if (err == -ENOENT)
		err = 0;
	if (!kmod__status(kr->fd, DIAG_reboot, &st))
		f->drops = st.drops + kr->log.not_kept;
	return err ? err : kmod_reboot_poll(f);
}

/* Read what is left (into the log, too), then report the calls read since the last report. */
static int kmod_reboot_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct kmod_reboot *kr = f->priv;
	struct reboot_totals t = {
		.backend = "kmod",
		.how = "# hld.ko's sys_enter probe records each call into /dev/hld's buffer before\n"
		       "#   the call proceeds; the log line is written when user space reads it\n",
	};
	struct hld_ioc_status st;
	int err = 0;

	if (kr) {
		err = kmod_reboot_poll(f);
		if (!err)
			err = kmod__status(kr->fd, DIAG_reboot, &st);
		if (!err) {
			t.calls = st.events;
			t.ring_drops = st.drops_cause[0];
		}
	}
	if (err)
		return err;
	err = reboot__report_out(f, kr ? &kr->log : NULL, &t, out);
	if (kr)
		json__uint(out->json, "other_records_skipped", kmod__records_foreign());
	return err;
}

/* Close the device: a private activation ends with it, a persistent one stays. */
static void kmod_reboot_free(struct diag_feature *f)
{
	struct kmod_reboot *kr = f->priv;

	if (!kr)
		return;
	kmod_reboot__free_priv(kr);
	f->priv = NULL;
}

const struct diag_ops kmod_reboot_ops = {
	.id = DIAG_reboot,
	.probe = kmod_reboot_probe,
	.activate = kmod_reboot_activate,
	.poll = kmod_reboot_poll,
	.deactivate = kmod_reboot_deactivate,
	.report = kmod_reboot_report,
	.reopen = kmod_reboot_reopen,
	.free = kmod_reboot_free,
};
