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
 * A feature's state in f->priv. An adapter with more state puts this
 * first in its own struct and creates it through kmod__feature().
 */
struct kmod_feature {
	int fd;			/* /dev/hld; closing it ends a private activation */
	bool reopened;		/* reporting on a persistent activation */
};

/*
 * f->priv, created on first use (@size bytes, zeroed, a struct
 * kmod_feature first) with /dev/hld opened; NULL and errno on failure.
 */
void *kmod__feature(struct diag_feature *f, size_t size);

/*
 * The diag_ops of a kernel-module feature (f->ops->id), for adapters that
 * need nothing else: activate (persistent when f->pin_dir is set), reopen
 * (attach to a persistent activation: it must be active in the module),
 * deactivate (the rows stay in the module for report(); f->drops set),
 * free (close the device: a private activation ends with it, a persistent
 * one stays). 0 or -errno.
 */
int kmod__feature_activate(struct diag_feature *f);
int kmod__feature_reopen(struct diag_feature *f);
int kmod__feature_deactivate(struct diag_feature *f);
void kmod__feature_free(struct diag_feature *f);

/* The kernel-module features, one harness/kmod-<feature>.c each. */
extern const struct diag_ops kmod_sys_cost_ops;
extern const struct diag_ops kmod_alloc_top_ops;
extern const struct diag_ops kmod_high_order_ops;
extern const struct diag_ops kmod_kprobe_ops;
extern const struct diag_ops kmod_tracepoint_ops;

#endif /* HLD_KMOD_DEV_H */
