// SPDX-License-Identifier: GPL-2.0
/*
 * runtrace.c - run-trace, user side: traces one thread (setting pid) with
 * runtrace.bpf.c, drains its intervals from the ring buffer every poll and
 * writes run-trace.txt (the timeline and totals) and run-trace.json. The
 * totals come from the BPF counters, so they hold even when records were
 * dropped over max-events.
 */
#include <errno.h>
#include <limits.h>
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
#include "runtrace.skel.h"
#include "syms.h"

#define RT_STACK_SUMMARY	3	/* frames named on a timeline line */
#define RT_MAX_LINKS		8	/* programs in runtrace.bpf.c: 5 */

static const char *const rt_kinds[HLD_RUNTRACE_KIND__MAX] = {
	[HLD_RUNTRACE_ONCPU_USER] = "on-cpu-user",
	[HLD_RUNTRACE_ONCPU_KERNEL] = "on-cpu-kernel",
	[HLD_RUNTRACE_OFFCPU] = "off-cpu",
};

static const char *const rt_reasons[HLD_RUNTRACE_REASON__MAX] = {
	[HLD_RUNTRACE_PREEMPTED] = "R",
	[HLD_RUNTRACE_SLEEP] = "S",
	[HLD_RUNTRACE_UNINTERRUPTIBLE] = "D",
	[HLD_RUNTRACE_OTHER] = "other",
};

/* Totals of the intervals that ended, drained from one generation of the BPF counters. */
struct rt_totals {
	uint64_t oncpu_ns[HLD_RUNTRACE_KIND__MAX];
	uint64_t offcpu_ns[HLD_RUNTRACE_REASON__MAX];
	uint64_t offcpu_cnt[HLD_RUNTRACE_REASON__MAX];
};

struct runtrace {
	struct runtrace_bpf *skel;
	struct bpf_link *links[RT_MAX_LINKS];
	struct ring_buffer *rb[2];	/* readers of the two generations' ring buffers */
	struct ksyms *ksyms;		/* NULL if /proc/kallsyms cannot be read */
	int rec_err;			/* first error in the record callback */
	struct hld_runtrace_record *recs;	/* intervals received since the last report */
	size_t nr_recs, cap_recs;
	struct rt_totals done;		/* phases ended since the last report */
	uint64_t drops_done, no_stack_done;	/* drop counters of the phases ended */
	bool pinned;			/* maps and links pinned: they outlive this process */
};

/* ring_buffer callback: keep one interval (on-CPU records are short). */
static int runtrace__on_record(void *ctx, void *data, size_t size)
{
	struct runtrace *rt = ctx;
	struct hld_runtrace_record *r;

	if (!bpf_util__record_ok(data, size, HLD_REC_RUNTRACE, HLD_RUNTRACE_ONCPU_LEN)) {
		if (!rt->rec_err)
			rt->rec_err = -EPROTO;
		return 0;
	}
	if (bpf_util__reserve((void **)&rt->recs, &rt->cap_recs, rt->nr_recs + 1,
			      sizeof(*rt->recs))) {
		if (!rt->rec_err)
			rt->rec_err = -ENOMEM;
		return 0;
	}
	r = &rt->recs[rt->nr_recs++];
	memset(r, 0, sizeof(*r));
	memcpy(r, data, size < sizeof(*r) ? size : sizeof(*r));
	if (r->nr_kstack > HLD_MAX_STACK)
		r->nr_kstack = HLD_MAX_STACK;
	return 0;
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
	rt->ksyms = ksyms__load();	/* NULL: stacks stay addresses */
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
 * Move the intervals that ended so far into @t and rt->recs: flip the
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
	f->events = rt->nr_recs;
	f->drops = runtrace__drops(rt, &no_stack);
	return rt->rec_err;
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

/* The name of kernel frame @addr, or NULL. */
static const char *runtrace__ksym(const struct runtrace *rt, uint64_t addr)
{
	if (!rt->ksyms || ksyms__restricted(rt->ksyms))
		return NULL;
	return ksyms__name(rt->ksyms, addr);
}

/* "a <- b <- c": the innermost frames below the scheduler itself. */
static const char *runtrace__summary(const struct runtrace *rt,
				     const struct hld_runtrace_record *r, char *buf, size_t len)
{
	size_t off = 0;
	int shown = 0;

	buf[0] = '\0';
	for (uint32_t k = 0; k < r->nr_kstack && shown < RT_STACK_SUMMARY && off < len; k++) {
		const char *name = runtrace__ksym(rt, r->kstack[k]);
		char addr[24];

		/* The BPF program and its caller come first: unnamed or bpf_*. */
		if ((!name && !shown && k < 2) ||
		    (name && (strstr(name, "schedule") || !strncmp(name, "bpf_", 4) ||
			      strstr(name, "__traceiter"))))
			continue;
		if (!name) {
			snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)r->kstack[k]);
			name = addr;
		}
		off += snprintf(buf + off, len - off, "%s%s", shown ? " <- " : "", name);
		shown++;
	}
	return buf;
}

