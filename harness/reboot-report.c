// SPDX-License-Identifier: GPL-2.0
/*
 * reboot-report.c - reboot's persistent log and report, shared by the
 * backends (bpf/reboot.c, harness/kmod-reboot.c): one log line per call,
 * appended and fsync'ed as soon as the record is drained from the kernel;
 * reboot.txt and reboot.json with the calls drained since the last report.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf-util.h"
#include "json.h"
#include "reboot-report.h"
#include "syms.h"

#define REBOOT_KEEP		4096	/* records kept in memory for one report */
#define REBOOT_FRAME_LEN	256
#define REBOOT_LINE_LEN		1024
#define REBOOT_TRACE_FRAMES	4	/* tracing glue atop a kernel stack */

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

int reboot_log__init(struct reboot_log *rl)
{
	memset(rl, 0, sizeof(*rl));
	rl->log_fd = -1;
	rl->usyms = usyms__new();
	if (!rl->usyms)
		return -ENOMEM;
	rl->ksyms = ksyms__load();	/* NULL: kernel frames become addresses */
	return 0;
}

int reboot_log__open(struct reboot_log *rl, const struct hld_reboot_settings *s)
{
	char log[sizeof(s->log) + 1];

	if (rl->log_fd >= 0)
		return 0;
	reboot__str(log, s->log, sizeof(s->log));
	rl->log_fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	return rl->log_fd < 0 ? -errno : 0;
}

void reboot_log__record(struct reboot_log *rl, const struct hld_reboot_record *r)
{
	char line[REBOOT_LINE_LEN];
	size_t len;
	int err = 0;

	if (r->nr_ustack && !usyms__has_pid(rl->usyms, r->tgid))
		usyms__add_pid(rl->usyms, r->tgid, false);
	reboot__line(r, line, sizeof(line));
	len = strlen(line);
	if (write(rl->log_fd, line, len) != (ssize_t)len)
		err = -EIO;
	else if (fsync(rl->log_fd))
		err = -errno;
	else
		rl->logged++;
	if (rl->nr_recs >= REBOOT_KEEP ||
	    bpf_util__reserve((void **)&rl->recs, &rl->cap_recs, rl->nr_recs + 1,
			      sizeof(*rl->recs)))
		rl->not_kept++;
	else
		rl->recs[rl->nr_recs++] = *r;
	if (err && !rl->cb_err)
		rl->cb_err = err;
}

void reboot_log__free(struct reboot_log *rl)
{
	if (rl->log_fd >= 0)
		close(rl->log_fd);
	rl->log_fd = -1;
	if (rl->ksyms)
		ksyms__free(rl->ksyms);
	if (rl->usyms)
		usyms__free(rl->usyms);
	free(rl->recs);
	memset(rl, 0, sizeof(*rl));
	rl->log_fd = -1;
}

/*
 * Symbolize frame @i of a stack into @buf: a kernel frame, or with @user
 * set a frame of that caller's user stack, named from its maps when they
 * were snapshotted while it lived, else by the backend's @t->ufile.
 */
static const char *reboot__frame(struct reboot_log *rl, const struct reboot_totals *t,
				 const __u64 *ips, int i, const struct hld_reboot_record *user,
				 char *buf, size_t len)
{
	uint64_t addr = i ? ips[i] - 1 : ips[i];
	const char *name = NULL;

	if (user && usyms__has_pid(rl->usyms, user->tgid))
		name = usyms__name(rl->usyms, user->tgid, addr, buf, len);
	if (user && t->ufile && (!name || !strcmp(name, "[unknown]"))) {
		const char *placed = t->ufile(t->ctx, user, i, buf, len);

		if (placed)
			name = placed;
	} else if (!user && rl->ksyms && !ksyms__restricted(rl->ksyms))
		name = ksyms__name(rl->ksyms, addr);
	if (name && name != buf)
		snprintf(buf, len, "%s", name);
	else if (!name)
		snprintf(buf, len, "0x%llx", (unsigned long long)ips[i]);
	return buf;
}

/* The tracing machinery's frames atop a kernel stack: the BPF program or the module's probe. */
static bool reboot__glue(const char *name)
{
	static const char *const glue[] = { "bpf_trace_run", "__bpf_trace_", "__traceiter_",
					    "rb_probe_enter" };

	for (size_t k = 0; k < sizeof(glue) / sizeof(glue[0]); k++)
		if (!strncmp(name, glue[k], strlen(glue[k])))
			return true;
	return false;
}

/* Index of the first kernel frame past the tracing glue. */
static int reboot__kstart(struct reboot_log *rl, const struct hld_reboot_record *r)
{
	int first = 0;

	for (int i = 0; i < REBOOT_TRACE_FRAMES && i < (int)r->nr_kstack && rl->ksyms &&
	     !ksyms__restricted(rl->ksyms); i++) {
		const char *name = ksyms__name(rl->ksyms, i ? r->kstack[i] - 1 : r->kstack[i]);

		if (name && reboot__glue(name))
			first = i + 1;
	}
	return first;
}

