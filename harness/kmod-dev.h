/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmod-dev.h - user side of /dev/hld (include/hld_ioctl.h): the calls every
 * kernel-module feature makes.
 */
#ifndef HLD_KMOD_DEV_H
#define HLD_KMOD_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "hld_ioctl.h"

/* Open /dev/hld: the fd, or -errno. */
int kmod__open(void);

/*
 * Is feature @id usable on the loaded module? 0, or -errno with the reason
 * in @why: the module is missing, the feature not implemented in it yet or
 * unavailable on this kernel.
 */
int kmod__probe(enum diag_feature_id id, char *why, size_t len);

/* The status of @id (settings not asked for). 0 or -errno. */
int kmod__status(int fd, enum diag_feature_id id, struct hld_ioc_status *st);

/* Activate @id with @settings (@size bytes); @persist: outlive @fd. 0 or -errno. */
int kmod__activate(int fd, enum diag_feature_id id, const void *settings, size_t size,
		   bool persist);
/* 0, or -errno (-ENOENT: not active). */
int kmod__deactivate(int fd, enum diag_feature_id id);

/*
 * Drain @id's rows since the last report: *@buf (malloc'ed, free it) holds
 * *@len bytes of records. 0 or -errno.
 */
int kmod__report(int fd, enum diag_feature_id id, void **buf, size_t *len);

/*
 * The record callback of kmod__drain(): one whole record of a type asked
 * for, @size bytes (hdr.len). Nonzero stops the drain and is returned.
 */
typedef int (*kmod_record_fn)(void *ctx, const void *rec, size_t size);

/* The bit of record type @t (enum hld_record_type, below 64) in kmod__drain()'s mask. */
#define KMOD_REC(t)	(1ull << (t))

/*
 * Read every record ready in /dev/hld's buffers without waiting, passing
 * those whose type is in @types (KMOD_REC() bits) to @fn and skipping the
 * others (the buffers are shared by every feature: what one reader skips is
 * gone for all). 0 or -errno.
 */
int kmod__drain(int fd, uint64_t types, kmod_record_fn fn, void *ctx);

/* The kernel-module features, one harness/kmod-<feature>.c each. */
extern const struct diag_ops kmod_sys_cost_ops;
extern const struct diag_ops kmod_run_trace_ops;
extern const struct diag_ops kmod_load_monitor_ops;

#endif /* HLD_KMOD_DEV_H */
