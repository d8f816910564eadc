// SPDX-License-Identifier: GPL-2.0
/*
 * tracepoint-report.c - the report of tracepoint and kprobe, shared by the
 * backends (bpf/tracepoint.c, harness/kmod-tracepoint.c): folding drained
 * keys into named stacks and per-process totals, and writing FEATURE.txt,
 * FEATURE.json and FEATURE.folded.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>		/* libbpf_num_possible_cpus() */

#include "bpf-util.h"
#include "folded.h"
#include "json.h"
#include "syms.h"
#include "tracepoint-report.h"

#define TP_DEFAULT_TOP		10
#define TP_FRAME_LEN		256
#define TP_MACHINERY_FRAMES	8	/* leading kernel frames searched for the tracing code */

static const char *const tp_stacks_names[] = { "both", "kernel", "user", "none" };

int tp_report__init_stacks(struct tp_report *r, bool kernel_stacks)
{
	r->nr_cpus = libbpf_num_possible_cpus();
	if (r->nr_cpus <= 0)
		return r->nr_cpus ? r->nr_cpus : -EINVAL;
	r->cpu_hits = calloc(r->nr_cpus, sizeof(*r->cpu_hits));
	r->folded = folded__new();
	r->usyms = usyms__new();
	if (!r->cpu_hits || !r->folded || !r->usyms)
		return -ENOMEM;
	if (kernel_stacks)
		r->ksyms = ksyms__load();	/* NULL: kernel frames stay addresses */
	return 0;
}

int tp_report__init(struct tp_report *r, const struct diag_feature *f)
{
	const struct hld_tracepoint_settings *s = f->settings;
	char name[sizeof(s->name) + 1], why[512];
	int err;

	memset(r, 0, sizeof(*r));
	r->kprobe = f->ops->id == DIAG_kprobe;
	snprintf(name, sizeof(name), "%.*s", (int)sizeof(s->name), s->name);
	if (r->kprobe) {
		err = kprobe__resolve(name, why, sizeof(why));
		snprintf(r->target.raw, sizeof(r->target.raw), "%.*s", TP_NAME_LEN - 1, name);
		r->target.sysnr = -1;
	} else {
		err = tracepoint__resolve(name, &r->target, why, sizeof(why));
	}
	if (err)
		return err;
	return tp_report__init_stacks(r, s->stacks == HLD_TP_STACKS_BOTH ||
					 s->stacks == HLD_TP_STACKS_KERNEL);
}

void tp_report__free(struct tp_report *r)
{
	if (r->ksyms)
		ksyms__free(r->ksyms);
	if (r->usyms)
		usyms__free(r->usyms);
	if (r->folded)
		folded__free(r->folded);
	free(r->cpu_hits);
	free(r->procs);
	free(r->stack);
	memset(r, 0, sizeof(*r));
}

void tp_report__drain_begin(struct tp_report *r)
{
	r->nr_refreshed = 0;
}

/* --- folding -------------------------------------------------------------- */

/* Has @tgid's map been re-read in this drain? If not, note that it now is. */
static bool tp_report__refresh_once(struct tp_report *r, pid_t tgid)
{
	for (int i = 0; i < r->nr_refreshed; i++)
		if (r->refreshed[i] == tgid)
			return false;
	if (r->nr_refreshed == TP_MAX_REFRESH)
		return false;
	r->refreshed[r->nr_refreshed++] = tgid;
	return true;
}

/* Name user frame @addr of @tgid; an address no mapping covers re-reads the maps once per drain. */
static const char *tp_report__usym(struct tp_report *r, pid_t tgid, uint64_t addr, char *buf,
				   size_t len)
{
	const char *n = usyms__name(r->usyms, tgid, addr, buf, len);

	if (!strcmp(n, "[unknown]") && tp_report__refresh_once(r, tgid) &&
	    !usyms__add_pid(r->usyms, tgid, true))
		n = usyms__name(r->usyms, tgid, addr, buf, len);
	return n;
}