static const char *runtrace__kind(uint32_t kind)
{
	return kind < HLD_RUNTRACE_KIND__MAX ? rt_kinds[kind] : "?";
}

static const char *runtrace__reason(uint32_t reason)
{
	return reason < HLD_RUNTRACE_REASON__MAX ? rt_reasons[reason] : "?";
}

/* Losses since activation, shown in every report. */
struct rt_losses {
	uint64_t drops, no_stack;
};

/* Write run-trace.txt: the totals since the last report, then the timeline. */
static int runtrace__write_txt(const struct runtrace *rt, const struct hld_runtrace_settings *s,
			       const struct rt_totals *t, const struct rt_losses *l,
			       const char *path)
{
	uint64_t t0 = rt->nr_recs ? rt->recs[0].hdr.ts : 0;
	char sum[256], comm[HLD_COMM_LEN + 1];
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	fprintf(o, "# run-trace (bpf) of thread %lld: %zu intervals since the last report; "
		"since activation %llu dropped (over max-events %llu per report or ring buffer "
		"full), %llu off-CPU stacks unreadable\n",
		(long long)s->pid, rt->nr_recs, (unsigned long long)l->drops,
		(unsigned long long)s->max_events, (unsigned long long)l->no_stack);
	fprintf(o, "# totals of the intervals ended since the last report, recorded or not:\n");
	fprintf(o, "#   on-cpu user   %12.3f ms\n", t->oncpu_ns[HLD_RUNTRACE_ONCPU_USER] / 1e6);
	fprintf(o, "#   on-cpu kernel %12.3f ms (inside syscalls)\n",
		t->oncpu_ns[HLD_RUNTRACE_ONCPU_KERNEL] / 1e6);
	for (int k = 0; k < HLD_RUNTRACE_REASON__MAX; k++)
		fprintf(o, "#   off-cpu %-5s %12.3f ms in %llu intervals\n", rt_reasons[k],
			t->offcpu_ns[k] / 1e6, (unsigned long long)t->offcpu_cnt[k]);
	fprintf(o, "# reasons: R preempted (or yielded), S sleeping (interruptible), "
		"D uninterruptible, other: stopped/traced/dead\n");
	fprintf(o, "# user/kernel split by syscall entry and exit: interrupts and page faults "
		"count as the mode they interrupted\n");
	fprintf(o, "# %-12s %-14s %4s %12s %-6s %s\n", "TIME_S", "STATE", "CPU", "DURATION_US",
		"REASON", "STACK (innermost below schedule) / WOKEN BY");
	for (size_t i = 0; i < rt->nr_recs; i++) {
		const struct hld_runtrace_record *r = &rt->recs[i];

		fprintf(o, "%14.6f %-14s %4u %12.1f", (r->hdr.ts - t0) / 1e9,
			runtrace__kind(r->kind), r->cpu, r->duration_ns / 1e3);
		if (r->kind == HLD_RUNTRACE_OFFCPU) {
			memcpy(comm, r->waker_comm, HLD_COMM_LEN);
			comm[HLD_COMM_LEN] = '\0';
			fprintf(o, " %-6s %s", runtrace__reason(r->reason),
				runtrace__summary(rt, r, sum, sizeof(sum)));
			if (r->woken)
				fprintf(o, " / woken by %u %s", r->waker_pid, comm);
		}
		fputc('\n', o);
	}
	if (fclose(o))
		return -errno;
	return 0;
}

/* The totals and losses as JSON members of the open object @j. */
static void runtrace__json_totals(struct json_writer *j, const struct rt_totals *t,
				  const struct rt_losses *l)
{
	uint64_t off = 0;

	for (int k = 0; k < HLD_RUNTRACE_REASON__MAX; k++)
		off += t->offcpu_ns[k];
	json__uint(j, "drops", l->drops);
	json__uint(j, "no_stack", l->no_stack);
	json__uint(j, "oncpu_user_ns", t->oncpu_ns[HLD_RUNTRACE_ONCPU_USER]);
	json__uint(j, "oncpu_kernel_ns", t->oncpu_ns[HLD_RUNTRACE_ONCPU_KERNEL]);
	json__uint(j, "offcpu_ns", off);
	json__begin_object(j, "offcpu_by_reason");
	for (int k = 0; k < HLD_RUNTRACE_REASON__MAX; k++) {
		json__begin_object(j, rt_reasons[k]);
		json__uint(j, "ns", t->offcpu_ns[k]);
		json__uint(j, "intervals", t->offcpu_cnt[k]);
		json__end_object(j);
	}
	json__end_object(j);
}

