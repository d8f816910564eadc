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
#include "highorder-report.h"
#include "highorder.bpf.h"
#include "highorder.skel.h"
#include "ustack-files.bpf.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "syms.h"

#define NS_PER_MS		1000000ull
#define HIGHORDER_SCAN_MS	100	/* how often new processes' maps are snapshotted */
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

/*
 * Drain what was counted since the last drain into an array: flip
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
static void highorder__stack(void *ctx, int32_t id, bool user, uint32_t tgid,
			     struct highorder_stack *st)
{
	struct highorder *h = ctx;
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
		highorder__stack_add(st, name, ips[i]);
	}
}

static int highorder_report(struct diag_feature *f, const struct diag_outputs *out)
{
	struct highorder *h = f->priv;
	struct highorder_totals t = { .own_by = "program load" };
	struct highorder_row *rows = NULL;
	size_t nr = 0;
	int err;

	err = h && h->skel ? highorder__drain(h, &rows, &nr) : 0;
	if (!err && h && h->reopened)
		t.own = highorder__leave_out(rows, &nr, getpid());
	for (size_t i = 0; !err && h && h->usyms && i < nr; i++)
		if (rows[i].key.ustack_id >= 0 && !usyms__has_pid(h->usyms, rows[i].key.tgid))
			usyms__add_pid(h->usyms, rows[i].key.tgid, false);
	if (h && h->skel) {
		const struct highorder_bpf__bss *b = h->skel->bss;

		h->misses = highorder__misses(h, f->pin_dir);
		t.since_activation = b->nr_allocs;
		t.program_busy = h->misses;
		t.kernel_stack = b->nr_drop_kstack;
		t.user_stack = b->nr_drop_ustack;
		t.count_map_full = b->nr_drop_count;
		t.last_stack_err = b->last_stack_err;
		t.user_stacks_not_placed = b->nr_ufiles_full;
		t.user_frames_not_placed = b->nr_ufiles_missed;
	}
	t.kernel_symbols_restricted = !h || !h->ksyms || ksyms__restricted(h->ksyms);
	if (!err)
		err = highorder__report_out(f, rows, nr, &t, highorder__stack, h, out);
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
