// SPDX-License-Identifier: GPL-2.0
/*
 * reboot.c - reboot, user side: attaches reboot.bpf.c to raw_tp/sys_enter,
 * appends every record it drains from the ring buffer to the persistent log
 * (one line, then fsync) and reports the calls drained since the last
 * report: reboot.txt and reboot.json. A persistent activation pins the maps
 * (the ring buffer holds the records until a report drains them) and the
 * link, so calls are caught with no hldbench process running.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "reboot.bpf.h"
#include "reboot.skel.h"
#include "syms.h"

#define REBOOT_KEEP		4096	/* records kept in memory for one report */
#define REBOOT_FRAME_LEN	256
#define REBOOT_LINE_LEN		1024
#define REBOOT_TRACE_FRAMES	4	/* BPF program and tracepoint glue atop a kernel stack */

struct reboot {
	struct reboot_bpf *skel;
	struct bpf_link *link;
	struct ring_buffer *rb;
	struct ksyms *ksyms;		/* NULL if /proc/kallsyms cannot be read */
	struct usyms *usyms;
	int log_fd;			/* -1 until activate() or reopen() opens it */
	int cb_err;			/* first error in the record callback */
	uint64_t logged;		/* lines written to the log by this process */
	/* records drained since the last report, in the order of the calls */
	struct hld_reboot_record *recs;
	size_t nr_recs, cap_recs;
	uint64_t not_kept;		/* drained past REBOOT_KEEP: logged, not reported */
};

/* A fixed-size kernel string field as a C string. */
static const char *reboot__str(char *buf, const char *field, size_t len)
{
	memcpy(buf, field, len);
	buf[len] = '\0';
	return buf;
}

/* Format @r as one log line into @buf: time, caller, arguments, parent chain. */
static void reboot__line(const struct hld_reboot_record *r, char *buf, size_t len)
{
	char comm[HLD_COMM_LEN + 1];
	size_t n;

	n = snprintf(buf, len, "t_ns=%llu seq=%llu pid=%u tgid=%u uid=%u comm=%s magic1=0x%x "
		     "magic2=0x%x cmd=0x%x arg=0x%llx parents=",
		     (unsigned long long)r->hdr.ts, (unsigned long long)r->seq, r->pid, r->tgid,
		     r->uid, reboot__str(comm, r->comm, HLD_COMM_LEN), r->magic1, r->magic2,
		     r->cmd, (unsigned long long)r->arg);
	for (uint32_t a = 0; a < r->nr_ancestors && a < HLD_REBOOT_ANCESTORS && n < len; a++)
		n += snprintf(buf + n, len - n, "%s%u/%s", a ? "<" : "", r->ancestors[a].tgid,
			      reboot__str(comm, r->ancestors[a].comm, HLD_COMM_LEN));
	if (n < len)
		snprintf(buf + n, len - n, "\n");
	else
		buf[len - 2] = '\n';
}

/*
 * ring_buffer callback: append the record to the log and fsync it at once,
 * so the line is on disk as early as user space can make it; snapshot the
 * caller's memory maps while it lives, for its user stack; keep the record
 * for the next report.
 */
static int reboot__on_record(void *ctx, void *data, size_t size)
{
	const struct hld_reboot_record *r = data;
	struct reboot *rb = ctx;
	char line[REBOOT_LINE_LEN];
	size_t len;
	int err = 0;

	if (!bpf_util__record_ok(data, size, HLD_REC_REBOOT, sizeof(*r))) {
		err = -EPROTO;
		goto out;
	}
	if (r->nr_ustack && !usyms__has_pid(rb->usyms, r->tgid))
		usyms__add_pid(rb->usyms, r->tgid, false);
	reboot__line(r, line, sizeof(line));
	len = strlen(line);
	if (write(rb->log_fd, line, len) != (ssize_t)len)
		err = -EIO;
	else if (fsync(rb->log_fd))
		err = -errno;
	else
		rb->logged++;
	if (rb->nr_recs >= REBOOT_KEEP ||
	    bpf_util__reserve((void **)&rb->recs, &rb->cap_recs, rb->nr_recs + 1,
			      sizeof(*rb->recs)))
		rb->not_kept++;
	else
		rb->recs[rb->nr_recs++] = *r;
out:
	if (err && !rb->cb_err)
		rb->cb_err = err;
	return 0;
}

