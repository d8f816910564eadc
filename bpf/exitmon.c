// SPDX-License-Identifier: GPL-2.0
/*
 * exitmon.c - exit-monitor, user side: attaches exitmon.bpf.c to
 * sched_process_exit, drains its ring buffer every poll (snapshotting the
 * exiting process's maps for symbols if it can still be read), and writes
 * exit.txt and exit.json.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
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
#include "exitmon.skel.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "syms.h"

#define NS_PER_MS	1000000ull
#define XM_SCAN_MS	1000	/* how often /proc is scanned for processes to snapshot */
#define XM_SCAN_MAX	64	/* new processes snapshotted per scan at most */

/* One exit kept for the report, and whether its process's maps could be read. */
struct xm_exit {
	struct hld_exit_record rec;
	bool maps_read;		/* /proc/TGID/maps had mappings when the record arrived */
};

struct exitmon {
	struct exitmon_bpf *skel;
	struct bpf_link *link;
	struct ring_buffer *rb;
	struct usyms *usyms;
	int rec_err;			/* first error in the record callback */
	uint64_t next_scan_ns;
	struct xm_exit *exits;		/* every record received, all phases */
	size_t nr_exits, cap_exits;
	uint64_t seen, drops, no_ustack;	/* BPF counters of ended phases */
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

/*
 * Snapshot the maps of @tgid unless already done. 0 or -errno (-ESRCH: the
 * process is gone).
 */
static int exitmon__snapshot(struct exitmon *xm, uint32_t tgid)
{
	if (!xm->usyms)
		xm->usyms = usyms__new();
	if (!xm->usyms)
		return -ENOMEM;
	return usyms__add_pid(xm->usyms, tgid, false);
}

/*
 * Can the stack of @r be named? Its maps must have been read, and not from a
 * process already past exit_mm() (whose maps read as empty): the innermost
 * frame, where the task was when it exited, then lies in a mapping.
 */
static bool exitmon__maps_read(struct exitmon *xm, const struct hld_exit_record *r)
{
	char buf[256];

	if (!r->nr_ustack || exitmon__snapshot(xm, r->tgid))
		return false;
	return strcmp(usyms__name(xm->usyms, r->tgid, r->ustack[0], buf, sizeof(buf)),
		      "[unknown]") != 0;
}

/* Does /proc/@tgid/comm equal @comm? */
static bool exitmon__comm_is(long tgid, const char *comm)
{
	char path[64], buf[HLD_COMM_LEN + 2];
	size_t n;
	FILE *in;

	snprintf(path, sizeof(path), "/proc/%ld/comm", tgid);
	in = fopen(path, "re");
	if (!in)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, in);
	fclose(in);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return !strncmp(buf, comm, HLD_COMM_LEN);
}

/*
 * Snapshot the maps of live processes that pass the filters and have none
 * yet, at most XM_SCAN_MAX per call: the maps of a process can only be read
 * while it lives, and by the time its exit record arrives they are gone.
 */
static void exitmon__scan(struct exitmon *xm, const struct hld_exit_settings *s)
{
	struct dirent *e;
	int n = 0;
	DIR *d;

	if (!s->user_stacks)
		return;
	if (!xm->usyms)
		xm->usyms = usyms__new();
	d = opendir("/proc");
	if (!xm->usyms || !d) {
		if (d)
			closedir(d);
		return;
	}
	while (n < XM_SCAN_MAX && (e = readdir(d))) {
		long tgid;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		tgid = strtol(e->d_name, NULL, 10);
		if (tgid <= 0 || (s->tgid >= 0 && tgid != s->tgid) ||
		    usyms__has_pid(xm->usyms, tgid))
			continue;
		if (s->comm[0] && !exitmon__comm_is(tgid, s->comm))
			continue;
		if (!usyms__add_pid(xm->usyms, tgid, false))
			n++;
	}
	closedir(d);
}

