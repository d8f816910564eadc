/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * hld_record.h - the record format shared by the kernel module, the BPF
 * programs and user space.
 *
 * Rules (see docs/record-format.md):
 *  - fixed-width types only (__u8 .. __u64), no long, pointers or size_t;
 *  - every record starts with struct hld_record_header;
 *  - enums end in __MAX; new record types and new fields are only ever
 *    appended, and a change of layout bumps HLD_RECORD_VERSION.
 */
#ifndef HLD_RECORD_H
#define HLD_RECORD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define HLD_RECORD_VERSION 1

#define HLD_COMM_LEN 16
#define HLD_MAX_STACK 64	/* frames kept per kernel or user stack */

/* Task states as reported in records (not the kernel's own bit values). */
enum hld_task_state {
	HLD_STATE_R = 0,	/* TASK_RUNNING: on a run queue or on CPU */
	HLD_STATE_D = 1,	/* TASK_UNINTERRUPTIBLE without TASK_NOLOAD */
	HLD_STATE__MAX,
};

enum hld_record_type {
	HLD_REC_NONE = 0,
	HLD_REC_LOADMON_TASK = 1,	/* struct hld_loadmon_task */
	HLD_REC_LOADMON_CAPTURE = 2,	/* struct hld_loadmon_capture */
	HLD_REC_EXEC = 3,		/* struct hld_exec_record */
	HLD_REC_EXIT = 4,		/* struct hld_exit_record */
	HLD_REC_REBOOT = 5,		/* struct hld_reboot_record */
	HLD_REC_RUNTRACE = 6,		/* struct hld_runtrace_record */
	HLD_REC_IRQDELAY = 7,		/* struct hld_irqdelay_record */
	HLD_REC_SYSCOST = 8,		/* struct hld_syscost_record (kernel module) */
	HLD_REC_TEST = 9,		/* struct hld_test_record (kernel module's test ioctl) */
	HLD_REC_TPHIT = 10,		/* struct hld_tphit_record (kernel module: kprobe, tracepoint) */
	HLD_REC_TPCPU = 11,		/* struct hld_tpcpu_record (kernel module: kprobe, tracepoint) */
	HLD_REC_ALLOCTOP = 14,		/* struct hld_alloctop_record (kernel module) */
	HLD_REC_HIGHORDER = 15,		/* struct hld_highorder_record (kernel module) */
	HLD_REC_IRQSTATS = 16,		/* struct hld_irqstats_record (kernel module) */
	HLD_REC_IRQDELAY_CPU = 17,	/* struct hld_irqdelay_cpu_record (kernel module) */
	HLD_REC_MUTEX = 18,		/* struct hld_mutex_record (kernel module) */
	HLD_REC_MUTEX_HOLD = 19,	/* struct hld_mutex_hold_record (kernel module) */
	HLD_REC_RUNTRACE_TOTALS = 20,	/* struct hld_runtrace_totals (kernel module) */
	HLD_REC_LOADMON_STATS = 21,	/* struct hld_loadmon_stats (kernel module) */
	HLD_REC__MAX,
};

struct hld_record_header {
	__u16 type;		/* enum hld_record_type */
	__u16 version;		/* HLD_RECORD_VERSION */
	__u32 len;		/* whole record, header included, in bytes */
	__u64 ts;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns), ns */
};

/* One R or D task seen by a load-monitor capture. */
struct hld_loadmon_task {
	struct hld_record_header hdr;
	__u64 capture;		/* capture sequence number */
	__u32 pid;		/* thread id */
	__u32 tgid;		/* process id */
	__u32 state;		/* enum hld_task_state */
	__u32 nr_kstack;	/* valid entries in kstack[] */
	__u32 nr_ustack;	/* valid entries in ustack[], 0 if unavailable */
	__u32 pad;
	char comm[HLD_COMM_LEN];
	__u64 kstack[HLD_MAX_STACK];
	__u64 ustack[HLD_MAX_STACK];
};

/*
 * Closes a capture: what was counted, what was emitted, and what did not fit
 * within the per-capture cap or the ring buffer.
 */
