// SPDX-License-Identifier: GPL-2.0
/*
 * mutex-report.c - mutex-monitor's report, shared by the backends
 * (bpf/mutexmon.c, harness/kmod-mutexmon.c): contended locks, most wait
 * time first, with the waiter's kernel stack, the mutex holder seen and,
 * where the backend measures it, the hold time: mutex.txt, mutex.json and
 * mutex.folded (waiter stacks weighted by wait time in microseconds).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf-util.h"
#include "folded.h"
#include "json.h"
#include "mutex-report.h"
#include "syms.h"

#define MUTEX_FRAME_LEN		256
#define MUTEX_TRACE_FRAMES	5	/* probe and tracepoint glue atop a kernel stack */

/* One stack, symbolized: frames innermost first. */
struct mutex_stack {
	int nr;
	char names[HLD_MAX_STACK][MUTEX_FRAME_LEN];
};

/* The lock flags as text: "mutex", "spin", "read", ... joined by '|'. */
static const char *mutex__flags(uint32_t flags, char *buf, size_t len)
{
	static const char *const names[] = { "spin", "read", "write", "rt", "percpu", "mutex" };
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & (1u << i))
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "|" : "", names[i]);
	if (!buf[0])
		snprintf(buf, len, "other");
	return buf;
}

/* Most wait time first, then by count, lock and stack: a stable order. */
static int mutex__cmp(const void *pa, const void *pb)
{
	const struct mutex_row *a = pa, *b = pb;

	if (a->val.total_ns != b->val.total_ns)
		return a->val.total_ns < b->val.total_ns ? 1 : -1;
	if (a->val.count != b->val.count)
		return a->val.count < b->val.count ? 1 : -1;
	if (a->key.lock != b->key.lock)
		return a->key.lock < b->key.lock ? -1 : 1;
	if (a->key.tgid != b->key.tgid)
		return a->key.tgid < b->key.tgid ? -1 : 1;
	return a->key.kstack_id < b->key.kstack_id ? -1 : a->key.kstack_id > b->key.kstack_id;
}

/* The tracing machinery atop a stack: the BPF program's or the module's probe. */
static bool mutex__glue(const char *name)
{
	static const char *const glue[] = { "bpf_trace_run", "__traceiter_", "mx_probe_",
					    "mx_count" };

	for (size_t k = 0; k < sizeof(glue) / sizeof(glue[0]); k++)
		if (!strncmp(name, glue[k], strlen(glue[k])))
			return true;
	return false;
}

/*
 * Symbolize kernel stack @id into @st, innermost first. Frames past the
 * first are return addresses: look up addr - 1. The leading frames of the
 * tracing machinery are left out.
 */
static void mutex__stack(const struct mutex_source *src, int32_t id, struct mutex_stack *st)
{
	bool named = src->ksyms && !ksyms__restricted(src->ksyms);
	uint64_t ips[HLD_MAX_STACK];
	int first = 0;

	st->nr = 0;
	memset(ips, 0, sizeof(ips));
	if (src->stack(src->ctx, id, ips))
		return;
	for (int i = 0; i < MUTEX_TRACE_FRAMES && ips[i] && named; i++) {
		const char *name = ksyms__name(src->ksyms, i ? ips[i] - 1 : ips[i]);

		if (name && mutex__glue(name))
			first = i + 1;
	}
	for (int i = first; i < HLD_MAX_STACK && ips[i]; i++) {
		const char *name = named ? ksyms__name(src->ksyms, i ? ips[i] - 1 : ips[i]) : NULL;

		if (name)
			snprintf(st->names[st->nr], MUTEX_FRAME_LEN, "%s", name);
		else
			snprintf(st->names[st->nr], MUTEX_FRAME_LEN, "0x%llx",
				 (unsigned long long)ips[i]);
		st->nr++;
	}
}

/* Add one row as "comm;kernel outer..inner_[k];[lock 0x.. flags]", weighted in us. */
static int mutex__fold(struct folded *fo, const struct mutex_row *r, const char *comm,
		       const struct mutex_stack *ks, const char *flags)
{
	static char frames[HLD_MAX_STACK + 2][MUTEX_FRAME_LEN + 4];
	const char *ptrs[HLD_MAX_STACK + 2];
	uint64_t us = r->val.total_ns / 1000;
	size_t n = 0;

	if (!us)
		return 0;
	bpf_util__frame(frames[n], MUTEX_FRAME_LEN, comm[0] ? comm : "[unknown]");
	ptrs[n] = frames[n];
	n++;
	for (int i = ks->nr - 1; i >= 0; i--, n++) {
		bpf_util__frame(frames[n], MUTEX_FRAME_LEN, ks->names[i]);
		strcat(frames[n], "_[k]");
		ptrs[n] = frames[n];
	}
	snprintf(frames[n], sizeof(frames[n]), "[lock 0x%llx %s]",
		 (unsigned long long)r->key.lock, flags);
	ptrs[n] = frames[n];
	n++;
	return folded__add_frames(fo, ptrs, n, us);
}

