// SPDX-License-Identifier: GPL-2.0
/*
 * syscost.c - sys-cost, user side: loads syscost.bpf.c once, attaches it
 * for each diagnosed phase, and at report time drains its maps (never a
 * private copy) into syscost.txt and syscost.json: per syscall, per
 * process and per CPU count and time of the syscalls that returned since
 * the previous report, and the drops since activation.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "diag.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "syscost-report.h"
#include "syscost.bpf.h"
#include "syscost.skel.h"

struct syscost {
	struct syscost_bpf *skel;	/* loaded at the first activate, kept to the end */
	struct bpf_link *enter, *exit;
	uint64_t run_ns, run_cnt;	/* program stats already added to the feature */
};

/*
 * Read the @n entries of the per-CPU array @fd from @first on, in @vals
 * (@vsize bytes per CPU), and zero each one that is not all zero: the
 * drained half of a generation, which no program writes any more. @fn
 * gets each entry's per-CPU values.
 */
static int syscost__drain_map(int fd, uint32_t first, uint32_t n, size_t vsize, int ncpu,
			      void *vals, void *zero,
			      int (*fn)(struct sc_data *d, uint32_t i, const void *vals),
			      struct sc_data *d)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t key = first + i;
		bool used = false;
		int err;

		if (bpf_map_lookup_elem(fd, &key, vals))
			return -errno;
		for (size_t b = 0; b < vsize * ncpu && !used; b++)
			used = ((const char *)vals)[b];
		if (!used)
			continue;
		err = fn(d, i, vals);
		if (err)
			return err;
		if (bpf_map_update_elem(fd, &key, zero, BPF_EXIST))
			return -errno;
	}
	return 0;
}

/* One slot of by_proc: each CPU's copy holding a pair becomes a row; the per-CPU view grows. */
static int syscost__add_slot(struct sc_data *d, uint32_t i, const void *vals)
{
	const struct syscost_slot *slot = vals;

	for (int c = 0; c < d->nr_cpus; c++) {
		struct sc_row *r;

		if (!slot[c].key || !slot[c].v.count)
			continue;
		if (bpf_util__reserve((void **)&d->pairs, &d->cap_pairs, d->nr_pairs + 1,
				      sizeof(*d->pairs)))
			return -ENOMEM;
		r = &d->pairs[d->nr_pairs++];
		r->tgid = syscost_key_tgid(slot[c].key);
		r->nr = syscost_key_nr(slot[c].key);
		r->v = slot[c].v;
		d->cpus[c].count += slot[c].v.count;
		d->cpus[c].total_ns += slot[c].v.total_ns;
	}
	return 0;
}

/* One syscall of the overflow array: into the per-syscall and per-CPU views only. */
static int syscost__add_overflow(struct sc_data *d, uint32_t nr, const void *vals)
{
	const struct syscost_val *v = vals;

	for (int c = 0; c < d->nr_cpus; c++) {
		syscost__add(&d->nrs[nr].v, &v[c]);
		d->cpus[c].count += v[c].count;
		d->cpus[c].total_ns += v[c].total_ns;
	}
	return 0;
}

/* The name of process @tgid from the comms map: 0, or -1 if it has none. */
static int syscost__comm(void *ctx, uint32_t tgid, char *comm)
{
	return bpf_map_lookup_elem(*(int *)ctx, &tgid, comm) ? -1 : 0;
}

/*
 * Drain what was counted since the last report into @d (left empty when
 * nothing was loaded): flip the generation, wait until no program can
 * still be counting into the old half, then read the old half of both
 * maps and zero it for its next turn. The drop counters are not drained.
 */
static int syscost__read(struct syscost *sc, struct sc_data *d)
{
	struct syscost_bpf *skel = sc ? sc->skel : NULL;
	size_t vsize = sizeof(struct syscost_slot);
	void *vals = NULL, *zero = NULL;
	int comms = skel ? bpf_map__fd(skel->maps.comms) : -1;
	uint32_t old;
	int err;

	memset(d, 0, sizeof(*d));
	if (!skel)
		return 0;
	d->nr_cpus = libbpf_num_possible_cpus();
	if (d->nr_cpus <= 0)
		return d->nr_cpus ? d->nr_cpus : -EINVAL;
	d->nrs = calloc(SYSCOST_NR_SLOTS, sizeof(*d->nrs));
	d->cpus = calloc(d->nr_cpus, sizeof(*d->cpus));
	vals = calloc(d->nr_cpus, vsize);
	zero = calloc(d->nr_cpus, vsize);
	err = d->nrs && d->cpus && vals && zero ? 0 : -ENOMEM;
	if (!err) {
		old = skel->bss->gen & 1;
		skel->bss->gen = old ^ 1;
		err = bpf_util__grace_period();
	}
	if (!err)
		err = syscost__drain_map(bpf_map__fd(skel->maps.by_proc),
					 old * SYSCOST_PROC_SLOTS, SYSCOST_PROC_SLOTS,
					 sizeof(struct syscost_slot), d->nr_cpus, vals, zero,
					 syscost__add_slot, d);
	if (!err)
		err = syscost__drain_map(bpf_map__fd(skel->maps.by_nr), old * SYSCOST_NR_SLOTS,
					 SYSCOST_NR_SLOTS, sizeof(struct syscost_val), d->nr_cpus,
					 vals, zero, syscost__add_overflow, d);
	if (!err)
		err = syscost__build(d, syscost__comm, &comms);
	free(vals);
	free(zero);
	d->drop_start = skel->bss->nr_drop_start;
	d->drop_proc = skel->bss->nr_drop_proc;
	return err;
}

