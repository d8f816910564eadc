// SPDX-License-Identifier: GPL-2.0
/*
 * check_kmod.c - the kernel module (kmod/, /dev/hld) through its ABI
 * (include/hld_ioctl.h): every feature listed with its state; a table of
 * bad ioctl payloads, each refused with its errno and the state unchanged;
 * records through read() and poll(); a private activation ending with its
 * file; EPERM for an unprivileged opener; the ground truth of every
 * feature of the kmod backend; the settings kprobe and tracepoint refuse,
 * and their syscall filter. Without /dev/hld (no module loaded: always on a host that
 * cannot load modules) the device cases print why and skip; the QEMU rig
 * runs them inside the guest with hld.ko loaded.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "diag-test.h"
#include "diag.h"
#include "hld_features.h"
#include "hld_ioctl.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "kmod-dev.h"
#include "syms.h"
#include "options.h"
#include "run-command.h"

/* /dev/hld opened, or -1 after printing why @what is skipped. */
static int dev_open(const char *what)
{
	int fd;

	if (geteuid() != 0) {
		printf("SKIP %s: needs root\n", what);
		return -1;
	}
	fd = kmod__open();
	if (fd < 0)
		printf("SKIP %s: %s: %s\n", what, HLD_DEVICE, strerror(-fd));
	return fd;
}

static int state_of(int fd, enum diag_feature_id id)
{
	struct hld_ioc_status st;

	ck_assert_int_eq(kmod__status(fd, id, &st), 0);
	return st.state;
}

/* User space and the module number features from the same list. */
START_TEST(test_feature_list)
{
	ck_assert_int_eq(HLD_FEAT__MAX, DIAG_FEATURE__MAX);
	ck_assert_int_eq(HLD_FEAT_sys_cost, DIAG_sys_cost);
	ck_assert_str_eq(diag_descs[HLD_FEAT_sys_cost].name, "sys-cost");
}
END_TEST

/* The kmod backend's user side of feature @id, or NULL. */
static const struct diag_ops *kmod_ops(int id)
{
	for (const struct diag_ops *const *o = diag_backend_kmod.features; *o; o++)
		if ((int)(*o)->id == id)
			return *o;
	return NULL;
}

/*
 * Every feature answers: those with a user side on the kmod backend are
 * available here (the guests' kernels have all they need) with the
 * settings size user space has; the others not implemented, with the reason.
 */
START_TEST(test_status)
{
	struct hld_syscost_settings s = { .tgid = -1, .pid = -1, .time = 1 };
	int fd = dev_open("status");

	if (fd < 0)
		return;
	for (int i = 0; i < DIAG_FEATURE__MAX; i++) {
		struct hld_ioc_status st;

		ck_assert_int_eq(kmod__status(fd, i, &st), 0);
		ck_assert_str_eq(st.name, diag_descs[i].name);
		if (kmod_ops(i)) {
			ck_assert_msg(st.state == HLD_FSTATE_IDLE, "%s: state %u: %s",
				      st.name, st.state, st.reason);
			ck_assert_int_eq(st.settings_size, diag_descs[i].settings_size);
			continue;
		}
		ck_assert_int_eq(st.state, HLD_FSTATE_UNIMPLEMENTED);
		ck_assert_str_eq(st.reason, "not implemented in the kernel module yet");
		ck_assert_int_eq(kmod__activate(fd, i, &s, sizeof(s), false), -EOPNOTSUPP);
	}
	close(fd);
}
END_TEST

/* One bad payload: the ioctl, its argument, the errno expected. */
struct bad_case {
	const char *what;
	unsigned long cmd;
	int err;
	void (*make)(void *arg, struct hld_syscost_settings *s);
};

static struct hld_syscost_settings good = { .tgid = -1, .pid = -1, .time = 1, .top = 20 };

static void act(void *arg, struct hld_syscost_settings *s)
{
	struct hld_ioc_activate *a = arg;

	*s = good;
	a->feature = DIAG_sys_cost;
	a->settings_size = sizeof(*s);
	a->settings = (unsigned long)s;
}

static void act_feature(void *a, struct hld_syscost_settings *s)
{
	act(a, s);
	((struct hld_ioc_activate *)a)->feature = HLD_FEAT__MAX;
}

static void act_huge_feature(void *a, struct hld_syscost_settings *s)
{
	act(a, s);
	((struct hld_ioc_activate *)a)->feature = 0xffffffffu;
}

static void act_flags(void *a, struct hld_syscost_settings *s)
{
	act(a, s);
	((struct hld_ioc_activate *)a)->flags = 0x80;
}

static void act_reserved(void *a, struct hld_syscost_settings *s)
{
	act(a, s);
	((struct hld_ioc_activate *)a)->reserved = 1;
}

static void act_size_small(void *a, struct hld_syscost_settings *s)
{
	act(a, s);
	((struct hld_ioc_activate *)a)->settings_size = sizeof(*s) - 8;
}

static void act_size_huge(void *a, struct hld_syscost_settings *s)
{
	act(a, s);
	((struct hld_ioc_activate *)a)->settings_size = 1u << 30;
}

static void act_null(void *a, struct hld_syscost_settings *s)
{
	act(a, s);
	((struct hld_ioc_activate *)a)->settings = 0;
}

static void act_tgid(void *a, struct hld_syscost_settings *s)
{
	act(a, s);
	s->tgid = -2;
}

