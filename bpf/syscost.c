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
#include "syscall-names.h"
#include "syscost.bpf.h"
#include "syscost.skel.h"

#define SYSCOST_DEFAULT_TOP 20

struct syscost {
	struct syscost_bpf *skel;	/* loaded at the first activate, kept to the end */
	struct bpf_link *enter, *exit;
	uint64_t run_ns, run_cnt;	/* program stats already added to the feature */
};

/* One row of a table: a syscall, or a (process, syscall) pair. */
struct sc_row {
	uint32_t tgid, nr;
	struct syscost_val v;
};

/* One process: the sum of its rows. */
struct sc_proc {
	uint32_t tgid;
	char comm[HLD_COMM_LEN];
	struct syscost_val v;
};

struct sc_cpu {
	uint64_t count, total_ns;
};

/* One drain of the maps, summed over CPUs where a view needs it. */
struct sc_data {
	struct sc_row *nrs;		/* syscalls seen, by total time */
	size_t nr_nrs;
	struct sc_row *pairs;		/* (tgid, syscall) pairs, by total time */
	size_t nr_pairs, cap_pairs;
	struct sc_proc *procs;		/* processes, by total time */
	size_t nr_procs;
	struct sc_cpu *cpus;
	int nr_cpus;
	uint64_t syscalls, total_ns;
	uint64_t drop_start, drop_proc;
};

/* The table is indexed by number; holes (unassigned numbers) are NULL. */
const char *syscost__name(unsigned int nr, char *buf, size_t len)
{
	size_t n = sizeof(syscall_names_x86_64) / sizeof(syscall_names_x86_64[0]);

	if (nr < n && syscall_names_x86_64[nr])
		return syscall_names_x86_64[nr];
	snprintf(buf, len, "sys_%u", nr);
	return buf;
}

/* Fold per-CPU copy @c into @sum: counts and times add, the maximum is the largest. */
static void syscost__add(struct syscost_val *sum, const struct syscost_val *c)
{
	sum->count += c->count;
	sum->total_ns += c->total_ns;
	if (c->max_ns > sum->max_ns)
		sum->max_ns = c->max_ns;
}