int tp_report__frame(struct tp_report *r, const char *frame, const char *suffix)
{
	char clean[TP_FRAME_LEN];
	size_t n;

	bpf_util__frame(clean, sizeof(clean), frame);
	n = strlen(clean) + strlen(suffix) + 2;
	if (bpf_util__reserve((void **)&r->stack, &r->stack_cap, r->stack_len + n, 1))
		return -ENOMEM;
	r->stack_len += snprintf(r->stack + r->stack_len, r->stack_cap - r->stack_len, "%s%s%s",
				 r->stack_len ? ";" : "", clean, suffix);
	return 0;
}

int tp_report__begin(struct tp_report *r, const char *comm)
{
	r->stack_len = 0;
	return tp_report__frame(r, comm[0] ? comm : "[unknown]", "");
}

int tp_report__user(struct tp_report *r, uint32_t tgid, const uint64_t *ips, int n,
		    tp_unknown_fn unknown, void *ctx)
{
	char buf[TP_FRAME_LEN], fbuf[TP_FRAME_LEN];
	bool was_unknown = false;
	int err = 0;

	if (n && !usyms__has_pid(r->usyms, tgid))
		usyms__add_pid(r->usyms, tgid, false);
	while (!err && n-- > 0) {
		const char *name = tp_report__usym(r, tgid, n ? ips[n] - 1 : ips[n], buf,
						   sizeof(buf)), *placed;

		if (!strcmp(name, "[unknown]") && unknown) {
			placed = unknown(ctx, n, fbuf, sizeof(fbuf));
			if (placed)
				name = placed;
		}
		/* A frame-pointer walk through code without frame pointers: one frame, not 60. */
		if (!strcmp(name, "[unknown]") && was_unknown)
			continue;
		was_unknown = !strcmp(name, "[unknown]");
		err = tp_report__frame(r, name, "");
	}
	return err;
}

/* Is @name part of the tracing machinery that leads every kernel stack? */
static bool tp_report__machinery(const char *name)
{
	return !strncmp(name, "bpf_trace_run", 13) || !strncmp(name, "__bpf_trace_", 12) ||
	       !strncmp(name, "__traceiter_", 12) || !strncmp(name, "bpf_get_stackid", 15) ||
	       !strncmp(name, "bpf_prog_", 9);
}

/* Name kernel frame @i of @ips (a return address past the first: look up addr - 1). */
static const char *tp_report__ksym(struct tp_report *r, const uint64_t *ips, int i)
{
	if (!r->ksyms || ksyms__restricted(r->ksyms))
		return NULL;
	return ksyms__name(r->ksyms, i ? ips[i] - 1 : ips[i]);
}

int tp_report__kernel(struct tp_report *r, const uint64_t *ips, int n)
{
	char buf[TP_FRAME_LEN];
	int first = 0, err = 0;

	for (int i = 0; i < n && i < TP_MACHINERY_FRAMES; i++) {
		const char *name = tp_report__ksym(r, ips, i);

		if (name && tp_report__machinery(name))
			first = i + 1;
	}
	while (!err && n-- > first) {
		const char *name = tp_report__ksym(r, ips, n);

		if (!name) {
			snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)ips[n]);
			name = buf;
		}
		err = tp_report__frame(r, name, "_[k]");
	}
	return err;
}

int tp_report__end(struct tp_report *r, uint32_t tgid, const char *comm, uint64_t count)
{
	struct tp_proc *p;
	int err = folded__add(r->folded, r->stack, count);

	if (err)
		return err;
	if (bpf_util__reserve((void **)&r->procs, &r->cap_procs, r->nr_procs + 1,
			      sizeof(*r->procs)))
		return -ENOMEM;
	p = &r->procs[r->nr_procs++];
	p->tgid = tgid;
	snprintf(p->comm, sizeof(p->comm), "%.*s", HLD_COMM_LEN, comm);
	p->hits = count;
	r->counted += count;
	return 0;
}

/* qsort: processes by tgid, then comm (to merge) ... */
static int tp_report__cmp_id(const void *a, const void *b)
{
	const struct tp_proc *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return strcmp(x->comm, y->comm);
}

