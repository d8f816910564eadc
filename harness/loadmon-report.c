// SPDX-License-Identifier: GPL-2.0
/*
 * loadmon-report.c - load-monitor's report, shared by the backends
 * (bpf/loadmon.c, harness/kmod-loadmon.c): keeping the captures from their
 * records, and writing loadmon.txt, loadmon.json, loadmon-checks.csv and
 * loadmon.folded from them, the checks and the kernel side's figures.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf-util.h"
#include "folded.h"
#include "json.h"
#include "loadmon-report.h"
#include "syms.h"

#define NS_PER_MS 1000000ull

/* The drops since activation, by cause: the program's counters. */
struct lm_drops {
	uint64_t ringbuf, cap, rate, stack, capture_rec, busy, total;
};

/* The capture the latest records belong to, or NULL before the first. */
static struct lm_capture *loadmon__cur_capture(struct lm_data *lm)
{
	return lm->nr_caps ? &lm->caps[lm->nr_caps - 1] : NULL;
}

/* The capture @seq: the current one, or a new one (its first record just arrived). */
static struct lm_capture *loadmon__capture_for(struct lm_data *lm, uint64_t seq)
{
	struct lm_capture *cap = loadmon__cur_capture(lm);

	if (cap && cap->seq == seq)
		return cap;
	if (bpf_util__reserve((void **)&lm->caps, &lm->cap_caps, lm->nr_caps + 1,
			      sizeof(*lm->caps)))
		return NULL;
	cap = &lm->caps[lm->nr_caps++];
	memset(cap, 0, sizeof(*cap));
	cap->seq = seq;
	cap->first_task = lm->nr_tasks;
	return cap;
}

/* Keep one task record: the task and a copy of its valid frames. */
static int loadmon__add_task(struct lm_data *lm, const struct hld_loadmon_task *rec)
{
	struct lm_capture *cap = loadmon__capture_for(lm, rec->capture);
	uint32_t nk = rec->nr_kstack, nu = rec->nr_ustack;
	struct lm_task *t;

	if (!cap)
		return -ENOMEM;
	if (cap->closed)
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
	if (!cap->t_ns)
		cap->t_ns = rec->hdr.ts;
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
	return 0;
}

/*
 * Read the memory maps of the processes with a user stack, for their
 * names. Done at report time, not in the poll: reading /proc/PID/maps can
 * block behind the process's mmap lock under load, and the poll must not.
 * A process that has exited by then keeps its frames unnamed.
 */
static void loadmon__user_symbols(struct lm_data *lm)
{
	for (size_t i = 0; i < lm->nr_tasks; i++) {
		const struct lm_task *t = &lm->tasks[i];

		if (!t->nr_ustack)
			continue;
		if (!lm->usyms)
			lm->usyms = usyms__new();
		if (!lm->usyms)
			return;
		if (!usyms__has_pid(lm->usyms, t->tgid))
			usyms__add_pid(lm->usyms, t->tgid, false);
	}
}

/* Close a capture with its hld_loadmon_capture record (the tasks came first). */
static int loadmon__close_capture(struct lm_data *lm, const struct hld_loadmon_capture *c)
{
	struct lm_capture *cap = loadmon__capture_for(lm, c->capture);

	if (!cap)
		return -ENOMEM;
	cap->t_ns = c->hdr.ts;
	cap->r = c->nr_r;
	cap->d = c->nr_d;
	cap->emitted = c->nr_emitted;
	cap->dropped = c->nr_dropped;
	cap->closed = true;
	return 0;
}


int loadmon__record(struct lm_data *lm, const void *data, size_t size)
{
	int err;

	if (bpf_util__record_ok(data, size, HLD_REC_LOADMON_TASK, sizeof(struct hld_loadmon_task)))
		err = loadmon__add_task(lm, data);
	else if (bpf_util__record_ok(data, size, HLD_REC_LOADMON_CAPTURE,
				     sizeof(struct hld_loadmon_capture)))
		err = loadmon__close_capture(lm, data);
	else
		err = -EPROTO;
	if (err && !lm->rec_err)
		lm->rec_err = err;
	return 0;
}

