// SPDX-License-Identifier: GPL-2.0
/*
 * runtrace-report.c - run-trace's report, shared by the backends
 * (bpf/runtrace.c, harness/kmod-runtrace.c): keeping the intervals
 * received, and writing them with the totals to run-trace.txt and
 * run-trace.json.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf-util.h"
#include "json.h"
#include "runtrace-report.h"
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

void runtrace__timeline_init(struct rt_timeline *tl)
{
	memset(tl, 0, sizeof(*tl));
	tl->ksyms = ksyms__load();	/* NULL: stacks stay addresses */
}

void runtrace__timeline_free(struct rt_timeline *tl)
{
	if (tl->ksyms)
		ksyms__free(tl->ksyms);
	free(tl->recs);
	memset(tl, 0, sizeof(*tl));
}

int runtrace__keep(struct rt_timeline *tl, const void *data, size_t size)
{
	struct hld_runtrace_record *r;

	if (!bpf_util__record_ok(data, size, HLD_REC_RUNTRACE, HLD_RUNTRACE_ONCPU_LEN)) {
		if (!tl->rec_err)
			tl->rec_err = -EPROTO;
		return 0;
	}
	if (bpf_util__reserve((void **)&tl->recs, &tl->cap_recs, tl->nr_recs + 1,
			      sizeof(*tl->recs))) {
		if (!tl->rec_err)
			tl->rec_err = -ENOMEM;
		return 0;
	}
	r = &tl->recs[tl->nr_recs++];
	memset(r, 0, sizeof(*r));
	memcpy(r, data, size < sizeof(*r) ? size : sizeof(*r));
	if (r->nr_kstack > HLD_MAX_STACK)
		r->nr_kstack = HLD_MAX_STACK;
	return 0;
}

void runtrace__totals_add(struct rt_totals *sum, const struct rt_totals *add)
{
	for (int k = 0; k < HLD_RUNTRACE_KIND__MAX; k++)
		sum->oncpu_ns[k] += add->oncpu_ns[k];
	for (int k = 0; k < HLD_RUNTRACE_REASON__MAX; k++) {
		sum->offcpu_ns[k] += add->offcpu_ns[k];
		sum->offcpu_cnt[k] += add->offcpu_cnt[k];
	}
}

/* The name of kernel frame @addr, or NULL. */
static const char *runtrace__ksym(const struct rt_timeline *tl, uint64_t addr)
{
	if (!tl->ksyms || ksyms__restricted(tl->ksyms))
		return NULL;
	return ksyms__name(tl->ksyms, addr);
}

/*
 * "a <- b <- c": the innermost frames below the scheduler itself and the
 * tracing code (the BPF program or the module's probe, and its caller).
 */
