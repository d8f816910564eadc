// SPDX-License-Identifier: GPL-2.0
/*
 * irqdelay.c - irq-delay, user side: arms a cpu-clock perf event per
 * online CPU running irqdelay.bpf.c every period, drains the late-tick
 * records every poll, and writes irq-delay.txt (the lateness histogram per
 * CPU, then the late ticks with their stacks) and irq-delay.json. The
 * histogram and counters live in per-CPU maps, kept across phases.
 *
 * A persistent activation pins the maps and the links, the perf_event
 * links included (a pinned perf link holds its perf event, which keeps
 * firing with no process left); a later process reopens the maps to
 * report. Each report drains: it consumes the ring buffer and reads and
 * clears the previous generation of the counters (see irqdelay.bpf.c).
 */
#include <errno.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "diag.h"
#include "folded.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "irqdelay.skel.h"
#include "syms.h"

#define ID_MAX_CPUS	1024
#define ID_TXT_FRAMES	12	/* frames per late tick in irq-delay.txt (all in the JSON) */

/* Per-CPU counters of one generation, as irqdelay.bpf.c keeps them. */
struct id_cpu {
	uint64_t ticks, intervals, starts, late, max_gap, max_late, perf_skips;
};

/* Per-CPU link from one tick to the next, as irqdelay.bpf.c keeps it. */
struct id_state {
	uint64_t last, expiring, timer, perf_due;
};

struct irqdelay {
	struct irqdelay_bpf *skel;
	struct bpf_link *links[ID_MAX_CPUS];
	struct bpf_link *expire_link;	/* measures each expiry of our timers */
	int fds[ID_MAX_CPUS];
	int nr_links;
	bool pinned;			/* links pinned: detaching must not stop the events */
	uint32_t gen;			/* the generation being reported */
	struct ring_buffer *rb;
	struct ksyms *ksyms;		/* NULL if /proc/kallsyms cannot be read */
	int nr_possible;
	int rec_err;
	struct hld_irqdelay_record *recs;	/* late ticks received since the last report */
	size_t nr_recs, cap_recs;
};

/* Open the cpu-clock event of @cpu firing every @period_ns. fd or -errno. */
static int irqdelay__open_event(int cpu, uint64_t period_ns)
{
	struct perf_event_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.sample_period = period_ns;
	fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Usable if BPF works, a cpu-clock event opens and the perf_event program loads. */
static int irqdelay_probe(char *why, size_t len)
{
	struct irqdelay_bpf *skel;
	int err, fd;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	fd = irqdelay__open_event(0, 1000000);
	if (fd < 0) {
		snprintf(why, len, "cannot open a cpu-clock perf event: %s", strerror(-fd));
		return fd;
	}
	close(fd);
	skel = irqdelay_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "cannot load the perf_event program: %s", strerror(-err));
		return err;
	}
	irqdelay_bpf__destroy(skel);
	return 0;
}

/* ring_buffer callback: keep one late tick. */
static int irqdelay__on_record(void *ctx, void *data, size_t size)
{
	struct irqdelay *q = ctx;
	struct hld_irqdelay_record *r;

	if (!bpf_util__record_ok(data, size, HLD_REC_IRQDELAY, sizeof(*r))) {
		if (!q->rec_err)
			q->rec_err = -EPROTO;
		return 0;
	}
	if (bpf_util__reserve((void **)&q->recs, &q->cap_recs, q->nr_recs + 1, sizeof(*q->recs))) {
		if (!q->rec_err)
			q->rec_err = -ENOMEM;
		return 0;
	}
	r = &q->recs[q->nr_recs++];
	memcpy(r, data, sizeof(*r));
	if (r->nr_kstack > HLD_MAX_STACK)
		r->nr_kstack = HLD_MAX_STACK;
	return 0;
}

/*
 * Drop our references to the links. libbpf's destroy of a perf_event link
 * disables the perf event (and closes its fd): right for a private
 * activation, wrong for a pinned one, whose event must keep firing. So a
 * pinned perf link is disconnected from libbpf and its two fds closed
 * here; the pin holds the link, the link holds the event.
 */
