// SPDX-License-Identifier: GPL-2.0
/*
 * hld_main.c - hld.ko's core: the /dev/hld misc device (mode 0600,
 * CAP_SYS_ADMIN at open), its ioctls (include/hld_ioctl.h), read() and
 * poll() of records, and the feature table, generated from HLD_FEATURES
 * (include/hld_features.h), the list user space uses too.
 *
 * A feature without ops in the table is listed, and says through the
 * status ioctl that it is not implemented in the module yet; activating it
 * gets -EOPNOTSUPP. All control goes through hld_lock: one ioctl at a time.
 *
 * An activation belongs to the file that made it, and ends when that file
 * is released, unless it was made with HLD_ACTIVATE_PERSIST; rmmod ends
 * them all (rmmod cannot happen while /dev/hld is open). Each file reads
 * the record streams it subscribed to (all until it does).
 */
#define pr_fmt(fmt) "hld: " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "hld.h"

struct hld_feat {
	const char *name;
	const struct hld_feature_ops *ops;	/* NULL: not implemented yet */
	int state;				/* enum hld_feature_state */
	char reason[HLD_REASON_LEN];
	struct file *owner;			/* activating file, NULL if persistent */
	u32 flags;				/* HLD_ACTIVATE_* */
	u8 settings[HLD_SETTINGS_MAX];		/* active (or last) settings */
};

/* The features implemented so far; the others stay NULL. */
static const struct hld_feature_ops *const hld_impl[HLD_FEAT__MAX] = {
	[HLD_FEAT_load_monitor] = &hld_loadmon_ops,
	[HLD_FEAT_sys_cost] = &hld_syscost_ops,
	[HLD_FEAT_alloc_top] = &hld_alloctop_ops,
	[HLD_FEAT_high_order] = &hld_highorder_ops,
	[HLD_FEAT_kprobe] = &hld_kprobe_ops,
	[HLD_FEAT_tracepoint] = &hld_tracepoint_ops,
	[HLD_FEAT_perf] = &hld_perf_ops,
	[HLD_FEAT_exec_monitor] = &hld_execmon_ops,
	[HLD_FEAT_exit_monitor] = &hld_exitmon_ops,
	[HLD_FEAT_run_trace] = &hld_runtrace_ops,
	[HLD_FEAT_irq_stats] = &hld_irqstats_ops,
	[HLD_FEAT_irq_delay] = &hld_irqdelay_ops,
	[HLD_FEAT_mutex_monitor] = &hld_mutexmon_ops,
	[HLD_FEAT_reboot] = &hld_reboot_ops,
};

static struct hld_feat hld_feats[HLD_FEAT__MAX] = {
#define HLD_FEAT_ENTRY(id, cli, summary) [HLD_FEAT_##id] = { .name = cli },
	HLD_FEATURES(HLD_FEAT_ENTRY)
#undef HLD_FEAT_ENTRY
};

static DEFINE_MUTEX(hld_lock);

struct hld_tp_lookup {
	const char *name;
	struct tracepoint *tp;
};

static void hld_tp_match(struct tracepoint *tp, void *priv)
{
	struct hld_tp_lookup *l = priv;

	if (!l->tp && !strcmp(tp->name, l->name))
		l->tp = tp;
}

struct tracepoint *hld_tracepoint(const char *name)
{
	struct hld_tp_lookup l = { .name = name };

	for_each_kernel_tracepoint(hld_tp_match, &l);
	return l.tp;
}

void hld_cpu_tables_free(void **tables)
{
	int cpu;

	if (!tables)
		return;
	for_each_possible_cpu(cpu)
		vfree(tables[cpu]);
	kfree(tables);
}

void **hld_cpu_tables_alloc(size_t size)
{
	void **tables = kcalloc(nr_cpu_ids, sizeof(*tables), GFP_KERNEL);
	int cpu;

	if (!tables)
		return NULL;
	for_each_possible_cpu(cpu) {
		tables[cpu] = vzalloc_node(size, cpu_to_node(cpu));
		if (!tables[cpu]) {
			hld_cpu_tables_free(tables);
			return NULL;
		}
	}
	return tables;
}

/* End @f's activation. hld_lock held. */
static void hld_feat_deactivate(struct hld_feat *f)
{
	if (f->state != HLD_FSTATE_ACTIVE)
		return;
	f->ops->deactivate();
	f->state = HLD_FSTATE_IDLE;
	f->owner = NULL;
}

/* The feature numbered @nr, or NULL. */
static struct hld_feat *hld_feat_get(u32 nr)
{
	return nr < HLD_FEAT__MAX ? &hld_feats[nr] : NULL;
}

