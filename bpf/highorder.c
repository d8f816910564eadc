// SPDX-License-Identifier: GPL-2.0
/*
 * highorder.c - high-order, user side: loads highorder.bpf.c once,
 * attaches it while a phase is active (or pins its maps and link for a
 * persistent activation), snapshots the memory maps of the processes it
 * sees while they still live (so their user stacks resolve), and reports
 * what was counted since the last report, drained from its maps:
 * high-order.txt (symbolized stacks, most frequent first),
 * high-order.folded, high-order.json.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "diag.h"
#include "folded.h"
#include "highorder.bpf.h"
#include "highorder.skel.h"
#include "ustack-files.bpf.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "syms.h"

#define NS_PER_MS		1000000ull
#define HIGHORDER_SCAN_MS	100	/* how often new processes' maps are snapshotted */
#define HIGHORDER_JSON_STACKS	200	/* stacks listed in the JSON, most frequent first */
#define HIGHORDER_FRAME_LEN	256
#define HIGHORDER_TRACE_FRAMES	4	/* BPF program and tracepoint glue atop a kernel stack */

struct highorder {
	struct highorder_bpf *skel;
	struct bpf_link *link;
	struct ksyms *ksyms;		/* NULL if /proc/kallsyms cannot be read */
	struct usyms *usyms;
	uint64_t next_scan_ns;
	bool reopened;			/* reporting on a persistent activation */
	uint64_t misses;		/* program runs skipped by the kernel (recursion) */
};

struct highorder_row {
	struct hld_highorder_key key;
	uint64_t count;
};

/* One stack, symbolized: frames innermost first. */
struct highorder_stack {
	int nr;
	char names[HLD_MAX_STACK][HIGHORDER_FRAME_LEN];
};

/*
 * Runs of the attached program the kernel skipped because it was already
 * running on that CPU (an interrupt allocated pages while the program ran):
 * bpf_prog_info.recursion_misses, since the program was loaded. Those
 * allocations were never seen: they are drops. The attached program is the
 * skeleton's own, or for a reopened activation the one behind the pinned
 * link (the reopened skeleton's program is a second, unattached copy).
 */
static uint64_t highorder__misses(struct highorder *h, const char *pin_dir)
{
	struct bpf_prog_info pi = {};
	struct bpf_link_info li = {};
	uint64_t misses = 0;
	char path[PATH_MAX];
	__u32 len = sizeof(pi);
	int fd, lfd;

	if (!h->reopened)
		return bpf_obj_get_info_by_fd(bpf_program__fd(h->skel->progs.highorder_page_alloc),
					      &pi, &len) ? 0 : pi.recursion_misses;
	snprintf(path, sizeof(path), "%s/link_page_alloc", pin_dir);
	lfd = bpf_obj_get(path);
	if (lfd < 0)
		return 0;
	len = sizeof(li);
	if (!bpf_obj_get_info_by_fd(lfd, &li, &len)) {
		fd = bpf_prog_get_fd_by_id(li.prog_id);
		len = sizeof(pi);
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &pi, &len))
			misses = pi.recursion_misses;
		if (fd >= 0)
			close(fd);
	}
	close(lfd);
	return misses;
}

/* Usable if BPF works and the tp_btf program loads on this kernel. */
static int highorder_probe(char *why, size_t len)
{
	struct highorder_bpf *skel;
	int err;

	err = bpf_util__probe(why, len);
	if (err)
		return err;
	skel = highorder_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		snprintf(why, len, "cannot load the mm_page_alloc program: %s", strerror(-err));
		return err;
	}
	highorder_bpf__destroy(skel);
	return 0;
}

/* The private state of @f, created on first use with its symbol tables. */
static struct highorder *highorder__priv(struct diag_feature *f)
{
	struct highorder *h = f->priv;

	if (h)
		return h;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	f->priv = h;
	h->usyms = usyms__new();
	if (!h->usyms)
		return NULL;
	h->ksyms = ksyms__load();	/* NULL: kernel frames become addresses */
	return h;
}

/*
 * Load the program, with the settings @s compiled in (NULL: the pinned
 * .rodata is reused as is), on @pin_dir's maps when set: created and
 * pinned, or reused when already pinned.
 */
