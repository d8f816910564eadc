// SPDX-License-Identifier: GPL-2.0
/*
 * profile.bpf.c - perf: a sampling profiler on the cpu-clock software event.
 *
 * Each sample that passes the pid/tgid/comm/cpu filters is counted in a
 * hash keyed by struct hld_perf_key (task, CPU and the ids of its kernel
 * and user stacks in a stack-trace map). The maps come in two sets: the
 * program writes the set named by `active`, and user space flips `active`
 * before it drains the other set, so it never reads or deletes a stack id
 * a sample is being counted against.
 *
 * `active` is the generation: a report (in whatever process) flips it,
 * waits for an RCU grace period (after which no run still writes the old
 * set) and drains the old set: exactly the samples since the last report.
 *
 * A stack id is a hash bucket of the stack map: a new stack whose bucket
 * holds another stack is refused (-EEXIST). Such a stack goes to a smaller
 * spill map (other buckets) and its id is reported as PERF_SPILL_BASE +
 * its spill id; only a stack refused by both is lost.
 *
 * User stacks are walked by the kernel along the frame pointer chain. When
 * the sample hit user code whose frame pointer register cannot be one (not
 * an aligned address just above the stack pointer: code built without
 * frame pointers uses it as a plain register), the walk would only fault
 * or read garbage past the first frame: the program then keeps that frame
 * alone, in the leaf map (a one-frame stack map, no walk), which saves
 * most of the cost of a user stack.
 *
 * For every sampled process the executable's inode, device and load
 * address are kept (struct perf_proc) and its path in ustack_paths (the
 * walk of ustack-files.bpf.h), so that its frames can still be named once
 * it has exited; that work is done once per process (and again after an
 * exec), the path walk once per executable.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "hld_record.h"
#include "profile.bpf.h"
#define USTACK_FILES_PATHS_ONLY		/* executables' paths, no frame walk */
#include "ustack-files.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define PERF_MAX_ENTRIES	16384
#define PERF_FP_SPAN		(8 << 20)	/* a frame pointer lies this close above sp */
#define KEEXIST			17
#define KPF_KTHREAD		0x00200000	/* PF_KTHREAD */
#define KEFAULT			14

/* Settings, fixed before load. */
const volatile __s64 targ_pid = -1;
const volatile __s64 targ_tgid = -1;
const volatile __s64 targ_cpu = -1;
const volatile char targ_comm[HLD_COMM_LEN] = {};
const volatile __u32 want_kernel = 1;
const volatile __u32 want_user = 1;

__u32 active = 0;		/* map set the program writes: 0 or 1 (the generation) */
__u64 nr_keys[2] = {};		/* keys inserted into counts0/counts1 since their last drain */
__u64 nr_procs_added = 0;	/* perf_proc entries written (new process or exec) */
__u64 nr_proc_fail = 0;		/* processes whose executable could not be recorded */
__u64 nr_samples = 0;		/* samples that passed the filters */
__u64 nr_drops = 0;		/* of those, samples not counted; by cause: */
__u64 nr_drop_kstack = 0;	/* kernel stack not stored (-EEXIST in both maps, -ENOMEM) */
__u64 nr_drop_ustack = 0;	/* user stack of a user task not stored */
__u64 nr_drop_count = 0;	/* count map full */
__s64 last_stack_err = 0;	/* the last stack error, for the report */

struct stack_map {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, PERF_STACK_ENTRIES);
	__type(key, __u32);
	__uint(value_size, HLD_MAX_STACK * sizeof(__u64));
};

struct spill_map {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, PERF_SPILL_ENTRIES);
	__type(key, __u32);
	__uint(value_size, HLD_MAX_STACK * sizeof(__u64));
};

struct count_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PERF_MAX_ENTRIES);
	__type(key, struct hld_perf_key);
	__type(value, __u64);
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PERF_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct perf_proc);
} procs SEC(".maps");

