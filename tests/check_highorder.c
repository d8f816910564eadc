// SPDX-License-Identifier: GPL-2.0
/*
 * check_highorder.c - high-order against allocations of known order made by
 * a forked child while the feature is active:
 *  - a transparent huge page fault: an anonymous region 2 MiB-aligned with
 *    MADV_HUGEPAGE, one byte written per 2 MiB, is one order-9 allocation per
 *    huge page the child got (the truth is the child's AnonHugePages in
 *    /proc/PID/smaps_rollup, read before it exits);
 *  - a pipe grown with F_SETPIPE_SZ: the kernel allocates its ring of
 *    struct pipe_buffer with kcalloc(), which above two pages comes straight
 *    from the page allocator, order get_order(slots * sizeof(pipe_buffer));
 *    the size of the struct is read from the kernel's BTF (order 2 for
 *    the 1 MiB that needs no CAP_SYS_RESOURCE, so that case sets order 2).
 * Needs root and BPF; the THP cases skip when THP is "never".
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <json-c/json.h>

#include "bpf-util.h"
#include "diag.h"
#include "hld_settings.h"

#define HUGE_BYTES	(2ul << 20)
#define THP_PAGES	2		/* huge pages the THP workload asks for */
#define PIPE_BYTES	(1ul << 20)	/* F_SETPIPE_SZ: 256 slots, pipe-max-size without CAP_SYS_RESOURCE */
#define PAGE_BYTES	4096ul
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