static int highorder__load(struct highorder *h, const struct hld_highorder_settings *s,
			   const char *pin_dir)
{
	int err;

	h->skel = highorder_bpf__open();
	if (!h->skel)
		return -errno;
	if (s) {
		h->skel->rodata->targ_order = s->order;
		h->skel->rodata->targ_tgid = s->tgid;
		h->skel->rodata->want_user = !!s->user;
	}
	err = pin_dir ? bpf_util__pin_maps(h->skel->obj, pin_dir) : 0;
	if (!err)
		err = highorder_bpf__load(h->skel);
	if (err) {
		highorder_bpf__destroy(h->skel);
		h->skel = NULL;
		return err < 0 ? err : -EINVAL;
	}
	return 0;
}

/*
 * Load the program on the first phase (the maps then live until free) and
 * attach it. With f->pin_dir the maps and the link are pinned there, so the
 * program keeps counting after this process exits.
 */
static int highorder_activate(struct diag_feature *f)
{
	struct highorder *h = highorder__priv(f);
	int err;

	if (!h)
		return -ENOMEM;
	if (!h->skel) {
		err = highorder__load(h, f->settings, f->pin_dir);
		if (err)
			return err;
	}
	h->link = bpf_program__attach(h->skel->progs.highorder_page_alloc);
	if (!h->link)
		return -errno;
	h->next_scan_ns = 0;
	return f->pin_dir ? bpf_util__pin_link(h->link, f->pin_dir, "link_page_alloc") : 0;
}

/*
 * Attach to a persistent activation: the program loaded on the pinned maps
 * (settings from the pinned .rodata), not attached, for report().
 */
static int highorder_reopen(struct diag_feature *f)
{
	struct highorder *h = highorder__priv(f);

	if (!h)
		return -ENOMEM;
	h->reopened = true;
	return highorder__load(h, NULL, f->pin_dir);
}

/*
 * Snapshot the memory maps of every process in the counts that has none
 * yet, so that its user stacks still resolve after it exits.
 */
static void highorder__scan(struct highorder *h)
{
	int fd = bpf_map__fd(h->skel->maps.counts);
	struct highorder_gkey key, next;

	for (void *prev = NULL; !bpf_map_get_next_key(fd, prev, &next); prev = &key) {
		key = next;
		if (next.k.ustack_id >= 0 && !usyms__has_pid(h->usyms, next.k.tgid))
			usyms__add_pid(h->usyms, next.k.tgid, false);
	}
}

/* Every HIGHORDER_SCAN_MS, snapshot the maps of newly seen processes. */
static int highorder_poll(struct diag_feature *f)
{
	const struct hld_highorder_settings *s = f->settings;
	struct highorder *h = f->priv;
	uint64_t now;

	if (!h || !h->link || !s->user)
		return 0;
	now = bpf_util__now_ns();
	if (now < h->next_scan_ns)
		return 0;
	h->next_scan_ns = now + HIGHORDER_SCAN_MS * NS_PER_MS;
	highorder__scan(h);
	return 0;
}

/* Detach; the counts and stacks stay in the maps for report(). */
static int highorder_deactivate(struct diag_feature *f)
{
	const struct hld_highorder_settings *s = f->settings;
	struct highorder *h = f->priv;

	if (!h || !h->link)
		return 0;
	bpf_link__destroy(h->link);
	h->link = NULL;
	if (s->user)
		highorder__scan(h);
	f->kernel_run_ns = 0;
	f->kernel_run_cnt = 0;
	bpf_util__prog_stats(bpf_program__fd(h->skel->progs.highorder_page_alloc),
			     &f->kernel_run_ns, &f->kernel_run_cnt);
	return 0;
}

/* Most allocations first, then by order, process and stack ids: a stable order. */
static int highorder__cmp(const void *pa, const void *pb)
{
	const struct highorder_row *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	if (a->key.order != b->key.order)
		return a->key.order < b->key.order ? 1 : -1;
	if (a->key.tgid != b->key.tgid)
		return a->key.tgid < b->key.tgid ? -1 : 1;
	if (a->key.kstack_id != b->key.kstack_id)
		return a->key.kstack_id < b->key.kstack_id ? -1 : 1;
	return a->key.ustack_id < b->key.ustack_id ? -1 : a->key.ustack_id > b->key.ustack_id;
}

/*
 * Drain what was counted since the last drain into a sorted array: flip
 * the program's generation, wait until no program can still count under
 * the old one, then read the old generation's entries and delete them.
 * The new generation's entries stay for the next report.
 */
