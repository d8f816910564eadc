// SPDX-License-Identifier: GPL-2.0
/*
 * profile.c - perf, user side: opens a cpu-clock sampling event per CPU and
 * attaches profile.bpf.c to each. Samples are counted in the kernel, keyed
 * by (task, CPU, stack ids), and stay there until a report drains them:
 * report() flips the generation, waits for a grace period and folds the old
 * generation's counts into perf.folded, naming frames then. Nothing is
 * copied out per sample and nothing is drained on a timer, so the sampled
 * CPUs pay only the BPF program and the poll thread almost nothing.
 *
 * Persistent activation (`hldbench diag perf --activate`): maps and the
 * perf_event links are pinned; a later process reopens the maps and reports.
 * Processes that exited before the report are named from what the BPF
 * program recorded about their executable (struct perf_proc).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "diag.h"
#include "folded.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "perf-report.h"
#include "profile.bpf.h"
#include "profile.h"
#include "profile.skel.h"
#include "syms.h"
#include "ustack-files.bpf.h"

#define NS_PER_MS	1000000ull
#define PERF_DRAIN_KEYS	4096		/* in-process: drain a set this full early */
#define PERF_SCAN_MS	1000		/* in-process: new processes snapshot at most this often */
#define PERF_SCAN_MAX	64		/* ... and at most this many per scan */
#define PERF_MAX_CPUS	8192
#define PERF_MAX_REFRESH 64		/* tgids whose maps are re-read per drain */
#define PERF_FRAME_LEN	256

/* Counters the program keeps in .bss, summed over the skeletons of a run. */
struct perf_counts {
	uint64_t seen, drops, kstack, ustack, count_full, proc_fail;
};

struct perf {
	struct profile_bpf *skel;
	struct bpf_link **links;
	int *fds;			/* their perf events (the links own them) */
	int nr_links;
	bool pinned;			/* a persistent activation: its links are pinned */
	struct ksyms *ksyms;		/* NULL if /proc/kallsyms cannot be read */
	struct usyms *usyms;
	struct folded *folded;		/* stacks drained since the last report */
	uint64_t samples;		/* samples in folded */
	struct perf_counts before;	/* ended phases of an in-process run */
	int64_t last_stack_err;
	uint64_t drains;
	uint64_t exe_only;		/* processes named from their executable alone */
	uint64_t no_maps;		/* processes with neither maps nor executable */
	uint64_t procs_seen;		/* skel->bss->nr_procs_added at the last scan */
	uint64_t next_scan_ns;
	uint64_t run_ns, run_cnt;	/* program stats already added to the feature */
	int nr_cpus;
	/* per-drain scratch */
	pid_t refreshed[PERF_MAX_REFRESH];
	int nr_refreshed;
	char *stack;
	size_t stack_cap;
};

/* See profile.h: frequency mode, which the kernel turns into a fixed hrtimer period. */
int profile__open_clock(int cpu, uint64_t freq)
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

/* Usable if BPF works, a cpu-clock event opens and the program loads. */
static int perf_probe(char *why, size_t len)
{
	struct profile_bpf *skel;
	int err, fd;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	fd = profile__open_clock(0, 99);
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

/* The program's counters of the current skeleton, plus those of ended phases. */
static void perf__counts(const struct perf *p, struct perf_counts *c)
{
	*c = p->before;
	if (!p->skel)
		return;
	c->seen += p->skel->bss->nr_samples;
	c->drops += p->skel->bss->nr_drops;
	c->kstack += p->skel->bss->nr_drop_kstack;
	c->ustack += p->skel->bss->nr_drop_ustack;
	c->count_full += p->skel->bss->nr_drop_count;
	c->proc_fail += p->skel->bss->nr_proc_fail;
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

/*
 * Describe exited process @tgid by the executable the program recorded
 * for it; its path is the one the program kept in ustack_paths.
 */
static int perf__add_exe(struct perf *p, pid_t tgid)
{
	struct ustack_file_id id = { 0 };
	struct perf_proc pp;
	char path[PATH_MAX];
	struct usyms_exe exe;
	uint32_t key = tgid;
	int err;

	if (!p->skel || bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.procs), &key, &pp) ||
	    !pp.path_kept)
		return -ENOENT;
	id.ino = pp.ino;
	id.dev = pp.dev;
	err = ustack_files__path(bpf_map__fd(p->skel->maps.ustack_paths), &id, path, sizeof(path));
	if (err)
		return err;
	exe = (struct usyms_exe){
		.path = path, .major = pp.dev >> 20, .minor = pp.dev & 0xfffff, .ino = pp.ino,
		.start = pp.start_code, .end = pp.end_code,
	};
	return usyms__add_exe(p->usyms, tgid, &exe);
}

