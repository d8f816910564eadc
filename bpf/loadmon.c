// SPDX-License-Identifier: GPL-2.0
/*
 * loadmon.c - load-monitor, user side: drives the task-iterator walks of
 * loadmon.bpf.c, keeps the per-check R/D counts and the captured tasks, and
 * writes loadmon.txt, loadmon.json, loadmon-checks.csv and loadmon.folded.
 */
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
#include "folded.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "loadmon.skel.h"
#include "syms.h"

#define NS_PER_MS 1000000ull

/* The load seen by one check walk. */
struct lm_check {
	uint64_t t_ns;		/* CLOCK_MONOTONIC when the walk started */
	uint32_t r, d;
};

/* One captured task; its frames live in loadmon.frames[frame ...]. */
struct lm_task {
	uint32_t pid, tgid, state;
	uint32_t nr_kstack, nr_ustack;
	char comm[HLD_COMM_LEN];
	size_t frame;		/* kernel frames, then user frames */
};

struct lm_capture {
	uint64_t seq;
	uint64_t t_ns;
	uint32_t r, d, emitted, dropped;
	size_t first_task, nr_tasks;
	bool closed;		/* its hld_loadmon_capture record arrived */
};

struct loadmon {
	struct loadmon_bpf *skel;
	struct bpf_link *link;
	struct ring_buffer *rb;
	struct usyms *usyms;		/* only if a user stack ever shows up */
	uint64_t next_check_ns;
	uint64_t last_capture_ns;	/* carried from one phase to the next */
	uint64_t capture_seq;
	uint64_t nr_walks;
	uint64_t walk_ns, walk_max_ns;	/* wall time of the walks, as the thread saw it */
	int rec_err;			/* first error in the record callback */

	struct lm_check *checks;
	size_t nr_checks, cap_checks;
	struct lm_capture *caps;
	size_t nr_caps, cap_caps;
	struct lm_task *tasks;
	size_t nr_tasks, cap_tasks;
	uint64_t *frames;
	size_t nr_frames, cap_frames;
};

static struct lm_capture *loadmon__cur_capture(struct loadmon *lm)
{
	return lm->nr_caps ? &lm->caps[lm->nr_caps - 1] : NULL;
}

/* Keep one task record: the task and a copy of its valid frames. */
static int loadmon__add_task(struct loadmon *lm, const struct hld_loadmon_task *rec)
{
	struct lm_capture *cap = loadmon__cur_capture(lm);
	uint32_t nk = rec->nr_kstack, nu = rec->nr_ustack;
	struct lm_task *t;

	if (!cap || cap->seq != rec->capture)
		return -EPROTO;
	if (nk > HLD_MAX_STACK)
		nk = HLD_MAX_STACK;
	if (nu > HLD_MAX_STACK)
		nu = HLD_MAX_STACK;
	if (bpf_util__reserve((void **)&lm->tasks, &lm->cap_tasks, lm->nr_tasks + 1,
			      sizeof(*lm->tasks)) ||
	    bpf_util__reserve((void **)&lm->frames, &lm->cap_frames, lm->nr_frames + nk + nu,
			      sizeof(*lm->frames)))
		return -ENOMEM;
	t = &lm->tasks[lm->nr_tasks++];
	t->pid = rec->pid;
	t->tgid = rec->tgid;
	t->state = rec->state;
	t->nr_kstack = nk;
	t->nr_ustack = nu;
	memcpy(t->comm, rec->comm, sizeof(t->comm));
	t->comm[sizeof(t->comm) - 1] = '\0';
	t->frame = lm->nr_frames;
	memcpy(&lm->frames[lm->nr_frames], rec->kstack, nk * sizeof(uint64_t));
	memcpy(&lm->frames[lm->nr_frames + nk], rec->ustack, nu * sizeof(uint64_t));
	lm->nr_frames += nk + nu;
	cap->nr_tasks++;
	/* The task is alive now: snapshot its maps while it can be read. */
	if (nu) {
		if (!lm->usyms)
			lm->usyms = usyms__new();
		if (lm->usyms && !usyms__has_pid(lm->usyms, t->tgid))
			usyms__add_pid(lm->usyms, t->tgid, false);
	}
	return 0;
}

