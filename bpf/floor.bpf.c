// SPDX-License-Identifier: GPL-2.0
/*
 * floor.bpf.c - the floor for syscall tracing: no-op programs on
 * raw_tp/sys_enter and raw_tp/sys_exit. `hldbench bench syscall` measures
 * what merely running a BPF program on every syscall costs, and compares
 * sys-cost's cost with it.
 *
 * A second pair is the floor for timing syscalls: the same programs plus
 * one bpf_ktime_get_ns() each, the two clock reads any per-syscall latency
 * needs and nothing else. The bench shows it beside sys-cost, so that the
 * part of sys-cost's cost that is the clock can be read off the same run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

__u64 clock_stamp = 0;		/* the last entry time, any CPU: only the reads matter */
__u64 clock_sum = 0;

SEC("raw_tp/sys_enter")
int floor_enter(void *ctx)
{
	return 0;
}

SEC("raw_tp/sys_exit")
int floor_exit(void *ctx)
{
	return 0;
}

SEC("raw_tp/sys_enter")
int floor_clock_enter(void *ctx)
{
	clock_stamp = bpf_ktime_get_ns();
	return 0;
}

SEC("raw_tp/sys_exit")
int floor_clock_exit(void *ctx)
{
	clock_sum += bpf_ktime_get_ns() - clock_stamp;
	return 0;
}