/*
 * Make @tgid known to the symbolizer: its mappings while it lives, else
 * (it exited) its executable as the program recorded it.
 */
static void perf__know(struct perf *p, pid_t tgid)
{
	if (usyms__has_pid(p->usyms, tgid))
		return;
	if (!usyms__add_pid(p->usyms, tgid, false))
		return;
	if (!perf__add_exe(p, tgid))
		p->exe_only++;
	else
		p->no_maps++;
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

/* The map holding stack @id of set @set (main, spill or leaf map), and the id within it. */
static int perf__stack_fd(struct perf *p, int set, int32_t *id)
{
	if (*id >= PERF_LEAF_BASE) {
		*id -= PERF_LEAF_BASE;
		return bpf_map__fd(set ? p->skel->maps.leaf1 : p->skel->maps.leaf0);
	}
	if (*id >= PERF_SPILL_BASE) {
		*id -= PERF_SPILL_BASE;
		return bpf_map__fd(set ? p->skel->maps.spill1 : p->skel->maps.spill0);
	}
	return bpf_map__fd(set ? p->skel->maps.stacks1 : p->skel->maps.stacks0);
}

/*
 * Frames of stack @id in set @set, innermost first (the stack maps
 * zero-fill the tail; a leaf map value is one frame); 0 if there is none.
 */
static int perf__read_stack(struct perf *p, int set, int32_t id, uint64_t *ips)
{
	int n, fd;

	if (id < 0)
		return 0;
	fd = perf__stack_fd(p, set, &id);
	memset(ips, 0, HLD_MAX_STACK * sizeof(*ips));
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
	if (n)
		perf__know(p, k->tgid);
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
static int perf__drain(struct perf *p, int set)
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
	p->skel->bss->nr_keys[set] = 0;
	p->drains++;
	return err;
}

/*
 * Switch the program to the other map set, wait until no run can still be
 * writing the old one, and drain it: every sample counted before the call,
 * none twice.
 */
static int perf__flip_drain(struct perf *p)
{
	int old = p->skel->bss->active & 1, err;

	p->skel->bss->active = !old;
	err = bpf_util__grace_period();
	if (err)
		return err;
	return perf__drain(p, old);
}

/* Detach the links this process owns (pinned links are not ours). */
static void perf__detach(struct perf *p)
{
	for (int i = 0; i < p->nr_links; i++)
		bpf_link__destroy(p->links[i]);
	free(p->links);
	free(p->fds);
	p->links = NULL;
	p->fds = NULL;
	p->nr_links = 0;
}

/*
 * Pin @link as @dir/link_cpu<cpu> and let go of it here: the pin keeps the
 * program attached and the perf event (which the link holds) alive. The
 * link is disconnected first because destroying a perf link would also
 * disable its perf event.
 */
static int perf__pin_link(struct bpf_link *link, int event_fd, const char *dir, int cpu)
{
	char name[32];
	int err;

	snprintf(name, sizeof(name), "link_cpu%d", cpu);
	err = bpf_util__pin_link(link, dir, name);
	if (err)
		return err;
	bpf_link__disconnect(link);
	close(bpf_link__fd(link));
	close(event_fd);
	bpf_link__destroy(link);
	return 0;
}

/* One sampling event per online CPU (or the one CPU asked for), each running the program. */
static int perf__attach(struct perf *p, const struct hld_perf_settings *s, const char *pin_dir)
{
	static bool online[PERF_MAX_CPUS];
	int n, err;

	n = bpf_util__online_cpus(online, PERF_MAX_CPUS);
	if (n < 0)
		return n;
	p->links = calloc(n, sizeof(*p->links));
	p->fds = calloc(n, sizeof(*p->fds));
	if (!p->links || !p->fds)
		return -ENOMEM;
	p->nr_cpus = 0;
	for (int cpu = 0; cpu < PERF_MAX_CPUS && p->nr_cpus < n; cpu++) {
		struct bpf_link *link;
		int fd;

		if (!online[cpu] || (s->cpu >= 0 && cpu != s->cpu))
			continue;
		fd = profile__open_clock(cpu, s->freq);
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
		p->nr_cpus++;
		if (pin_dir) {
			err = perf__pin_link(link, fd, pin_dir, cpu);
			if (err) {
				bpf_link__destroy(link);
				return err;
			}
		} else {
			p->fds[p->nr_links] = fd;
			p->links[p->nr_links++] = link;
		}
	}
	return p->nr_cpus ? 0 : -ENODEV;	/* settings.cpu is not online */
}

/* See profile.h: the events stay attached, only their hrtimers stop. */
int profile__enable(struct diag_feature *f, bool on)
{
	struct perf *p = f->ops == &bpf_perf_ops ? f->priv : NULL;

	if (!p || !p->nr_links)
		return -ENOTSUP;
	for (int i = 0; i < p->nr_links; i++)
		if (ioctl(p->fds[i], on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE, 0))
			return -errno;
	return 0;
}

/* The private state, allocated on first use. */
static struct perf *perf__get(struct diag_feature *f)
{
	struct perf *p = f->priv;

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	f->priv = p;
	p->folded = folded__new();
	p->usyms = usyms__new();
	if (!p->folded || !p->usyms)
		return NULL;
	usyms__defer(p->usyms, true);	/* snapshots in the poll thread: maps only */
	p->ksyms = ksyms__load();	/* NULL: kernel frames become [kernel] */
	return p;
}

/*
 * Open and load the skeleton: with @s's settings compiled in (a new
 * activation), or as pinned (@s NULL: the settings are in the pinned
 * .rodata). With @pin_dir the maps are pinned there, or reused if they are.
 */
static int perf__load(struct perf *p, const struct hld_perf_settings *s, const char *pin_dir)
{
	int err;

	p->skel = profile_bpf__open();
	if (!p->skel)
		return -errno;
	if (s) {
		p->skel->rodata->targ_pid = s->pid;
		p->skel->rodata->targ_tgid = s->tgid;
		p->skel->rodata->targ_cpu = s->cpu;
		memcpy((char *)p->skel->rodata->targ_comm, s->comm, HLD_COMM_LEN);
		((char *)p->skel->rodata->targ_comm)[HLD_COMM_LEN - 1] = '\0';
		p->skel->rodata->want_kernel = !!s->kernel;
		p->skel->rodata->want_user = !!s->user;
	}
	err = pin_dir ? bpf_util__pin_maps(p->skel->obj, pin_dir) : 0;
	if (!err)
		err = profile_bpf__load(p->skel);
	if (err) {
		profile_bpf__destroy(p->skel);
		p->skel = NULL;
		return err < 0 ? err : -EINVAL;
	}
	return 0;
}

/*
 * Load the program with the settings compiled in and attach it to a
 * sampling event per CPU; with f->pin_dir, pin the maps and the links so
 * that the activation outlives this process.
 */
static int perf_activate(struct diag_feature *f)
{
	const struct hld_perf_settings *s = f->settings;
	struct perf *p = perf__get(f);
	int err;

	if (!p)
		return -ENOMEM;
	f->kernel_cost_in_thread = false;
	p->pinned = f->pin_dir != NULL;
	err = perf__load(p, s, f->pin_dir);
	if (err)
		return err;
	err = perf__attach(p, s, f->pin_dir);
	if (err) {
		perf__detach(p);
		profile_bpf__destroy(p->skel);
		p->skel = NULL;
		return err;
	}
	p->run_ns = p->run_cnt = 0;
	p->procs_seen = 0;
	p->next_scan_ns = bpf_util__now_ns();
	return 0;
}

/*
 * Attach to a persistent activation: load with the pinned maps reused and
 * attach nothing, so that report() drains what the pinned program counted.
 */
static int perf_reopen(struct diag_feature *f)
{
	struct perf *p = perf__get(f);
	struct dirent *e;
	DIR *d;

	if (!p)
		return -ENOMEM;
	p->pinned = true;
	/* The CPUs sampled: one pinned link each. */
	d = opendir(f->pin_dir);
	if (!d)
		return -errno;
	while ((e = readdir(d)))
		p->nr_cpus += !strncmp(e->d_name, "link_cpu", 8);
	closedir(d);
	return perf__load(p, NULL, f->pin_dir);
}

/*
 * Snapshot the mappings of processes sampled for the first time, while
 * they live, so that their shared libraries' frames are named even if they
 * exit before the report. Costs nothing until the program records a new
 * process, and scans at most every PERF_SCAN_MS.
 */
static void perf__scan_procs(struct perf *p)
{
	int fd = bpf_map__fd(p->skel->maps.procs), added = 0;
	uint64_t now = bpf_util__now_ns(), nr = p->skel->bss->nr_procs_added;
	uint32_t key, next;

	if (nr == p->procs_seen || now < p->next_scan_ns)
		return;
	p->procs_seen = nr;
	p->next_scan_ns = now + PERF_SCAN_MS * NS_PER_MS;
	for (void *prev = NULL; !bpf_map_get_next_key(fd, prev, &next) && added < PERF_SCAN_MAX;
	     prev = &key) {
		key = next;
		if (!usyms__has_pid(p->usyms, next) && !usyms__add_pid(p->usyms, next, false))
			added++;
	}
}

/*
 * In-process activations only: drain a map set early when it fills (fewer
 * stack-id collisions and no full count map), and snapshot new processes.
 * Both are a read of the program's .bss unless there is work to do.
 */
static int perf_poll(struct diag_feature *f)
{
	struct perf *p = f->priv;
	int err = 0;

	if (!p || !p->skel || p->pinned)
		return 0;
	if (p->skel->bss->nr_keys[p->skel->bss->active & 1] >= PERF_DRAIN_KEYS)
		err = perf__flip_drain(p);
	if (p->skel->rodata->want_user)
		perf__scan_procs(p);
	return err;
}

/* Add the program's run time since the last call to @f. */
static void perf__prog_stats(struct diag_feature *f, struct perf *p)
{
	uint64_t ns = 0, cnt = 0;

	bpf_util__prog_stats(bpf_program__fd(p->skel->progs.profile_sample), &ns, &cnt);
	if (ns >= p->run_ns && cnt >= p->run_cnt) {
		f->kernel_run_ns += ns - p->run_ns;
		f->kernel_run_cnt += cnt - p->run_cnt;
		p->run_ns = ns;
		p->run_cnt = cnt;
	}
}

/*
 * End of a phase: detach, drain both sets into the folded stacks, keep the
 * program's counters and unload. A persistent activation's links are pinned
 * and its maps hold the samples for the next report: only unload.
 */
static int perf_deactivate(struct diag_feature *f)
{
	struct perf *p = f->priv;
	struct perf_counts c;
	int err = 0;

	if (!p || !p->skel)
		return 0;
	perf__detach(p);
	perf__prog_stats(f, p);
	if (!p->pinned) {
		err = perf__drain(p, 0);
		if (!err)
			err = perf__drain(p, 1);
		perf__counts(p, &c);
		p->before = c;
		if (p->skel->bss->last_stack_err)
			p->last_stack_err = p->skel->bss->last_stack_err;
	}
	profile_bpf__destroy(p->skel);
	p->skel = NULL;
	return err;
}

/*
 * Drain what was counted since the last report (a live skeleton: flip the
 * generation first) and write perf.folded and perf.txt; the folded stacks
 * are then forgotten, so the next report starts afresh.
 */
static int perf_report(struct diag_feature *f, const struct diag_outputs *out)
{
	const struct hld_perf_settings *s = f->settings;
	struct perf *p = perf__get(f);
	struct perf_summary sum;
	struct perf_loss loss;
	struct perf_counts c;
	int err = 0, e;

	if (!p)
		return -ENOMEM;
	if (p->skel) {
		err = perf__flip_drain(p);
		perf__prog_stats(f, p);
		if (p->skel->bss->last_stack_err)
			p->last_stack_err = p->skel->bss->last_stack_err;
	}
	perf__counts(p, &c);
	loss = (struct perf_loss){ .seen = c.seen, .drops = c.drops, .kstack = c.kstack,
				   .ustack = c.ustack, .count_full = c.count_full };
	sum = (struct perf_summary){ .samples = p->samples, .freq = s->freq,
				     .nr_cpus = p->nr_cpus, .exe_only = p->exe_only,
				     .no_maps = p->no_maps,
				     .restricted = !p->ksyms || ksyms__restricted(p->ksyms) };
	e = perf_report__out(f, out, p->folded, &sum, &loss);
	err = err ? err : e;
	json__int(out->json, "last_stack_errno", -p->last_stack_err);
	json__uint(out->json, "executables_not_recorded", c.proc_fail);
	json__uint(out->json, "drains", p->drains);
	/* Includes the cheap runs for samples the filters rejected. */
	json__double(out->json, "bpf_run_ns_per_sample", f->kernel_run_cnt ?
		     (double)f->kernel_run_ns / f->kernel_run_cnt : NAN);
	folded__free(p->folded);
	p->folded = folded__new();
	p->samples = 0;
	p->exe_only = p->no_maps = 0;
	if (!p->folded && !err)
		err = -ENOMEM;
	return err;
}

/* Unload (a persistent activation stays pinned) and free the symbol tables. */
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
	.reopen = perf_reopen,
	.free = perf_free,
};
