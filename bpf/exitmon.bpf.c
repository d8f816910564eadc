// SPDX-License-Identifier: GPL-2.0
/*
 * exitmon.bpf.c - exit-monitor: one record per exiting task (or thread-group
 * leader) with its exit code and the user stack it exited from.
 *
 * sched_process_exit fires in do_exit() in the exiting task itself, after
 * task->exit_code is set: the record is built there. Where it fires the
 * task's memory may already be gone: recent kernels (6.18) fire it before
 * exit_mm(), Debian's 6.1 and 6.12 after. So the user stack is taken in one
 * of two places, chosen by user space before load (stack_at_entry):
 *
 * - at do_exit()'s entry, by a kprobe (exitmon_entry), where the task still
 *   has its mm and the registers it entered the kernel with: the stack and
 *   each frame's file (ustack-files.bpf.h) go into entry_stacks, keyed by
 *   pid, which the tracepoint takes and deletes. The map is bounded: an
 *   entry that finds it full (nr_entry_full), and an exit that finds no
 *   entry of its task (nr_entry_miss), are counted;
 * - where the kernel has no kprobes, at the tracepoint itself; where the mm
 *   is already gone the record says so and counts in nr_no_ustack.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "hld_record.h"
#include "exitmon.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define KPF_KTHREAD	0x00200000	/* PF_KTHREAD */

/* Settings, fixed before load. */
const volatile char targ_comm[HLD_COMM_LEN] = {};
const volatile __s64 targ_tgid = -1;
const volatile __u32 want_ustack = 1;
const volatile __u32 all_threads = 0;
const volatile __u32 stack_at_entry = 0;	/* 1: exitmon_entry takes the stack */

__u64 nr_exits = 0;		/* exits that passed the filters */
__u64 nr_drops = 0;		/* of those, records lost: ring buffer full */
__u64 nr_no_ustack = 0;		/* records without a user stack (no mm, or the walk failed) */
__u64 nr_vma_err = 0;		/* frames whose mapping could not be looked up */
__u64 nr_entry_full = 0;	/* stacks lost at do_exit() entry: entry_stacks full */
__u64 nr_entry_miss = 0;	/* exits that found no entry stack of their task */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);	/* set by user space */
} events SEC(".maps");

/* A user stack taken at do_exit() entry, waiting for the task's sched_process_exit. */
struct exitmon_entry_stack {
	__u64 start_time;	/* the task's, so that a reused pid does not take it */
	__s32 ustack_err;
	__u32 nr_ustack;
	__u64 ustack[HLD_MAX_STACK];
	struct ustack_files uf;
};

/*
 * pid -> its stack, from do_exit() entry to sched_process_exit: a few tasks
 * per CPU at once. Preallocated, bounded (EXITMON_ENTRY_STACKS, set to 1 by
 * user space when the kprobe is not used).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EXITMON_ENTRY_STACKS);
	__type(key, __u32);
	__type(value, struct exitmon_entry_stack);
} entry_stacks SEC(".maps");

/* Where exitmon_entry builds a stack before it goes into entry_stacks (too big for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exitmon_entry_stack);
} entry_scratch SEC(".maps");

/* True if @comm equals the comm filter. */
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

/* The filters, on the current task: user tasks, leaders unless all_threads, tgid, comm. */
static __always_inline bool exitmon__pass(struct task_struct *task, __u64 id, char *comm)
{
	__u32 pid = (__u32)id, tgid = id >> 32;

	if (task->flags & KPF_KTHREAD)
		return false;
	if (!all_threads && pid != tgid)
		return false;
	if (targ_tgid >= 0 && tgid != targ_tgid)
		return false;
	bpf_get_current_comm(comm, HLD_COMM_LEN);
	return !targ_comm[0] || comm_matches(comm);
}

/*
 * do_exit() entry: the user stack of the exiting task and its frames'
 * files, while it still has its memory, kept in entry_stacks for its
 * sched_process_exit. Loaded only when stack_at_entry.
 */
