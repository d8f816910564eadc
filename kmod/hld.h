/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hld.h - inside hld.ko: what the core (hld_main.c, hld_ring.c) offers the
 * features, and the ops each feature (feat_<name>.c) fills.
 */
#ifndef HLD_H
#define HLD_H

#include <linux/types.h>

#include "hld_features.h"
#include "hld_ioctl.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "hld_compat.h"

struct tracepoint;

/*
 * One feature. Called with the core's control mutex held (never two at a
 * time); settings are checked by check() before activate() sees them.
 */
struct hld_feature_ops {
	u32 settings_size;		/* sizeof its struct in hld_settings.h */
	bool streams;			/* emits records for read(): its stream is prepared */
	/* At module load: 0 if usable, else -errno and @why. */
	int (*init)(char *why, size_t len);
	void (*exit)(void);		/* at unload, after deactivate() */
	/* -EINVAL if a value is out of range; nothing may change. */
	int (*check)(const void *settings);
	int (*activate)(const void *settings);
	void (*deactivate)(void);	/* collected data stays for report() */
	/* Bytes report() may need at most. */
	u64 (*report_max)(void);
	/* Drain what was collected since the last report into @buf, as records. */
	int (*report)(void __user *buf, u64 len, u64 *written, u64 *records);
	/* events, drops, drops_cause[] since activation */
	void (*stats)(struct hld_ioc_status *st);
};

extern const struct hld_feature_ops hld_syscost_ops;
extern const struct hld_feature_ops hld_alloctop_ops;
extern const struct hld_feature_ops hld_highorder_ops;
extern const struct hld_feature_ops hld_kprobe_ops;
extern const struct hld_feature_ops hld_tracepoint_ops;
extern const struct hld_feature_ops hld_perf_ops;
extern const struct hld_feature_ops hld_execmon_ops;
extern const struct hld_feature_ops hld_exitmon_ops;
extern const struct hld_feature_ops hld_runtrace_ops;
extern const struct hld_feature_ops hld_loadmon_ops;
extern const struct hld_feature_ops hld_irqstats_ops;
extern const struct hld_feature_ops hld_irqdelay_ops;
extern const struct hld_feature_ops hld_reboot_ops;
extern const struct hld_feature_ops hld_mutexmon_ops;

/*
 * Records for read(), in streams: one per feature that emits (its
 * enum hld_feature_id), and HLD_STREAM_TEST, the test ioctl's. A file reads
 * the streams of its mask (include/hld_ioctl.h, HLD_IOC_SUBSCRIBE).
 */
#define HLD_STREAMS	HLD_STREAMS_NR

/* Emit @rec into @stream: from any context but NMI. false (counted) if the buffer is full. */
bool hld_emit(unsigned int stream, const void *rec, u32 len);
/* Allocate @stream's buffers if not yet (core mutex held, before anything emits). */
int hld_ring_prepare(unsigned int stream);
void hld_ring_exit(void);
/* Are the buffers of every stream in @streams (bits) empty? */
bool hld_ring_empty(u64 streams);
/* Copy whole records of @streams into @buf; bytes copied, 0 if none is ready, or -errno. */
ssize_t hld_ring_read(u64 streams, char __user *buf, size_t len);
/* Woken (from irq_work) when records were emitted. */
extern struct wait_queue_head hld_wait;

/*
 * One zeroed @size-byte table per possible CPU, on the CPU's node
 * (vzalloc_node()), indexed by CPU: the array, or NULL. Free with
 * hld_cpu_tables_free(), which takes NULL.
 */
void **hld_cpu_tables_alloc(size_t size);
void hld_cpu_tables_free(void **tables);

/* The kernel tracepoint named @name, or NULL. */
struct tracepoint *hld_tracepoint(const char *name);

#endif /* HLD_H */
