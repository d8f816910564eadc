// SPDX-License-Identifier: GPL-2.0
/*
 * backend.c - the eBPF diagnosis backend: its probe and its feature table.
 */
#include <stddef.h>

#include "bpf-util.h"
#include "diag.h"

static const struct diag_ops *const bpf_features[] = {
	&bpf_load_monitor_ops,
	&bpf_perf_ops,
	NULL,
};

/* The backend runs if the bpf() syscall works and the kernel has BTF for CO-RE. */
static int bpf_backend_probe(char *why, size_t len)
{
	return bpf_util__probe(why, len);
}

const struct diag_backend diag_backend_bpf = {
	.name = "bpf",
	.probe = bpf_backend_probe,
	.features = bpf_features,
};
