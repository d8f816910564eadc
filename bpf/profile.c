// SPDX-License-Identifier: GPL-2.0
/*
 * profile.c - perf, user side: opens a cpu-clock sampling event per CPU,
 * attaches profile.bpf.c to each, and every PERF_DRAIN_MS (or sooner at high rates) drains the
 * in-kernel counts into folded stacks, resolving user symbols while the
 * sampled processes are still alive. report() writes perf.folded.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
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
#include "folded.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "profile.skel.h"
#include "syms.h"

#define NS_PER_MS	1000000ull
#define PERF_DRAIN_MS	500		/* how often the in-kernel counts are drained ... */
#define PERF_DRAIN_MIN_MS 50		/* ... at most, at high sampling rates */
#define PERF_DRAIN_SAMPLES 200		/* samples per drain that set the rate */
#define PERF_MAX_CPUS	8192
#define PERF_MAX_REFRESH 64		/* tgids whose maps are re-read per drain */
#define PERF_FRAME_LEN	256

struct perf {
	struct profile_bpf *skel;
	struct bpf_link **links;
	int nr_links;
	struct ksyms *ksyms;		/* NULL if /proc/kallsyms cannot be read */
	struct usyms *usyms;
	struct folded *folded;		/* every stack seen, over all phases */
	uint64_t next_flip_ns;
	uint64_t drain_ns;		/* flip/drain period */
	int pending;			/* map set waiting to be drained, -1: none */
	uint64_t samples;		/* samples drained into folded */
	uint64_t drops_before;		/* drops of earlier phases */
	uint64_t seen_before;		/* filtered-in samples of earlier phases */
	uint64_t drop_kstack, drop_ustack, drop_count;	/* drops by cause, ended phases */
	int64_t last_stack_err;
	uint64_t drains;
	int nr_cpus;
	/* per-drain scratch */
	pid_t refreshed[PERF_MAX_REFRESH];
	int nr_refreshed;
	char *stack;
	size_t stack_cap;
};

static int perf__open_event(int cpu, uint64_t freq)
{
	struct perf_event_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.freq = 1;
	attr.sample_freq = freq;
	fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int perf_probe(char *why, size_t len)
{
	struct profile_bpf *skel;
	int err, fd;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	fd = perf__open_event(0, 99);
	if (fd < 0) {
		snprintf(why, len, "cannot open a cpu-clock perf event: %s", strerror(-fd));
		return fd;
	}
	close(fd);
	skel = profile_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "cannot load the perf_event program: %s", strerror(-err));
		return err;
	}
	profile_bpf__destroy(skel);
	return 0;
}

/* Has @tgid been re-read in this drain? If not, note that it now is. */
static bool perf__refresh_once(struct perf *p, pid_t tgid)
{
	for (int i = 0; i < p->nr_refreshed; i++)
		if (p->refreshed[i] == tgid)
			return false;
	if (p->nr_refreshed == PERF_MAX_REFRESH)
		return false;
	p->refreshed[p->nr_refreshed++] = tgid;
	return true;
}

/* Name a user frame; an address no mapping covers re-reads the maps once per drain. */
static const char *perf__usym(struct perf *p, pid_t tgid, uint64_t addr, char *buf, size_t len)
{
	const char *n = usyms__name(p->usyms, tgid, addr, buf, len);

	if (!strcmp(n, "[unknown]") && perf__refresh_once(p, tgid) &&
	    !usyms__add_pid(p->usyms, tgid, true))
		n = usyms__name(p->usyms, tgid, addr, buf, len);
	return n;
}

/* Append ";frame" to the stack being built. 0 or -ENOMEM. */
static int perf__append(struct perf *p, size_t *len, const char *frame, const char *suffix)
{
	char clean[PERF_FRAME_LEN];
	size_t n;

	bpf_util__frame(clean, sizeof(clean), frame);
	n = strlen(clean) + strlen(suffix) + 2;
	if (bpf_util__reserve((void **)&p->stack, &p->stack_cap, *len + n, 1))
		return -ENOMEM;
	*len += snprintf(p->stack + *len, p->stack_cap - *len, "%s%s%s",
			 *len ? ";" : "", clean, suffix);
	return 0;
}