struct hld_loadmon_capture {
	struct hld_record_header hdr;
	__u64 capture;
	__u32 nr_r;		/* R tasks counted, the observer excluded */
	__u32 nr_d;		/* D tasks counted */
	__u32 nr_emitted;	/* hld_loadmon_task records delivered */
	__u32 nr_dropped;	/* tasks over the cap or lost to a full buffer */
};

/* perf: in-kernel aggregation key; the value is a __u64 sample count. */
struct hld_perf_key {
	__u32 pid;
	__u32 tgid;
	__s32 kstack_id;	/* stack map id, negative if none */
	__s32 ustack_id;
	__u32 cpu;
	__u32 pad;
	char comm[HLD_COMM_LEN];
};

/* alloc-top: value of the per-process hash, keyed by __u32 tgid. */
struct hld_alloctop_val {
	__u64 pages;		/* 4 KiB pages: sum of 1 << order */
	__u64 allocs;		/* allocation calls */
	char comm[HLD_COMM_LEN];	/* comm of the first allocating thread seen */
};

/* exec-monitor: one successful exec, seen in the new image's context. */
#define HLD_EXEC_FILENAME	128	/* bytes of the path given to exec */
#define HLD_EXEC_ARGS		256	/* bytes of argv, NUL-separated as in memory */
#define HLD_EXEC_ANCESTORS	8	/* parent chain depth */

struct hld_exec_ancestor {
	__u32 pid;		/* thread id of the parent */
	__u32 tgid;
	char comm[HLD_COMM_LEN];
};

struct hld_exec_record {
	struct hld_record_header hdr;
	__u32 pid;		/* thread that exec'd (the tgid after a de_thread) */
	__u32 tgid;
	__u32 old_pid;		/* its tid before exec, if a non-leader thread exec'd */
	__u32 uid;
	__u32 nr_ancestors;	/* valid entries in ancestors[], parent first */
	__u32 args_len;		/* bytes valid in args[] */
	__u32 args_total;	/* bytes of argv in memory (more than args_len: truncated) */
	__s32 args_err;		/* bpf_probe_read_user() error, 0 if read */
	char comm[HLD_COMM_LEN];
	char filename[HLD_EXEC_FILENAME];
	char args[HLD_EXEC_ARGS];
	struct hld_exec_ancestor ancestors[HLD_EXEC_ANCESTORS];
};

/* exit-monitor: one task exit, seen in the exiting task's context. */
struct hld_exit_record {
	struct hld_record_header hdr;
	__u32 pid;
	__u32 tgid;
	__u32 ppid;		/* tgid of the real parent */
	__u32 exit_code;	/* task->exit_code: (code << 8) | core 0x80 | signal */
	__u32 group_dead;	/* 1: the last thread of its thread group */
	__u32 nr_ustack;	/* valid entries in ustack[] */
	__s32 ustack_err;	/* bpf_get_stack() error, 0 if none was asked or it worked */
	__u32 pad;
	char comm[HLD_COMM_LEN];
	__u64 ustack[HLD_MAX_STACK];
};

/* high-order: in-kernel aggregation key; the value is a __u64 count. */
struct hld_highorder_key {
	__u32 tgid;
	__u32 order;
	__s32 kstack_id;	/* stack map id, negative if none */
	__s32 ustack_id;
	char comm[HLD_COMM_LEN];
};

/* irq-stats: per-CPU count and time of one IRQ, softirq or timer function. */
struct hld_irqstats_val {
	__u64 count;
	__u64 time_ns;
};

#define HLD_IRQSTATS_NR_SOFTIRQS 10	/* HI .. RCU, as in /proc/softirqs */

/* irq-stats: the x86 system vectors counted, as named in /proc/interrupts. */
enum hld_irqstats_vector {
	HLD_IRQSTATS_VEC_LOC = 0,	/* local timer */
	HLD_IRQSTATS_VEC_RES = 1,	/* rescheduling IPI */
	HLD_IRQSTATS_VEC_CAL = 2,	/* function call IPIs, single and multi */
	HLD_IRQSTATS_VEC__MAX,
};

/* irq-stats: the kind of timer a callback ran from. */
enum hld_irqstats_timer_kind {
	HLD_IRQSTATS_HRTIMER = 0,	/* struct hrtimer */
	HLD_IRQSTATS_TIMER_LIST = 1,	/* struct timer_list (timer wheel) */
	HLD_IRQSTATS_TIMER__MAX,
};