static void act_pid(void *a, struct hld_syscost_settings *s)
{
	act(a, s);
	s->pid = 1ll << 40;
}

static void act_time(void *a, struct hld_syscost_settings *s)
{
	act(a, s);
	s->time = 2;
}

static void act_comm(void *a, struct hld_syscost_settings *s)
{
	act(a, s);
	memset(s->comm, 'x', sizeof(s->comm));	/* no terminating NUL */
}

static void deact_feature(void *a, struct hld_syscost_settings *s)
{
	((struct hld_ioc_feature *)a)->feature = 1000;
}

static void deact_idle(void *a, struct hld_syscost_settings *s)
{
	((struct hld_ioc_feature *)a)->feature = DIAG_sys_cost;
}

static void status_feature(void *a, struct hld_syscost_settings *s)
{
	((struct hld_ioc_status *)a)->feature = HLD_FEAT__MAX;
}

static void status_size(void *a, struct hld_syscost_settings *s)
{
	((struct hld_ioc_status *)a)->feature = DIAG_sys_cost;
	((struct hld_ioc_status *)a)->settings_size = HLD_SETTINGS_MAX + 1;
	((struct hld_ioc_status *)a)->settings = (unsigned long)s;
}

static void report_small(void *a, struct hld_syscost_settings *s)
{
	((struct hld_ioc_report *)a)->feature = DIAG_sys_cost;
	((struct hld_ioc_report *)a)->buf = (unsigned long)s;
	((struct hld_ioc_report *)a)->len = sizeof(*s);
}

static void report_reserved(void *a, struct hld_syscost_settings *s)
{
	report_small(a, s);
	((struct hld_ioc_report *)a)->reserved = 7;
}

static void test_many(void *a, struct hld_syscost_settings *s)
{
	((struct hld_ioc_test *)a)->nr_records = HLD_TEST_MAX_RECORDS + 1;
}

static void sub_none(void *a, struct hld_syscost_settings *s)
{
	((struct hld_ioc_subscribe *)a)->streams = 0;
}

static void sub_past(void *a, struct hld_syscost_settings *s)
{
	((struct hld_ioc_subscribe *)a)->streams = HLD_STREAM_BIT(HLD_STREAMS_NR);
}

static void sub_reserved(void *a, struct hld_syscost_settings *s)
{
	((struct hld_ioc_subscribe *)a)->streams = HLD_STREAM_BIT(HLD_STREAM_TEST);
	((struct hld_ioc_subscribe *)a)->reserved = 1;
}

static const struct bad_case bad_cases[] = {
	{ "activate: feature past the list", HLD_IOC_ACTIVATE, EINVAL, act_feature },
	{ "activate: feature 2^32-1", HLD_IOC_ACTIVATE, EINVAL, act_huge_feature },
	{ "activate: unknown flag", HLD_IOC_ACTIVATE, EINVAL, act_flags },
	{ "activate: reserved set", HLD_IOC_ACTIVATE, EINVAL, act_reserved },
	{ "activate: settings too small", HLD_IOC_ACTIVATE, EINVAL, act_size_small },
	{ "activate: settings 1 GiB", HLD_IOC_ACTIVATE, EINVAL, act_size_huge },
	{ "activate: settings NULL", HLD_IOC_ACTIVATE, EFAULT, act_null },
	{ "activate: tgid -2", HLD_IOC_ACTIVATE, EINVAL, act_tgid },
	{ "activate: pid 2^40", HLD_IOC_ACTIVATE, EINVAL, act_pid },
	{ "activate: time 2", HLD_IOC_ACTIVATE, EINVAL, act_time },
	{ "activate: comm unterminated", HLD_IOC_ACTIVATE, EINVAL, act_comm },
	{ "deactivate: feature 1000", HLD_IOC_DEACTIVATE, EINVAL, deact_feature },
	{ "deactivate: not active", HLD_IOC_DEACTIVATE, ENOENT, deact_idle },
	{ "status: feature past the list", HLD_IOC_STATUS, EINVAL, status_feature },
	{ "status: settings buffer too large", HLD_IOC_STATUS, EINVAL, status_size },
	{ "report: buffer below report_max", HLD_IOC_REPORT, ENOSPC, report_small },
	{ "report: reserved set", HLD_IOC_REPORT, EINVAL, report_reserved },
	{ "test: too many records", HLD_IOC_TEST, EINVAL, test_many },
	{ "subscribe: no stream", HLD_IOC_SUBSCRIBE, EINVAL, sub_none },
	{ "subscribe: stream past the list", HLD_IOC_SUBSCRIBE, EINVAL, sub_past },
	{ "subscribe: reserved set", HLD_IOC_SUBSCRIBE, EINVAL, sub_reserved },
	{ "unknown command", _IO(HLD_IOC_MAGIC, 99), ENOTTY, NULL },
};

/* Each bad payload is refused with its errno, and sys-cost stays idle. */
START_TEST(test_bad_input)
{
	const struct bad_case *c = &bad_cases[_i];
	struct hld_syscost_settings s;
	char arg[1024] = { 0 };
	int fd = dev_open("bad input"), ret;

	if (fd < 0)
		return;
	if (c->make)
		c->make(arg, &s);
	ret = ioctl(fd, c->cmd, arg);
	printf("%-40s -> %d %s\n", c->what, ret, ret ? strerror(errno) : "");
	ck_assert_int_eq(ret, -1);
	ck_assert_int_eq(errno, c->err);
	ck_assert_int_eq(state_of(fd, DIAG_sys_cost), HLD_FSTATE_IDLE);
	close(fd);
}
END_TEST