/* ring_buffer callback: one hld_loadmon_task or hld_loadmon_capture record. */
static int loadmon__on_record(void *ctx, void *data, size_t size)
{
	struct loadmon *lm = ctx;
	const struct hld_record_header *hdr = data;
	const struct hld_loadmon_capture *c = data;
	struct lm_capture *cap;
	int err = 0;

	if (size < sizeof(*hdr) || hdr->len > size || hdr->version != HLD_RECORD_VERSION) {
		err = -EPROTO;
	} else if (hdr->type == HLD_REC_LOADMON_TASK && hdr->len >= sizeof(struct hld_loadmon_task)) {
		err = loadmon__add_task(lm, data);
	} else if (hdr->type == HLD_REC_LOADMON_CAPTURE && hdr->len >= sizeof(*c)) {
		cap = loadmon__cur_capture(lm);
		if (!cap || cap->seq != c->capture) {
			err = -EPROTO;
		} else {
			cap->t_ns = c->hdr.ts;
			cap->r = c->nr_r;
			cap->d = c->nr_d;
			cap->emitted = c->nr_emitted;
			cap->dropped = c->nr_dropped;
			cap->closed = true;
		}
	} else {
		err = -EPROTO;
	}
	if (err && !lm->rec_err)
		lm->rec_err = err;
	return 0;
}

/* Run one walk of all tasks in @mode and read the iterator to its end. */
static int loadmon__walk(struct loadmon *lm, uint32_t mode)
{
	struct loadmon_bpf__bss *b = lm->skel->bss;
	uint64_t t0 = bpf_util__now_ns(), dt;
	char buf[64];
	ssize_t n;
	int fd, err = 0;

	b->walk_mode = mode;
	b->nr_r = 0;
	b->nr_d = 0;
	b->nr_emitted = 0;
	b->nr_dropped = 0;
	b->want_capture = 0;
	b->capture_rec_lost = 0;
	fd = bpf_iter_create(bpf_link__fd(lm->link));
	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0)
			continue;
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			err = -errno;
		break;
	}
	close(fd);
	lm->nr_walks++;
	dt = bpf_util__now_ns() - t0;
	lm->walk_ns += dt;
	if (dt > lm->walk_max_ns)
		lm->walk_max_ns = dt;
	return err;
}

/* A capture walk, after a check walk asked for one. */
static int loadmon__capture(struct diag_feature *f, struct loadmon *lm, uint64_t now)
{
	struct loadmon_bpf__bss *b = lm->skel->bss;
	struct lm_capture *cap;
	int err;

	lm->last_capture_ns = b->last_capture_ns;
	if (bpf_util__reserve((void **)&lm->caps, &lm->cap_caps, lm->nr_caps + 1, sizeof(*lm->caps)))
		return -ENOMEM;
	cap = &lm->caps[lm->nr_caps++];
	memset(cap, 0, sizeof(*cap));
	cap->seq = ++lm->capture_seq;
	cap->t_ns = now;
	cap->first_task = lm->nr_tasks;
	b->capture_seq = cap->seq;
	err = loadmon__walk(lm, 1);
	if (err)
		return err;
	err = ring_buffer__consume(lm->rb);
	if (err < 0)
		return err;
	if (lm->rec_err)
		return lm->rec_err;
	cap = loadmon__cur_capture(lm);
	if (!cap->closed) {
		/* The closing record did not fit: the walk's counters say the same. */
		cap->r = b->nr_r;
		cap->d = b->nr_d;
		cap->emitted = b->nr_emitted;
		cap->dropped = b->nr_dropped;
	}
	/* Records the ring buffer lost are in `dropped`; what arrived is what we hold. */
	f->events += cap->nr_tasks;
	f->drops += cap->dropped;
	if (cap->emitted > cap->nr_tasks)
		f->drops += cap->emitted - cap->nr_tasks;
	return 0;
}

/* Ring buffer size for one capture of @max_tasks tasks: a power of two pages. */
static uint32_t loadmon__rb_size(uint64_t max_tasks)
{
	uint64_t rec = (sizeof(struct hld_loadmon_task) + 8 + 7) & ~7ull;
	uint64_t need = max_tasks * rec + sizeof(struct hld_loadmon_capture) + 8;
	return bpf_util__ringbuf_size(need, 64 * 1024);
}

static int loadmon_probe(char *why, size_t len)
{
	struct loadmon_bpf *skel;
	int err;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	skel = loadmon_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "cannot load the iter/task program: %s", strerror(-err));
		return err;
	}
	loadmon_bpf__destroy(skel);
	return 0;
}

