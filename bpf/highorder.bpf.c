// SPDX-License-Identifier: GPL-2.0
/*
 * highorder.bpf.c - high-order: stacks of page allocations of order >= N.
 *
 * On every successful page allocation (kmem:mm_page_alloc) of order at least
 * targ_order, take the kernel stack (and the user stack) into a stack-trace
 * map and count the allocation in a hash keyed by struct highorder_gkey
 * (process, comm, order, stack ids, generation). All the state is in maps,
 * so a persistent activation keeps counting with no process attached.
 * report() flips gen, waits for a grace period (no program still counts
 * under the old value) and drains the old generation's entries: each
 * report holds exactly the allocations counted since the previous one.
 * The first time a user stack is seen, the file and file offset of each of
 * its frames go into ufiles (ustack-files.bpf.h), so that its frames can be
 * placed after the process has exited.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "highorder.bpf.h"
#include "ustack-files.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define HIGHORDER_MAX_ENTRIES	16384
#define HIGHORDER_STACK_ENTRIES	16384
#define HIGHORDER_UFILES_ENTRIES	4096
#define KEEXIST			17
#define KEFAULT			14
#define KPF_KTHREAD		0x00200000	/* PF_KTHREAD */

const volatile __u32 targ_order = 3;
const volatile __s64 targ_tgid = -1;
const volatile __u32 want_user = 1;

__u32 gen = 0;			/* generation new counts go to (0 or 1) */
__u64 nr_allocs = 0;		/* allocations that passed the filters, since activation */
__u64 nr_drops = 0;		/* of those, not counted; by cause: */
__u64 nr_drop_kstack = 0;	/* kernel stack not stored (bucket taken, -ENOMEM) */
__u64 nr_drop_ustack = 0;	/* user stack of a user task not stored */
__u64 nr_drop_count = 0;	/* count map full */
__u64 nr_ufiles_full = 0;	/* user stacks whose files were not noted: ufiles full */
__u64 nr_ufiles_missed = 0;	/* user frames whose mapping was not found */
__s64 last_stack_err = 0;

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, HIGHORDER_STACK_ENTRIES);
	__type(key, __u32);
	__uint(value_size, HLD_MAX_STACK * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HIGHORDER_MAX_ENTRIES);
	__type(key, struct highorder_gkey);
	__type(value, __u64);
} counts SEC(".maps");

/* The files of each user stack, by stack id: filled once per stack. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HIGHORDER_UFILES_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __s32);
	__type(value, struct ustack_files);
} ufiles SEC(".maps");

/* Per-CPU room for a user stack and its files (too big for the BPF stack). */
struct scratch {
	__u64 ips[HLD_MAX_STACK];
	struct ustack_files uf;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* Note the files of user stack @id unless already noted. */
static __always_inline void note_ufiles(void *ctx, __s32 id)
{
	struct scratch *sc;
	__u32 zero = 0;
	long n;

	if (bpf_map_lookup_elem(&ufiles, &id))
		return;
	sc = bpf_map_lookup_elem(&scratch, &zero);
	if (!sc)
		return;
	n = bpf_get_stack(ctx, sc->ips, sizeof(sc->ips), BPF_F_USER_STACK);
	if (n <= 0)
		return;
	n = ustack_files__fill(&sc->uf, sc->ips, n / sizeof(__u64));
	if (n)
		__sync_fetch_and_add(&nr_ufiles_missed, n);
	n = bpf_map_update_elem(&ufiles, &id, &sc->uf, BPF_NOEXIST);
	if (n && n != -KEEXIST)		/* -E2BIG: full */
		__sync_fetch_and_add(&nr_ufiles_full, 1);
}

/* Count one allocation under @key. 0, or -1 when the hash is full. */
static __always_inline int count_alloc(struct highorder_gkey *key)
{
	__u64 one = 1, *val;
	long err;

	val = bpf_map_lookup_elem(&counts, key);
	if (val) {
		__sync_fetch_and_add(val, 1);
		return 0;
	}
	err = bpf_map_update_elem(&counts, key, &one, BPF_NOEXIST);
	if (err == -KEEXIST) {		/* another CPU inserted it first */
		val = bpf_map_lookup_elem(&counts, key);
		if (!val)
			return -1;
		__sync_fetch_and_add(val, 1);
		return 0;
	}
	return err ? -1 : 0;
}

SEC("tp_btf/mm_page_alloc")
int BPF_PROG(highorder_page_alloc, struct page *page, unsigned int order, gfp_t gfp, int mt)
{
	struct highorder_gkey g = {};
	struct hld_highorder_key *key = &g.k;
	struct task_struct *cur;

	if (!page || order < targ_order)
		return 0;
	key->tgid = bpf_get_current_pid_tgid() >> 32;
	if (targ_tgid >= 0 && key->tgid != targ_tgid)
		return 0;
	g.gen = *(volatile __u32 *)&gen;
	__sync_fetch_and_add(&nr_allocs, 1);
	key->order = order;
	bpf_get_current_comm(key->comm, sizeof(key->comm));
	key->kstack_id = bpf_get_stackid(ctx, &stacks, 0);
	if (key->kstack_id < 0) {
		last_stack_err = key->kstack_id;
		__sync_fetch_and_add(&nr_drop_kstack, 1);
		__sync_fetch_and_add(&nr_drops, 1);
		return 0;
	}
	key->ustack_id = -1;
	if (want_user) {
		key->ustack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
		if (key->ustack_id < 0) {
			cur = bpf_get_current_task_btf();
			/* A kernel thread, or a task past exit_mm(), has no user stack. */
			if (key->ustack_id != -KEFAULT || (!(cur->flags & KPF_KTHREAD) && cur->mm)) {
				last_stack_err = key->ustack_id;
				__sync_fetch_and_add(&nr_drop_ustack, 1);
				__sync_fetch_and_add(&nr_drops, 1);
				return 0;
			}
			key->ustack_id = -1;
		} else {
			note_ufiles(ctx, key->ustack_id);
		}
	}
	if (count_alloc(&g)) {
		__sync_fetch_and_add(&nr_drop_count, 1);
		__sync_fetch_and_add(&nr_drops, 1);
	}
	return 0;
}
