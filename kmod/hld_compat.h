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

/*
 * Another task's kernel stack: stack_trace_save_tsk() is exported to
 * modules on 6.12, not on 6.1, where the stacks are unavailable (and
 * HLD_STACK_TSK_WHY says why).
 */
#include <linux/stacktrace.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define HLD_HAVE_STACK_TSK	1
#define HLD_STACK_TSK_WHY	""
static inline unsigned int hld_stack_tsk(struct task_struct *t, unsigned long *store,
					 unsigned int size)
{
	return stack_trace_save_tsk(t, store, size, 0);
}
#else
#define HLD_HAVE_STACK_TSK	0
#define HLD_STACK_TSK_WHY	"stack_trace_save_tsk() is not exported to modules before 6.12"
static inline unsigned int hld_stack_tsk(struct task_struct *t, unsigned long *store,
					 unsigned int size)
{
	return 0;
}
#endif

#endif /* HLD_COMPAT_H */
