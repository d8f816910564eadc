// SPDX-License-Identifier: GPL-2.0
/*
 * backend.c - the eBPF diagnosis backend: its probe and its feature table.
 */
#include <errno.h>
#include <stddef.h>

#include <bpf/bpf.h>

#include "bpf-util.h"
#include "diag.h"

static const struct diag_ops *const bpf_features[] = {
	&bpf_load_monitor_ops,
	&bpf_perf_ops,
	&bpf_kprobe_ops,
	&bpf_tracepoint_ops,
	&bpf_sys_cost_ops,
	&bpf_exec_monitor_ops,
	&bpf_exit_monitor_ops,
	&bpf_alloc_top_ops,
	&bpf_high_order_ops,
	&bpf_irq_stats_ops,
	&bpf_run_trace_ops,
	&bpf_irq_delay_ops,
	&bpf_mutex_monitor_ops,
	&bpf_reboot_ops,
	NULL,
};

/* The backend runs if the bpf() syscall works and the kernel has BTF for CO-RE. */
static int bpf_backend_probe(char *why, size_t len)
{
	return bpf_util__probe(why, len);
}

/*
 * Turn on per-program run-time statistics for as long as the returned fd is
 * open. BPF_ENABLE_STATS is reference counted by the kernel, so closing the
 * fd (or dying) restores whatever kernel.bpf_stats_enabled was before.
 */
static int bpf_backend_cost_begin(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}

const struct diag_backend diag_backend_bpf = {
	.name = "bpf",
	.probe = bpf_backend_probe,
	.features = bpf_features,
	.cost_begin = bpf_backend_cost_begin,
};
