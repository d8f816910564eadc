// SPDX-License-Identifier: GPL-2.0
/*
 * kmod-dev.c - user side of /dev/hld: open, probe, activate, deactivate,
 * status and report, for the kernel-module features (harness/kmod-*.c), and
 * the one reader of the records of read(), shared by them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

void *kmod__feature(struct diag_feature *f, size_t size)
{
	struct kmod_feature *kf = f->priv;

	if (kf)
		return kf;
	kf = calloc(1, size < sizeof(*kf) ? sizeof(*kf) : size);
	if (!kf)
		return NULL;
	kf->fd = kmod__open();
	if (kf->fd < 0) {
		errno = -kf->fd;
		free(kf);
		return NULL;
	}
	f->priv = kf;
	return kf;
}

int kmod__feature_activate(struct diag_feature *f)
{
	struct kmod_feature *kf = kmod__feature(f, sizeof(*kf));
	enum diag_feature_id id = f->ops->id;

	if (!kf)
		return -errno;
	return kmod__activate(kf->fd, id, f->settings, diag_descs[id].settings_size, f->pin_dir);
}

int kmod__feature_reopen(struct diag_feature *f)
{
	struct kmod_feature *kf = kmod__feature(f, sizeof(*kf));
	struct hld_ioc_status st;
	int err;

	if (!kf)
		return -errno;
	kf->reopened = true;
	err = kmod__status(kf->fd, f->ops->id, &st);
	if (!err && st.state != HLD_FSTATE_ACTIVE)
		err = -ENOENT;
	return err;
}

int kmod__feature_deactivate(struct diag_feature *f)
{
	struct kmod_feature *kf = f->priv;
	struct hld_ioc_status st;
	int err;

	if (!kf)
		return 0;
	if (!kmod__status(kf->fd, f->ops->id, &st))
		f->drops = st.drops;
	err = kmod__deactivate(kf->fd, f->ops->id);
	return err == -ENOENT ? 0 : err;
}

void kmod__feature_free(struct diag_feature *f)
{
	struct kmod_feature *kf = f->priv;

	if (!kf)
		return;
	close(kf->fd);
	free(kf);
	f->priv = NULL;
}

#define KMOD_READ_BUF	(64u << 10)	/* bytes per read(): whole records, at most 4 KiB each */
#define KMOD_READS_MAX	256		/* reads per drain, so that a flood cannot pin the reader */

/* The process's reader of /dev/hld's records. */
static struct {
	pthread_mutex_t lock;
	int fd;				/* O_NONBLOCK, -1 while nobody consumes */
	char *buf;
	struct {
		kmod_record_fn fn;
		void *ctx;
		enum diag_feature_id stream;	/* the feature emitting it */
	} to[HLD_REC__MAX];
	int nr_consumers;
	uint64_t streams;		/* those the fd reads (0: all, as opened) */
	uint64_t foreign;
} kmod_reader = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

/* Read only the streams of the features consumed here. Lock held. 0 or -errno. */
static int kmod__records_streams(void)
{
	struct hld_ioc_subscribe a = { 0 };

	for (int t = 0; t < HLD_REC__MAX; t++)
		if (kmod_reader.to[t].fn)
			a.streams |= HLD_STREAM_BIT(kmod_reader.to[t].stream);
	if (!a.streams || a.streams == kmod_reader.streams)
		return 0;
	if (ioctl(kmod_reader.fd, HLD_IOC_SUBSCRIBE, &a))
		return -errno;
	kmod_reader.streams = a.streams;
	return 0;
}

