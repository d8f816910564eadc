// SPDX-License-Identifier: GPL-2.0
/*
 * alloctop.bpf.c - alloc-top: pages allocated per process.
 *
 * On every successful page allocation (kmem:mm_page_alloc) add 1 << order
 * pages to the allocating process's entry in a hash keyed by tgid. All the
 * state is in maps (the hash and the counters in .bss), so a report can be
 * produced by any process that opens them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "hld_record.h"

char LICENSE[] SEC("license") = "GPL";

#define ALLOCTOP_MAX_ENTRIES	16384
#define KEEXIST			17

const volatile __s64 targ_tgid = -1;

__u64 nr_allocs = 0;		/* allocations that passed the filter */
__u64 nr_pages = 0;		/* their pages */
__u64 nr_drops = 0;		/* allocations not counted: the hash was full */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ALLOCTOP_MAX_ENTRIES);
	__type(key, __u32);
	__type(value, struct hld_alloctop_val);
} procs SEC(".maps");

SEC("tp_btf/mm_page_alloc")
int BPF_PROG(alloctop_page_alloc, struct page *page, unsigned int order, gfp_t gfp, int mt)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 pages = 1ull << (order & 31);
	struct hld_alloctop_val *v, init = {};
	long err;

	if (!page)		/* the allocation failed */
		return 0;
	if (targ_tgid >= 0 && tgid != targ_tgid)
		return 0;
	__sync_fetch_and_add(&nr_allocs, 1);
	__sync_fetch_and_add(&nr_pages, pages);
	v = bpf_map_lookup_elem(&procs, &tgid);
	if (!v) {
		bpf_get_current_comm(init.comm, sizeof(init.comm));
		err = bpf_map_update_elem(&procs, &tgid, &init, BPF_NOEXIST);
		if (err && err != -KEEXIST) {
			__sync_fetch_and_add(&nr_drops, 1);
			return 0;
		}
		v = bpf_map_lookup_elem(&procs, &tgid);
		if (!v) {
			__sync_fetch_and_add(&nr_drops, 1);
			return 0;
		}
	}
	__sync_fetch_and_add(&v->pages, pages);
	__sync_fetch_and_add(&v->allocs, 1);
	return 0;
}
