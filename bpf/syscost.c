// SPDX-License-Identifier: GPL-2.0
/*
 * syscost.c - sys-cost, user side: loads syscost.bpf.c once, attaches it
 * for each diagnosed phase, and at report time reads its maps (never a
 * private copy) into syscost.txt and syscost.json: per syscall, per
 * process and per CPU count and time.
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

/* Everything the maps hold, summed over CPUs where a view needs it. */
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

/* Per-syscall rows and the per-CPU view, from the per-CPU array by_nr. */
static int syscost__read_nrs(struct syscost_bpf *skel, struct sc_data *d,
			     struct syscost_val *vals)
{
	int fd = bpf_map__fd(skel->maps.by_nr);

	d->nrs = calloc(SYSCOST_NR_SLOTS, sizeof(*d->nrs));
	d->cpus = calloc(d->nr_cpus, sizeof(*d->cpus));
	if (!d->nrs || !d->cpus)
		return -ENOMEM;
	for (uint32_t nr = 0; nr < SYSCOST_NR_SLOTS; nr++) {
		struct sc_row *r = &d->nrs[d->nr_nrs];

		if (bpf_map_lookup_elem(fd, &nr, vals))
			return -errno;
		memset(r, 0, sizeof(*r));
		r->nr = nr;
		for (int c = 0; c < d->nr_cpus; c++) {
			syscost__add(&r->v, &vals[c]);
			d->cpus[c].count += vals[c].count;
			d->cpus[c].total_ns += vals[c].total_ns;
		}
		if (!r->v.count)
			continue;
		d->syscalls += r->v.count;
		d->total_ns += r->v.total_ns;
		d->nr_nrs++;
	}
	qsort(d->nrs, d->nr_nrs, sizeof(*d->nrs), syscost__cmp_row);
	return 0;
}

/*
 * With a tgid filter the program skips by_proc: the one process's rows are
 * the per-syscall rows.
 */
static int syscost__pairs_from_nrs(struct sc_data *d, uint32_t tgid)
{
	d->pairs = calloc(d->nr_nrs ? d->nr_nrs : 1, sizeof(*d->pairs));
	if (!d->pairs)
		return -ENOMEM;
	d->nr_pairs = d->cap_pairs = d->nr_nrs;
	for (size_t i = 0; i < d->nr_nrs; i++) {
		d->pairs[i] = d->nrs[i];
		d->pairs[i].tgid = tgid;
	}
	return 0;
}

/* (tgid, syscall) rows from the per-CPU hash by_proc, and the processes they sum to. */
static int syscost__read_procs(struct syscost_bpf *skel, const struct hld_syscost_settings *s,
			       struct sc_data *d, struct syscost_val *vals)
{
	int fd = bpf_map__fd(skel->maps.by_proc), comms = bpf_map__fd(skel->maps.comms);
	struct syscost_proc_key key, next;
	size_t i, j;

	if (s->tgid >= 0 && syscost__pairs_from_nrs(d, s->tgid))
		return -ENOMEM;
	for (void *prev = NULL; s->tgid < 0 && !bpf_map_get_next_key(fd, prev, &next);
	     prev = &key) {
		struct sc_row *r;

		key = next;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;	/* deleted meanwhile: nothing deletes today */
		if (bpf_util__reserve((void **)&d->pairs, &d->cap_pairs, d->nr_pairs + 1,
				      sizeof(*d->pairs)))
			return -ENOMEM;
		r = &d->pairs[d->nr_pairs++];
		memset(r, 0, sizeof(*r));
		r->tgid = key.tgid;
		r->nr = key.nr;
		for (int c = 0; c < d->nr_cpus; c++)
			syscost__add(&r->v, &vals[c]);
	}
	if (s->tgid < 0 && errno != ENOENT)
		return -errno;
	d->procs = calloc(d->nr_pairs ? d->nr_pairs : 1, sizeof(*d->procs));
	if (!d->procs)
		return -ENOMEM;
	for (i = 0; i < d->nr_pairs; i++) {
		const struct sc_row *r = &d->pairs[i];

		for (j = 0; j < d->nr_procs && d->procs[j].tgid != r->tgid; j++)
			;
		if (j == d->nr_procs) {
			d->procs[j].tgid = r->tgid;
			if (bpf_map_lookup_elem(comms, &r->tgid, d->procs[j].comm))
				strcpy(d->procs[j].comm, "?");
			d->procs[j].comm[HLD_COMM_LEN - 1] = '\0';
			d->nr_procs++;
		}
		syscost__add(&d->procs[j].v, &r->v);
	}
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

/* Read every map of the loaded program into @d (left empty when nothing was loaded). */
static int syscost__read(struct syscost *sc, const struct hld_syscost_settings *s,
			 struct sc_data *d)
{
	struct syscost_val *vals;
	int err;

