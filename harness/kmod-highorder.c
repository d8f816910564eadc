// SPDX-License-Identifier: GPL-2.0
/*
 * kmod-highorder.c - high-order on the kernel module (kmod/feat_highorder.c):
 * activate through /dev/hld, and at report time drain the module's
 * generation of rows (struct hld_highorder_record, one per CPU and
 * process, comm, order and pair of stacks, the stacks as addresses), merge
 * a row's copies from different CPUs, name the frames (kernel ones from
 * /proc/kallsyms, user ones from the process's maps, snapshotted at the
 * report) and write the same high-order.txt, high-order.folded and
 * high-order.json as the eBPF backend (harness/highorder-report.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "highorder-report.h"
#include "kmod-dev.h"
#include "syms.h"

struct kmod_highorder {
	struct kmod_feature kf;		/* first: kmod__feature() */
	struct ksyms *ksyms;		/* NULL if /proc/kallsyms cannot be read */
	struct usyms *usyms;
};

/* One drain: the module's records, and what names their stacks. */
struct kmod_ho_drain {
	struct hld_highorder_record *recs;
	size_t nr;
	struct kmod_highorder *h;
};

static int kmod_highorder_probe(char *why, size_t len)
{
	return kmod__probe(DIAG_high_order, why, len);
}

/* The private state, created on first use with its symbol tables. */
static struct kmod_highorder *kmod_highorder__priv(struct diag_feature *f)
{
	struct kmod_highorder *h = f->priv;

	if (h)
		return h;
	h = kmod__feature(f, sizeof(*h));
	if (!h)
		return NULL;
	h->usyms = usyms__new();
	h->ksyms = ksyms__load();	/* NULL: kernel frames become addresses */
	return h;
}

static int kmod_highorder_activate(struct diag_feature *f)
{
	return kmod_highorder__priv(f) ? kmod__feature_activate(f) : -errno;
}

static int kmod_highorder_reopen(struct diag_feature *f)
{
	return kmod_highorder__priv(f) ? kmod__feature_reopen(f) : -errno;
}

/* A record's key and stacks in one order, so that a row's copies are adjacent. */
static int kmod_ho__cmp(const void *pa, const void *pb)
{
	const struct hld_highorder_record *a = pa, *b = pb;
	int c;

	if (a->tgid != b->tgid)
		return a->tgid < b->tgid ? -1 : 1;
	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	if (a->flags != b->flags)
		return a->flags < b->flags ? -1 : 1;
	if (a->nr_kstack != b->nr_kstack)
		return a->nr_kstack < b->nr_kstack ? -1 : 1;
	if (a->nr_ustack != b->nr_ustack)
		return a->nr_ustack < b->nr_ustack ? -1 : 1;
	c = memcmp(a->comm, b->comm, sizeof(a->comm));
	if (!c)
		c = memcmp(a->kstack, b->kstack, a->nr_kstack * sizeof(a->kstack[0]));
	if (!c)
		c = memcmp(a->ustack, b->ustack, a->nr_ustack * sizeof(a->ustack[0]));
	return c;
}

/*
 * Check the module's records in @buf into @d (sorted), and merge them into
 * @rows, one per row whatever CPU counted it: its stack ids are the index
 * of its first record in @d. 0, -ENOMEM or -EPROTO.
 */
static int kmod_ho__parse(const void *buf, size_t len, struct kmod_ho_drain *d,
			  struct highorder_row **rows, size_t *nr)
{
	size_t off = 0;

	*rows = NULL;
	*nr = 0;
	d->recs = malloc((len / sizeof(*d->recs) + 1) * sizeof(*d->recs));
	if (!d->recs)
		return -ENOMEM;
	while (off + sizeof(struct hld_record_header) <= len) {
		const struct hld_highorder_record *r = (const void *)((const char *)buf + off);

		if (r->hdr.len < sizeof(*r) || off + r->hdr.len > len ||
		    r->hdr.type != HLD_REC_HIGHORDER || r->nr_kstack > HLD_MAX_STACK ||
		    r->nr_ustack > HLD_MAX_STACK)
			return -EPROTO;
		off += r->hdr.len;
		d->recs[d->nr] = *r;
		d->recs[d->nr++].comm[HLD_COMM_LEN - 1] = '\0';
	}
	qsort(d->recs, d->nr, sizeof(*d->recs), kmod_ho__cmp);
	*rows = calloc(d->nr + 1, sizeof(**rows));
	if (!*rows)
		return -ENOMEM;
	for (size_t i = 0; i < d->nr; i++) {
		const struct hld_highorder_record *r = &d->recs[i];
		struct highorder_row *row;

		if (!i || kmod_ho__cmp(&d->recs[i - 1], r)) {
			row = &(*rows)[(*nr)++];
			row->key.tgid = r->tgid;
			row->key.order = r->order;
			row->key.kstack_id = i;
			row->key.ustack_id = r->flags & HLD_HIGHORDER_USER ? (int32_t)i : -1;
			memcpy(row->key.comm, r->comm, HLD_COMM_LEN);
		}
		(*rows)[*nr - 1].count += r->count;
	}
	return 0;
}

