// SPDX-License-Identifier: GPL-2.0
/*
 * tracepoint.c - tracepoint and kprobe, user side: counts the hits of any
 * named tracepoint, or of any kernel function (kprobe), with their kernel
 * and user stacks. tracepoint is the nearest real thing to kprobe on a
 * kernel without CONFIG_KPROBES.
 *
 * A tracepoint's name is resolved against the kernel's BTF (tracepoint.h)
 * and the one raw tracepoint program of tracepoint.bpf.c is attached to it
 * by name; a function's name is checked against /proc/kallsyms (kprobe.c)
 * and the program's kprobe twin is attached to its entry. Then the two
 * features are the same: a drain moves what the program counted in one
 * generation into user-side totals and folded stacks, every TP_DRAIN_MS
 * while a phase is polled (so user stacks are named while their processes
 * live), at deactivation, and at each report, which then starts the totals
 * afresh. report() writes FEATURE.txt, FEATURE.json and FEATURE.folded
 * with the code the kernel-module backend shares (harness/tracepoint-report.c).
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "diag.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "syscall-names.h"
#include "tracepoint.bpf.h"
#include "tracepoint-report.h"
#include "tracepoint.h"
#include "tracepoint.skel.h"
#include "ustack-files.bpf.h"

#define TP_DRAIN_MS		500	/* drain period while polled */
#define TP_SUGGESTIONS		4
#define TP_EVENTS_DIR		"/sys/kernel/tracing/events"
#define TP_LINK			"link_tp"

struct tracepoint {
	struct tp_report rep;		/* totals drained since the last report */
	struct tracepoint_bpf *skel;
	struct bpf_program *prog;	/* tp_hit, or kp_hit for a kprobe */
	struct bpf_link *link;
	uint64_t run_ns, run_cnt;	/* program stats already added to the feature */
	uint64_t next_drain_ns;
};

/* --- name resolution ------------------------------------------------------ */

/* The x86_64 number of syscall @name, or -1. */
static int64_t tracepoint__sysnr(const char *name)
{
	size_t n = sizeof(syscall_names_x86_64) / sizeof(syscall_names_x86_64[0]);

	for (size_t nr = 0; nr < n; nr++)
		if (syscall_names_x86_64[nr] && !strcmp(syscall_names_x86_64[nr], name))
			return nr;
	return -1;
}

int tracepoint__distance(const char *a, const char *b, int cap)
{
	int la = strlen(a), lb = strlen(b), row[TP_NAME_LEN + 1];

	if (la > TP_NAME_LEN || lb > TP_NAME_LEN || abs(la - lb) > cap)
		return cap + 1;
	for (int j = 0; j <= lb; j++)
		row[j] = j;
	for (int i = 1; i <= la; i++) {
		int diag = row[0], best;

		row[0] = i;
		best = row[0];
		for (int j = 1; j <= lb; j++) {
			int up = row[j], v = diag + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < v)
				v = row[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diag = up;
			if (v < best)
				best = v;
		}
		if (best > cap)
			return cap + 1;
	}
	return row[lb];
}

/*
 * Look @raw up among the btf_trace_<name> typedefs of the kernel BTF @btf.
 * If it is not there, write into @near (of @len bytes) up to
 * TP_SUGGESTIONS names that come close: within two edits, or containing
 * @raw. Returns whether it exists.
 */
static bool tracepoint__in_btf(const struct btf *btf, const char *raw, char *near, size_t len)
{
	char want[TP_NAME_LEN + 16];
	int found = 0;
	size_t n = 0;

	snprintf(want, sizeof(want), "btf_trace_%s", raw);
	if (btf__find_by_name_kind(btf, want, BTF_KIND_TYPEDEF) > 0)
		return true;
	near[0] = '\0';
	for (__u32 id = 1; id < btf__type_cnt(btf) && found < TP_SUGGESTIONS; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;

		if (!btf_is_typedef(t))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (!name || strncmp(name, "btf_trace_", 10))
			continue;
		name += 10;
		if (!strstr(name, raw) && tracepoint__distance(raw, name, 2) > 2)
			continue;
		n += snprintf(near + n, n < len ? len - n : 0, "%s%s", found ? ", " : "", name);
		found++;
	}
	return false;
}

