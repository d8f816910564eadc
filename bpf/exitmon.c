// SPDX-License-Identifier: GPL-2.0
/*
 * exitmon.c - exit-monitor, user side: attaches exitmon.bpf.c to
 * sched_process_exit, drains its ring buffer every poll, and writes
 * exit.txt and exit.json with the exits since the last report
 * (harness/exitmon-report.c, shared with the kernel-module backend).
 * A persistent activation pins the ring buffer;
 * a later process reopens it and drains it in report().
 *
 * Where the user stack is taken is decided by what works: with user
 * stacks on and a kernel with kprobes, the kprobe at do_exit() entry is
 * loaded and attached (exitmon_entry: the task still has its memory there,
 * whatever the kernel); if that fails, or the kernel has no kprobes, it is
 * not loaded at all and the tracepoint takes the stack itself, which works
 * where sched_process_exit fires before exit_mm() (6.18; not Debian's 6.1
 * and 6.12). The choice and its reason are in probe()'s text (`hldbench
 * diag list`) and in every report.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "diag.h"
#include "exitmon-report.h"
#include "exitmon.bpf.h"
#include "exitmon.skel.h"
#include "hld_record.h"
#include "hld_settings.h"

/* Records preallocated at most: one ring buffer's worth, up to this. */
#define XM_PREALLOC	4096

/* The pinned link of exitmon_entry: a persistent activation takes stacks at do_exit() entry. */
#define XM_ENTRY_LINK	"link_entry"

struct exitmon {
	struct exitmon_bpf *skel;
	struct bpf_link *link, *entry_link;
	struct ring_buffer *rb;
	struct exitmon_recs recs;	/* records received since the last report */
	/* BPF counters of phases ended (unpinned runs) */
	uint64_t seen, drops, no_ustack, vma_err, entry_full, entry_miss;
	int paths_fd;			/* ustack_paths kept past an unload, or -1 */
	bool at_entry;			/* the loaded programs take stacks at do_exit() entry */
	char stack_at[160];		/* where stacks are taken, and why there */
};

/* ring_buffer callback: keep one exitmon_event. */
static int exitmon__on_record(void *ctx, void *data, size_t size)
{
	struct exitmon *xm = ctx;

	exitmon__keep(&xm->recs, data, size);
	return 0;
}

/*
 * Open exitmon.bpf.c and set what is fixed before load from @s: the
 * filters, and whether the user stack is taken at do_exit() entry
 * (@at_entry: entry_stacks gets its size, and exitmon_entry is loaded
 * unless @maps_only, for a reopen that attaches nothing) or at the
 * tracepoint. NULL and errno on failure.
 */
