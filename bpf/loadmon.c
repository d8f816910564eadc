// SPDX-License-Identifier: GPL-2.0
/*
 * loadmon.c - load-monitor, user side: loads loadmon.bpf.c, arms its timer
 * (which then checks the load in the kernel every interval with no user
 * space involved), and drains what it collected: the captures from the
 * ring buffer, the checks from a ring of the last LOADMON_HIST, the check
 * totals from a two-halved window. Writes loadmon.txt, loadmon.json,
 * loadmon-checks.csv and loadmon.folded.
 *
 * A persistent activation pins the maps; the timer lives in one of them,
 * so it keeps ticking after the process exits, and unpinning the maps
 * (--deactivate) frees it. There is no link to pin.
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
#include "loadmon-report.h"
#include "loadmon.bpf.h"
#include "loadmon.skel.h"

#define NS_PER_MS 1000000ull
#define LOADMON_RB_CAPTURES 4	/* full captures the ring buffer holds unread */

struct loadmon {
	struct loadmon_bpf *skel;
	struct ring_buffer *rb;
	bool armed;
	uint64_t seq_seen;		/* capture_seq at the last ring buffer drain */
	uint64_t run_ns_seen, run_cnt_seen;	/* self-timing already added to the feature */
	struct lm_data d;		/* what was drained since the last report */
};

/* ring_buffer callback: one hld_loadmon_task or hld_loadmon_capture record. */
static int loadmon__on_record(void *ctx, void *data, size_t size)
{
	struct loadmon *lm = ctx;

	return loadmon__record(&lm->d, data, size);
}

/*
 * Copy the checks the program logged since user space last read them into
 * lm->d.checks; those already overwritten in the ring are only counted.
 */
static int loadmon__read_hist(struct loadmon *lm)
{
	struct loadmon_bpf__bss *b = lm->skel->bss;
	uint64_t n = __atomic_load_n(&b->nr_hist, __ATOMIC_ACQUIRE);
	uint64_t from = b->hist_read;

	/* The slot of check n - LOADMON_HIST is the one being rewritten next. */
	if (n > LOADMON_HIST - 1 && from < n - (LOADMON_HIST - 1)) {
		lm->d.hist_skipped += n - (LOADMON_HIST - 1) - from;
		from = n - (LOADMON_HIST - 1);
	}
	if (from >= n)
		return 0;
	if (bpf_util__reserve((void **)&lm->d.checks, &lm->d.cap_checks, lm->d.nr_checks + (n - from),
			      sizeof(*lm->d.checks)))
		return -ENOMEM;
	for (uint64_t s = from; s < n; s++)
		lm->d.checks[lm->d.nr_checks++] = b->hist[s % LOADMON_HIST];
	b->hist_read = n;
	return 0;
}

/* Take the captures and the checks collected so far. */
static int loadmon__drain(struct loadmon *lm)
{
	int err;

	lm->seq_seen = __atomic_load_n(&lm->skel->bss->capture_seq, __ATOMIC_ACQUIRE);
	err = ring_buffer__consume(lm->rb);
	if (err < 0)
		return err;
	if (lm->d.rec_err)
		return lm->d.rec_err;
	return loadmon__read_hist(lm);
}

/*
 * The check totals since the last drain: flip the window the program
 * writes, wait until no program run still writes the old one, then read
 * and clear it.
 */
static int loadmon__drain_window(struct loadmon *lm)
{
	struct loadmon_bpf__bss *b = lm->skel->bss;
	struct loadmon_window *w;
	uint32_t old = b->gen & 1;
	int err;

	__atomic_store_n(&b->gen, b->gen + 1, __ATOMIC_RELEASE);
	err = bpf_util__grace_period();
	if (err)
		return err;
	w = &b->win[old];
	lm->d.win.checks += w->checks;
	lm->d.win.sum_r += w->sum_r;
	lm->d.win.sum_d += w->sum_d;
	if (w->max_r > lm->d.win.max_r)
		lm->d.win.max_r = w->max_r;
	if (w->max_d > lm->d.win.max_d)
		lm->d.win.max_d = w->max_d;
	lm->d.win.crossed += w->crossed;
	lm->d.win.captures += w->captures;
	lm->d.win.tasks += w->tasks;
	memset(w, 0, sizeof(*w));
	return 0;
}

/*
 * Run the control program once (an iterator link read to its end): its
 * last call carries out @cmd. 0 or the program's -errno.
 */
static int loadmon__ctl(struct loadmon *lm, uint32_t cmd)
{
	struct loadmon_bpf__bss *b = lm->skel->bss;
	struct bpf_link *link;
	char buf[64];
	ssize_t n;
	int fd, err = 0;

	b->ctl_cmd = cmd;
	b->ctl_err = 0;
	link = bpf_program__attach_iter(lm->skel->progs.loadmon_ctl, NULL);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out_link;
	}
	do {
		n = read(fd, buf, sizeof(buf));
	} while (n > 0 || (n < 0 && errno == EINTR));
	if (n < 0)
		err = -errno;
	close(fd);
	if (!err)
		err = b->ctl_err;