int kmod__records_subscribe(enum diag_feature_id id, uint16_t type, kmod_record_fn fn,
			    void *ctx)
{
	int err = 0;

	if (type >= HLD_REC__MAX || !fn || (unsigned int)id >= DIAG_FEATURE__MAX)
		return -EINVAL;
	pthread_mutex_lock(&kmod_reader.lock);
	if (kmod_reader.to[type].fn) {
		err = kmod_reader.to[type].fn == fn && kmod_reader.to[type].ctx == ctx ? 0 : -EBUSY;
		goto out_unlock;
	}
	if (kmod_reader.fd < 0) {
		kmod_reader.buf = malloc(KMOD_READ_BUF);
		kmod_reader.fd = open(HLD_DEVICE, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (kmod_reader.fd < 0 || !kmod_reader.buf) {
			err = kmod_reader.fd < 0 ? -errno : -ENOMEM;
			if (kmod_reader.fd >= 0)
				close(kmod_reader.fd);
			kmod_reader.fd = -1;
			free(kmod_reader.buf);
			kmod_reader.buf = NULL;
			goto out_unlock;
		}
		kmod_reader.foreign = 0;
		kmod_reader.streams = 0;
	}
	kmod_reader.to[type].fn = fn;
	kmod_reader.to[type].ctx = ctx;
	kmod_reader.to[type].stream = id;
	kmod_reader.nr_consumers++;
	err = kmod__records_streams();
	if (err) {
		pthread_mutex_unlock(&kmod_reader.lock);
		kmod__records_unsubscribe(type);
		return err;
	}
out_unlock:
	pthread_mutex_unlock(&kmod_reader.lock);
	return err;
}

void kmod__records_unsubscribe(uint16_t type)
{
	if (type >= HLD_REC__MAX)
		return;
	pthread_mutex_lock(&kmod_reader.lock);
	if (kmod_reader.to[type].fn) {
		kmod_reader.to[type].fn = NULL;
		kmod_reader.to[type].ctx = NULL;
		/*
		 * The reader stays open without consumers (it reads nothing
		 * then): kmod__drain() consumes for one drain, and reopening
		 * the device at each of 100 drains a second cost 1.4% of a CPU
		 * in the TCG guest (bench load-monitor --backend=kmod).
		 */
		if (--kmod_reader.nr_consumers)
			kmod__records_streams();	/* narrowing cannot fail */
	}
	pthread_mutex_unlock(&kmod_reader.lock);
}

/* Hand the @len bytes of whole records in the buffer out. Records, or -EPROTO. */
static int kmod__records_dispatch(size_t len)
{
	size_t off = 0;
	int n = 0;

	while (off < len) {
		const struct hld_record_header *h = (const void *)(kmod_reader.buf + off);

		if (len - off < sizeof(*h) || h->len < sizeof(*h) || h->len > len - off)
			return -EPROTO;
		if (h->type < HLD_REC__MAX && kmod_reader.to[h->type].fn)
			kmod_reader.to[h->type].fn(kmod_reader.to[h->type].ctx, h, h->len);
		else
			kmod_reader.foreign++;
		off += h->len;
		n++;
	}
	return n;
}

int kmod__records_drain(void)
{
	int total = 0, err = 0;

	pthread_mutex_lock(&kmod_reader.lock);
	for (int i = 0; kmod_reader.nr_consumers && i < KMOD_READS_MAX; i++) {
		ssize_t got = read(kmod_reader.fd, kmod_reader.buf, KMOD_READ_BUF);

		if (got < 0) {
			if (errno != EAGAIN && errno != EINTR)
				err = -errno;
			break;
		}
		err = kmod__records_dispatch(got);
		if (err < 0)
			break;
		total += err;
		err = 0;
		if (!got)
			break;
	}
	pthread_mutex_unlock(&kmod_reader.lock);
	return err ? err : total;
}

uint64_t kmod__records_foreign(void)
{
	uint64_t n;

	pthread_mutex_lock(&kmod_reader.lock);
	n = kmod_reader.foreign;
	pthread_mutex_unlock(&kmod_reader.lock);
	return n;
}

/* A streaming feature's state (f->priv). */
struct kmod_stream {
	int fd;				/* /dev/hld control fd */
	bool subscribed;
	void *recs;			/* the feature's record store */
};

/* @f's stream, its device open and its records subscribed to. NULL and *@err on failure. */
static struct kmod_stream *kmod_stream__get(struct diag_feature *f,
					    const struct kmod_stream_desc *d, int *err)
{
	struct kmod_stream *s = f->priv;

	if (!s) {
		s = calloc(1, sizeof(*s));
		if (s)
			s->recs = calloc(1, d->recs_size);
		if (!s || !s->recs) {
			free(s);
			*err = -ENOMEM;
			return NULL;
		}
		s->fd = -1;
		f->priv = s;
	}
	if (s->fd < 0) {
		s->fd = kmod__open();
		if (s->fd < 0) {
			*err = s->fd;
			s->fd = -1;
			return NULL;
		}
	}
	*err = 0;
	if (!s->subscribed) {
		*err = kmod__records_subscribe(d->id, d->type, d->keep, s->recs);
		s->subscribed = !*err;
	}
	return *err ? NULL : s;
}

/* Room for what the module's per-CPU rings (256 KiB each) hold, then activate. */
int kmod_stream__activate(struct diag_feature *f, const struct kmod_stream_desc *d)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	size_t want = (size_t)(cpus > 0 ? cpus : 1) * (256u << 10) / d->rec_size;
	struct kmod_stream *s;
	int err;

	s = kmod_stream__get(f, d, &err);
	if (!s)
		return err;
	f->kernel_cost_in_thread = false;
	err = d->prealloc(s->recs, want > d->prealloc_max ? d->prealloc_max : want);
	if (err)
		return err;
	return kmod__activate(s->fd, d->id, f->settings, diag_descs[d->id].settings_size,
			      f->pin_dir);
}

