// SPDX-License-Identifier: GPL-2.0
/*
 * check_kmod.c - the kernel module (kmod/, /dev/hld) through its ABI
 * (include/hld_ioctl.h): every feature listed with its state; a table of
 * bad ioctl payloads, each refused with its errno and the state unchanged;
 * records through read() and poll(); a private activation ending with its
 * file; EPERM for an unprivileged opener; the ground truth of every
 * feature of the kmod backend; and, asked for by HLD_KMOD_LEAVE_ACTIVE=1
 * (the QEMU rig's VM_KMOD_ACTIVATE, before each unload under load),
 * persistent activations of every kmod feature left behind for rmmod to
 * tear down. Without /dev/hld (no module loaded: always on a host that
 * cannot load modules) the device cases print why and skip; the QEMU rig
 * runs them inside the guest with hld.ko loaded.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag-test.h"
#include "diag.h"
#include "hld_features.h"
#include "hld_ioctl.h"
#include "hld_record.h"
#include "hld_settings.h"
#include "kmod-dev.h"

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

/*
 * Activate every feature of the kmod backend persistently with its default
 * settings (run-trace: this process's thread, which exits right after) and
 * leave them active: rmmod then unloads with them running. A feature whose
 * defaults are refused (a setting is required) is left out, and said so.
 */
START_TEST(test_leave_active)
{
	int fd = dev_open("leave active");

	if (fd < 0)
		return;
	for (const struct diag_ops *const *o = diag_backend_kmod.features; *o; o++) {
		const struct diag_desc *d = &diag_descs[(*o)->id];
		void *set = calloc(1, d->settings_size);
		int err;

		ck_assert_ptr_nonnull(set);
		ck_assert_int_eq(opts__defaults(d->opts, set), 0);
		if ((*o)->id == DIAG_run_trace)
			((struct hld_runtrace_settings *)set)->pid = getpid();
		err = kmod__activate(fd, (*o)->id, set, d->settings_size, true);
		if (err == -EINVAL)
			printf("leave active: %s refuses its defaults, not activated\n", d->name);
		else
			ck_assert_msg(!err, "%s: %s", d->name, strerror(-err));
		free(set);
	}
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
	tcase_add_test(tc, test_read_poll);
	tcase_add_test(tc, test_owner);
	tcase_add_test(tc, test_eperm);
	suite_add_tcase(s, tc);

	tc = tcase_create("truth");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_truth, 0, DIAG_FEATURE__MAX);
	suite_add_tcase(s, tc);

	if (getenv("HLD_KMOD_LEAVE_ACTIVE")) {
		tc = tcase_create("leave-active");
		tcase_add_test(tc, test_leave_active);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(kmod_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