/*
 * With tracefs mounted, the subsystem of "subsys:event" can be checked:
 * 0 if events/@subsys/@event exists, or if tracefs is not there (nothing
 * to check against), or if no subsystem has @event (a tracepoint without a
 * trace event); -ENOENT if another subsystem has it, named in @other.
 */
static int tracepoint__check_subsys(const char *subsys, const char *event, char *other,
				    size_t len)
{
	char path[PATH_MAX];
	struct stat st;
	glob_t g;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s/%s", TP_EVENTS_DIR, subsys, event);
	if (!stat(path, &st) || stat(TP_EVENTS_DIR, &st))
		return 0;
	snprintf(path, sizeof(path), "%s/*/%s", TP_EVENTS_DIR, event);
	if (!glob(path, GLOB_ONLYDIR, NULL, &g) && g.gl_pathc) {
		const char *p = g.gl_pathv[0] + strlen(TP_EVENTS_DIR) + 1;

		snprintf(other, len, "%.*s", (int)strcspn(p, "/"), p);
		err = -ENOENT;
	}
	globfree(&g);
	return err;
}

/*
 * Split "subsys:event", map syscalls:sys_{enter,exit}_NAME to sys_enter or
 * sys_exit and a syscall number, and check the raw name in the kernel BTF
 * (then the subsystem, if tracefs can tell).
 */
int tracepoint__resolve(const char *name, struct tp_target *t, char *why, size_t len)
{
	static const char where[] = "the names are the btf_trace_<name> types in "
		"/sys/kernel/btf/vmlinux ('bpftool btf dump file /sys/kernel/btf/vmlinux | "
		"grep -o \"btf_trace_[a-z0-9_]*\"'), or with tracefs mounted "
		"/sys/kernel/tracing/available_events";
	char subsys[TP_NAME_LEN] = "", event[TP_NAME_LEN], near[256], other[TP_NAME_LEN];
	const char *colon = strchr(name, ':');
	struct btf *btf;
	bool found;
	int err;

	memset(t, 0, sizeof(*t));
	t->sysnr = -1;
	if (!name[0]) {
		snprintf(why, len, "name: required: a tracepoint as subsys:event "
			 "(name=sched:sched_switch) or its raw name (name=sched_switch); %s", where);
		return -EINVAL;
	}
	if (colon) {
		snprintf(subsys, sizeof(subsys), "%.*s", (int)(colon - name), name);
		snprintf(event, sizeof(event), "%s", colon + 1);
	} else {
		snprintf(event, sizeof(event), "%s", name);
	}
	if (strlen(name) >= TP_NAME_LEN || (colon && (!subsys[0] || !event[0])) ||
	    strchr(event, ':') || strchr(event, '/')) {
		snprintf(why, len, "name: '%s' is not a tracepoint name: use subsys:event "
			 "(sched:sched_switch) or a raw name (sched_switch)", name);
		return -EINVAL;
	}
	snprintf(t->raw, sizeof(t->raw), "%s", event);
	if (!strcmp(subsys, "syscalls") && (!strncmp(event, "sys_enter_", 10) ||
					    !strncmp(event, "sys_exit_", 9))) {
		t->sys_exit = !strncmp(event, "sys_exit_", 9);
		t->sysnr = tracepoint__sysnr(event + (t->sys_exit ? 9 : 10));
		if (t->sysnr < 0) {
			snprintf(why, len, "name: %s: no x86_64 syscall '%s' (names as in "
				 "asm/unistd_64.h, e.g. syscalls:sys_enter_getppid)", name,
				 event + (t->sys_exit ? 9 : 10));
			return -ENOENT;
		}
		snprintf(t->raw, sizeof(t->raw), "%s", t->sys_exit ? "sys_exit" : "sys_enter");
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		err = -errno;
		snprintf(why, len, "name: cannot read the kernel BTF to look up %s: %s", name,
			 strerror(-err));
		return err;
	}
	found = tracepoint__in_btf(btf, t->raw, near, sizeof(near));
	btf__free(btf);
	if (!found) {
		snprintf(why, len, "name: no tracepoint '%s' on this kernel%s%s%s; %s", t->raw,
			 near[0] ? " (did you mean " : "", near, near[0] ? "?)" : "", where);
		return -ENOENT;
	}
	if (subsys[0] && t->sysnr < 0 && tracepoint__check_subsys(subsys, event, other, sizeof(other))) {
		snprintf(why, len, "name: %s is in subsystem %s, not %s: name=%s:%s", event,
			 other, subsys, other, event);
		return -ENOENT;
	}
	return 0;
}

