// SPDX-License-Identifier: GPL-2.0
/*
 * tracepoint.bpf.c - tracepoint and kprobe: count the hits of any one
 * tracepoint or kernel function, with the kernel and user stacks that hit it.
 *
 * One raw tracepoint program serves every tracepoint: user space attaches
 * it by name (bpf_raw_tracepoint_open), so nothing here knows the event's
 * arguments, and no tracefs is needed. Its kprobe twin, kp_hit, does the
 * same at the entry of a kernel function; user space loads one of the two. The syscalls:sys_{enter,exit}_NAME
 * events are not tracepoints of their own: user space attaches to
 * sys_enter or sys_exit and sets targ_sysnr, checked here.
 *
 * Every hit that passes the filters is counted in a per-CPU array (exact:
 * it cannot fail) and, with its stacks, in a hash keyed by (generation,
 * process, comm, stack ids). A report flips `gen` and, after a grace
 * period, drains the old generation: its hash entries, its per-CPU counts
 * and its stack maps. The loss counters only grow.
 *
 * The first hit of a user stack in a process also notes the file and file
 * offset of each of its frames (ustack-files.bpf.h) in ufiles, so that a
 * report names the frames of a process that exited before it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tracepoint.bpf.h"
#include "ustack-files.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define KEEXIST		17
#define KEFAULT		14
#define KPF_KTHREAD	0x00200000	/* PF_KTHREAD */
#define TP_STACK_BYTES	(64 * sizeof(__u64))	/* HLD_MAX_STACK frames */

/* Settings, fixed before load. */
const volatile __s64 targ_tgid = -1;
const volatile __s64 targ_pid = -1;
const volatile __s64 targ_cpu = -1;
const volatile char targ_comm[TP_COMM_LEN] = {};
const volatile __u32 want_kernel = 1;
const volatile __u32 want_user = 1;
const volatile __s64 targ_sysnr = -1;	/* sys_enter/sys_exit: only this syscall */
const volatile __u32 sys_exit = 0;	/* the number is in regs->orig_ax, not args[1] */

__u32 gen = 0;			/* generation hits are counted in, flipped by a report */
__u64 nr_drop_count = 0;	/* hits missing from the stack hash: it was full */
__u64 nr_drop_kstack = 0;	/* hits counted without their kernel stack */
__u64 nr_drop_ustack = 0;	/* hits of a user task counted without its user stack */
__s64 last_kstack_err = 0;	/* the last kernel stack error, for the report */
__s64 last_ustack_err = 0;	/* the last user stack error */
__u64 nr_ufiles_full = 0;	/* user stacks whose files were not noted: ufiles full */
__u64 nr_ufiles_missed = 0;	/* user frames whose mapping was not found */

/* Hits per CPU, one slot per generation: exact totals. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TP_MAX_KEYS);
	__type(key, struct tp_key);
	__type(value, __u64);
} counts SEC(".maps");

struct stack_map {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, TP_STACK_ENTRIES);
	__type(key, __u32);
	__uint(value_size, TP_STACK_BYTES);
};

struct spill_map {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, TP_SPILL_ENTRIES);
	__type(key, __u32);
	__uint(value_size, TP_STACK_BYTES);
};

struct stack_map stacks0 SEC(".maps");
struct stack_map stacks1 SEC(".maps");
struct spill_map spill0 SEC(".maps");
struct spill_map spill1 SEC(".maps");

/* Files of the frames of each (generation, process, user stack); drained with the generation. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TP_UFILES_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tp_ufiles_key);
	__type(value, struct ustack_files);
} ufiles SEC(".maps");

/* A user stack's frames and their files, built here before they go into ufiles. */
struct tp_scratch {
	__u64 ips[HLD_MAX_STACK];
	struct ustack_files uf;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tp_scratch);
} scratch SEC(".maps");