/* Load the programs for a phase; the collected data is kept from earlier ones. */
static int loadmon_activate(struct diag_feature *f)
{
	const struct hld_loadmon_settings *s = f->settings;
	struct loadmon *lm = f->priv;
	int err;

	if (!lm) {
		lm = calloc(1, sizeof(*lm));
		if (!lm)
			return -ENOMEM;
		f->priv = lm;
	}
	f->kernel_cost_in_thread = true;
	lm->skel = loadmon_bpf__open();
	if (!lm->skel)
		return -errno;
	lm->skel->rodata->thr_load = s->load;
	lm->skel->rodata->thr_r = s->load_r;
	lm->skel->rodata->thr_d = s->load_d;
	lm->skel->rodata->thr_task_d = s->task_d;
	lm->skel->rodata->min_gap_ns = s->min_gap_ms * NS_PER_MS;
	lm->skel->rodata->max_tasks = s->max_tasks > UINT32_MAX ? UINT32_MAX : s->max_tasks;
	lm->skel->rodata->user_stacks = !!s->user_stacks;
	err = bpf_map__set_max_entries(lm->skel->maps.events, loadmon__rb_size(s->max_tasks));
	if (err)
		goto out_destroy;
	err = loadmon_bpf__load(lm->skel);
	if (err)
		goto out_destroy;
	lm->link = bpf_program__attach_iter(lm->skel->progs.loadmon_walk, NULL);
	if (!lm->link) {
		err = -errno;
		goto out_destroy;
	}
	lm->rb = ring_buffer__new(bpf_map__fd(lm->skel->maps.events), loadmon__on_record, lm, NULL);
	if (!lm->rb) {
		err = -errno;
		goto out_link;
	}
	lm->skel->bss->last_capture_ns = lm->last_capture_ns;
	lm->next_check_ns = bpf_util__now_ns();
	return 0;

out_link:
	bpf_link__destroy(lm->link);
	lm->link = NULL;
out_destroy:
	loadmon_bpf__destroy(lm->skel);
	lm->skel = NULL;
	return err < 0 ? err : -EINVAL;
}

/* Every DIAG_POLL_MS: run a check walk when the interval is due, and a capture if asked. */
static int loadmon_poll(struct diag_feature *f)
{
	const struct hld_loadmon_settings *s = f->settings;
	struct loadmon *lm = f->priv;
	uint64_t interval = s->interval_ms * NS_PER_MS, now;
	struct lm_check *c;
	int err;

	if (!lm || !lm->skel)
		return 0;
	now = bpf_util__now_ns();
	/* Polls come on a 10 ms grid: allow 1 ms early so a 10 ms interval never skips one. */
	if (now + NS_PER_MS < lm->next_check_ns)
		return 0;
	lm->next_check_ns += interval;
	if (lm->next_check_ns <= now)
		lm->next_check_ns = now + interval;
	err = loadmon__walk(lm, 0);
	if (err)
		return err;
	if (bpf_util__reserve((void **)&lm->checks, &lm->cap_checks, lm->nr_checks + 1,
			      sizeof(*lm->checks)))
		return -ENOMEM;
	c = &lm->checks[lm->nr_checks++];
	c->t_ns = now;
	c->r = lm->skel->bss->nr_r;
	c->d = lm->skel->bss->nr_d;
	if (!lm->skel->bss->want_capture)
		return 0;
	return loadmon__capture(f, lm, now);
}

static int loadmon_deactivate(struct diag_feature *f)
{
	struct loadmon *lm = f->priv;

	if (!lm || !lm->skel)
		return 0;
	bpf_util__prog_stats(bpf_program__fd(lm->skel->progs.loadmon_walk),
			     &f->kernel_run_ns, &f->kernel_run_cnt);
	ring_buffer__free(lm->rb);
	lm->rb = NULL;
	bpf_link__destroy(lm->link);
	lm->link = NULL;
	loadmon_bpf__destroy(lm->skel);
	lm->skel = NULL;
	return 0;
}

static const char *loadmon__state(uint32_t state)
{
	return state == HLD_STATE_R ? "R" : state == HLD_STATE_D ? "D" : "?";
}

/* Kernel frame name, or NULL when kallsyms cannot name it. */
static const char *loadmon__ksym(const struct ksyms *ks, uint64_t addr)
{
	return ks ? ksyms__name(ks, addr) : NULL;
}