/* The settings' name, which need not be NUL-terminated, must resolve. */
int tracepoint__check(const void *settings, char *why, size_t len)
{
	const struct hld_tracepoint_settings *s = settings;
	struct tp_target t;
	char name[sizeof(s->name) + 1];

	snprintf(name, sizeof(name), "%.*s", (int)sizeof(s->name), s->name);
	return tracepoint__resolve(name, &t, why, len);
}

/* --- draining ------------------------------------------------------------- */

/* Frames of stack @id of generation @g, innermost first; 0 if there is none. */
static int tracepoint__read_stack(struct tracepoint *tp, uint32_t g, int32_t id, uint64_t *ips)
{
	struct bpf_map *m = g ? tp->skel->maps.stacks1 : tp->skel->maps.stacks0;
	int n;

	if (id >= TP_STACK_ENTRIES) {
		m = g ? tp->skel->maps.spill1 : tp->skel->maps.spill0;
		id -= TP_STACK_ENTRIES;
	}
	if (id < 0 || bpf_map_lookup_elem(bpf_map__fd(m), &id, ips))
		return 0;
	for (n = 0; n < HLD_MAX_STACK && ips[n]; n++)
		;
	return n;
}

/* The ufiles of the key being folded, read at its first unnamed user frame. */
struct tp_fold_files {
	struct tracepoint *tp;
	struct tp_ufiles_key uk;
	struct ustack_files uf;
	bool tried, have;
};

/* Name user frame @i from the file the program noted for it (see tracepoint__fold). */
static const char *tracepoint__ufile(void *ctx, int i, char *buf, size_t len)
{
	struct tp_fold_files *ff = ctx;
	struct tracepoint *tp = ff->tp;

	if (!ff->tried) {
		ff->tried = true;
		ff->have = !bpf_map_lookup_elem(bpf_map__fd(tp->skel->maps.ufiles), &ff->uk, &ff->uf);
	}
	if (!ff->have)
		return NULL;
	return ustack_files__symbol(&ff->uf, i, bpf_map__fd(tp->skel->maps.ustack_paths),
				    tp->rep.usyms, buf, len);
}

/*
 * Fold one key into "comm;user outer..inner;kernel outer..inner_[k]" and
 * add @count to it (tracepoint-report.c leaves out the leading kernel
 * frames of the BPF program and the tracepoint's call into it). A stack
 * asked for but lost is one frame, "[user stack lost]" or
 * "[kernel stack lost]_[k]", so the counts still add up. A user frame the
 * process's maps cannot name (it exited before this drain) is named from
 * the file the program noted for it in ufiles.
 */
