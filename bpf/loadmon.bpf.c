// SPDX-License-Identifier: GPL-2.0
/*
 * loadmon.bpf.c - load-monitor: count R and D tasks with a task iterator
 * and, when a threshold is crossed, capture their kernel stacks.
 *
 * User space triggers each walk (bpf_iter_create + read), so the program
 * runs in the reading thread's read() syscall, one call per task and a
 * final call with ctx->task == NULL. A "check" walk only counts; its last
 * call decides whether to capture. A "capture" walk counts again and emits
 * one struct hld_loadmon_task per R/D task into the ring buffer, then one
 * struct hld_loadmon_capture.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "hld_record.h"

char LICENSE[] SEC("license") = "GPL";

/* The kernel's task state bits (include/linux/sched.h); stable ABI in practice. */
#define KTASK_RUNNING		0x0000
#define KTASK_UNINTERRUPTIBLE	0x0002
#define KTASK_NOLOAD		0x0400

enum loadmon_walk {
	WALK_CHECK = 0,
	WALK_CAPTURE = 1,
};

/* Settings, fixed before load. */
const volatile __u64 thr_load = 0;
const volatile __u64 thr_r = 0;
const volatile __u64 thr_d = 0;
const volatile __u64 thr_task_d = 0;
const volatile __u64 min_gap_ns = 0;
const volatile __u32 max_tasks = 256;
const volatile __u32 user_stacks = 0;

/* Set by user space before each walk. */
__u32 walk_mode = WALK_CHECK;
__u64 capture_seq = 0;
__u64 last_capture_ns = 0;	/* 0: never captured */

/* Results of the last walk, reset by user space before it. */
__u32 nr_r = 0;
__u32 nr_d = 0;
__u32 nr_emitted = 0;
__u32 nr_dropped = 0;
__u32 want_capture = 0;
__u32 capture_rec_lost = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 512 * 1024);	/* resized by user space to fit max_tasks */
} events SEC(".maps");

/* task_struct before 5.14 named the state field "state". */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline __u32 task_state(struct task_struct *t)
{
	struct task_struct___pre514 *old = (void *)t;

	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ(old, state);
}

/* Emit one task record, or count the task as dropped. */
static __always_inline void emit_task(struct task_struct *task, __u32 hs)
{
	struct hld_loadmon_task *rec;
	long n;

	if (nr_emitted >= max_tasks) {
		nr_dropped++;
		return;
	}
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		nr_dropped++;
		return;
	}
	rec->hdr.type = HLD_REC_LOADMON_TASK;
	rec->hdr.version = HLD_RECORD_VERSION;
	rec->hdr.len = sizeof(*rec);
	rec->hdr.ts = bpf_ktime_get_ns();
	rec->capture = capture_seq;
	rec->pid = BPF_CORE_READ(task, pid);
	rec->tgid = BPF_CORE_READ(task, tgid);
	rec->state = hs;
	rec->pad = 0;
	bpf_probe_read_kernel_str(rec->comm, sizeof(rec->comm), task->comm);
	n = bpf_get_task_stack(task, rec->kstack, sizeof(rec->kstack), 0);
	rec->nr_kstack = n > 0 ? n / sizeof(__u64) : 0;
	rec->nr_ustack = 0;
	if (user_stacks) {
		/* Empty for any task but the caller: the kernel walks no other task's user stack. */
		n = bpf_get_task_stack(task, rec->ustack, sizeof(rec->ustack), BPF_F_USER_STACK);
		rec->nr_ustack = n > 0 ? n / sizeof(__u64) : 0;
	}
	bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
	nr_emitted++;
}

/* The last call of a walk: decide (check) or close the capture (capture). */
static __always_inline void end_walk(void)
{
	struct hld_loadmon_capture *cap;
	__u64 now;
	bool hit;

	if (walk_mode == WALK_CHECK) {
		hit = (thr_load && nr_r + nr_d >= thr_load) ||
		      (thr_r && nr_r >= thr_r) ||
		      (thr_d && nr_d >= thr_d) ||
		      (thr_task_d && nr_d >= thr_task_d);
		if (!hit)
			return;
		now = bpf_ktime_get_ns();
		if (last_capture_ns && now - last_capture_ns < min_gap_ns)
			return;
		last_capture_ns = now;
		want_capture = 1;
		return;
	}
	cap = bpf_ringbuf_reserve(&events, sizeof(*cap), 0);
	if (!cap) {
		capture_rec_lost = 1;
		return;
	}
	cap->hdr.type = HLD_REC_LOADMON_CAPTURE;
	cap->hdr.version = HLD_RECORD_VERSION;
	cap->hdr.len = sizeof(*cap);
	cap->hdr.ts = bpf_ktime_get_ns();
	cap->capture = capture_seq;
	cap->nr_r = nr_r;
	cap->nr_d = nr_d;
	cap->nr_emitted = nr_emitted;
	cap->nr_dropped = nr_dropped;
	bpf_ringbuf_submit(cap, BPF_RB_NO_WAKEUP);
}

SEC("iter/task")
int loadmon_walk(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	__u32 self = (__u32)bpf_get_current_pid_tgid();
	__u32 state, hs;

	if (!task) {
		end_walk();
		return 0;
	}
	/* The walk runs in the reader's read(): it is running only because it observes. */
	if (task->pid == self)
		return 0;
	state = task_state(task);
	if (state == KTASK_RUNNING) {
		hs = HLD_STATE_R;
		nr_r++;
	} else if ((state & KTASK_UNINTERRUPTIBLE) && !(state & KTASK_NOLOAD)) {
		hs = HLD_STATE_D;
		nr_d++;
	} else {
		return 0;
	}
	if (walk_mode == WALK_CAPTURE)
		emit_task(task, hs);
	return 0;
}