static struct exitmon_bpf *exitmon__open(const struct hld_exit_settings *s, bool at_entry,
					 bool maps_only)
{
	struct exitmon_bpf *skel = exitmon_bpf__open();
	int err;

	if (!skel)
		return NULL;
	memcpy((char *)skel->rodata->targ_comm, s->comm, HLD_COMM_LEN);
	((char *)skel->rodata->targ_comm)[HLD_COMM_LEN - 1] = '\0';
	skel->rodata->targ_tgid = s->tgid;
	skel->rodata->want_ustack = !!s->user_stacks;
	skel->rodata->all_threads = !!s->all_threads;
	skel->rodata->stack_at_entry = at_entry;
	err = bpf_program__set_autoload(skel->progs.exitmon_entry, at_entry && !maps_only);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.entry_stacks,
					       at_entry ? EXITMON_ENTRY_STACKS : 1);
	if (err) {
		exitmon_bpf__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

/* Does the object load with @at_entry (a one-page ring buffer)? 0 or -errno. */
static int exitmon__try_load(bool at_entry)
{
	struct hld_exit_settings s = { .tgid = -1, .user_stacks = 1 };
	struct exitmon_bpf *skel = exitmon__open(&s, at_entry, false);
	int err;

	if (!skel)
		return -errno;
	err = bpf_map__set_max_entries(skel->maps.events, getpagesize());
	if (!err)
		err = exitmon_bpf__load(skel);
	exitmon_bpf__destroy(skel);
	return err;
}

/* Has this kernel kprobes? If not, why not, into @why (@len bytes). */
static bool exitmon__have_kprobes(char *why, size_t len)
{
	if (!access(BPF_UTIL_KPROBE_PMU, F_OK))
		return true;
	snprintf(why, len, "no kprobes on this kernel");
	return false;
}

/*
 * Available if the tracepoint program loads; the text says where user
 * stacks will be taken: at do_exit() entry where the kprobe program loads
 * too, else at sched_process_exit, and why.
 */
static int exitmon_probe(char *why, size_t len)
{
	char note[96];
	int err;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	if (exitmon__have_kprobes(note, sizeof(note))) {
		err = exitmon__try_load(true);
		if (!err) {
			snprintf(why, len, "user stacks taken at do_exit() entry (kprobe), the exit "
				 "at sched_process_exit");
			return 0;
		}
		snprintf(note, sizeof(note), "the kprobe program does not load: %s",
			 strerror(-err));
	}
	err = exitmon__try_load(false);
	if (err) {
		snprintf(why, len, "cannot load the tp_btf/sched_process_exit program: %s",
			 strerror(-err));
		return err;
	}
	snprintf(why, len, "user stacks taken at sched_process_exit (%s): where it fires after "
		 "exit_mm() (Debian's 6.1, 6.12) the records have none", note);
	return 0;
}

/*
 * Room for as many records as the ring buffer holds (at most XM_PREALLOC),
 * so that the drains of the diagnosis thread neither allocate nor fault
 * pages in while the machine is loaded.
 */
static int exitmon__prealloc_rb(struct exitmon *xm, uint32_t ringbuf)
{
	size_t want = ringbuf / (sizeof(*xm->recs.v) + 8);

	return exitmon__prealloc(&xm->recs, want > XM_PREALLOC ? XM_PREALLOC : want);
}

/* Release the skeleton, its links and the ring buffer reader (a pinned link stays attached). */
static void exitmon__unload(struct exitmon *xm)
{
	ring_buffer__free(xm->rb);
	xm->rb = NULL;
	bpf_link__destroy(xm->link);
	xm->link = NULL;
	bpf_link__destroy(xm->entry_link);
	xm->entry_link = NULL;
	exitmon_bpf__destroy(xm->skel);
	xm->skel = NULL;
}

/*
 * Open and load the programs with the settings of @f, the kprobe at
 * do_exit() entry among them if @at_entry. With f->pin_dir the maps live
 * there: created and pinned by the first load (activation), or the pinned
 * ones reused (a reopen, which also takes the ring buffer size from the
 * settings and @at_entry from the activation, as map reuse requires the
 * same sizes; the kprobe program it does not load, as it attaches
 * nothing). Then a ring buffer reader on the events map, and room for its
 * records.
 */
static int exitmon__load(struct diag_feature *f, struct exitmon *xm, bool at_entry,
			 bool reopen)
{
	const struct hld_exit_settings *s = f->settings;
	uint32_t rb_size;
	int err;

	xm->at_entry = at_entry && s->user_stacks;
	xm->skel = exitmon__open(s, xm->at_entry, reopen);
	if (!xm->skel)
		return -errno;
	rb_size = bpf_util__ringbuf_size(s->ringbuf_size, getpagesize());
	err = bpf_map__set_max_entries(xm->skel->maps.events, rb_size);
	if (!err)
		err = exitmon__prealloc_rb(xm, rb_size);
	if (!err && f->pin_dir)
		err = bpf_util__pin_maps(xm->skel->obj, f->pin_dir);
	if (!err)
		err = exitmon_bpf__load(xm->skel);
	if (!err) {
		xm->rb = ring_buffer__new(bpf_map__fd(xm->skel->maps.events), exitmon__on_record,
					  xm, NULL);
		if (!xm->rb)
			err = -errno;
	}
	if (err) {
		exitmon__unload(xm);
		return err < 0 ? err : -EINVAL;
	}
	return 0;
}

/*
 * Attach the loaded programs: the kprobe first (if loaded), so that every
 * exit the tracepoint sees has had its entry seen. With f->pin_dir both
 * links are pinned, once both are attached.
 */
static int exitmon__attach(struct diag_feature *f, struct exitmon *xm)
{
	int err;

	if (xm->at_entry) {
		xm->entry_link = bpf_program__attach(xm->skel->progs.exitmon_entry);
		if (!xm->entry_link)
			return -errno;
	}
	xm->link = bpf_program__attach(xm->skel->progs.exitmon_exit);
	if (!xm->link)
		return -errno;
	if (!f->pin_dir)
		return 0;
	err = bpf_util__pin_link(xm->link, f->pin_dir, "link_exit");
	if (!err && xm->entry_link) {
		err = bpf_util__pin_link(xm->entry_link, f->pin_dir, XM_ENTRY_LINK);
		if (err)
			bpf_link__unpin(xm->link);
	}
	return err;
}

/*
 * Load and attach with the stack taken at @at_entry. On failure nothing is
 * left loaded, attached or pinned, so that the caller can try the other way.
 */
static int exitmon__start(struct diag_feature *f, struct exitmon *xm, bool at_entry)
{
	int err = exitmon__load(f, xm, at_entry, false);

	if (err)
		return err;
	err = exitmon__attach(f, xm);
	if (err) {
		if (f->pin_dir)
			bpf_object__unpin_maps(xm->skel->obj, NULL);
		exitmon__unload(xm);
	}
	return err;
}

/* The adapter state of @f, allocated on first use. */
static struct exitmon *exitmon__get(struct diag_feature *f)
{
	struct exitmon *xm = f->priv;

	if (!xm) {
		xm = calloc(1, sizeof(*xm));
		if (xm)
			xm->paths_fd = -1;
		f->priv = xm;
	}
	return xm;
}

/*
 * Load and attach. With user stacks on and kprobes here, the stack is
 * taken at do_exit() entry; if the kprobe does not load or attach, at the
 * tracepoint, with the reason kept for the reports. With f->pin_dir
 * (`hldbench diag exit-monitor --activate`) the maps and the links are
 * pinned there, so the programs keep recording into the pinned ring
 * buffer after this process exits.
 */
static int exitmon_activate(struct diag_feature *f)
{
	const struct hld_exit_settings *s = f->settings;
	struct exitmon *xm = exitmon__get(f);
	char note[96];
	int err;

	if (!xm)
		return -ENOMEM;
	f->kernel_cost_in_thread = false;
	if (!s->user_stacks) {
		snprintf(xm->stack_at, sizeof(xm->stack_at), "off (user-stacks=0)");
		return exitmon__start(f, xm, false);
	}
	if (exitmon__have_kprobes(note, sizeof(note))) {
		err = exitmon__start(f, xm, true);
		if (!err) {
			snprintf(xm->stack_at, sizeof(xm->stack_at),
				 "taken at do_exit() entry (kprobe)");
			return 0;
		}
		snprintf(note, sizeof(note), "the kprobe at do_exit() failed: %s", strerror(-err));
	}
	snprintf(xm->stack_at, sizeof(xm->stack_at), "taken at sched_process_exit (%s)", note);
	return exitmon__start(f, xm, false);
}

/*
 * Open a persistent activation in this process: the programs loaded on the
 * pinned maps, as the activation loaded them (its kprobe's link pinned or
 * not), nothing attached; report() drains the pinned ring buffer.
 */
static int exitmon_reopen(struct diag_feature *f)
{
	const struct hld_exit_settings *s = f->settings;
	struct exitmon *xm = exitmon__get(f);
	char path[PATH_MAX], note[96];
	struct stat st;
	bool at_entry;

	if (!xm)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/%s", f->pin_dir, XM_ENTRY_LINK);
	at_entry = !stat(path, &st);
	if (!s->user_stacks)
		snprintf(xm->stack_at, sizeof(xm->stack_at), "off (user-stacks=0)");
	else if (at_entry)
		snprintf(xm->stack_at, sizeof(xm->stack_at), "taken at do_exit() entry (kprobe)");
	else if (exitmon__have_kprobes(note, sizeof(note)))
		snprintf(xm->stack_at, sizeof(xm->stack_at), "taken at sched_process_exit (the "
			 "activation could not place the kprobe at do_exit())");
	else
		snprintf(xm->stack_at, sizeof(xm->stack_at), "taken at sched_process_exit (%s)",
			 note);
	return exitmon__load(f, xm, at_entry, true);
}

/* Drain the ring buffer into the records of the next report. */
static int exitmon_poll(struct diag_feature *f)
{
	struct exitmon *xm = f->priv;
	int err;

	if (!xm || !xm->rb)
		return 0;
	err = ring_buffer__consume(xm->rb);
	if (err < 0)
		return err;
	f->events = xm->recs.n;
	f->drops = xm->drops + xm->skel->bss->nr_drops;
	return xm->recs.err;
}

/* Detach, take the last records and the counters, and unload; the records stay for report(). */
static int exitmon_deactivate(struct diag_feature *f)
{
	struct exitmon *xm = f->priv;
	int err;

	if (!xm || !xm->skel)
		return 0;
	bpf_link__destroy(xm->link);
	xm->link = NULL;
	bpf_link__destroy(xm->entry_link);
	xm->entry_link = NULL;
	err = exitmon_poll(f);
	bpf_util__prog_stats(bpf_program__fd(xm->skel->progs.exitmon_exit),
			     &f->kernel_run_ns, &f->kernel_run_cnt);
	/* the kprobe's run time is the exits' too; the count is of exits (none if not loaded) */
	if (bpf_program__fd(xm->skel->progs.exitmon_entry) >= 0) {
		uint64_t runs = 0;

		bpf_util__prog_stats(bpf_program__fd(xm->skel->progs.exitmon_entry),
				     &f->kernel_run_ns, &runs);
	}
	xm->seen += xm->skel->bss->nr_exits;
	xm->drops += xm->skel->bss->nr_drops;
	xm->no_ustack += xm->skel->bss->nr_no_ustack;
	xm->vma_err += xm->skel->bss->nr_vma_err;
	xm->entry_full += xm->skel->bss->nr_entry_full;
	xm->entry_miss += xm->skel->bss->nr_entry_miss;
	f->drops = xm->drops;
	/* the records' file paths: the report names their functions after the unload */
	if (xm->paths_fd < 0)
		xm->paths_fd = fcntl(bpf_map__fd(xm->skel->maps.ustack_paths), F_DUPFD_CLOEXEC, 0);
	exitmon__unload(xm);
	return err;
}

/* Counters since activation, for the report. */
static struct exitmon_totals exitmon__totals(const struct exitmon *xm)
{
	struct exitmon_totals t = {
		.seen = xm->seen, .drops = xm->drops, .no_ustack = xm->no_ustack,
		.vma_err = xm->vma_err, .entry_full = xm->entry_full, .entry_miss = xm->entry_miss,
		.stack_at = xm->stack_at[0] ? xm->stack_at : "unknown (not activated)",
	};

	if (xm->skel) {
		t.seen += xm->skel->bss->nr_exits;
		t.drops += xm->skel->bss->nr_drops;
		t.no_ustack += xm->skel->bss->nr_no_ustack;
		t.vma_err += xm->skel->bss->nr_vma_err;
		t.entry_full += xm->skel->bss->nr_entry_full;
		t.entry_miss += xm->skel->bss->nr_entry_miss;
	}
	return t;
}

/* The ustack_paths map: the loaded program's, or the one kept when it was unloaded. */
static int exitmon__paths_fd(const struct exitmon *xm)
{
	return xm->skel ? bpf_map__fd(xm->skel->maps.ustack_paths) : xm->paths_fd;
}

/*
 * Write exit.txt and exit.json with the records since the last report:
 * whatever the ring buffer still holds is drained first (in a process that
 * reopened a persistent activation, that is all of them), and the records
 * reported are then forgotten. Drops count since activation.
 */
static int exitmon_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct exitmon empty = { .paths_fd = -1 }, *xm = f->priv ? f->priv : &empty;
	struct exitmon_totals t;
	int err = 0, err2;

	if (xm->rb)
		err = ring_buffer__consume(xm->rb);
	if (err >= 0)
		err = xm->recs.err;
	t = exitmon__totals(xm);
	xm->recs.paths_fd = exitmon__paths_fd(xm);
	err2 = exitmon__report_out(f, &xm->recs, &t, "bpf", out, !err);
	json__double(out->json, "bpf_run_ns_per_exit", f->kernel_run_cnt ?
		     (double)f->kernel_run_ns / f->kernel_run_cnt : NAN);
	return err ? err : err2;
}

/* Release everything; a pinned activation's link and maps stay in bpffs. */
static void exitmon_free(struct diag_feature *f)
{
	struct exitmon *xm = f->priv;

	if (!xm)
		return;
	exitmon__unload(xm);
	if (xm->paths_fd >= 0)
		close(xm->paths_fd);
	exitmon__recs_free(&xm->recs);
	free(xm);
	f->priv = NULL;
}

const struct diag_ops bpf_exit_monitor_ops = {
	.id = DIAG_exit_monitor,
	.probe = exitmon_probe,
	.activate = exitmon_activate,
	.poll = exitmon_poll,
	.deactivate = exitmon_deactivate,
	.report = exitmon_report,
	.free = exitmon_free,
	.reopen = exitmon_reopen,
};