/* irq-stats: key of the per-CPU timer hash. */
struct hld_irqstats_timer_key {
	__u64 func;		/* callback address */
	__u32 kind;		/* enum hld_irqstats_timer_kind */
	__u32 gen;		/* the report generation the count belongs to (0 or 1) */
};

/* mutex-monitor: in-kernel aggregation key; the value is struct hld_mutex_val. */
struct hld_mutex_key {
	__u64 lock;		/* address of the contended lock */
	__s32 kstack_id;	/* waiter's kernel stack id, negative if none */
	__u32 flags;		/* contention_begin flags (LCB_F_*) */
	__u32 tgid;		/* waiter's process */
	__u32 pad;
};

struct hld_mutex_val {
	__u64 count;		/* contentions that ended */
	__u64 total_ns;		/* wait time summed */
	__u64 max_ns;		/* longest wait */
	__u32 waiter_pid;	/* thread of the longest wait */
	__u32 holder_pid;	/* owner seen in the longest wait with an owner seen, 0: none */
	__u32 holder_tgid;
	__u32 pad;
	char waiter_comm[HLD_COMM_LEN];
	char holder_comm[HLD_COMM_LEN];
	__u64 holder_waits;	/* waits whose mutex owner was seen */
	__u64 holder_wait_ns;	/* the longest wait whose owner was seen */
};

/* reboot: one reboot(2) call, seen at syscall entry in the caller's context. */
#define HLD_REBOOT_ANCESTORS	8	/* parent chain depth */

struct hld_reboot_ancestor {
	__u32 pid;
	__u32 tgid;
	char comm[HLD_COMM_LEN];
};

struct hld_reboot_record {
	struct hld_record_header hdr;
	__u64 seq;		/* 0, 1, ... in the order the calls were seen */
	__u64 arg;		/* fourth argument (user pointer for RESTART2) */
	__u32 pid;
	__u32 tgid;
	__u32 uid;
	__u32 magic1;
	__u32 magic2;
	__u32 cmd;
	__u32 nr_ancestors;	/* valid entries in ancestors[], parent first */
	__u32 nr_kstack;	/* valid entries in kstack[] */
	__u32 nr_ustack;	/* valid entries in ustack[] */
	__s32 ustack_err;	/* bpf_get_stack() error, 0 if none was asked or it worked */
	char comm[HLD_COMM_LEN];
	struct hld_reboot_ancestor ancestors[HLD_REBOOT_ANCESTORS];
	__u64 kstack[HLD_MAX_STACK];
	__u64 ustack[HLD_MAX_STACK];
};

/* run-trace: the kinds of interval of the thread's timeline. */
enum hld_runtrace_kind {
	HLD_RUNTRACE_ONCPU_USER = 0,	/* on CPU, outside syscalls */
	HLD_RUNTRACE_ONCPU_KERNEL = 1,	/* on CPU, inside a syscall */
	HLD_RUNTRACE_OFFCPU = 2,	/* switched out, until switched in again */
	HLD_RUNTRACE_KIND__MAX,
};

/* run-trace: why the thread went off CPU (from sched_switch's preempt and prev_state). */
enum hld_runtrace_reason {
	HLD_RUNTRACE_PREEMPTED = 0,	/* R: preempted, or yielded while runnable */
	HLD_RUNTRACE_SLEEP = 1,		/* S: TASK_INTERRUPTIBLE */
	HLD_RUNTRACE_UNINTERRUPTIBLE = 2, /* D: TASK_UNINTERRUPTIBLE */
	HLD_RUNTRACE_OTHER = 3,		/* stopped, traced, dead, ... */
	HLD_RUNTRACE_REASON__MAX,
};

/*
 * run-trace: one interval of the thread, emitted when it ends. On-CPU
 * records stop before waker_comm (hdr.len says so); off-CPU records carry
 * the waker and the kernel stack the thread switched out from.
 */
