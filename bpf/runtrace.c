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

/* Totals, read from the BPF counters at deactivate and summed over phases. */
struct rt_totals {
	uint64_t events, drops, no_stack;
	uint64_t oncpu_ns[HLD_RUNTRACE_KIND__MAX];
	uint64_t offcpu_ns[HLD_RUNTRACE_REASON__MAX];
	uint64_t offcpu_cnt[HLD_RUNTRACE_REASON__MAX];
};

struct runtrace {
	struct runtrace_bpf *skel;
	struct bpf_link *links[4];
	struct ring_buffer *rb;
	struct ksyms *ksyms;		/* NULL if /proc/kallsyms cannot be read */
	int rec_err;			/* first error in the record callback */
	struct hld_runtrace_record *recs;	/* every interval received, all phases */
	size_t nr_recs, cap_recs;
	struct rt_totals done;		/* phases ended */
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

static void runtrace__detach(struct runtrace *rt)
{
	for (size_t i = 0; i < sizeof(rt->links) / sizeof(rt->links[0]); i++) {
		bpf_link__destroy(rt->links[i]);
		rt->links[i] = NULL;
	}
}

/* Load a fresh object for @s->pid and attach it; -EINVAL without a pid. */
static int runtrace_activate(struct diag_feature *f)
{
	const struct hld_runtrace_settings *s = f->settings;
	struct runtrace *rt = f->priv;
	struct bpf_program *prog;
	int i = 0, err;

	if (s->pid <= 0)
		return -EINVAL;
	if (!rt) {
		rt = calloc(1, sizeof(*rt));
		if (!rt)
			return -ENOMEM;
		f->priv = rt;
		rt->ksyms = ksyms__load();	/* NULL: stacks stay addresses */
	}
	f->kernel_cost_in_thread = false;
	rt->skel = runtrace_bpf__open();
	if (!rt->skel)
		return -errno;
	rt->skel->rodata->targ_pid = (uint32_t)s->pid;
	rt->skel->rodata->max_events = s->max_events;
	err = bpf_map__set_max_entries(rt->skel->maps.events,
					 bpf_util__ringbuf_size(s->ringbuf_size, getpagesize()));
	if (!err)
		err = runtrace_bpf__load(rt->skel);
	if (err)
		goto out_destroy;
	bpf_object__for_each_program(prog, rt->skel->obj) {
		rt->links[i] = bpf_program__attach(prog);
		if (!rt->links[i]) {
			err = -errno;
			goto out_detach;
		}
		i++;
	}
	rt->rb = ring_buffer__new(bpf_map__fd(rt->skel->maps.events), runtrace__on_record, rt,
				  NULL);
	if (!rt->rb) {
		err = -errno;
		goto out_detach;
	}
	return 0;

out_detach:
	runtrace__detach(rt);
out_destroy:
	runtrace_bpf__destroy(rt->skel);
	rt->skel = NULL;
	return err < 0 ? err : -EINVAL;
}

/* The BPF counters of the phase in progress added to @t. */
static void runtrace__add_live(const struct runtrace *rt, struct rt_totals *t)
{
	const struct runtrace_bpf__bss *b;

	if (!rt->skel)
		return;
	b = rt->skel->bss;
	t->events += b->nr_events;
	t->drops += b->nr_drops;
	t->no_stack += b->nr_no_stack;
	for (int k = 0; k < HLD_RUNTRACE_KIND__MAX; k++)
		t->oncpu_ns[k] += b->oncpu_ns[k];
	for (int k = 0; k < HLD_RUNTRACE_REASON__MAX; k++) {
		t->offcpu_ns[k] += b->offcpu_ns[k];
		t->offcpu_cnt[k] += b->offcpu_cnt[k];
	}
}

/* Drain the ring buffer; events and drops count all phases so far. */
static int runtrace_poll(struct diag_feature *f)
{
	struct runtrace *rt = f->priv;
	struct rt_totals t;
	int err;

	if (!rt || !rt->skel)
		return 0;
	err = ring_buffer__consume(rt->rb);
	if (err < 0)
		return err;
	t = rt->done;
	runtrace__add_live(rt, &t);
	f->events = rt->nr_recs;
	f->drops = t.drops;
	return rt->rec_err;
}

/* Detach, drain, and fold this phase's counters into the totals. */
static int runtrace_deactivate(struct diag_feature *f)
{
	struct runtrace *rt = f->priv;
	struct bpf_program *prog;
	int err;

	if (!rt || !rt->skel)
		return 0;
	runtrace__detach(rt);
	err = runtrace_poll(f);
	bpf_object__for_each_program(prog, rt->skel->obj)
		bpf_util__prog_stats(bpf_program__fd(prog), &f->kernel_run_ns, &f->kernel_run_cnt);
	runtrace__add_live(rt, &rt->done);
	f->drops = rt->done.drops;
	ring_buffer__free(rt->rb);
	rt->rb = NULL;
	runtrace_bpf__destroy(rt->skel);
	rt->skel = NULL;
	return err;
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

static int runtrace__write_txt(const struct runtrace *rt, const struct hld_runtrace_settings *s,
			       const struct rt_totals *t, const char *path)
{
	uint64_t t0 = rt->nr_recs ? rt->recs[0].hdr.ts : 0;
	char sum[256], comm[HLD_COMM_LEN + 1];
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	fprintf(o, "# run-trace (bpf) of thread %lld: %zu intervals recorded, %llu dropped "
		"(over max-events %llu or ring buffer full), %llu off-CPU stacks unreadable\n",
		(long long)s->pid, rt->nr_recs, (unsigned long long)t->drops,
		(unsigned long long)s->max_events, (unsigned long long)t->no_stack);
	fprintf(o, "# totals (all intervals, recorded or not):\n");
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

/* The totals as JSON members of the open object @j. */
static void runtrace__json_totals(struct json_writer *j, const struct rt_totals *t)
{
	uint64_t off = 0;

	for (int k = 0; k < HLD_RUNTRACE_REASON__MAX; k++)
		off += t->offcpu_ns[k];
	json__uint(j, "drops", t->drops);
	json__uint(j, "no_stack", t->no_stack);
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

static int runtrace_report(struct diag_feature *f, const struct diag_outputs *out)
{
	const struct hld_runtrace_settings *s = f->settings;
	struct runtrace *rt = f->priv;
	struct runtrace empty = { 0 };
	struct json_writer jw;
	struct rt_totals t;
	char path[PATH_MAX];
	uint64_t off = 0;
	FILE *jf;
	int err;

	if (!rt)
		rt = &empty;
	t = rt->done;
	runtrace__add_live(rt, &t);
	snprintf(path, sizeof(path), "%s/run-trace.txt", out->dir);
	err = runtrace__write_txt(rt, s, &t, path);
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
	runtrace__json_totals(&jw, &t);
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
	runtrace__json_totals(out->json, &t);
	for (int k = 0; k < HLD_RUNTRACE_REASON__MAX; k++)
		off += t.offcpu_ns[k];
	f->events = rt->nr_recs;
	f->drops = t.drops;
	diag_feature__set_metric(f, "events", rt->nr_recs);
	diag_feature__set_metric(f, "drops", t.drops);
	diag_feature__set_metric(f, "oncpu_ns", t.oncpu_ns[HLD_RUNTRACE_ONCPU_USER] +
				 t.oncpu_ns[HLD_RUNTRACE_ONCPU_KERNEL]);
	diag_feature__set_metric(f, "oncpu_user_ns", t.oncpu_ns[HLD_RUNTRACE_ONCPU_USER]);
	diag_feature__set_metric(f, "oncpu_kernel_ns", t.oncpu_ns[HLD_RUNTRACE_ONCPU_KERNEL]);
	diag_feature__set_metric(f, "offcpu_ns", off);
	diag_feature__set_metric(f, "offcpu_sleep_ns", t.offcpu_ns[HLD_RUNTRACE_SLEEP]);
	return rt->rec_err;
}

static void runtrace_free(struct diag_feature *f)
{
	struct runtrace *rt = f->priv;

	if (!rt)
		return;
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
	.free = runtrace_free,
};
