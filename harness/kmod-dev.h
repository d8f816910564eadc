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

/*
 * Records of read() on /dev/hld. The module keeps a stream per feature, and
 * a file reads the streams it subscribed to (HLD_IOC_SUBSCRIBE), so
 * processes reading different features do not take each other's records;
 * within a process, a feature reading for itself would still take (and
 * lose) the records of the others it reads. So a process reads through one
 * reader here, subscribed to the streams of its consumers, which hands each
 * record to the consumer registered for its type (one per type: the
 * feature that emits it) and counts, then skips, the records nobody in this
 * process consumes. Thread-safe: the diagnosis thread drains, the command
 * thread reports.
 */
typedef void (*kmod_record_fn)(void *ctx, const void *rec, size_t len);

/*
 * Hand records of @type, emitted by feature @id, to @fn(@ctx, ...). 0,
 * -EBUSY (taken) or -errno (cannot open, or the module cannot subscribe).
 */
int kmod__records_subscribe(enum diag_feature_id id, uint16_t type, kmod_record_fn fn,
			    void *ctx);
/*
 * Stop handing records of @type. The reader stays open for the next
 * consumer (it holds no activation, but /dev/hld cannot be unloaded while
 * the process lives).
 */
void kmod__records_unsubscribe(uint16_t type);
/* Read every record ready now, handing each to its consumer. Records read, or -errno. */
int kmod__records_drain(void);
/* Records read that no consumer of this process took, since the reader opened. */
uint64_t kmod__records_foreign(void);

/*
 * A feature that streams records through read() (exec-monitor,
 * exit-monitor): its user side is a kmod_stream_desc, and its diag_ops
 * call the kmod_stream__*() below, which open the device (the control fd:
 * closing it ends a private activation), subscribe to the record type,
 * preallocate, drain on every poll and hand the records and the module's
 * status to the feature's report.
 */
struct kmod_stream_desc {
	enum diag_feature_id id;
	uint16_t type;			/* the record type it consumes */
	size_t rec_size;		/* bytes of one record, for the preallocation */
	size_t recs_size;		/* bytes of the feature's record store */
	/* Keep one record into the store; errors are the store's to remember. */
	void (*keep)(void *recs, const void *rec, size_t len);
	/* Room for @want records. 0 or -errno. */
	int (*prealloc)(void *recs, size_t want);
	/* First error keeping a record, 0 if none. */
	int (*recs_err)(const void *recs);
	/* Records kept since the last report. */
	size_t (*nr_recs)(const void *recs);
	/*
	 * Write the report from the store and the module's status @st (NULL
	 * if unknown); @files false: the drain failed. 0 or -errno.
	 */
	int (*report)(struct diag_feature *f, void *recs, const struct hld_ioc_status *st,
		      const struct diag_outputs *out, bool files);
	void (*free_recs)(void *recs);
	size_t prealloc_max;		/* records preallocated at most */
};

int kmod_stream__activate(struct diag_feature *f, const struct kmod_stream_desc *d);
int kmod_stream__reopen(struct diag_feature *f, const struct kmod_stream_desc *d);
int kmod_stream__poll(struct diag_feature *f, const struct kmod_stream_desc *d);
int kmod_stream__deactivate(struct diag_feature *f, const struct kmod_stream_desc *d);
int kmod_stream__report(struct diag_feature *f, const struct kmod_stream_desc *d,
			const struct diag_outputs *out);
void kmod_stream__free(struct diag_feature *f, const struct kmod_stream_desc *d);

/* Define const struct diag_ops @ops for the stream feature @desc (a kmod_stream_desc). */
#define KMOD_STREAM_OPS(ops, desc)							\
	static int ops##_probe(char *why, size_t len)					\
	{ return kmod__probe((desc).id, why, len); }					\
	static int ops##_activate(struct diag_feature *f)				\
	{ return kmod_stream__activate(f, &(desc)); }					\
	static int ops##_reopen(struct diag_feature *f)					\
	{ return kmod_stream__reopen(f, &(desc)); }					\
	static int ops##_poll(struct diag_feature *f)					\
	{ return kmod_stream__poll(f, &(desc)); }					\
	static int ops##_deactivate(struct diag_feature *f)				\
	{ return kmod_stream__deactivate(f, &(desc)); }					\
	static int ops##_report(struct diag_feature *f, const struct diag_outputs *out)	\
	{ return kmod_stream__report(f, &(desc), out); }				\
	static void ops##_free(struct diag_feature *f)					\
	{ kmod_stream__free(f, &(desc)); }						\
	const struct diag_ops ops = {							\
		.id = (desc).id, .probe = ops##_probe, .activate = ops##_activate,	\
		.poll = ops##_poll, .deactivate = ops##_deactivate,			\
		.report = ops##_report, .reopen = ops##_reopen, .free = ops##_free,	\
	}

/*
 * The record callback of kmod__drain(): one whole record of a type asked
 * for, @size bytes (hdr.len). Nonzero stops the drain and is returned.
 */
typedef int (*kmod_drain_fn)(void *ctx, const void *rec, size_t size);

/* The bit of record type @t (enum hld_record_type, below 64) in kmod__drain()'s mask. */
#define KMOD_REC(t)	(1ull << (t))

/*
 * Read every record ready in feature @id's stream without waiting, through
 * the process's one reader (kmod__records_*() above), passing those whose
 * type is in @types (KMOD_REC() bits) to @fn; records of other types go to
 * their consumers in this process, or are counted by kmod__records_foreign().
 * 0, -EBUSY if another consumer holds one of @types, or -errno.
 */
int kmod__drain(enum diag_feature_id id, uint64_t types, kmod_drain_fn fn, void *ctx);

/*
 * The record at *@off in @buf (@len bytes of whole records, as a report or
 * read() returns them), advancing *@off past it: NULL at the end (*@err 0),
 * or on a record that is cut, shorter than @size or (unless @type is
 * HLD_REC_NONE) not of @type (*@err -EPROTO).
 */
const void *kmod__record(const void *buf, size_t len, size_t *off, unsigned int type,
			 size_t size, int *err);

/* The kernel-module features, one harness/kmod-<feature>.c each. */
extern const struct diag_ops kmod_sys_cost_ops;
extern const struct diag_ops kmod_alloc_top_ops;
extern const struct diag_ops kmod_high_order_ops;
extern const struct diag_ops kmod_perf_ops;
extern const struct diag_ops kmod_kprobe_ops;
extern const struct diag_ops kmod_tracepoint_ops;
extern const struct diag_ops kmod_exec_monitor_ops;
extern const struct diag_ops kmod_exit_monitor_ops;
extern const struct diag_ops kmod_run_trace_ops;
extern const struct diag_ops kmod_load_monitor_ops;
extern const struct diag_ops kmod_irq_stats_ops;
extern const struct diag_ops kmod_irq_delay_ops;
extern const struct diag_ops kmod_mutex_monitor_ops;
extern const struct diag_ops kmod_reboot_ops;

/*
 * Pause (@on false) or resume the sampling of @f, an in-process activation
 * of the module's perf, as profile__enable() does for the eBPF backend's
 * (`hldbench bench profile`): the module deactivates and activates it
 * again; rows not reported stay. 0, -ENOTSUP (persistent), or -errno.
 */
int kmod_perf__enable(struct diag_feature *f, bool on);

#endif /* HLD_KMOD_DEV_H */