/* Usable if BPF works and the sys_enter program loads on this kernel. */
static int reboot_probe(char *why, size_t len)
{
	struct reboot_bpf *skel;
	int err;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	skel = reboot_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "cannot load the raw_tp/sys_enter program: %s", strerror(-err));
		return err;
	}
	reboot_bpf__destroy(skel);
	return 0;
}

/* The private state of @f, created on first use. */
static struct reboot *reboot__priv(struct diag_feature *f)
{
	struct reboot *rb = f->priv;

	if (rb)
		return rb;
	rb = calloc(1, sizeof(*rb));
	if (!rb)
		return NULL;
	rb->log_fd = -1;
	f->priv = rb;
	rb->usyms = usyms__new();
	if (!rb->usyms)
		return NULL;
	rb->ksyms = ksyms__load();	/* NULL: kernel frames become addresses */
	return rb;
}

/*
 * Load the program (on @pin_dir's maps when set: created and pinned, or
 * reused when already pinned), set up the ring buffer reader and open the
 * log for appending. Without @set_rodata the pinned .rodata is reused as is.
 */
static int reboot__load(struct reboot *rb, const struct hld_reboot_settings *s,
			bool set_rodata, const char *pin_dir)
{
	char log[sizeof(s->log) + 1];
	int err;

	rb->skel = reboot_bpf__open();
	if (!rb->skel)
		return -errno;
	if (set_rodata)
		rb->skel->rodata->want_ustack = !!s->user_stacks;
	err = pin_dir ? bpf_util__pin_maps(rb->skel->obj, pin_dir) : 0;
	if (!err)
		err = reboot_bpf__load(rb->skel);
	if (err) {
		reboot_bpf__destroy(rb->skel);
		rb->skel = NULL;
		return err < 0 ? err : -EINVAL;
	}
	rb->rb = ring_buffer__new(bpf_map__fd(rb->skel->maps.events), reboot__on_record, rb, NULL);
	if (!rb->rb)
		return -errno;
	reboot__str(log, s->log, sizeof(s->log));
	rb->log_fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	return rb->log_fd < 0 ? -errno : 0;
}

/*
 * Load the program on the first phase (its counters then live until free),
 * open the log, attach. With f->pin_dir the maps and the link are pinned
 * there, so the program keeps recording into the pinned ring buffer after
 * this process exits.
 */
static int reboot_activate(struct diag_feature *f)
{
	struct reboot *rb = reboot__priv(f);
	int err;

	if (!rb)
		return -ENOMEM;
	if (!rb->skel) {
		err = reboot__load(rb, f->settings, true, f->pin_dir);
		if (err)
			return err;
	}
	rb->link = bpf_program__attach(rb->skel->progs.reboot_enter);
	if (!rb->link)
		return -errno;
	return f->pin_dir ? bpf_util__pin_link(rb->link, f->pin_dir, "link_sys_enter") : 0;
}

/*
 * Attach to a persistent activation: the program loaded on the pinned maps
 * (settings from the pinned .rodata), not attached; report() drains the
 * pinned ring buffer into the log and the report.
 */
static int reboot_reopen(struct diag_feature *f)
{
	struct reboot *rb = reboot__priv(f);

	if (!rb)
		return -ENOMEM;
	return reboot__load(rb, f->settings, false, f->pin_dir);
}

/* Drain the ring buffer into the log and the records kept for the report. */
static int reboot_poll(struct diag_feature *f)
{
	struct reboot *rb = f->priv;
	int err;

	if (!rb || !rb->rb)
		return 0;
	err = ring_buffer__consume(rb->rb);
	if (err < 0)
		return err;
	f->drops = rb->skel->bss->nr_drops + rb->not_kept;
	return rb->cb_err;
}