	memset(d, 0, sizeof(*d));
	if (!sc || !sc->skel)
		return 0;
	d->nr_cpus = libbpf_num_possible_cpus();
	if (d->nr_cpus <= 0)
		return d->nr_cpus ? d->nr_cpus : -EINVAL;
	vals = calloc(d->nr_cpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	err = syscost__read_nrs(sc->skel, d, vals);
	if (!err)
		err = syscost__read_procs(sc->skel, s, d, vals);
	free(vals);
	d->drop_start = sc->skel->bss->nr_drop_start;
	d->drop_proc = sc->skel->bss->nr_drop_proc;
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
	fprintf(o, "sys-cost: %llu syscalls, %.3f ms in syscalls, %llu dropped (%s)\n",
		(unsigned long long)d->syscalls, d->total_ns / 1e6,
		(unsigned long long)(d->drop_start + d->drop_proc), filters);
	if (d->drop_start + d->drop_proc)
		fprintf(o, "dropped: %llu not timed (no task storage), "
			"%llu missing from the per-process view (map full)\n",
			(unsigned long long)d->drop_start, (unsigned long long)d->drop_proc);

	fprintf(o, "\nper syscall, most time first\n");
	fprintf(o, "%-24s %10s %12s %12s %12s\n", "syscall", "count", "total ms", "avg us", "max us");
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

/* syscost.json: everything the maps hold, every row (no top limit). */
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
	json__uint(&j, "syscalls", d->syscalls);
	json__uint(&j, "total_ns", d->total_ns);
	json__uint(&j, "drops", d->drop_start + d->drop_proc);
	json__uint(&j, "drops_not_timed", d->drop_start);
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
	sc->exit = bpf_program__attach(sc->skel->progs.syscost_exit);
	if (!sc->exit)
		return -errno;
	sc->enter = bpf_program__attach(sc->skel->progs.syscost_enter);
	if (!sc->enter) {
		err = -errno;
		bpf_link__destroy(sc->exit);
		sc->exit = NULL;
		return err;
	}
	if (f->pin_dir) {
		err = bpf_util__pin_link(sc->exit, f->pin_dir, "link_exit");
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

/* Syscalls counted so far: the per-syscall array summed over slots and CPUs. */
static uint64_t syscost__total(struct syscost *sc)
{
	int fd = bpf_map__fd(sc->skel->maps.by_nr), ncpu = libbpf_num_possible_cpus();
	struct syscost_val *vals;
	uint64_t sum = 0;

	if (ncpu <= 0)
		return 0;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	for (uint32_t nr = 0; nr < SYSCOST_NR_SLOTS; nr++) {
		if (bpf_map_lookup_elem(fd, &nr, vals))
			break;
		for (int c = 0; c < ncpu; c++)
			sum += vals[c].count;
	}
	free(vals);
	return sum;
}

/*
 * Detach; the maps stay for report(). Adds this phase's BPF run time to @f
 * and brings its event and drop counts up to date.
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
	f->events = syscost__total(sc);
	f->drops = sc->skel->bss->nr_drop_start + sc->skel->bss->nr_drop_proc;
	return 0;
}

/* Read the maps, write syscost.txt and syscost.json, fill run.json and the metrics. */
static int syscost_report(struct diag_feature *f, const struct diag_outputs *out)
{
	const struct hld_syscost_settings *s = f->settings;
	char path[PATH_MAX], nb[32];
	struct sc_data d;
	int err;

	err = syscost__read(f->priv, s, &d);
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
	json__uint(out->json, "syscalls", d.syscalls);
	json__uint(out->json, "total_ns", d.total_ns);
	json__uint(out->json, "distinct_syscalls", d.nr_nrs);
	json__uint(out->json, "processes", d.nr_procs);
	json__str(out->json, "top_syscall", d.nr_nrs ? syscost__name(d.nrs[0].nr, nb, sizeof(nb)) : NULL);
	json__uint(out->json, "drops", f->drops);
	/* Mean BPF run time per program run (every syscall of every task runs two); NaN when stats were off. */
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