struct hld_runtrace_record {
	struct hld_record_header hdr;	/* ts: start of the interval */
	__u64 duration_ns;
	__u32 kind;		/* enum hld_runtrace_kind */
	__u32 cpu;		/* CPU it started on */
	__u32 reason;		/* off CPU: enum hld_runtrace_reason */
	__u32 nr_kstack;	/* valid entries in kstack[] */
	__u32 waker_pid;	/* off CPU: thread current at its wakeup (0: idle) */
	__u32 woken;		/* off CPU: 1 if the wakeup was seen */
	char waker_comm[HLD_COMM_LEN];
	__u64 kstack[HLD_MAX_STACK];
};

#define HLD_RUNTRACE_ONCPU_LEN	__builtin_offsetof(struct hld_runtrace_record, waker_comm)

/* irq-delay: log2 buckets of the lateness of the timer tick, per CPU. */
#define HLD_IRQDELAY_SLOTS	40

/* irq-delay: one late timer tick, seen when it finally fired. */
struct hld_irqdelay_record {
	struct hld_record_header hdr;	/* ts: when the late tick fired */
	__u64 gap_ns;		/* time since the previous tick on this CPU */
	__u32 cpu;
	__u32 pid;		/* task current when the tick fired */
	__u32 tgid;
	__u32 nr_kstack;	/* valid entries in kstack[] (0: interrupted in user mode) */
	char comm[HLD_COMM_LEN];
	__u64 kstack[HLD_MAX_STACK];
	__u64 late_ns;		/* how long after it was due the tick fired */
};

/*
 * sys-cost, kernel module: one row of a drained generation, one per CPU and
 * (process, syscall) pair; user space sums a pair's rows over CPUs. Rows
 * with HLD_SYSCOST_OVERFLOW in flags are per-syscall counts of pairs that
 * found no slot (tgid 0, comm empty).
 */
#define HLD_SYSCOST_OVERFLOW	1u

struct hld_syscost_record {
	struct hld_record_header hdr;	/* ts: when the process was named in this row */
	__u32 tgid;
	__u32 nr;		/* syscall number */
	__u32 cpu;		/* the CPU the syscalls returned on */
	__u32 flags;		/* HLD_SYSCOST_* */
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
	char comm[HLD_COMM_LEN];	/* process's comm when named (first call, execve) */
};

/* The kernel module's test ioctl: records that exercise read() and poll(). */
struct hld_test_record {
	struct hld_record_header hdr;
	__u64 seq;		/* 0, 1, ... within one test ioctl */
	__u32 cpu;		/* CPU it was emitted on */
	__u32 pad;
};

/*
 * alloc-top, kernel module: one row of a drained generation, one per CPU
 * and process; user space sums a process's rows over CPUs and names it
 * from its most recently named row. A row with HLD_ALLOCTOP_TOTAL in flags
 * holds one CPU's totals (tgid 0, comm empty): every allocation counted,
 * with those that found no row.
 */
#define HLD_ALLOCTOP_TOTAL	1u

struct hld_alloctop_record {
	struct hld_record_header hdr;	/* ts: when the process was named in this row */
	__u32 tgid;
	__u32 cpu;		/* the CPU the pages were allocated on */
	__u32 flags;		/* HLD_ALLOCTOP_* */
	__u32 pad;
	__u64 pages;		/* 4 KiB pages: sum of 1 << order */
	__u64 allocs;		/* allocation calls */
	char comm[HLD_COMM_LEN];	/* comm when named (first allocation, exec) */
};

/*
 * high-order, kernel module: one row of a drained generation, one per CPU
 * and (process, comm, order, kernel stack, user stack); user space merges
 * a row's copies from different CPUs. HLD_HIGHORDER_USER in flags: the
 * allocating task was a user task and ustack[] was walked (by frame
 * pointers, from its user registers; it may hold no frame).
 */
#define HLD_HIGHORDER_USER	1u

struct hld_highorder_record {
	struct hld_record_header hdr;	/* ts: the row's first allocation */
	__u64 count;		/* allocations */
	__u32 tgid;
	__u32 order;
	__u32 cpu;		/* the CPU they were allocated on */
	__u32 flags;		/* HLD_HIGHORDER_* */
	__u32 nr_kstack;	/* valid entries in kstack[], innermost first */
	__u32 nr_ustack;	/* valid entries in ustack[], innermost first */
	char comm[HLD_COMM_LEN];
	__u64 kstack[HLD_MAX_STACK];	/* return addresses */
	__u64 ustack[HLD_MAX_STACK];	/* the user ip, then return addresses */
};

