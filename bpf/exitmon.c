// SPDX-License-Identifier: GPL-2.0
/*
 * exitmon.c - exit-monitor, user side: attaches exitmon.bpf.c to
 * sched_process_exit, drains its ring buffer every poll, and writes
 * exit.txt and exit.json with the exits since the last report.
 *
 * Everything reported comes from the records: the program itself names the
 * file and file offset of each user frame (ustack-files.bpf.h). Nothing is read
 * from /proc, where an exited process has nothing left and where reads can
 * block for long under load. A persistent activation pins the ring buffer;
 * a later process reopens it and drains it in report().
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "diag.h"
#include "exitmon.bpf.h"
#include "exitmon.skel.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "syms.h"

/* Records preallocated at most: one ring buffer's worth, up to this. */
#define XM_PREALLOC	4096

struct exitmon {
	struct exitmon_bpf *skel;
	struct bpf_link *link;
	struct ring_buffer *rb;
	int rec_err;			/* first error in the record callback */
	struct exitmon_event *exits;	/* records received since the last report */
	size_t nr_exits, cap_exits;
	/* BPF counters of phases ended (unpinned runs) */
	uint64_t seen, drops, no_ustack, vma_err;
	struct usyms *usyms;		/* names frames by function, at report */
	int paths_fd;			/* ustack_paths kept past an unload, or -1 */
};

/* How the kernel's exit_code reads: an exit status, or a signal. */
struct xm_status {
	bool killed;
	int code;		/* exit status (0..255) or signal number */
	bool core;
};

static struct xm_status exitmon__decode(uint32_t exit_code)
{
	struct xm_status st;

	st.killed = (exit_code & 0x7f) != 0;
	st.code = st.killed ? (int)(exit_code & 0x7f) : (int)((exit_code >> 8) & 0xff);
	st.core = st.killed && (exit_code & 0x80);
	return st;
}

/* ring_buffer callback: keep one exitmon_event, its counts clamped to the arrays. */
static int exitmon__on_record(void *ctx, void *data, size_t size)
{
	struct exitmon *xm = ctx;
	struct exitmon_event *x;
	int err = 0;

	if (!bpf_util__record_ok(data, size, HLD_REC_EXIT, sizeof(struct exitmon_event))) {
		err = -EPROTO;
	} else if (bpf_util__reserve((void **)&xm->exits, &xm->cap_exits, xm->nr_exits + 1,
				     sizeof(*xm->exits))) {
		err = -ENOMEM;
	} else {
		x = &xm->exits[xm->nr_exits++];
		memcpy(x, data, sizeof(*x));
		if (x->rec.nr_ustack > HLD_MAX_STACK)
			x->rec.nr_ustack = HLD_MAX_STACK;
		if (x->uf.nr_files > USTACK_FILES)
			x->uf.nr_files = USTACK_FILES;
		for (uint32_t i = 0; i < x->uf.nr_files; i++)
			x->uf.files[i][USTACK_FILE_NAME - 1] = '\0';
	}
	if (err && !xm->rec_err)
		xm->rec_err = err;
	return 0;
}

static int exitmon_probe(char *why, size_t len)
{
	struct exitmon_bpf *skel;
	int err;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	skel = exitmon_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "cannot load the tp_btf/sched_process_exit program: %s",
			 strerror(-err));
		return err;
	}
	exitmon_bpf__destroy(skel);
	return 0;
}

/*
 * Room for as many records as the ring buffer holds (at most XM_PREALLOC),
 * touched, so that the drains of the diagnosis thread neither allocate nor
 * fault pages in while the machine is loaded.
 */
static int exitmon__prealloc(struct exitmon *xm, uint32_t ringbuf)
{
	size_t want = ringbuf / (sizeof(*xm->exits) + 8);

	if (want > XM_PREALLOC)
		want = XM_PREALLOC;
	if (bpf_util__reserve((void **)&xm->exits, &xm->cap_exits, want, sizeof(*xm->exits)))
		return -ENOMEM;
	if (xm->cap_exits > xm->nr_exits)	/* records not yet reported stay */
		memset(xm->exits + xm->nr_exits, 0, (xm->cap_exits - xm->nr_exits) * sizeof(*xm->exits));
	return 0;
}

/* Release the skeleton, its link and the ring buffer reader (a pinned link stays attached). */
static void exitmon__unload(struct exitmon *xm)
{
	ring_buffer__free(xm->rb);
	xm->rb = NULL;
	bpf_link__destroy(xm->link);
	xm->link = NULL;
	exitmon_bpf__destroy(xm->skel);
	xm->skel = NULL;
}