out_link:
	bpf_link__destroy(link);
	return err;
}

/* The kernel's load averages now, in its fixed point, to start from. */
static void loadmon__seed(struct loadmon *lm)
{
	double l[3] = { 0, 0, 0 };
	FILE *f = fopen("/proc/loadavg", "re");

	if (f) {
		if (fscanf(f, "%lf %lf %lf", &l[0], &l[1], &l[2]) != 3)
			l[0] = l[1] = l[2] = 0;
		fclose(f);
	}
	for (int i = 0; i < 3; i++)
		lm->skel->bss->seed_avenrun[i] = (uint64_t)(l[i] * LOADMON_FIXED_1 + 0.5);
}

/* Ring buffer size for LOADMON_RB_CAPTURES captures of @max_tasks tasks: a power of two. */
static uint32_t loadmon__rb_size(uint64_t max_tasks)
{
	uint64_t rec = (sizeof(struct hld_loadmon_task) + 8 + 7) & ~7ull;
	uint64_t cap = (sizeof(struct hld_loadmon_capture) + 8 + 7) & ~7ull;

	return bpf_util__ringbuf_size(LOADMON_RB_CAPTURES * (max_tasks * rec + cap), 256 * 1024);
}

/*
 * Open and load the programs with the settings of @f; with f->pin_dir the
 * maps are pinned there, or the pinned ones reused.
 */
static int loadmon__load(struct diag_feature *f, struct loadmon *lm)
{
	const struct hld_loadmon_settings *s = f->settings;
	int ncpu = libbpf_num_possible_cpus(), err;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	lm->skel = loadmon_bpf__open();
	if (!lm->skel)
		return -errno;
	lm->skel->rodata->thr_load = s->load;
	lm->skel->rodata->thr_r = s->load_r;
	lm->skel->rodata->thr_d = s->load_d;
	lm->skel->rodata->thr_task_d = s->task_d;
	lm->skel->rodata->thr_task_r = s->task_r;
	lm->skel->rodata->interval_ns = s->interval_ms * NS_PER_MS;
	lm->skel->rodata->min_gap_ns = s->min_gap_ms * NS_PER_MS;
	lm->skel->rodata->max_tasks = s->max_tasks > UINT32_MAX ? UINT32_MAX : s->max_tasks;
	lm->skel->rodata->user_stacks = !!s->user_stacks;
	lm->skel->rodata->nr_cpus = ncpu;
	err = bpf_map__set_max_entries(lm->skel->maps.events, loadmon__rb_size(s->max_tasks));
	if (!err && f->pin_dir)
		err = bpf_util__pin_maps(lm->skel->obj, f->pin_dir);
	if (!err)
		err = loadmon_bpf__load(lm->skel);
	if (!err) {
		lm->rb = ring_buffer__new(bpf_map__fd(lm->skel->maps.events), loadmon__on_record,
					  lm, NULL);
		if (!lm->rb)
			err = -errno;
	}
	if (err) {
		loadmon_bpf__destroy(lm->skel);
		lm->skel = NULL;
		return err < 0 ? err : -EINVAL;
	}
	return 0;
}

/* The feature's state, allocated on first use. */
static struct loadmon *loadmon__get(struct diag_feature *f)
{
	if (!f->priv)
		f->priv = calloc(1, sizeof(struct loadmon));
	return f->priv;
}

/* Usable if BPF works and the timer and task-iterator programs load. */
static int loadmon_probe(char *why, size_t len)
{
	struct loadmon_bpf *skel;
	int err;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	skel = loadmon_bpf__open();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "cannot open the BPF object: %s", strerror(-err));
		return err;
	}
	skel->rodata->nr_cpus = 1;
	err = loadmon_bpf__load(skel);
	loadmon_bpf__destroy(skel);
	if (err) {
		snprintf(why, len, "cannot load the timer and task-iterator programs "
			 "(needs bpf_timer, the bpf_iter_task kfuncs of Linux 6.7+ and "
			 "CONFIG_FAIR_GROUP_SCHED): %s", strerror(-err));
		return err;
	}
	return 0;
}

/*
 * Load the programs at the first phase (the maps then live until free),
 * seed the load averages from /proc/loadavg and start the timer.
 */
static int loadmon_activate(struct diag_feature *f)
{
	struct loadmon *lm = loadmon__get(f);
	int err;

	if (!lm)
		return -ENOMEM;
	f->kernel_cost_in_thread = false;
	if (!lm->skel) {
		err = loadmon__load(f, lm);
		if (err)
			return err;
	}
	loadmon__seed(lm);
	err = loadmon__ctl(lm, LOADMON_CTL_ARM);
	if (err)
		return err;
	lm->armed = true;
	return 0;
}