/*
 * Settings of exec-monitor and exit-monitor out of the ranges of
 * harness/features.c: refused with EINVAL, the feature still idle; the
 * good ones activate.
 */
struct range_case {
	const char *what;
	int feature;
	int err;			/* 0: activates */
	void (*make)(void *settings);
};

static void exec_good(void *p)
{
	struct hld_exec_settings *s = p;

	memset(s, 0, sizeof(*s));
	s->ancestor = -1;
	s->ringbuf_size = 4 << 20;
}

static void exec_ancestor_low(void *p)
{
	exec_good(p);
	((struct hld_exec_settings *)p)->ancestor = -2;
}

static void exec_ancestor_high(void *p)
{
	exec_good(p);
	((struct hld_exec_settings *)p)->ancestor = 4194305;
}

static void exec_ringbuf_low(void *p)
{
	exec_good(p);
	((struct hld_exec_settings *)p)->ringbuf_size = 4095;
}

static void exec_ringbuf_high(void *p)
{
	exec_good(p);
	((struct hld_exec_settings *)p)->ringbuf_size = (1ull << 30) + 1;
}

static void exec_comm(void *p)
{
	exec_good(p);
	memset(((struct hld_exec_settings *)p)->comm, 'x', HLD_COMM_LEN);
}

static void exit_good(void *p)
{
	struct hld_exit_settings *s = p;

	memset(s, 0, sizeof(*s));
	s->tgid = -1;
	s->user_stacks = 1;
	s->ringbuf_size = 4 << 20;
}

static void exit_tgid_low(void *p)
{
	exit_good(p);
	((struct hld_exit_settings *)p)->tgid = -2;
}

static void exit_tgid_high(void *p)
{
	exit_good(p);
	((struct hld_exit_settings *)p)->tgid = 1ll << 40;
}

static void exit_stacks(void *p)
{
	exit_good(p);
	((struct hld_exit_settings *)p)->user_stacks = 2;
}

static void exit_threads(void *p)
{
	exit_good(p);
	((struct hld_exit_settings *)p)->all_threads = 2;
}

static void exit_ringbuf(void *p)
{
	exit_good(p);
	((struct hld_exit_settings *)p)->ringbuf_size = 0;
}

static void exit_comm(void *p)
{
	exit_good(p);
	memset(((struct hld_exit_settings *)p)->comm, 'x', HLD_COMM_LEN);
}

static void exit_nostacks(void *p)
{
	exit_good(p);
	((struct hld_exit_settings *)p)->user_stacks = 0;
}

static void perf_good(void *p)
{
	struct hld_perf_settings *s = p;

	memset(s, 0, sizeof(*s));
	s->freq = 99;
	s->pid = s->tgid = s->cpu = -1;
	s->kernel = s->user = 1;
}

static void perf_freq_low(void *p)
{
	perf_good(p);
	((struct hld_perf_settings *)p)->freq = 0;
}

static void perf_freq_high(void *p)
{
	perf_good(p);
	((struct hld_perf_settings *)p)->freq = 10001;
}

static void perf_kernel(void *p)
{
	perf_good(p);
	((struct hld_perf_settings *)p)->kernel = 2;
}

static void perf_cpu(void *p)
{
	perf_good(p);
	((struct hld_perf_settings *)p)->cpu = -2;
}

static void perf_comm(void *p)
{
	perf_good(p);
	memset(((struct hld_perf_settings *)p)->comm, 'x', HLD_COMM_LEN);
}

static void perf_cpu_offline(void *p)
{
	perf_good(p);
	((struct hld_perf_settings *)p)->cpu = 8191;
}

static const struct range_case range_cases[] = {
	{ "exec-monitor: defaults", DIAG_exec_monitor, 0, exec_good },
	{ "exec-monitor: ancestor -2", DIAG_exec_monitor, EINVAL, exec_ancestor_low },
	{ "exec-monitor: ancestor 4194305", DIAG_exec_monitor, EINVAL, exec_ancestor_high },
	{ "exec-monitor: ringbuf 4095", DIAG_exec_monitor, EINVAL, exec_ringbuf_low },
	{ "exec-monitor: ringbuf 1 GiB + 1", DIAG_exec_monitor, EINVAL, exec_ringbuf_high },
	{ "exec-monitor: comm unterminated", DIAG_exec_monitor, EINVAL, exec_comm },
	{ "exit-monitor: defaults", DIAG_exit_monitor, 0, exit_good },
	{ "exit-monitor: user stacks off", DIAG_exit_monitor, 0, exit_nostacks },
	{ "exit-monitor: tgid -2", DIAG_exit_monitor, EINVAL, exit_tgid_low },
	{ "exit-monitor: tgid 2^40", DIAG_exit_monitor, EINVAL, exit_tgid_high },
	{ "exit-monitor: user-stacks 2", DIAG_exit_monitor, EINVAL, exit_stacks },
	{ "exit-monitor: all-threads 2", DIAG_exit_monitor, EINVAL, exit_threads },
	{ "exit-monitor: ringbuf 0", DIAG_exit_monitor, EINVAL, exit_ringbuf },
	{ "exit-monitor: comm unterminated", DIAG_exit_monitor, EINVAL, exit_comm },
	{ "perf: defaults", DIAG_perf, 0, perf_good },
	{ "perf: freq 0", DIAG_perf, EINVAL, perf_freq_low },
	{ "perf: freq 10001", DIAG_perf, EINVAL, perf_freq_high },
	{ "perf: kernel 2", DIAG_perf, EINVAL, perf_kernel },
	{ "perf: cpu -2", DIAG_perf, EINVAL, perf_cpu },
	{ "perf: comm unterminated", DIAG_perf, EINVAL, perf_comm },
	{ "perf: cpu 8191, not online", DIAG_perf, ENODEV, perf_cpu_offline },
};

