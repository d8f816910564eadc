/* SPDX-License-Identifier: GPL-2.0 */
/*
 * blkdev.h - a slow block device for D-state load: a loop device on a
 * sparse file, throttled to a few IOPS through a blkio cgroup.
 *
 * Synchronous direct I/O against it (fio psync, direct=1) keeps the
 * issuing tasks in uninterruptible sleep (D, counted in procs_blocked) for
 * most of the time. The throttle is per cgroup: only tasks that joined
 * blkdev__cgroup_procs() are slowed down.
 *
 * Throttling uses cgroup v1 blkio.throttle.{read,write}_iops_device, or
 * cgroup v2 io.max when v1 blkio is not mounted.
 */
#ifndef HLD_BLKDEV_H
#define HLD_BLKDEV_H

#include <stddef.h>
#include <stdint.h>

struct blkdev;

struct blkdev_spec {
	const char *name;	/* for the cgroup name: hldbench-PID-NAME */
	const char *dir;	/* where the sparse backing file goes; NULL: /var/tmp */
	uint64_t size;		/* bytes, > 0 */
	uint64_t read_iops;	/* 0: not throttled */
	uint64_t write_iops;	/* 0: not throttled */
};

/*
 * Create the backing file, attach it to a free loop device and set up the
 * throttle. Returns 0 and sets *@out, or a negative errno with a reason in
 * @err: -ENOTSUP when the machine cannot do it (no loop devices, no blkio
 * throttling), -EPERM when not root.
 */
int blkdev__new(const struct blkdev_spec *spec, struct blkdev **out, char *err, size_t errlen);

/* "/dev/loopN". */
const char *blkdev__path(const struct blkdev *b);

/* The cgroup.procs file a child joins to be throttled; NULL if no throttle. */
const char *blkdev__cgroup_procs(const struct blkdev *b);

/*
 * The throttle's cgroup directory when it is a cgroup v2 one, else NULL: a
 * memory limit on the same load must use that directory (memcg__new()).
 */
const char *blkdev__cgroup_v2_dir(const struct blkdev *b);

/* "v1 blkio", "v2 io.max" or "none". */
const char *blkdev__throttle_kind(const struct blkdev *b);

/*
 * SIGKILL every task still in the throttle cgroup and wait (up to about 2 s)
 * for it to empty. Needed because fio's job processes call setsid() and so
 * leave the process group that child__stop() kills. Returns the number of
 * tasks that were signalled, or -errno.
 */
int blkdev__kill_tasks(struct blkdev *b);

/*
 * Remove the cgroup (its tasks must have exited), detach the loop device
 * and free @b. The backing file was already unlinked at creation.
 */
void blkdev__free(struct blkdev *b);

#endif /* HLD_BLKDEV_H */