static int tracepoint__fold(struct tracepoint *tp, const struct tp_key *k, uint64_t count)
{
	static struct tp_fold_files ff;
	char comm[TP_COMM_LEN + 1];
	uint64_t ips[HLD_MAX_STACK];
	int n, err;

	memset(&ff, 0, sizeof(ff));
	ff.tp = tp;
	ff.uk.gen = k->gen;
	ff.uk.tgid = k->tgid;
	ff.uk.ustack_id = k->ustack_id;
	memcpy(comm, k->comm, TP_COMM_LEN);
	comm[TP_COMM_LEN] = '\0';
	err = tp_report__begin(&tp->rep, comm);
	if (!err && k->ustack_id == TP_STACK_LOST)
		err = tp_report__frame(&tp->rep, "[user stack lost]", "");
	n = tracepoint__read_stack(tp, k->gen, k->ustack_id, ips);
	if (!err)
		err = tp_report__user(&tp->rep, k->tgid, ips, n, tracepoint__ufile, &ff);
	if (!err && k->kstack_id == TP_STACK_LOST)
		err = tp_report__frame(&tp->rep, "[kernel stack lost]", "_[k]");
	n = tracepoint__read_stack(tp, k->gen, k->kstack_id, ips);
	if (!err)
		err = tp_report__kernel(&tp->rep, ips, n);
	return err ? err : tp_report__end(&tp->rep, k->tgid, comm, count);
}

/* Add generation @g's per-CPU hits to the totals, and zero them. */
static int tracepoint__drain_hits(struct tracepoint *tp, uint32_t g)
{
	int fd = bpf_map__fd(tp->skel->maps.hits), err = 0, nr_cpus = tp->rep.nr_cpus;
	uint64_t *vals = calloc(nr_cpus, sizeof(*vals));

	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &g, vals)) {
		err = -errno;
		goto out;
	}
	for (int c = 0; c < nr_cpus; c++) {
		tp->rep.cpu_hits[c] += vals[c];
		tp->rep.hits += vals[c];
	}
	memset(vals, 0, nr_cpus * sizeof(*vals));
	if (bpf_map_update_elem(fd, &g, vals, BPF_ANY))
		err = -errno;
out:
	free(vals);
	return err;
}

/* Delete every stack in @m. */
static void tracepoint__empty(struct bpf_map *m)
{
	int fd = bpf_map__fd(m);
	uint32_t id;

	while (!bpf_map_get_next_key(fd, NULL, &id))
		if (bpf_map_delete_elem(fd, &id))
			break;
}

/* Delete the ufiles rows of generation @g (collected first: deleting restarts a walk). */
static void tracepoint__empty_ufiles(struct tracepoint *tp, uint32_t g)
{
	int fd = bpf_map__fd(tp->skel->maps.ufiles);
	struct tp_ufiles_key key, next, *keys = NULL;
	size_t nr = 0, cap = 0;

	for (void *prev = NULL; !bpf_map_get_next_key(fd, prev, &next); prev = &key) {
		key = next;
		if (next.gen != g)
			continue;
		if (bpf_util__reserve((void **)&keys, &cap, nr + 1, sizeof(*keys)))
			break;	/* no memory: rows left over name nothing wrong unless reused */
		keys[nr++] = next;
	}
	for (size_t i = 0; i < nr; i++)
		bpf_map_delete_elem(fd, &keys[i]);
	free(keys);
}

/*
 * Fold, count and delete every key of generation @g, then empty its stack
 * maps (the stacks of hits whose key did not fit go too).
 */
static int tracepoint__drain_keys(struct tracepoint *tp, uint32_t g)
{
	int fd = bpf_map__fd(tp->skel->maps.counts);
	struct tp_key key, next, *keys = NULL;
	size_t nr = 0, cap = 0;
	uint64_t count;
	int err = 0;

	tp_report__drain_begin(&tp->rep);
	for (void *prev = NULL; !bpf_map_get_next_key(fd, prev, &next); prev = &key) {
		key = next;
		if (next.gen != g)
			continue;
		if (bpf_util__reserve((void **)&keys, &cap, nr + 1, sizeof(*keys))) {
			err = -ENOMEM;
			break;
		}
		keys[nr++] = next;
	}
	for (size_t i = 0; i < nr && !err; i++) {
		if (bpf_map_lookup_elem(fd, &keys[i], &count))
			continue;
		err = tracepoint__fold(tp, &keys[i], count);
	}
	for (size_t i = 0; i < nr; i++)
		bpf_map_delete_elem(fd, &keys[i]);
	free(keys);
	tracepoint__empty_ufiles(tp, g);
	tracepoint__empty(g ? tp->skel->maps.stacks1 : tp->skel->maps.stacks0);
	tracepoint__empty(g ? tp->skel->maps.spill1 : tp->skel->maps.spill0);
	tp_report__merge_procs(&tp->rep);
	return err;
}