/*
 * Open and load the program with the settings of @f. With f->pin_dir the
 * maps live there: created and pinned by the first load (activation), or
 * the pinned ones reused (a reopen, which also takes the ring buffer size
 * from the settings, as map reuse requires the same size). Then a ring
 * buffer reader on the events map, and room for its records.
 */
static int exitmon__load(struct diag_feature *f, struct exitmon *xm)
{
	const struct hld_exit_settings *s = f->settings;
	uint32_t rb_size;
	int err;

	xm->skel = exitmon_bpf__open();
	if (!xm->skel)
		return -errno;
	memcpy((char *)xm->skel->rodata->targ_comm, s->comm, HLD_COMM_LEN);
	((char *)xm->skel->rodata->targ_comm)[HLD_COMM_LEN - 1] = '\0';
	xm->skel->rodata->targ_tgid = s->tgid;
	xm->skel->rodata->want_ustack = !!s->user_stacks;
	xm->skel->rodata->all_threads = !!s->all_threads;
	rb_size = bpf_util__ringbuf_size(s->ringbuf_size, getpagesize());
	err = bpf_map__set_max_entries(xm->skel->maps.events, rb_size);
	if (!err)
		err = exitmon__prealloc(xm, rb_size);
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
 * Load and attach. With f->pin_dir (`hldbench diag exit-monitor
 * --activate`) the maps and the link are pinned there, so the program keeps
 * recording into the pinned ring buffer after this process exits.
 */
static int exitmon_activate(struct diag_feature *f)
{
	struct exitmon *xm = exitmon__get(f);
	int err;

	if (!xm)
		return -ENOMEM;
	f->kernel_cost_in_thread = false;
	err = exitmon__load(f, xm);
	if (err)
		return err;
	xm->link = bpf_program__attach(xm->skel->progs.exitmon_exit);
	if (!xm->link) {
		err = -errno;
		goto out_unload;
	}
	if (f->pin_dir) {
		err = bpf_util__pin_link(xm->link, f->pin_dir, "link_exit");
		if (err)
			goto out_unload;
	}
	return 0;

out_unload:
	exitmon__unload(xm);
	return err;
}

/*
 * Open a persistent activation in this process: the program loaded on the
 * pinned maps, nothing attached; report() drains the pinned ring buffer.
 */
static int exitmon_reopen(struct diag_feature *f)
{
	struct exitmon *xm = exitmon__get(f);

	return xm ? exitmon__load(f, xm) : -ENOMEM;
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
	f->events = xm->nr_exits;
	f->drops = xm->drops + xm->skel->bss->nr_drops;
	return xm->rec_err;
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
	err = exitmon_poll(f);
	bpf_util__prog_stats(bpf_program__fd(xm->skel->progs.exitmon_exit),
			     &f->kernel_run_ns, &f->kernel_run_cnt);
	xm->seen += xm->skel->bss->nr_exits;
	xm->drops += xm->skel->bss->nr_drops;
	xm->no_ustack += xm->skel->bss->nr_no_ustack;
	xm->vma_err += xm->skel->bss->nr_vma_err;
	f->drops = xm->drops;
	/* the records' file paths: the report names their functions after the unload */
	if (xm->paths_fd < 0)
		xm->paths_fd = fcntl(bpf_map__fd(xm->skel->maps.ustack_paths), F_DUPFD_CLOEXEC, 0);
	exitmon__unload(xm);
	return err;
}

/* Counters since activation, for the report. */
struct exitmon_totals {
	uint64_t seen;		/* exits that passed the filters */
	uint64_t drops;		/* records lost to a full ring buffer */
	uint64_t no_ustack;	/* records without a user stack */
	uint64_t vma_err;	/* frames whose mapping could not be looked up */
};

static struct exitmon_totals exitmon__totals(const struct exitmon *xm)
{
	struct exitmon_totals t = { xm->seen, xm->drops, xm->no_ustack, xm->vma_err };

	if (xm->skel) {
		t.seen += xm->skel->bss->nr_exits;
		t.drops += xm->skel->bss->nr_drops;
		t.no_ustack += xm->skel->bss->nr_no_ustack;
		t.vma_err += xm->skel->bss->nr_vma_err;
	}
	return t;
}

/* "exited with code 3", "killed by SIGKILL (core dumped)". */
static const char *exitmon__describe(uint32_t exit_code, char *buf, size_t len)
{
	struct xm_status st = exitmon__decode(exit_code);
	const char *sig;

	if (!st.killed) {
		snprintf(buf, len, "exited with code %d", st.code);
		return buf;
	}
	sig = sigabbrev_np(st.code);
	if (sig)
		snprintf(buf, len, "killed by SIG%s%s", sig, st.core ? " (core dumped)" : "");
	else
		snprintf(buf, len, "killed by signal %d%s", st.code, st.core ? " (core dumped)" : "");
	return buf;
}

/* The file frame @i of @x lies in: a base name, "vdso", or NULL (anonymous or not found). */
static const char *exitmon__file(const struct exitmon_event *x, uint32_t i)
{
	const struct ustack_files *uf = &x->uf;
	uint8_t idx = i < HLD_MAX_STACK ? uf->idx[i] : USTACK_NO_FILE;

	if (i >= uf->nr_frames)
		return NULL;
	if (idx == USTACK_VDSO)
		return "vdso";
	if (idx < uf->nr_files && uf->files[idx][0])
		return uf->files[idx];
	return NULL;
}

/* The ustack_paths map: the loaded program's, or the one kept when it was unloaded. */
static int exitmon__paths_fd(const struct exitmon *xm)
{
	return xm->skel ? bpf_map__fd(xm->skel->maps.ustack_paths) : xm->paths_fd;
}

/*
 * Frame @i of @x by function (its file as the program found it at exit,
 * opened by path now), else "[file+0xoffset]", or "[unknown]" where no
 * file is known.
 */
static const char *exitmon__frame(const struct exitmon *xm, const struct exitmon_event *x,
				  uint32_t i, char *buf, size_t len)
{
	const char *name = ustack_files__symbol(&x->uf, i, exitmon__paths_fd(xm), xm->usyms,
						buf, len);

	return name ? name : "[unknown]";
}

static const char *exitmon__comm(char *buf, const char *comm)
{
	memcpy(buf, comm, HLD_COMM_LEN);
	buf[HLD_COMM_LEN] = '\0';
	return buf;
}

static int exitmon__write_txt(const struct exitmon *xm, const struct exitmon_totals *t,
			      const struct hld_exit_settings *s, const char *path)
{
	uint64_t t0 = xm->nr_exits ? xm->exits[0].rec.hdr.ts : 0;
	char desc[64], name[128], comm[HLD_COMM_LEN + 1];
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	fprintf(o, "# exit-monitor (bpf): %zu exits since the last report; since activation: "
		"%llu exits seen, %llu dropped (ring buffer full), %llu without a user stack, "
		"%llu frames with no mapping found\n", xm->nr_exits, (unsigned long long)t->seen,
		(unsigned long long)t->drops, (unsigned long long)t->no_ustack,
		(unsigned long long)t->vma_err);
	fprintf(o, "# filters: comm=%s tgid=%lld, %s, user stacks %s\n",
		s->comm[0] ? s->comm : "(any)", (long long)s->tgid,
		s->all_threads ? "all threads" : "thread-group leaders only",
		s->user_stacks ? "on" : "off");
	fprintf(o, "# per exit: seconds since the first [CLOCK_MONOTONIC ns], pid tgid ppid comm, "
		"how it ended, then its user stack innermost first: address, then the function, "
		"read from the file the program found mapped there at exit, or [file+offset] when "
		"the file has no symbol there, is gone or is another file now\n");
	for (size_t i = 0; i < xm->nr_exits; i++) {
		const struct exitmon_event *x = &xm->exits[i];
		const struct hld_exit_record *r = &x->rec;

		fprintf(o, "%.6f [%llu] %u %u %u %s %s%s\n", (r->hdr.ts - t0) / 1e9,
			(unsigned long long)r->hdr.ts, r->pid, r->tgid, r->ppid,
			exitmon__comm(comm, r->comm), exitmon__describe(r->exit_code, desc, sizeof(desc)),
			r->group_dead ? " (last thread)" : "");
		if (s->user_stacks && !r->nr_ustack)
			fprintf(o, "    (no user stack: %s)\n", strerror(-r->ustack_err));
		for (uint32_t k = 0; k < r->nr_ustack; k++)
			fprintf(o, "    0x%llx %s\n", (unsigned long long)r->ustack[k],
				exitmon__frame(xm, x, k, name, sizeof(name)));
	}
	if (fclose(o))
		return -errno;
	return 0;
}

/* One exit as a JSON object. */
static void exitmon__json_exit(struct json_writer *j, const struct exitmon *xm,
			       const struct exitmon_event *x)
{
	const struct hld_exit_record *r = &x->rec;
	struct xm_status st = exitmon__decode(r->exit_code);
	char desc[64], name[128], addr[32], comm[HLD_COMM_LEN + 1];

	json__begin_object(j, NULL);
	json__uint(j, "t_ns", r->hdr.ts);
	json__uint(j, "pid", r->pid);
	json__uint(j, "tgid", r->tgid);
	json__uint(j, "ppid", r->ppid);
	json__str(j, "comm", exitmon__comm(comm, r->comm));
	json__uint(j, "exit_code_raw", r->exit_code);
	json__str(j, "how", st.killed ? "killed" : "exited");
	if (st.killed) {
		json__null(j, "code");
		json__int(j, "signal", st.code);
	} else {
		json__int(j, "code", st.code);
		json__null(j, "signal");
	}
	json__bool(j, "core_dumped", st.core);
	json__str(j, "description", exitmon__describe(r->exit_code, desc, sizeof(desc)));
	json__bool(j, "group_dead", r->group_dead);
	json__int(j, "ustack_errno", -r->ustack_err);
	json__int(j, "vma_errno", -x->uf.vma_err);
	json__begin_array(j, "ustack");
	for (uint32_t k = 0; k < r->nr_ustack; k++) {
		const char *file = exitmon__file(x, k);

		json__begin_object(j, NULL);
		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)r->ustack[k]);
		json__str(j, "addr", addr);
		json__str(j, "file", file);
		if (file)
			json__uint(j, "offset", x->uf.off[k]);
		else
			json__null(j, "offset");
		json__str(j, "sym", exitmon__frame(xm, x, k, name, sizeof(name)));
		json__end_object(j);
	}
	json__end_array(j);
	json__end_object(j);
}

