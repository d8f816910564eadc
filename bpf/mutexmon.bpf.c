// SPDX-License-Identifier: GPL-2.0
/*
 * mutexmon.bpf.c - mutex-monitor: kernel lock contention.
 *
 * lock:contention_begin stamps the waiting thread (task storage: start time,
 * lock, flags, its kernel stack id and, for a mutex, the owner read from
 * mutex->owner); lock:contention_end adds the wait to a hash keyed by
 * struct hld_mutex_key (lock, waiter stack, flags, waiter tgid). A mutex
 * slow path fires begin twice (spinning, then sleeping) for one wait: the
 * second keeps the first stamp. A spinlock contended inside a wait (the
 * mutex's own wait_lock, or a lock in an interrupt) nests: four levels are
 * kept. All state is in maps.
 *
 * Draining: the counts hash and the contention counters have two
 * generations, selected by gen. A report flips gen, waits for a grace
 * period (no program still writes the old one), then reads and clears the
 * old generation: exactly the waits that ended since the previous report.
 * The drop counters and the stack map are never reset.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "hld_record.h"

char LICENSE[] SEC("license") = "GPL";

#define MUTEX_MAX_ENTRIES	16384
#define MUTEX_STACK_ENTRIES	8192
#define MUTEX_DEPTH		4	/* nested waits kept per thread (an IRQ may nest on a wait) */
#define KEEXIST			17
#define LCB_F_MUTEX		(1U << 5)	/* include/trace/events/lock.h */
#define MUTEX_FLAGS		0x07ul		/* low bits of mutex->owner */

const volatile __u64 targ_min_ns = 0;
const volatile __s64 targ_tgid = -1;

__u32 gen = 0;			/* generation written now; user space flips it */
__u64 nr_contentions[2] = {};	/* per generation: waits that ended and passed the filters */
__u64 nr_short[2] = {};		/* per generation: waits under targ_min_ns, not counted */
__u64 nr_drops = 0;		/* waits not counted; by cause: */
__u64 nr_drop_kstack = 0;	/* kernel stack not stored */
__u64 nr_drop_nest = 0;		/* nested deeper than MUTEX_DEPTH, or unmatched end */
__u64 nr_drop_count = 0;	/* count map full */
__u64 nr_drop_storage = 0;	/* task storage not available */

struct wait_slot {
	__u64 start_ns;
	__u64 lock;
	__u32 flags;
	__s32 kstack_id;
	__u32 holder_pid;
	__u32 holder_tgid;
	char holder_comm[HLD_COMM_LEN];
};

struct wait_state {
	__u32 depth;
	__u32 pad;
	struct wait_slot slot[MUTEX_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct wait_state);
} waits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, MUTEX_STACK_ENTRIES);
	__type(key, __u32);
	__uint(value_size, HLD_MAX_STACK * sizeof(__u64));
} stacks SEC(".maps");

/* The counts of generation 0 and 1. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MUTEX_MAX_ENTRIES);
	__type(key, struct hld_mutex_key);
	__type(value, struct hld_mutex_val);
} counts0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MUTEX_MAX_ENTRIES);
	__type(key, struct hld_mutex_key);
	__type(value, struct hld_mutex_val);
} counts1 SEC(".maps");

/* Count one drop of cause @cause. */
static __always_inline void drop(__u64 *cause)
{
	__sync_fetch_and_add(cause, 1);
	__sync_fetch_and_add(&nr_drops, 1);
}

/*
 * Record the owner of the mutex @lock in @s: owner is a task pointer with
 * flag bits. An owner already seen for this wait is kept if there is none now
 * (released just as the waiter went to sleep).
 */
static __always_inline void read_holder(struct wait_slot *s, void *lock)
{
	struct mutex *m = lock;
	struct task_struct *owner;
	long word = 0;

	bpf_probe_read_kernel(&word, sizeof(word), &m->owner.counter);
	owner = (struct task_struct *)(word & ~MUTEX_FLAGS);
	if (!owner)
		return;
	s->holder_pid = BPF_CORE_READ(owner, pid);
	s->holder_tgid = BPF_CORE_READ(owner, tgid);
	bpf_probe_read_kernel_str(s->holder_comm, sizeof(s->holder_comm), owner->comm);
}