/* Fault THP_PAGES huge pages into a 2 MiB-aligned MADV_HUGEPAGE region. */
static __attribute__((noinline)) int work_thp(void)
{
	size_t len = THP_PAGES * HUGE_BYTES;
	char *p = mmap(NULL, len + HUGE_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	p = (char *)(((unsigned long)p + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1));
	if (madvise(p, len, MADV_HUGEPAGE))
		return -1;
	for (size_t off = 0; off < len; off += HUGE_BYTES)
		p[off] = 1;
	return 0;
}

/* Grow a pipe to PIPE_BYTES: one kcalloc() of its slot array. */
static int work_pipe(void)
{
	int fds[2];

	if (pipe(fds))
		return -1;
	return fcntl(fds[0], F_SETPIPE_SZ, (int)PIPE_BYTES) < 0 ? -1 : 0;
}

/* get_order(): the smallest order whose block holds @bytes. */
static unsigned int order_of(size_t bytes)
{
	unsigned int order = 0;

	while ((PAGE_BYTES << order) < bytes)
		order++;
	return order;
}

/* Order of the pipe's slot array, from sizeof(struct pipe_buffer) in BTF; -1 if unknown. */
static int pipe_order(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	__s32 id, size = -1;

	if (!btf)
		return -1;
	id = btf__find_by_name_kind(btf, "pipe_buffer", BTF_KIND_STRUCT);
	if (id > 0)
		size = btf__resolve_size(btf, id);
	btf__free(btf);
	return size > 0 ? (int)order_of(PIPE_BYTES / PAGE_BYTES * size) : -1;
}

/* Huge pages mapped by @pid (AnonHugePages in smaps_rollup), -1 if unreadable. */
static long thp_pages_of(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *in;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	in = fopen(path, "r");
	if (!in)
		return -1;
	while (fgets(line, sizeof(line), in))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(in);
	return kb < 0 ? -1 : kb / (long)(HUGE_BYTES >> 10);
}

/* NULL if THP can be used, else why not. */
static const char *thp_unavailable(void)
{
	char line[256];
	FILE *in = fopen(THP_ENABLED, "r");
	bool never;

	if (!in)
		return "no " THP_ENABLED;
	never = fgets(line, sizeof(line), in) && strstr(line, "[never]");
	fclose(in);
	return never ? "transparent huge pages are disabled (" THP_ENABLED " is never)" : NULL;
}

/*
 * Fork a child that waits for a byte on its go pipe, runs @work, reports
 * its status on the done pipe and waits to be killed (so that its maps and
 * smaps can still be read).
 */
static pid_t start_child(int (*work)(void), int *go_fd, int *done_fd)
{
	int go[2], done[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(done), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(go[1]);
		close(done[0]);
		prctl(PR_SET_NAME, "hld-highorder");
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		c = work() ? 'e' : 'k';
		if (write(done[1], &c, 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	close(go[0]);
	close(done[1]);
	*go_fd = go[1];
	*done_fd = done[0];
	return pid;
}

/* Run @f's report into a fresh directory, whose path goes into @dir. */
static void report_into(struct diag_feature *f, char *dir)
{
	struct diag_outputs out;
	struct json_writer j;
	FILE *null = fopen("/dev/null", "w");

	ck_assert_ptr_nonnull(null);
	strcpy(dir, "/tmp/check_highorder.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	json__init(&j, null, false);
	json__begin_object(&j, NULL);
	out.dir = dir;
	out.json = &j;
	ck_assert_int_eq(f->ops->report(f, &out), 0);
	json__end_object(&j);
	fclose(null);
}

/* Does the JSON array of frame names @stack hold a name containing @part? */
static bool stack_has(json_object *stack, const char *part)
{
	for (size_t i = 0; i < json_object_array_length(stack); i++)
		if (strstr(json_object_get_string(json_object_array_get_idx(stack, i)), part))
			return true;
	return false;
}

/*
 * Sum the counts high-order.json in @dir gives for @pid at @order whose
 * kernel stack has a frame containing @frame and whose user stack has one
 * containing @uframe (NULL: any); *@other gets the allocations of @pid at
 * any other order or stack.
 */
static long count_of(const char *dir, pid_t pid, int order, const char *frame,
		     const char *uframe, long *other)
{
	char path[512];
	json_object *root, *stacks;
	long n = 0;

	snprintf(path, sizeof(path), "%s/high-order.json", dir);
	root = json_object_from_file(path);
	ck_assert_ptr_nonnull(root);
	ck_assert(json_object_object_get_ex(root, "stacks", &stacks));
	*other = 0;
	for (size_t i = 0; i < json_object_array_length(stacks); i++) {
		json_object *s = json_object_array_get_idx(stacks, i), *v, *ks, *us;
		long count;

		json_object_object_get_ex(s, "tgid", &v);
		if (json_object_get_int(v) != pid)
			continue;
		json_object_object_get_ex(s, "count", &v);
		count = json_object_get_int64(v);
		json_object_object_get_ex(s, "order", &v);
		json_object_object_get_ex(s, "kstack", &ks);
		json_object_object_get_ex(s, "ustack", &us);
		if (json_object_get_int(v) == order && stack_has(ks, frame) &&
		    (!uframe || stack_has(us, uframe)))
			n += count;
		else
			*other += count;
	}
	json_object_put(root);
	return n;
}

/* Remove the report directory @dir and its files. */
static void remove_dir(const char *dir)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

enum ho_work { HO_THP, HO_PIPE };

static const struct ho_case {
	const char *name;
	enum ho_work work;
	uint64_t order;		/* setting */
	bool counted;		/* the allocation is at or above the setting */
} ho_cases[] = {
	{ "thp fault, order >= 3", HO_THP, 3, true },
	{ "thp fault, order >= 10: not counted", HO_THP, 10, false },
	{ "pipe resize, order >= 2", HO_PIPE, 2, true },
	{ "pipe resize, order >= 3: not counted", HO_PIPE, 3, false },
};

START_TEST(test_known_allocs)
{
	const struct ho_case *c = &ho_cases[_i];
	struct hld_highorder_settings s = { .order = c->order, .user = 1 };
	struct diag_feature *f;
	char why[256], dir[64], ok;
	long want, got, other;
	int go, done, order;
	const char *frame;
	pid_t pid;

	if (geteuid() != 0) {
		printf("skip high-order %s: needs root\n", c->name);
		return;
	}
	if (bpf_high_order_ops.probe(why, sizeof(why))) {
		printf("skip high-order %s: %s\n", c->name, why);
		return;
	}
	if (c->work == HO_THP && thp_unavailable()) {
		printf("skip high-order %s: %s\n", c->name, thp_unavailable());
		return;
	}
	order = c->work == HO_THP ? 9 : pipe_order();
	frame = c->work == HO_THP ? "huge" : "pipe";
	ck_assert_int_ge(order, 2);	/* the pipe's array must come from the page allocator */
	pid = start_child(c->work == HO_THP ? work_thp : work_pipe, &go, &done);
	s.tgid = pid;
	f = diag__open(&bpf_high_order_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	ck_assert_int_eq(write(go, "g", 1), 1);
	ck_assert_int_eq(read(done, &ok, 1), 1);
	ck_assert_int_eq(ok, 'k');
	ck_assert_int_eq(f->ops->poll(f), 0);	/* snapshots the child's maps */
	want = c->work == HO_THP ? thp_pages_of(pid) : 1;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(go);
	close(done);
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	report_into(f, dir);
	if (c->work == HO_THP && want < 1) {
		printf("skip high-order %s: the kernel gave the child no huge page\n", c->name);
		goto out;
	}
	if (!c->counted)
		want = 0;
	/* The fault's user stack starts in work_thp(), whose write faulted. */
	got = count_of(dir, pid, order, frame, c->work == HO_THP ? "work_thp" : NULL, &other);
	printf("high-order %s: pid %d, order %d with a '%s' frame: %ld (want %ld), other %ld\n",
	       c->name, pid, order, frame, got, want, other);
	ck_assert_int_eq(got, want);
	ck_assert_double_eq(diag_feature__metric(f, "drops"), 0);
	ck_assert_double_eq(diag_feature__metric(f, "allocs"), got + other);
out:
	remove_dir(dir);
	diag__close(f);
}
END_TEST

/* get_order() on the sizes around page boundaries. */
static const struct { size_t bytes; unsigned int order; } order_cases[] = {
	{ 1, 0 }, { 4096, 0 }, { 4097, 1 }, { 8192, 1 }, { 40960, 4 }, { 65536, 4 }, { 65537, 5 },
};

START_TEST(test_order_of)
{
	ck_assert_uint_eq(order_of(order_cases[_i].bytes), order_cases[_i].order);
}
END_TEST

static Suite *highorder_suite(void)
{
	Suite *s = suite_create("highorder");
	TCase *tc = tcase_create("ground truth");
	TCase *th = tcase_create("test helpers");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_known_allocs, 0, sizeof(ho_cases) / sizeof(ho_cases[0]));
	suite_add_tcase(s, tc);
	tcase_add_loop_test(th, test_order_of, 0, sizeof(order_cases) / sizeof(order_cases[0]));
	suite_add_tcase(s, th);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(highorder_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
