// SPDX-License-Identifier: GPL-2.0
/*
 * kmod-execmon.c - exec-monitor on the kernel module (kmod/feat_execmon.c):
 * activate through /dev/hld, take the module's struct hld_exec_record from
 * read() (the process's one reader, kmod-dev.c) on every poll, and write
 * the same exec.txt and exec.json as the eBPF backend
 * (harness/execmon-report.c). The module's counters (execs seen, ring-full
 * drops, unreadable argv) come from its status.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "diag.h"
#include "execmon-report.h"
#include "kmod-dev.h"

/* Records preallocated: what the module's rings hold, up to this. */
#define KEM_PREALLOC	4096

struct kmod_execmon {
	int fd;			/* /dev/hld; closing it ends a private activation */
	bool subscribed;	/* HLD_REC_EXEC records come here */
	struct execmon_recs recs;
};

static int kmod_execmon_probe(char *why, size_t len)
{
	return kmod__probe(DIAG_exec_monitor, why, len);
}

static void kmod_execmon__on_record(void *ctx, const void *rec, size_t len)
{
	execmon__keep(ctx, rec, len);
}

/* The adapter state of @f, its device open and its records subscribed to. */
static struct kmod_execmon *kmod_execmon__priv(struct diag_feature *f, int *err)
{
	struct kmod_execmon *em = f->priv;

	if (!em) {
		em = calloc(1, sizeof(*em));
		if (!em) {
			*err = -ENOMEM;
			return NULL;
		}
		em->fd = kmod__open();
		if (em->fd < 0) {
			*err = em->fd;
			free(em);
			return NULL;
		}
		f->priv = em;
	}
	*err = 0;
	if (!em->subscribed) {
		*err = kmod__records_subscribe(HLD_REC_EXEC, kmod_execmon__on_record, &em->recs);
		em->subscribed = !*err;
	}
	return *err ? NULL : em;
}

/*
 * Room for what the module's per-CPU rings (256 KiB each) can hold, then
 * activate; a persistent activation (f->pin_dir set) outlives this process.
 */
static int kmod_execmon_activate(struct diag_feature *f)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	size_t want = (size_t)(cpus > 0 ? cpus : 1) * (256u << 10) /
		      sizeof(struct hld_exec_record);
	struct kmod_execmon *em;
	int err;

	em = kmod_execmon__priv(f, &err);
	if (!em)
		return err;
	f->kernel_cost_in_thread = false;
	err = execmon__prealloc(&em->recs, want > KEM_PREALLOC ? KEM_PREALLOC : want);
	if (err)
		return err;
	return kmod__activate(em->fd, DIAG_exec_monitor, f->settings,
			      diag_descs[DIAG_exec_monitor].settings_size, f->pin_dir);
}

/* Attach to a persistent activation: it must be active in the module. */
static int kmod_execmon_reopen(struct diag_feature *f)
{
	struct kmod_execmon *em;
	struct hld_ioc_status st;
	int err;

	em = kmod_execmon__priv(f, &err);
	if (!em)
		return err;
	err = kmod__status(em->fd, DIAG_exec_monitor, &st);
	if (!err && st.state != HLD_FSTATE_ACTIVE)
		err = -ENOENT;
	return err;
}

/* The module's counters since activation (kept after deactivation). */
static int kmod_execmon__totals(struct kmod_execmon *em, struct execmon_totals *t)
{
	struct hld_ioc_status st;
	int err = kmod__status(em->fd, DIAG_exec_monitor, &st);

	if (err)
		return err;
	t->seen = st.events;
	t->drops = st.drops_cause[0];
	t->args_err = st.drops_cause[1];
	return 0;
}

/* Take the records ready into those of the next report. */
static int kmod_execmon_poll(struct diag_feature *f)
{
	struct kmod_execmon *em = f->priv;
	struct execmon_totals t;
	int err;

	if (!em || !em->subscribed)
		return 0;
	err = kmod__records_drain();
	if (err < 0)
		return err;
	f->events = em->recs.n;
	if (!kmod_execmon__totals(em, &t))
		f->drops = t.drops;
	return em->recs.err;
}

/* Stop; the records emitted until then are taken, and stay for report(). */
static int kmod_execmon_deactivate(struct diag_feature *f)
{
	struct kmod_execmon *em = f->priv;
	int err, err2;

	if (!em)
		return 0;
	err = kmod__deactivate(em->fd, DIAG_exec_monitor);
	if (err == -ENOENT)
		err = 0;
	err2 = kmod_execmon_poll(f);
	return err ? err : err2;
}

/* Take what is left, and write the report of the records since the last one. */
static int kmod_execmon_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct execmon_recs none = { 0 };
	struct execmon_totals t = { 0 };
	struct kmod_execmon *em;
	int err, err2;

	em = kmod_execmon__priv(f, &err);
	if (em) {
		err = kmod__records_drain();
		if (err >= 0)
			err = em->recs.err;
	}
	if (!err)
		err = kmod_execmon__totals(em, &t);
	err2 = execmon__report_out(f, em ? &em->recs : &none, &t, "kmod", out, !err);
	return err ? err : err2;
}

/* Close the device: a private activation ends with it, a persistent one stays. */
static void kmod_execmon_free(struct diag_feature *f)
{
	struct kmod_execmon *em = f->priv;

	if (!em)
		return;
	if (em->subscribed)
		kmod__records_unsubscribe(HLD_REC_EXEC);
	close(em->fd);
	free(em->recs.v);
	free(em);
	f->priv = NULL;
}

const struct diag_ops kmod_exec_monitor_ops = {
	.id = DIAG_exec_monitor,
	.probe = kmod_execmon_probe,
	.activate = kmod_execmon_activate,
	.poll = kmod_execmon_poll,
	.deactivate = kmod_execmon_deactivate,
	.report = kmod_execmon_report,
	.reopen = kmod_execmon_reopen,
	.free = kmod_execmon_free,
};