/* The map holding stack @id of set @set, and the id within it. */
static int perf__stack_fd(struct perf *p, int set, int32_t *id)
{
	struct bpf_map *sm = set ? p->skel->maps.stacks1 : p->skel->maps.stacks0;
	int32_t base = bpf_map__max_entries(sm);

	if (*id < base)
		return bpf_map__fd(sm);
	*id -= base;
	return bpf_map__fd(set ? p->skel->maps.spill1 : p->skel->maps.spill0);
}

/*
 * Frames of stack @id in set @set, innermost first (the stack map
 * zero-fills the tail); 0 if there is none.
 */
static int perf__read_stack(struct perf *p, int set, int32_t id, uint64_t *ips)
{
	int n, fd;

	if (id < 0)
		return 0;
	fd = perf__stack_fd(p, set, &id);
	if (bpf_map_lookup_elem(fd, &id, ips))
		return 0;
	for (n = 0; n < HLD_MAX_STACK && ips[n]; n++)
		;
	return n;
}

/*
 * Turn one key into "comm;user outer..inner;kernel outer..inner_[k]" and
 * add @count to it. Frames past the first are return addresses: look up
 * addr - 1, the call itself.
 */
static int perf__fold(struct perf *p, const struct hld_perf_key *k, uint64_t count, int set)
{
	uint64_t ips[HLD_MAX_STACK];
	char comm[HLD_COMM_LEN + 1], buf[PERF_FRAME_LEN];
	size_t len = 0;
	int n, err;

	memcpy(comm, k->comm, HLD_COMM_LEN);
	comm[HLD_COMM_LEN] = '\0';
	err = perf__append(p, &len, comm[0] ? comm : "[unknown]", "");
	n = perf__read_stack(p, set, k->ustack_id, ips);
	if (n && !usyms__has_pid(p->usyms, k->tgid))
		usyms__add_pid(p->usyms, k->tgid, false);
	while (!err && n-- > 0)
		err = perf__append(p, &len, perf__usym(p, k->tgid, n ? ips[n] - 1 : ips[n],
						       buf, sizeof(buf)), "");
	n = perf__read_stack(p, set, k->kstack_id, ips);
	while (!err && n-- > 0) {
		const char *name = NULL;

		if (p->ksyms && !ksyms__restricted(p->ksyms))
			name = ksyms__name(p->ksyms, n ? ips[n] - 1 : ips[n]);
		err = perf__append(p, &len, name ? name : "[kernel]", "_[k]");
	}
	if (err)
		return err;
	err = folded__add(p->folded, p->stack, count);
	if (!err)
		p->samples += count;
	return err;
}

/*
 * Drain map set @set, which the BPF program no longer writes: fold every
 * count, then delete the counts and the stacks they referenced.
 */
static int perf__drain(struct diag_feature *f, struct perf *p, int set)
{
	struct bpf_map *cm = set ? p->skel->maps.counts1 : p->skel->maps.counts0;
	int counts_fd = bpf_map__fd(cm);
	struct hld_perf_key key, next, *keys = NULL;
	size_t nr = 0, cap = 0;
	uint64_t count;
	int err = 0;

	p->nr_refreshed = 0;
	for (void *prev = NULL; !bpf_map_get_next_key(counts_fd, prev, &next); prev = &key) {
		if (bpf_util__reserve((void **)&keys, &cap, nr + 1, sizeof(*keys))) {
			err = -ENOMEM;
			break;
		}
		keys[nr++] = next;
		key = next;
	}
	for (size_t i = 0; i < nr && !err; i++)
		if (!bpf_map_lookup_elem(counts_fd, &keys[i], &count))
			err = perf__fold(p, &keys[i], count, set);
	for (size_t i = 0; i < nr; i++) {
		int32_t ids[2] = { keys[i].kstack_id, keys[i].ustack_id };

		bpf_map_delete_elem(counts_fd, &keys[i]);
		for (int s = 0; s < 2; s++) {
			if (ids[s] >= 0) {
				int fd = perf__stack_fd(p, set, &ids[s]);

				bpf_map_delete_elem(fd, &ids[s]);
			}
		}
	}
	free(keys);
	p->drains++;
	f->events = p->samples;
	f->drops = p->drops_before + p->skel->bss->nr_drops;
	return err;
}

