// SPDX-License-Identifier: GPL-2.0
/*
 * kmod-dev.c - user side of /dev/hld: open, probe, activate, deactivate,
 * status and report, for the kernel-module features (harness/kmod-*.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hld_record.h"
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

void *kmod__priv(struct diag_feature *f, size_t size)
{
	struct kmod_feat *k = f->priv;

	if (k)
		return k;
	k = calloc(1, size);
	if (!k)
		return NULL;
	k->fd = kmod__open();
	if (k->fd < 0) {
		errno = -k->fd;
		free(k);
		return NULL;
	}
	f->priv = k;
	return k;
}

int kmod__feat_activate(struct diag_feature *f, size_t size)
{
	struct kmod_feat *k = kmod__priv(f, size);

	if (!k)
		return -errno;
	return kmod__activate(k->fd, f->ops->id, f->settings, diag_descs[f->ops->id].settings_size,
			      f->pin_dir);
}

int kmod__feat_reopen(struct diag_feature *f, size_t size)
{
	struct kmod_feat *k = kmod__priv(f, size);
	struct hld_ioc_status st;
	int err;

	if (!k)
		return -errno;
	err = kmod__status(k->fd, f->ops->id, &st);
	if (!err && st.state != HLD_FSTATE_ACTIVE)
		err = -ENOENT;
	return err;
}

int kmod__feat_deactivate(struct diag_feature *f)
{
	struct kmod_feat *k = f->priv;
	struct hld_ioc_status st;
	int err;

	if (!k)
		return 0;
	if (!kmod__status(k->fd, f->ops->id, &st))
		f->drops = st.drops;
	err = kmod__deactivate(k->fd, f->ops->id);
	return err == -ENOENT ? 0 : err;
}

void kmod__feat_free(struct diag_feature *f)
{
	struct kmod_feat *k = f->priv;

	if (!k)
		return;
	close(k->fd);
	free(k);
	f->priv = NULL;
}

const void *kmod__record(const void *buf, size_t len, size_t *off, unsigned int type,
			 size_t size, int *err)
{
	const struct hld_record_header *h = (const void *)((const char *)buf + *off);

	*err = 0;
	if (*off + sizeof(*h) > len)
		return NULL;
	if (h->len < sizeof(*h) || h->len < size || *off + h->len > len ||
	    (type != HLD_REC_NONE && h->type != type)) {
		*err = -EPROTO;
		return NULL;
	}
	*off += h->len;
	return h;
}