/* Detach and drain what is left into the log; the records stay for report(). */
static int reboot_deactivate(struct diag_feature *f)
{
	struct reboot *rb = f->priv;

	if (!rb || !rb->link)
		return 0;
	bpf_link__destroy(rb->link);
	rb->link = NULL;
	f->kernel_run_ns = 0;
	f->kernel_run_cnt = 0;
	bpf_util__prog_stats(bpf_program__fd(rb->skel->progs.reboot_enter),
			     &f->kernel_run_ns, &f->kernel_run_cnt);
	return reboot_poll(f);
}

/*
 * The files of @r's user frames, as the program noted them in the ufiles
 * slot of its call; NULL when the slot holds a later call's (more than
 * REBOOT_HISTORY calls since) or none was noted.
 */
static const struct ustack_files *reboot__ufiles(struct reboot *rb,
						 const struct hld_reboot_record *r)
{
	static struct reboot_ufiles u;
	uint32_t slot = r->seq % REBOOT_HISTORY;

	if (!rb->skel || bpf_map_lookup_elem(bpf_map__fd(rb->skel->maps.ufiles), &slot, &u) ||
	    u.seq != r->seq)
		return NULL;
	return &u.uf;
}

/*
 * Symbolize frame @i of a stack into @buf: a kernel frame, or with @user
 * set a frame of that caller's user stack, named from its maps when they
 * were snapshotted while it lived, else from the file the program found
 * mapped there (@uf; its path in ustack_paths), or placed in that file
 * ("[file+0xoff]") when it has no symbol there or is gone.
 */
static const char *reboot__frame(struct reboot *rb, const __u64 *ips, int i,
				 const struct hld_reboot_record *user,
				 const struct ustack_files *uf, char *buf, size_t len)
{
	uint64_t addr = i ? ips[i] - 1 : ips[i];
	const char *name = NULL;

	if (user && usyms__has_pid(rb->usyms, user->tgid))
		name = usyms__name(rb->usyms, user->tgid, addr, buf, len);
	if (user && uf && (!name || !strcmp(name, "[unknown]")))
		name = ustack_files__symbol(uf, i, bpf_map__fd(rb->skel->maps.ustack_paths),
					    rb->usyms, buf, len);
	else if (!user && rb->ksyms && !ksyms__restricted(rb->ksyms))
		name = ksyms__name(rb->ksyms, addr);
	if (name && name != buf)
		snprintf(buf, len, "%s", name);
	else if (!name)
		snprintf(buf, len, "0x%llx", (unsigned long long)ips[i]);
	return buf;
}

/* Index of the first kernel frame past the BPF program and the tracepoint glue. */
static int reboot__kstart(struct reboot *rb, const struct hld_reboot_record *r)
{
	int first = 0;

	for (int i = 0; i < REBOOT_TRACE_FRAMES && i < (int)r->nr_kstack && rb->ksyms &&
	     !ksyms__restricted(rb->ksyms); i++) {
		const char *name = ksyms__name(rb->ksyms, i ? r->kstack[i] - 1 : r->kstack[i]);

		if (name && (!strncmp(name, "bpf_trace_run", 13) ||
			     !strncmp(name, "__bpf_trace_", 12)))
			first = i + 1;
	}
	return first;
}

