// SPDX-License-Identifier: GPL-2.0
/*
 * kmod-mutexmon.c - mutex-monitor on the kernel module
 * (kmod/feat_mutexmon.c): activate through /dev/hld, and at report time
 * drain the module's generation of rows (struct hld_mutex_record, one per
 * CPU and key, with the waiter's stack) and of hold times (struct
 * hld_mutex_hold_record, one per lock) into the same mutex.txt, mutex.json
 * and mutex.folded as the eBPF backend (harness/mutex-report.c), with the
 * hold time the eBPF backend cannot measure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag.h"
#include "kmod-dev.h"
#include "mutex-report.h"
#include "syms.h"

#define KMOD_MUTEX_HOLD_TIME	"measured: from acquisition to mutex_unlock (kprobe), for the " \
				"mutexes seen contended"
#define KMOD_MUTEX_LIMITS	"wait counts, wait time, waiter stacks, the mutex owner at wait " \
				"start, and hold times of contended mutexes (a hold begun before " \
				"its lock was first seen contended is timed from that contention: " \
				"a lower bound); not shown: the holder's stack"

struct kmod_stack {
	uint32_t nr;
	uint64_t ips[HLD_MAX_STACK];
};

struct kmod_mutexmon {
	int fd;			/* /dev/hld; closing it ends a private activation */
	struct ksyms *ksyms;	/* NULL if /proc/kallsyms cannot be read */
	/* the stacks of one drain, interned: a row's kstack_id indexes them */
	struct kmod_stack *stacks;
	size_t nr_stacks, cap_stacks;
};

/* Usable if the module has the feature; @why then says what it shows. */
static int kmod_mutexmon_probe(char *why, size_t len)
{
	int err = kmod__probe(DIAG_mutex_monitor, why, len);

	if (!err)
		snprintf(why, len, "%s", KMOD_MUTEX_LIMITS);
	return err;
}

static struct kmod_mutexmon *kmod_mutexmon__priv(struct diag_feature *f)
{
	struct kmod_mutexmon *m = f->priv;

	if (m)
		return m;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->fd = kmod__open();
	if (m->fd < 0) {
		errno = -m->fd;
		free(m);
		return NULL;
	}
	m->ksyms = ksyms__load();	/* NULL: frames become addresses */
	f->priv = m;
	return m;
}

/* A persistent activation (f->pin_dir set) outlives this process's fd. */
static int kmod_mutexmon_activate(struct diag_feature *f)
{
	struct kmod_mutexmon *m = kmod_mutexmon__priv(f);

	if (!m)
		return -errno;
	return kmod__activate(m->fd, DIAG_mutex_monitor, f->settings,
			      diag_descs[DIAG_mutex_monitor].settings_size, f->pin_dir);
}

/* Attach to a persistent activation: it must be active in the module. */
static int kmod_mutexmon_reopen(struct diag_feature *f)
{
	struct kmod_mutexmon *m = kmod_mutexmon__priv(f);
	struct hld_ioc_status st;
	int err;

	if (!m)
		return -errno;
	err = kmod__status(m->fd, DIAG_mutex_monitor, &st);
	if (!err && st.state != HLD_FSTATE_ACTIVE)
		err = -ENOENT;
	return err;
}

/* Stop following; the rows stay in the module for report(). */
static int kmod_mutexmon_deactivate(struct diag_feature *f)
{
	struct kmod_mutexmon *m = f->priv;
	struct hld_ioc_status st;
	int err;

	if (!m)
		return 0;
	if (!kmod__status(m->fd, DIAG_mutex_monitor, &st))
		f->drops = st.drops;
	err = kmod__deactivate(m->fd, DIAG_mutex_monitor);
	return err == -ENOENT ? 0 : err;
}

