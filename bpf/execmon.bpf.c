// SPDX-License-Identifier: GPL-2.0
/*
 * execmon.bpf.c - exec-monitor: one record per successful exec, with the
 * path given to exec, the new image's argv and its parent chain.
 *
 * sched_process_exec fires in the task that exec'd, after the new image is
 * in place: current->mm is the new mm, whose argv strings exec has just
 * copied in, so they are read from arg_start..arg_end with
 * bpf_probe_read_user(). The path comes from the tracepoint's linux_binprm.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "hld_record.h"

char LICENSE[] SEC("license") = "GPL";

/* Settings, fixed before load. */
const volatile char targ_comm[HLD_COMM_LEN] = {};
const volatile __s64 targ_ancestor = -1;

__u64 nr_execs = 0;		/* execs that passed the filters */
__u64 nr_drops = 0;		/* of those, records lost: ring buffer full */
__u64 nr_args_err = 0;		/* records whose argv could not be read */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);	/* set by user space */
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

/* Is targ_ancestor among the HLD_EXEC_ANCESTORS nearest ancestors of @task? */
static __always_inline bool has_ancestor(struct task_struct *task)
{
	struct task_struct *p = task;

	for (int i = 0; i < HLD_EXEC_ANCESTORS; i++) {
		p = BPF_CORE_READ(p, real_parent);
		if (!p)
			break;
		if (BPF_CORE_READ(p, tgid) == targ_ancestor)
			return true;
		if (!BPF_CORE_READ(p, pid))	/* the idle task: the top */
			break;
	}
	return false;
}

/* Fill the parent chain, parent first, up to HLD_EXEC_ANCESTORS deep or to the idle task. */
static __always_inline void fill_ancestors(struct hld_exec_record *rec, struct task_struct *task)
{
	struct task_struct *p = task;
	__u32 n = 0;

	for (int i = 0; i < HLD_EXEC_ANCESTORS; i++) {
		p = BPF_CORE_READ(p, real_parent);
		if (!p)
			break;
		rec->ancestors[i].pid = BPF_CORE_READ(p, pid);
		rec->ancestors[i].tgid = BPF_CORE_READ(p, tgid);
		bpf_probe_read_kernel_str(rec->ancestors[i].comm, HLD_COMM_LEN, p->comm);
		n++;
		if (!rec->ancestors[i].pid)	/* the idle task: the top */
			break;
	}
	rec->nr_ancestors = n;
}

/* Copy argv from the new mm: at most HLD_EXEC_ARGS bytes. */
static __always_inline void fill_args(struct hld_exec_record *rec, struct task_struct *task)
{
	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	__u64 len = end > start ? end - start : 0;
	long err;

	rec->args_total = len;
	if (len > HLD_EXEC_ARGS)
		len = HLD_EXEC_ARGS;
	rec->args_len = 0;
	rec->args_err = 0;
	if (!len)
		return;
	err = bpf_probe_read_user(rec->args, len, (const void *)start);
	if (err) {
		rec->args_err = err;
		__sync_fetch_and_add(&nr_args_err, 1);
		return;
	}
	rec->args_len = len;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(execmon_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct hld_exec_record *rec;
	char comm[HLD_COMM_LEN];

	bpf_get_current_comm(comm, sizeof(comm));
	if (targ_comm[0] && !comm_matches(comm))
		return 0;
	if (targ_ancestor >= 0 && !has_ancestor(task))
		return 0;
	__sync_fetch_and_add(&nr_execs, 1);
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		__sync_fetch_and_add(&nr_drops, 1);
		return 0;
	}
	fill_ancestors(rec, task);
	rec->hdr.type = HLD_REC_EXEC;
	rec->hdr.version = HLD_RECORD_VERSION;
	rec->hdr.len = sizeof(*rec);
	rec->hdr.ts = bpf_ktime_get_ns();
	rec->pid = BPF_CORE_READ(task, pid);
	rec->tgid = BPF_CORE_READ(task, tgid);
	rec->old_pid = old_pid;
	rec->uid = (__u32)bpf_get_current_uid_gid();
	__builtin_memcpy(rec->comm, comm, sizeof(comm));
	bpf_probe_read_kernel_str(rec->filename, sizeof(rec->filename), BPF_CORE_READ(bprm, filename));
	fill_args(rec, task);
	bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
	return 0;
}