/* ring_buffer callback: keep one hld_exit_record. */
static int exitmon__on_record(void *ctx, void *data, size_t size)
{
	struct exitmon *xm = ctx;
	struct xm_exit *x;
	int err = 0;

	if (!bpf_util__record_ok(data, size, HLD_REC_EXIT, sizeof(struct hld_exit_record))) {
		err = -EPROTO;
	} else if (bpf_util__reserve((void **)&xm->exits, &xm->cap_exits, xm->nr_exits + 1,
				     sizeof(*xm->exits))) {
		err = -ENOMEM;
	} else {
		x = &xm->exits[xm->nr_exits++];
		memcpy(&x->rec, data, sizeof(x->rec));
		if (x->rec.nr_ustack > HLD_MAX_STACK)
			x->rec.nr_ustack = HLD_MAX_STACK;
		x->maps_read = exitmon__maps_read(xm, &x->rec);
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

static int exitmon_activate(struct diag_feature *f)
{
	const struct hld_exit_settings *s = f->settings;
	struct exitmon *xm = f->priv;
	int err;

	if (!xm) {
		xm = calloc(1, sizeof(*xm));
		if (!xm)
			return -ENOMEM;
		f->priv = xm;
	}
	f->kernel_cost_in_thread = false;
	xm->skel = exitmon_bpf__open();
	if (!xm->skel)
		return -errno;
	memcpy((char *)xm->skel->rodata->targ_comm, s->comm, HLD_COMM_LEN);
	((char *)xm->skel->rodata->targ_comm)[HLD_COMM_LEN - 1] = '\0';
	xm->skel->rodata->targ_tgid = s->tgid;
	xm->skel->rodata->want_ustack = !!s->user_stacks;
	xm->skel->rodata->all_threads = !!s->all_threads;
	err = bpf_map__set_max_entries(xm->skel->maps.events,
					 bpf_util__ringbuf_size(s->ringbuf_size, getpagesize()));
	if (err)
		goto out_destroy;
	err = exitmon_bpf__load(xm->skel);
	if (err)
		goto out_destroy;
	xm->link = bpf_program__attach(xm->skel->progs.exitmon_exit);
	if (!xm->link) {
		err = -errno;
		goto out_destroy;
	}
	xm->rb = ring_buffer__new(bpf_map__fd(xm->skel->maps.events), exitmon__on_record, xm, NULL);
	if (!xm->rb) {
		err = -errno;
		goto out_link;
	}
	/* Processes alive now are snapshotted now, while they surely have their maps. */
	exitmon__scan(xm, s);
	xm->next_scan_ns = bpf_util__now_ns() + XM_SCAN_MS * NS_PER_MS;
	return 0;

out_link:
	bpf_link__destroy(xm->link);
	xm->link = NULL;
out_destroy:
	exitmon_bpf__destroy(xm->skel);
	xm->skel = NULL;
	return err < 0 ? err : -EINVAL;
}

/*
 * Drain the ring buffer (events and drops count all phases so far), and
 * every XM_SCAN_MS snapshot the processes started since the last scan.
 */
static int exitmon_poll(struct diag_feature *f)
{
	struct exitmon *xm = f->priv;
	uint64_t now;
	int err;

	if (!xm || !xm->skel)
		return 0;
	err = ring_buffer__consume(xm->rb);
	now = bpf_util__now_ns();
	if (err >= 0 && now >= xm->next_scan_ns) {
		exitmon__scan(xm, f->settings);
		xm->next_scan_ns = now + XM_SCAN_MS * NS_PER_MS;
	}
	if (err < 0)
		return err;
	f->events = xm->nr_exits;
	f->drops = xm->drops + xm->skel->bss->nr_drops;
	return xm->rec_err;
}

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
	f->drops = xm->drops;
	ring_buffer__free(xm->rb);
	xm->rb = NULL;
	exitmon_bpf__destroy(xm->skel);
	xm->skel = NULL;
	return err;
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

/* A user frame's name; frames past the first are return addresses, so name addr - 1. */
static const char *exitmon__usym(struct exitmon *xm, const struct xm_exit *x, uint32_t i,
				 char *buf, size_t len)
{
	uint64_t a = x->rec.ustack[i];

	if (!xm->usyms || !x->maps_read)
		return "[unknown]";
	return usyms__name(xm->usyms, x->rec.tgid, i ? a - 1 : a, buf, len);
}

static const char *exitmon__comm(char *buf, const char *comm)
{
	memcpy(buf, comm, HLD_COMM_LEN);
	buf[HLD_COMM_LEN] = '\0';
	return buf;
}

static int exitmon__write_txt(struct exitmon *xm, const struct hld_exit_settings *s,
			      const char *path)
{
	uint64_t t0 = xm->nr_exits ? xm->exits[0].rec.hdr.ts : 0;
	char desc[64], name[256], comm[HLD_COMM_LEN + 1];
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	fprintf(o, "# exit-monitor (bpf): %zu exits recorded, %llu dropped (ring buffer full), "
		"%llu without a user stack\n", xm->nr_exits, (unsigned long long)xm->drops,
		(unsigned long long)xm->no_ustack);
	fprintf(o, "# filters: comm=%s tgid=%lld, %s, user stacks %s\n",
		s->comm[0] ? s->comm : "(any)", (long long)s->tgid,
		s->all_threads ? "all threads" : "thread-group leaders only",
		s->user_stacks ? "on" : "off");
	fprintf(o, "# per exit: seconds since the first [CLOCK_MONOTONIC ns], pid tgid ppid comm, "
		"how it ended, then its user stack innermost first\n");
	fprintf(o, "# user symbols come from /proc/TGID/maps, read at activation and every %d ms "
		"for the processes passing the filters, and when the record arrives; a process that "
		"started after the last scan has exited (its memory torn down) before it could be "
		"read: its frames show as addresses with [unknown]\n", XM_SCAN_MS);
	for (size_t i = 0; i < xm->nr_exits; i++) {
		const struct xm_exit *x = &xm->exits[i];
		const struct hld_exit_record *r = &x->rec;

		fprintf(o, "%.6f [%llu] %u %u %u %s %s%s\n", (r->hdr.ts - t0) / 1e9,
			(unsigned long long)r->hdr.ts, r->pid, r->tgid, r->ppid,
			exitmon__comm(comm, r->comm), exitmon__describe(r->exit_code, desc, sizeof(desc)),
			r->group_dead ? " (last thread)" : "");
		if (s->user_stacks && !r->nr_ustack)
			fprintf(o, "    (no user stack: %s)\n", strerror(-r->ustack_err));
		for (uint32_t k = 0; k < r->nr_ustack; k++)
			fprintf(o, "    0x%llx %s\n", (unsigned long long)r->ustack[k],
				exitmon__usym(xm, x, k, name, sizeof(name)));
	}
	if (fclose(o))
		return -errno;
	return 0;
}

/* One exit as a JSON object. */
static void exitmon__json_exit(struct json_writer *j, struct exitmon *xm, const struct xm_exit *x)
{
	const struct hld_exit_record *r = &x->rec;
	struct xm_status st = exitmon__decode(r->exit_code);
	char desc[64], name[256], addr[32], comm[HLD_COMM_LEN + 1];

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
	json__bool(j, "maps_read", x->maps_read);
	json__begin_array(j, "ustack");
	for (uint32_t k = 0; k < r->nr_ustack; k++) {
		json__begin_object(j, NULL);
		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)r->ustack[k]);
		json__str(j, "addr", addr);
		json__str(j, "sym", exitmon__usym(xm, x, k, name, sizeof(name)));
		json__end_object(j);
	}
	json__end_array(j);
	json__end_object(j);
}