static const char *runtrace__summary(const struct rt_timeline *tl,
				     const struct hld_runtrace_record *r, char *buf, size_t len)
{
	size_t off = 0;
	int shown = 0;

	buf[0] = '\0';
	for (uint32_t k = 0; k < r->nr_kstack && shown < RT_STACK_SUMMARY && off < len; k++) {
		const char *name = runtrace__ksym(tl, r->kstack[k]);
		char addr[24];

		if ((!name && !shown && k < 2) ||
		    (name && (strstr(name, "schedule") || !strncmp(name, "bpf_", 4) ||
			      !strncmp(name, "rt_probe_", 9) || strstr(name, "__traceiter"))))
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

/* Write run-trace.txt: the totals since the last report, then the timeline. */
static int runtrace__write_txt(const struct rt_timeline *tl,
			       const struct hld_runtrace_settings *s, const struct rt_totals *t,
			       const struct rt_losses *l, const char *backend, const char *path)
{
	uint64_t t0 = tl->nr_recs ? tl->recs[0].hdr.ts : 0;
	char sum[256], comm[HLD_COMM_LEN + 1];
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	fprintf(o, "# run-trace (%s) of thread %lld: %zu intervals since the last report; "
		"since activation %llu dropped (over max-events %llu per report or ring buffer "
		"full), %llu off-CPU stacks unreadable\n", backend,
		(long long)s->pid, tl->nr_recs, (unsigned long long)l->drops,
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
	for (size_t i = 0; i < tl->nr_recs; i++) {
		const struct hld_runtrace_record *r = &tl->recs[i];

		fprintf(o, "%14.6f %-14s %4u %12.1f", (r->hdr.ts - t0) / 1e9,
			runtrace__kind(r->kind), r->cpu, r->duration_ns / 1e3);
		if (r->kind == HLD_RUNTRACE_OFFCPU) {
			memcpy(comm, r->waker_comm, HLD_COMM_LEN);
			comm[HLD_COMM_LEN] = '\0';
			fprintf(o, " %-6s %s", runtrace__reason(r->reason),
				runtrace__summary(tl, r, sum, sizeof(sum)));
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

static void runtrace__json_record(struct json_writer *j, const struct rt_timeline *tl,
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
			const char *name = runtrace__ksym(tl, r->kstack[k]);

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

/* Write run-trace.json: pid, events, totals, losses and the timeline. */
static int runtrace__write_json(const struct rt_timeline *tl,
				const struct hld_runtrace_settings *s, const struct rt_totals *t,
				const struct rt_losses *l, const char *path)
{
	struct json_writer jw;
	FILE *jf = fopen(path, "we");

	if (!jf)
		return -errno;
	json__init(&jw, jf, true);
	json__begin_object(&jw, NULL);
	json__int(&jw, "pid", s->pid);
	json__uint(&jw, "events", tl->nr_recs);
	runtrace__json_totals(&jw, t, l);
	json__begin_array(&jw, "timeline");
	for (size_t i = 0; i < tl->nr_recs; i++)
		runtrace__json_record(&jw, tl, &tl->recs[i]);
	json__end_array(&jw);
	json__end_object(&jw);
	fputc('\n', jf);
	return fclose(jf) ? -errno : 0;
}

int runtrace__report_out(struct diag_feature *f, const struct rt_timeline *tl,
			 const struct rt_totals *t, const struct rt_losses *l,
			 const char *backend, const struct diag_outputs *out)
{
	const struct hld_runtrace_settings *s = f->settings;
	char path[PATH_MAX];
	uint64_t off = 0;
	int err;

	snprintf(path, sizeof(path), "%s/run-trace.txt", out->dir);
	err = runtrace__write_txt(tl, s, t, l, backend, path);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/run-trace.json", out->dir);
	err = runtrace__write_json(tl, s, t, l, path);
	if (err)
		return err;
	json__int(out->json, "pid", s->pid);
	json__uint(out->json, "events", tl->nr_recs);
	runtrace__json_totals(out->json, t, l);
	for (int k = 0; k < HLD_RUNTRACE_REASON__MAX; k++)
		off += t->offcpu_ns[k];
	f->events = tl->nr_recs;
	f->drops = l->drops;
	diag_feature__set_metric(f, "events", tl->nr_recs);
	diag_feature__set_metric(f, "drops", l->drops);
	diag_feature__set_metric(f, "oncpu_ns", t->oncpu_ns[HLD_RUNTRACE_ONCPU_USER] +
				 t->oncpu_ns[HLD_RUNTRACE_ONCPU_KERNEL]);
	diag_feature__set_metric(f, "oncpu_user_ns", t->oncpu_ns[HLD_RUNTRACE_ONCPU_USER]);
	diag_feature__set_metric(f, "oncpu_kernel_ns", t->oncpu_ns[HLD_RUNTRACE_ONCPU_KERNEL]);
	diag_feature__set_metric(f, "offcpu_ns", off);
	diag_feature__set_metric(f, "offcpu_sleep_ns", t->offcpu_ns[HLD_RUNTRACE_SLEEP]);
	diag_feature__set_metric(f, "offcpu_sleep_intervals", t->offcpu_cnt[HLD_RUNTRACE_SLEEP]);
	return tl->rec_err;
}