static int highorder__drain(struct highorder *h, struct highorder_row **rows, size_t *nr)
{
	int fd = bpf_map__fd(h->skel->maps.counts);
	struct highorder_gkey key, next, *keys = NULL;
	size_t cap = 0, kcap = 0, nk = 0;
	uint32_t old = h->skel->bss->gen;
	int err;

	*rows = NULL;
	*nr = 0;
	__atomic_store_n(&h->skel->bss->gen, old ^ 1, __ATOMIC_SEQ_CST);
	err = bpf_util__grace_period();
	if (err)
		return err;
	for (void *prev = NULL; !bpf_map_get_next_key(fd, prev, &next); prev = &key) {
		key = next;
		if (next.gen != old)
			continue;
		if (bpf_util__reserve((void **)rows, &cap, *nr + 1, sizeof(**rows)) ||
		    bpf_util__reserve((void **)&keys, &kcap, nk + 1, sizeof(*keys))) {
			err = -ENOMEM;
			break;
		}
		keys[nk++] = next;
		if (bpf_map_lookup_elem(fd, &next, &(*rows)[*nr].count))
			continue;
		(*rows)[*nr].key = next.k;
		(*nr)++;
	}
	/* Deleting while walking would restart the walk: delete afterwards. */
	for (size_t i = 0; i < nk; i++)
		bpf_map_delete_elem(fd, &keys[i]);
	free(keys);
	qsort(*rows, *nr, sizeof(**rows), highorder__cmp);
	return err;
}

/*
 * Symbolize stack @id into @st, innermost first. Frames past the first are
 * return addresses: look up addr - 1, the call itself. A kernel stack starts
 * in the BPF program and bpf_trace_run*(): those leading frames are the
 * tracing machinery, not the allocation, and are left out. A user frame is
 * named from the process's maps when it was snapshotted while it lived,
 * else from the file the program noted in ufiles (its path kept in
 * ustack_paths), or placed in that file ("[file+0xoff]") when the file has
 * no symbol there or is gone.
 */
static void highorder__stack(struct highorder *h, int32_t id, bool user, uint32_t tgid,
			     struct highorder_stack *st)
{
	bool kernel_named = h->ksyms && !ksyms__restricted(h->ksyms);
	bool live = user && h->usyms && usyms__has_pid(h->usyms, tgid), have_uf = false;
	static struct ustack_files uf;
	uint64_t ips[HLD_MAX_STACK];
	char buf[HIGHORDER_FRAME_LEN], fbuf[HIGHORDER_FRAME_LEN];
	int first = 0;

	st->nr = 0;
	if (id < 0 || bpf_map_lookup_elem(bpf_map__fd(h->skel->maps.stacks), &id, ips))
		return;
	if (user)
		have_uf = !bpf_map_lookup_elem(bpf_map__fd(h->skel->maps.ufiles), &id, &uf);
	for (int i = 0; i < HIGHORDER_TRACE_FRAMES && !user && ips[i] && kernel_named; i++) {
		const char *name = ksyms__name(h->ksyms, i ? ips[i] - 1 : ips[i]);

		if (name && !strncmp(name, "bpf_trace_run", 13))
			first = i + 1;
	}
	for (int i = first; i < HLD_MAX_STACK && ips[i]; i++) {
		uint64_t addr = i ? ips[i] - 1 : ips[i];
		const char *name = NULL;

		if (live)
			name = usyms__name(h->usyms, tgid, addr, buf, sizeof(buf));
		if (user && have_uf && (!name || !strcmp(name, "[unknown]"))) {
			const char *placed = ustack_files__symbol(
				&uf, i, bpf_map__fd(h->skel->maps.ustack_paths), h->usyms, fbuf,
				sizeof(fbuf));

			if (placed)
				name = placed;
		} else if (!user && kernel_named) {
			name = ksyms__name(h->ksyms, addr);
		}
		if (name)
			snprintf(st->names[st->nr], HIGHORDER_FRAME_LEN, "%s", name);
		else
			snprintf(st->names[st->nr], HIGHORDER_FRAME_LEN, "0x%llx",
				 (unsigned long long)ips[i]);
		st->nr++;
	}
}

/* Add one row as "comm;user outer..inner;kernel outer..inner_[k];[order N]". */
static int highorder__fold(struct folded *fo, const char *comm, const struct highorder_stack *us,
			   const struct highorder_stack *ks, uint32_t order, uint64_t count)
{
	static char frames[2 * HLD_MAX_STACK + 2][HIGHORDER_FRAME_LEN + 4];
	const char *ptrs[2 * HLD_MAX_STACK + 2];
	size_t n = 0;

	bpf_util__frame(frames[n], HIGHORDER_FRAME_LEN, comm[0] ? comm : "[unknown]");
	ptrs[n] = frames[n];
	n++;
	for (int i = us->nr - 1; i >= 0; i--, n++) {
		bpf_util__frame(frames[n], HIGHORDER_FRAME_LEN, us->names[i]);
		ptrs[n] = frames[n];
	}
	for (int i = ks->nr - 1; i >= 0; i--, n++) {
		bpf_util__frame(frames[n], HIGHORDER_FRAME_LEN, ks->names[i]);
		strcat(frames[n], "_[k]");
		ptrs[n] = frames[n];
	}
	snprintf(frames[n], sizeof(frames[n]), "[order %u]", order);
	ptrs[n] = frames[n];
	n++;
	return folded__add_frames(fo, ptrs, n, count);
}

