// SPDX-License-Identifier: GPL-2.0
/*
 * irqdelay-report.c - irq-delay's report, shared by the backends
 * (bpf/irqdelay.c, harness/kmod-irqdelay.c): the per-CPU counters and
 * lateness histograms of one drain and the late ticks with their stacks,
 * written to irq-delay.txt, irq-delay.folded and irq-delay.json.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf-util.h"
#include "folded.h"
#include "irqdelay-report.h"
#include "json.h"
#include "syms.h"

#define ID_TXT_FRAMES	12	/* frames per late tick in irq-delay.txt (all in the JSON) */

int irqdelay__data_init(struct irqdelay_data *d, int nr)
{
	memset(d, 0, sizeof(*d));
	d->nr = nr > 0 ? nr : 0;
	d->cpu = calloc(d->nr ? d->nr : 1, sizeof(*d->cpu));
	d->hist = calloc((size_t)(d->nr ? d->nr : 1) * HLD_IRQDELAY_SLOTS, sizeof(*d->hist));
	return d->cpu && d->hist ? 0 : -ENOMEM;
}

void irqdelay__data_free(struct irqdelay_data *d)
{
	free(d->cpu);
	free(d->hist);
	d->cpu = NULL;
	d->hist = NULL;
}

void irqdelay__data_sum(struct irqdelay_data *d)
{
	for (int c = 0; c < d->nr; c++) {
		d->ticks += d->cpu[c].ticks;
		d->intervals += d->cpu[c].intervals;
		d->late += d->cpu[c].late;
		d->perf_skips += d->cpu[c].perf_skips;
		if (d->cpu[c].max_gap > d->max_gap)
			d->max_gap = d->cpu[c].max_gap;
		if (d->cpu[c].max_late > d->max_late)
			d->max_late = d->cpu[c].max_late;
		for (int k = 0; k < HLD_IRQDELAY_SLOTS; k++)
			d->hist_total += d->hist[k * d->nr + c];
	}
}

int irqdelay__recs_add(struct irqdelay_recs *v, const void *data, size_t size)
{
	struct hld_irqdelay_record *r;

	if (!bpf_util__record_ok(data, size, HLD_REC_IRQDELAY, sizeof(*r)))
		return -EPROTO;
	if (bpf_util__reserve((void **)&v->recs, &v->cap, v->nr + 1, sizeof(*v->recs)))
		return -ENOMEM;
	r = &v->recs[v->nr++];
	memcpy(r, data, sizeof(*r));
	if (r->nr_kstack > HLD_MAX_STACK)
		r->nr_kstack = HLD_MAX_STACK;
	return 0;
}

/* @ns in the largest unit that keeps it >= 1: "512ns", "1.0us", "4.2ms". */
static const char *irqdelay__ns(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.1fs", ns / 1e9);
	return buf;
}

/* The lateness range of histogram slot @k: "on time", "[1.0us, 2.0us)". */
static const char *irqdelay__range(int k, char *buf, size_t len)
{
	char lo[16], hi[16];

	if (!k)
		snprintf(buf, len, "on time");
	else if (k == HLD_IRQDELAY_SLOTS - 1)
		snprintf(buf, len, ">= %s", irqdelay__ns(1ull << (k - 1), lo, sizeof(lo)));
	else
		snprintf(buf, len, "[%s, %s)", irqdelay__ns(1ull << (k - 1), lo, sizeof(lo)),
			 irqdelay__ns(1ull << k, hi, sizeof(hi)));
	return buf;
}

/* The kernel symbol at @addr, or the address in @buf when it cannot be named. */
static const char *irqdelay__ksym(const struct irqdelay_data *d, uint64_t addr, char *buf, size_t len)
{
	const char *n = NULL;

	if (d->ksyms && !ksyms__restricted(d->ksyms))
		n = ksyms__name(d->ksyms, addr);
	if (n)
		return n;
	snprintf(buf, len, "0x%llx", (unsigned long long)addr);
	return buf;
}