/* "R" or "D" for an enum hld_task_state. */
static const char *loadmon__state(uint32_t state)
{
	return state == HLD_STATE_R ? "R" : state == HLD_STATE_D ? "D" : "?";
}

/* Kernel frame name, or NULL when kallsyms cannot name it. */
static const char *loadmon__ksym(const struct ksyms *ks, uint64_t addr)
{
	return ks ? ksyms__name(ks, addr) : NULL;
}

/* A load average in the kernel's fixed point, as a number. */
static double loadmon__load_of(uint64_t fixed)
{
	return (double)fixed / LOADMON_FIXED_1;
}

/* The D load average: all minus R, never below zero. */
static uint64_t loadmon__avenrun_d(const struct hld_loadmon_stats *b, int i)
{
	return b->avenrun[i] > b->avenrun_r[i] ? b->avenrun[i] - b->avenrun_r[i] : 0;
}

/* The program's drop counters (since activation) and their sum. */
/* "rate limit N, ..." for the causes that dropped anything. */
static void loadmon__drops_detail(const struct lm_drops *d, char *buf, size_t len)
{
	const struct { const char *name; uint64_t n; } causes[] = {
		{ "checks over the threshold within min-gap", d->rate },
		{ "tasks over max-tasks", d->cap },
		{ "ring buffer full", d->ringbuf },
		{ "stacks unreadable", d->stack },
		{ "capture records lost", d->capture_rec },
		{ "checks skipped while the previous one ran", d->busy },
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++)
		if (causes[i].n && n < len)
			n += snprintf(buf + n, len - n, "%s%s %llu", n ? ", " : "", causes[i].name,
				      (unsigned long long)causes[i].n);
}

static void loadmon__drops(const struct hld_loadmon_stats *b, struct lm_drops *d)
{
	d->ringbuf = b->drop_ringbuf;
	d->cap = b->drop_cap;
	d->rate = b->drop_rate;
	d->stack = b->drop_stack;
	d->capture_rec = b->drop_capture_rec;
	d->busy = b->drop_busy;
	d->total = d->ringbuf + d->cap + d->rate + d->stack + d->capture_rec + d->busy;
}

/* "load,task.d" for the reason bits, or "-". */
static const char *loadmon__reasons(uint32_t why, char *buf, size_t len)
{
	static const char *const names[] = { "load", "load.r", "load.d", "task.d", "task.r" };
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (why & (1u << i))
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "," : "", names[i]);
	return n ? buf : "-";
}

