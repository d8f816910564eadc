// SPDX-License-Identifier: GPL-2.0
/*
 * kmod-dev.c - user side of /dev/hld: open, probe, activate, deactivate,
 * status and report, for the kernel-module features (harness/kmod-*.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kmod-dev.h"

int kmod__open(void)
{
	int fd = open(HLD_DEVICE, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int kmod__status(int fd, enum diag_feature_id id, struct hld_ioc_status *st)
{
	memset(st, 0, sizeof(*st));
	st->feature = id;
	return ioctl(fd, HLD_IOC_STATUS, st) ? -errno : 0;
}

int kmod__probe(enum diag_feature_id id, char *why, size_t len)
{
	struct hld_ioc_status st;
	int fd, err;

	if (access(HLD_DEVICE, F_OK))
		return diag_backend_kmod.probe(why, len);
	fd = kmod__open();
	if (fd < 0) {
		snprintf(why, len, "cannot open %s: %s", HLD_DEVICE, strerror(-fd));
		return fd;
	}
	err = kmod__status(fd, id, &st);
	close(fd);
	if (err) {
		snprintf(why, len, "%s: status of %s: %s (a module of another version?)",
			 HLD_DEVICE, diag_descs[id].name, strerror(-err));
		return err;
	}
	if (strcmp(st.name, diag_descs[id].name)) {
		snprintf(why, len, "%s numbers feature %d '%.32s', not '%s': rebuild the module "
			 "from this tree", HLD_DEVICE, id, st.name, diag_descs[id].name);
		return -EPROTO;
	}
	if (st.settings_size != diag_descs[id].settings_size &&
	    st.state != HLD_FSTATE_UNIMPLEMENTED) {
		snprintf(why, len, "%s: %s settings are %u bytes in the module, %zu here: "
			 "rebuild the module from this tree", HLD_DEVICE, st.name,
			 st.settings_size, diag_descs[id].settings_size);
		return -EPROTO;
	}
	switch (st.state) {
	case HLD_FSTATE_IDLE:
	case HLD_FSTATE_ACTIVE:
		return 0;
	case HLD_FSTATE_UNIMPLEMENTED:
		snprintf(why, len, "%.*s", HLD_REASON_LEN, st.reason);
		return -ENOTSUP;
	default:
		snprintf(why, len, "%.*s", HLD_REASON_LEN, st.reason);
		return -ENODEV;
	}
}

int kmod__activate(int fd, enum diag_feature_id id, const void *settings, size_t size,
		   bool persist)
{
	struct hld_ioc_activate a = {
		.feature = id,
		.flags = persist ? HLD_ACTIVATE_PERSIST : 0,
		.settings_size = size,
		.settings = (unsigned long)settings,
	};

	return ioctl(fd, HLD_IOC_ACTIVATE, &a) ? -errno : 0;
}

int kmod__deactivate(int fd, enum diag_feature_id id)
{
	struct hld_ioc_feature a = { .feature = id };

	return ioctl(fd, HLD_IOC_DEACTIVATE, &a) ? -errno : 0;
}

int kmod__report(int fd, enum diag_feature_id id, void **buf, size_t *len)
{
	struct hld_ioc_status st;
	struct hld_ioc_report r = { .feature = id };
	int err;

	*buf = NULL;
	*len = 0;
	err = kmod__status(fd, id, &st);
	if (err)
		return err;
	r.len = st.report_max;
	*buf = malloc(r.len ? r.len : 1);
	if (!*buf)
		return -ENOMEM;
	r.buf = (unsigned long)*buf;
	if (ioctl(fd, HLD_IOC_REPORT, &r)) {
		err = -errno;
		free(*buf);
		*buf = NULL;
		return err;
	}
	*len = r.written;
	return 0;
}

int kmod__active_settings(enum diag_feature_id id, void *buf, size_t size)
{
	struct hld_ioc_status st = { .feature = id, .settings_size = size,
				     .settings = (uintptr_t)buf };
	int fd = kmod__open(), err;

	if (fd < 0)
		return fd;
	err = ioctl(fd, HLD_IOC_STATUS, &st) ? -errno : 0;
	close(fd);
	if (!err && (st.state != HLD_FSTATE_ACTIVE || !(st.flags & HLD_ACTIVATE_PERSIST)))
		err = -ENOENT;
	if (!err && st.settings_size != size)
		err = -EPROTO;
	return err;
}

#define KMOD_READ_BUF	(256u << 10)

long kmod__drain(int fd, kmod_record_fn cb, void *ctx)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long handed = 0;
	char *buf;
	int err = 0;

	buf = malloc(KMOD_READ_BUF);
	if (!buf)
		return -ENOMEM;
	while (!err && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN)) {
		ssize_t n = read(fd, buf, KMOD_READ_BUF);
		size_t off = 0;

		if (n < 0 && errno == EAGAIN)
			break;		/* another reader took them (an O_NONBLOCK fd) */
		if (n < 0) {
			err = errno == EINTR ? 0 : -errno;
			continue;
		}
		if (!n)
			break;
		while (!err && off + sizeof(struct hld_record_header) <= (size_t)n) {
			const struct hld_record_header *h = (const void *)(buf + off);

			if (h->len < sizeof(*h) || off + h->len > (size_t)n) {
				err = -EPROTO;
				break;
			}
			err = cb(ctx, h);
			off += h->len;
			handed++;
		}
	}
	free(buf);
	return err ? err : handed;
}
