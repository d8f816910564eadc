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
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "diag.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "mutex-report.h"
#include "mutexmon.skel.h"
#include "syms.h"

/* What the report cannot show, on a kernel without kprobes and on one with them. */
#define MUTEX_HOLD_TIME		"not available on this kernel (needs kprobes)"
#define MUTEX_HOLD_TIME_KP	"not available on the eBPF backend (it has no unlock-path " \
				"probe; the kmod backend times holds)"
#define MUTEX_SHOWN		"wait counts, wait time, waiter stacks and the mutex owner " \
				"at wait start only; not shown: lock hold time "
#define MUTEX_LIMITS		MUTEX_SHOWN "(needs kprobes on the unlock path, absent here) " \
				"and the holder's stack"
#define MUTEX_LIMITS_KP		MUTEX_SHOWN "(no unlock-path probe on this backend; the kmod " \
				"backend has one) and the holder's stack"

/* Whether this kernel has kprobes: the reason hold time is missing differs. */
static bool mutexmon__kprobes(void)
{
	return !access(BPF_UTIL_KPROBE_PMU, F_OK);
}

struct mutexmon {
	struct mutexmon_bpf *skel;
	struct bpf_link *begin, *end;
	struct ksyms *ksyms;		/* NULL if /proc/kallsyms cannot be read */
	bool pinned;			/* maps and links pinned: they outlive this process */
};

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
	snprintf(why, len, "%s", mutexmon__kprobes() ? MUTEX_LIMITS_KP : MUTEX_LIMITS);
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

/*
 * Take the waits that ended so far out of the maps into @d (unsorted): flip the
 * generation, wait until no program still writes the old one, then read
 * every row of the old counts hash, delete them and zero the old counters.
 * Exact: a wait ending meanwhile goes to the new generation, for the next
 * drain.
 */
static int mutexmon__drain(struct mutexmon *m, struct mutex_drained *d)
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
	return 0;
}

/* Kernel stack @id from the stack map (mutex-report.h's mutex_stack_fn). */
static int mutexmon__stack(void *ctx, int32_t id, uint64_t *ips)
{
	struct mutexmon *m = ctx;

	if (id < 0 || bpf_map_lookup_elem(bpf_map__fd(m->skel->maps.stacks), &id, ips))
		return -ENOENT;
	return 0;
}

/*
 * Write mutex.txt, mutex.json and mutex.folded with the waits that ended
 * since the last report (taken out of the maps: see mutexmon__drain), and
 * the drops since activation.
 */
static int mutexmon_report(struct diag_feature *f, const struct diag_outputs *out)
{
	static const char *const causes[] = { "kernel_stack", "nesting", "count_map_full",
					      "task_storage" };
	struct mutexmon *m = f->priv;
	const struct mutexmon_bpf__bss *b = m && m->skel ? m->skel->bss : NULL;
	uint64_t nr[4] = { 0 };
	struct mutex_source src = {
		.backend = "bpf",
		.hold_time = mutexmon__kprobes() ? MUTEX_HOLD_TIME_KP : MUTEX_HOLD_TIME,
		.limits = mutexmon__kprobes() ? MUTEX_LIMITS_KP : MUTEX_LIMITS,
		.cause_names = causes,
		.causes = nr,
		.nr_causes = 4,
		.ksyms = m ? m->ksyms : NULL,
		.stack = mutexmon__stack,
		.ctx = m,
	};
	struct mutex_drained d = { 0 };
	int err;

	err = b ? mutexmon__drain(m, &d) : 0;
	if (b) {
		src.drops = b->nr_drops;
		nr[0] = b->nr_drop_kstack;
		nr[1] = b->nr_drop_nest;
		nr[2] = b->nr_drop_count;
		nr[3] = b->nr_drop_storage;
	}
	if (!err)
		err = mutex__report_out(f, &src, &d, out);
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