/* Usable if BPF works and the kernel loads both raw_tp programs with task storage. */
static int syscost_probe(char *why, size_t len)
{
	struct syscost_bpf *skel;
	int err;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	skel = syscost_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "cannot load the raw_tp/sys_enter, sys_exit programs "
			 "with task storage: %s", strerror(-err));
		return err;
	}
	syscost_bpf__destroy(skel);
	return 0;
}

/* Load the programs once (the maps then accumulate over phases) and attach them. */
static int syscost_activate(struct diag_feature *f)
{
	const struct hld_syscost_settings *s = f->settings;
	struct syscost *sc = f->priv;
	int err;

	if (!sc) {
		sc = calloc(1, sizeof(*sc));
		if (!sc)
			return -ENOMEM;
		f->priv = sc;
	}
	if (!sc->skel) {
		sc->skel = syscost_bpf__open();
		if (!sc->skel)
			return -errno;
		sc->skel->rodata->targ_tgid = s->tgid;
		sc->skel->rodata->targ_pid = s->pid;
		memcpy((char *)sc->skel->rodata->targ_comm, s->comm, HLD_COMM_LEN);
		((char *)sc->skel->rodata->targ_comm)[HLD_COMM_LEN - 1] = '\0';
		sc->skel->rodata->count_only = !s->time;
		if (!s->time)	/* never attached: not loaded either */
			bpf_program__set_autoload(sc->skel->progs.syscost_exit, false);
		err = f->pin_dir ? bpf_util__pin_maps(sc->skel->obj, f->pin_dir) : 0;
		if (!err)
			err = syscost_bpf__load(sc->skel);
		if (err) {
			syscost_bpf__destroy(sc->skel);
			sc->skel = NULL;
			return err < 0 ? err : -EINVAL;
		}
	}
	/* Exit first and enter last, so no stamp is written that no exit will take. */
	sc->skel->bss->phase++;
	if (s->time) {
		sc->exit = bpf_program__attach(sc->skel->progs.syscost_exit);
		if (!sc->exit)
			return -errno;
	}
	sc->enter = bpf_program__attach(sc->skel->progs.syscost_enter);
	if (!sc->enter) {
		err = -errno;
		bpf_link__destroy(sc->exit);
		sc->exit = NULL;
		return err;
	}
	if (f->pin_dir) {
		err = sc->exit ? bpf_util__pin_link(sc->exit, f->pin_dir, "link_exit") : 0;
		if (!err)
			err = bpf_util__pin_link(sc->enter, f->pin_dir, "link_enter");
		if (err)
			return err;
	}
	return 0;
}

/*
 * Attach to a persistent activation: load the programs with the pinned
 * maps reused (nothing is attached), so report() reads what the pinned
 * programs collected. The settings come from the pinned .rodata.
 */
static int syscost_reopen(struct diag_feature *f)
{
	struct syscost *sc = calloc(1, sizeof(*sc));
	int err;

	if (!sc)
		return -ENOMEM;
	f->priv = sc;
	sc->skel = syscost_bpf__open();
	if (!sc->skel)
		return -errno;
	err = bpf_util__pin_maps(sc->skel->obj, f->pin_dir);
	if (!err)
		err = syscost_bpf__load(sc->skel);
	if (err) {
		syscost_bpf__destroy(sc->skel);
		sc->skel = NULL;
		return err < 0 ? err : -EINVAL;
	}
	return 0;
}

/*
 * Detach; the maps stay for report(). Adds this phase's BPF run time to @f
 * and brings its drop count up to date (events are counted by report()).
 */
static int syscost_deactivate(struct diag_feature *f)
{
	struct syscost *sc = f->priv;
	uint64_t ns = 0, cnt = 0;

	if (!sc || !sc->skel)
		return 0;
	bpf_link__destroy(sc->enter);
	bpf_link__destroy(sc->exit);
	sc->enter = NULL;
	sc->exit = NULL;
	bpf_util__prog_stats(bpf_program__fd(sc->skel->progs.syscost_enter), &ns, &cnt);
	bpf_util__prog_stats(bpf_program__fd(sc->skel->progs.syscost_exit), &ns, &cnt);
	if (ns >= sc->run_ns && cnt >= sc->run_cnt) {
		f->kernel_run_ns += ns - sc->run_ns;
		f->kernel_run_cnt += cnt - sc->run_cnt;
		sc->run_ns = ns;
		sc->run_cnt = cnt;
	}
	f->drops = sc->skel->bss->nr_drop_start + sc->skel->bss->nr_drop_proc;
	return 0;
}

/*
 * Drain the maps (the syscalls since the last report), write syscost.txt
 * and syscost.json, fill run.json and the metrics.
 */
static int syscost_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct sc_data d;
	int err, err2;

	err = syscost__read(f->priv, &d);
	err2 = syscost__report_out(f, &d, "bpf", out, !err);
	/*
	 * Mean BPF run time per program run (every syscall of every task runs
	 * two); NaN when stats were off.
	 */
	json__double(out->json, "bpf_run_ns_per_run",
		     f->kernel_run_cnt ? (double)f->kernel_run_ns / f->kernel_run_cnt : NAN);
	syscost__data_free(&d);
	return err ? err : err2;
}

/* Detach if still attached, and unload the programs and their maps. */
static void syscost_free(struct diag_feature *f)
{
	struct syscost *sc = f->priv;

	if (!sc)
		return;
	syscost_deactivate(f);
	syscost_bpf__destroy(sc->skel);
	free(sc);
	f->priv = NULL;
}

const struct diag_ops bpf_sys_cost_ops = {
	.id = DIAG_sys_cost,
	.probe = syscost_probe,
	.activate = syscost_activate,
	.poll = NULL,
	.deactivate = syscost_deactivate,
	.report = syscost_report,
	.reopen = syscost_reopen,
	.free = syscost_free,
};
