// SPDX-License-Identifier: GPL-2.0
/*
 * exitmon.bpf.c - exit-monitor: one record per exiting task (or thread-group
 * leader) with its exit code and the user stack it exited from.
 *
 * sched_process_exit fires in do_exit() in the exiting task itself, after
 * task->exit_code is set. On recent kernels it fires before exit_mm(), so
 * the user stack of current can still be walked; where the mm is already
 * gone the record says so and the event is counted in nr_no_ustack. Each
 * frame's file and file offset are looked up here too (ustack-files.bpf.h).
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

__u64 nr_exits = 0;		/* exits that passed the filters */
__u64 nr_drops = 0;		/* of those, records lost: ring buffer full */
__u64 nr_no_ustack = 0;		/* records without a user stack (no mm, or the walk failed) */
__u64 nr_vma_err = 0;		/* frames whose mapping could not be looked up */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);	/* set by user space */
} events SEC(".maps");

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
	long n;

	if (task->flags & KPF_KTHREAD)
		return 0;
	if (!all_threads && pid != tgid)
		return 0;
	if (targ_tgid >= 0 && tgid != targ_tgid)
		return 0;
	bpf_get_current_comm(comm, sizeof(comm));
	if (targ_comm[0] && !comm_matches(comm))
		return 0;
	__sync_fetch_and_add(&nr_exits, 1);
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		__sync_fetch_and_add(&nr_drops, 1);
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
	if (want_ustack) {
		if (!task->mm) {
			rec->ustack_err = -14;	/* EFAULT: past exit_mm() */
			__sync_fetch_and_add(&nr_no_ustack, 1);
		} else {
			n = bpf_get_stack(ctx, rec->ustack, sizeof(rec->ustack), BPF_F_USER_STACK);
			if (n > 0) {
				rec->nr_ustack = n / sizeof(__u64);
			} else {
				rec->ustack_err = n ? n : -61;	/* ENODATA: empty */
				__sync_fetch_and_add(&nr_no_ustack, 1);
			}
		}
	}
	ev->uf.nr_frames = 0;
	ev->uf.nr_files = 0;
	ev->uf.vma_err = 0;
	if (rec->nr_ustack) {
		n = ustack_files__fill(&ev->uf, rec->ustack, rec->nr_ustack);
		if (n)
			__sync_fetch_and_add(&nr_vma_err, n);
	}
	bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
	return 0;
}
