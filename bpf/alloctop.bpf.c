// SPDX-License-Identifier: GPL-2.0
/*
 * alloctop.bpf.c - alloc-top: pages allocated per process.
 *
 * On every successful page allocation (kmem:mm_page_alloc) add 1 << order
 * pages to the allocating process's entry in a hash keyed by (tgid,
 * generation). A report flips the generation, waits for an RCU grace
 * period, then reads and deletes the old generation's entries and totals:
 * each report holds exactly what was allocated since the previous one. All
 * the state is in maps (the hash and the counters in .bss), so a report
 * can be produced by any process that opens them. A second program renames
 * a process's entries when it executes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "hld_record.h"
#include "alloctop.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define KEEXIST			17

const volatile __s64 targ_tgid = -1;

__u32 gen = 0;			/* generation counted into; flipped by each report */
__u64 nr_allocs[2] = {};	/* per generation: allocations that passed the filter */
__u64 nr_pages[2] = {};		/* per generation: their pages */
/* Since activation: allocations missing from the per-process view, the hash was full. */
__u64 nr_drops = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ALLOCTOP_MAX_ENTRIES);
	__type(key, struct alloctop_key);
	__type(value, struct hld_alloctop_val);
} procs SEC(".maps");

SEC("tp_btf/mm_page_alloc")
int BPF_PROG(alloctop_page_alloc, struct page *page, unsigned int order, gfp_t gfp, int mt)
{
	struct alloctop_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .gen = gen & 1 };
	__u64 pages = 1ull << (order & 31), *allocs, *npages;
	struct hld_alloctop_val *v, init = {};
	long err;

	if (!page)		/* the allocation failed */
		return 0;
	if (targ_tgid >= 0 && key.tgid != targ_tgid)
		return 0;
	/* Constant indexes: the verifier cannot follow a spilled key.gen into the arrays. */
	allocs = key.gen ? &nr_allocs[1] : &nr_allocs[0];
	npages = key.gen ? &nr_pages[1] : &nr_pages[0];
	__sync_fetch_and_add(allocs, 1);
	__sync_fetch_and_add(npages, pages);
	v = bpf_map_lookup_elem(&procs, &key);
	if (!v) {
		bpf_get_current_comm(init.comm, sizeof(init.comm));
		err = bpf_map_update_elem(&procs, &key, &init, BPF_NOEXIST);
		if (err && err != -KEEXIST) {
			__sync_fetch_and_add(&nr_drops, 1);
			return 0;
		}
		v = bpf_map_lookup_elem(&procs, &key);
		if (!v) {
			__sync_fetch_and_add(&nr_drops, 1);
			return 0;
		}
	}
	__sync_fetch_and_add(&v->pages, pages);
	__sync_fetch_and_add(&v->allocs, 1);
	return 0;
}

/* Give the entry of (@tgid, @g), if there is one, the current comm. */
static __always_inline void rename(__u32 tgid, __u32 g)
{
	struct alloctop_key key = { .tgid = tgid, .gen = g };
	struct hld_alloctop_val *v = bpf_map_lookup_elem(&procs, &key);

	if (v)
		bpf_get_current_comm(v->comm, sizeof(v->comm));
}

/*
 * A process that executes takes the new program's name: most processes
 * allocate first as the forked copy of their parent (a shell's child is
 * "bash" until it executes), which would otherwise name them for good.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(alloctop_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (targ_tgid >= 0 && tgid != targ_tgid)
		return 0;
	rename(tgid, 0);
	rename(tgid, 1);
	return 0;
}