static int exitmon__write_json(const struct exitmon *xm, const struct exitmon_totals *t,
			       const struct hld_exit_settings *s, const char *path)
{
	struct json_writer j;
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	json__init(&j, o, true);
	json__begin_object(&j, NULL);
	json__str(&j, "backend", "bpf");
	json__str(&j, "comm_filter", s->comm);
	json__int(&j, "tgid_filter", s->tgid);
	json__bool(&j, "all_threads", s->all_threads);
	json__bool(&j, "user_stacks", s->user_stacks);
	json__uint(&j, "exits", xm->nr_exits);
	json__uint(&j, "events", xm->nr_exits);
	json__uint(&j, "exits_seen", t->seen);
	json__uint(&j, "drops", t->drops);
	json__uint(&j, "no_user_stack", t->no_ustack);
	json__uint(&j, "frames_unmapped", t->vma_err);
	json__begin_array(&j, "records");
	for (size_t i = 0; i < xm->nr_exits; i++)
		exitmon__json_exit(&j, xm, &xm->exits[i]);
	json__end_array(&j);
	json__end_object(&j);
	fputc('\n', o);
	if (fclose(o))
		return -errno;
	return 0;
}

/*
 * Write exit.txt and exit.json with the records since the last report:
 * whatever the ring buffer still holds is drained first (in a process that
 * reopened a persistent activation, that is all of them), and the records
 * reported are then forgotten. Drops count since activation.
 */