START_TEST(test_settings_range)
{
	const struct range_case *c = &range_cases[_i];
	char settings[HLD_SETTINGS_MAX];
	int fd, ret;

	if (!kmod_ops(c->feature)) {
		printf("SKIP %s: no kmod user side\n", c->what);
		return;
	}
	fd = dev_open(c->what);
	if (fd < 0)
		return;
	c->make(settings);
	ret = kmod__activate(fd, c->feature, settings, diag_descs[c->feature].settings_size,
			     false);
	printf("%-40s -> %d %s\n", c->what, ret, ret ? strerror(-ret) : "");
	ck_assert_int_eq(ret, -c->err);
	ck_assert_int_eq(state_of(fd, c->feature), c->err ? HLD_FSTATE_IDLE : HLD_FSTATE_ACTIVE);
	if (!c->err)
		ck_assert_int_eq(kmod__deactivate(fd, c->feature), 0);
	ck_assert_int_eq(state_of(fd, c->feature), HLD_FSTATE_IDLE);
	close(fd);
}
END_TEST

/* Print the first @lines lines of @dir/@name. */
static void print_head(const char *dir, const char *name, int lines)
{
	char path[128], line[512];
	FILE *in;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	in = fopen(path, "re");
	ck_assert_ptr_nonnull(in);
	while (lines-- > 0 && fgets(line, sizeof(line), in))
		printf("  %s: %s", name, line);
	fclose(in);
}

/* "records" of the report file @dir/@name: how many, or -1. */
static int nr_records(const char *dir, const char *name)
{
	char path[128];
	json_object *rep, *recs;
	int n = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rep = json_object_from_file(path);
	if (rep && json_object_object_get_ex(rep, "records", &recs))
		n = json_object_array_length(recs);
	json_object_put(rep);
	return n;
}

/*
 * exec-monitor and exit-monitor active together in one process: /dev/hld
 * has one stream for both, and each feature's report still holds all of
 * its own records (the process's one reader hands each to its consumer).
 */
START_TEST(test_streams_together)
{
	enum { N = 10 };
	const char *argv[] = { "/bin/true", "hld-streams", NULL };
	struct hld_exec_settings es;
	struct hld_exit_settings xs;
	struct diag_feature *ef, *xf;
	char edir[64] = "/tmp/check_kmod.XXXXXX", xdir[64] = "/tmp/check_kmod.XXXXXX";
	int fd = dev_open("streams together");

	if (fd < 0)
		return;
	close(fd);
	if (!kmod_ops(DIAG_exec_monitor) || !kmod_ops(DIAG_exit_monitor)) {
		printf("SKIP streams together: exec-monitor or exit-monitor not on the kmod backend\n");
		return;
	}
	ck_assert_int_eq(opts__defaults(diag_descs[DIAG_exec_monitor].opts, &es), 0);
	ck_assert_int_eq(opts__defaults(diag_descs[DIAG_exit_monitor].opts, &xs), 0);
	es.ancestor = getpid();
	strcpy(xs.comm, "true");
	ef = diag__open(kmod_ops(DIAG_exec_monitor), &es);
	xf = diag__open(kmod_ops(DIAG_exit_monitor), &xs);
	ck_assert_ptr_nonnull(ef);
	ck_assert_ptr_nonnull(xf);
	ck_assert_int_eq(ef->ops->activate(ef), 0);
	ck_assert_int_eq(xf->ops->activate(xf), 0);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(run_command(argv, NULL, NULL), 0);
		/* the exit-monitor's poll reads the exec records too */
		ck_assert_int_eq(xf->ops->poll(xf), 0);
	}
	ck_assert_int_eq(xf->ops->deactivate(xf), 0);
	ck_assert_int_eq(ef->ops->deactivate(ef), 0);
	ck_assert_int_eq(diag__report_into(ef, edir), 0);
	ck_assert_int_eq(diag__report_into(xf, xdir), 0);
	print_head(edir, "exec.txt", 7);
	print_head(xdir, "exit.txt", 7);
	ck_assert_int_eq(nr_records(edir, "exec.json"), N);
	ck_assert_int_eq(nr_records(xdir, "exit.json"), N);
	ck_assert_uint_eq(ef->drops + xf->drops, 0);
	diag__remove_dir(edir);
	diag__remove_dir(xdir);
	diag__close(ef);
	diag__close(xf);
}
END_TEST