SEC("tp_btf/contention_begin")
int BPF_PROG(mutexmon_begin, void *lock, unsigned int flags)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct wait_state *w;
	struct wait_slot *s;
	__u32 d;

	if (targ_tgid >= 0 && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return 0;
	w = bpf_task_storage_get(&waits, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!w) {
		drop(&nr_drop_storage);
		return 0;
	}
	d = w->depth;
	if (d > 0 && d <= MUTEX_DEPTH && w->slot[d - 1].lock == (__u64)lock) {
		/* The same wait going from spinning to sleeping: keep its stamp. */
		s = &w->slot[d - 1];
		s->flags |= flags;
		if (flags & LCB_F_MUTEX)
			read_holder(s, lock);
		return 0;
	}
	if (d >= MUTEX_DEPTH) {
		drop(&nr_drop_nest);
		return 0;
	}
	s = &w->slot[d];
	s->lock = (__u64)lock;
	s->flags = flags;
	s->kstack_id = bpf_get_stackid(ctx, &stacks, 0);
	s->holder_pid = 0;
	s->holder_tgid = 0;
	s->holder_comm[0] = '\0';
	if (flags & LCB_F_MUTEX)
		read_holder(s, lock);
	s->start_ns = bpf_ktime_get_ns();
	w->depth = d + 1;
	return 0;
}

/* Add the wait @s of @ns to the counts of generation @g. */
static __always_inline void count_wait(struct wait_slot *s, __u64 ns, __u32 g)
{
	void *counts = g ? (void *)&counts1 : (void *)&counts0;
	struct hld_mutex_key key = {};
	struct hld_mutex_val zero = {}, *v;
	__u64 id = bpf_get_current_pid_tgid();
	long err;

	key.lock = s->lock;
	key.kstack_id = s->kstack_id;
	key.flags = s->flags;
	key.tgid = id >> 32;
	v = bpf_map_lookup_elem(counts, &key);
	if (!v) {
		err = bpf_map_update_elem(counts, &key, &zero, BPF_NOEXIST);
		if (err && err != -KEEXIST) {
			drop(&nr_drop_count);
			return;
		}
		v = bpf_map_lookup_elem(counts, &key);
		if (!v) {
			drop(&nr_drop_count);
			return;
		}
	}
	__sync_fetch_and_add(&v->count, 1);
	__sync_fetch_and_add(&v->total_ns, ns);
	/*
	 * The longest wait names its waiter, the longest with an owner seen
	 * names the holder. Not atomic across CPUs: two waits ending together
	 * may mix or miss a maximum.
	 */
	if (ns > v->max_ns) {
		v->max_ns = ns;
		v->waiter_pid = (__u32)id;
		bpf_get_current_comm(v->waiter_comm, sizeof(v->waiter_comm));
	}
	if (s->holder_pid) {
		__sync_fetch_and_add(&v->holder_waits, 1);
		if (ns >= v->holder_wait_ns) {
			v->holder_wait_ns = ns;
			v->holder_pid = s->holder_pid;
			v->holder_tgid = s->holder_tgid;
			__builtin_memcpy(v->holder_comm, s->holder_comm, sizeof(v->holder_comm));
		}
	}
	__sync_fetch_and_add(&nr_contentions[g], 1);
}

SEC("tp_btf/contention_end")
int BPF_PROG(mutexmon_end, void *lock, int ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 g = *(volatile __u32 *)&gen & 1;
	struct wait_state *w;
	struct wait_slot *s;
	__u32 i, j;
	__u64 ns;

	w = bpf_task_storage_get(&waits, task, 0, 0);
	if (!w || !w->depth)
		return 0;
	/*
	 * The slots are indexed by depth - 1, bounded as the index itself:
	 * 6.1's verifier loses a bound carried through "depth - 1".
	 */
	i = w->depth - 1;
	barrier_var(i);
	if (i >= MUTEX_DEPTH || w->slot[i].lock != (__u64)lock) {
		/* A begin was missed (attached mid-wait, or nested too deep): resync. */
		j = i - 1;
		barrier_var(j);
		if (i < MUTEX_DEPTH && j < MUTEX_DEPTH && w->slot[j].lock == (__u64)lock) {
			w->depth = i;
			return 0;
		}
		w->depth = 0;
		drop(&nr_drop_nest);
		return 0;
	}
	s = &w->slot[i];
	w->depth = i;
	ns = bpf_ktime_get_ns() - s->start_ns;
	if (ns < targ_min_ns) {
		__sync_fetch_and_add(&nr_short[g], 1);
		return 0;
	}
	if (s->kstack_id < 0) {
		drop(&nr_drop_kstack);
		return 0;
	}
	count_wait(s, ns, g);
	return 0;
}