/* The hold times of @lock in @d, or NULL. */
static const struct mutex_hold *mutex__hold(const struct mutex_drained *d, uint64_t lock)
{
	for (size_t i = 0; i < d->nr_holds; i++)
		if (d->holds[i].lock == lock)
			return &d->holds[i];
	return NULL;
}

/*
 * The settings and totals, as JSON members of the object @j is in: @d is
 * this report's (since the last one), the drops count since activation.
 */
static void mutex__json_head(struct json_writer *j, const struct mutex_source *src,
			     const struct hld_mutex_settings *s, const struct mutex_drained *d,
			     uint64_t wait_ns)
{
	char comm[HLD_COMM_LEN + 1];

	json__str(j, "backend", src->backend);
	json__uint(j, "min_wait_ns", s->min_wait_ns);
	json__int(j, "tgid", s->tgid);
	json__uint(j, "events", d->contentions);
	json__uint(j, "contentions", d->contentions);
	json__uint(j, "wait_ns", wait_ns);
	json__uint(j, "short_waits", d->short_waits);
	json__uint(j, "drops", src->drops);
	json__begin_object(j, "drops_by_cause");
	for (int i = 0; i < src->nr_causes; i++)
		json__uint(j, src->cause_names[i], src->causes[i]);
	json__end_object(j);
	json__str(j, "hold_time", src->hold_time);
	json__bool(j, "hold_time_available", src->holds);
	json__str(j, "limits", src->limits);
	json__bool(j, "kernel_symbols_restricted",
		   !src->ksyms || ksyms__restricted(src->ksyms));
	if (!src->holds)
		return;
	json__begin_array(j, "holds");
	for (size_t i = 0; i < d->nr_holds; i++) {
		const struct mutex_hold *h = &d->holds[i];

		memcpy(comm, h->max_comm, HLD_COMM_LEN);
		comm[HLD_COMM_LEN] = '\0';
		json__begin_object(j, NULL);
		json__uint(j, "lock", h->lock);
		json__uint(j, "count", h->count);
		json__uint(j, "total_ns", h->total_ns);
		json__uint(j, "max_ns", h->max_ns);
		json__uint(j, "lower_bounds", h->inexact);
		json__uint(j, "max_pid", h->max_pid);
		json__uint(j, "max_tgid", h->max_tgid);
		json__str(j, "max_comm", comm);
		json__bool(j, "max_is_lower_bound", h->max_inexact);
		json__end_object(j);
	}
	json__end_array(j);
}

/* Write one row to the text file (if @txt) and the JSON writers, and fold it. */
static int mutex__row(const struct mutex_source *src, const struct mutex_drained *d,
		      const struct mutex_row *r, FILE *txt, struct json_writer *const *js,
		      size_t nj, struct folded *fo)
{
	static struct mutex_stack ks;
	char comm[HLD_COMM_LEN + 1], hcomm[HLD_COMM_LEN + 1], flags[64];
	const struct mutex_hold *h = mutex__hold(d, r->key.lock);

	memcpy(comm, r->val.waiter_comm, HLD_COMM_LEN);
	comm[HLD_COMM_LEN] = '\0';
	memcpy(hcomm, r->val.holder_comm, HLD_COMM_LEN);
	hcomm[HLD_COMM_LEN] = '\0';
	mutex__flags(r->key.flags, flags, sizeof(flags));
	mutex__stack(src, r->key.kstack_id, &ks);

	if (txt) {
		fprintf(txt, "lock 0x%llx (%s): %llu waits, %.3f ms total, %.3f ms max, "
			"avg %.1f us; longest by %u/%u %s",
			(unsigned long long)r->key.lock, flags, (unsigned long long)r->val.count,
			r->val.total_ns / 1e6, r->val.max_ns / 1e6,
			r->val.count ? r->val.total_ns / 1e3 / r->val.count : 0.0,
			r->val.waiter_pid, r->key.tgid, comm);
		if (r->val.holder_pid)
			fprintf(txt, "; holder seen in %llu waits, in the longest (%.1f us) %u/%u %s",
				(unsigned long long)r->val.holder_waits, r->val.holder_wait_ns / 1e3,
				r->val.holder_pid, r->val.holder_tgid, hcomm);
		fputc('\n', txt);
		if (h) {
			char mcomm[HLD_COMM_LEN + 1];

			memcpy(mcomm, h->max_comm, HLD_COMM_LEN);
			mcomm[HLD_COMM_LEN] = '\0';
			fprintf(txt, "  held: %llu holds ended, %.3f ms total, longest %s%.3f ms by "
				"%u/%u %s (%llu timed from a contention: lower bounds)\n",
				(unsigned long long)h->count, h->total_ns / 1e6,
				h->max_inexact ? ">= " : "", h->max_ns / 1e6, h->max_pid,
				h->max_tgid, mcomm, (unsigned long long)h->inexact);
		}
		for (int i = 0; i < ks.nr; i++)
			fprintf(txt, "    %s\n", ks.names[i]);
		fputc('\n', txt);
	}
	for (size_t k = 0; k < nj; k++) {
		json__begin_object(js[k], NULL);
		json__uint(js[k], "lock", r->key.lock);
		json__uint(js[k], "flags", r->key.flags);
		json__str(js[k], "kind", flags);
		json__uint(js[k], "tgid", r->key.tgid);
		json__uint(js[k], "waiter_pid", r->val.waiter_pid);
		json__str(js[k], "waiter_comm", comm);
		json__uint(js[k], "count", r->val.count);
		json__uint(js[k], "total_ns", r->val.total_ns);
		json__uint(js[k], "max_ns", r->val.max_ns);
		json__uint(js[k], "holder_waits", r->val.holder_waits);
		json__uint(js[k], "holder_wait_ns", r->val.holder_wait_ns);
		json__uint(js[k], "holder_pid", r->val.holder_pid);
		json__uint(js[k], "holder_tgid", r->val.holder_tgid);
		json__str(js[k], "holder_comm", hcomm);
		json__begin_array(js[k], "kstack");
		for (int i = 0; i < ks.nr; i++)
			json__str(js[k], NULL, ks.names[i]);
		json__end_array(js[k]);
		json__end_object(js[k]);
	}
	return mutex__fold(fo, r, comm, &ks, flags);
}