/* One call in reboot.txt: the log line, then the parent chain and both stacks. */
static void reboot__txt_rec(struct reboot *rb, FILE *o, const struct hld_reboot_record *r)
{
	char line[REBOOT_LINE_LEN], comm[HLD_COMM_LEN + 1], buf[REBOOT_FRAME_LEN];
	const struct ustack_files *uf = reboot__ufiles(rb, r);

	reboot__line(r, line, sizeof(line));
	fputs(line, o);
	fprintf(o, "  parents:");
	for (uint32_t a = 0; a < r->nr_ancestors && a < HLD_REBOOT_ANCESTORS; a++)
		fprintf(o, " %s%u/%u %s", a ? "< " : "", r->ancestors[a].pid, r->ancestors[a].tgid,
			reboot__str(comm, r->ancestors[a].comm, HLD_COMM_LEN));
	fprintf(o, "\n  kernel stack:\n");
	for (int i = reboot__kstart(rb, r); i < (int)r->nr_kstack && i < HLD_MAX_STACK; i++)
		fprintf(o, "    %s\n", reboot__frame(rb, r->kstack, i, NULL, NULL, buf, sizeof(buf)));
	if (r->ustack_err)
		fprintf(o, "  user stack: (unavailable: %s)\n", strerror(-r->ustack_err));
	else if (r->nr_ustack)
		fprintf(o, "  user stack:\n");
	for (int i = 0; i < (int)r->nr_ustack && i < HLD_MAX_STACK; i++)
		fprintf(o, "    %s\n", reboot__frame(rb, r->ustack, i, r, uf, buf,
						   sizeof(buf)));
	fputc('\n', o);
}

/* One call as a JSON object. */
static void reboot__json_rec(struct reboot *rb, struct json_writer *j,
			     const struct hld_reboot_record *r)
{
	char comm[HLD_COMM_LEN + 1], buf[REBOOT_FRAME_LEN];
	const struct ustack_files *uf = reboot__ufiles(rb, r);

	json__begin_object(j, NULL);
	json__uint(j, "t_ns", r->hdr.ts);
	json__uint(j, "seq", r->seq);
	json__uint(j, "pid", r->pid);
	json__uint(j, "tgid", r->tgid);
	json__uint(j, "uid", r->uid);
	json__str(j, "comm", reboot__str(comm, r->comm, HLD_COMM_LEN));
	json__uint(j, "magic1", r->magic1);
	json__uint(j, "magic2", r->magic2);
	json__uint(j, "cmd", r->cmd);
	json__uint(j, "arg", r->arg);
	json__begin_array(j, "parents");
	for (uint32_t a = 0; a < r->nr_ancestors && a < HLD_REBOOT_ANCESTORS; a++) {
		json__begin_object(j, NULL);
		json__uint(j, "pid", r->ancestors[a].pid);
		json__uint(j, "tgid", r->ancestors[a].tgid);
		json__str(j, "comm", reboot__str(comm, r->ancestors[a].comm, HLD_COMM_LEN));
		json__end_object(j);
	}
	json__end_array(j);
	json__begin_array(j, "kstack");
	for (int i = reboot__kstart(rb, r); i < (int)r->nr_kstack && i < HLD_MAX_STACK; i++)
		json__str(j, NULL, reboot__frame(rb, r->kstack, i, NULL, NULL, buf, sizeof(buf)));
	json__end_array(j);
	json__begin_array(j, "ustack");
	for (int i = 0; i < (int)r->nr_ustack && i < HLD_MAX_STACK; i++)
		json__str(j, NULL, reboot__frame(rb, r->ustack, i, r, uf, buf, sizeof(buf)));
	json__end_array(j);
	json__int(j, "ustack_errno", -r->ustack_err);
	json__end_object(j);
}

/* Open @dir/@name for writing into *@o. 0 or -errno. */
static int reboot__open(const char *dir, const char *name, FILE **o)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*o = fopen(path, "we");
	return *o ? 0 : -errno;
}

/*
 * Drain the ring buffer (into the log, too), then report the calls drained
 * since the last report and forget them: reboot.txt, reboot.json. The call
 * and drop counters are the program's, since activation.
 */
