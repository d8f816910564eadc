// SPDX-License-Identifier: GPL-2.0
/*
 * mutexmon.c - mutex-monitor, user side: loads mutexmon.bpf.c once,
 * attaches it to lock:contention_begin/end while a phase is active, and
 * reports from its maps: mutex.txt (contended locks, most wait time first,
 * with the waiter's kernel stack and the mutex holder seen), mutex.json and
 * mutex.folded (waiter stacks weighted by wait time in microseconds).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "diag.h"
#include "folded.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "mutexmon.skel.h"
#include "syms.h"

#define MUTEX_FRAME_LEN		256
#define MUTEX_TRACE_FRAMES	5	/* BPF program and tracepoint glue atop a kernel stack */
#define MUTEX_HOLD_CAVEAT	"hold time: not available on this kernel (needs kprobes)"
#define MUTEX_LIMITS		"wait counts, wait time, waiter stacks and the mutex owner " \
				"at wait start only; not shown: lock hold time (needs kprobes " \
				"on the unlock path, absent here) and the holder's stack"

struct mutexmon {
	struct mutexmon_bpf *skel;
	struct bpf_link *begin, *end;
	struct ksyms *ksyms;		/* NULL if /proc/kallsyms cannot be read */
	bool pinned;			/* maps and links pinned: they outlive this process */
};

struct mutexmon_row {
	struct hld_mutex_key key;
	struct hld_mutex_val val;
};

/* One stack, symbolized: frames innermost first. */
struct mutexmon_stack {
	int nr;
	char names[HLD_MAX_STACK][MUTEX_FRAME_LEN];
};

/* The lock flags as text: "mutex", "spin", "read", ... joined by '|'. */
static const char *mutexmon__flags(uint32_t flags, char *buf, size_t len)
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

/*
 * Usable if BPF works and both lock tracepoint programs load on this kernel.
 * When usable, @why says what the kernel cannot show here.
 */
static int mutexmon_probe(char *why, size_t len)
{
	struct mutexmon_bpf *skel;
	int err;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	skel = mutexmon_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "cannot load the lock:contention_begin/end programs: %s",
			 strerror(-err));
		return err;
	}
	mutexmon_bpf__destroy(skel);
	snprintf(why, len, "%s", MUTEX_LIMITS);
	return 0;
}

/* The private state of @f, allocated on first use. */
static struct mutexmon *mutexmon__priv(struct diag_feature *f)
{
	struct mutexmon *m = f->priv;

	if (m)
		return m;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->ksyms = ksyms__load();	/* NULL: frames become addresses */
	f->priv = m;
	return m;
}

/*
 * Open and load the programs for @s, on the maps pinned in @pin_dir if it is
 * set (created and pinned there by the first load, reused by the next).
 */
static int mutexmon__load(struct mutexmon *m, const struct hld_mutex_settings *s,
			  const char *pin_dir)
{
	int err;

	m->skel = mutexmon_bpf__open();
	if (!m->skel)
		return -errno;
	m->skel->rodata->targ_min_ns = s->min_wait_ns;
	m->skel->rodata->targ_tgid = s->tgid;
	err = pin_dir ? bpf_util__pin_maps(m->skel->obj, pin_dir) : 0;
	if (!err)
		err = mutexmon_bpf__load(m->skel);
	if (err) {
		mutexmon_bpf__destroy(m->skel);
		m->skel = NULL;
		return err < 0 ? err : -EINVAL;
	}
	m->pinned = pin_dir != NULL;
	return 0;
}

/* Close the links: unpinned ones detach, pinned ones stay attached by their pin. */
static void mutexmon__detach(struct mutexmon *m)
{
	bpf_link__destroy(m->begin);
	m->begin = NULL;
	bpf_link__destroy(m->end);
	m->end = NULL;
}

/*
 * Load the programs on the first phase (the maps then live until free) and
 * attach them. With f->pin_dir, the maps and links are pinned there: the
 * monitor goes on after this process exits.
 */
