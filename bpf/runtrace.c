// SPDX-License-Identifier: GPL-2.0
/*
 * runtrace.c - run-trace, user side: traces one thread (setting pid) with
 * runtrace.bpf.c, drains its intervals from the ring buffer every poll and
 * writes run-trace.txt (the timeline and totals) and run-trace.json. The
 * totals come from the BPF counters, so they hold even when records were
 * dropped over max-events.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "diag.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "runtrace-report.h"
#include "runtrace.skel.h"

#define RT_MAX_LINKS		8	/* programs in runtrace.bpf.c: 5 */

struct runtrace {
	struct runtrace_bpf *skel;
	struct bpf_link *links[RT_MAX_LINKS];
	struct ring_buffer *rb[2];	/* readers of the two generations' ring buffers */
	struct rt_timeline tl;		/* intervals received since the last report */
	struct rt_totals done;		/* phases ended since the last report */
	uint64_t drops_done, no_stack_done;	/* drop counters of the phases ended */
	bool pinned;			/* maps and links pinned: they outlive this process */
};

/* ring_buffer callback: keep one interval (on-CPU records are short). */
static int runtrace__on_record(void *ctx, void *data, size_t size)
{
	struct runtrace *rt = ctx;

	return runtrace__keep(&rt->tl, data, size);
}

/* Usable if BPF works and the sched and syscall programs load here. */
static int runtrace_probe(char *why, size_t len)
{
	struct runtrace_bpf *skel;
	int err;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	skel = runtrace_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "cannot load the sched_switch/sys_enter programs: %s",
			 strerror(-err));
		return err;
	}
	runtrace_bpf__destroy(skel);
	return 0;
}

/* The private state of @f, allocated on first use. */
static struct runtrace *runtrace__priv(struct diag_feature *f)
{
	struct runtrace *rt = f->priv;

	if (rt)
		return rt;
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return NULL;
	runtrace__timeline_init(&rt->tl);
	f->priv = rt;
	return rt;
}

/*
 * Open and load the programs for @s, on the maps pinned in @pin_dir if it is
 * set (created and pinned there by the first load, reused by the next), and
 * set up the ring buffer reader. Nothing is attached.
 */
static int runtrace__load(struct runtrace *rt, const struct hld_runtrace_settings *s,
			  const char *pin_dir)
{
	uint32_t size = bpf_util__ringbuf_size(s->ringbuf_size / 2, getpagesize());
	int err;

	rt->skel = runtrace_bpf__open();
	if (!rt->skel)
		return -errno;
	rt->skel->rodata->targ_pid = (uint32_t)s->pid;
	rt->skel->rodata->max_events = s->max_events;
	err = bpf_map__set_max_entries(rt->skel->maps.events0, size);
	if (!err)
		err = bpf_map__set_max_entries(rt->skel->maps.events1, size);
	if (!err && pin_dir)
		err = bpf_util__pin_maps(rt->skel->obj, pin_dir);
	if (!err)
		err = runtrace_bpf__load(rt->skel);
	if (err)
		goto out_destroy;
	rt->rb[0] = ring_buffer__new(bpf_map__fd(rt->skel->maps.events0), runtrace__on_record,
				     rt, NULL);
	rt->rb[1] = ring_buffer__new(bpf_map__fd(rt->skel->maps.events1), runtrace__on_record,
				     rt, NULL);
	if (!rt->rb[0] || !rt->rb[1]) {
		err = -errno;
		goto out_destroy;
	}
	rt->pinned = pin_dir != NULL;
	return 0;

out_destroy:
	for (int g = 0; g < 2; g++) {
		ring_buffer__free(rt->rb[g]);
		rt->rb[g] = NULL;
	}
	runtrace_bpf__destroy(rt->skel);
	rt->skel = NULL;
	return err < 0 ? err : -EINVAL;
}

/* Close the links: unpinned ones detach, pinned ones stay attached by their pin. */
static void runtrace__detach(struct runtrace *rt)
{
	for (size_t i = 0; i < sizeof(rt->links) / sizeof(rt->links[0]); i++) {
		bpf_link__destroy(rt->links[i]);
		rt->links[i] = NULL;
	}
}

/* Release the loaded object and the reader, not the data received. */
static void runtrace__unload(struct runtrace *rt)
{
	runtrace__detach(rt);
	for (int g = 0; g < 2; g++) {
		ring_buffer__free(rt->rb[g]);
		rt->rb[g] = NULL;
	}
	runtrace_bpf__destroy(rt->skel);
	rt->skel = NULL;
}

/*
 * Load a fresh object for @s->pid and attach it; -EINVAL without a pid. With
 * f->pin_dir, the maps and the links are pinned there: the trace goes on
 * after this process exits.
 */
static int runtrace_activate(struct diag_feature *f)
{
	const struct hld_runtrace_settings *s = f->settings;
	struct bpf_program *prog;
	struct runtrace *rt;
	char name[64];
	int i = 0, err;

	if (s->pid <= 0)
		return -EINVAL;
	rt = runtrace__priv(f);
	if (!rt)
		return -ENOMEM;
	f->kernel_cost_in_thread = false;
	err = runtrace__load(rt, s, f->pin_dir);
	if (err)
		return err;
	bpf_object__for_each_program(prog, rt->skel->obj) {
		if (i == RT_MAX_LINKS) {
			err = -E2BIG;
			goto out_unload;
		}
		rt->links[i] = bpf_program__attach(prog);
		if (!rt->links[i]) {
			err = -errno;
			goto out_unload;
		}
		if (f->pin_dir) {
			snprintf(name, sizeof(name), "link_%s", bpf_program__name(prog));
			err = bpf_util__pin_link(rt->links[i], f->pin_dir, name);
			if (err)
				goto out_unload;
		}
		i++;
	}
	return 0;

out_unload:
	runtrace__unload(rt);
	return err;
}