static void perf__detach(struct perf *p)
{
	for (int i = 0; i < p->nr_links; i++)
		bpf_link__destroy(p->links[i]);
	free(p->links);
	p->links = NULL;
	p->nr_links = 0;
}

/* One sampling event per online CPU (or the one CPU asked for), each running the program. */
static int perf__attach(struct perf *p, const struct hld_perf_settings *s)
{
	static bool online[PERF_MAX_CPUS];
	int n, err;

	n = bpf_util__online_cpus(online, PERF_MAX_CPUS);
	if (n < 0)
		return n;
	p->links = calloc(n, sizeof(*p->links));
	if (!p->links)
		return -ENOMEM;
	for (int cpu = 0; cpu < PERF_MAX_CPUS && p->nr_links < n; cpu++) {
		struct bpf_link *link;
		int fd;

		if (!online[cpu] || (s->cpu >= 0 && cpu != s->cpu))
			continue;
		fd = perf__open_event(cpu, s->freq);
		if (fd == -ENODEV)	/* went offline since */
			continue;
		if (fd < 0)
			return fd;
		link = bpf_program__attach_perf_event(p->skel->progs.profile_sample, fd);
		if (!link) {
			err = -errno;
			close(fd);
			return err;
		}
		p->links[p->nr_links++] = link;
	}
	if (!p->nr_links)
		return -ENODEV;	/* settings.cpu is not online */
	p->nr_cpus = p->nr_links;
	return 0;
}

/*
 * How long a map set collects before it is drained: PERF_DRAIN_MS, shorter
 * when more than PERF_DRAIN_SAMPLES samples would arrive in it. A stack id
 * is a hash bucket; a new stack whose bucket holds another live stack is
 * lost (-EEXIST), so fewer live stacks per set means fewer such drops.
 */
static uint64_t perf__drain_ms(uint64_t freq, int nr_cpus)
{
	uint64_t rate = freq * (nr_cpus > 0 ? nr_cpus : 1);	/* samples per second */
	uint64_t ms = PERF_DRAIN_MS;

	if (rate * PERF_DRAIN_MS > PERF_DRAIN_SAMPLES * 1000ull)
		ms = PERF_DRAIN_SAMPLES * 1000ull / rate;
	return ms < PERF_DRAIN_MIN_MS ? PERF_DRAIN_MIN_MS : ms;
}

static int perf_activate(struct diag_feature *f)
{
	const struct hld_perf_settings *s = f->settings;
	struct perf *p = f->priv;
	int err;

	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		f->priv = p;
		p->folded = folded__new();
		p->usyms = usyms__new();
		if (!p->folded || !p->usyms)
			return -ENOMEM;
		p->ksyms = ksyms__load();	/* NULL: kernel frames become [kernel] */
	}
	f->kernel_cost_in_thread = false;
	p->skel = profile_bpf__open();
	if (!p->skel)
		return -errno;
	p->skel->rodata->targ_pid = s->pid;
	p->skel->rodata->targ_tgid = s->tgid;
	p->skel->rodata->targ_cpu = s->cpu;
	memcpy((char *)p->skel->rodata->targ_comm, s->comm, HLD_COMM_LEN);
	((char *)p->skel->rodata->targ_comm)[HLD_COMM_LEN - 1] = '\0';
	p->skel->rodata->want_kernel = !!s->kernel;
	p->skel->rodata->want_user = !!s->user;
	err = profile_bpf__load(p->skel);
	if (err)
		goto out_destroy;
	err = perf__attach(p, s);
	if (err)
		goto out_detach;
	p->pending = -1;
	p->drain_ns = perf__drain_ms(s->freq, p->nr_cpus) * NS_PER_MS;
	p->next_flip_ns = bpf_util__now_ns() + p->drain_ns;
	return 0;

out_detach:
	perf__detach(p);
out_destroy:
	profile_bpf__destroy(p->skel);
	p->skel = NULL;
	return err < 0 ? err : -EINVAL;
}

/*
 * Every drain period switch the program to the other map set; one poll
 * (10 ms) later, when no sample can still be writing to it, drain the old one.
 */
