/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf-util.h - helpers shared by the user side of the BPF features.
 *
 * Nothing here prints; every function returns 0 or a negative errno and,
 * where a caller has to explain a failure, writes a reason into @why.
 */
#ifndef HLD_BPF_UTIL_H
#define HLD_BPF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct bpf_object;
struct bpf_link;

/* The no-op syscall programs, the floor `hldbench bench syscall` measures against. */
struct floor;
struct floor *floor__attach(int *err);
void floor__detach(struct floor *fl);

/* The features of the BPF backend, one adapter each in bpf/<feature>.c. */
extern const struct diag_ops bpf_load_monitor_ops;
extern const struct diag_ops bpf_perf_ops;
extern const struct diag_ops bpf_kprobe_ops;
extern const struct diag_ops bpf_tracepoint_ops;
extern const struct diag_ops bpf_sys_cost_ops;
extern const struct diag_ops bpf_exec_monitor_ops;
extern const struct diag_ops bpf_exit_monitor_ops;
extern const struct diag_ops bpf_alloc_top_ops;
extern const struct diag_ops bpf_high_order_ops;
extern const struct diag_ops bpf_irq_stats_ops;
extern const struct diag_ops bpf_run_trace_ops;
extern const struct diag_ops bpf_irq_delay_ops;
extern const struct diag_ops bpf_mutex_monitor_ops;
extern const struct diag_ops bpf_reboot_ops;

/*
 * 0 if BPF is usable here: the bpf() syscall creates a map and the kernel
 * exposes its BTF (/sys/kernel/btf/vmlinux, needed by CO-RE). Otherwise
 * -errno and a reason in @why.
 */
int bpf_util__probe(char *why, size_t len);

/* The kprobe PMU: where it is missing, the kernel has no kprobes (CONFIG_KPROBES off). */
#define BPF_UTIL_KPROBE_PMU	"/sys/bus/event_source/devices/kprobe"

/*
 * Persistent activations. pin_maps() makes every map of @obj live at
 * @dir/<map name> (call it before load: load then creates and pins them, or
 * reuses those already pinned); pin_link() pins @link as @dir/@name.
 */
int bpf_util__pin_maps(struct bpf_object *obj, const char *dir);
int bpf_util__pin_link(struct bpf_link *link, const char *dir, const char *name);
/* Keep @size bytes of settings in an array map pinned as @dir/hld_settings, and read them back. */
int bpf_util__save_settings(const char *dir, const void *data, size_t size);
int bpf_util__load_settings(const char *dir, void *data, size_t size);

/*
 * Add the run time and run count the kernel has accounted to the program
 * @prog_fd (bpf_prog_info run_time_ns/run_cnt; zero unless BPF stats are
 * enabled) to *@run_ns and *@run_cnt. 0 or -errno.
 */
int bpf_util__prog_stats(int prog_fd, uint64_t *run_ns, uint64_t *run_cnt);

/*
 * Fill @online[0..@nr) from /sys/devices/system/cpu/online. Returns the
 * number of online CPUs below @nr, or -errno.
 */
int bpf_util__online_cpus(bool *online, int nr);

/* CLOCK_MONOTONIC in ns: the clock bpf_ktime_get_ns() reads. */
uint64_t bpf_util__now_ns(void);

/*
 * Wait until every BPF program run that began before the call has ended:
 * after flipping a generation variable that programs read, the previous
 * generation's map entries are then complete and can be read and cleared
 * without losing an update ("drain since the last report"). 0 or -errno.
 */
int bpf_util__grace_period(void);

/*
 * Make room for @want elements of @size bytes in the growable array *@arr
 * of capacity *@cap (elements), doubling it. 0 or -ENOMEM (the array is
 * left as it was).
 */
int bpf_util__reserve(void **arr, size_t *cap, size_t want, size_t size);

/*
 * Is @data (@size bytes from a ring buffer) a well-formed record of @type:
 * our version, and a length of at least @min that fits in @size?
 */
bool bpf_util__record_ok(const void *data, size_t size, uint16_t type, size_t min);

/* A BPF ring buffer size for @want bytes: a power of two, at least @min, at most 1 GiB. */
uint32_t bpf_util__ringbuf_size(uint64_t want, uint32_t min);

/*
 * Copy @name into @buf (of @len bytes) with the characters the folded-stack
 * format reserves (';', newline) replaced by '_'. Returns @buf.
 */
char *bpf_util__frame(char *buf, size_t len, const char *name);

#endif /* HLD_BPF_UTIL_H */