/* ... or by hits, most first, for the report. */
static int tp_report__cmp_hits(const void *a, const void *b)
{
	const struct tp_proc *x = a, *y = b;

	if (x->hits != y->hits)
		return x->hits < y->hits ? 1 : -1;
	return tp_report__cmp_id(a, b);
}

void tp_report__merge_procs(struct tp_report *r)
{
	size_t out = 0;

	qsort(r->procs, r->nr_procs, sizeof(*r->procs), tp_report__cmp_id);
	for (size_t i = 0; i < r->nr_procs; i++) {
		if (out && !tp_report__cmp_id(&r->procs[out - 1], &r->procs[i]))
			r->procs[out - 1].hits += r->procs[i].hits;
		else
			r->procs[out++] = r->procs[i];
	}
	r->nr_procs = out;
}

/* --- the report ----------------------------------------------------------- */

uint64_t tp_drops__sum(const struct tp_drops *d)
{
	return d->count + d->kstack + d->ustack + d->missed;
}

/* qsort: folded entries, most hits first, then by text. */
static int tp_report__cmp_stack(const void *a, const void *b)
{
	const struct folded_entry *x = *(const struct folded_entry *const *)a;
	const struct folded_entry *y = *(const struct folded_entry *const *)b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->stack, y->stack);
}

/* The folded stacks, most hits first (an array to free), or NULL when there are none. */
static const struct folded_entry **tp_report__stacks(struct tp_report *r, size_t *nr)
{
	const struct folded_entry **v, *e;
	size_t i;

	*nr = r ? folded__nr_stacks(r->folded) : 0;
	if (!*nr)
		return NULL;
	v = calloc(*nr, sizeof(*v));
	if (!v) {
		*nr = 0;
		return NULL;
	}
	folded__for_each(r->folded, e, i)
		v[i] = e;
	qsort(v, *nr, sizeof(*v), tp_report__cmp_stack);
	return v;
}

/* "any" or the number, for the filters line. */
static const char *tp_report__id(int64_t v, char *buf, size_t len)
{
	if (v < 0)
		return "any";
	snprintf(buf, len, "%lld", (long long)v);
	return buf;
}

/* One stack of FEATURE.txt: its hits, then its frames leaf first, one a line. */
static void tp_report__txt_stack(FILE *o, const struct folded_entry *e, uint64_t hits)
{
	const char *end = e->stack + e->len, *p;

	fprintf(o, "%10llu hit%s (%.1f%%)\n", (unsigned long long)e->count,
		e->count == 1 ? "" : "s", hits ? 100.0 * e->count / hits : 0);
	while (end > e->stack) {
		for (p = end; p > e->stack && p[-1] != ';'; p--)
			;
		fprintf(o, "%14s%.*s\n", "", (int)(end - p), p);
		end = p > e->stack ? p - 1 : p;
	}
}