static int perf_poll(struct diag_feature *f)
{
	struct perf *p = f->priv;
	uint64_t now;
	int err = 0;

	if (!p || !p->skel)
		return 0;
	now = bpf_util__now_ns();
	if (p->pending >= 0) {
		err = perf__drain(f, p, p->pending);
		p->pending = -1;
	}
	if (now >= p->next_flip_ns) {
		p->pending = p->skel->bss->active;
		p->skel->bss->active = !p->pending;
		p->next_flip_ns = now + p->drain_ns;
	}
	return err;
}

static int perf_deactivate(struct diag_feature *f)
{
	struct perf *p = f->priv;
	int err;

	if (!p || !p->skel)
		return 0;
	perf__detach(p);
	err = perf__drain(f, p, 0);
	if (!err)
		err = perf__drain(f, p, 1);
	p->pending = -1;
	bpf_util__prog_stats(bpf_program__fd(p->skel->progs.profile_sample),
			     &f->kernel_run_ns, &f->kernel_run_cnt);
	p->drops_before += p->skel->bss->nr_drops;
	p->seen_before += p->skel->bss->nr_samples;
	p->drop_kstack += p->skel->bss->nr_drop_kstack;
	p->drop_ustack += p->skel->bss->nr_drop_ustack;
	p->drop_count += p->skel->bss->nr_drop_count;
	if (p->skel->bss->last_stack_err)
		p->last_stack_err = p->skel->bss->last_stack_err;
	profile_bpf__destroy(p->skel);
	p->skel = NULL;
	return err;
}

static int perf_report(struct diag_feature *f, const struct diag_outputs *out)
{
	const struct hld_perf_settings *s = f->settings;
	struct perf *p = f->priv;
	bool restricted = !p || !p->ksyms || ksyms__restricted(p->ksyms);
	char path[PATH_MAX];
	int err = 0;
	FILE *o;

	snprintf(path, sizeof(path), "%s/perf.folded", out->dir);
	o = fopen(path, "we");
	if (!o)
		return -errno;
	if (p && p->folded)
		err = folded__write(p->folded, o);
	if (fclose(o) && !err)
		err = -errno;

	json__uint(out->json, "samples", p ? p->samples : 0);
	json__uint(out->json, "drops", p ? p->drops_before : 0);
	json__uint(out->json, "samples_seen", p ? p->seen_before : 0);
	json__begin_object(out->json, "drops_by_cause");
	json__uint(out->json, "kernel_stack", p ? p->drop_kstack : 0);
	json__uint(out->json, "user_stack", p ? p->drop_ustack : 0);
	json__uint(out->json, "count_map_full", p ? p->drop_count : 0);
	json__int(out->json, "last_stack_errno", p ? -p->last_stack_err : 0);
	json__end_object(out->json);
	json__uint(out->json, "unique_stacks", p && p->folded ? folded__nr_stacks(p->folded) : 0);
	json__uint(out->json, "freq", s->freq);
	json__uint(out->json, "cpus", p ? p->nr_cpus : 0);
	json__bool(out->json, "kernel_symbols_restricted", restricted);
	json__uint(out->json, "drain_ms", p ? p->drain_ns / NS_PER_MS : 0);
	/* Includes the cheap runs for samples the filters rejected. */
	json__double(out->json, "bpf_run_ns_per_sample", f->kernel_run_cnt ?
		     (double)f->kernel_run_ns / f->kernel_run_cnt : NAN);

	diag_feature__set_metric(f, "samples", p ? p->samples : 0);
	diag_feature__set_metric(f, "drops", p ? p->drops_before : 0);
	return err;
}

static void perf_free(struct diag_feature *f)
{
	struct perf *p = f->priv;

	if (!p)
		return;
	perf_deactivate(f);
	if (p->ksyms)
		ksyms__free(p->ksyms);
	if (p->usyms)
		usyms__free(p->usyms);
	if (p->folded)
		folded__free(p->folded);
	free(p->stack);
	free(p);
	f->priv = NULL;
}

const struct diag_ops bpf_perf_ops = {
	.id = DIAG_perf,
	.probe = perf_probe,
	.activate = perf_activate,
	.poll = perf_poll,
	.deactivate = perf_deactivate,
	.report = perf_report,
	.free = perf_free,
};
