/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * hld_ioctl.h - the ioctl ABI of the kernel module's device, /dev/hld.
 *
 * Fixed-width types only; user pointers travel as __u64. Structs and
 * commands are only ever appended; a change of layout bumps
 * HLD_IOCTL_VERSION (HLD_IOC_TEST returns the module's). Features are
 * numbered by their place in HLD_FEATURES (include/hld_features.h).
 *
 * Every value is checked: a bad one gets -EINVAL (an unknown feature, a
 * settings size that is not the feature's, a nonzero reserved field, a
 * value out of range) and changes nothing. A feature the module does not
 * implement yet answers -EOPNOTSUPP, and its status says so in reason[].
 *
 * Records (include/hld_record.h) are read() from /dev/hld: whole records
 * only, from per-CPU buffers, one set per stream (each feature that emits,
 * and the test ioctl's); a file reads the streams it subscribed to
 * (HLD_IOC_SUBSCRIBE; all of them until it does), so readers of different
 * features do not take each other's records. poll() says when one is
 * ready. A report ioctl copies a feature's aggregated rows, as records,
 * into a user buffer.
 */
#ifndef HLD_IOCTL_H
#define HLD_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#include "hld_features.h"

#define HLD_DEVICE		"/dev/hld"
#define HLD_IOCTL_VERSION	2
#define HLD_IOC_MAGIC		0xb7

#define HLD_SETTINGS_MAX	1024	/* largest settings struct accepted */
#define HLD_REASON_LEN		128

/* hld_ioc_activate.flags */
#define HLD_ACTIVATE_PERSIST	1u	/* outlive the file: deactivated only by ioctl or rmmod */
#define HLD_ACTIVATE__ALL	HLD_ACTIVATE_PERSIST

struct hld_ioc_activate {
	__u32 feature;		/* enum hld_feature_id */
	__u32 flags;		/* HLD_ACTIVATE_* */
	__u32 settings_size;	/* sizeof the feature's struct in hld_settings.h */
	__u32 reserved;		/* 0 */
	__u64 settings;		/* user pointer to the settings */
};

/* Deactivate: data collected stays until the next activation or report. */
struct hld_ioc_feature {
	__u32 feature;
	__u32 reserved;		/* 0 */
};

/* hld_ioc_status.state */
enum hld_feature_state {
	HLD_FSTATE_UNIMPLEMENTED = 0,	/* not in this module yet: see reason */
	HLD_FSTATE_UNAVAILABLE = 1,	/* implemented, cannot run on this kernel: see reason */
	HLD_FSTATE_IDLE = 2,		/* available, not active */
	HLD_FSTATE_ACTIVE = 3,
	HLD_FSTATE__MAX,
};

struct hld_ioc_status {
	__u32 feature;		/* in */
	__u32 state;		/* out: enum hld_feature_state */
	__u32 settings_size;	/* in: bytes at settings (0: none wanted); out: the feature's size */
	__u32 flags;		/* out: HLD_ACTIVATE_* of the current activation */
	__u64 settings;		/* in: user buffer for the active (or last) settings, or 0 */
	__u64 events;		/* out: events counted since activation */
	__u64 drops;		/* out: events lost since activation, all causes */
	__u64 drops_cause[4];	/* out: drops by feature-defined cause */
	__u64 report_max;	/* out: bytes a report buffer needs at most */
	char name[32];		/* out: the feature's command-line name */
	char reason[HLD_REASON_LEN];	/* out: why unimplemented or unavailable */
};

/*
 * Report: flip the feature's generation, wait until no probe still writes
 * the old one, and copy its rows, as records, into buf (len bytes, at least
 * report_max from the status), zeroing them. -ENOSPC (nothing flipped) if
 * len is below report_max.
 */
struct hld_ioc_report {
	__u32 feature;
	__u32 reserved;		/* 0 */
	__u64 buf;		/* user pointer */
	__u64 len;
	__u64 written;		/* out: bytes written */
	__u64 records;		/* out: records written */
};

/* Test: emit nr_records struct hld_test_record to read(); returns the ABI version. */
struct hld_ioc_test {
	__u32 version;		/* out: HLD_IOCTL_VERSION */
	__u32 nr_records;	/* in: at most HLD_TEST_MAX_RECORDS */
	__u64 emitted;		/* out: records that fitted */
	__u64 dropped;		/* out: records lost to a full buffer */
};

#define HLD_TEST_MAX_RECORDS	(1u << 20)

/*
 * Subscribe: the streams this file's read() and poll() take records from,
 * bit HLD_STREAM_BIT(feature) for a feature's, HLD_STREAM_BIT(HLD_STREAM_TEST)
 * for the test ioctl's. Not empty, no bit past HLD_STREAMS_NR.
 */
#define HLD_STREAM_TEST		HLD_FEAT__MAX
#define HLD_STREAMS_NR		(HLD_FEAT__MAX + 1)
#define HLD_STREAM_BIT(s)	(1ull << (s))
#define HLD_STREAMS_ALL		(HLD_STREAM_BIT(HLD_STREAMS_NR) - 1)

struct hld_ioc_subscribe {
	__u64 streams;		/* HLD_STREAM_BIT()s */
	__u64 reserved;		/* 0 */
};

#define HLD_IOC_ACTIVATE	_IOW(HLD_IOC_MAGIC, 1, struct hld_ioc_activate)
#define HLD_IOC_DEACTIVATE	_IOW(HLD_IOC_MAGIC, 2, struct hld_ioc_feature)
#define HLD_IOC_STATUS		_IOWR(HLD_IOC_MAGIC, 3, struct hld_ioc_status)
#define HLD_IOC_REPORT		_IOWR(HLD_IOC_MAGIC, 4, struct hld_ioc_report)
#define HLD_IOC_TEST		_IOWR(HLD_IOC_MAGIC, 5, struct hld_ioc_test)
#define HLD_IOC_SUBSCRIBE	_IOW(HLD_IOC_MAGIC, 6, struct hld_ioc_subscribe)

#endif /* HLD_IOCTL_H */
