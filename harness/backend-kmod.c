// SPDX-License-Identifier: GPL-2.0
/*
 * backend-kmod.c - user side of the kernel-module backend (/dev/hld).
 *
 * The features of hld.ko plug in here, into kmod_features[], as the eBPF
 * backend's do in bpf/backend.c: one harness/kmod-<feature>.c each, on top
 * of harness/kmod-dev.c. Until a feature is listed, diag__find() says it is
 * not implemented on this backend.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "diag.h"
#include "kmod-dev.h"

#define HLD_DEV HLD_DEVICE

/* The module is usable when /dev/hld exists; say why not otherwise. */
static int kmod_probe(char *why, size_t len)
{
	if (!access(HLD_DEV, F_OK))
		return 0;
	if (access("/proc/modules", F_OK)) {
		snprintf(why, len, "no %s, and this kernel cannot load modules "
			 "(CONFIG_MODULES is off: /proc/modules is absent)", HLD_DEV);
		return -ENOTSUP;
	}
	snprintf(why, len, "no %s: build and load the module ('make kmod', then "
		 "'insmod kmod/hld.ko')", HLD_DEV);
	return -ENOENT;
}

static const struct diag_ops *const kmod_features[] = {
	&kmod_load_monitor_ops,
	&kmod_sys_cost_ops,
	&kmod_alloc_top_ops,
	&kmod_high_order_ops,
	&kmod_perf_ops,
	&kmod_kprobe_ops,
	&kmod_tracepoint_ops,
	&kmod_exec_monitor_ops,
	&kmod_exit_monitor_ops,
	&kmod_run_trace_ops,
	&kmod_irq_stats_ops,
	&kmod_irq_delay_ops,
	&kmod_mutex_monitor_ops,
	&kmod_reboot_ops,
	NULL,
};

const struct diag_backend diag_backend_kmod = {
	.name = "kmod",
	.probe = kmod_probe,
	.features = kmod_features,
	.active_settings = kmod__active_settings,
};