/* One captured task's kernel stack (and user stack, if any), innermost first. */
static void loadmon__print_task(FILE *o, struct loadmon *lm, const struct ksyms *ks,
				const struct lm_task *t)
{
	const uint64_t *fr = &lm->frames[t->frame];
	char buf[256];

	fprintf(o, "  %u %u %s %s\n", t->pid, t->tgid, t->comm, loadmon__state(t->state));
	if (!t->nr_kstack)
		fprintf(o, "    (no kernel stack)\n");
	for (uint32_t i = 0; i < t->nr_kstack; i++) {
		const char *name = loadmon__ksym(ks, fr[i]);

		if (name)
			fprintf(o, "    %s\n", name);
		else
			fprintf(o, "    0x%llx\n", (unsigned long long)fr[i]);
	}
	for (uint32_t i = 0; i < t->nr_ustack; i++) {
		uint64_t a = fr[t->nr_kstack + i];

		if (lm->usyms)
			fprintf(o, "    %s (user)\n",
				usyms__name(lm->usyms, t->tgid, a, buf, sizeof(buf)));
		else
			fprintf(o, "    0x%llx (user)\n", (unsigned long long)a);
	}
}

static uint32_t loadmon__nr_ustacks(const struct loadmon *lm)
{
	uint32_t n = 0;

	for (size_t i = 0; i < lm->nr_tasks; i++)
		n += lm->tasks[i].nr_ustack > 0;
	return n;
}

static int loadmon__write_txt(struct loadmon *lm, const struct hld_loadmon_settings *s,
			      const struct ksyms *ks, const char *path)
{
	FILE *o = fopen(path, "we");
	uint64_t t0 = lm->nr_checks ? lm->checks[0].t_ns : 0;

	if (!o)
		return -errno;
	fprintf(o, "# load-monitor (bpf): %zu checks, %zu captures\n", lm->nr_checks, lm->nr_caps);
	fprintf(o, "# thresholds: load=%llu load.r=%llu load.d=%llu task.d=%llu (0: off); "
		"interval %llu ms, min-gap %llu ms, max-tasks %llu\n",
		(unsigned long long)s->load, (unsigned long long)s->load_r,
		(unsigned long long)s->load_d, (unsigned long long)s->task_d,
		(unsigned long long)s->interval_ms, (unsigned long long)s->min_gap_ms,
		(unsigned long long)s->max_tasks);
	fprintf(o, "# R: TASK_RUNNING; D: TASK_UNINTERRUPTIBLE without TASK_NOLOAD; "
		"the observing thread is not counted\n");
	fprintf(o, "# user stacks: %s\n", loadmon__nr_ustacks(lm) ? "captured where the kernel gave them" :
		"not available: a task iterator cannot read another task's user stack on this "
		"kernel (bpf_get_task_stack walks only the current task's), so only kernel "
		"stacks are captured");
	fprintf(o, "# a task running on another CPU during the walk has no kernel stack "
		"(the kernel does not unwind a task while it runs)\n");
	fprintf(o, "# times: seconds since the first check (CLOCK_MONOTONIC ns in brackets)\n");
	fprintf(o, "# per task: pid tgid comm state, then its kernel stack innermost first\n");
	if (ks && ksyms__restricted(ks))
		fprintf(o, "# kernel symbols are restricted (kptr_restrict): frames are shown as addresses\n");
	for (size_t c = 0; c < lm->nr_caps; c++) {
		const struct lm_capture *cap = &lm->caps[c];

		fprintf(o, "\ncapture %llu at %.3f s [%llu]: R %u D %u, emitted %u, dropped %u\n",
			(unsigned long long)cap->seq, (cap->t_ns - t0) / 1e9,
			(unsigned long long)cap->t_ns, cap->r, cap->d, cap->emitted, cap->dropped);
		for (size_t i = 0; i < cap->nr_tasks; i++)
			loadmon__print_task(o, lm, ks, &lm->tasks[cap->first_task + i]);
	}
	if (fclose(o))
		return -errno;
	return 0;
}

static void loadmon__json_stack(struct json_writer *j, const char *key, const uint64_t *fr,
				uint32_t n, const struct ksyms *ks)
{
	char addr[32];

	json__begin_array(j, key);
	for (uint32_t i = 0; i < n; i++) {
		const char *name = loadmon__ksym(ks, fr[i]);

		json__begin_object(j, NULL);
		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)fr[i]);
		json__str(j, "addr", addr);
		json__str(j, "sym", name);
		json__end_object(j);
	}
	json__end_array(j);
}

