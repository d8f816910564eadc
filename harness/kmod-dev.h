/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmod-dev.h - user side of /dev/hld (include/hld_ioctl.h): the calls every
 * kernel-module feature makes.
 */
#ifndef HLD_KMOD_DEV_H
#define HLD_KMOD_DEV_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "hld_ioctl.h"
#include "hld_record.h"

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

/*
 * The settings of @id's active persistent activation in the loaded module
 * into @buf (@size bytes, the feature's settings size): 0, -ENOENT if @id
 * is not active persistently, or -errno. diag_backend_kmod.active_settings.
 */
int kmod__active_settings(enum diag_feature_id id, void *buf, size_t size);

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
 * Read every record ready on @fd (opened by kmod__open(), best made
 * O_NONBLOCK) as poll() says it is, and hand each to @cb. The device's buffers are shared by all
 * features: a record of a type the caller does not want is read (and so
 * taken from any other reader) and must be skipped by @cb. @cb returns 0
 * or a -errno that stops the drain. Records handed, or -errno (-EPROTO: a
 * malformed record).
 */
typedef int (*kmod_record_fn)(void *ctx, const struct hld_record_header *h);
long kmod__drain(int fd, kmod_record_fn cb, void *ctx);

/* The kernel-module features, one harness/kmod-<feature>.c each. */
extern const struct diag_ops kmod_sys_cost_ops;
extern const struct diag_ops kmod_mutex_monitor_ops;
extern const struct diag_ops kmod_reboot_ops;

#endif /* HLD_KMOD_DEV_H */