/*
 * Flip the program to the other generation, wait until no run can still be
 * counting in the old one, and drain it: exactly the hits since the last
 * drain, none twice, none lost.
 */
static int tracepoint__drain(struct tracepoint *tp)
{
	uint32_t g = tp->skel->bss->gen & 1;
	int err;

	tp->skel->bss->gen = !g;
	err = bpf_util__grace_period();
	if (!err)
		err = tracepoint__drain_hits(tp, g);
	if (!err)
		err = tracepoint__drain_keys(tp, g);
	return err;
}

/* --- the feature ---------------------------------------------------------- */

/* Raw tracepoints BPF can attach to here: the btf_trace_* typedefs of the kernel BTF. */
static int tracepoint__count(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int n = 0;

	if (!btf)
		return -errno;
	for (__u32 id = 1; id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;

		if (!btf_is_typedef(t))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		n += name && !strncmp(name, "btf_trace_", 10);
	}
	btf__free(btf);
	return n;
}

/*
 * Load the program (the kprobe twin if @kprobe) with every map tiny: that
 * the program type and stack maps work here. 0, or -errno with the reason in @why.
 */
int tracepoint__probe_load(bool kprobe, char *why, size_t len)
{
	const char *what = kprobe ? "kprobe" : "raw tracepoint";
	struct tracepoint_bpf *skel;
	int err;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	skel = tracepoint_bpf__open();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "cannot open the %s program: %s", what, strerror(-err));
		return err;
	}
	bpf_program__set_autoload(kprobe ? skel->progs.tp_hit : skel->progs.kp_hit, false);
	bpf_map__set_max_entries(skel->maps.counts, 1);
	bpf_map__set_max_entries(skel->maps.stacks0, 1);
	bpf_map__set_max_entries(skel->maps.stacks1, 1);
	bpf_map__set_max_entries(skel->maps.spill0, 1);
	bpf_map__set_max_entries(skel->maps.spill1, 1);
	bpf_map__set_max_entries(skel->maps.ufiles, 1);
	bpf_map__set_max_entries(skel->maps.ustack_paths, 1);
	err = tracepoint_bpf__load(skel);
	tracepoint_bpf__destroy(skel);
	if (err)
		snprintf(why, len, "cannot load the %s program with stack maps: %s", what,
			 strerror(-err));
	return err;
}

/* The raw tracepoint program loads, and the kernel BTF names tracepoints to attach it to. */
static int tracepoint_probe(char *why, size_t len)
{
	int err = tracepoint__probe_load(false, why, len), n;

	if (err)
		return err;
	n = tracepoint__count();
	if (n <= 0) {
		err = n ? n : -ENOENT;
		snprintf(why, len, "no tracepoints in the kernel BTF (btf_trace_* types in "
			 "/sys/kernel/btf/vmlinux): %s", strerror(-err));
		return err;
	}
	snprintf(why, len, "%d tracepoints here; counts and stacks only: the tracepoint's "
		 "arguments are not read", n);
	return 0;
}

/* The feature's state, with the name resolved and nothing loaded yet. */
static int tracepoint__new(struct diag_feature *f)
{
	struct tracepoint *tp = calloc(1, sizeof(*tp));

	if (!tp)
		return -ENOMEM;
	f->priv = tp;
	return tp_report__init(&tp->rep, f);
}

