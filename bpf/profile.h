/* SPDX-License-Identifier: GPL-2.0 */
/*
 * profile.h - what the perf feature (bpf/profile.c) offers besides its
 * diag_ops: the sampling event it attaches to, for benchmarks that measure
 * the cost of the sampling interrupt alone.
 */
#ifndef HLD_PROFILE_H
#define HLD_PROFILE_H

#include <stdint.h>

/*
 * Open a software cpu-clock sampling event on @cpu (all tasks) firing @freq
 * times a second, enabled, with no sample output: the event perf's program
 * is attached to. Returns the fd (close-on-exec) or -errno.
 */
int profile__open_clock(int cpu, uint64_t freq);

#endif /* HLD_PROFILE_H */