/*
 * kprobe and tracepoint, kernel module: one row of a drained generation,
 * one per CPU and (process, comm, kernel stack, user stack); user space
 * merges a key's rows over CPUs. ips[] holds nr_kstack kernel frames,
 * innermost first, then nr_ustack user frames, innermost first; hdr.len
 * ends the record after them.
 */
#define HLD_TPHIT_KSTACK_LOST	1u	/* the kernel stack was asked for but not taken */
#define HLD_TPHIT_USTACK_LOST	2u	/* the user stack was asked for but not taken */

struct hld_tphit_record {
	struct hld_record_header hdr;	/* ts: when the row was first hit */
	__u64 count;
	__u32 tgid;
	__u32 cpu;		/* the CPU the hits were counted on */
	__u32 flags;		/* HLD_TPHIT_* */
	__u16 nr_kstack;
	__u16 nr_ustack;
	char comm[HLD_COMM_LEN];
	__u64 ips[2 * HLD_MAX_STACK];
};

#define HLD_TPHIT_LEN(nk, nu) \
	(__builtin_offsetof(struct hld_tphit_record, ips) + ((nk) + (nu)) * sizeof(__u64))

/* kprobe and tracepoint, kernel module: a CPU's hits in the drained generation, all counted. */
struct hld_tpcpu_record {
	struct hld_record_header hdr;
	__u64 hits;
	__u32 cpu;
	__u32 pad;
};

/*
 * run-trace, kernel module: the report ioctl's one record. The totals of the
 * intervals that ended since the previous report (recorded or not), and the
 * cut: an interval whose record says it ended (ts + duration_ns) at or
 * before hdr.ts belongs to this report, a later one to the next.
 */
struct hld_runtrace_totals {
	struct hld_record_header hdr;	/* ts: the cut */
	__u64 oncpu_ns[HLD_RUNTRACE_KIND__MAX];	/* by kind (off-CPU slot unused) */
	__u64 offcpu_ns[HLD_RUNTRACE_REASON__MAX];	/* by reason */
	__u64 offcpu_cnt[HLD_RUNTRACE_REASON__MAX];
	__u64 events;		/* records emitted for these intervals */
};

/* load-monitor, kernel module: why a capture was taken (bits of last_reasons). */
#define HLD_LOADMON_REASON_LOAD		1
#define HLD_LOADMON_REASON_LOAD_R	2
#define HLD_LOADMON_REASON_LOAD_D	4
#define HLD_LOADMON_REASON_TASK_D	8
#define HLD_LOADMON_REASON_TASK_R	16

/*
 * load-monitor, kernel module: the report ioctl's one record. The window
 * (checks since the previous report, then zeroed) and the state and
 * counters since activation.
 */
struct hld_loadmon_stats {
	struct hld_record_header hdr;	/* ts: when the window was cut */
	/* Since the previous report: */
	__u64 checks;
	__u64 sum_r, sum_d;	/* R and D summed over checks */
	__u64 max_r, max_d;
	__u64 crossed;		/* checks that found a threshold crossed */
	__u64 captures;
	__u64 tasks;		/* task records emitted */
	/* Now: load averages (FSHIFT 11 fixed point) and the last check's counts */
	__u64 avenrun[3];	/* the kernel's own, R + D */
	__u64 avenrun_r[3];	/* of R alone, kept by the module */
	__u32 cur_r, cur_d;
	__u32 last_reasons;	/* HLD_LOADMON_REASON_* of the last capture */
	__u32 kstacks;		/* 1: other tasks' kernel stacks are taken; 0: unavailable */
	/* Since activation: */
	__u64 drop_ringbuf;	/* task records lost: buffer full */
	__u64 drop_cap;		/* tasks over max_tasks in a capture */
	__u64 drop_rate;	/* crossing checks not captured: min-gap */
	__u64 drop_stack;	/* captured tasks without a kernel stack (stacks available) */
	__u64 drop_capture_rec;	/* capture records lost: buffer full */
	__u64 drop_busy;	/* checks skipped: the previous one still ran */
	__u64 tasks_counted;	/* R and D tasks the captures found */
	__u64 walk_truncated;	/* walks cut at the thread cap */
	__u64 run_ns, run_cnt;	/* the checks timing themselves */
	__u64 capture_ns, capture_max_ns;	/* of which in captures */
	__u64 capture_seq;	/* captures taken */
	char kstack_why[64];	/* kstacks 0: why */
};

