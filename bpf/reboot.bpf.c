// SPDX-License-Identifier: GPL-2.0
/*
 * reboot.bpf.c - reboot: who called reboot(2), with its arguments, its
 * parent chain and its kernel and user stacks.
 *
 * raw_tp/sys_enter runs at every syscall entry, in the caller's context,
 * before the syscall body: anything but __NR_reboot returns at once. The
 * record is built in a slot of the history array (the last
 * REBOOT_HISTORY calls stay in that map) and copied into the ring buffer,
 * from which user space appends it to the persistent log and reports it.
 * The file and file offset of each user frame go into the same slot of the
 * ufiles array, so that the caller's frames can be placed after it exited.
 * With the maps and the link pinned (a persistent activation) the record
 * waits in the pinned ring buffer until a report drains it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "hld_record.h"
#include "reboot.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define NR_REBOOT	169	/* x86_64 */
#define KPF_KTHREAD	0x00200000	/* PF_KTHREAD */

const volatile __u32 want_ustack = 1;

__u64 nr_calls = 0;		/* reboot(2) calls seen */
__u64 nr_drops = 0;		/* records not delivered to the ring buffer (full) */
__u64 nr_kstack_err = 0;	/* records without a kernel stack */
__u64 nr_ufiles_missed = 0;	/* user frames whose mapping was not found */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, REBOOT_HISTORY);
	__type(key, __u32);
	__type(value, struct hld_reboot_record);
} history SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, REBOOT_HISTORY);
	__type(key, __u32);
	__type(value, struct reboot_ufiles);
} ufiles SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Fill the parent chain, parent first, up to HLD_REBOOT_ANCESTORS deep or to the idle task. */
static __always_inline void fill_ancestors(struct hld_reboot_record *rec, struct task_struct *task)
{
	struct task_struct *p = task;
	__u32 n = 0;

	for (int i = 0; i < HLD_REBOOT_ANCESTORS; i++) {
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

SEC("raw_tp/sys_enter")
int BPF_PROG(reboot_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task;
	struct hld_reboot_record *rec;
	struct reboot_ufiles *uf;
	__u64 seq;
	__u32 slot;
	long n;

	if (id != NR_REBOOT)
		return 0;
	seq = __sync_fetch_and_add(&nr_calls, 1);
	slot = seq % REBOOT_HISTORY;
	rec = bpf_map_lookup_elem(&history, &slot);
	if (!rec)
		return 0;
	task = bpf_get_current_task_btf();
	rec->hdr.type = HLD_REC_REBOOT;
	rec->hdr.version = HLD_RECORD_VERSION;
	rec->hdr.len = sizeof(*rec);
	rec->hdr.ts = bpf_ktime_get_ns();
	rec->seq = seq;
	rec->pid = (__u32)bpf_get_current_pid_tgid();
	rec->tgid = bpf_get_current_pid_tgid() >> 32;
	rec->uid = (__u32)bpf_get_current_uid_gid();
	/* reboot(int magic1, int magic2, unsigned int cmd, void *arg) */
	rec->magic1 = (__u32)PT_REGS_PARM1_CORE_SYSCALL(regs);
	rec->magic2 = (__u32)PT_REGS_PARM2_CORE_SYSCALL(regs);
	rec->cmd = (__u32)PT_REGS_PARM3_CORE_SYSCALL(regs);
	rec->arg = PT_REGS_PARM4_CORE_SYSCALL(regs);
	bpf_get_current_comm(rec->comm, sizeof(rec->comm));
	fill_ancestors(rec, task);
	n = bpf_get_stack(ctx, rec->kstack, sizeof(rec->kstack), 0);
	rec->nr_kstack = n > 0 ? n / sizeof(__u64) : 0;
	if (n <= 0)
		__sync_fetch_and_add(&nr_kstack_err, 1);
	rec->nr_ustack = 0;
	rec->ustack_err = 0;
	if (want_ustack) {
		n = bpf_get_stack(ctx, rec->ustack, sizeof(rec->ustack), BPF_F_USER_STACK);
		if (n > 0)
			rec->nr_ustack = n / sizeof(__u64);
		else
			rec->ustack_err = n;
	}
	uf = rec->nr_ustack ? bpf_map_lookup_elem(&ufiles, &slot) : NULL;
	if (uf) {
		uf->seq = seq;
		n = ustack_files__fill(&uf->uf, rec->ustack, rec->nr_ustack);
		if (n)
			__sync_fetch_and_add(&nr_ufiles_missed, n);
	}
	if (bpf_ringbuf_output(&events, rec, sizeof(*rec), 0))
		__sync_fetch_and_add(&nr_drops, 1);
	return 0;
}