SEC("kprobe/do_exit")
int BPF_KPROBE(exitmon_entry)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();
	struct exitmon_entry_stack *st;
	char comm[HLD_COMM_LEN];
	__u32 pid = (__u32)id, zero = 0;
	long n;

	if (!exitmon__pass(task, id, comm))
		return 0;
	st = bpf_map_lookup_elem(&entry_scratch, &zero);
	if (!st)
		return 0;
	st->start_time = task->start_time;
	st->ustack_err = 0;
	st->nr_ustack = 0;
	st->uf.nr_frames = 0;
	st->uf.nr_files = 0;
	st->uf.vma_err = 0;
	if (!task->mm) {
		st->ustack_err = -14;	/* EFAULT: no user memory */
	} else {
		n = bpf_get_stack(ctx, st->ustack, sizeof(st->ustack), BPF_F_USER_STACK);
		if (n > 0)
			st->nr_ustack = n / sizeof(__u64);
		else
			st->ustack_err = n ? n : -61;	/* ENODATA: empty */
	}
	if (st->nr_ustack) {
		n = ustack_files__fill(&st->uf, st->ustack, st->nr_ustack);
		if (n)
			__sync_fetch_and_add(&nr_vma_err, n);
	}
	/* an existing key (a stale entry of a reused pid) is replaced in place */
	if (bpf_map_update_elem(&entry_stacks, &pid, st, BPF_ANY))
		__sync_fetch_and_add(&nr_entry_full, 1);
	return 0;
}

/*
 * Move the stack exitmon_entry took for this task (@pid, started at
 * @start_time) into @ev, and free its entry. None: -ENOENT, counted.
 */
static __always_inline void exitmon__take_entry(struct exitmon_event *ev, __u32 pid,
						__u64 start_time)
{
	struct hld_exit_record *rec = &ev->rec;
	struct exitmon_entry_stack *st;

	st = bpf_map_lookup_elem(&entry_stacks, &pid);
	if (!st || st->start_time != start_time) {
		if (st)	/* left by an earlier task of this pid that never got here */
			bpf_map_delete_elem(&entry_stacks, &pid);
		__sync_fetch_and_add(&nr_entry_miss, 1);
		rec->ustack_err = -2;	/* ENOENT: no stack was taken at do_exit() entry */
		return;
	}
	rec->ustack_err = st->ustack_err;
	rec->nr_ustack = st->nr_ustack > HLD_MAX_STACK ? HLD_MAX_STACK : st->nr_ustack;
	/* too big to inline: the helper copies */
	bpf_probe_read_kernel(rec->ustack, sizeof(rec->ustack), st->ustack);
	bpf_probe_read_kernel(&ev->uf, sizeof(ev->uf), &st->uf);
	bpf_map_delete_elem(&entry_stacks, &pid);
}

/* The user stack of current at the tracepoint, and its frames' files. */
static __always_inline void exitmon__take_here(void *ctx, struct task_struct *task,
					       struct exitmon_event *ev)
{
	struct hld_exit_record *rec = &ev->rec;
	long n;

	if (!task->mm) {
		rec->ustack_err = -14;	/* EFAULT: past exit_mm() */
		return;
	}
	n = bpf_get_stack(ctx, rec->ustack, sizeof(rec->ustack), BPF_F_USER_STACK);
	if (n <= 0) {
		rec->ustack_err = n ? n : -61;	/* ENODATA: empty */
		return;
	}
	rec->nr_ustack = n / sizeof(__u64);
	n = ustack_files__fill(&ev->uf, rec->ustack, rec->nr_ustack);
	if (n)
		__sync_fetch_and_add(&nr_vma_err, n);
}

/* The kernel before 6.16 had no group_dead argument: only the task is used. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(exitmon_exit, struct task_struct *p)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = (__u32)id, tgid = id >> 32;
	struct exitmon_event *ev;
	struct hld_exit_record *rec;
	char comm[HLD_COMM_LEN];

	if (!exitmon__pass(task, id, comm))
		return 0;
	__sync_fetch_and_add(&nr_exits, 1);
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		__sync_fetch_and_add(&nr_drops, 1);
		if (want_ustack && stack_at_entry)
			bpf_map_delete_elem(&entry_stacks, &pid);
		return 0;
	}
	rec = &ev->rec;
	rec->hdr.type = HLD_REC_EXIT;
	rec->hdr.version = HLD_RECORD_VERSION;
	rec->hdr.len = sizeof(*ev);
	rec->hdr.ts = bpf_ktime_get_ns();
	rec->pid = pid;
	rec->tgid = tgid;
	rec->ppid = BPF_CORE_READ(task, real_parent, tgid);
	rec->exit_code = BPF_CORE_READ(task, exit_code);
	rec->group_dead = BPF_CORE_READ(task, signal, live.counter) == 0;
	rec->pad = 0;
	__builtin_memcpy(rec->comm, comm, sizeof(comm));
	rec->nr_ustack = 0;
	rec->ustack_err = 0;
	ev->uf.nr_frames = 0;
	ev->uf.nr_files = 0;
	ev->uf.vma_err = 0;
	if (want_ustack) {
		if (stack_at_entry)
			exitmon__take_entry(ev, pid, task->start_time);
		else
			exitmon__take_here(ctx, task, ev);
		if (!rec->nr_ustack)
			__sync_fetch_and_add(&nr_no_ustack, 1);
	}
	bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
	return 0;
}