/*
 * How many frames at the head of @r's stack are the timer interrupt itself
 * (the tracepoint up to the asm_sysvec_* / asm_common_interrupt entry);
 * the frames after them are the interrupted code. 0 if no entry frame is
 * found (symbols unreadable): then the whole stack is shown.
 */
static uint32_t irqdelay__entry_frames(const struct irqdelay_data *d,
				       const struct hld_irqdelay_record *r)
{
	char buf[32];

	for (uint32_t k = 0; k < r->nr_kstack; k++)
		if (!strncmp(irqdelay__ksym(d, r->kstack[k], buf, sizeof(buf)), "asm_", 4))
			return k + 1;
	return 0;
}

/*
 * irq-delay.folded: one stack per late tick of this report, "comm;
 * interrupted kernel code outermost first_[k]" ("comm;[user]" when the
 * tick interrupted user mode), each counted once: the flame graph of where
 * the CPUs were when their timer interrupt came late.
 */
static int irqdelay__write_folded(const struct irqdelay_data *d, const char *path)
{
	static char frames[HLD_MAX_STACK + 1][64];
	const char *ptrs[HLD_MAX_STACK + 1];
	char comm[HLD_COMM_LEN + 1], buf[32];
	struct folded *fo = folded__new();
	FILE *o;
	int err = 0;

	if (!fo)
		return -ENOMEM;
	for (size_t i = 0; i < d->nr_recs && !err; i++) {
		const struct hld_irqdelay_record *r = &d->recs[i];
		uint32_t k0 = irqdelay__entry_frames(d, r);
		size_t n = 0;

		memcpy(comm, r->comm, HLD_COMM_LEN);
		comm[HLD_COMM_LEN] = '\0';
		bpf_util__frame(frames[n], sizeof(frames[n]), comm[0] ? comm : "[unknown]");
		ptrs[n] = frames[n];
		n++;
		for (uint32_t k = r->nr_kstack; k > k0 && n < HLD_MAX_STACK; k--, n++) {
			bpf_util__frame(frames[n], sizeof(frames[n]) - 4,
					irqdelay__ksym(d, r->kstack[k - 1], buf, sizeof(buf)));
			strcat(frames[n], "_[k]");
			ptrs[n] = frames[n];
		}
		if (n == 1)
			ptrs[n++] = "[user]";
		err = folded__add_frames(fo, ptrs, n, 1);
	}
	o = err ? NULL : fopen(path, "we");
	if (!err && !o)
		err = -errno;
	if (!err)
		err = folded__write(fo, o);
	if (o && fclose(o) && !err)
		err = -errno;
	folded__free(fo);
	return err;
}

