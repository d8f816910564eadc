// SPDX-License-Identifier: GPL-2.0
/*
 * blkdev.c - a throttled loop device (see blkdev.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "blkdev.h"
#include "cgroup.h"

enum throttle_kind {
	THROTTLE_NONE,
	THROTTLE_V1,
	THROTTLE_V2,
};

struct blkdev {
	int loop_fd;
	char path[32];
	dev_t rdev;
	enum throttle_kind kind;
	char cgroup[256];	/* directory we created; "" if none */
	char procs[300];
};

/* Make the cgroup directory @b->cgroup under @root and set @b->procs. */
static int blkdev__mkcgroup(struct blkdev *b, const char *root, const char *name)
{
	int err = cgroup__create(root, name, b->cgroup, sizeof(b->cgroup));

	if (err)
		return err;
	snprintf(b->procs, sizeof(b->procs), "%s/cgroup.procs", b->cgroup);
	return 0;
}

/*
 * Throttle @b to the given IOPS: cgroup v1 blkio if mounted, else v2
 * io.max. -ENOTSUP with a reason when neither is there.
 */
static int blkdev__throttle(struct blkdev *b, const struct blkdev_spec *spec,
			    char *errbuf, size_t errlen)
{
	unsigned int maj = major(b->rdev), min = minor(b->rdev);
	char root[256], val[128];
	int err;

	if (!spec->read_iops && !spec->write_iops)
		return 0;

	if (!cgroup__find_mount("blkio", false, root, sizeof(root))) {
		err = blkdev__mkcgroup(b, root, spec->name);
		if (err) {
			snprintf(errbuf, errlen, "cannot create a cgroup under %s: %s", root,
				 strerror(-err));
			return err;
		}
		b->kind = THROTTLE_V1;
		if (spec->read_iops) {
			snprintf(val, sizeof(val), "%u:%u %llu", maj, min,
				 (unsigned long long)spec->read_iops);
			err = cgroup__write(b->cgroup, "blkio.throttle.read_iops_device", val);
		}
		if (!err && spec->write_iops) {
			snprintf(val, sizeof(val), "%u:%u %llu", maj, min,
				 (unsigned long long)spec->write_iops);
			err = cgroup__write(b->cgroup, "blkio.throttle.write_iops_device", val);
		}
		if (err) {
			snprintf(errbuf, errlen, "cannot set blkio.throttle.*_iops_device in %s: %s "
				 "(kernel without CONFIG_BLK_DEV_THROTTLING?)", b->cgroup,
				 strerror(-err));
			return err == -ENOENT ? -ENOTSUP : err;
		}
		return 0;
	}

	if (!cgroup__find_mount(NULL, true, root, sizeof(root)) &&
	    cgroup2__has_controller(root, "io")) {
		err = cgroup__write(root, "cgroup.subtree_control", "+io");
		if (!err)
			err = blkdev__mkcgroup(b, root, spec->name);
		if (err) {
			snprintf(errbuf, errlen, "cannot enable the io controller under %s: %s",
				 root, strerror(-err));
			return err;
		}
		b->kind = THROTTLE_V2;
		if (spec->read_iops && spec->write_iops)
			snprintf(val, sizeof(val), "%u:%u riops=%llu wiops=%llu", maj, min,
				 (unsigned long long)spec->read_iops,
				 (unsigned long long)spec->write_iops);
		else if (spec->read_iops)
			snprintf(val, sizeof(val), "%u:%u riops=%llu", maj, min,
				 (unsigned long long)spec->read_iops);
		else
			snprintf(val, sizeof(val), "%u:%u wiops=%llu", maj, min,
				 (unsigned long long)spec->write_iops);
		err = cgroup__write(b->cgroup, "io.max", val);
		if (err) {
			snprintf(errbuf, errlen, "cannot write io.max in %s: %s", b->cgroup,
				 strerror(-err));
			return err == -ENOENT ? -ENOTSUP : err;
		}
		return 0;
	}

	snprintf(errbuf, errlen, "no I/O throttling: cgroup v1 blkio is not mounted and "
		 "cgroup v2 has no io controller (mount -t cgroup -o blkio none /sys/fs/cgroup/blkio)");
	return -ENOTSUP;
}

/*
 * Attach @file_fd to a free loop device, with direct I/O on the backing
 * file if its file system allows, detached automatically on last close.
 * LOOP_CONFIGURE (5.8+) does it in one step; older kernels get
 * LOOP_SET_FD + LOOP_SET_STATUS64.
 */