/*
 * Attach to a persistent activation: load the programs with the pinned
 * maps reused (the timer is already ticking; nothing is armed), so that
 * report() drains what the pinned timer collected.
 */
static int loadmon_reopen(struct diag_feature *f)
{
	struct loadmon *lm = loadmon__get(f);

	if (!lm)
		return -ENOMEM;
	f->kernel_cost_in_thread = false;
	return loadmon__load(f, lm);
}

/*
 * Every DIAG_POLL_MS: take the captures as soon as there are new ones, so
 * the ring buffer never fills, and the checks before the ring of them
 * wraps; otherwise two loads from the mmapped .bss and nothing else.
 */
static int loadmon_poll(struct diag_feature *f)
{
	const struct loadmon_bpf__bss *b;
	struct loadmon *lm = f->priv;

	if (!lm || !lm->skel)
		return 0;
	b = lm->skel->bss;
	if (__atomic_load_n(&b->capture_seq, __ATOMIC_RELAXED) == lm->seq_seen &&
	    __atomic_load_n(&b->nr_hist, __ATOMIC_RELAXED) - b->hist_read < LOADMON_HIST / 2)
		return 0;
	return loadmon__drain(lm);
}

/* Add the timer callback's own run time since the last look to the feature. */
static void loadmon__cost(struct diag_feature *f, struct loadmon *lm)
{
	const struct loadmon_bpf__bss *b = lm->skel->bss;

	if (b->run_ns >= lm->run_ns_seen && b->run_cnt >= lm->run_cnt_seen) {
		f->kernel_run_ns += b->run_ns - lm->run_ns_seen;
		f->kernel_run_cnt += b->run_cnt - lm->run_cnt_seen;
	}
	lm->run_ns_seen = b->run_ns;
	lm->run_cnt_seen = b->run_cnt;
}

/* Stop the timer (the maps stay for report()) and take what it left. */
static int loadmon_deactivate(struct diag_feature *f)
{
	struct loadmon *lm = f->priv;
	int err = 0;

	if (!lm || !lm->skel || !lm->armed)
		return 0;
	err = loadmon__ctl(lm, LOADMON_CTL_CANCEL);
	lm->armed = false;
	loadmon__cost(f, lm);
	if (!err)
		err = loadmon__drain(lm);
	return err;
}

/* The program's figures since activation, as the module reports them. */
static void loadmon__stats(const struct loadmon_bpf__bss *b, struct hld_loadmon_stats *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->avenrun, b->avenrun, sizeof(k->avenrun));
	memcpy(k->avenrun_r, b->avenrun_r, sizeof(k->avenrun_r));
	k->cur_r = b->cur_r;
	k->cur_d = b->cur_d;
	k->last_reasons = b->last_reasons;
	k->kstacks = 1;
	k->drop_ringbuf = b->drop_ringbuf;
	k->drop_cap = b->drop_cap;
	k->drop_rate = b->drop_rate;
	k->drop_stack = b->drop_stack;
	k->drop_capture_rec = b->drop_capture_rec;
	k->tasks_counted = b->tasks_counted;
	k->walk_truncated = b->walk_truncated;
	k->run_ns = b->run_ns;
	k->run_cnt = b->run_cnt;
	k->capture_ns = b->capture_ns;
	k->capture_max_ns = b->capture_max_ns;
	k->capture_seq = b->capture_seq;
}

/*
 * Drain everything collected since the last report, write the files, the
 * JSON figures and the metrics, then forget it: a report shows each
 * capture and each check once.
 */
static int loadmon_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct loadmon *lm = f->priv;
	int err;

	if (!lm || !lm->skel)
		return -ENODATA;
	err = loadmon__drain(lm);
	if (!err)
		err = loadmon__drain_window(lm);
	if (err)
		return err;
	loadmon__cost(f, lm);
	lm->d.backend = "bpf";
	loadmon__stats(lm->skel->bss, &lm->d.k);
	return loadmon__report_out(f, &lm->d, out);
}

/*
 * Unload. Unpinned maps go with the last file descriptor, and the timer in
 * them is cancelled; pinned ones (a persistent activation) stay, ticking.
 */
static void loadmon_free(struct diag_feature *f)
{
	struct loadmon *lm = f->priv;

	if (!lm)
		return;
	if (!f->pin_dir)
		loadmon_deactivate(f);
	ring_buffer__free(lm->rb);
	loadmon_bpf__destroy(lm->skel);
	loadmon__data_free(&lm->d);
	free(lm);
	f->priv = NULL;
}

const struct diag_ops bpf_load_monitor_ops = {
	.id = DIAG_load_monitor,
	.probe = loadmon_probe,
	.activate = loadmon_activate,
	.poll = loadmon_poll,
	.deactivate = loadmon_deactivate,
	.report = loadmon_report,
	.reopen = loadmon_reopen,
	.free = loadmon_free,
};