/* The settings and totals, as JSON members of the object @j is in. */
static void highorder__json_head(struct highorder *h, struct json_writer *j,
				 const struct hld_highorder_settings *s, uint64_t counted)
{
	const struct highorder_bpf__bss *b = h && h->skel ? h->skel->bss : NULL;

	json__uint(j, "order", s->order);
	json__int(j, "tgid", s->tgid);
	json__uint(j, "allocs", counted);
	json__uint(j, "events", counted);
	json__uint(j, "allocs_since_activation", b ? b->nr_allocs : 0);
	json__uint(j, "drops", b ? b->nr_drops + h->misses : 0);
	json__begin_object(j, "drops_by_cause");
	json__uint(j, "program_busy", b ? h->misses : 0);
	json__uint(j, "kernel_stack", b ? b->nr_drop_kstack : 0);
	json__uint(j, "user_stack", b ? b->nr_drop_ustack : 0);
	json__uint(j, "count_map_full", b ? b->nr_drop_count : 0);
	json__int(j, "last_stack_errno", b ? -b->last_stack_err : 0);
	json__end_object(j);
	/* not drops: the allocation was counted, some user frames are only addresses */
	json__uint(j, "user_stacks_not_placed", b ? b->nr_ufiles_full : 0);
	json__uint(j, "user_frames_not_placed", b ? b->nr_ufiles_missed : 0);
	json__bool(j, "kernel_symbols_restricted",
		   !h || !h->ksyms || ksyms__restricted(h->ksyms));
}

/* One stack array of names, innermost first. */
static void highorder__json_stack(struct json_writer *j, const char *key,
				  const struct highorder_stack *st)
{
	json__begin_array(j, key);
	for (int i = 0; i < st->nr; i++)
		json__str(j, NULL, st->names[i]);
	json__end_array(j);
}

/* Write one row to the text file and the JSON writers, and fold it. */
static int highorder__row(struct highorder *h, const struct highorder_row *r, FILE *txt,
			  struct json_writer *const *js, size_t nj, struct folded *fo, size_t idx)
{
	static struct highorder_stack ks, us;
	char comm[HLD_COMM_LEN + 1];

	memcpy(comm, r->key.comm, HLD_COMM_LEN);
	comm[HLD_COMM_LEN] = '\0';
	highorder__stack(h, r->key.kstack_id, false, r->key.tgid, &ks);
	highorder__stack(h, r->key.ustack_id, true, r->key.tgid, &us);

	fprintf(txt, "%llu allocations of order %u (%llu pages each) by %u %s\n",
		(unsigned long long)r->count, r->key.order, 1ull << r->key.order,
		r->key.tgid, comm);
	for (int i = 0; i < ks.nr; i++)
		fprintf(txt, "    %s\n", ks.names[i]);
	if (r->key.ustack_id >= 0) {
		fprintf(txt, "    --\n");
		for (int i = 0; i < us.nr; i++)
			fprintf(txt, "    %s\n", us.names[i]);
	}
	fputc('\n', txt);

	for (size_t k = 0; k < nj && idx < HIGHORDER_JSON_STACKS; k++) {
		json__begin_object(js[k], NULL);
		json__uint(js[k], "tgid", r->key.tgid);
		json__str(js[k], "comm", comm);
		json__uint(js[k], "order", r->key.order);
		json__uint(js[k], "count", r->count);
		highorder__json_stack(js[k], "kstack", &ks);
		highorder__json_stack(js[k], "ustack", &us);
		json__end_object(js[k]);
	}
	return highorder__fold(fo, comm, &us, &ks, r->key.order, r->count);
}

/*
 * Remove the rows of process @tgid from @rows (keeping the order) and
 * return their allocations: a report on a persistent activation loads the
 * program to read its maps, and the verifier's own order-3 allocations
 * would otherwise top every report.
 */