static int mutexmon_activate(struct diag_feature *f)
{
	struct mutexmon *m = mutexmon__priv(f);
	int err;

	if (!m)
		return -ENOMEM;
	if (!m->skel) {
		err = mutexmon__load(m, f->settings, f->pin_dir);
		if (err)
			return err;
	}
	/* end first: a wait whose begin is seen always has its end seen. */
	m->end = bpf_program__attach(m->skel->progs.mutexmon_end);
	if (!m->end)
		return -errno;
	m->begin = bpf_program__attach(m->skel->progs.mutexmon_begin);
	if (!m->begin) {
		err = -errno;
		mutexmon__detach(m);
		return err;
	}
	if (!f->pin_dir)
		return 0;
	err = bpf_util__pin_link(m->end, f->pin_dir, "link_end");
	if (!err)
		err = bpf_util__pin_link(m->begin, f->pin_dir, "link_begin");
	if (err)
		mutexmon__detach(m);
	return err;
}

/* Attach to a persistent activation: its pinned maps, for report(); no program attached. */
static int mutexmon_reopen(struct diag_feature *f)
{
	struct mutexmon *m = mutexmon__priv(f);

	if (!m)
		return -ENOMEM;
	return mutexmon__load(m, f->settings, f->pin_dir);
}

/* Detach; the counts and stacks stay in the maps for report(). */
static int mutexmon_deactivate(struct diag_feature *f)
{
	struct mutexmon *m = f->priv;

	if (!m || !m->begin)
		return 0;
	mutexmon__detach(m);
	f->kernel_run_ns = 0;
	f->kernel_run_cnt = 0;
	bpf_util__prog_stats(bpf_program__fd(m->skel->progs.mutexmon_begin),
			     &f->kernel_run_ns, &f->kernel_run_cnt);
	bpf_util__prog_stats(bpf_program__fd(m->skel->progs.mutexmon_end),
			     &f->kernel_run_ns, &f->kernel_run_cnt);
	return 0;
}