static void runtrace__json_record(struct json_writer *j, const struct runtrace *rt,
				  const struct hld_runtrace_record *r)
{
	char addr[24], comm[HLD_COMM_LEN + 1];

	json__begin_object(j, NULL);
	json__uint(j, "t_ns", r->hdr.ts);
	json__str(j, "state", runtrace__kind(r->kind));
	json__uint(j, "cpu", r->cpu);
	json__uint(j, "duration_ns", r->duration_ns);
	if (r->kind == HLD_RUNTRACE_OFFCPU) {
		json__str(j, "reason", runtrace__reason(r->reason));
		memcpy(comm, r->waker_comm, HLD_COMM_LEN);
		comm[HLD_COMM_LEN] = '\0';
		if (r->woken) {
			json__uint(j, "waker_pid", r->waker_pid);
			json__str(j, "waker_comm", comm);
		} else {
			json__null(j, "waker_pid");
			json__null(j, "waker_comm");
		}
		json__begin_array(j, "kstack");
		for (uint32_t k = 0; k < r->nr_kstack; k++) {
			const char *name = runtrace__ksym(rt, r->kstack[k]);

			json__begin_object(j, NULL);
			snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)r->kstack[k]);
			json__str(j, "addr", addr);
			json__str(j, "sym", name);
			json__end_object(j);
		}
		json__end_array(j);
	}
	json__end_object(j);
}

/*
 * Write run-trace.txt and run-trace.json with what ended since the last
 * report (see runtrace__drain), then forget it.
 */
static int runtrace_report(struct diag_feature *f, const struct diag_outputs *out)
{
	const struct hld_runtrace_settings *s = f->settings;
	struct runtrace *rt = f->priv;
	struct runtrace empty = { 0 };
	struct json_writer jw;
	struct rt_totals t;
	struct rt_losses l;
	char path[PATH_MAX];
	uint64_t off = 0;
	int err = 0;
	FILE *jf;

	if (!rt)
		rt = &empty;
	t = rt->done;
	if (rt->skel) {
		err = runtrace__drain(rt, &t);
		if (err)
			return err;
	}
	l.drops = runtrace__drops(rt, &l.no_stack);
	snprintf(path, sizeof(path), "%s/run-trace.txt", out->dir);
	err = runtrace__write_txt(rt, s, &t, &l, path);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/run-trace.json", out->dir);
	jf = fopen(path, "we");
	if (!jf)
		return -errno;
	json__init(&jw, jf, true);
	json__begin_object(&jw, NULL);
	json__int(&jw, "pid", s->pid);
	json__uint(&jw, "events", rt->nr_recs);
	runtrace__json_totals(&jw, &t, &l);
	json__begin_array(&jw, "timeline");
	for (size_t i = 0; i < rt->nr_recs; i++)
		runtrace__json_record(&jw, rt, &rt->recs[i]);
	json__end_array(&jw);
	json__end_object(&jw);
	fputc('\n', jf);
	if (fclose(jf))
		return -errno;

	json__int(out->json, "pid", s->pid);
	json__uint(out->json, "events", rt->nr_recs);
	runtrace__json_totals(out->json, &t, &l);
	for (int k = 0; k < HLD_RUNTRACE_REASON__MAX; k++)
		off += t.offcpu_ns[k];
	f->events = rt->nr_recs;
	f->drops = l.drops;
	diag_feature__set_metric(f, "events", rt->nr_recs);
	diag_feature__set_metric(f, "drops", l.drops);
	diag_feature__set_metric(f, "oncpu_ns", t.oncpu_ns[HLD_RUNTRACE_ONCPU_USER] +
				 t.oncpu_ns[HLD_RUNTRACE_ONCPU_KERNEL]);
	diag_feature__set_metric(f, "oncpu_user_ns", t.oncpu_ns[HLD_RUNTRACE_ONCPU_USER]);
	diag_feature__set_metric(f, "oncpu_kernel_ns", t.oncpu_ns[HLD_RUNTRACE_ONCPU_KERNEL]);
	diag_feature__set_metric(f, "offcpu_ns", off);
	diag_feature__set_metric(f, "offcpu_sleep_ns", t.offcpu_ns[HLD_RUNTRACE_SLEEP]);
	diag_feature__set_metric(f, "offcpu_sleep_intervals", t.offcpu_cnt[HLD_RUNTRACE_SLEEP]);
	/* Reported: the next report starts from here. */
	err = rt->rec_err;
	rt->nr_recs = 0;
	rt->rec_err = 0;
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
	if (rt->ksyms)
		ksyms__free(rt->ksyms);
	free(rt->recs);
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