static int reboot_report(struct diag_feature *f, const struct diag_outputs *out)
{
	const struct hld_reboot_settings *s = f->settings;
	struct reboot *rb = f->priv;
	struct json_writer jw, *js[2] = { &jw, out->json };
	uint64_t calls = 0, drops = 0, ring_drops = 0, logged = 0, not_kept = 0;
	FILE *txt = NULL, *jf = NULL;
	char log[sizeof(s->log) + 1];
	size_t nr = 0;
	int err = 0;

	if (rb && rb->skel) {
		err = reboot_poll(f);
		nr = rb->nr_recs;
		calls = rb->skel->bss->nr_calls;
		ring_drops = rb->skel->bss->nr_drops;
		logged = rb->logged;
		not_kept = rb->not_kept;
		drops = ring_drops + not_kept;
	}
	reboot__str(log, s->log, sizeof(s->log));
	if (!err)
		err = reboot__open(out->dir, "reboot.txt", &txt);
	if (!err)
		err = reboot__open(out->dir, "reboot.json", &jf);
	if (err)
		goto out_close;

	fprintf(txt, "# reboot (bpf): %zu reboot(2) calls since the last report, "
		"%llu since activation\n", nr, (unsigned long long)calls);
	fprintf(txt, "# dropped since activation: %llu (ring buffer full: %llu, past the %d "
		"kept per report: %llu)\n", (unsigned long long)drops,
		(unsigned long long)ring_drops, REBOOT_KEEP, (unsigned long long)not_kept);
	fprintf(txt, "# %llu lines appended to %s by this process\n",
		(unsigned long long)logged, log);
	fprintf(txt, "# the BPF program records each call into its ring buffer before the call\n"
		"#   proceeds; the log line is written when user space drains it\n");
	fprintf(txt, "# parents: pid/tgid comm, parent first; stacks innermost first\n\n");
	for (size_t i = 0; i < nr; i++)
		reboot__txt_rec(rb, txt, &rb->recs[i]);

	json__init(&jw, jf, true);
	json__begin_object(&jw, NULL);
	for (int k = 0; k < 2; k++) {
		json__str(js[k], "log", log);
		json__uint(js[k], "calls", calls);
		json__uint(js[k], "events", nr);
		json__uint(js[k], "drops", drops);
		json__uint(js[k], "drops_ring_full", ring_drops);
		json__uint(js[k], "drops_not_kept", not_kept);
		json__uint(js[k], "logged", logged);
		json__uint(js[k], "user_frames_not_placed",
			   rb && rb->skel ? rb->skel->bss->nr_ufiles_missed : 0);
		json__begin_array(js[k], "records");
		for (size_t i = 0; i < nr; i++)
			reboot__json_rec(rb, js[k], &rb->recs[i]);
		json__end_array(js[k]);
	}
	json__end_object(&jw);
	fputc('\n', jf);

	f->events = nr;
	f->drops = drops;
	diag_feature__set_metric(f, "calls", nr);
	diag_feature__set_metric(f, "calls_since_activation", calls);
	diag_feature__set_metric(f, "drops", drops);
	if (rb)
		rb->nr_recs = 0;
out_close:
	if (txt && fclose(txt) && !err)
		err = -errno;
	if (jf && fclose(jf) && !err)
		err = -errno;
	return err;
}

/* Detach if attached (a pinned link stays: only this process's fd closes). */
static void reboot_free(struct diag_feature *f)
{
	struct reboot *rb = f->priv;

	if (!rb)
		return;
	reboot_deactivate(f);
	ring_buffer__free(rb->rb);
	reboot_bpf__destroy(rb->skel);
	if (rb->log_fd >= 0)
		close(rb->log_fd);
	if (rb->ksyms)
		ksyms__free(rb->ksyms);
	if (rb->usyms)
		usyms__free(rb->usyms);
	free(rb->recs);
	free(rb);
	f->priv = NULL;
}

const struct diag_ops bpf_reboot_ops = {
	.id = DIAG_reboot,
	.probe = reboot_probe,
	.activate = reboot_activate,
	.poll = reboot_poll,
	.deactivate = reboot_deactivate,
	.report = reboot_report,
	.free = reboot_free,
	.reopen = reboot_reopen,
};