/*
 * Name the stack of record @id, innermost first. Kernel frames are return
 * addresses (look up addr - 1, the call); those of the tracepoint's
 * iterator atop the allocator (several probes on it) are left out. A user
 * stack starts with the user ip itself, then return addresses.
 */
static void kmod_ho__stack(void *ctx, int32_t id, bool user, uint32_t tgid,
			   struct highorder_stack *st)
{
	const struct kmod_ho_drain *d = ctx;
	const struct hld_highorder_record *r = &d->recs[id];
	const struct kmod_highorder *h = d->h;
	bool kernel_named = h->ksyms && !ksyms__restricted(h->ksyms);
	const __u64 *ips = user ? r->ustack : r->kstack;
	uint32_t n = user ? r->nr_ustack : r->nr_kstack;
	char buf[HIGHORDER_FRAME_LEN];

	st->nr = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t addr = user && !i ? ips[i] : ips[i] - 1;
		const char *name = NULL;

		if (user && h->usyms)
			name = usyms__name(h->usyms, tgid, addr, buf, sizeof(buf));
		else if (!user && kernel_named)
			name = ksyms__name(h->ksyms, addr);
		if (!user && !st->nr && name && !strncmp(name, "__traceiter_", 12))
			continue;
		highorder__stack_add(st, name, ips[i]);
	}
}

/*
 * Drain the module's rows since the last report, and write the report.
 * The maps of the processes with user stacks are read now: a process that
 * exited before the report keeps its user frames as addresses.
 */
static int kmod_highorder_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct kmod_highorder *h = kmod_highorder__priv(f);
	struct highorder_totals t = { .own_by = "process", .kernel_symbols_restricted = true };
	struct kmod_ho_drain d = { .h = h };
	struct highorder_row *rows = NULL;
	struct hld_ioc_status st;
	void *buf = NULL;
	size_t len = 0, nr = 0;
	int err;

	err = h ? kmod__report(h->kf.fd, DIAG_high_order, &buf, &len) : -errno;
	if (!err)
		err = kmod_ho__parse(buf, len, &d, &rows, &nr);
	if (!err && h->kf.reopened)
		t.own = highorder__leave_out(rows, &nr, getpid());
	for (size_t i = 0; !err && h->usyms && i < nr; i++)
		if (rows[i].key.ustack_id >= 0 && !usyms__has_pid(h->usyms, rows[i].key.tgid))
			usyms__add_pid(h->usyms, rows[i].key.tgid, false);
	if (!err && !kmod__status(h->kf.fd, DIAG_high_order, &st)) {
		t.since_activation = st.events;
		t.count_map_full = st.drops_cause[0];
	}
	if (h)
		t.kernel_symbols_restricted = !h->ksyms || ksyms__restricted(h->ksyms);
	if (!err)
		err = highorder__report_out(f, rows, nr, &t, kmod_ho__stack, &d, out);
	free(buf);
	free(rows);
	free(d.recs);
	return err;
}

static void kmod_highorder_free(struct diag_feature *f)
{
	struct kmod_highorder *h = f->priv;

	if (!h)
		return;
	if (h->ksyms)
		ksyms__free(h->ksyms);
	if (h->usyms)
		usyms__free(h->usyms);
	kmod__feature_free(f);
}

const struct diag_ops kmod_high_order_ops = {
	.id = DIAG_high_order,
	.probe = kmod_highorder_probe,
	.activate = kmod_highorder_activate,
	.deactivate = kmod__feature_deactivate,
	.report = kmod_highorder_report,
	.reopen = kmod_highorder_reopen,
	.free = kmod_highorder_free,
};