/* Records from the test ioctl come back whole and in order through poll() and read(). */
START_TEST(test_read_poll)
{
	struct hld_ioc_test t = { .nr_records = 1000 };
	struct pollfd p;
	static char buf[65536];
	uint64_t next = 0;
	int fd = dev_open("read and poll");

	if (fd < 0)
		return;
	p.fd = fd;
	p.events = POLLIN;
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	while (read(fd, buf, sizeof(buf)) > 0)	/* leftovers of an earlier run */
		;
	ck_assert_int_eq(poll(&p, 1, 0), 0);
	ck_assert_int_eq(ioctl(fd, HLD_IOC_TEST, &t), 0);
	ck_assert_int_eq(t.version, HLD_IOCTL_VERSION);
	ck_assert_int_eq(t.emitted, 1000);
	ck_assert_int_eq(poll(&p, 1, 1000), 1);
	while (next < 1000) {
		ssize_t n = read(fd, buf, sizeof(struct hld_test_record) * 7 + 5);

		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(n % sizeof(struct hld_test_record), 0);
		for (ssize_t off = 0; off < n; off += sizeof(struct hld_test_record)) {
			const struct hld_test_record *r = (const void *)(buf + off);

			ck_assert_int_eq(r->hdr.type, HLD_REC_TEST);
			ck_assert_int_eq(r->hdr.len, sizeof(*r));
			ck_assert_int_eq(r->seq, next++);
		}
	}
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(read(fd, buf, 4), -1);
	ck_assert_int_eq(errno, EINVAL);
	close(fd);
}
END_TEST

