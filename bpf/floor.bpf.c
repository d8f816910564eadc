// SPDX-License-Identifier: GPL-2.0
/*
 * floor.bpf.c - the floor for syscall tracing: no-op programs on
 * raw_tp/sys_enter and raw_tp/sys_exit. `hldbench bench syscall` measures
 * what merely running a BPF program on every syscall costs, and compares
 * sys-cost's cost with it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

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