/* Attach to a persistent activation: its pinned maps, for report(); no program attached. */
static int runtrace_reopen(struct diag_feature *f)
{
	struct runtrace *rt = runtrace__priv(f);

	if (!rt)
		return -ENOMEM;
	return runtrace__load(rt, f->settings, f->pin_dir);
}

/*
 * Move the intervals that ended so far into @t and rt->tl: flip the
 * generation, wait until no program still writes the old one, then add the
 * old counters and zero them, and empty the old ring buffer. Exact: an
 * interval ending meanwhile goes to the new half, for the next drain.
 */
static int runtrace__drain(struct runtrace *rt, struct rt_totals *t)
{
	struct runtrace_bpf__bss *b = rt->skel->bss;
	uint32_t old = b->gen & 1;
	int err;

	__atomic_store_n(&b->gen, old ^ 1, __ATOMIC_SEQ_CST);
	err = bpf_util__grace_period();
	if (err)
		return err;
	for (int k = 0; k < HLD_RUNTRACE_KIND__MAX; k++) {
		t->oncpu_ns[k] += b->oncpu_ns[old][k];
		b->oncpu_ns[old][k] = 0;
	}
	for (int k = 0; k < HLD_RUNTRACE_REASON__MAX; k++) {
		t->offcpu_ns[k] += b->offcpu_ns[old][k];
		t->offcpu_cnt[k] += b->offcpu_cnt[old][k];
		b->offcpu_ns[old][k] = 0;
		b->offcpu_cnt[old][k] = 0;
	}
	b->nr_events[old] = 0;
	err = ring_buffer__consume(rt->rb[old]);
	return err < 0 ? err : 0;
}

/* Drops since activation: the phases ended and the live counters. */
static uint64_t runtrace__drops(const struct runtrace *rt, uint64_t *no_stack)
{
	uint64_t drops = rt->drops_done;

	*no_stack = rt->no_stack_done;
	if (rt->skel) {
		drops += rt->skel->bss->nr_drops;
		*no_stack += rt->skel->bss->nr_no_stack;
	}
	return drops;
}

/* Drain the ring buffer into memory; events count what the next report will show. */
static int runtrace_poll(struct diag_feature *f)
{
	struct runtrace *rt = f->priv;
	uint64_t no_stack;
	int err;

	if (!rt || !rt->skel)
		return 0;
	for (int g = 0; g < 2; g++) {
		err = ring_buffer__consume(rt->rb[g]);
		if (err < 0)
			return err;
	}
	f->events = rt->tl.nr_recs;
	f->drops = runtrace__drops(rt, &no_stack);
	return rt->tl.rec_err;
}

/* Detach, drain, and keep this phase's counters for the report. */
static int runtrace_deactivate(struct diag_feature *f)
{
	struct runtrace *rt = f->priv;
	struct bpf_program *prog;
	int err, err2;

	if (!rt || !rt->skel)
		return 0;
	runtrace__detach(rt);
	err = runtrace_poll(f);
	bpf_object__for_each_program(prog, rt->skel->obj)
		bpf_util__prog_stats(bpf_program__fd(prog), &f->kernel_run_ns, &f->kernel_run_cnt);
	err2 = runtrace__drain(rt, &rt->done);
	rt->drops_done += rt->skel->bss->nr_drops;
	rt->no_stack_done += rt->skel->bss->nr_no_stack;
	f->drops = rt->drops_done;
	runtrace__unload(rt);
	return err ? err : err2;
}

/*
 * Write run-trace.txt and run-trace.json with what ended since the last
 * report (see runtrace__drain), then forget it.
 */
static int runtrace_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct runtrace *rt = f->priv;
	struct runtrace empty = { 0 };
	struct rt_totals t;
	struct rt_losses l;
	int err = 0;

	if (!rt)
		rt = &empty;
	t = rt->done;
	if (rt->skel) {
		err = runtrace__drain(rt, &t);
		if (err)
			return err;
	}
	l.drops = runtrace__drops(rt, &l.no_stack);
	err = runtrace__report_out(f, &rt->tl, &t, &l, "bpf", out);
	/* Reported: the next report starts from here. */
	rt->tl.nr_recs = 0;
	rt->tl.rec_err = 0;
	memset(&rt->done, 0, sizeof(rt->done));
	return err;
}

/*
 * Release everything. An unpinned trace is deactivated first; a pinned one
 * (activation or reopen) is left as it is: its pinned links keep it
 * attached and its ring buffer keeps the records for the next report.
 */
static void runtrace_free(struct diag_feature *f)
{
	struct runtrace *rt = f->priv;

	if (!rt)
		return;
	if (rt->pinned)
		runtrace__unload(rt);
	else
		runtrace_deactivate(f);
	runtrace__timeline_free(&rt->tl);
	free(rt);
	f->priv = NULL;
}

const struct diag_ops bpf_run_trace_ops = {
	.id = DIAG_run_trace,
	.probe = runtrace_probe,
	.activate = runtrace_activate,
	.poll = runtrace_poll,
	.deactivate = runtrace_deactivate,
	.report = runtrace_report,
	.reopen = runtrace_reopen,
	.free = runtrace_free,
};