/* FEATURE.txt: totals and drops, then per CPU, top processes and top stacks. */
static int tp_report__write_txt(const char *feature, struct tp_report *r,
				const struct hld_tracepoint_settings *s, const struct tp_drops *d,
				const struct folded_entry **stacks, size_t nr_stacks,
				const char *path)
{
	size_t top = s->top ? s->top : TP_DEFAULT_TOP;
	uint64_t hits = r ? r->hits : 0;
	char b1[24], b2[24], b3[24];
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	fprintf(o, "%s %.64s", feature, s->name);
	if (r && !r->kprobe)
		fprintf(o, " (raw tracepoint %s%s)", r->target.raw,
			r->target.sysnr >= 0 ? ", one syscall" : "");
	fprintf(o, ": %llu hits since the last report, %llu dropped since activation\n",
		(unsigned long long)hits, (unsigned long long)tp_drops__sum(d));
	fprintf(o, "filters: tgid %s, pid %s, cpu %s, comm %.16s; stacks: %s\n",
		tp_report__id(s->tgid, b1, sizeof(b1)), tp_report__id(s->pid, b2, sizeof(b2)),
		tp_report__id(s->cpu, b3, sizeof(b3)), s->comm[0] ? s->comm : "any",
		(unsigned)s->stacks < HLD_TP_STACKS__MAX ? tp_stacks_names[s->stacks] : "?");
	if (tp_drops__sum(d))
		fprintf(o, "dropped: %llu hits not counted (the probe was already running on "
			"that CPU), %llu counted without their stacks (stack table full), "
			"%llu without the kernel stack, %llu without the user stack\n",
			(unsigned long long)d->missed, (unsigned long long)d->count,
			(unsigned long long)d->kstack, (unsigned long long)d->ustack);
	if (d->ufiles_full || d->ufiles_missed)
		fprintf(o, "user frames of exited processes: %llu stacks without their files "
			"(ufiles full), %llu frames whose mapping was not found: named [unknown]\n",
			(unsigned long long)d->ufiles_full, (unsigned long long)d->ufiles_missed);

	fprintf(o, "\nper CPU\n%-4s %12s\n", "cpu", "hits");
	for (int c = 0; r && c < r->nr_cpus; c++)
		if (r->cpu_hits[c])
			fprintf(o, "%-4d %12llu\n", c, (unsigned long long)r->cpu_hits[c]);

	fprintf(o, "\ntop processes\n%-8s %-16s %12s\n", "tgid", "comm", "hits");
	for (size_t i = 0; r && i < r->nr_procs && i < top; i++)
		fprintf(o, "%-8u %-16s %12llu\n", r->procs[i].tgid, r->procs[i].comm,
			(unsigned long long)r->procs[i].hits);
	if (r && r->nr_procs > top)
		fprintf(o, "(%zu more in %s.json)\n", r->nr_procs - top, feature);

	fprintf(o, "\ntop stacks, leaf first (%zu unique; all in %s.folded)\n", nr_stacks, feature);
	for (size_t i = 0; i < nr_stacks && i < top; i++)
		tp_report__txt_stack(o, stacks[i], hits);
	if (fclose(o))
		return -errno;
	return 0;
}

/*
 * What was probed (a kprobe's function; a tracepoint's name, raw name and
 * syscall), the totals and the drops, as members of the JSON object @j is in.
 */
static void tp_report__json_head(struct json_writer *j, const char *feature,
				 struct tp_report *r, const struct hld_tracepoint_settings *s,
				 const struct tp_drops *d)
{
	if (!strcmp(feature, "kprobe")) {
		json__str(j, "function", s->name);
	} else {
		json__str(j, "name", s->name);
		json__str(j, "raw_tracepoint", r ? r->target.raw : NULL);
		if (r && r->target.sysnr >= 0)
			json__int(j, "syscall_nr", r->target.sysnr);
		else
			json__null(j, "syscall_nr");
	}
	json__uint(j, "hits", r ? r->hits : 0);
	json__uint(j, "hits_with_stacks", r ? r->counted : 0);
	json__uint(j, "drops", tp_drops__sum(d));
	json__begin_object(j, "drops_by_cause");
	json__uint(j, "runs_missed", d->missed);
	json__uint(j, "stack_hash_full", d->count);
	json__uint(j, "kernel_stack", d->kstack);
	json__uint(j, "user_stack", d->ustack);
	json__int(j, "last_kernel_stack_errno", -d->last_kerr);
	json__int(j, "last_user_stack_errno", -d->last_uerr);
	json__end_object(j);
	json__uint(j, "user_stacks_without_files", d->ufiles_full);
	json__uint(j, "user_frames_unmapped", d->ufiles_missed);
	json__uint(j, "processes", r ? r->nr_procs : 0);
	json__uint(j, "unique_stacks", r ? folded__nr_stacks(r->folded) : 0);
}