/* irq-delay.txt: the summary, the histogram per CPU, the late ticks with their stacks. */
static int irqdelay__write_txt(const struct irqdelay_data *d, const struct hld_irqdelay_settings *s,
			       const char *path)
{
	char range[48], buf[32], comm[HLD_COMM_LEN + 1];
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	fprintf(o, "# irq-delay (%s): %s per CPU due every %llu us; a tick that "
		"fires more than %llu us after it was due is late\n", d->backend,
		d->perf_event ? "a cpu-clock hrtimer" : "a pinned hard hrtimer",
		(unsigned long long)s->period_us, (unsigned long long)s->threshold_us);
	fprintf(o, "# over the last %.3f s (since the previous report or the activation): "
		"ticks %llu, late %llu, recorded %zu, largest lateness %.3f ms, longest gap between "
		"ticks %.3f ms\n",
		d->window_ns / 1e9, (unsigned long long)d->ticks, (unsigned long long)d->late,
		d->nr_recs, d->max_late / 1e6, d->max_gap / 1e6);
	fprintf(o, "# dropped since activation: %llu late ticks not recorded (over max-events %llu "
		"unreported records, or ring buffer full)\n",
		(unsigned long long)d->drops, (unsigned long long)s->max_events);
	fprintf(o, "# the histogram counts every tick once by its lateness (when it fired - when "
		"it was due)\n");
	if (d->perf_event)
		fprintf(o, "# perf_event program runs the kernel skipped (another BPF context was "
			"active): %llu, harmless: the expiry itself is measured\n",
			(unsigned long long)d->perf_skips);
	for (int c = 0; c < d->nr; c++) {
		const struct irqdelay_cpu *v = &d->cpu[c];

		if (!v->ticks)
			continue;
		fprintf(o, "\nCPU %d: ticks %llu late %llu max lateness %.3f ms max gap %.3f ms\n",
			c, (unsigned long long)v->ticks, (unsigned long long)v->late,
			v->max_late / 1e6, v->max_gap / 1e6);
		for (int k = 0; k < HLD_IRQDELAY_SLOTS; k++) {
			uint64_t n = d->hist[k * d->nr + c];

			if (n)
				fprintf(o, "  %-24s %10llu\n", irqdelay__range(k, range, sizeof(range)),
					(unsigned long long)n);
		}
	}
	fprintf(o, "\nlate ticks (time since the first [CLOCK_MONOTONIC ns], CPU, lateness, gap, task current "
		"when the tick fired, the kernel code the timer interrupt interrupted, innermost "
		"first; none: user mode)\n");
	for (size_t i = 0; i < d->nr_recs; i++) {
		const struct hld_irqdelay_record *r = &d->recs[i];
		uint32_t k0 = irqdelay__entry_frames(d, r);

		memcpy(comm, r->comm, HLD_COMM_LEN);
		comm[HLD_COMM_LEN] = '\0';
		fprintf(o, "%.6f [%llu] cpu %u late %.3f ms gap %.3f ms pid %u tgid %u %s\n",
			(r->hdr.ts - d->recs[0].hdr.ts) / 1e9, (unsigned long long)r->hdr.ts, r->cpu,
			r->late_ns / 1e6, r->gap_ns / 1e6, r->pid, r->tgid, comm);
		for (uint32_t k = k0; k < r->nr_kstack && k < k0 + ID_TXT_FRAMES; k++)
			fprintf(o, "    %s\n", irqdelay__ksym(d, r->kstack[k], buf, sizeof(buf)));
		if (r->nr_kstack > k0 + ID_TXT_FRAMES)
			fprintf(o, "    (%u more frames)\n", r->nr_kstack - k0 - ID_TXT_FRAMES);
	}
	if (fclose(o))
		return -errno;
	return 0;
}

/* The summary and per-CPU histograms as members of the open object @j. */
static void irqdelay__json_summary(struct json_writer *j, const struct irqdelay_data *d)
{
	json__uint(j, "ticks", d->ticks);
	json__uint(j, "intervals", d->intervals);
	json__uint(j, "late", d->late);
	json__uint(j, "events", d->events);
	json__uint(j, "drops", d->drops);
	json__uint(j, "max_gap_ns", d->max_gap);
	json__uint(j, "max_late_ns", d->max_late);
	json__uint(j, "perf_skips", d->perf_skips);
	json__uint(j, "histogram_total", d->hist_total);
	json__begin_array(j, "per_cpu");
	for (int c = 0; c < d->nr; c++) {
		const struct irqdelay_cpu *v = &d->cpu[c];

		if (!v->ticks)
			continue;
		json__begin_object(j, NULL);
		json__int(j, "cpu", c);
		json__uint(j, "ticks", v->ticks);
		json__uint(j, "intervals", v->intervals);
		json__uint(j, "starts", v->starts);
		json__uint(j, "late", v->late);
		json__uint(j, "max_gap_ns", v->max_gap);
		json__uint(j, "max_late_ns", v->max_late);
		json__uint(j, "perf_skips", v->perf_skips);
		json__begin_array(j, "histogram");
		for (int k = 0; k < HLD_IRQDELAY_SLOTS; k++) {
			uint64_t n = d->hist[k * d->nr + c];

			if (!n)
				continue;
			json__begin_object(j, NULL);
			json__uint(j, "late_ns_min", k ? 1ull << (k - 1) : 0);
			json__uint(j, "late_ns_max", k ? (1ull << k) - 1 : 0);
			json__uint(j, "count", n);
			json__end_object(j);
		}
		json__end_array(j);
		json__end_object(j);
	}
	json__end_array(j);
}

