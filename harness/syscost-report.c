// SPDX-License-Identifier: GPL-2.0
/*
 * syscost-report.c - sys-cost's report, shared by the backends (bpf/syscost.c,
 * harness/kmod-syscost.c): merging a drain's per-CPU rows into the
 * per-syscall, per-process, per-pair and per-CPU views, and writing them to
 * syscost.txt and syscost.json.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf-util.h"
#include "json.h"
#include "syscall-names.h"
#include "syscost-report.h"

#define SYSCOST_DEFAULT_TOP 20

/* The table is indexed by number; holes (unassigned numbers) are NULL. */
const char *syscost__name(unsigned int nr, char *buf, size_t len)
{
	size_t n = sizeof(syscall_names_x86_64) / sizeof(syscall_names_x86_64[0]);

	if (nr < n && syscall_names_x86_64[nr])
		return syscall_names_x86_64[nr];
	snprintf(buf, len, "sys_%u", nr);
	return buf;
}

int syscost__nr(const char *name)
{
	size_t n = sizeof(syscall_names_x86_64) / sizeof(syscall_names_x86_64[0]);
	unsigned int nr;
	char end;

	for (size_t i = 0; i < n; i++)
		if (syscall_names_x86_64[i] && !strcmp(syscall_names_x86_64[i], name))
			return i;
	if (sscanf(name, "sys_%u%c", &nr, &end) == 1 && nr < SYSCOST_NR_SLOTS)
		return nr;
	return -1;
}

/* Fold per-CPU copy @c into @sum: counts and times add, the maximum is the largest. */
void syscost__add(struct syscost_val *sum, const struct syscost_val *c)
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
 * Merge the rows of one pair (one per CPU it returned on) into one, sum
 * the pairs into the per-syscall rows and the processes, and sort each
 * view by time.
 */
int syscost__build(struct sc_data *d, syscost_comm_fn comm_of, void *ctx)
{
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
			if (comm_of(ctx, r->tgid, d->procs[j].comm))
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

/* Free what syscost__data_init() and the backend allocated (not @d itself). */
void syscost__data_free(struct sc_data *d)
{
	free(d->nrs);
	free(d->pairs);
	free(d->procs);
	free(d->cpus);
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
			       const char *backend, const char *path)
{
	struct json_writer j;
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	json__init(&j, o, true);
	json__begin_object(&j, NULL);
	json__str(&j, "backend", backend);
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

int syscost__data_init(struct sc_data *d, int nr_cpus)
{
	memset(d, 0, sizeof(*d));
	d->nr_cpus = nr_cpus;
	d->nrs = calloc(SYSCOST_NR_SLOTS, sizeof(*d->nrs));
	d->cpus = calloc(nr_cpus > 0 ? nr_cpus : 1, sizeof(*d->cpus));
	if (d->nrs && d->cpus)
		return 0;
	syscost__data_free(d);
	return -ENOMEM;
}

int syscost__add_pair(struct sc_data *d, uint32_t tgid, uint32_t nr, const struct syscost_val *v)
{
	struct sc_row *r;

	if (bpf_util__reserve((void **)&d->pairs, &d->cap_pairs, d->nr_pairs + 1,
			      sizeof(*d->pairs)))
		return -ENOMEM;
	r = &d->pairs[d->nr_pairs++];
	r->tgid = tgid;
	r->nr = nr;
	r->v = *v;
	return 0;
}

int syscost__report_out(struct diag_feature *f, const struct sc_data *d, const char *backend,
			const struct diag_outputs *out, bool files)
{
	const struct hld_syscost_settings *s = f->settings;
	char path[PATH_MAX], nb[32];
	int err = 0;

	if (files) {
		snprintf(path, sizeof(path), "%s/syscost.txt", out->dir);
		err = syscost__write_txt(d, s, path);
	}
	if (files && !err) {
		snprintf(path, sizeof(path), "%s/syscost.json", out->dir);
		err = syscost__write_json(d, s, backend, path);
	}
	f->events = d->syscalls;
	f->drops = d->drop_start + d->drop_proc;
	json__uint(out->json, "events", d->syscalls);
	json__uint(out->json, "syscalls", d->syscalls);
	json__uint(out->json, "total_ns", d->total_ns);
	json__uint(out->json, "distinct_syscalls", d->nr_nrs);
	json__uint(out->json, "processes", d->nr_procs);
	json__str(out->json, "top_syscall",
		  d->nr_nrs ? syscost__name(d->nrs[0].nr, nb, sizeof(nb)) : NULL);
	json__uint(out->json, "drops", f->drops);
	diag_feature__set_metric(f, "syscalls", d->syscalls);
	diag_feature__set_metric(f, "drops", f->drops);
	return err;
}