/* qsort: most total time first, then most calls, then by number for a stable order. */
static int syscost__cmp_row(const void *a, const void *b)
{
	const struct sc_row *x = a, *y = b;

	if (x->v.total_ns != y->v.total_ns)
		return x->v.total_ns < y->v.total_ns ? 1 : -1;
	if (x->v.count != y->v.count)
		return x->v.count < y->v.count ? 1 : -1;
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

/* qsort: processes by total time, then calls, then tgid. */
static int syscost__cmp_proc(const void *a, const void *b)
{
	const struct sc_proc *x = a, *y = b;

	if (x->v.total_ns != y->v.total_ns)
		return x->v.total_ns < y->v.total_ns ? 1 : -1;
	if (x->v.count != y->v.count)
		return x->v.count < y->v.count ? 1 : -1;
	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

/* qsort: by key, so that one pair's copies from different CPUs are adjacent. */
static int syscost__cmp_key(const void *a, const void *b)
{
	const struct sc_row *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

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

/*
 * Merge the rows of one pair (one per CPU it returned on) into one, sum
 * the pairs into the per-syscall rows and the processes, and sort each
 * view by time.
 */
static int syscost__build(struct syscost_bpf *skel, struct sc_data *d)
{
	int comms = bpf_map__fd(skel->maps.comms);
	size_t i, j, n = 0;

	qsort(d->pairs, d->nr_pairs, sizeof(*d->pairs), syscost__cmp_key);
	for (i = 0; i < d->nr_pairs; i++) {
		if (n && !syscost__cmp_key(&d->pairs[n - 1], &d->pairs[i]))
			syscost__add(&d->pairs[n - 1].v, &d->pairs[i].v);
		else
			d->pairs[n++] = d->pairs[i];
	}
	d->nr_pairs = n;
	d->procs = calloc(n ? n : 1, sizeof(*d->procs));
	if (!d->procs)
		return -ENOMEM;
	for (i = 0; i < d->nr_pairs; i++) {
		const struct sc_row *r = &d->pairs[i];

		syscost__add(&d->nrs[r->nr].v, &r->v);
		if (!d->nr_procs || d->procs[d->nr_procs - 1].tgid != r->tgid) {
			j = d->nr_procs++;
			d->procs[j].tgid = r->tgid;
			if (bpf_map_lookup_elem(comms, &r->tgid, d->procs[j].comm))
				strcpy(d->procs[j].comm, "?");
			d->procs[j].comm[HLD_COMM_LEN - 1] = '\0';
		}
		syscost__add(&d->procs[d->nr_procs - 1].v, &r->v);
	}
	for (uint32_t nr = 0; nr < SYSCOST_NR_SLOTS; nr++) {
		if (!d->nrs[nr].v.count)
			continue;
		d->nrs[d->nr_nrs] = d->nrs[nr];
		d->nrs[d->nr_nrs++].nr = nr;
		d->syscalls += d->nrs[nr].v.count;
		d->total_ns += d->nrs[nr].v.total_ns;
	}
	qsort(d->nrs, d->nr_nrs, sizeof(*d->nrs), syscost__cmp_row);
	qsort(d->pairs, d->nr_pairs, sizeof(*d->pairs), syscost__cmp_row);
	qsort(d->procs, d->nr_procs, sizeof(*d->procs), syscost__cmp_proc);
	return 0;
}

/* Free what syscost__read() allocated (not @d itself). */
static void syscost__data_free(struct sc_data *d)
{
	free(d->nrs);
	free(d->pairs);
	free(d->procs);
	free(d->cpus);
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
		err = syscost__build(skel, d);
	free(vals);
	free(zero);
	d->drop_start = skel->bss->nr_drop_start;
	d->drop_proc = skel->bss->nr_drop_proc;
	return err;
}

/* Mean duration in µs, 0 for no call. */
static double syscost__avg_us(const struct syscost_val *v)
{
	return v->count ? v->total_ns / 1e3 / v->count : 0;
}

/* The filters as text: "tgid 123, pid any, comm any". */
static void syscost__filters(const struct hld_syscost_settings *s, char *buf, size_t len)
{
	char t[32] = "any", p[32] = "any";

	if (s->tgid >= 0)
		snprintf(t, sizeof(t), "%lld", (long long)s->tgid);
	if (s->pid >= 0)
		snprintf(p, sizeof(p), "%lld", (long long)s->pid);
	snprintf(buf, len, "tgid %s, pid %s, comm %.16s", t, p, s->comm[0] ? s->comm : "any");
}

/* The count, total ms, avg us, max us columns of one syscost.txt row. */
static void syscost__txt_val(FILE *o, const struct syscost_val *v)
{
	fprintf(o, " %10llu %12.3f %12.3f %12.3f\n", (unsigned long long)v->count,
		v->total_ns / 1e6, syscost__avg_us(v), v->max_ns / 1e3);
}

/* syscost.txt: header, then per syscall, process, process and syscall, CPU; top rows each. */
static int syscost__write_txt(const struct sc_data *d, const struct hld_syscost_settings *s,
			      const char *path)
{
	size_t top = s->top ? s->top : SYSCOST_DEFAULT_TOP, i;
	char filters[96], nb[32];
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	syscost__filters(s, filters, sizeof(filters));
	fprintf(o, "sys-cost: %llu syscalls since the last report, %.3f ms in syscalls, "
		"%llu dropped since activation (%s)\n",
		(unsigned long long)d->syscalls, d->total_ns / 1e6,
		(unsigned long long)(d->drop_start + d->drop_proc), filters);
	if (!s->time)
		fprintf(o, "count only (time=0): the time columns are not measured\n");
	if (d->drop_start + d->drop_proc)
		fprintf(o, "dropped: %llu not counted (no task storage), "
			"%llu missing from the per-process view (table full)\n",
			(unsigned long long)d->drop_start, (unsigned long long)d->drop_proc);

	fprintf(o, "\nper syscall, most time first\n");
	fprintf(o, "%-24s %10s %12s %12s %12s\n", "syscall", "count", "total ms", "avg us",
		"max us");
	for (i = 0; i < d->nr_nrs && i < top; i++) {
		fprintf(o, "%-24s", syscost__name(d->nrs[i].nr, nb, sizeof(nb)));
		syscost__txt_val(o, &d->nrs[i].v);
	}
	if (d->nr_nrs > top)
		fprintf(o, "(%zu more syscalls in syscost.json)\n", d->nr_nrs - top);

	fprintf(o, "\nper process, most time first\n");
	fprintf(o, "%-8s %-16s %10s %12s %12s %12s\n", "tgid", "comm", "count", "total ms",
		"avg us", "max us");
	for (i = 0; i < d->nr_procs && i < top; i++) {
		fprintf(o, "%-8u %-16s", d->procs[i].tgid, d->procs[i].comm);
		syscost__txt_val(o, &d->procs[i].v);
	}
	if (d->nr_procs > top)
		fprintf(o, "(%zu more processes in syscost.json)\n", d->nr_procs - top);

	fprintf(o, "\nper process and syscall, most time first\n");
	fprintf(o, "%-8s %-24s %10s %12s %12s %12s\n", "tgid", "syscall", "count", "total ms",
		"avg us", "max us");
	for (i = 0; i < d->nr_pairs && i < top; i++) {
		fprintf(o, "%-8u %-24s", d->pairs[i].tgid,
			syscost__name(d->pairs[i].nr, nb, sizeof(nb)));
		syscost__txt_val(o, &d->pairs[i].v);
	}
	if (d->nr_pairs > top)
		fprintf(o, "(%zu more rows in syscost.json)\n", d->nr_pairs - top);

	fprintf(o, "\nper CPU (the CPU each syscall returned on)\n");
	fprintf(o, "%-4s %10s %12s\n", "cpu", "count", "total ms");
	for (int c = 0; c < d->nr_cpus; c++)
		if (d->cpus[c].count)
			fprintf(o, "%-4d %10llu %12.3f\n", c, (unsigned long long)d->cpus[c].count,
				d->cpus[c].total_ns / 1e6);
	if (fclose(o))
		return -errno;
	return 0;
}

/* The count and time fields shared by every JSON row. */
static void syscost__json_val(struct json_writer *j, const struct syscost_val *v)
{
	json__uint(j, "count", v->count);
	json__uint(j, "total_ns", v->total_ns);
	json__uint(j, "avg_ns", v->count ? v->total_ns / v->count : 0);
	json__uint(j, "max_ns", v->max_ns);
}

/* One syscall row: {nr, name, count, total_ns, avg_ns, max_ns}. */
static void syscost__json_syscall(struct json_writer *j, const struct sc_row *r)
{
	char nb[32];

	json__begin_object(j, NULL);
	json__uint(j, "nr", r->nr);
	json__str(j, "name", syscost__name(r->nr, nb, sizeof(nb)));
	syscost__json_val(j, &r->v);
	json__end_object(j);
}

/* syscost.json: everything drained, every row (no top limit). */
static int syscost__write_json(const struct sc_data *d, const struct hld_syscost_settings *s,
			       const char *path)
{
	struct json_writer j;
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	json__init(&j, o, true);
	json__begin_object(&j, NULL);
	json__str(&j, "backend", "bpf");
	json__begin_object(&j, "filters");
	json__int(&j, "tgid", s->tgid);
	json__int(&j, "pid", s->pid);
	json__str(&j, "comm", s->comm[0] ? s->comm : NULL);
	json__end_object(&j);
	json__uint(&j, "events", d->syscalls);
	json__uint(&j, "syscalls", d->syscalls);
	json__uint(&j, "total_ns", d->total_ns);
	json__uint(&j, "drops", d->drop_start + d->drop_proc);
	json__uint(&j, "drops_not_counted", d->drop_start);
	json__uint(&j, "drops_process_map_full", d->drop_proc);
	json__begin_array(&j, "by_syscall");
	for (size_t i = 0; i < d->nr_nrs; i++)
		syscost__json_syscall(&j, &d->nrs[i]);
	json__end_array(&j);
	json__begin_array(&j, "by_process");
	for (size_t p = 0; p < d->nr_procs; p++) {
		json__begin_object(&j, NULL);
		json__uint(&j, "tgid", d->procs[p].tgid);
		json__str(&j, "comm", d->procs[p].comm);
		syscost__json_val(&j, &d->procs[p].v);
		json__begin_array(&j, "syscalls");
		for (size_t i = 0; i < d->nr_pairs; i++)
			if (d->pairs[i].tgid == d->procs[p].tgid)
				syscost__json_syscall(&j, &d->pairs[i]);
		json__end_array(&j);
		json__end_object(&j);
	}
	json__end_array(&j);
	json__begin_array(&j, "by_cpu");
	for (int c = 0; c < d->nr_cpus; c++) {
		json__begin_object(&j, NULL);
		json__int(&j, "cpu", c);
		json__uint(&j, "count", d->cpus[c].count);
		json__uint(&j, "total_ns", d->cpus[c].total_ns);
		json__end_object(&j);
	}
	json__end_array(&j);
	json__end_object(&j);
	fputc('\n', o);
	if (fclose(o))
		return -errno;
	return 0;
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
	const struct hld_syscost_settings *s = f->settings;
	char path[PATH_MAX], nb[32];
	struct sc_data d;
	int err;

	err = syscost__read(f->priv, &d);
	if (!err) {
		snprintf(path, sizeof(path), "%s/syscost.txt", out->dir);
		err = syscost__write_txt(&d, s, path);
	}
	if (!err) {
		snprintf(path, sizeof(path), "%s/syscost.json", out->dir);
		err = syscost__write_json(&d, s, path);
	}
	f->events = d.syscalls;
	f->drops = d.drop_start + d.drop_proc;
	json__uint(out->json, "events", d.syscalls);
	json__uint(out->json, "syscalls", d.syscalls);
	json__uint(out->json, "total_ns", d.total_ns);
	json__uint(out->json, "distinct_syscalls", d.nr_nrs);
	json__uint(out->json, "processes", d.nr_procs);
	json__str(out->json, "top_syscall",
		  d.nr_nrs ? syscost__name(d.nrs[0].nr, nb, sizeof(nb)) : NULL);
	json__uint(out->json, "drops", f->drops);
	/*
	 * Mean BPF run time per program run (every syscall of every task runs
	 * two); NaN when stats were off.
	 */
	json__double(out->json, "bpf_run_ns_per_run",
		     f->kernel_run_cnt ? (double)f->kernel_run_ns / f->kernel_run_cnt : NAN);
	diag_feature__set_metric(f, "syscalls", d.syscalls);
	diag_feature__set_metric(f, "drops", f->drops);
	syscost__data_free(&d);
	return err;
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