static int exitmon_report(struct diag_feature *f, const struct diag_outputs *out)
{
	const struct hld_exit_settings *s = f->settings;
	struct exitmon empty = { 0 }, *xm = f->priv ? f->priv : &empty;
	struct exitmon_totals t;
	char path[PATH_MAX];
	int err = 0;

	if (xm->rb)
		err = ring_buffer__consume(xm->rb);
	if (err >= 0)
		err = xm->rec_err;
	t = exitmon__totals(xm);
	if (!xm->usyms && xm->nr_exits)
		xm->usyms = usyms__new();	/* NULL: frames stay "[file+0xoff]" */
	f->events = xm->nr_exits;
	f->drops = t.drops;
	snprintf(path, sizeof(path), "%s/exit.txt", out->dir);
	if (!err)
		err = exitmon__write_txt(xm, &t, s, path);
	snprintf(path, sizeof(path), "%s/exit.json", out->dir);
	if (!err)
		err = exitmon__write_json(xm, &t, s, path);
	json__uint(out->json, "events", xm->nr_exits);
	json__uint(out->json, "exits", xm->nr_exits);
	json__uint(out->json, "drops", t.drops);
	json__uint(out->json, "exits_seen", t.seen);
	json__uint(out->json, "no_user_stack", t.no_ustack);
	json__uint(out->json, "frames_unmapped", t.vma_err);
	json__double(out->json, "bpf_run_ns_per_exit", f->kernel_run_cnt ?
		     (double)f->kernel_run_ns / f->kernel_run_cnt : NAN);
	diag_feature__set_metric(f, "exits", xm->nr_exits);
	diag_feature__set_metric(f, "drops", t.drops);
	diag_feature__set_metric(f, "no_user_stack", t.no_ustack);
	xm->nr_exits = 0;
	return err;
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
	usyms__free(xm->usyms);
	free(xm->exits);
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
