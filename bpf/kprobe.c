// SPDX-License-Identifier: GPL-2.0
/*
 * kprobe.c - the kprobe feature on the eBPF backend.
 *
 * Probing an arbitrary kernel function needs the kprobe PMU
 * (CONFIG_KPROBES). Where the kernel has none, the feature registers and
 * says so, and points at the nearest real thing, the tracepoint feature
 * (bpf/tracepoint.c). Where the kernel has one, it says that this backend
 * does not implement it yet, rather than pretending.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag.h"

#define KPROBE_PMU "/sys/bus/event_source/devices/kprobe"

static int kprobe_probe(char *why, size_t len)
{
	if (access(KPROBE_PMU, F_OK)) {
		snprintf(why, len, "kernel built without CONFIG_KPROBES (no %s); "
			 "the nearest real thing is tracepoint: any named tracepoint with "
			 "stacks and a flame graph (hldbench diag tracepoint --help)", KPROBE_PMU);
		return -ENOTSUP;
	}
	snprintf(why, len, "not implemented on the bpf backend yet");
	return -ENOSYS;
}

static int kprobe_unavailable(struct diag_feature *f)
{
	return -ENOTSUP;
}

static int kprobe_report(struct diag_feature *f, const struct diag_outputs *out)
{
	return -ENOTSUP;
}

const struct diag_ops bpf_kprobe_ops = {
	.id = DIAG_kprobe,
	.probe = kprobe_probe,
	.activate = kprobe_unavailable,
	.deactivate = kprobe_unavailable,
	.report = kprobe_report,
};