/* One captured task's kernel stack (and user stack, if any), innermost first. */
static void loadmon__print_task(FILE *o, struct lm_data *lm, const struct ksyms *ks,
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

/* Captured tasks that came with a user stack. */
static uint32_t loadmon__nr_ustacks(const struct lm_data *lm)
{
	uint32_t n = 0;

	for (size_t i = 0; i < lm->nr_tasks; i++)
		n += lm->tasks[i].nr_ustack > 0;
	return n;
}

/* Self-timed run time of the timer callback: per check without a capture, and per capture. */
static void loadmon__cost_figures(const struct hld_loadmon_stats *b, double *idle_ns,
				  double *capture_us)
{
	uint64_t idle_cnt = b->run_cnt > b->capture_seq ? b->run_cnt - b->capture_seq : 0;
	uint64_t idle = b->run_ns > b->capture_ns ? b->run_ns - b->capture_ns : 0;

	*idle_ns = idle_cnt ? (double)idle / idle_cnt : NAN;
	*capture_us = b->capture_seq ? b->capture_ns / 1e3 / b->capture_seq : NAN;
}

/* loadmon.txt: what the thresholds mean, the figures, then each capture's tasks and stacks. */
static int loadmon__write_txt(struct lm_data *lm, const struct hld_loadmon_settings *s,
			      const struct ksyms *ks, const char *path)
{
	const struct hld_loadmon_stats *b = &lm->k;
	uint64_t t0 = lm->nr_checks ? lm->checks[0].t_ns : lm->nr_caps ? lm->caps[0].t_ns : 0;
	double idle_ns, capture_us;
	struct lm_drops d;
	char why[64];
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	loadmon__drops(b, &d);
	loadmon__cost_figures(b, &idle_ns, &capture_us);
	fprintf(o, "# load-monitor (%s): %llu checks, %zu captures since the last report\n",
		lm->backend, (unsigned long long)lm->win.checks, lm->nr_caps);
	fprintf(o, "# thresholds: load=%llu load.r=%llu load.d=%llu task.d=%llu task.r=%llu "
		"(0: off); interval %llu ms, min-gap %llu ms, max-tasks %llu\n",
		(unsigned long long)s->load, (unsigned long long)s->load_r,
		(unsigned long long)s->load_d, (unsigned long long)s->task_d,
		(unsigned long long)s->task_r,
		(unsigned long long)s->interval_ms, (unsigned long long)s->min_gap_ms,
		(unsigned long long)s->max_tasks);
	fprintf(o, "# load: 1-minute load average of R+D; load.r: of R; load.d: load - load.r; "
		"each compared by its integer part; task.d, task.r: D, R tasks now\n");
	fprintf(o, "# load averages now (1, 5, 15 min): all %.2f %.2f %.2f, R %.2f %.2f %.2f, "
		"D %.2f %.2f %.2f; last check R %u D %u\n",
		loadmon__load_of(b->avenrun[0]), loadmon__load_of(b->avenrun[1]),
		loadmon__load_of(b->avenrun[2]), loadmon__load_of(b->avenrun_r[0]),
		loadmon__load_of(b->avenrun_r[1]), loadmon__load_of(b->avenrun_r[2]),
		loadmon__load_of(loadmon__avenrun_d(b, 0)), loadmon__load_of(loadmon__avenrun_d(b, 1)),
		loadmon__load_of(loadmon__avenrun_d(b, 2)), b->cur_r, b->cur_d);
	fprintf(o, "# checks since the last report: mean R %.2f D %.2f, max R %llu D %llu, "
		"%llu over a threshold\n",
		lm->win.checks ? (double)lm->win.sum_r / lm->win.checks : NAN,
		lm->win.checks ? (double)lm->win.sum_d / lm->win.checks : NAN,
		(unsigned long long)lm->win.max_r, (unsigned long long)lm->win.max_d,
		(unsigned long long)lm->win.crossed);
	fprintf(o, "# drops since activation: %llu (ring buffer full %llu, over max-tasks %llu, "
		"rate limit %llu, kernel stack unreadable %llu, capture records lost %llu); "
		"walks cut at %d threads: %llu\n",
		(unsigned long long)d.total, (unsigned long long)d.ringbuf,
		(unsigned long long)d.cap, (unsigned long long)d.rate, (unsigned long long)d.stack,
		(unsigned long long)d.capture_rec, LOADMON_WALK_MAX,
		(unsigned long long)b->walk_truncated);
	fprintf(o, "# cost since activation (the timer callback timing itself): %.0f ns per "
		"check, %.1f us per capture (max %.1f us), %.4f%% of one CPU\n", idle_ns,
		capture_us, b->capture_max_ns / 1e3,
		b->run_cnt ? (double)b->run_ns / (b->run_cnt * (double)s->interval_ms * NS_PER_MS) *
		100 : 0.0);
	if (lm->hist_skipped)
		fprintf(o, "# loadmon-checks.csv holds the last %llu checks: %llu earlier ones "
			"were overwritten unread\n", (unsigned long long)lm->nr_checks,
			(unsigned long long)lm->hist_skipped);
	fprintf(o, "# last capture's reasons: %s\n", loadmon__reasons(b->last_reasons, why,
								     sizeof(why)));
	fprintf(o, "# R: TASK_RUNNING; D: TASK_UNINTERRUPTIBLE without TASK_NOLOAD\n");
	fprintf(o, "# user stacks: %s\n", loadmon__nr_ustacks(lm) ?
		"captured where the kernel gave them" :
		"not available: the kernel unwinds no other task's user stack from a timer or "
		"a worker, so only kernel stacks are captured");
	if (!b->kstacks)
		fprintf(o, "# kernel stacks: not available (%.*s): tasks are listed and counted "
			"without them\n", (int)sizeof(b->kstack_why), b->kstack_why);
	fprintf(o, "# a task running on another CPU during the walk may have no kernel stack "
		"(counted as unreadable)\n");
	fprintf(o, "# times: seconds since the first check of this report (CLOCK_MONOTONIC ns "
		"in brackets)\n");
	fprintf(o, "# per task: pid tgid comm state, then its kernel stack innermost first\n");
	if (ks && ksyms__restricted(ks))
		fprintf(o, "# kernel symbols are restricted (kptr_restrict): frames are shown as "
			"addresses\n");
	for (size_t c = 0; c < lm->nr_caps; c++) {
		const struct lm_capture *cap = &lm->caps[c];

		fprintf(o, "\ncapture %llu at %.3f s [%llu]: R %u D %u, emitted %u, dropped %u%s\n",
			(unsigned long long)cap->seq, cap->t_ns >= t0 ? (cap->t_ns - t0) / 1e9 : 0.0,
			(unsigned long long)cap->t_ns, cap->r, cap->d, cap->emitted, cap->dropped,
			cap->closed ? "" : " (closing record lost)");
		for (size_t i = 0; i < cap->nr_tasks; i++)
			loadmon__print_task(o, lm, ks, &lm->tasks[cap->first_task + i]);
	}
	if (fclose(o))
		return -errno;
	return 0;
}

/* A stack as an array of {addr, sym}, innermost first. */
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

/* The settings, as "thresholds". */
static void loadmon__json_thresholds(struct json_writer *j, const struct hld_loadmon_settings *s)
{
	json__begin_object(j, "thresholds");
	json__uint(j, "load", s->load);
	json__uint(j, "load_r", s->load_r);
	json__uint(j, "load_d", s->load_d);
	json__uint(j, "task_d", s->task_d);
	json__uint(j, "task_r", s->task_r);
	json__uint(j, "interval_ms", s->interval_ms);
	json__uint(j, "min_gap_ms", s->min_gap_ms);
	json__uint(j, "max_tasks", s->max_tasks);
	json__end_object(j);
}

/*
 * The figures shared by loadmon.json and the feature's object in
 * summary.json / run.json (@own: loadmon.json; the callers of report()
 * write "events" and "drops" into their object themselves).
 */
static void loadmon__json_figures(struct json_writer *j, struct lm_data *lm,
				  const struct hld_loadmon_settings *s, bool own)
{
	const struct hld_loadmon_stats *b = &lm->k;
	double idle_ns, capture_us;
	struct lm_drops d;
	char why[64];

	loadmon__drops(b, &d);
	loadmon__cost_figures(b, &idle_ns, &capture_us);
	json__uint(j, "checks", lm->win.checks);
	json__uint(j, "checks_crossed", lm->win.crossed);
	if (!own)	/* loadmon.json lists them under this key */
		json__uint(j, "captures", lm->nr_caps);
	json__uint(j, "tasks_captured", lm->nr_tasks);
	if (own)
		json__uint(j, "events", lm->nr_tasks);
	json__double(j, "mean_r", lm->win.checks ? (double)lm->win.sum_r / lm->win.checks : NAN);
	json__double(j, "mean_d", lm->win.checks ? (double)lm->win.sum_d / lm->win.checks : NAN);
	json__uint(j, "max_r", lm->win.max_r);
	json__uint(j, "max_d", lm->win.max_d);
	json__begin_object(j, "load");
	json__double(j, "all_1", loadmon__load_of(b->avenrun[0]));
	json__double(j, "all_5", loadmon__load_of(b->avenrun[1]));
	json__double(j, "all_15", loadmon__load_of(b->avenrun[2]));
	json__double(j, "r_1", loadmon__load_of(b->avenrun_r[0]));
	json__double(j, "d_1", loadmon__load_of(loadmon__avenrun_d(b, 0)));
	json__uint(j, "task_d", b->cur_d);
	json__uint(j, "task_r", b->cur_r);
	json__end_object(j);
	json__str(j, "last_capture_reasons", loadmon__reasons(b->last_reasons, why, sizeof(why)));
	if (own)
		json__uint(j, "drops", d.total);
	json__begin_object(j, "drops_by_cause");
	json__uint(j, "ringbuf_full", d.ringbuf);
	json__uint(j, "max_tasks", d.cap);
	json__uint(j, "rate_limit", d.rate);
	json__uint(j, "stack_unreadable", d.stack);
	json__uint(j, "capture_record_lost", d.capture_rec);
	json__uint(j, "check_busy", d.busy);
	json__end_object(j);
	json__bool(j, "kstacks_available", b->kstacks);
	if (!b->kstacks) {
		char kwhy[sizeof(b->kstack_why) + 1];

		snprintf(kwhy, sizeof(kwhy), "%.*s", (int)sizeof(b->kstack_why), b->kstack_why);
		json__str(j, "kstacks_unavailable_reason", kwhy);
	}
	json__uint(j, "tasks_counted_since_activation", b->tasks_counted);
	json__uint(j, "walks_truncated", b->walk_truncated);
	json__uint(j, "checks_not_in_csv", lm->hist_skipped);
	json__double(j, "bpf_run_ns_per_check", idle_ns);
	json__double(j, "bpf_run_us_per_capture", capture_us);
	json__double(j, "bpf_run_us_max_capture", b->capture_max_ns / 1e3);
	json__double(j, "bpf_cpu_pct", b->run_cnt ? (double)b->run_ns /
		     (b->run_cnt * (double)s->interval_ms * NS_PER_MS) * 100 : 0.0);
	json__bool(j, "user_stacks_available", loadmon__nr_ustacks(lm) > 0);
	loadmon__json_thresholds(j, s);
}

/* loadmon.json: the figures and every capture with its tasks. */
static int loadmon__write_json(struct lm_data *lm, const struct hld_loadmon_settings *s,
			       const struct ksyms *ks, const char *path)
{
	struct json_writer j;
	FILE *o = fopen(path, "we");

	if (!o)
		return -errno;
	json__init(&j, o, true);
	json__begin_object(&j, NULL);
	json__str(&j, "backend", lm->backend);
	loadmon__json_figures(&j, lm, s, true);
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
		json__bool(&j, "closed", cap->closed);
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

/* loadmon-checks.csv: one line per check read since the last report. */
static int loadmon__write_csv(struct lm_data *lm, const char *path)
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
static int loadmon__write_folded(struct lm_data *lm, const struct ksyms *ks, const char *path)
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

/* Forget what a report has shown: the next one starts from here. */
void loadmon__forget(struct lm_data *lm)
{
	memset(&lm->win, 0, sizeof(lm->win));
	lm->hist_skipped = 0;
	lm->nr_checks = 0;
	lm->nr_caps = 0;
	lm->nr_tasks = 0;
	lm->nr_frames = 0;
}

/*
 * Write the files, the JSON figures and the metrics of what @lm holds,
 * then forget it: a report shows each capture and each check once.
 */
int loadmon__report_out(struct diag_feature *f, struct lm_data *lm,
			const struct diag_outputs *out)
{
	const struct hld_loadmon_settings *s = f->settings;
	struct ksyms *ks;
	struct lm_drops d;
	char path[PATH_MAX];
	int err;

	loadmon__user_symbols(lm);
	ks = ksyms__load();
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

	loadmon__json_figures(out->json, lm, s, false);
	json__bool(out->json, "kernel_symbols_restricted", !ks || ksyms__restricted(ks));
	loadmon__drops(&lm->k, &d);
	f->events = lm->nr_tasks;
	f->drops = d.total;
	loadmon__drops_detail(&d, f->drops_detail, sizeof(f->drops_detail));
	diag_feature__set_metric(f, "checks", lm->win.checks);
	diag_feature__set_metric(f, "captures", lm->nr_caps);
	diag_feature__set_metric(f, "mean_r", lm->win.checks ?
				 (double)lm->win.sum_r / lm->win.checks : NAN);
	diag_feature__set_metric(f, "mean_d", lm->win.checks ?
				 (double)lm->win.sum_d / lm->win.checks : NAN);
	diag_feature__set_metric(f, "max_r", lm->win.max_r);
	diag_feature__set_metric(f, "max_d", lm->win.max_d);
	diag_feature__set_metric(f, "drops", d.total);
	if (ks)
		ksyms__free(ks);
	loadmon__forget(lm);
	return err;
}

void loadmon__data_free(struct lm_data *lm)
{
	if (lm->usyms)
		usyms__free(lm->usyms);
	free(lm->checks);
	free(lm->caps);
	free(lm->tasks);
	free(lm->frames);
	memset(lm, 0, sizeof(*lm));
}