/* One call in reboot.txt: the log line, then the parent chain and both stacks. */
static void reboot__txt_rec(struct reboot_log *rl, const struct reboot_totals *t, FILE *o,
			    const struct hld_reboot_record *r)
{
	char line[REBOOT_LINE_LEN], comm[HLD_COMM_LEN + 1], buf[REBOOT_FRAME_LEN];

	reboot__line(r, line, sizeof(line));
	fputs(line, o);
	fprintf(o, "  parents:");
	for (uint32_t a = 0; a < r->nr_ancestors && a < HLD_REBOOT_ANCESTORS; a++)
		fprintf(o, " %s%u/%u %s", a ? "< " : "", r->ancestors[a].pid, r->ancestors[a].tgid,
			reboot__str(comm, r->ancestors[a].comm, HLD_COMM_LEN));
	fprintf(o, "\n  kernel stack:\n");
	for (int i = reboot__kstart(rl, r); i < (int)r->nr_kstack && i < HLD_MAX_STACK; i++)
		fprintf(o, "    %s\n", reboot__frame(rl, t, r->kstack, i, NULL, buf, sizeof(buf)));
	if (r->ustack_err)
		fprintf(o, "  user stack: (unavailable: %s)\n", strerror(-r->ustack_err));
	else if (r->nr_ustack)
		fprintf(o, "  user stack:\n");
	for (int i = 0; i < (int)r->nr_ustack && i < HLD_MAX_STACK; i++)
		fprintf(o, "    %s\n", reboot__frame(rl, t, r->ustack, i, r, buf, sizeof(buf)));
	fputc('\n', o);
}

/* One call as a JSON object. */
static void reboot__json_rec(struct reboot_log *rl, const struct reboot_totals *t,
			     struct json_writer *j, const struct hld_reboot_record *r)
{
	char comm[HLD_COMM_LEN + 1], buf[REBOOT_FRAME_LEN];

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
	for (int i = reboot__kstart(rl, r); i < (int)r->nr_kstack && i < HLD_MAX_STACK; i++)
		json__str(j, NULL, reboot__frame(rl, t, r->kstack, i, NULL, buf, sizeof(buf)));
	json__end_array(j);
	json__begin_array(j, "ustack");
	for (int i = 0; i < (int)r->nr_ustack && i < HLD_MAX_STACK; i++)
		json__str(j, NULL, reboot__frame(rl, t, r->ustack, i, r, buf, sizeof(buf)));
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

int reboot__report_out(struct diag_feature *f, struct reboot_log *rl,
		       const struct reboot_totals *t, const struct diag_outputs *out)
{
	const struct hld_reboot_settings *s = f->settings;
	struct json_writer jw, *js[2] = { &jw, out->json };
	uint64_t logged = rl ? rl->logged : 0, not_kept = rl ? rl->not_kept : 0;
	uint64_t drops = t->ring_drops + not_kept;
	size_t nr = rl ? rl->nr_recs : 0;
	FILE *txt = NULL, *jf = NULL;
	char log[sizeof(s->log) + 1];
	int err;

	reboot__str(log, s->log, sizeof(s->log));
	err = reboot__open(out->dir, "reboot.txt", &txt);
	if (!err)
		err = reboot__open(out->dir, "reboot.json", &jf);
	if (err)
		goto out_close;

	fprintf(txt, "# reboot (%s): %zu reboot(2) calls since the last report, "
		"%llu since activation\n", t->backend, nr, (unsigned long long)t->calls);
	fprintf(txt, "# dropped since activation: %llu (ring buffer full: %llu, past the %d "
		"kept per report: %llu)\n", (unsigned long long)drops,
		(unsigned long long)t->ring_drops, REBOOT_KEEP, (unsigned long long)not_kept);
	fprintf(txt, "# %llu lines appended to %s by this process\n",
		(unsigned long long)logged, log);
	fputs(t->how, txt);
	fprintf(txt, "# parents: pid/tgid comm, parent first; stacks innermost first\n\n");
	for (size_t i = 0; i < nr; i++)
		reboot__txt_rec(rl, t, txt, &rl->recs[i]);

	json__init(&jw, jf, true);
	json__begin_object(&jw, NULL);
	for (int k = 0; k < 2; k++) {
		json__str(js[k], "backend", t->backend);
		json__str(js[k], "log", log);
		json__uint(js[k], "calls", t->calls);
		json__uint(js[k], "events", nr);
		json__uint(js[k], "drops", drops);
		json__uint(js[k], "drops_ring_full", t->ring_drops);
		json__uint(js[k], "drops_not_kept", not_kept);
		json__uint(js[k], "logged", logged);
		json__uint(js[k], "user_frames_not_placed", t->ufiles_missed);
		json__begin_array(js[k], "records");
		for (size_t i = 0; i < nr; i++)
			reboot__json_rec(rl, t, js[k], &rl->recs[i]);
		json__end_array(js[k]);
	}
	json__end_object(&jw);
	fputc('\n', jf);

	f->events = nr;
	f->drops = drops;
	diag_feature__set_metric(f, "calls", nr);
	diag_feature__set_metric(f, "calls_since_activation", t->calls);
	diag_feature__set_metric(f, "drops", drops);
	if (rl)
		rl->nr_recs = 0;
out_close:
	if (txt && fclose(txt) && !err)
		err = -errno;
	if (jf && fclose(jf) && !err)
		err = -errno;
	return err;
}