/* Most wait time first, then by count, lock and stack: a stable order. */
static int mutexmon__cmp(const void *pa, const void *pb)
{
	const struct mutexmon_row *a = pa, *b = pb;

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

/* What one drain took from the maps: the waits that ended since the last one. */
struct mutexmon_drained {
	struct mutexmon_row *rows;	/* sorted, most wait time first */
	size_t nr;
	uint64_t contentions;		/* counted by the programs */
	uint64_t short_waits;		/* under min-wait-ns, not counted */
};

/*
 * Take the waits that ended so far out of the maps into @d: flip the
 * generation, wait until no program still writes the old one, then read
 * every row of the old counts hash, delete them and zero the old counters.
 * Exact: a wait ending meanwhile goes to the new generation, for the next
 * drain.
 */
static int mutexmon__drain(struct mutexmon *m, struct mutexmon_drained *d)
{
	struct mutexmon_bpf__bss *b = m->skel->bss;
	uint32_t old = b->gen & 1;
	struct hld_mutex_key key, next;
	size_t cap = 0;
	int fd, err;

	__atomic_store_n(&b->gen, old ^ 1, __ATOMIC_SEQ_CST);
	err = bpf_util__grace_period();
	if (err)
		return err;
	fd = bpf_map__fd(old ? m->skel->maps.counts1 : m->skel->maps.counts0);
	for (void *prev = NULL; !bpf_map_get_next_key(fd, prev, &next); prev = &key) {
		key = next;
		if (bpf_util__reserve((void **)&d->rows, &cap, d->nr + 1, sizeof(*d->rows)))
			return -ENOMEM;
		if (bpf_map_lookup_elem(fd, &next, &d->rows[d->nr].val))
			continue;
		d->rows[d->nr].key = next;
		d->nr++;
	}
	/* Nothing writes the old generation now: delete after the walk, which they would restart. */
	for (size_t i = 0; i < d->nr; i++)
		bpf_map_delete_elem(fd, &d->rows[i].key);
	d->contentions = b->nr_contentions[old];
	d->short_waits = b->nr_short[old];
	b->nr_contentions[old] = 0;
	b->nr_short[old] = 0;
	qsort(d->rows, d->nr, sizeof(*d->rows), mutexmon__cmp);
	return 0;
}

/*
 * Symbolize kernel stack @id into @st, innermost first. Frames past the
 * first are return addresses: look up addr - 1. The leading frames of the
 * BPF program, bpf_trace_run*() and __traceiter_*() are the tracing
 * machinery: left out.
 */
static void mutexmon__stack(struct mutexmon *m, int32_t id, struct mutexmon_stack *st)
{
	bool named = m->ksyms && !ksyms__restricted(m->ksyms);
	uint64_t ips[HLD_MAX_STACK];
	int first = 0;

	st->nr = 0;
	if (id < 0 || bpf_map_lookup_elem(bpf_map__fd(m->skel->maps.stacks), &id, ips))
		return;
	for (int i = 0; i < MUTEX_TRACE_FRAMES && ips[i] && named; i++) {
		const char *name = ksyms__name(m->ksyms, i ? ips[i] - 1 : ips[i]);

		if (name && (!strncmp(name, "bpf_trace_run", 13) ||
			     !strncmp(name, "__traceiter_", 12)))
			first = i + 1;
	}
	for (int i = first; i < HLD_MAX_STACK && ips[i]; i++) {
		const char *name = named ? ksyms__name(m->ksyms, i ? ips[i] - 1 : ips[i]) : NULL;

		if (name)
			snprintf(st->names[st->nr], MUTEX_FRAME_LEN, "%s", name);
		else
			snprintf(st->names[st->nr], MUTEX_FRAME_LEN, "0x%llx",
				 (unsigned long long)ips[i]);
		st->nr++;
	}
}

/* Add one row as "comm;kernel outer..inner_[k];[lock 0x.. flags]", weighted in us. */
static int mutexmon__fold(struct folded *fo, const struct mutexmon_row *r, const char *comm,
			  const struct mutexmon_stack *ks, const char *flags)
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

/*
 * The settings and totals, as JSON members of the object @j is in: @d is
 * this report's (since the last one), the drops count since activation.
 */
static void mutexmon__json_head(struct mutexmon *m, struct json_writer *j,
				const struct hld_mutex_settings *s,
				const struct mutexmon_drained *d, uint64_t wait_ns)
{
	const struct mutexmon_bpf__bss *b = m && m->skel ? m->skel->bss : NULL;

	json__uint(j, "min_wait_ns", s->min_wait_ns);
	json__int(j, "tgid", s->tgid);
	json__uint(j, "events", d->contentions);
	json__uint(j, "contentions", d->contentions);
	json__uint(j, "wait_ns", wait_ns);
	json__uint(j, "short_waits", d->short_waits);
	json__uint(j, "drops", b ? b->nr_drops : 0);
	json__begin_object(j, "drops_by_cause");
	json__uint(j, "kernel_stack", b ? b->nr_drop_kstack : 0);
	json__uint(j, "nesting", b ? b->nr_drop_nest : 0);
	json__uint(j, "count_map_full", b ? b->nr_drop_count : 0);
	json__uint(j, "task_storage", b ? b->nr_drop_storage : 0);
	json__end_object(j);
	json__str(j, "hold_time", "not available on this kernel (needs kprobes)");
	json__str(j, "limits", MUTEX_LIMITS);
	json__bool(j, "kernel_symbols_restricted",
		   !m || !m->ksyms || ksyms__restricted(m->ksyms));
}

/* Write one row to the text file (if @txt) and the JSON writers, and fold it. */
static int mutexmon__row(struct mutexmon *m, const struct mutexmon_row *r, FILE *txt,
			 struct json_writer *const *js, size_t nj, struct folded *fo)
{
	static struct mutexmon_stack ks;
	char comm[HLD_COMM_LEN + 1], hcomm[HLD_COMM_LEN + 1], flags[64];

	memcpy(comm, r->val.waiter_comm, HLD_COMM_LEN);
	comm[HLD_COMM_LEN] = '\0';
	memcpy(hcomm, r->val.holder_comm, HLD_COMM_LEN);
	hcomm[HLD_COMM_LEN] = '\0';
	mutexmon__flags(r->key.flags, flags, sizeof(flags));
	mutexmon__stack(m, r->key.kstack_id, &ks);

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
	return mutexmon__fold(fo, r, comm, &ks, flags);
}

/* Open @dir/@name for writing into *@o. 0 or -errno. */
static int mutexmon__open(const char *dir, const char *name, FILE **o)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*o = fopen(path, "we");
	return *o ? 0 : -errno;
}

/*
 * Write mutex.txt, mutex.json and mutex.folded with the waits that ended
 * since the last report (taken out of the maps: see mutexmon__drain), and
 * the drops since activation.
 */