/* Open the programs with the settings in .rodata and load them, on the maps pinned in @pin_dir if set. */
static int tracepoint__load(struct tracepoint *tp, const struct hld_tracepoint_settings *s,
			    const char *pin_dir)
{
	struct tracepoint_bpf__rodata *ro;
	int err;

	tp->skel = tracepoint_bpf__open();
	if (!tp->skel)
		return -errno;
	ro = tp->skel->rodata;
	ro->targ_tgid = s->tgid;
	ro->targ_pid = s->pid;
	ro->targ_cpu = s->cpu;
	memcpy((char *)ro->targ_comm, s->comm, TP_COMM_LEN);
	((char *)ro->targ_comm)[TP_COMM_LEN - 1] = '\0';
	ro->want_kernel = s->stacks == HLD_TP_STACKS_BOTH || s->stacks == HLD_TP_STACKS_KERNEL;
	ro->want_user = s->stacks == HLD_TP_STACKS_BOTH || s->stacks == HLD_TP_STACKS_USER;
	ro->targ_sysnr = tp->rep.target.sysnr;
	ro->sys_exit = tp->rep.target.sys_exit;
	tp->prog = tp->rep.kprobe ? tp->skel->progs.kp_hit : tp->skel->progs.tp_hit;
	bpf_program__set_autoload(tp->rep.kprobe ? tp->skel->progs.tp_hit : tp->skel->progs.kp_hit,
				  false);
	err = pin_dir ? bpf_util__pin_maps(tp->skel->obj, pin_dir) : 0;
	if (!err)
		err = tracepoint_bpf__load(tp->skel);
	if (err) {
		tracepoint_bpf__destroy(tp->skel);
		tp->skel = NULL;
		return err < 0 ? err : -EINVAL;
	}
	return 0;
}

/*
 * Resolve the name and load the program on the first phase (the maps then
 * live until free), and attach it to the tracepoint. A persistent
 * activation pins the maps and the link.
 */
static int tracepoint_activate(struct diag_feature *f)
{
	struct tracepoint *tp = f->priv;
	int err;

	if (!tp) {
		err = tracepoint__new(f);
		if (err)
			return err;
		tp = f->priv;
	}
	if (!tp->skel) {
		err = tracepoint__load(tp, f->settings, f->pin_dir);
		if (err)
			return err;
	}
	if (tp->rep.kprobe)
		tp->link = bpf_program__attach_kprobe(tp->prog, false, tp->rep.target.raw);
	else
		tp->link = bpf_program__attach_raw_tracepoint(tp->prog, tp->rep.target.raw);
	if (!tp->link)
		return -errno;
	tp->next_drain_ns = bpf_util__now_ns() + TP_DRAIN_MS * 1000000ull;
	return f->pin_dir ? bpf_util__pin_link(tp->link, f->pin_dir, TP_LINK) : 0;
}

/* Attach to a persistent activation: the program loaded on its pinned maps, not attached. */
static int tracepoint_reopen(struct diag_feature *f)
{
	int err = tracepoint__new(f);

	return err ? err : tracepoint__load(f->priv, f->settings, f->pin_dir);
}

/* Drain every TP_DRAIN_MS, so user stacks are named while their processes live. */
static int tracepoint_poll(struct diag_feature *f)
{
	struct tracepoint *tp = f->priv;
	uint64_t now = bpf_util__now_ns();

	if (!tp || !tp->skel || !tp->link || now < tp->next_drain_ns)
		return 0;
	tp->next_drain_ns = now + TP_DRAIN_MS * 1000000ull;
	return tracepoint__drain(tp);
}

/*
 * Detach and drain; the maps stay for the next phase and report(). A
 * persistent activation's link is only closed here (its pin keeps it
 * attached) and what it counts is left for the reports to drain.
 */
static int tracepoint_deactivate(struct diag_feature *f)
{
	struct tracepoint *tp = f->priv;
	uint64_t ns = 0, cnt = 0;

	if (!tp || !tp->skel || !tp->link)
		return 0;
	bpf_link__destroy(tp->link);
	tp->link = NULL;
	if (f->pin_dir)
		return 0;
	bpf_util__prog_stats(bpf_program__fd(tp->prog), &ns, &cnt);
	if (ns >= tp->run_ns && cnt >= tp->run_cnt) {
		f->kernel_run_ns += ns - tp->run_ns;
		f->kernel_run_cnt += cnt - tp->run_cnt;
		tp->run_ns = ns;
		tp->run_cnt = cnt;
	}
	return tracepoint__drain(tp);
}

