// SPDX-License-Identifier: GPL-2.0
/*
 * syscost.bpf.c - sys-cost: count and time every system call.
 *
 * raw_tp/sys_enter stamps the entry time in the thread's task storage;
 * raw_tp/sys_exit adds the elapsed time to the (process, syscall) pair's
 * slot in a per-CPU open-addressed table (the CPU a syscall returned on
 * gives the per-CPU view; user space sums pairs into the per-syscall and
 * per-process views). A pair that finds no free slot is counted in a
 * per-syscall overflow array instead, so the per-syscall and per-CPU views
 * stay exact, and is counted as a drop of the per-process view.
 *
 * The hot path is what it costs: two clock reads (bpf_ktime_get_ns(), about
 * half the floor each here), the current task and its storage, and inlined
 * per-CPU array accesses; no hash map helper, no atomic operation, no
 * string work unless a comm filter is set or a pair is seen for the first
 * time in a generation. The pid and tgid come from the task, not from
 * another helper call.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "hld_record.h"
#include "syscost.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define KNR_EXIT	60	/* x86_64 exit, exit_group: they never reach sys_exit */
#define KNR_EXIT_GROUP	231
#define KNR_EXECVE	59	/* x86_64 execve, execveat: a new comm */
#define KNR_EXECVEAT	322

/* Settings, fixed before load. */
const volatile __s64 targ_tgid = -1;
const volatile __s64 targ_pid = -1;
const volatile char targ_comm[HLD_COMM_LEN] = {};
const volatile bool count_only = false;	/* time=0: counted at entry, no exit program */

/*
 * Set by user space before each attach: a stamp left by an earlier phase
 * (a syscall that was in progress at detach) must not be timed across the
 * detached gap.
 */
__u32 phase = 0;
/* The half of by_proc and by_nr counted into; flipped by each report. */
__u32 gen = 0;

/* Loss accounting since activation, read by user space. */
__u64 nr_drop_start = 0;	/* task storage could not be created: syscall not counted */
__u64 nr_drop_proc = 0;		/* no free slot: syscall missing from the per-process view */

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct syscost_start);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * SYSCOST_PROC_SLOTS);
	__type(key, __u32);
	__type(value, struct syscost_slot);
} by_proc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * SYSCOST_NR_SLOTS);
	__type(key, __u32);
	__type(value, struct syscost_val);
} by_nr SEC(".maps");

/* Command name of each process, written when it takes a slot or executes. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SYSCOST_MAX_PROCS);
	__type(key, __u32);
	__type(value, char[HLD_COMM_LEN]);
} comms SEC(".maps");

/* True if @task passes the tgid and pid filters (the unset ones vanish at load). */
static __always_inline bool ids_pass(struct task_struct *task)
{
	if (targ_tgid >= 0 && task->tgid != targ_tgid)
		return false;
	if (targ_pid >= 0 && task->pid != targ_pid)
		return false;
	return true;
}

/* True if the current task's comm equals the comm filter. */
static __always_inline bool comm_passes(void)
{
	char comm[HLD_COMM_LEN];

	bpf_get_current_comm(comm, sizeof(comm));
	for (int i = 0; i < HLD_COMM_LEN; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/* Add one syscall of @ns to @v (this CPU's copy: no other writer). */
static __always_inline void val_add(struct syscost_val *v, __u64 ns)
{
	v->count++;
	v->total_ns += ns;
	if (ns > v->max_ns)
		v->max_ns = ns;
}

/* Record the current comm as the name of process @tgid. */
static __noinline void name_process(__u32 tgid)
{
	char comm[HLD_COMM_LEN];

	bpf_get_current_comm(comm, sizeof(comm));
	bpf_map_update_elem(&comms, &tgid, comm, BPF_ANY);
}

/*
 * Account one syscall @nr of @ns nanoseconds to process @tgid: into its
 * pair's slot, taking a free one (and naming the process) on the first
 * call of the pair in this generation; without a free slot within
 * SYSCOST_PROBES, into the overflow array.
 */
static __always_inline void account(__u32 tgid, __u32 nr, __u64 ns)
{
	__u64 key = syscost_key(tgid, nr);
	__u32 half = gen & 1, h = syscost_hash(key), i, idx;
	struct syscost_slot *s;
	struct syscost_val *v;

	for (i = 0; i < SYSCOST_PROBES; i++) {
		idx = half * SYSCOST_PROC_SLOTS + ((h + i) & (SYSCOST_PROC_SLOTS - 1));
		s = bpf_map_lookup_elem(&by_proc, &idx);
		if (!s)
			break;
		if (s->key == key) {
			val_add(&s->v, ns);
			return;
		}
		if (!s->key) {
			s->key = key;
			s->v.count = 1;
			s->v.total_ns = ns;
			s->v.max_ns = ns;
			name_process(tgid);
			return;
		}
	}
	__sync_fetch_and_add(&nr_drop_proc, 1);
	idx = half * SYSCOST_NR_SLOTS + nr;
	v = bpf_map_lookup_elem(&by_nr, &idx);
	if (v)
		val_add(v, ns);
}

SEC("raw_tp/sys_enter")
int syscost_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 nr = ctx->args[1];
	struct syscost_start *s;

	if (!ids_pass(task))
		return 0;
	if (targ_comm[0] && !comm_passes())
		return 0;
	if (nr >= SYSCOST_NR_SLOTS)
		nr = SYSCOST_OTHER;
	if (count_only || nr == KNR_EXIT || nr == KNR_EXIT_GROUP) {
		account(task->tgid, nr, 0);
		return 0;
	}
	s = bpf_task_storage_get(&start, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		__sync_fetch_and_add(&nr_drop_start, 1);
		return 0;
	}
	s->nr = nr;
	s->phase = phase;
	s->ts = bpf_ktime_get_ns();
	return 0;
}

SEC("raw_tp/sys_exit")
int syscost_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct syscost_start *s;
	__u32 tgid, nr;
	__u64 ts;

	if (!ids_pass(task))
		return 0;
	/* A thread filtered out by comm has no entry stamp, so no comm check here. */
	s = bpf_task_storage_get(&start, task, 0, 0);
	if (!s || !s->ts)
		return 0;
	ts = s->ts;
	s->ts = 0;
	if (s->phase != phase)
		return 0;
	nr = s->nr;
	tgid = task->tgid;
	account(tgid, nr, bpf_ktime_get_ns() - ts);
	/* The process now has the comm of the program it executed: name it by that. */
	if ((nr == KNR_EXECVE || nr == KNR_EXECVEAT) && ctx->args[1] == 0)
		name_process(tgid);
	return 0;
}
