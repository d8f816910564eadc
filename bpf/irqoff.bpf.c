// SPDX-License-Identifier: GPL-2.0
/*
 * irqoff.bpf.c - not a feature: the disturbance of irq-delay's ground-truth
 * test (harness/truth-irq-delay.c). A user-space process cannot hold off
 * interrupts, and this kernel loads no modules, but a perf_event program
 * runs inside the timer interrupt with interrupts disabled: attached to a
 * cpu-clock event on one CPU, it busy-waits spin_ns there each time the
 * event fires, so that CPU services no other interrupt, its timer tick
 * included, for that long. Each spin is counted and timed, so the test
 * knows exactly how many stalls of what length it caused.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 spin_ns = 4000000;	/* length of one stall */

__u64 nr_spins = 0;		/* stalls caused */
__u64 min_spin_ns = 0;		/* shortest and longest stall, as measured */
__u64 max_spin_ns = 0;
__u64 total_spin_ns = 0;
__u64 nr_short = 0;		/* spins cut short by the loop bound */

/* bpf_loop callback: stop once the clock passes *@end. */
static long spin_until(__u32 i, void *ctx)
{
	__u64 *end = ctx;

	return bpf_ktime_get_ns() >= *end;
}

/* Each firing of the cpu-clock event: spin spin_ns with interrupts off, and count it. */
SEC("perf_event")
int irqoff_spin(struct bpf_perf_event_data *ctx)
{
	__u64 t0 = bpf_ktime_get_ns(), end = t0 + spin_ns, d;

	bpf_loop(1 << 23, spin_until, &end, 0);
	d = bpf_ktime_get_ns() - t0;
	if (d < spin_ns)
		nr_short++;
	if (!min_spin_ns || d < min_spin_ns)
		min_spin_ns = d;
	if (d > max_spin_ns)
		max_spin_ns = d;
	total_spin_ns += d;
	nr_spins++;
	return 0;
}