/* The late ticks of this report as the array late_ticks of the open object @j. */
static void irqdelay__json_events(struct json_writer *j, const struct irqdelay_data *d)
{
	char buf[32], addr[24], comm[HLD_COMM_LEN + 1];

	json__begin_array(j, "late_ticks");
	for (size_t i = 0; i < d->nr_recs; i++) {
		const struct hld_irqdelay_record *r = &d->recs[i];

		memcpy(comm, r->comm, HLD_COMM_LEN);
		comm[HLD_COMM_LEN] = '\0';
		json__begin_object(j, NULL);
		json__uint(j, "t_ns", r->hdr.ts);
		json__uint(j, "cpu", r->cpu);
		json__uint(j, "gap_ns", r->gap_ns);
		json__uint(j, "late_ns", r->late_ns);
		json__uint(j, "pid", r->pid);
		json__uint(j, "tgid", r->tgid);
		json__str(j, "comm", comm);
		json__uint(j, "entry_frames", irqdelay__entry_frames(d, r));
		json__begin_array(j, "kstack");
		for (uint32_t k = 0; k < r->nr_kstack; k++) {
			json__begin_object(j, NULL);
			snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)r->kstack[k]);
			json__str(j, "addr", addr);
			json__str(j, "sym", irqdelay__ksym(d, r->kstack[k], buf, sizeof(buf)));
			json__end_object(j);
		}
		json__end_array(j);
		json__end_object(j);
	}
	json__end_array(j);
}


int irqdelay__report_out(struct diag_feature *f, const struct irqdelay_data *d,
			 const struct diag_outputs *out)
{
	const struct hld_irqdelay_settings *s = f->settings;
	struct json_writer jw;
	char path[PATH_MAX];
	FILE *jf;
	int err;

	snprintf(path, sizeof(path), "%s/irq-delay.txt", out->dir);
	err = irqdelay__write_txt(d, s, path);
	if (!err) {
		snprintf(path, sizeof(path), "%s/irq-delay.folded", out->dir);
		err = irqdelay__write_folded(d, path);
	}
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/irq-delay.json", out->dir);
	jf = fopen(path, "we");
	if (!jf)
		return -errno;
	json__init(&jw, jf, true);
	json__begin_object(&jw, NULL);
	json__str(&jw, "backend", d->backend);
	json__uint(&jw, "period_us", s->period_us);
	json__uint(&jw, "threshold_us", s->threshold_us);
	json__uint(&jw, "window_ns", d->window_ns);
	irqdelay__json_summary(&jw, d);
	irqdelay__json_events(&jw, d);
	json__end_object(&jw);
	fputc('\n', jf);
	if (fclose(jf))
		return -errno;

	irqdelay__json_summary(out->json, d);
	f->events = d->events;
	f->drops = d->drops;
	diag_feature__set_metric(f, "late", d->late);
	diag_feature__set_metric(f, "drops", d->drops);
	diag_feature__set_metric(f, "max_gap_ns", d->max_gap);
	diag_feature__set_metric(f, "events", d->events);
	diag_feature__set_metric(f, "ticks", d->ticks);
	diag_feature__set_metric(f, "intervals", d->intervals);
	diag_feature__set_metric(f, "max_late_ns", d->max_late);
	diag_feature__set_metric(f, "histogram_total", d->hist_total);
	return 0;
}