/* True if the current task's comm @comm equals the comm filter. */
static __always_inline bool comm_matches(const char *comm)
{
	for (int i = 0; i < TP_COMM_LEN; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/* True if this hit is of the one syscall asked for (or no syscall was asked for). */
static __always_inline bool sysnr_matches(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs;
	__s64 nr;

	if (targ_sysnr < 0)
		return true;
	if (sys_exit) {
		regs = (struct pt_regs *)ctx->args[0];
		nr = (__s64)BPF_CORE_READ(regs, orig_ax);
	} else {
		nr = (__s64)ctx->args[1];
	}
	return nr == targ_sysnr;
}

/*
 * A stack id from @stacks, or from @spill when its bucket in @stacks holds
 * another stack (-EEXIST): then TP_STACK_ENTRIES + its spill id.
 */
static __always_inline long get_stackid(void *ctx, void *stacks,
					 void *spill, __u64 flags)
{
	long id = bpf_get_stackid(ctx, stacks, flags);

	if (id == -KEEXIST) {
		id = bpf_get_stackid(ctx, spill, flags);
		if (id >= 0)
			id += TP_STACK_ENTRIES;
	}
	return id;
}

/*
 * The kernel and user stack ids of this hit in @stacks (or @spill). A user stack that
 * cannot exist (a kernel thread, a task past exit_mm()) is TP_STACK_NONE;
 * one that should exist but was not stored is TP_STACK_LOST, and counted.
 */
static __always_inline void take_stacks(void *ctx, void *stacks,
					void *spill, struct tp_key *key)
{
	struct task_struct *cur;
	long id;

	key->kstack_id = TP_STACK_NONE;
	key->ustack_id = TP_STACK_NONE;
	if (want_kernel) {
		id = get_stackid(ctx, stacks, spill, 0);
		if (id >= 0) {
			key->kstack_id = id;
		} else {
			key->kstack_id = TP_STACK_LOST;
			last_kstack_err = id;
			__sync_fetch_and_add(&nr_drop_kstack, 1);
		}
	}
	if (want_user) {
		id = get_stackid(ctx, stacks, spill, BPF_F_USER_STACK);
		if (id >= 0) {
			key->ustack_id = id;
			return;
		}
		cur = bpf_get_current_task_btf();
		if (id == -KEFAULT && ((cur->flags & KPF_KTHREAD) || !cur->mm))
			return;
		key->ustack_id = TP_STACK_LOST;
		last_ustack_err = id;
		__sync_fetch_and_add(&nr_drop_ustack, 1);
	}
}

/*
 * On the first hit of user stack @key->ustack_id in this process, note the
 * file and offset of each of its frames in ufiles: one hash lookup on every
 * later hit. The frames are read again (bpf_get_stack() gives the same ones
 * the stack map holds).
 */
static __always_inline void note_ufiles(void *ctx,
					const struct tp_key *key)
{
	struct tp_ufiles_key k = { .gen = key->gen, .tgid = key->tgid, .ustack_id = key->ustack_id };
	struct tp_scratch *sc;
	__u32 zero = 0;
	long n;

	if (bpf_map_lookup_elem(&ufiles, &k))
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
	n = bpf_map_update_elem(&ufiles, &k, &sc->uf, BPF_NOEXIST);
	if (n && n != -KEEXIST)
		__sync_fetch_and_add(&nr_ufiles_full, 1);
}

/* Add one hit to @key's count; a full hash is counted as a drop. */
static __always_inline void count_key(struct tp_key *key)
{
	__u64 one = 1, *val;
	long err;

	val = bpf_map_lookup_elem(&counts, key);
	if (val) {
		__sync_fetch_and_add(val, 1);
		return;
	}
	err = bpf_map_update_elem(&counts, key, &one, BPF_NOEXIST);
	if (err == -KEEXIST) {		/* another CPU inserted it first */
		val = bpf_map_lookup_elem(&counts, key);
		if (val) {
			__sync_fetch_and_add(val, 1);
			return;
		}
	}
	if (err)
		__sync_fetch_and_add(&nr_drop_count, 1);
}

/* Count one hit of the current task, whose context is @ctx, if it passes the filters. */
static __always_inline int hit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tp_key key = {};
	__u64 *hit;
	__u32 g;

	if (targ_tgid >= 0 && (id >> 32) != targ_tgid)
		return 0;
	if (targ_pid >= 0 && (__u32)id != targ_pid)
		return 0;
	if (targ_cpu >= 0 && bpf_get_smp_processor_id() != targ_cpu)
		return 0;
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	if (targ_comm[0] && !comm_matches(key.comm))
		return 0;
	g = gen & 1;
	key.gen = g;
	key.tgid = id >> 32;
	hit = bpf_map_lookup_elem(&hits, &g);
	if (hit)
		*hit += 1;
	if (g)
		take_stacks(ctx, &stacks1, &spill1, &key);
	else
		take_stacks(ctx, &stacks0, &spill0, &key);
	if (key.ustack_id >= 0)
		note_ufiles(ctx, &key);
	count_key(&key);
	return 0;
}

SEC("raw_tp")
int tp_hit(struct bpf_raw_tracepoint_args *ctx)
{
	return sysnr_matches(ctx) ? hit(ctx) : 0;
}

SEC("kprobe")
int kp_hit(struct pt_regs *ctx)
{
	return hit(ctx);
}