/* Subscribe @fd to @streams, non-blocking, and read what is left there. */
static void subscribe(int fd, uint64_t streams)
{
	struct hld_ioc_subscribe a = { .streams = streams };
	static char buf[65536];

	ck_assert_int_eq(ioctl(fd, HLD_IOC_SUBSCRIBE, &a), 0);
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/*
 * Readers of different streams do not take each other's records: with one
 * file subscribed to exec-monitor's stream and another to the test
 * stream, the test ioctl's 500 records all reach the second, none the
 * first; a failed subscription leaves the file's streams as they were.
 */
START_TEST(test_streams_apart)
{
	struct hld_ioc_subscribe bad = { .streams = 0 };
	struct hld_ioc_test t = { .nr_records = 500 };
	int fd = dev_open("streams apart"), other;
	static char buf[65536];
	uint64_t got = 0;
	ssize_t n;

	if (fd < 0)
		return;
	other = kmod__open();
	ck_assert_int_ge(other, 0);
	subscribe(other, HLD_STREAM_BIT(DIAG_exec_monitor));
	subscribe(fd, HLD_STREAM_BIT(HLD_STREAM_TEST));
	ck_assert_int_eq(ioctl(fd, HLD_IOC_SUBSCRIBE, &bad), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(ioctl(other, HLD_IOC_TEST, &t), 0);
	ck_assert_int_eq(t.emitted, 500);
	ck_assert_int_eq(read(other, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		ck_assert_int_eq(n % sizeof(struct hld_test_record), 0);
		got += n / sizeof(struct hld_test_record);
	}
	ck_assert_int_eq(got, 500);
	close(other);
	close(fd);
}
END_TEST

/* A private activation ends when its file is closed; a persistent one stays. */
START_TEST(test_owner)
{
	int fd = dev_open("activation owner"), fd2;

	if (fd < 0)
		return;
	fd2 = kmod__open();
	ck_assert_int_ge(fd2, 0);
	ck_assert_int_eq(kmod__activate(fd2, DIAG_sys_cost, &good, sizeof(good), false), 0);
	ck_assert_int_eq(state_of(fd, DIAG_sys_cost), HLD_FSTATE_ACTIVE);
	ck_assert_int_eq(kmod__activate(fd, DIAG_sys_cost, &good, sizeof(good), false), -EBUSY);
	close(fd2);
	ck_assert_int_eq(state_of(fd, DIAG_sys_cost), HLD_FSTATE_IDLE);

	fd2 = kmod__open();
	ck_assert_int_eq(kmod__activate(fd2, DIAG_sys_cost, &good, sizeof(good), true), 0);
	close(fd2);
	ck_assert_int_eq(state_of(fd, DIAG_sys_cost), HLD_FSTATE_ACTIVE);
	ck_assert_int_eq(kmod__deactivate(fd, DIAG_sys_cost), 0);
	ck_assert_int_eq(state_of(fd, DIAG_sys_cost), HLD_FSTATE_IDLE);
	close(fd);
}
END_TEST

/* Exit status of a child that drops root (@nobody) or CAP_SYS_ADMIN, then opens /dev/hld. */
static int open_as(bool nobody)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
		struct __user_cap_data_struct d[2];

		if (nobody && (setgid(65534) || setuid(65534)))
			_exit(2);
		if (!nobody) {
			if (syscall(SYS_capget, &h, d))
				_exit(2);
			d[0].effective &= ~(1u << CAP_SYS_ADMIN);
			d[0].permitted &= ~(1u << CAP_SYS_ADMIN);
			if (syscall(SYS_capset, &h, d))
				_exit(2);
		}
		if (open(HLD_DEVICE, O_RDWR) >= 0)
			_exit(1);
		_exit(errno == (nobody ? EACCES : EPERM) ? 0 : 3);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WEXITSTATUS(status);
}

/* Mode 0600 keeps other users out (EACCES); root without CAP_SYS_ADMIN gets EPERM. */
START_TEST(test_eperm)
{
	int fd = dev_open("permissions");

	if (fd < 0)
		return;
	close(fd);
	ck_assert_int_eq(open_as(true), 0);
	ck_assert_int_eq(open_as(false), 0);
}
END_TEST

/* --- kprobe and tracepoint ------------------------------------------------ */

/* Settings the module must refuse, as a hostile caller could send them. */
struct tp_case {
	const char *what;
	enum diag_feature_id id;
	const char *name;
	int err;
	void (*edit)(struct hld_tracepoint_settings *s);
};

static void tp_stacks(struct hld_tracepoint_settings *s)
{
	s->stacks = HLD_TP_STACKS__MAX;
}

static void tp_top(struct hld_tracepoint_settings *s)
{
	s->top = 0;
}

static void tp_cpu(struct hld_tracepoint_settings *s)
{
	s->cpu = 8192;
}

static void tp_tgid(struct hld_tracepoint_settings *s)
{
	s->tgid = -2;
}

static void tp_comm(struct hld_tracepoint_settings *s)
{
	memset(s->comm, 'x', sizeof(s->comm));
}

static void tp_long(struct hld_tracepoint_settings *s)
{
	memset(s->name, 'a', sizeof(s->name));
}

static const struct tp_case tp_cases[] = {
	{ "kprobe: no function", DIAG_kprobe, "", EINVAL, NULL },
	{ "kprobe: blank in the name", DIAG_kprobe, "do sys_openat2", EINVAL, NULL },
	{ "kprobe: a tracepoint's name", DIAG_kprobe, "sched:sched_switch", EINVAL, NULL },
	{ "kprobe: name unterminated", DIAG_kprobe, "", EINVAL, tp_long },
	{ "kprobe: no such function", DIAG_kprobe, "hld_no_such_function", ENOENT, NULL },
	{ "kprobe: stacks past the enum", DIAG_kprobe, "do_sys_openat2", EINVAL, tp_stacks },
	{ "kprobe: top 0", DIAG_kprobe, "do_sys_openat2", EINVAL, tp_top },
	{ "kprobe: cpu 8192", DIAG_kprobe, "do_sys_openat2", EINVAL, tp_cpu },
	{ "kprobe: tgid -2", DIAG_kprobe, "do_sys_openat2", EINVAL, tp_tgid },
	{ "kprobe: comm unterminated", DIAG_kprobe, "do_sys_openat2", EINVAL, tp_comm },
	{ "tracepoint: no name", DIAG_tracepoint, "", EINVAL, NULL },
	{ "tracepoint: no event", DIAG_tracepoint, "sched:", EINVAL, NULL },
	{ "tracepoint: no subsystem", DIAG_tracepoint, ":sched_switch", EINVAL, NULL },
	{ "tracepoint: two colons", DIAG_tracepoint, "a:b:c", EINVAL, NULL },
	{ "tracepoint: a path", DIAG_tracepoint, "sched/sched_switch", EINVAL, NULL },
	{ "tracepoint: no such tracepoint", DIAG_tracepoint, "sched:hld_no_such", ENOENT, NULL },
	{ "tracepoint: no such syscall", DIAG_tracepoint, "syscalls:sys_enter_hld", ENOENT, NULL },
	{ "tracepoint: top 0", DIAG_tracepoint, "sched:sched_switch", EINVAL, tp_top },
};

static void tp_settings(struct hld_tracepoint_settings *s, const char *name, pid_t tgid)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->tgid = tgid;
	s->pid = -1;
	s->cpu = -1;
	s->top = 10;
}

/* Each is refused by the module itself (no user-side check) and the feature stays idle. */
START_TEST(test_tp_refused)
{
	const struct tp_case *c = &tp_cases[_i];
	struct hld_tracepoint_settings s;
	int fd = dev_open(c->what), err;

	if (fd < 0)
		return;
	tp_settings(&s, c->name, -1);
	if (c->edit)
		c->edit(&s);
	err = kmod__activate(fd, c->id, &s, sizeof(s), false);
	printf("%-40s -> %d %s\n", c->what, err, strerror(-err));
	ck_assert_int_eq(err, -c->err);
	ck_assert_int_eq(state_of(fd, c->id), HLD_FSTATE_IDLE);
	close(fd);
}
END_TEST

/* The hits in a report of @id: the sum of its per-CPU records. */
static long tp_report_hits(int fd, enum diag_feature_id id)
{
	size_t len, off = 0;
	long hits = 0;
	void *buf;

	ck_assert_int_eq(kmod__report(fd, id, &buf, &len), 0);
	while (off + sizeof(struct hld_record_header) <= len) {
		const struct hld_record_header *h = (const void *)((char *)buf + off);

		ck_assert_uint_ge(h->len, sizeof(*h));
		if (h->type == HLD_REC_TPCPU)
			hits += ((const struct hld_tpcpu_record *)h)->hits;
		else
			ck_assert_uint_eq(h->type, HLD_REC_TPHIT);
		off += h->len;
	}
	free(buf);
	return hits;
}

/* syscalls:sys_enter_NAME and sys_exit_NAME count exactly that syscall's calls. */
START_TEST(test_tp_syscall)
{
	static const char *const names[] = { "syscalls:sys_enter_getppid",
					     "syscalls:sys_exit_getppid" };
	struct hld_tracepoint_settings s;
	int fd = dev_open(names[_i]);

	if (fd < 0)
		return;
	tp_settings(&s, names[_i], getpid());
	ck_assert_int_eq(kmod__activate(fd, DIAG_tracepoint, &s, sizeof(s), false), 0);
	for (int i = 0; i < 50; i++)
		syscall(SYS_getppid);
	ck_assert_int_eq(kmod__deactivate(fd, DIAG_tracepoint), 0);
	ck_assert_int_eq(tp_report_hits(fd, DIAG_tracepoint), 50);
	ck_assert_int_eq(tp_report_hits(fd, DIAG_tracepoint), 0);
	close(fd);
}
END_TEST

/* Print the kernel stacks of a report of @id, leaf first; each leaf must be @want. Its rows. */
static int tp_report_leaves(int fd, enum diag_feature_id id, const char *want)
{
	struct ksyms *ks = ksyms__load();
	size_t len, off = 0;
	int rows = 0;
	void *buf;

	ck_assert_ptr_nonnull(ks);
	ck_assert_int_eq(kmod__report(fd, id, &buf, &len), 0);
	while (off + sizeof(struct hld_record_header) <= len) {
		const struct hld_tphit_record *r = (const void *)((char *)buf + off);

		off += r->hdr.len;
		if (r->hdr.type != HLD_REC_TPHIT)
			continue;
		printf("%s: %llu hits of tgid %u, kernel stack leaf first:\n", diag_descs[id].name,
		       (unsigned long long)r->count, r->tgid);
		for (int i = 0; i < r->nr_kstack; i++)
			printf("    %s\n", ksyms__name(ks, i ? r->ips[i] - 1 : r->ips[i]));
		ck_assert_uint_ge(r->nr_kstack, 1);
		ck_assert_str_eq(ksyms__name(ks, r->ips[0]), want);
		rows++;
	}
	free(buf);
	ksyms__free(ks);
	return rows;
}

/* The probe's own frames are left out: a kprobe's leaf is the function, a tracepoint's its caller. */
START_TEST(test_tp_leaf)
{
	static const char *const names[] = { "do_sys_openat2", "sched:sched_process_fork" };
	static const char *const leaves[] = { "do_sys_openat2", "kernel_clone" };
	enum diag_feature_id id = _i ? DIAG_tracepoint : DIAG_kprobe;
	struct hld_tracepoint_settings s;
	int fd = dev_open(names[_i]);

	if (fd < 0)
		return;
	tp_settings(&s, names[_i], getpid());
	s.stacks = HLD_TP_STACKS_KERNEL;
	ck_assert_int_eq(kmod__activate(fd, id, &s, sizeof(s), false), 0);
	for (int i = 0; i < 5; i++) {
		pid_t pid = _i ? fork() : 0;

		if (!_i)
			close(open("/dev/null", O_RDONLY));
		else if (!pid)
			_exit(0);
		else
			waitpid(pid, NULL, 0);
	}
	ck_assert_int_eq(kmod__deactivate(fd, id), 0);
	ck_assert_int_ge(tp_report_leaves(fd, id, leaves[_i]), 1);
	close(fd);
}
END_TEST

/*
 * `hldbench diag FEATURE --test` on the kmod backend, for every feature it
 * has (the loop index is the feature id): the same ground truth as on the
 * eBPF backend. A feature without a test there is a failure here.
 */
START_TEST(test_truth)
{
	const struct diag_ops *ops = kmod_ops(_i);
	char what[64];
	int fd;

	if (!ops)
		return;		/* not on this backend: test_status checks it says so */
	snprintf(what, sizeof(what), "%s ground truth", diag_descs[_i].name);
	fd = dev_open(what);
	if (fd < 0)
		return;
	close(fd);
	ck_assert_msg(diag_tests[_i], "%s has no ground-truth test", diag_descs[_i].name);
	ck_assert_int_eq(diag_test__run(ops, stdout), 0);
}
END_TEST

/* Is @name the sampling machinery's, which a sample's kernel stack must leave out? */
static bool perf_machinery(const char *name)
{
	return !strcmp(name, "tph_hit") || !strcmp(name, "tph_perf_overflow") ||
	       strstr(name, "perf_event_overflow") || strstr(name, "perf_swevent_hrtimer") ||
	       strstr(name, "hrtimer_run_queues");
}

/*
 * perf's kernel stacks start at the interrupted instruction: this thread
 * reads /dev/zero, 1 MiB at a time, for 300 ms of its CPU time, sampled at
 * 999 Hz. Most samples are in the kernel; each kernel stack leads back to
 * the syscall entry and holds none of the timer interrupt's frames, and
 * (almost) none is lost. Samples of the deactivation itself (this thread
 * in the module's ioctl) are left out.
 */
START_TEST(test_perf_kernel)
{
	struct hld_perf_settings s;
	struct ksyms *ks = ksyms__load();
	struct timespec t0, t;
	long hits = 0, kernel = 0, syscall_rooted = 0, lost = 0;
	size_t len, off = 0;
	char *zero = malloc(1 << 20);
	int fd = dev_open("perf kernel stacks"), z = open("/dev/zero", O_RDONLY);
	void *buf;

	if (fd < 0)
		return;
	ck_assert_ptr_nonnull(ks);
	ck_assert_ptr_nonnull(zero);
	ck_assert_int_ge(z, 0);
	perf_good(&s);
	s.freq = 999;
	s.tgid = getpid();
	s.user = 0;
	ck_assert_int_eq(kmod__activate(fd, DIAG_perf, &s, sizeof(s), false), 0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do {
		ck_assert_int_eq(read(z, zero, 1 << 20), 1 << 20);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000ll + t.tv_nsec - t0.tv_nsec < 300000000ll);
	ck_assert_int_eq(kmod__deactivate(fd, DIAG_perf), 0);
	ck_assert_int_eq(kmod__report(fd, DIAG_perf, &buf, &len), 0);
	while (off + sizeof(struct hld_record_header) <= len) {
		const struct hld_tphit_record *r = (const void *)((char *)buf + off);
		bool rooted = false, ours = false;

		off += r->hdr.len;
		if (r->hdr.type == HLD_REC_TPCPU)
			hits += ((const struct hld_tpcpu_record *)r)->hits;
		if (r->hdr.type != HLD_REC_TPHIT)
			continue;
		ck_assert_uint_eq(r->tgid, getpid());
		ck_assert_uint_eq(r->nr_ustack, 0);
		if (r->flags & HLD_TPHIT_KSTACK_LOST)
			lost += r->count;
		for (int i = 0; i < r->nr_kstack; i++) {
			const char *name = ksyms__name(ks, i ? r->ips[i] - 1 : r->ips[i]);

			ours |= !strcmp(name, "tph_perf_deactivate");
			ck_assert_msg(!perf_machinery(name), "frame %d of a sample is %s", i, name);
			rooted |= !strcmp(name, "do_syscall_64");
		}
		if (ours)
			hits -= r->count;
		else if (r->nr_kstack) {
			kernel += r->count;
			syscall_rooted += rooted ? r->count : 0;
			if (r->count >= 10)
				printf("perf: %llu samples, leaf %s\n", (unsigned long long)r->count,
				       ksyms__name(ks, r->ips[0]));
		}
	}
	printf("perf: %ld samples, %ld with a kernel stack (%ld through do_syscall_64), "
	       "%ld kernel stacks lost\n", hits, kernel, syscall_rooted, lost);
	/* ~300 at 999 Hz over 300 ms of CPU time; TCG's clocks are the guest's, not the host's */
	ck_assert_int_ge(hits, 100);
	ck_assert_int_ge(kernel, hits / 2);
	ck_assert_int_ge(syscall_rooted, kernel * 9 / 10);
	ck_assert_int_le(lost, hits / 100);
	free(buf);
	free(zero);
	close(z);
	ksyms__free(ks);
	close(fd);
}
END_TEST

static Suite *kmod_suite(void)
{
	Suite *s = suite_create("kmod");
	TCase *tc = tcase_create("abi");

	tcase_add_test(tc, test_feature_list);
	tcase_add_test(tc, test_status);
	tcase_add_loop_test(tc, test_bad_input, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_loop_test(tc, test_settings_range, 0,
			    sizeof(range_cases) / sizeof(range_cases[0]));
	tcase_add_test(tc, test_read_poll);
	tcase_add_test(tc, test_streams_apart);
	tcase_add_test(tc, test_owner);
	tcase_add_test(tc, test_eperm);
	suite_add_tcase(s, tc);

	tc = tcase_create("streams");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_streams_together);
	suite_add_tcase(s, tc);

	tc = tcase_create("truth");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_truth, 0, DIAG_FEATURE__MAX);
	suite_add_tcase(s, tc);

	tc = tcase_create("kprobe and tracepoint");
	tcase_add_loop_test(tc, test_tp_refused, 0, sizeof(tp_cases) / sizeof(tp_cases[0]));
	tcase_add_loop_test(tc, test_tp_syscall, 0, 2);
	tcase_add_loop_test(tc, test_tp_leaf, 0, 2);
	tcase_add_test(tc, test_perf_kernel);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * `check_kmod --activate`: activate, persistently and with their default
 * settings, every feature the kmod backend has (kprobe on do_sys_openat2,
 * tracepoint on sched_switch: hot paths; reboot's log in /tmp), and exit, so that the next rmmod
 * tears them down while they fire (the rig's VM_KMOD_ACTIVATE, before each
 * unload under stress-ng). Exits 1 if any could not be activated.
 */
static int activate_for_unload(void)
{
	int fd = kmod__open(), failed = 0;

	if (fd < 0) {
		fprintf(stderr, "cannot open %s: %s\n", HLD_DEVICE, strerror(-fd));
		return 1;
	}
	/* Straight to the module: the user sides' set-up (symbol tables) is not what is tested. */
	for (const struct diag_ops *const *o = diag_backend_kmod.features; *o; o++) {
		const struct diag_desc *d = &diag_descs[(*o)->id];
		void *set = calloc(1, d->settings_size);
		int err = set ? opts__defaults(d->opts, set) : -ENOMEM;

		if (!err && (*o)->id == DIAG_kprobe)
			tp_settings(set, "do_sys_openat2", -1);
		if (!err && (*o)->id == DIAG_tracepoint)
			tp_settings(set, "sched:sched_switch", -1);
		if (!err && (*o)->id == DIAG_run_trace)	/* this thread, which exits next */
			((struct hld_runtrace_settings *)set)->pid = getpid();
		if (!err && (*o)->id == DIAG_reboot)	/* the guest has no /var/log */
			snprintf(((struct hld_reboot_settings *)set)->log,
				 sizeof(((struct hld_reboot_settings *)set)->log),
				 "/tmp/hld-reboot-unload.log");
		if (!err)
			err = kmod__activate(fd, (*o)->id, set, d->settings_size, true);
		free(set);
		if (err) {
			fprintf(stderr, "cannot activate %s: %s\n", d->name, strerror(-err));
			failed = 1;
		}
	}
	close(fd);
	return failed;
}

int main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	if (argc == 2 && !strcmp(argv[1], "--activate"))
		return activate_for_unload();
	sr = srunner_create(kmod_suite());

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
