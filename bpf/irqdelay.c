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
#include "hld_record.h"
#include "hld_settings.h"
#include "irqdelay-report.h"
#include "irqdelay.skel.h"
#include "syms.h"

#define ID_MAX_CPUS	1024

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
	struct irqdelay_recs recs;	/* late ticks received since the last report */
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
	int err = irqdelay__recs_add(&q->recs, data, size);

	if (err && !q->rec_err)
		q->rec_err = err;
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
	f->events = q->recs.nr;
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
static int irqdelay__clear(struct irqdelay *q, const struct irqdelay_data *sn)
{
	uint64_t *zero = calloc(sn->nr, sizeof(struct irqdelay_cpu));
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
static int irqdelay__snapshot(struct irqdelay *q, struct irqdelay_data *sn)
{
	int nr = q && q->skel ? q->nr_possible : 0;
	uint32_t key;
	int err;

	err = irqdelay__data_init(sn, nr);
	if (err || !nr)
		return err;
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
	irqdelay__data_sum(sn);
	return irqdelay__clear(q, sn);
}

/*
 * Drain what was collected since the previous report (or the activation):
 * the counters' old generation and the late ticks in the ring buffer, into
 * irq-delay.txt, irq-delay.json and out->json. Events are this report's
 * late-tick records, drops count since activation.
 */
static int irqdelay_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct irqdelay *q = f->priv;
	struct irqdelay_data sn;
	uint64_t now = bpf_util__now_ns();
	int err;

	err = irqdelay__snapshot(q, &sn);
	if (!err && q && q->rb)
		err = irqdelay_poll(f);
	if (err)
		goto out_free;
	sn.backend = "bpf";
	sn.perf_event = true;
	if (q) {
		sn.ksyms = q->ksyms;
		sn.recs = q->recs.recs;
		sn.nr_recs = q->recs.nr;
	}
	if (q && q->skel) {
		sn.drops = q->skel->bss->nr_drops;
		sn.events = q->recs.nr;
		sn.window_ns = now - q->skel->bss->since_ns;
	}
	err = irqdelay__report_out(f, &sn, out);
	if (err)
		goto out_free;
	err = q ? q->rec_err : 0;
	if (q && q->skel) {	/* reported: out of the cap, and out of the next report */
		q->skel->bss->nr_reported += q->recs.nr;
		q->skel->bss->since_ns = now;
		q->recs.nr = 0;
	}
out_free:
	irqdelay__data_free(&sn);
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
	free(q->recs.recs);
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
