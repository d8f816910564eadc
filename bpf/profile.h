/* SPDX-License-Identifier: GPL-2.0 */
/*
 * profile.h - what the perf feature (bpf/profile.c) offers besides its
 * diag_ops, for `hldbench bench profile`: the sampling event it attaches
 * to (to measure the cost of the sampling interrupt alone), and a switch
 * that pauses sampling without detaching (to measure with and without it
 * in alternating slices of one run).
 */
#ifndef HLD_PROFILE_H
#define HLD_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Open a software cpu-clock sampling event on @cpu (all tasks) firing @freq
 * times a second, enabled, with no sample output: the event perf's program
 * is attached to. Returns the fd (close-on-exec) or -errno.
 */
int profile__open_clock(int cpu, uint64_t freq);

struct diag_feature;

/*
 * Pause (@on false) or resume the sampling events of @f, an in-process
 * activation of the BPF backend's perf (not a persistent one: its events
 * belong to no process). 0, -ENOTSUP, or -errno of the first failing ioctl.
 */
int profile__enable(struct diag_feature *f, bool on);

#endif /* HLD_PROFILE_H */