/* FEATURE.json: every CPU, process and stack of this report. */
static int tp_report__write_json(const char *feature, const char *backend, struct tp_report *r,
				 const struct hld_tracepoint_settings *s,
				 const struct tp_drops *d, const struct folded_entry **stacks,
				 size_t nr_stacks, const char *path)
{
	struct json_writer j;
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	json__init(&j, o, true);
	json__begin_object(&j, NULL);
	json__str(&j, "backend", backend);
	tp_report__json_head(&j, feature, r, s, d);
	json__begin_object(&j, "filters");
	json__int(&j, "tgid", s->tgid);
	json__int(&j, "pid", s->pid);
	json__int(&j, "cpu", s->cpu);
	json__str(&j, "comm", s->comm[0] ? s->comm : NULL);
	json__str(&j, "stacks", (unsigned)s->stacks < HLD_TP_STACKS__MAX ?
		  tp_stacks_names[s->stacks] : NULL);
	json__end_object(&j);
	json__begin_array(&j, "by_cpu");
	for (int c = 0; r && c < r->nr_cpus; c++) {
		json__begin_object(&j, NULL);
		json__int(&j, "cpu", c);
		json__uint(&j, "hits", r->cpu_hits[c]);
		json__end_object(&j);
	}
	json__end_array(&j);
	json__begin_array(&j, "by_process");
	for (size_t i = 0; r && i < r->nr_procs; i++) {
		json__begin_object(&j, NULL);
		json__uint(&j, "tgid", r->procs[i].tgid);
		json__str(&j, "comm", r->procs[i].comm);
		json__uint(&j, "hits", r->procs[i].hits);
		json__end_object(&j);
	}
	json__end_array(&j);
	json__begin_array(&j, "stacks");
	for (size_t i = 0; i < nr_stacks; i++) {
		json__begin_object(&j, NULL);
		json__uint(&j, "hits", stacks[i]->count);
		json__str(&j, "folded", stacks[i]->stack);
		json__end_object(&j);
	}
	json__end_array(&j);
	json__end_object(&j);
	fputc('\n', o);
	if (fclose(o))
		return -errno;
	return 0;
}

/* FEATURE.folded: the stacks of this report, for the flame graph. */
static int tp_report__write_folded(struct tp_report *r, const char *path)
{
	FILE *o = fopen(path, "we");
	int err = 0;

	if (!o)
		return -errno;
	if (r)
		err = folded__write(r->folded, o);
	if (fclose(o) && !err)
		err = -errno;
	return err;
}

/* Forget what was reported: the next report starts from zero. */
int tp_report__reset(struct tp_report *r)
{
	folded__free(r->folded);
	r->folded = folded__new();
	memset(r->cpu_hits, 0, r->nr_cpus * sizeof(*r->cpu_hits));
	r->hits = r->counted = 0;
	r->nr_procs = 0;
	return r->folded ? 0 : -ENOMEM;
}

int tp_report__out(struct diag_feature *f, struct tp_report *r, const struct tp_drops *d,
		   const char *backend, const struct diag_outputs *out)
{
	const struct hld_tracepoint_settings *s = f->settings;
	const char *feature = diag_descs[f->ops->id].name;
	const struct folded_entry **stacks;
	char path[PATH_MAX];
	size_t nr_stacks;
	int err, e;

	if (r)
		qsort(r->procs, r->nr_procs, sizeof(*r->procs), tp_report__cmp_hits);
	stacks = tp_report__stacks(r, &nr_stacks);
	snprintf(path, sizeof(path), "%s/%s.txt", out->dir, feature);
	err = tp_report__write_txt(feature, r, s, d, stacks, nr_stacks, path);
	snprintf(path, sizeof(path), "%s/%s.json", out->dir, feature);
	e = tp_report__write_json(feature, backend, r, s, d, stacks, nr_stacks, path);
	err = err ? err : e;
	snprintf(path, sizeof(path), "%s/%s.folded", out->dir, feature);
	e = tp_report__write_folded(r, path);
	err = err ? err : e;
	free(stacks);

	f->events = r ? r->hits : 0;
	f->drops = tp_drops__sum(d);
	tp_report__json_head(out->json, feature, r, s, d);
	json__str(out->json, "top_process", r && r->nr_procs ? r->procs[0].comm : NULL);
	diag_feature__set_metric(f, "hits", f->events);
	diag_feature__set_metric(f, "drops", f->drops);
	if (r) {
		e = tp_report__reset(r);
		err = err ? err : e;
	}
	return err;
}
