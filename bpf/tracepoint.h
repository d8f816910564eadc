/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tracepoint.h - the name resolution of the tracepoint and kprobe
 * features, which their settings checks and tests use. The two features
 * share one settings struct (struct hld_tracepoint_settings, whose name is
 * a kprobe's function) and one implementation (bpf/tracepoint.c).
 *
 * A tracepoint is named as tracefs names its event, "subsys:event"
 * (sched:sched_switch), or by its raw tracepoint name (sched_switch). The
 * syscalls:sys_enter_NAME / sys_exit_NAME events, which have no tracepoint
 * of their own, become the raw sys_enter / sys_exit tracepoint filtered to
 * syscall NAME (x86_64 numbers, names as in asm/unistd_64.h).
 *
 * A raw tracepoint exists when the kernel's BTF has a btf_trace_<name>
 * typedef (one per tracepoint BPF can attach to), so no tracefs is needed.
 */
#ifndef HLD_TRACEPOINT_H
#define HLD_TRACEPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_NAME_LEN 64

struct tp_target {
	char raw[TP_NAME_LEN];		/* raw tracepoint to attach to: "sched_switch" */
	int64_t sysnr;			/* only this syscall (sys_enter/sys_exit), -1: any */
	bool sys_exit;			/* @sysnr is read from sys_exit's registers */
};

/*
 * Resolve the tracepoint @name into @t. 0, or -EINVAL (empty or malformed
 * name) / -ENOENT (no such tracepoint here) with what to do in @why: where
 * names are listed and, for a near miss, the names that come closest.
 */
int tracepoint__resolve(const char *name, struct tp_target *t, char *why, size_t len);

/*
 * Check the settings of the tracepoint feature (struct
 * hld_tracepoint_settings) before an activation: the name must resolve.
 * 0, or -errno with the reason in @why.
 */
int tracepoint__check(const void *settings, char *why, size_t len);

/* Edit distance of @a and @b, capped: anything above @cap is cap + 1 (for "did you mean"). */
int tracepoint__distance(const char *a, const char *b, int cap);

/*
 * Load tracepoint.bpf.c's raw tracepoint program, or its kprobe twin if
 * @kprobe, with tiny maps: whether the program type and stack maps work
 * here. 0, or -errno with the reason in @why.
 */
int tracepoint__probe_load(bool kprobe, char *why, size_t len);

/* kprobe: 0 if the kernel has the kprobe PMU and the program loads, else -errno and @why. */
int kprobe__probe(char *why, size_t len);

/*
 * Check the kernel function @name for kprobe: 0, or -EINVAL (empty,
 * malformed, on the kernel's kprobe blacklist) / -ENOENT (no such text
 * symbol, with the nearest names) with what to do in @why.
 */
int kprobe__resolve(const char *name, char *why, size_t len);

/* Check kprobe's settings (the function must resolve) before an activation. */
int kprobe__check(const void *settings, char *why, size_t len);

#endif /* HLD_TRACEPOINT_H */