/*
 * The runs of the attached program the kernel skipped (a tracepoint hit on
 * a CPU already running the program: it does not nest). Reopened, the
 * attached program is the pinned link's, not ours.
 */
static uint64_t tracepoint__missed(struct tracepoint *tp, const char *pin_dir)
{
	struct bpf_prog_info info;
	struct bpf_link_info li;
	char path[PATH_MAX];
	__u32 n = sizeof(li);
	int fd, pfd = bpf_program__fd(tp->prog);

	if (pin_dir) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, TP_LINK);
		fd = bpf_obj_get(path);
		if (fd < 0)
			return 0;
		memset(&li, 0, sizeof(li));
		pfd = bpf_obj_get_info_by_fd(fd, &li, &n) ? -1 : bpf_prog_get_fd_by_id(li.prog_id);
		close(fd);
		if (pfd < 0)
			return 0;
	}
	memset(&info, 0, sizeof(info));
	n = sizeof(info);
	if (bpf_obj_get_info_by_fd(pfd, &info, &n))
		info.recursion_misses = 0;
	if (pin_dir)
		close(pfd);
	return info.recursion_misses;
}

/* Loss since activation. */
static void tracepoint__drops(struct tracepoint *tp, const char *pin_dir, struct tp_drops *d)
{
	memset(d, 0, sizeof(*d));
	if (!tp || !tp->skel)
		return;
	d->count = tp->skel->bss->nr_drop_count;
	d->kstack = tp->skel->bss->nr_drop_kstack;
	d->ustack = tp->skel->bss->nr_drop_ustack;
	d->last_kerr = tp->skel->bss->last_kstack_err;
	d->last_uerr = tp->skel->bss->last_ustack_err;
	d->ufiles_full = tp->skel->bss->nr_ufiles_full;
	d->ufiles_missed = tp->skel->bss->nr_ufiles_missed;
	d->missed = tracepoint__missed(tp, pin_dir);
}

/*
 * Drain what the program counted since the last drain, write
 * FEATURE.txt, .json and .folded with everything since the last report,
 * and start afresh.
 */
static int tracepoint_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct tracepoint *tp = f->priv;
	struct tp_drops d;
	int err = 0, e;

	if (tp && !tp->skel)
		tp = NULL;
	if (tp)
		err = tracepoint__drain(tp);
	tracepoint__drops(tp, f->pin_dir, &d);
	e = tp_report__out(f, tp ? &tp->rep : NULL, &d, "bpf", out);
	/* Mean BPF run time per hit (filtered-out hits included); NaN when stats were off. */
	json__double(out->json, "bpf_run_ns_per_run",
		     f->kernel_run_cnt ? (double)f->kernel_run_ns / f->kernel_run_cnt : NAN);
	return err ? err : e;
}

/* Detach if still attached, unload, and free the symbol tables and totals. */
static void tracepoint_free(struct diag_feature *f)
{
	struct tracepoint *tp = f->priv;

	if (!tp)
		return;
	tracepoint_deactivate(f);
	tracepoint_bpf__destroy(tp->skel);
	tp_report__free(&tp->rep);
	free(tp);
	f->priv = NULL;
}

const struct diag_ops bpf_tracepoint_ops = {
	.id = DIAG_tracepoint,
	.probe = tracepoint_probe,
	.activate = tracepoint_activate,
	.poll = tracepoint_poll,
	.deactivate = tracepoint_deactivate,
	.report = tracepoint_report,
	.reopen = tracepoint_reopen,
	.check = tracepoint__check,
	.free = tracepoint_free,
};

const struct diag_ops bpf_kprobe_ops = {
	.id = DIAG_kprobe,
	.probe = kprobe__probe,
	.activate = tracepoint_activate,
	.poll = tracepoint_poll,
	.deactivate = tracepoint_deactivate,
	.report = tracepoint_report,
	.reopen = tracepoint_reopen,
	.check = kprobe__check,
	.free = tracepoint_free,
};