static uint64_t highorder__leave_out(struct highorder_row *rows, size_t *nr, uint32_t tgid)
{
	uint64_t sum = 0;
	size_t n = 0;

	for (size_t i = 0; i < *nr; i++) {
		if (rows[i].key.tgid == tgid)
			sum += rows[i].count;
		else
			rows[n++] = rows[i];
	}
	*nr = n;
	return sum;
}

/* Open @dir/@name for writing into *@o. 0 or -errno. */
static int highorder__open(const char *dir, const char *name, FILE **o)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*o = fopen(path, "we");
	return *o ? 0 : -errno;
}

static int highorder_report(struct diag_feature *f, const struct diag_outputs *out)
{
	const struct hld_highorder_settings *s = f->settings;
	struct highorder *h = f->priv;
	struct highorder_row *rows = NULL;
	FILE *txt = NULL, *fold = NULL, *jf = NULL;
	struct json_writer jw, *js[2] = { &jw, out->json };
	struct folded *fo;
	uint64_t counted = 0, drops = 0, own = 0;
	size_t nr = 0;
	int err;

	fo = folded__new();
	if (!fo)
		return -ENOMEM;
	err = h && h->skel ? highorder__drain(h, &rows, &nr) : 0;
	if (!err && h && h->reopened)
		own = highorder__leave_out(rows, &nr, getpid());
	for (size_t i = 0; !err && h && h->usyms && i < nr; i++)
		if (rows[i].key.ustack_id >= 0 && !usyms__has_pid(h->usyms, rows[i].key.tgid))
			usyms__add_pid(h->usyms, rows[i].key.tgid, false);
	if (!err)
		err = highorder__open(out->dir, "high-order.txt", &txt);
	if (!err)
		err = highorder__open(out->dir, "high-order.folded", &fold);
	if (!err)
		err = highorder__open(out->dir, "high-order.json", &jf);
	if (err)
		goto out_close;
	for (size_t i = 0; i < nr; i++)
		counted += rows[i].count;
	if (h && h->skel) {
		h->misses = highorder__misses(h, f->pin_dir);
		drops = h->skel->bss->nr_drops + h->misses;
	}

	json__init(&jw, jf, true);
	json__begin_object(&jw, NULL);
	for (int k = 0; k < 2; k++) {
		highorder__json_head(h, js[k], s, counted);
		json__uint(js[k], "allocs_by_reporter", own);
		json__begin_array(js[k], "stacks");
	}
	fprintf(txt, "# high-order: page allocations of order >= %llu, most frequent first\n",
		(unsigned long long)s->order);
	fprintf(txt, "# %llu allocations counted in %zu stacks since the last report; "
		"%llu since activation, %llu dropped since activation\n",
		(unsigned long long)counted, nr,
		(unsigned long long)(h && h->skel ? h->skel->bss->nr_allocs : 0),
		(unsigned long long)drops);
	if (own)
		fprintf(txt, "# left out: %llu allocations by this report's own program load "
			"(tgid %d)\n", (unsigned long long)own, (int)getpid());
	fprintf(txt, "# kernel stack innermost first, then after -- the user stack\n\n");
	for (size_t i = 0; i < nr && !err; i++)
		err = highorder__row(h, &rows[i], txt, js, 2, fo, i);
	for (int k = 0; k < 2; k++)
		json__end_array(js[k]);
	json__end_object(&jw);
	fputc('\n', jf);
	if (!err)
		err = folded__write(fo, fold);

	f->events = counted;
	f->drops = drops;
	diag_feature__set_metric(f, "allocs", counted);
	diag_feature__set_metric(f, "drops", drops);
out_close:
	if (txt && fclose(txt) && !err)
		err = -errno;
	if (fold && fclose(fold) && !err)
		err = -errno;
	if (jf && fclose(jf) && !err)
		err = -errno;
	folded__free(fo);
	free(rows);
	return err;
}

static void highorder_free(struct diag_feature *f)
{
	struct highorder *h = f->priv;

	if (!h)
		return;
	highorder_deactivate(f);
	highorder_bpf__destroy(h->skel);
	if (h->ksyms)
		ksyms__free(h->ksyms);
	if (h->usyms)
		usyms__free(h->usyms);
	free(h);
	f->priv = NULL;
}

const struct diag_ops bpf_high_order_ops = {
	.id = DIAG_high_order,
	.probe = highorder_probe,
	.activate = highorder_activate,
	.poll = highorder_poll,
	.deactivate = highorder_deactivate,
	.report = highorder_report,
	.free = highorder_free,
	.reopen = highorder_reopen,
};
