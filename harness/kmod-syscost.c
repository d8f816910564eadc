// SPDX-License-Identifier: GPL-2.0
/*
 * kmod-syscost.c - sys-cost on the kernel module (kmod/feat_syscost.c):
 * activate through /dev/hld, and at report time drain the module's
 * generation of rows (struct hld_syscost_record, one per CPU and pair) into
 * the same syscost.txt and syscost.json as the eBPF backend
 * (harness/syscost-report.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>		/* libbpf_num_possible_cpus() */

#include "diag.h"
#include "kmod-dev.h"
#include "syscost-report.h"

/* A process's name: the comm of its most recently named row. */
struct kmod_comm {
	uint32_t tgid;
	uint64_t ts;
	char comm[HLD_COMM_LEN];
};

struct kmod_comms {
	struct kmod_comm *v;
	size_t n;
};

static int kmod_syscost_probe(char *why, size_t len)
{
	return kmod__probe(DIAG_sys_cost, why, len);
}

static int kmod_comm__cmp(const void *a, const void *b)
{
	const struct kmod_comm *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->ts < y->ts ? 1 : x->ts > y->ts ? -1 : 0;	/* latest first */
}

static int kmod_comm__of(void *ctx, uint32_t tgid, char *comm)
{
	struct kmod_comms *c = ctx;
	size_t lo = 0, hi = c->n;

	while (lo < hi) {	/* the first entry of @tgid: its latest name */
		size_t mid = (lo + hi) / 2;

		if (c->v[mid].tgid < tgid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->n || c->v[lo].tgid != tgid)
		return -1;
	memcpy(comm, c->v[lo].comm, HLD_COMM_LEN);
	return 0;
}

/* Sort the module's rows into @d; the names go to @comms. */
static int kmod_syscost__parse(const void *buf, size_t len, struct sc_data *d,
			       struct kmod_comms *comms)
{
	size_t off = 0;

	comms->v = calloc(len / sizeof(struct hld_syscost_record) + 1, sizeof(*comms->v));
	if (!comms->v)
		return -ENOMEM;
	while (off + sizeof(struct hld_record_header) <= len) {
		const struct hld_syscost_record *r = (const void *)((const char *)buf + off);
		struct syscost_val v;
		int err;

		if (r->hdr.len < sizeof(*r) || off + r->hdr.len > len ||
		    r->hdr.type != HLD_REC_SYSCOST)
			return -EPROTO;
		off += r->hdr.len;
		if (r->nr >= SYSCOST_NR_SLOTS || (int)r->cpu >= d->nr_cpus)
			return -EPROTO;
		v.count = r->count;
		v.total_ns = r->total_ns;
		v.max_ns = r->max_ns;
		d->cpus[r->cpu].count += r->count;
		d->cpus[r->cpu].total_ns += r->total_ns;
		if (r->flags & HLD_SYSCOST_OVERFLOW) {
			syscost__add(&d->nrs[r->nr].v, &v);
			continue;
		}
		err = syscost__add_pair(d, r->tgid, r->nr, &v);
		if (err)
			return err;
		comms->v[comms->n].tgid = r->tgid;
		comms->v[comms->n].ts = r->hdr.ts;
		memcpy(comms->v[comms->n].comm, r->comm, HLD_COMM_LEN);
		comms->v[comms->n++].comm[HLD_COMM_LEN - 1] = '\0';
	}
	qsort(comms->v, comms->n, sizeof(*comms->v), kmod_comm__cmp);
	return 0;
}

/* Drain the module's rows since the last report, and write the report. */
static int kmod_syscost_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct kmod_feature *sc = kmod__feature(f, sizeof(*sc));
	struct kmod_comms comms = { 0 };
	struct hld_ioc_status st;
	struct sc_data d;
	void *buf = NULL;
	size_t len = 0;
	int err, err2;

	err = syscost__data_init(&d, libbpf_num_possible_cpus());
	if (!err && !sc)
		err = -errno;
	if (!err)
		err = kmod__report(sc->fd, DIAG_sys_cost, &buf, &len);
	if (!err)
		err = kmod_syscost__parse(buf, len, &d, &comms);
	if (!err)
		err = syscost__build(&d, kmod_comm__of, &comms);
	if (sc && !kmod__status(sc->fd, DIAG_sys_cost, &st)) {
		d.drop_start = st.drops_cause[0];
		d.drop_proc = st.drops_cause[1];
	}
	err2 = syscost__report_out(f, &d, "kmod", out, !err);
	free(buf);
	free(comms.v);
	syscost__data_free(&d);
	return err ? err : err2;
}

const struct diag_ops kmod_sys_cost_ops = {
	.id = DIAG_sys_cost,
	.probe = kmod_syscost_probe,
	.activate = kmod__feature_activate,
	.deactivate = kmod__feature_deactivate,
	.report = kmod_syscost_report,
	.reopen = kmod__feature_reopen,
	.free = kmod__feature_free,
};