static void loadmon__json_thresholds(struct json_writer *j, const struct hld_loadmon_settings *s)
{
	json__begin_object(j, "thresholds");
	json__uint(j, "load", s->load);
	json__uint(j, "load_r", s->load_r);
	json__uint(j, "load_d", s->load_d);
	json__uint(j, "task_d", s->task_d);
	json__uint(j, "interval_ms", s->interval_ms);
	json__uint(j, "min_gap_ms", s->min_gap_ms);
	json__uint(j, "max_tasks", s->max_tasks);
	json__end_object(j);
}

static int loadmon__write_json(struct loadmon *lm, const struct hld_loadmon_settings *s,
			       const struct ksyms *ks, const char *path)
{
	struct json_writer j;
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	json__init(&j, o, true);
	json__begin_object(&j, NULL);
	json__str(&j, "backend", "bpf");
	loadmon__json_thresholds(&j, s);
	json__bool(&j, "user_stacks_available", loadmon__nr_ustacks(lm) > 0);
	json__uint(&j, "checks", lm->nr_checks);
	json__begin_array(&j, "captures");
	for (size_t c = 0; c < lm->nr_caps; c++) {
		const struct lm_capture *cap = &lm->caps[c];

		json__begin_object(&j, NULL);
		json__uint(&j, "seq", cap->seq);
		json__uint(&j, "t_ns", cap->t_ns);
		json__uint(&j, "r", cap->r);
		json__uint(&j, "d", cap->d);
		json__uint(&j, "emitted", cap->emitted);
		json__uint(&j, "dropped", cap->dropped);
		json__begin_array(&j, "tasks");
		for (size_t i = 0; i < cap->nr_tasks; i++) {
			const struct lm_task *t = &lm->tasks[cap->first_task + i];
			const uint64_t *fr = &lm->frames[t->frame];

			json__begin_object(&j, NULL);
			json__uint(&j, "pid", t->pid);
			json__uint(&j, "tgid", t->tgid);
			json__str(&j, "comm", t->comm);
			json__str(&j, "state", loadmon__state(t->state));
			loadmon__json_stack(&j, "kstack", fr, t->nr_kstack, ks);
			json__begin_array(&j, "ustack");
			for (uint32_t u = 0; u < t->nr_ustack; u++) {
				char buf[256];

				json__str(&j, NULL, lm->usyms ?
					  usyms__name(lm->usyms, t->tgid, fr[t->nr_kstack + u],
						      buf, sizeof(buf)) : "[unknown]");
			}
			json__end_array(&j);
			json__end_object(&j);
		}
		json__end_array(&j);
		json__end_object(&j);
	}
	json__end_array(&j);
	json__end_object(&j);
	fputc('\n', o);
	if (fclose(o))
		return -errno;
	return 0;
}

static int loadmon__write_csv(struct loadmon *lm, const char *path)
{
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	fprintf(o, "t_ns,r,d\n");
	for (size_t i = 0; i < lm->nr_checks; i++)
		fprintf(o, "%llu,%u,%u\n", (unsigned long long)lm->checks[i].t_ns,
			lm->checks[i].r, lm->checks[i].d);
	if (fclose(o))
		return -errno;
	return 0;
}

/* Folded stacks of every captured task: comm;[user outer..inner;]kernel outer..inner_[k]. */
static int loadmon__write_folded(struct loadmon *lm, const struct ksyms *ks, const char *path)
{
	struct folded *fd = folded__new();
	char *stack = NULL, frame[256], ubuf[256];
	size_t cap = 0, len;
	int err = 0;
	FILE *o;

	if (!fd)
		return -ENOMEM;
	for (size_t i = 0; i < lm->nr_tasks && !err; i++) {
		const struct lm_task *t = &lm->tasks[i];
		const uint64_t *fr = &lm->frames[t->frame];
		size_t need = HLD_COMM_LEN + (t->nr_kstack + t->nr_ustack + 1) * (sizeof(frame) + 4);

		if (bpf_util__reserve((void **)&stack, &cap, need, 1)) {
			err = -ENOMEM;
			break;
		}
		bpf_util__frame(frame, sizeof(frame), t->comm[0] ? t->comm : "[unknown]");
		len = snprintf(stack, cap, "%s", frame);
		for (uint32_t u = t->nr_ustack; u-- > 0;) {
			const char *n = lm->usyms ? usyms__name(lm->usyms, t->tgid, fr[t->nr_kstack + u],
								ubuf, sizeof(ubuf)) : "[unknown]";

			len += snprintf(stack + len, cap - len, ";%s",
					bpf_util__frame(frame, sizeof(frame), n));
		}
		for (uint32_t k = t->nr_kstack; k-- > 0;) {
			const char *n = loadmon__ksym(ks, fr[k]);

			len += snprintf(stack + len, cap - len, ";%s_[k]",
					bpf_util__frame(frame, sizeof(frame), n ? n : "[kernel]"));
		}
		err = folded__add(fd, stack, 1);
	}
	free(stack);
	if (!err) {
		o = fopen(path, "we");
		if (!o) {
			err = -errno;
		} else {
			err = folded__write(fd, o);
			if (fclose(o) && !err)
				err = -errno;
		}
	}
	folded__free(fd);
	return err;
}