/* The id of @r's stack among this drain's, interned. -ENOMEM on failure. */
static int32_t kmod_mutexmon__intern(struct kmod_mutexmon *m, const struct hld_mutex_record *r)
{
	uint32_t nr = r->nr_kstack < HLD_MAX_STACK ? r->nr_kstack : HLD_MAX_STACK;
	struct kmod_stack *s;

	for (size_t i = 0; i < m->nr_stacks; i++)
		if (m->stacks[i].nr == nr && !memcmp(m->stacks[i].ips, r->kstack, nr * 8))
			return i;
	if (bpf_util__reserve((void **)&m->stacks, &m->cap_stacks, m->nr_stacks + 1,
			      sizeof(*m->stacks)))
		return -ENOMEM;
	s = &m->stacks[m->nr_stacks];
	memset(s, 0, sizeof(*s));
	s->nr = nr;
	memcpy(s->ips, r->kstack, nr * 8);
	return m->nr_stacks++;
}

/* Kernel stack @id of this drain (mutex-report.h's mutex_stack_fn). */
static int kmod_mutexmon__stack(void *ctx, int32_t id, uint64_t *ips)
{
	struct kmod_mutexmon *m = ctx;

	if (id < 0 || (size_t)id >= m->nr_stacks)
		return -ENOENT;
	memcpy(ips, m->stacks[id].ips, sizeof(m->stacks[id].ips));
	return 0;
}

/* Fold one CPU's copy @v of a row into @sum: the maxima name their waiter and holder. */
static void kmod_mutexmon__merge(struct hld_mutex_val *sum, const struct hld_mutex_val *v)
{
	sum->count += v->count;
	sum->total_ns += v->total_ns;
	if (v->max_ns > sum->max_ns) {
		sum->max_ns = v->max_ns;
		sum->waiter_pid = v->waiter_pid;
		memcpy(sum->waiter_comm, v->waiter_comm, sizeof(sum->waiter_comm));
	}
	sum->holder_waits += v->holder_waits;
	if (v->holder_pid && v->holder_wait_ns >= sum->holder_wait_ns) {
		sum->holder_wait_ns = v->holder_wait_ns;
		sum->holder_pid = v->holder_pid;
		sum->holder_tgid = v->holder_tgid;
		memcpy(sum->holder_comm, v->holder_comm, sizeof(sum->holder_comm));
	}
}

/* Add one row (one CPU's) to @d, merged with the same key's. */
static int kmod_mutexmon__add_row(struct kmod_mutexmon *m, struct mutex_drained *d,
				  size_t *cap, const struct hld_mutex_record *r)
{
	struct hld_mutex_key key = r->key;
	int32_t id = kmod_mutexmon__intern(m, r);

	if (id < 0)
		return id;
	key.kstack_id = id;
	key.pad = 0;
	d->contentions += r->val.count;
	for (size_t i = 0; i < d->nr; i++)
		if (!memcmp(&d->rows[i].key, &key, sizeof(key))) {
			kmod_mutexmon__merge(&d->rows[i].val, &r->val);
			return 0;
		}
	if (bpf_util__reserve((void **)&d->rows, cap, d->nr + 1, sizeof(*d->rows)))
		return -ENOMEM;
	d->rows[d->nr].key = key;
	d->rows[d->nr].val = r->val;
	d->nr++;
	return 0;
}

/* Add one lock's hold times to @d, merged with the same lock's. */
static int kmod_mutexmon__add_hold(struct mutex_drained *d, size_t *cap,
				   const struct hld_mutex_hold_record *r)
{
	struct mutex_hold *h = NULL;

	for (size_t i = 0; i < d->nr_holds && !h; i++)
		if (d->holds[i].lock == r->lock)
			h = &d->holds[i];
	if (!h) {
		if (bpf_util__reserve((void **)&d->holds, cap, d->nr_holds + 1, sizeof(*d->holds)))
			return -ENOMEM;
		h = &d->holds[d->nr_holds++];
		memset(h, 0, sizeof(*h));
		h->lock = r->lock;
	}
	h->count += r->count;
	h->total_ns += r->total_ns;
	h->inexact += r->inexact;
	if (r->max_ns >= h->max_ns) {
		h->max_ns = r->max_ns;
		h->max_pid = r->max_pid;
		h->max_tgid = r->max_tgid;
		h->max_inexact = r->max_inexact;
		memcpy(h->max_comm, r->max_comm, sizeof(h->max_comm));
	}
	return 0;
}