static int exitmon__write_json(struct exitmon *xm, const struct hld_exit_settings *s,
			       const char *path)
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
	json__uint(&j, "drops", xm->drops);
	json__uint(&j, "no_user_stack", xm->no_ustack);
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

static int exitmon_report(struct diag_feature *f, const struct diag_outputs *out)
{
	const struct hld_exit_settings *s = f->settings;
	struct exitmon empty = { 0 }, *xm = f->priv ? f->priv : &empty;
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/exit.txt", out->dir);
	err = exitmon__write_txt(xm, s, path);
	if (!err) {
		snprintf(path, sizeof(path), "%s/exit.json", out->dir);
		err = exitmon__write_json(xm, s, path);
	}
	json__uint(out->json, "exits", xm->nr_exits);
	json__uint(out->json, "drops", xm->drops);
	json__uint(out->json, "exits_seen", xm->seen);
	json__uint(out->json, "no_user_stack", xm->no_ustack);
	json__double(out->json, "bpf_run_ns_per_exit", f->kernel_run_cnt ?
		     (double)f->kernel_run_ns / f->kernel_run_cnt : NAN);
	diag_feature__set_metric(f, "exits", xm->nr_exits);
	diag_feature__set_metric(f, "drops", xm->drops);
	diag_feature__set_metric(f, "no_user_stack", xm->no_ustack);
	return err;
}

static void exitmon_free(struct diag_feature *f)
{
	struct exitmon *xm = f->priv;

	if (!xm)
		return;
	exitmon_deactivate(f);
	if (xm->usyms)
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
};
