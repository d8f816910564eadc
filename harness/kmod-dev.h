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
 * The record at *@off in @buf (@len bytes of whole records, as a report or
 * read() returns them), advancing *@off past it: NULL at the end (*@err 0),
 * or on a record that is cut, shorter than @size or (unless @type is
 * HLD_REC_NONE) not of @type (*@err -EPROTO).
 */
const void *kmod__record(const void *buf, size_t len, size_t *off, unsigned int type,
			 size_t size, int *err);

/*
 * A kernel-module feature's private state starts with this: its /dev/hld
 * fd, whose closing ends a private activation.
 */
struct kmod_feat {
	int fd;
};

/*
 * f->priv, allocated (@size bytes, zeroed, starting with struct kmod_feat)
 * and /dev/hld opened on first use; NULL with errno set on failure.
 */
void *kmod__priv(struct diag_feature *f, size_t size);
/* Activate f->ops->id with f->settings; a persistent one (f->pin_dir set) outlives the fd. */
int kmod__feat_activate(struct diag_feature *f, size_t size);
/* Attach to a persistent activation: it must be active in the module. */
int kmod__feat_reopen(struct diag_feature *f, size_t size);
/* Stop collecting (the data stays in the module for report()); f->drops from the status. */
int kmod__feat_deactivate(struct diag_feature *f);
/* Close the device and free f->priv: a private activation ends, a persistent one stays. */
void kmod__feat_free(struct diag_feature *f);

/* The kernel-module features, one harness/kmod-<feature>.c each. */
extern const struct diag_ops kmod_sys_cost_ops;
extern const struct diag_ops kmod_irq_stats_ops;
extern const struct diag_ops kmod_irq_delay_ops;

#endif /* HLD_KMOD_DEV_H */