static int mutexmon_report(struct diag_feature *f, const struct diag_outputs *out)
{
	const struct hld_mutex_settings *s = f->settings;
	struct mutexmon *m = f->priv;
	struct mutexmon_drained d = { 0 };
	FILE *txt = NULL, *fold = NULL, *jf = NULL;
	struct json_writer jw, *js[2] = { &jw, out->json };
	struct folded *fo;
	uint64_t wait_ns = 0, drops = 0;
	int err;

	fo = folded__new();
	if (!fo)
		return -ENOMEM;
	err = m && m->skel ? mutexmon__drain(m, &d) : 0;
	if (!err)
		err = mutexmon__open(out->dir, "mutex.txt", &txt);
	if (!err)
		err = mutexmon__open(out->dir, "mutex.folded", &fold);
	if (!err)
		err = mutexmon__open(out->dir, "mutex.json", &jf);
	if (err)
		goto out_close;
	for (size_t i = 0; i < d.nr; i++)
		wait_ns += d.rows[i].val.total_ns;
	if (m && m->skel)
		drops = m->skel->bss->nr_drops;

	json__init(&jw, jf, true);
	json__begin_object(&jw, NULL);
	for (int k = 0; k < 2; k++) {
		mutexmon__json_head(m, js[k], s, &d, wait_ns);
		json__begin_array(js[k], "locks");
	}
	fprintf(txt, "# mutex-monitor (bpf): kernel lock contention since the last report, most "
		"wait time first (top %llu of %zu)\n", (unsigned long long)s->top, d.nr);
	fprintf(txt, "# %llu contentions, %.3f ms waited, %llu waits under %llu ns not counted; "
		"%llu dropped since activation\n", (unsigned long long)d.contentions,
		wait_ns / 1e6, (unsigned long long)d.short_waits,
		(unsigned long long)s->min_wait_ns, (unsigned long long)drops);
	fprintf(txt, "# " MUTEX_HOLD_CAVEAT "\n");
	fprintf(txt, "# shown: " MUTEX_LIMITS "\n");
	fprintf(txt, "# \"longest by\": the waiter of the longest wait; holder: the mutex owner seen\n"
		"#   when a wait began (mutexes only), named for the longest such wait; the\n"
		"#   holder's stack cannot be taken from the waiter's context: not shown\n");
	fprintf(txt, "# waiter kernel stack innermost first\n\n");
	/* The run's JSON gets the top rows; mutex.json and mutex.folded get every row. */
	for (size_t i = 0; i < d.nr && !err; i++)
		err = mutexmon__row(m, &d.rows[i], i < s->top ? txt : NULL, js,
				    i < s->top ? 2 : 1, fo);
	for (int k = 0; k < 2; k++)
		json__end_array(js[k]);
	json__end_object(&jw);
	fputc('\n', jf);
	if (!err)
		err = folded__write(fo, fold);

	f->events = d.contentions;
	f->drops = drops;
	diag_feature__set_metric(f, "contentions", d.contentions);
	diag_feature__set_metric(f, "wait_ns", wait_ns);
	diag_feature__set_metric(f, "drops", drops);
out_close:
	if (txt && fclose(txt) && !err)
		err = -errno;
	if (fold && fclose(fold) && !err)
		err = -errno;
	if (jf && fclose(jf) && !err)
		err = -errno;
	folded__free(fo);
	free(d.rows);
	return err;
}

/*
 * Release everything. Unpinned links detach; pinned ones (a persistent
 * activation, or a process that reopened it) stay attached by their pins.
 */
static void mutexmon_free(struct diag_feature *f)
{
	struct mutexmon *m = f->priv;

	if (!m)
		return;
	if (m->pinned)
		mutexmon__detach(m);
	else
		mutexmon_deactivate(f);
	mutexmon_bpf__destroy(m->skel);
	if (m->ksyms)
		ksyms__free(m->ksyms);
	free(m);
	f->priv = NULL;
}

const struct diag_ops bpf_mutex_monitor_ops = {
	.id = DIAG_mutex_monitor,
	.probe = mutexmon_probe,
	.activate = mutexmon_activate,
	.deactivate = mutexmon_deactivate,
	.report = mutexmon_report,
	.reopen = mutexmon_reopen,
	.free = mutexmon_free,
};