int kmod_stream__reopen(struct diag_feature *f, const struct kmod_stream_desc *d)
{
	struct hld_ioc_status st;
	struct kmod_stream *s;
	int err;

	s = kmod_stream__get(f, d, &err);
	if (!s)
		return err;
	err = kmod__status(s->fd, d->id, &st);
	if (!err && st.state != HLD_FSTATE_ACTIVE)
		err = -ENOENT;
	return err;
}

/* Take the records ready; f->drops from the module's status. */
int kmod_stream__poll(struct diag_feature *f, const struct kmod_stream_desc *d)
{
	struct kmod_stream *s = f->priv;
	struct hld_ioc_status st;
	int err;

	if (!s || !s->subscribed)
		return 0;
	err = kmod__records_drain();
	if (err < 0)
		return err;
	f->events = d->nr_recs(s->recs);
	if (!kmod__status(s->fd, d->id, &st))
		f->drops = st.drops;
	return d->recs_err(s->recs);
}

/* Stop; the records emitted until then are taken, and stay for report(). */
int kmod_stream__deactivate(struct diag_feature *f, const struct kmod_stream_desc *d)
{
	struct kmod_stream *s = f->priv;
	int err, err2;

	if (!s || s->fd < 0)
		return 0;
	err = kmod__deactivate(s->fd, d->id);
	if (err == -ENOENT)
		err = 0;
	err2 = kmod_stream__poll(f, d);
	return err ? err : err2;
}

/* Take what is left, and hand the records since the last report to the feature's report. */
int kmod_stream__report(struct diag_feature *f, const struct kmod_stream_desc *d,
			const struct diag_outputs *out)
{
	struct hld_ioc_status st;
	struct kmod_stream *s;
	void *none = NULL;
	int err, err2;

	s = kmod_stream__get(f, d, &err);
	if (s) {
		err = kmod__records_drain();
		if (err >= 0)
			err = d->recs_err(s->recs);
		if (!err)
			err = kmod__status(s->fd, d->id, &st);
	} else {
		none = calloc(1, d->recs_size);
		if (!none)
			return -ENOMEM;
	}
	err2 = d->report(f, s ? s->recs : none, err ? NULL : &st, out, !err);
	free(none);
	return err ? err : err2;
}

/* Close the device: a private activation ends with it, a persistent one stays. */
void kmod_stream__free(struct diag_feature *f, const struct kmod_stream_desc *d)
{
	struct kmod_stream *s = f->priv;

	if (!s)
		return;
	if (s->subscribed)
		kmod__records_unsubscribe(d->type);
	if (s->fd >= 0)
		close(s->fd);
	d->free_recs(s->recs);
	free(s->recs);
	free(s);
	f->priv = NULL;
}

/* One kmod__drain(): its callback, and the first error it returned. */
struct kmod_drain {
	kmod_drain_fn fn;
	void *ctx;
	int err;
};

static void kmod__drain_one(void *ctx, const void *rec, size_t len)
{
	struct kmod_drain *d = ctx;

	if (!d->err)
		d->err = d->fn(d->ctx, rec, len);
}

int kmod__drain(enum diag_feature_id id, uint64_t types, kmod_drain_fn fn, void *ctx)
{
	struct kmod_drain d = { .fn = fn, .ctx = ctx };
	uint64_t subscribed = 0;
	int err = 0;

	for (unsigned int t = 0; t < HLD_REC__MAX && t < 64 && !err; t++) {
		if (!(types & KMOD_REC(t)))
			continue;
		err = kmod__records_subscribe(id, t, kmod__drain_one, &d);
		if (!err)
			subscribed |= KMOD_REC(t);
	}
	if (!err) {
		err = kmod__records_drain();
		err = err < 0 ? err : 0;
	}
	for (unsigned int t = 0; t < 64; t++)
		if (subscribed & KMOD_REC(t))
			kmod__records_unsubscribe(t);
	return err ? err : d.err;
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