static void irqdelay__detach(struct irqdelay *q)
{
	for (int i = 0; i < q->nr_links; i++) {
		if (q->pinned) {
			bpf_link__disconnect(q->links[i]);
			if (bpf_link__fd(q->links[i]) != q->fds[i])
				close(bpf_link__fd(q->links[i]));
			close(q->fds[i]);
		}
		bpf_link__destroy(q->links[i]);	/* closes fds[i] unless pinned */
	}
	q->nr_links = 0;
	bpf_link__destroy(q->expire_link);
	q->expire_link = NULL;
}

/* Forget the previous tick of every CPU, so that no gap spans two phases. */
static int irqdelay__reset_last(struct irqdelay *q)
{
	struct id_state *v = calloc(q->nr_possible, sizeof(*v));
	uint32_t zero = 0;
	int err = 0;

	if (!v)
		return -ENOMEM;
	if (bpf_map_update_elem(bpf_map__fd(q->skel->maps.state), &zero, v, BPF_EXIST))
		err = -errno;
	free(v);
	return err;
}

/* The private state of @f, allocated on first use; NULL and *@err on failure. */
static struct irqdelay *irqdelay__priv(struct diag_feature *f, int *err)
{
	struct irqdelay *q = f->priv;

	*err = 0;
	if (q)
		return q;
	q = calloc(1, sizeof(*q));
	if (!q) {
		*err = -ENOMEM;
		return NULL;
	}
	f->priv = q;
	q->ksyms = ksyms__load();	/* NULL: stacks stay addresses */
	q->nr_possible = libbpf_num_possible_cpus();
	if (q->nr_possible <= 0) {
		*err = q->nr_possible ? q->nr_possible : -EINVAL;
		return NULL;
	}
	return q;
}

/*
 * Open and load the skeleton with @s's settings, on the maps pinned in
 * f->pin_dir if set (a reopen then reuses them, the settings included),
 * and open the ring buffer reader.
 */
static int irqdelay__load(struct irqdelay *q, const struct hld_irqdelay_settings *s,
			  const char *pin_dir)
{
	int err;

	q->skel = irqdelay_bpf__open();
	if (!q->skel)
		return -errno;
	q->skel->rodata->period_ns = s->period_us * 1000;
	q->skel->rodata->threshold_ns = s->threshold_us * 1000;
	q->skel->rodata->max_events = s->max_events;
	err = pin_dir ? bpf_util__pin_maps(q->skel->obj, pin_dir) : 0;
	if (!err)
		err = irqdelay_bpf__load(q->skel);
	if (!err) {
		q->rb = ring_buffer__new(bpf_map__fd(q->skel->maps.events),
					 irqdelay__on_record, q, NULL);
		if (!q->rb)
			err = -errno;
	}
	if (err) {
		irqdelay_bpf__destroy(q->skel);
		q->skel = NULL;
		return err < 0 ? err : -EINVAL;
	}
	return 0;
}

/*
 * Load on the first phase (maps then live until free); arm one event per
 * online CPU. A persistent activation (f->pin_dir) pins maps and links.
 */
static int irqdelay_activate(struct diag_feature *f)
{
	const struct hld_irqdelay_settings *s = f->settings;
	static bool online[ID_MAX_CPUS];
	struct irqdelay *q;
	char name[32];
	int n, err;

	q = irqdelay__priv(f, &err);
	if (!q)
		return err;
	f->kernel_cost_in_thread = false;
	if (!q->skel) {
		err = irqdelay__load(q, s, f->pin_dir);
		if (err)
			return err;
		q->skel->bss->since_ns = bpf_util__now_ns();
	}
	err = irqdelay__reset_last(q);
	if (err)
		return err;
	memset(online, 0, sizeof(online));
	n = bpf_util__online_cpus(online, ID_MAX_CPUS);
	if (n < 0)
		return n;
	q->expire_link = bpf_program__attach(q->skel->progs.irqdelay_expire);
	if (!q->expire_link)
		return -errno;
	if (f->pin_dir) {
		err = bpf_util__pin_link(q->expire_link, f->pin_dir, "link_expire");
		if (err) {
			irqdelay__detach(q);
			return err;
		}
	}
	for (int cpu = 0; cpu < ID_MAX_CPUS; cpu++) {
		int fd;

		if (!online[cpu])
			continue;
		fd = irqdelay__open_event(cpu, s->period_us * 1000);
		if (fd < 0) {
			irqdelay__detach(q);
			return fd;
		}
		q->links[q->nr_links] = bpf_program__attach_perf_event(q->skel->progs.irqdelay_tick,
								       fd);
		if (!q->links[q->nr_links]) {
			err = -errno;
			close(fd);
			irqdelay__detach(q);
			return err;
		}
		q->fds[q->nr_links++] = fd;
		if (!f->pin_dir)
			continue;
		snprintf(name, sizeof(name), "link_tick_cpu%d", cpu);
		err = bpf_util__pin_link(q->links[q->nr_links - 1], f->pin_dir, name);
		if (err) {
			irqdelay__detach(q);
			return err;
		}
		q->pinned = true;
	}
	return 0;
}

