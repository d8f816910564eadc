/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hld_compat.h - every kernel-version difference the module deals with, and
 * only those: the features include this instead of testing versions.
 *
 * Supported: Debian's 6.1 and 6.12 kernels.
 */
#ifndef HLD_COMPAT_H
#define HLD_COMPAT_H

#include <linux/version.h>
#include <linux/preempt.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "hld.ko needs Linux 6.1 or later"
#endif

/*
 * Syscall tracepoints may call their probes with preemption enabled
 * (faultable syscall tracepoints, 6.13 and later); the per-CPU tables need
 * it disabled, and the report's synchronize_rcu() then waits for them on
 * every version. Cheap and harmless where the caller already disabled it.
 */
#define hld_tp_enter()	preempt_disable_notrace()
#define hld_tp_exit()	preempt_enable_notrace()

#endif /* HLD_COMPAT_H */