static int blkdev__attach(struct blkdev *b, int file_fd, char *errbuf, size_t errlen)
{
	int ctl, err = 0;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		err = -errno;
		snprintf(errbuf, errlen, "cannot open /dev/loop-control: %s%s", strerror(-err),
			 err == -ENOENT ? " (no loop device support: modprobe loop)" : "");
		return err == -ENOENT ? -ENOTSUP : err;
	}

	/* Another process may take the free device between GET_FREE and attach. */
	for (int tries = 0; tries < 8; tries++) {
		struct loop_config cfg;
		int nr = ioctl(ctl, LOOP_CTL_GET_FREE);

		if (nr < 0) {
			err = -errno;
			snprintf(errbuf, errlen, "no free loop device: %s", strerror(-err));
			break;
		}
		snprintf(b->path, sizeof(b->path), "/dev/loop%d", nr);
		b->loop_fd = open(b->path, O_RDWR | O_CLOEXEC);
		if (b->loop_fd < 0) {
			err = -errno;
			snprintf(errbuf, errlen, "cannot open %s: %s", b->path, strerror(-err));
			break;
		}

		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = file_fd;
		cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO;
		err = ioctl(b->loop_fd, LOOP_CONFIGURE, &cfg) ? -errno : 0;
		if (err == -EINVAL) {
			cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
			err = ioctl(b->loop_fd, LOOP_CONFIGURE, &cfg) ? -errno : 0;
		}
		if (err == -ENOTTY || err == -EINVAL) {
			struct loop_info64 info = { .lo_flags = LO_FLAGS_AUTOCLEAR };

			err = ioctl(b->loop_fd, LOOP_SET_FD, file_fd) ? -errno : 0;
			if (!err && ioctl(b->loop_fd, LOOP_SET_STATUS64, &info))
				err = -errno;
		}
		if (!err) {
			struct stat st;

			if (fstat(b->loop_fd, &st)) {
				err = -errno;
				break;
			}
			b->rdev = st.st_rdev;
			break;
		}
		close(b->loop_fd);
		b->loop_fd = -1;
		if (err != -EBUSY) {
			snprintf(errbuf, errlen, "cannot attach %s: %s", b->path, strerror(-err));
			break;
		}
	}
	if (err == -EBUSY)
		snprintf(errbuf, errlen, "cannot attach a loop device: all busy");
	close(ctl);
	return err;
}

/*
 * Create the sparse backing file, attach it and throttle the device. The
 * file is unlinked as soon as the loop device holds it, so nothing is left
 * behind even if hldbench is killed.
 */
int blkdev__new(const struct blkdev_spec *spec, struct blkdev **out, char *errbuf, size_t errlen)
{
	const char *dir = spec->dir ? spec->dir : "/var/tmp";
	char file[512];
	struct blkdev *b;
	int fd, err;

	*out = NULL;
	if (!spec->size || !spec->name)
		return -EINVAL;
	if (geteuid() != 0) {
		snprintf(errbuf, errlen, "a throttled loop device needs root");
		return -EPERM;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->loop_fd = -1;

	snprintf(file, sizeof(file), "%s/hldbench-%d-%s.XXXXXX", dir, getpid(), spec->name);
	fd = mkostemp(file, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(errbuf, errlen, "cannot create %s: %s", file, strerror(-err));
		free(b);
		return err;
	}
	if (ftruncate(fd, (off_t)spec->size)) {
		err = -errno;
		snprintf(errbuf, errlen, "cannot size %s: %s", file, strerror(-err));
		goto out_unlink;
	}
	err = blkdev__attach(b, fd, errbuf, errlen);
	if (err)
		goto out_unlink;
	unlink(file);
	close(fd);

	err = blkdev__throttle(b, spec, errbuf, errlen);
	if (err) {
		blkdev__free(b);
		return err;
	}
	*out = b;
	return 0;

out_unlink:
	unlink(file);
	close(fd);
	free(b);
	return err;
}

const char *blkdev__path(const struct blkdev *b)
{
	return b->path;
}

const char *blkdev__cgroup_procs(const struct blkdev *b)
{
	return b->kind == THROTTLE_NONE ? NULL : b->procs;
}

/* The v2 cgroup a memory limit shares (a process has one cgroup in v2). */
const char *blkdev__cgroup_v2_dir(const struct blkdev *b)
{
	return b->kind == THROTTLE_V2 ? b->cgroup : NULL;
}

const char *blkdev__throttle_kind(const struct blkdev *b)
{
	switch (b->kind) {
	case THROTTLE_V1:
		return "v1 blkio";
	case THROTTLE_V2:
		return "v2 io.max";
	default:
		return "none";
	}
}

/* fio's jobs setsid() away from the process group: the cgroup still holds them. */
int blkdev__kill_tasks(struct blkdev *b)
{
	if (b->kind == THROTTLE_NONE)
		return 0;
	return cgroup__kill_tasks(b->cgroup);
}

/*
 * Remove the cgroup, retrying briefly: tasks that were just killed leave
 * it a moment after their parent reaped them. Then detach the device.
 */
void blkdev__free(struct blkdev *b)
{
	if (!b)
		return;
	if (b->cgroup[0])
		cgroup__remove(b->cgroup);
	if (b->loop_fd >= 0) {
		ioctl(b->loop_fd, LOOP_CLR_FD);
		close(b->loop_fd);
	}
	free(b);
}