static int loadmon_report(struct diag_feature *f, const struct diag_outputs *out)
{
	const struct hld_loadmon_settings *s = f->settings;
	struct loadmon empty = { 0 }, *lm = f->priv ? f->priv : &empty;
	struct ksyms *ks = ksyms__load();
	double sum_r = 0, sum_d = 0, mean_r = 0, mean_d = 0;
	uint32_t max_r = 0, max_d = 0;
	uint64_t dropped = 0;
	char path[PATH_MAX];
	int err;

	for (size_t i = 0; i < lm->nr_checks; i++) {
		sum_r += lm->checks[i].r;
		sum_d += lm->checks[i].d;
		if (lm->checks[i].r > max_r)
			max_r = lm->checks[i].r;
		if (lm->checks[i].d > max_d)
			max_d = lm->checks[i].d;
	}
	if (lm->nr_checks) {
		mean_r = sum_r / lm->nr_checks;
		mean_d = sum_d / lm->nr_checks;
	}
	for (size_t c = 0; c < lm->nr_caps; c++)
		dropped += lm->caps[c].dropped;

	snprintf(path, sizeof(path), "%s/loadmon.txt", out->dir);
	err = loadmon__write_txt(lm, s, ks, path);
	if (!err) {
		snprintf(path, sizeof(path), "%s/loadmon.json", out->dir);
		err = loadmon__write_json(lm, s, ks, path);
	}
	if (!err) {
		snprintf(path, sizeof(path), "%s/loadmon-checks.csv", out->dir);
		err = loadmon__write_csv(lm, path);
	}
	if (!err) {
		snprintf(path, sizeof(path), "%s/loadmon.folded", out->dir);
		err = loadmon__write_folded(lm, ks, path);
	}

	json__uint(out->json, "checks", lm->nr_checks);
	json__uint(out->json, "captures", lm->nr_caps);
	json__uint(out->json, "tasks_captured", lm->nr_tasks);
	json__uint(out->json, "dropped", dropped);
	json__double(out->json, "mean_r", lm->nr_checks ? mean_r : NAN);
	json__double(out->json, "mean_d", lm->nr_checks ? mean_d : NAN);
	json__uint(out->json, "max_r", max_r);
	json__uint(out->json, "max_d", max_d);
	json__uint(out->json, "walks", lm->nr_walks);
	json__double(out->json, "walk_us_mean", lm->nr_walks ? lm->walk_ns / 1e3 / lm->nr_walks : NAN);
	json__double(out->json, "walk_us_max", lm->nr_walks ? lm->walk_max_ns / 1e3 : NAN);
	/* BPF run time per walk: zero run_cnt means BPF stats were off. */
	json__double(out->json, "bpf_run_us_per_walk", lm->nr_walks && f->kernel_run_cnt ?
		     f->kernel_run_ns / 1e3 / lm->nr_walks : NAN);
	json__bool(out->json, "user_stacks_available", loadmon__nr_ustacks(lm) > 0);
	json__bool(out->json, "kernel_symbols_restricted", !ks || ksyms__restricted(ks));
	loadmon__json_thresholds(out->json, s);

	diag_feature__set_metric(f, "checks", lm->nr_checks);
	diag_feature__set_metric(f, "captures", lm->nr_caps);
	diag_feature__set_metric(f, "mean_r", lm->nr_checks ? mean_r : NAN);
	diag_feature__set_metric(f, "mean_d", lm->nr_checks ? mean_d : NAN);
	diag_feature__set_metric(f, "max_r", max_r);
	diag_feature__set_metric(f, "max_d", max_d);
	if (ks)
		ksyms__free(ks);
	return err;
}

static void loadmon_free(struct diag_feature *f)
{
	struct loadmon *lm = f->priv;

	if (!lm)
		return;
	loadmon_deactivate(f);
	if (lm->usyms)
		usyms__free(lm->usyms);
	free(lm->checks);
	free(lm->caps);
	free(lm->tasks);
	free(lm->frames);
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
	.free = loadmon_free,
};