/*
 * Attach to a persistent activation: load on its pinned maps (the pinned
 * .rodata carries its settings) and open its ring buffer; nothing is
 * attached. report() then drains what the pinned programs collected.
 */
static int irqdelay_reopen(struct diag_feature *f)
{
	struct irqdelay *q;
	int err;

	q = irqdelay__priv(f, &err);
	if (!q)
		return err;
	return irqdelay__load(q, f->settings, f->pin_dir);
}

/* Drain the late ticks; events and drops count all phases. */
static int irqdelay_poll(struct diag_feature *f)
{
	struct irqdelay *q = f->priv;
	int err;

	if (!q || !q->rb)
		return 0;
	err = ring_buffer__consume(q->rb);
	if (err < 0)
		return err;
	f->events = q->nr_recs;
	f->drops = q->skel->bss->nr_drops;
	return q->rec_err;
}

/* Disarm the timers; the maps are kept for report(). */
static int irqdelay_deactivate(struct diag_feature *f)
{
	struct irqdelay *q = f->priv;

	if (!q || !q->expire_link)
		return 0;
	irqdelay__detach(q);
	bpf_util__prog_stats(bpf_program__fd(q->skel->progs.irqdelay_tick), &f->kernel_run_ns,
			     &f->kernel_run_cnt);
	bpf_util__prog_stats(bpf_program__fd(q->skel->progs.irqdelay_expire), &f->kernel_run_ns,
			     &f->kernel_run_cnt);
	return irqdelay_poll(f);
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
static const char *irqdelay__ksym(const struct irqdelay *q, uint64_t addr, char *buf, size_t len)
{
	const char *n = NULL;

	if (q->ksyms && !ksyms__restricted(q->ksyms))
		n = ksyms__name(q->ksyms, addr);
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
static uint32_t irqdelay__entry_frames(const struct irqdelay *q,
				       const struct hld_irqdelay_record *r)
{
	char buf[32];

	for (uint32_t k = 0; k < r->nr_kstack; k++)
		if (!strncmp(irqdelay__ksym(q, r->kstack[k], buf, sizeof(buf)), "asm_", 4))
			return k + 1;
	return 0;
}

/*
 * irq-delay.folded: one stack per late tick of this report, "comm;
 * interrupted kernel code outermost first_[k]" ("comm;[user]" when the
 * tick interrupted user mode), each counted once: the flame graph of where
 * the CPUs were when their timer interrupt came late.
 */
static int irqdelay__write_folded(const struct irqdelay *q, const char *path)
{
	static char frames[HLD_MAX_STACK + 1][64];
	const char *ptrs[HLD_MAX_STACK + 1];
	char comm[HLD_COMM_LEN + 1], buf[32];
	struct folded *fo = folded__new();
	FILE *o;
	int err = 0;

	if (!fo)
		return -ENOMEM;
	for (size_t i = 0; q && i < q->nr_recs && !err; i++) {
		const struct hld_irqdelay_record *r = &q->recs[i];
		uint32_t k0 = irqdelay__entry_frames(q, r);
		size_t n = 0;

		memcpy(comm, r->comm, HLD_COMM_LEN);
		comm[HLD_COMM_LEN] = '\0';
		bpf_util__frame(frames[n], sizeof(frames[n]), comm[0] ? comm : "[unknown]");
		ptrs[n] = frames[n];
		n++;
		for (uint32_t k = r->nr_kstack; k > k0 && n < HLD_MAX_STACK; k--, n++) {
			bpf_util__frame(frames[n], sizeof(frames[n]) - 4,
					irqdelay__ksym(q, r->kstack[k - 1], buf, sizeof(buf)));
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

/* Per-CPU counters and histogram, read from the maps. */
struct id_snapshot {
	int nr;				/* possible CPUs */
	struct id_cpu *cpu;		/* [nr] */
	uint64_t *hist;			/* [HLD_IRQDELAY_SLOTS][nr] */
	uint64_t ticks, intervals, late, max_gap, max_late, perf_skips, hist_total;
};

/*
 * Make the programs write the other generation, and wait until none still
 * writes the one they wrote: q->gen is then complete, and ours to read.
 */
static int irqdelay__flip(struct irqdelay *q)
{
	q->gen = q->skel->bss->gen & 1;
	__atomic_store_n(&q->skel->bss->gen, q->gen ^ 1, __ATOMIC_SEQ_CST);
	return bpf_util__grace_period();
}

/* Zero generation q->gen of the counters and the histogram. */
static int irqdelay__clear(struct irqdelay *q, const struct id_snapshot *sn)
{
	uint64_t *zero = calloc(sn->nr, sizeof(struct id_cpu));
	uint32_t key = q->gen;
	int err = 0;

	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(bpf_map__fd(q->skel->maps.cpus), &key, zero, BPF_EXIST))
		err = -errno;
	for (uint32_t k = 0; k < HLD_IRQDELAY_SLOTS && !err; k++) {
		key = q->gen * HLD_IRQDELAY_SLOTS + k;
		if (bpf_map_update_elem(bpf_map__fd(q->skel->maps.hist), &key, zero, BPF_EXIST))
			err = -errno;
	}
	free(zero);
	return err;
}

/*
 * Drain the counters: flip the generation, read the old one into @sn and
 * clear it. Without a loaded program @sn stays empty.
 */
static int irqdelay__snapshot(struct irqdelay *q, struct id_snapshot *sn)
{
	int nr = q && q->skel ? q->nr_possible : 0;
	uint32_t key;
	int err;

	memset(sn, 0, sizeof(*sn));
	sn->nr = nr;
	sn->cpu = calloc(nr ? nr : 1, sizeof(*sn->cpu));
	sn->hist = calloc((size_t)(nr ? nr : 1) * HLD_IRQDELAY_SLOTS, sizeof(*sn->hist));
	if (!sn->cpu || !sn->hist)
		return -ENOMEM;
	if (!nr)
		return 0;
	err = irqdelay__flip(q);
	if (err)
		return err;
	key = q->gen;
	if (bpf_map_lookup_elem(bpf_map__fd(q->skel->maps.cpus), &key, sn->cpu))
		return -errno;
	for (uint32_t k = 0; k < HLD_IRQDELAY_SLOTS; k++) {
		key = q->gen * HLD_IRQDELAY_SLOTS + k;
		if (bpf_map_lookup_elem(bpf_map__fd(q->skel->maps.hist), &key, sn->hist + k * nr))
			return -errno;
	}
	for (int c = 0; c < nr; c++) {
		sn->ticks += sn->cpu[c].ticks;
		sn->intervals += sn->cpu[c].intervals;
		sn->late += sn->cpu[c].late;
		sn->perf_skips += sn->cpu[c].perf_skips;
		if (sn->cpu[c].max_gap > sn->max_gap)
			sn->max_gap = sn->cpu[c].max_gap;
		if (sn->cpu[c].max_late > sn->max_late)
			sn->max_late = sn->cpu[c].max_late;
		for (int k = 0; k < HLD_IRQDELAY_SLOTS; k++)
			sn->hist_total += sn->hist[k * nr + c];
	}
	return irqdelay__clear(q, sn);
}

/* irq-delay.txt: the summary, the histogram per CPU, the late ticks with their stacks. */
static int irqdelay__write_txt(const struct irqdelay *q, const struct hld_irqdelay_settings *s,
			       const struct id_snapshot *sn, uint64_t drops, uint64_t window,
			       const char *path)
{
	char range[48], buf[32], comm[HLD_COMM_LEN + 1];
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	fprintf(o, "# irq-delay (bpf): a cpu-clock hrtimer per CPU due every %llu us; a tick that "
		"fires more than %llu us after it was due is late\n",
		(unsigned long long)s->period_us, (unsigned long long)s->threshold_us);
	fprintf(o, "# over the last %.3f s (since the previous report or the activation): "
		"ticks %llu, late %llu, recorded %zu, largest lateness %.3f ms, longest gap between "
		"ticks %.3f ms\n",
		window / 1e9, (unsigned long long)sn->ticks, (unsigned long long)sn->late,
		q ? q->nr_recs : 0, sn->max_late / 1e6, sn->max_gap / 1e6);
	fprintf(o, "# dropped since activation: %llu late ticks not recorded (over max-events %llu "
		"unreported records, or ring buffer full)\n",
		(unsigned long long)drops, (unsigned long long)s->max_events);
	fprintf(o, "# the histogram counts every tick once by its lateness (when it fired - when "
		"it was due)\n");
	fprintf(o, "# perf_event program runs the kernel skipped (another BPF context was active): "
		"%llu, harmless: the expiry itself is measured\n",
		(unsigned long long)sn->perf_skips);
	for (int c = 0; c < sn->nr; c++) {
		const struct id_cpu *v = &sn->cpu[c];

		if (!v->ticks)
			continue;
		fprintf(o, "\nCPU %d: ticks %llu late %llu max lateness %.3f ms max gap %.3f ms\n",
			c, (unsigned long long)v->ticks, (unsigned long long)v->late,
			v->max_late / 1e6, v->max_gap / 1e6);
		for (int k = 0; k < HLD_IRQDELAY_SLOTS; k++) {
			uint64_t n = sn->hist[k * sn->nr + c];

			if (n)
				fprintf(o, "  %-24s %10llu\n", irqdelay__range(k, range, sizeof(range)),
					(unsigned long long)n);
		}
	}
	fprintf(o, "\nlate ticks (time since the first [CLOCK_MONOTONIC ns], CPU, lateness, gap, task current "
		"when the tick fired, the kernel code the timer interrupt interrupted, innermost "
		"first; none: user mode)\n");
	for (size_t i = 0; q && i < q->nr_recs; i++) {
		const struct hld_irqdelay_record *r = &q->recs[i];
		uint32_t k0 = irqdelay__entry_frames(q, r);

		memcpy(comm, r->comm, HLD_COMM_LEN);
		comm[HLD_COMM_LEN] = '\0';
		fprintf(o, "%.6f [%llu] cpu %u late %.3f ms gap %.3f ms pid %u tgid %u %s\n",
			(r->hdr.ts - q->recs[0].hdr.ts) / 1e9, (unsigned long long)r->hdr.ts, r->cpu,
			r->late_ns / 1e6, r->gap_ns / 1e6, r->pid, r->tgid, comm);
		for (uint32_t k = k0; k < r->nr_kstack && k < k0 + ID_TXT_FRAMES; k++)
			fprintf(o, "    %s\n", irqdelay__ksym(q, r->kstack[k], buf, sizeof(buf)));
		if (r->nr_kstack > k0 + ID_TXT_FRAMES)
			fprintf(o, "    (%u more frames)\n", r->nr_kstack - k0 - ID_TXT_FRAMES);
	}
	if (fclose(o))
		return -errno;
	return 0;
}

/* The summary and per-CPU histograms as members of the open object @j. */
static void irqdelay__json_summary(struct json_writer *j, const struct id_snapshot *sn,
				   uint64_t events, uint64_t drops)
{
	json__uint(j, "ticks", sn->ticks);
	json__uint(j, "intervals", sn->intervals);
	json__uint(j, "late", sn->late);
	json__uint(j, "events", events);
	json__uint(j, "drops", drops);
	json__uint(j, "max_gap_ns", sn->max_gap);
	json__uint(j, "max_late_ns", sn->max_late);
	json__uint(j, "perf_skips", sn->perf_skips);
	json__uint(j, "histogram_total", sn->hist_total);
	json__begin_array(j, "per_cpu");
	for (int c = 0; c < sn->nr; c++) {
		const struct id_cpu *v = &sn->cpu[c];

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
			uint64_t n = sn->hist[k * sn->nr + c];

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
static void irqdelay__json_events(struct json_writer *j, const struct irqdelay *q)
{
	char buf[32], addr[24], comm[HLD_COMM_LEN + 1];

	json__begin_array(j, "late_ticks");
	for (size_t i = 0; q && i < q->nr_recs; i++) {
		const struct hld_irqdelay_record *r = &q->recs[i];

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
		json__uint(j, "entry_frames", irqdelay__entry_frames(q, r));
		json__begin_array(j, "kstack");
		for (uint32_t k = 0; k < r->nr_kstack; k++) {
			json__begin_object(j, NULL);
			snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)r->kstack[k]);
			json__str(j, "addr", addr);
			json__str(j, "sym", irqdelay__ksym(q, r->kstack[k], buf, sizeof(buf)));
			json__end_object(j);
		}
		json__end_array(j);
		json__end_object(j);
	}
	json__end_array(j);
}

/*
 * Drain what was collected since the previous report (or the activation):
 * the counters' old generation and the late ticks in the ring buffer, into
 * irq-delay.txt, irq-delay.json and out->json. Events are this report's
 * late-tick records, drops count since activation.
 */
static int irqdelay_report(struct diag_feature *f, const struct diag_outputs *out)
{
	const struct hld_irqdelay_settings *s = f->settings;
	struct irqdelay *q = f->priv;
	struct id_snapshot sn;
	struct json_writer jw;
	uint64_t drops = 0, events = 0, now = bpf_util__now_ns(), window = 0;
	char path[PATH_MAX];
	FILE *jf = NULL;
	int err;

	err = irqdelay__snapshot(q, &sn);
	if (!err && q && q->rb)
		err = irqdelay_poll(f);
	if (err)
		goto out_free;
	if (q && q->skel) {
		drops = q->skel->bss->nr_drops;
		events = q->nr_recs;
		window = now - q->skel->bss->since_ns;
	}
	snprintf(path, sizeof(path), "%s/irq-delay.txt", out->dir);
	err = irqdelay__write_txt(q, s, &sn, drops, window, path);
	if (!err) {
		snprintf(path, sizeof(path), "%s/irq-delay.folded", out->dir);
		err = irqdelay__write_folded(q, path);
	}
	if (err)
		goto out_free;
	snprintf(path, sizeof(path), "%s/irq-delay.json", out->dir);
	jf = fopen(path, "we");
	if (!jf) {
		err = -errno;
		goto out_free;
	}
	json__init(&jw, jf, true);
	json__begin_object(&jw, NULL);
	json__uint(&jw, "period_us", s->period_us);
	json__uint(&jw, "threshold_us", s->threshold_us);
	json__uint(&jw, "window_ns", window);
	irqdelay__json_summary(&jw, &sn, events, drops);
	irqdelay__json_events(&jw, q);
	json__end_object(&jw);
	fputc('\n', jf);
	if (fclose(jf))
		err = -errno;
	if (err)
		goto out_free;

	irqdelay__json_summary(out->json, &sn, events, drops);
	f->events = events;
	f->drops = drops;
	diag_feature__set_metric(f, "late", sn.late);
	diag_feature__set_metric(f, "drops", drops);
	diag_feature__set_metric(f, "max_gap_ns", sn.max_gap);
	diag_feature__set_metric(f, "events", events);
	diag_feature__set_metric(f, "ticks", sn.ticks);
	diag_feature__set_metric(f, "intervals", sn.intervals);
	diag_feature__set_metric(f, "max_late_ns", sn.max_late);
	diag_feature__set_metric(f, "histogram_total", sn.hist_total);
	err = q ? q->rec_err : 0;
	if (q && q->skel) {	/* reported: out of the cap, and out of the next report */
		q->skel->bss->nr_reported += q->nr_recs;
		q->skel->bss->since_ns = now;
		q->nr_recs = 0;
	}
out_free:
	free(sn.cpu);
	free(sn.hist);
	return err;
}

/* Disarm if still armed and unload (a persistent activation's pins keep it alive). */
static void irqdelay_free(struct diag_feature *f)
{
	struct irqdelay *q = f->priv;

	if (!q)
		return;
	irqdelay_deactivate(f);
	ring_buffer__free(q->rb);
	irqdelay_bpf__destroy(q->skel);
	if (q->ksyms)
		ksyms__free(q->ksyms);
	free(q->recs);
	free(q);
	f->priv = NULL;
}

const struct diag_ops bpf_irq_delay_ops = {
	.id = DIAG_irq_delay,
	.probe = irqdelay_probe,
	.activate = irqdelay_activate,
	.poll = irqdelay_poll,
	.deactivate = irqdelay_deactivate,
	.report = irqdelay_report,
	.free = irqdelay_free,
	.reopen = irqdelay_reopen,
};