/* The module's records of one drain into @d. */
static int kmod_mutexmon__parse(struct kmod_mutexmon *m, const void *buf, size_t len,
				struct mutex_drained *d)
{
	size_t off = 0, cap_rows = 0, cap_holds = 0;
	int err = 0;

	m->nr_stacks = 0;
	while (!err && off + sizeof(struct hld_record_header) <= len) {
		const struct hld_record_header *h = (const void *)((const char *)buf + off);

		if (h->len < sizeof(*h) || off + h->len > len)
			return -EPROTO;
		off += h->len;
		if (h->type == HLD_REC_MUTEX && h->len >= sizeof(struct hld_mutex_record)) {
			const struct hld_mutex_record *r = (const void *)h;

			if (r->rflags & HLD_MUTEX_SHORT)
				d->short_waits += r->val.count;
			else
				err = kmod_mutexmon__add_row(m, d, &cap_rows, r);
		} else if (h->type == HLD_REC_MUTEX_HOLD &&
			   h->len >= sizeof(struct hld_mutex_hold_record)) {
			err = kmod_mutexmon__add_hold(d, &cap_holds, (const void *)h);
		} else {
			return -EPROTO;
		}
	}
	return err;
}

/* Drain the module's rows since the last report, and write the report. */
static int kmod_mutexmon_report(struct diag_feature *f, const struct diag_outputs *out)
{
	static const char *const causes[] = { "task_table", "rows_full", "nmi", "lock_table_full" };
	struct kmod_mutexmon *m = kmod_mutexmon__priv(f);
	struct mutex_source src = {
		.backend = "kmod",
		.holds = true,
		.hold_time = KMOD_MUTEX_HOLD_TIME,
		.limits = KMOD_MUTEX_LIMITS,
		.cause_names = causes,
		.nr_causes = 4,
		.stack = kmod_mutexmon__stack,
		.ctx = m,
	};
	struct mutex_drained d = { 0 };
	struct hld_ioc_status st;
	char why[HLD_REASON_LEN + 32];
	uint64_t nr[4];
	void *buf = NULL;
	size_t len = 0;
	int err;

	if (!m)
		return -errno;
	src.ksyms = m->ksyms;
	err = kmod__report(m->fd, DIAG_mutex_monitor, &buf, &len);
	if (!err)
		err = kmod_mutexmon__parse(m, buf, len, &d);
	if (!err)
		err = kmod__status(m->fd, DIAG_mutex_monitor, &st);
	if (!err && st.reason[0]) {	/* the module could not kprobe mutex_unlock */
		snprintf(why, sizeof(why), "not available: %.*s", HLD_REASON_LEN, st.reason);
		src.holds = false;
		src.hold_time = why;
	}
	if (!err) {
		for (int i = 0; i < 4; i++)
			nr[i] = st.drops_cause[i];
		src.drops = st.drops;
		src.causes = nr;
		err = mutex__report_out(f, &src, &d, out);
	}
	free(buf);
	free(d.rows);
	free(d.holds);
	return err;
}

/* Close the device: a private activation ends with it, a persistent one stays. */
static void kmod_mutexmon_free(struct diag_feature *f)
{
	struct kmod_mutexmon *m = f->priv;

	if (!m)
		return;
	close(m->fd);
	if (m->ksyms)
		ksyms__free(m->ksyms);
	free(m->stacks);
	free(m);
	f->priv = NULL;
}

const struct diag_ops kmod_mutex_monitor_ops = {
	.id = DIAG_mutex_monitor,
	.probe = kmod_mutexmon_probe,
	.activate = kmod_mutexmon_activate,
	.deactivate = kmod_mutexmon_deactivate,
	.report = kmod_mutexmon_report,
	.reopen = kmod_mutexmon_reopen,
	.free = kmod_mutexmon_free,
};