/* Scratch for building a perf_proc: too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct perf_proc);
} proc_scratch SEC(".maps");

struct leaf_map {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, PERF_LEAF_ENTRIES);
	__type(key, __u32);
	__uint(value_size, sizeof(__u64));
};

struct stack_map stacks0 SEC(".maps");
struct stack_map stacks1 SEC(".maps");
struct spill_map spill0 SEC(".maps");
struct spill_map spill1 SEC(".maps");
struct leaf_map leaf0 SEC(".maps");
struct leaf_map leaf1 SEC(".maps");
struct count_map counts0 SEC(".maps");
struct count_map counts1 SEC(".maps");

/* True if the current task's comm matches the comm filter. */
static __always_inline bool comm_matches(const char *comm)
{
	for (int i = 0; i < HLD_COMM_LEN; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/*
 * Fill @pp with the executable of @mm: its inode and device, its path kept
 * in ustack_paths (the walk shared with the user-stack features), and the
 * code's load range.
 */
static __always_inline void proc_fill(struct perf_proc *pp, struct mm_struct *mm)
{
	struct file *exe = BPF_CORE_READ(mm, exe_file);

	pp->mm = (__u64)mm;
	pp->start_code = BPF_CORE_READ(mm, start_code);
	pp->end_code = BPF_CORE_READ(mm, end_code);
	pp->path_kept = 0;
	pp->ino = 0;
	pp->dev = 0;
	if (!exe)
		return;
	pp->ino = BPF_CORE_READ(exe, f_inode, i_ino);
	pp->dev = BPF_CORE_READ(exe, f_inode, i_sb, s_dev);
	pp->path_kept = !ustack_files__note_path((__u64)exe, pp->ino, pp->dev);
}

/*
 * Make sure @tgid's executable is recorded: on its first sample, and again
 * when its mm changed (an exec). One hash lookup on every other sample.
 */
static __always_inline void proc_note(__u32 tgid)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mm_struct *mm = task->mm;
	struct perf_proc *pp;
	__u32 zero = 0;

	if (!mm)
		return;
	pp = bpf_map_lookup_elem(&procs, &tgid);
	if (pp && pp->mm == (__u64)mm)
		return;
	pp = bpf_map_lookup_elem(&proc_scratch, &zero);
	if (!pp)
		return;
	proc_fill(pp, mm);
	if (bpf_map_update_elem(&procs, &tgid, pp, BPF_ANY))
		__sync_fetch_and_add(&nr_proc_fail, 1);
	else
		__sync_fetch_and_add(&nr_procs_added, 1);
}

/* A stack id from @stacks, or from @spill when its bucket in @stacks is taken. */
static __always_inline int get_stackid(struct bpf_perf_event_data *ctx, void *stacks,
				       void *spill, __u64 flags)
{
	int id = bpf_get_stackid(ctx, stacks, flags);

	if (id == -KEEXIST) {
		id = bpf_get_stackid(ctx, spill, flags);
		if (id >= 0)
			id += PERF_SPILL_BASE;
	}
	return id;
}

/*
 * The user stack's id: the interrupted user frame alone (leaf map) when the
 * sample hit user mode with no plausible frame pointer, else the whole
 * chain; a leaf refused by its bucket gets the walk instead.
 */
static __always_inline int get_ustackid(struct bpf_perf_event_data *ctx, void *stacks,
					void *spill, void *leaf)
{
	__u64 bp = ctx->regs.bp, sp = ctx->regs.sp;
	/*
	 * cs shares a u64 with other fields in the kernel's pt_regs, and is
	 * 2 bytes wide in 6.1's BTF: a CO-RE access of it fails to relocate
	 * there. The context is the UAPI pt_regs, whose layout is ABI: read
	 * its whole u64 at the fixed offset (r15 .. rip, then cs: slot 17).
	 */
	__u64 cs = *(volatile __u64 *)((void *)ctx + 17 * sizeof(__u64));
	int id;

	if ((cs & 3) == 3 && (bp < sp || bp - sp >= PERF_FP_SPAN || (bp & 7))) {
		id = bpf_get_stackid(ctx, leaf, BPF_F_USER_STACK);
		if (id >= 0)
			return id + PERF_LEAF_BASE;
	}
	return get_stackid(ctx, stacks, spill, BPF_F_USER_STACK);
}

/*
 * Take the stacks into @stacks, @spill and @leaf and count the sample under
 * its key in @counts. Returns 0, or -1 if the sample could not be counted.
 */
static __always_inline int count_sample(struct bpf_perf_event_data *ctx, void *stacks,
					void *spill, void *leaf, void *counts,
					struct hld_perf_key *key)
{
	__u64 one = 1, *val;
	long err;

	key->kstack_id = -1;
	key->ustack_id = -1;
	if (want_kernel) {
		key->kstack_id = get_stackid(ctx, stacks, spill, 0);
		/* -EFAULT: the sample hit user mode, there is no kernel stack. */
		if (key->kstack_id < 0 && key->kstack_id != -KEFAULT) {
			last_stack_err = key->kstack_id;
			__sync_fetch_and_add(&nr_drop_kstack, 1);
			return -1;
		}
		if (key->kstack_id < 0)
			key->kstack_id = -1;
	}
	if (want_user) {
		key->ustack_id = get_ustackid(ctx, stacks, spill, leaf);
		if (key->ustack_id < 0) {
			struct task_struct *cur = bpf_get_current_task_btf();

			/* A kernel thread, or a task past exit_mm(), has no user stack: not a loss. */
			if (key->ustack_id != -KEFAULT || (!(cur->flags & KPF_KTHREAD) && cur->mm)) {
				last_stack_err = key->ustack_id;
				__sync_fetch_and_add(&nr_drop_ustack, 1);
				return -1;
			}
			key->ustack_id = -1;
		}
	}
	val = bpf_map_lookup_elem(counts, key);
	if (val) {
		__sync_fetch_and_add(val, 1);
		return 0;
	}
	err = bpf_map_update_elem(counts, key, &one, BPF_NOEXIST);
	if (!err) {
		__sync_fetch_and_add(&nr_keys[active & 1], 1);
		return 0;
	}
	if (err == -KEEXIST) {	/* another CPU inserted it first */
		val = bpf_map_lookup_elem(counts, key);
		if (!val)
			return -1;
		__sync_fetch_and_add(val, 1);
		return 0;
	}
	__sync_fetch_and_add(&nr_drop_count, 1);
	return -1;
}

/* One sample: filter, note the process, count it under its stacks in the active set. */
SEC("perf_event")
int profile_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct hld_perf_key key = {};
	int err;

	key.pid = (__u32)id;
	key.tgid = id >> 32;
	key.cpu = bpf_get_smp_processor_id();
	if (targ_pid >= 0 && key.pid != targ_pid)
		return 0;
	if (targ_tgid >= 0 && key.tgid != targ_tgid)
		return 0;
	if (targ_cpu >= 0 && key.cpu != targ_cpu)
		return 0;
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	if (targ_comm[0] && !comm_matches(key.comm))
		return 0;
	__sync_fetch_and_add(&nr_samples, 1);
	if (want_user && key.tgid)
		proc_note(key.tgid);
	if (active)
		err = count_sample(ctx, &stacks1, &spill1, &leaf1, &counts1, &key);
	else
		err = count_sample(ctx, &stacks0, &spill0, &leaf0, &counts0, &key);
	if (err)
		__sync_fetch_and_add(&nr_drops, 1);
	return 0;
}