/* Open @dir/@name for writing into *@o. 0 or -errno. */
static int mutex__open(const char *dir, const char *name, FILE **o)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*o = fopen(path, "we");
	return *o ? 0 : -errno;
}

int mutex__report_out(struct diag_feature *f, const struct mutex_source *src,
		      struct mutex_drained *d, const struct diag_outputs *out)
{
	const struct hld_mutex_settings *s = f->settings;
	FILE *txt = NULL, *fold = NULL, *jf = NULL;
	struct json_writer jw, *js[2] = { &jw, out->json };
	struct folded *fo;
	uint64_t wait_ns = 0;
	int err;

	fo = folded__new();
	if (!fo)
		return -ENOMEM;
	if (d->nr)
		qsort(d->rows, d->nr, sizeof(*d->rows), mutex__cmp);
	err = mutex__open(out->dir, "mutex.txt", &txt);
	if (!err)
		err = mutex__open(out->dir, "mutex.folded", &fold);
	if (!err)
		err = mutex__open(out->dir, "mutex.json", &jf);
	if (err)
		goto out_close;
	for (size_t i = 0; i < d->nr; i++)
		wait_ns += d->rows[i].val.total_ns;

	json__init(&jw, jf, true);
	json__begin_object(&jw, NULL);
	for (int k = 0; k < 2; k++) {
		mutex__json_head(js[k], src, s, d, wait_ns);
		json__begin_array(js[k], "locks");
	}
	fprintf(txt, "# mutex-monitor (%s): kernel lock contention since the last report, most "
		"wait time first (top %llu of %zu)\n", src->backend, (unsigned long long)s->top,
		d->nr);
	fprintf(txt, "# %llu contentions, %.3f ms waited, %llu waits under %llu ns not counted; "
		"%llu dropped since activation\n", (unsigned long long)d->contentions,
		wait_ns / 1e6, (unsigned long long)d->short_waits,
		(unsigned long long)s->min_wait_ns, (unsigned long long)src->drops);
	fprintf(txt, "# hold time: %s\n", src->hold_time);
	fprintf(txt, "# shown: %s\n", src->limits);
	fprintf(txt, "# \"longest by\": the waiter of the longest wait; holder: the mutex owner seen\n"
		"#   when a wait began (mutexes only), named for the longest such wait; the\n"
		"#   holder's stack cannot be taken from the waiter's context: not shown\n");
	if (src->holds)
		fprintf(txt, "# \"held\": the lock's holds that ended since the last report, from\n"
			"#   acquisition (or, for a hold begun before the lock was seen contended,\n"
			"#   from the contention that revealed its owner) to mutex_unlock\n");
	fprintf(txt, "# waiter kernel stack innermost first\n\n");
	/* The run's JSON gets the top rows; mutex.json and mutex.folded get every row. */
	for (size_t i = 0; i < d->nr && !err; i++)
		err = mutex__row(src, d, &d->rows[i], i < s->top ? txt : NULL, js,
				 i < s->top ? 2 : 1, fo);
	for (int k = 0; k < 2; k++)
		json__end_array(js[k]);
	json__end_object(&jw);
	fputc('\n', jf);
	if (!err)
		err = folded__write(fo, fold);

	f->events = d->contentions;
	f->drops = src->drops;
	diag_feature__set_metric(f, "contentions", d->contentions);
	diag_feature__set_metric(f, "wait_ns", wait_ns);
	diag_feature__set_metric(f, "drops", src->drops);
out_close:
	if (txt && fclose(txt) && !err)
		err = -errno;
	if (fold && fclose(fold) && !err)
		err = -errno;
	if (jf && fclose(jf) && !err)
		err = -errno;
	folded__free(fo);
	return err;
}