static long hld_ioc_activate(struct file *file, void __user *arg)
{
	struct hld_ioc_activate a;
	struct hld_feat *f;
	u8 *settings;
	int err;

	if (copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	f = hld_feat_get(a.feature);
	if (!f || a.reserved || (a.flags & ~HLD_ACTIVATE__ALL))
		return -EINVAL;
	if (!f->ops)
		return -EOPNOTSUPP;
	if (f->state == HLD_FSTATE_UNAVAILABLE)
		return -ENODEV;
	if (a.settings_size != f->ops->settings_size)
		return -EINVAL;
	if (f->state == HLD_FSTATE_ACTIVE)
		return -EBUSY;
	settings = memdup_user(u64_to_user_ptr(a.settings), a.settings_size);
	if (IS_ERR(settings))
		return PTR_ERR(settings);
	err = f->ops->check ? f->ops->check(settings) : 0;
	if (!err && f->ops->streams)
		err = hld_ring_prepare(a.feature);
	if (!err)
		err = f->ops->activate(settings);
	if (!err) {
		memcpy(f->settings, settings, a.settings_size);
		f->state = HLD_FSTATE_ACTIVE;
		f->flags = a.flags;
		f->owner = a.flags & HLD_ACTIVATE_PERSIST ? NULL : file;
	}
	kfree(settings);
	return err;
}

static long hld_ioc_deactivate(void __user *arg)
{
	struct hld_ioc_feature a;
	struct hld_feat *f;

	if (copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	f = hld_feat_get(a.feature);
	if (!f || a.reserved)
		return -EINVAL;
	if (!f->ops)
		return -EOPNOTSUPP;
	if (f->state != HLD_FSTATE_ACTIVE)
		return -ENOENT;
	hld_feat_deactivate(f);
	return 0;
}

static long hld_ioc_status(void __user *arg)
{
	struct hld_ioc_status *st;
	struct hld_feat *f;
	u64 uptr;
	u32 want;
	long err = 0;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	if (copy_from_user(st, arg, sizeof(*st))) {
		err = -EFAULT;
		goto out_free;
	}
	f = hld_feat_get(st->feature);
	want = st->settings_size;
	uptr = st->settings;
	if (!f || want > HLD_SETTINGS_MAX || (want && !st->settings)) {
		err = -EINVAL;
		goto out_free;
	}
	/* Only the feature number and the settings buffer are inputs. */
	memset(st, 0, sizeof(*st));
	st->feature = f - hld_feats;
	st->settings = uptr;
	strscpy(st->name, f->name, sizeof(st->name));
	st->state = f->state;
	strscpy(st->reason, f->reason, sizeof(st->reason));
	if (f->ops) {
		st->settings_size = f->ops->settings_size;
		st->flags = f->flags;
		st->report_max = f->ops->report_max();
		if (f->state >= HLD_FSTATE_IDLE)
			f->ops->stats(st);
		if (want && copy_to_user(u64_to_user_ptr(uptr), f->settings,
					 min(want, f->ops->settings_size)))
			err = -EFAULT;
	}
	if (!err && copy_to_user(arg, st, sizeof(*st)))
		err = -EFAULT;
out_free:
	kfree(st);
	return err;
}

static long hld_ioc_report(void __user *arg)
{
	struct hld_ioc_report a;
	struct hld_feat *f;
	int err;

	if (copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	f = hld_feat_get(a.feature);
	if (!f || a.reserved)
		return -EINVAL;
	if (!f->ops)
		return -EOPNOTSUPP;
	if (f->state == HLD_FSTATE_UNAVAILABLE)
		return -ENODEV;
	if (a.len < f->ops->report_max())
		return -ENOSPC;
	a.written = 0;
	a.records = 0;
	err = f->ops->report(u64_to_user_ptr(a.buf), a.len, &a.written, &a.records);
	if (!err && copy_to_user(arg, &a, sizeof(a)))
		err = -EFAULT;
	return err;
}

static long hld_ioc_test(void __user *arg)
{
	struct hld_test_record rec = {
		.hdr.type = HLD_REC_TEST,
		.hdr.version = HLD_RECORD_VERSION,
		.hdr.len = sizeof(rec),
	};
	struct hld_ioc_test a;

	if (copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	if (a.nr_records > HLD_TEST_MAX_RECORDS)
		return -EINVAL;
	if (a.nr_records && hld_ring_prepare(HLD_STREAM_TEST))
		return -ENOMEM;
	a.version = HLD_IOCTL_VERSION;
	a.emitted = 0;
	a.dropped = 0;
	for (rec.seq = 0; rec.seq < a.nr_records; rec.seq++) {
		rec.hdr.ts = ktime_get_ns();
		rec.cpu = raw_smp_processor_id();
		if (hld_emit(HLD_STREAM_TEST, &rec, sizeof(rec)))
			a.emitted++;
		else
			a.dropped++;
		if (!(rec.seq & 1023))
			cond_resched();
	}
	return copy_to_user(arg, &a, sizeof(a)) ? -EFAULT : 0;
}

/* The streams @file reads. */
static u64 *hld_file_streams(struct file *file)
{
	return file->private_data;
}

static long hld_ioc_subscribe(struct file *file, void __user *arg)
{
	struct hld_ioc_subscribe a;

	if (copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	if (a.reserved || !a.streams || (a.streams & ~HLD_STREAMS_ALL))
		return -EINVAL;
	WRITE_ONCE(*hld_file_streams(file), a.streams);
	return 0;
}

static long hld_ioctl(struct file *file, unsigned int cmd, unsigned long uarg)
{
	void __user *arg = (void __user *)uarg;
	long err;

	mutex_lock(&hld_lock);
	switch (cmd) {
	case HLD_IOC_ACTIVATE:
		err = hld_ioc_activate(file, arg);
		break;
	case HLD_IOC_DEACTIVATE:
		err = hld_ioc_deactivate(arg);
		break;
	case HLD_IOC_STATUS:
		err = hld_ioc_status(arg);
		break;
	case HLD_IOC_REPORT:
		err = hld_ioc_report(arg);
		break;
	case HLD_IOC_TEST:
		err = hld_ioc_test(arg);
		break;
	case HLD_IOC_SUBSCRIBE:
		err = hld_ioc_subscribe(file, arg);
		break;
	default:
		err = -ENOTTY;
	}
	mutex_unlock(&hld_lock);
	return err;
}

static int hld_open(struct inode *inode, struct file *file)
{
	u64 *streams;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	streams = kmalloc(sizeof(*streams), GFP_KERNEL);
	if (!streams)
		return -ENOMEM;
	*streams = HLD_STREAMS_ALL;
	file->private_data = streams;
	return nonseekable_open(inode, file);
}

/* End the activations this file made without HLD_ACTIVATE_PERSIST. */
static int hld_release(struct inode *inode, struct file *file)
{
	int i;

	mutex_lock(&hld_lock);
	for (i = 0; i < HLD_FEAT__MAX; i++)
		if (hld_feats[i].state == HLD_FSTATE_ACTIVE && hld_feats[i].owner == file)
			hld_feat_deactivate(&hld_feats[i]);
	mutex_unlock(&hld_lock);
	kfree(file->private_data);
	return 0;
}

static ssize_t hld_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	ssize_t n;

	if (len < sizeof(struct hld_record_header))
		return -EINVAL;
	for (;;) {
		u64 streams = READ_ONCE(*hld_file_streams(file));

		n = hld_ring_read(streams, buf, len);
		if (n)
			return n;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(hld_wait, !hld_ring_empty(streams)))
			return -ERESTARTSYS;
	}
}

static __poll_t hld_poll(struct file *file, struct poll_table_struct *pt)
{
	poll_wait(file, &hld_wait, pt);
	return hld_ring_empty(READ_ONCE(*hld_file_streams(file))) ? 0 : EPOLLIN | EPOLLRDNORM;
}

static const struct file_operations hld_fops = {
	.owner = THIS_MODULE,
	.open = hld_open,
	.release = hld_release,
	.read = hld_read,
	.poll = hld_poll,
	.unlocked_ioctl = hld_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice hld_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "hld",
	.fops = &hld_fops,
	.mode = 0600,
};

/* Deactivate and release every implemented feature from the last one down to @n. */
static void hld_feats_exit(int n)
{
	while (n-- > 0) {
		struct hld_feat *f = &hld_feats[n];

		if (!f->ops)
			continue;
		hld_feat_deactivate(f);
		if (f->state != HLD_FSTATE_UNAVAILABLE && f->ops->exit)
			f->ops->exit();
	}
}

/* Probe each feature: available, unavailable (with its reason), or not implemented. */
static void hld_feats_init(void)
{
	int i, err;

	for (i = 0; i < HLD_FEAT__MAX; i++) {
		struct hld_feat *f = &hld_feats[i];

		f->ops = hld_impl[i];
		if (!f->ops) {
			f->state = HLD_FSTATE_UNIMPLEMENTED;
			strscpy(f->reason, "not implemented in the kernel module yet",
				sizeof(f->reason));
			continue;
		}
		if (WARN_ON_ONCE(f->ops->settings_size > HLD_SETTINGS_MAX)) {
			f->state = HLD_FSTATE_UNAVAILABLE;
			strscpy(f->reason, "settings too large", sizeof(f->reason));
			continue;
		}
		err = f->ops->init ? f->ops->init(f->reason, sizeof(f->reason)) : 0;
		f->state = err ? HLD_FSTATE_UNAVAILABLE : HLD_FSTATE_IDLE;
		if (err)
			pr_info("%s unavailable: %s\n", f->name, f->reason);
	}
}

static int __init hld_init(void)
{
	int err;

	hld_feats_init();
	err = misc_register(&hld_misc);
	if (err)
		hld_feats_exit(HLD_FEAT__MAX);
	return err;
}

static void __exit hld_exit(void)
{
	misc_deregister(&hld_misc);
	mutex_lock(&hld_lock);
	hld_feats_exit(HLD_FEAT__MAX);
	mutex_unlock(&hld_lock);
	hld_ring_exit();
}

module_init(hld_init);
module_exit(hld_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hld: diagnosis module of the high-load benchmark");
