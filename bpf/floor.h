/* SPDX-License-Identifier: GPL-2.0 */
/*
 * floor.h - the reference programs `hldbench bench syscall` measures
 * sys-cost against (bpf/floor.bpf.c). floor__attach() and floor__detach()
 * are declared in bpf-util.h.
 */
#ifndef HLD_FLOOR_H
#define HLD_FLOOR_H

struct floor;

/*
 * Attach the clock pair instead of the no-op one: one bpf_ktime_get_ns()
 * in each of sys_enter and sys_exit. NULL and -errno in *@err on failure.
 */
struct floor *floor__attach_clocks(int *err);

#endif /* HLD_FLOOR_H */