/* irq-stats, kernel module: the tables of a report. */
enum hld_irqstats_table {
	HLD_IRQSTATS_T_IRQ = 0,		/* id: IRQ number */
	HLD_IRQSTATS_T_VECTOR = 1,	/* id: enum hld_irqstats_vector */
	HLD_IRQSTATS_T_SOFTIRQ = 2,	/* id: softirq number, HI .. RCU */
	HLD_IRQSTATS_T_TIMER = 3,	/* id: callback address; kind: enum hld_irqstats_timer_kind */
	HLD_IRQSTATS_T__MAX,
};

#define HLD_IRQSTATS_NAME_LEN	32

/*
 * irq-stats, kernel module: one row of a drained generation, one per CPU
 * and table entry. Vector and softirq rows come for every possible CPU,
 * zero or not; IRQ and timer rows only where something was counted.
 */
struct hld_irqstats_record {
	struct hld_record_header hdr;	/* ts: start of the window drained (activation or last report) */
	__u32 table;		/* enum hld_irqstats_table */
	__u32 cpu;
	__u64 id;
	__u32 kind;		/* timers: enum hld_irqstats_timer_kind */
	__u32 pad;
	__u64 count;
	__u64 time_ns;
	char name[HLD_IRQSTATS_NAME_LEN];	/* IRQs: the first handler seen on the line */
};

/*
 * irq-delay, kernel module: one CPU's counters and lateness histogram of a
 * drained generation, one per possible CPU (late ticks themselves are
 * struct hld_irqdelay_record, read() from the device).
 */
struct hld_irqdelay_cpu_record {
	struct hld_record_header hdr;	/* ts: start of the window drained (activation or last report) */
	__u32 cpu;
	__u32 pad;
	__u64 ticks;		/* firings of the CPU's hrtimer */
	__u64 intervals;	/* gaps measured (ticks after the first of each phase) */
	__u64 starts;		/* first ticks of a phase: ticks - intervals */
	__u64 late;		/* ticks more than threshold late */
	__u64 max_gap_ns;	/* longest time between two ticks */
	__u64 max_late_ns;	/* largest lateness */
	__u64 hist[HLD_IRQDELAY_SLOTS];	/* slot 0 on time, k >= 1: late by [2^(k-1), 2^k) ns */
};

/*
 * mutex-monitor, kernel module: one row of a drained generation, one per
 * CPU and (lock, waiter stack, flags, waiter tgid); user space merges a
 * key's rows over CPUs. The waiter's kernel stack is in the record
 * (key.kstack_id is -1). A row with HLD_MUTEX_SHORT in rflags is no lock:
 * val.count holds the waits under min_wait_ns ended on that CPU.
 */
#define HLD_MUTEX_SHORT	1u

struct hld_mutex_record {
	struct hld_record_header hdr;	/* ts: when the row was drained */
	struct hld_mutex_key key;
	struct hld_mutex_val val;
	__u32 cpu;		/* the CPU the waits ended on */
	__u32 rflags;		/* HLD_MUTEX_* */
	__u32 nr_kstack;	/* valid entries in kstack[] */
	__u32 pad;
	__u64 kstack[HLD_MAX_STACK];
};

/*
 * mutex-monitor, kernel module: the hold times of one mutex seen contended,
 * for the holds that ended (mutex_unlock by the owner) in the generation.
 * A hold begun before the lock was first seen contended is timed from the
 * contention that revealed its owner: a lower bound, counted in inexact.
 */
struct hld_mutex_hold_record {
	struct hld_record_header hdr;	/* ts: when the row was drained */
	__u64 lock;
	__u64 count;		/* holds that ended */
	__u64 total_ns;
	__u64 max_ns;
	__u64 inexact;		/* of them, timed from a contention (lower bounds) */
	__u32 max_pid;		/* holder of the longest hold */
	__u32 max_tgid;
	__u32 max_inexact;	/* 1: the longest is a lower bound */
	__u32 pad;
	char max_comm[HLD_COMM_LEN];
};

#endif /* HLD_RECORD_H */
