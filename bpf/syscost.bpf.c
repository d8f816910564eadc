// SPDX-License-Identifier: GPL-2.0
/*
 * syscost.bpf.c - sys-cost: count and time every system call.
 *
 * raw_tp/sys_enter stamps the entry time in the thread's task storage;
 * raw_tp/sys_exit adds the elapsed time to two aggregations: a per-CPU
 * array indexed by syscall number (which also gives the per-CPU view: the
 * CPU a syscall returned on) and a per-CPU hash keyed by (tgid, number),
 * which a tgid filter makes redundant and skips.
 * Per-CPU maps need no atomic operations on the hot path. All state stays
 * in maps so a later process can report from pinned maps.
 *
 * The hot path is kept short: filters first, no string work unless a comm
 * filter is set or a process is seen for the first time.
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

/*
 * Set by user space before each attach: a stamp left by an earlier phase
 * (a syscall that was in progress at detach) must not be timed across the
 * detached gap.
 */
__u32 phase = 0;

/* Loss accounting, read by user space. */
__u64 nr_drop_start = 0;	/* task storage could not be created: syscall not timed */
__u64 nr_drop_proc = 0;		/* per-process map full: syscall missing from that view */

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct syscost_start);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SYSCOST_NR_SLOTS);
	__type(key, __u32);
	__type(value, struct syscost_val);
} by_nr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SYSCOST_MAX_PROCS);
	__type(key, struct syscost_proc_key);
	__type(value, struct syscost_val);
} by_proc SEC(".maps");

/* Command name of each process seen, written once, when it enters by_proc. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYSCOST_MAX_PROCS);
	__type(key, __u32);
	__type(value, char[HLD_COMM_LEN]);
} comms SEC(".maps");

/* True if the current task passes the tgid and pid filters. */
static __always_inline bool ids_pass(__u64 id)
{
	if (targ_tgid >= 0 && (id >> 32) != targ_tgid)
		return false;
	if (targ_pid >= 0 && (__u32)id != targ_pid)
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
static __always_inline void name_process(__u32 tgid)
{
	char comm[HLD_COMM_LEN];

	bpf_get_current_comm(comm, sizeof(comm));
	bpf_map_update_elem(&comms, &tgid, comm, BPF_ANY);
}

/*
 * Account one syscall @nr of @ns nanoseconds to process @tgid. With a tgid
 * filter only one process passes, so by_nr is its per-process view and the
 * hash is skipped: the cheapest path for the common "diagnose this process".
 */
static __always_inline void account(__u32 tgid, __u32 nr, __u64 ns)
{
	struct syscost_proc_key key = { .tgid = tgid, .nr = nr };
	struct syscost_val *v, nv = { 1, ns, ns };

	v = bpf_map_lookup_elem(&by_nr, &nr);
	if (v) {
		if (targ_tgid >= 0 && !v->count)
			name_process(tgid);
		val_add(v, ns);
	}
	if (targ_tgid >= 0)
		return;
	v = bpf_map_lookup_elem(&by_proc, &key);
	if (v) {
		val_add(v, ns);
		return;
	}
	/* A new pair: the slow path. It fails if another CPU just added it, or the map is full. */
	if (bpf_map_update_elem(&by_proc, &key, &nv, BPF_NOEXIST)) {
		v = bpf_map_lookup_elem(&by_proc, &key);
		if (v)
			val_add(v, ns);
		else
			__sync_fetch_and_add(&nr_drop_proc, 1);
		return;
	}
	name_process(tgid);
}

SEC("raw_tp/sys_enter")
int syscost_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 nr = ctx->args[1];
	struct syscost_start *s;

	if (!ids_pass(id))
		return 0;
	if (targ_comm[0] && !comm_passes())
		return 0;
	if (nr >= SYSCOST_NR_SLOTS)
		nr = SYSCOST_OTHER;
	if (nr == KNR_EXIT || nr == KNR_EXIT_GROUP) {
		account(id >> 32, nr, 0);
		return 0;
	}
	s = bpf_task_storage_get(&start, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
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
	__u64 id = bpf_get_current_pid_tgid();
	struct syscost_start *s;
	__u32 tgid = id >> 32, nr;
	__u64 ts;

	if (!ids_pass(id))
		return 0;
	/* A thread filtered out by comm has no entry stamp, so no comm check here. */
	s = bpf_task_storage_get(&start, bpf_get_current_task_btf(), 0, 0);
	if (!s || !s->ts)
		return 0;
	ts = s->ts;
	s->ts = 0;
	if (s->phase != phase)
		return 0;
	nr = s->nr;
	account(tgid, nr, bpf_ktime_get_ns() - ts);
	/* The process now has the comm of the program it executed: name it by that. */
	if ((nr == KNR_EXECVE || nr == KNR_EXECVEAT) && ctx->args[1] == 0)
		name_process(tgid);
	return 0;
}
