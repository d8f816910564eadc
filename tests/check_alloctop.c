// SPDX-License-Identifier: GPL-2.0
/*
 * check_alloctop.c - alloc-top against processes that allocate a known
 * number of pages: the ground-truth test (harness/truth-alloc-top.c, also
 * `hldbench diag alloc-top --test`); the same child seen without a filter;
 * reports taken between four batches of touched pages each hold one batch
 * (the drain); a child that executes is named after the new program.
 * A forked child maps anonymous 4 KiB pages with transparent huge pages
 * off for the mapping and writes each page once, which makes the kernel
 * allocate exactly one order-0 page per page touched; the report may show
 * a little more: the child's page tables (one PTE page per 512 pages),
 * copy-on-write of the few stack and data pages it writes after fork, and
 * slab pages refilled on its behalf, all far below ALLOC_SLACK. Needs root
 * and BPF.
 */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag-test.h"
#include "diag.h"
#include "hld_settings.h"

#define CHILD_PAGES	10000
#define ALLOC_SLACK	1000	/* page tables, COW after fork, slab refills */
#define PAGE_BYTES	4096

/* The child's body: wait for the go byte, then allocate CHILD_PAGES pages. */
static void child_allocate(int go_fd)
{
	char c;
	char *p;

	if (read(go_fd, &c, 1) != 1)
		_exit(2);
	p = mmap(NULL, (size_t)CHILD_PAGES * PAGE_BYTES, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(3);
	if (madvise(p, (size_t)CHILD_PAGES * PAGE_BYTES, MADV_NOHUGEPAGE))
		_exit(4);
	for (size_t i = 0; i < CHILD_PAGES; i++)
		p[i * PAGE_BYTES] = 1;
	_exit(0);
}

/* Touch 1000 fresh pages, then become /bin/true. */
static void child_allocate_exec(void)
{
	char *p = mmap(NULL, 1000L * PAGE_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(3);
	for (long i = 0; i < 1000; i++)
		p[i * PAGE_BYTES] = 1;
	execl("/bin/true", "true", (char *)NULL);
	_exit(6);
}

/* Fork the allocating child, blocked until a byte arrives on *@go_fd. */
static pid_t start_child(int *go_fd)
{
	int fds[2];
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[1]);
		prctl(PR_SET_NAME, "hld-alloc");
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		child_allocate(fds[0]);
	}
	close(fds[0]);
	*go_fd = fds[1];
	return pid;
}

/* Run @f's report into a fresh directory, whose path goes into @dir. */
static void report_into(struct diag_feature *f, char *dir)
{
	strcpy(dir, "/tmp/check_alloctop.XXXXXX");
	ck_assert_int_eq(diag__report_into(f, dir), 0);
}

/* Pages alloc-top.txt in @dir shows for @pid, -1 if it has no line for it. */
static long long pages_of(const char *dir, pid_t pid)
{
	char path[512], line[512], comm[64];
	unsigned long long pages, allocs;
	long long found = -1;
	unsigned int tgid;
	FILE *in;

	snprintf(path, sizeof(path), "%s/alloc-top.txt", dir);
	in = fopen(path, "r");
	ck_assert_ptr_nonnull(in);
	while (fgets(line, sizeof(line), in))
		if (line[0] != '#' &&
		    sscanf(line, "%u %63s %llu %llu", &tgid, comm, &pages, &allocs) == 4 &&
		    tgid == (unsigned int)pid)
			found = pages;
	fclose(in);
	return found;
}

static const struct at_case {
	const char *name;
	bool filter;		/* settings.tgid = the child */
	uint64_t top;
} at_cases[] = {
	{ "all processes", false, 100000 },
};

START_TEST(test_child_pages)
{
	const struct at_case *c = &at_cases[_i];
	struct hld_alloctop_settings s = { .top = c->top, .tgid = -1 };
	struct diag_feature *f;
	char why[256], dir[64];
	long long pages;
	int go, status;
	pid_t pid;

	if (geteuid() != 0) {
		printf("skip alloc-top %s: needs root\n", c->name);
		return;
	}
	if (bpf_alloc_top_ops.probe(why, sizeof(why))) {
		printf("skip alloc-top %s: %s\n", c->name, why);
		return;
	}
	pid = start_child(&go);
	if (c->filter)
		s.tgid = pid;
	f = diag__open(&bpf_alloc_top_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	ck_assert_int_eq(write(go, "g", 1), 1);
	close(go);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child failed: status %#x", status);
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	report_into(f, dir);
	pages = pages_of(dir, pid);
	ck_assert_msg(pages >= CHILD_PAGES, "%s: pid %d has %lld pages, want >= %d",
		      c->name, pid, pages, CHILD_PAGES);
	ck_assert_msg(pages < CHILD_PAGES + ALLOC_SLACK, "%s: pid %d has %lld pages, want < %d",
		      c->name, pid, pages, CHILD_PAGES + ALLOC_SLACK);
	printf("alloc-top %s: child %d allocated %lld pages for %d touched\n",
	       c->name, pid, pages, CHILD_PAGES);
	ck_assert_double_ge(diag_feature__metric(f, "pages"), pages);
	ck_assert_double_eq(diag_feature__metric(f, "drops"), 0);
	if (c->filter)
		ck_assert_double_eq(diag_feature__metric(f, "pages"), pages);
	diag__remove_dir(dir);
	diag__close(f);
}
END_TEST

/* True if root and BPF are there; otherwise print why @what is skipped. */
static bool bpf_ready(const char *what)
{
	char why[256];

	if (geteuid() != 0) {
		printf("skip alloc-top %s: needs root\n", what);
		return false;
	}
	if (bpf_alloc_top_ops.probe(why, sizeof(why))) {
		printf("skip alloc-top %s: %s\n", what, why);
		return false;
	}
	return true;
}

/* The ground-truth test that `hldbench diag alloc-top --test` runs. */
START_TEST(test_ground_truth)
{
	if (!bpf_ready("ground truth"))
		return;
	ck_assert_int_eq(diag_test__run(&bpf_alloc_top_ops, stdout), 0);
}
END_TEST

#define BATCHES		4
#define BATCH_PAGES	2500
#define BATCH_SLACK	100	/* a batch's page tables (5), COW and slab refills */

/*
 * The child maps BATCHES * BATCH_PAGES pages, then touches one batch per
 * byte read from @go, answering on @done after each: a report taken after
 * each batch must hold that batch alone.
 */
static void child_batches(int go, int done)
{
	size_t len = (size_t)BATCHES * BATCH_PAGES * PAGE_BYTES;
	char c, *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || madvise(p, len, MADV_NOHUGEPAGE))
		_exit(3);
	for (int b = 0; b < BATCHES; b++) {
		if (read(go, &c, 1) != 1)
			_exit(2);
		for (size_t i = 0; i < BATCH_PAGES; i++)
			p[((size_t)b * BATCH_PAGES + i) * PAGE_BYTES] = 1;
		if (write(done, "d", 1) != 1)
			_exit(4);
	}
	_exit(0);
}

START_TEST(test_drain)
{
	struct hld_alloctop_settings s = { .top = 20, .tgid = -1 };
	int go[2], done[2], status;
	struct diag_feature *f;
	char dir[64], c;
	long long pages;
	pid_t pid;

	if (!bpf_ready("drain"))
		return;
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(done), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_NAME, "hld-alloc");
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		child_batches(go[0], done[1]);
	}
	s.tgid = pid;
	f = diag__open(&bpf_alloc_top_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	for (int b = 0; b < BATCHES; b++) {
		ck_assert_int_eq(write(go[1], "g", 1), 1);
		ck_assert_int_eq(read(done[0], &c, 1), 1);
		report_into(f, dir);
		pages = pages_of(dir, pid);
		diag__remove_dir(dir);
		printf("alloc-top drain: batch %d: %lld pages for %d touched\n", b, pages,
		       BATCH_PAGES);
		ck_assert_int_ge(pages, BATCH_PAGES);
		ck_assert_int_lt(pages, BATCH_PAGES + BATCH_SLACK);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	diag__close(f);
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
}
END_TEST

/* The comm alloc-top.txt in @dir shows for @pid, in @comm; false if no line. */
static bool comm_of(const char *dir, pid_t pid, char *comm)
{
	char path[512], line[512];
	unsigned int tgid;
	bool found = false;
	FILE *in;

	snprintf(path, sizeof(path), "%s/alloc-top.txt", dir);
	in = fopen(path, "r");
	ck_assert_ptr_nonnull(in);
	while (!found && fgets(line, sizeof(line), in))
		found = line[0] != '#' && sscanf(line, "%u %63s", &tgid, comm) == 2 &&
			tgid == (unsigned int)pid;
	fclose(in);
	return found;
}

/*
 * A child that touches pages as "hld-alloc", then executes /bin/true, is
 * listed as "true": the entry takes the name of the program executed.
 */
START_TEST(test_exec_rename)
{
	struct hld_alloctop_settings s = { .top = 20, .tgid = -1 };
	struct diag_feature *f;
	char dir[64], comm[64];
	int status;
	pid_t pid;

	if (!bpf_ready("exec rename"))
		return;
	if (access("/bin/true", X_OK)) {
		printf("skip alloc-top exec rename: no /bin/true\n");
		return;
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_NAME, "hld-alloc");
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		raise(SIGSTOP);		/* until the feature is active */
		child_allocate_exec();
	}
	ck_assert_int_eq(waitpid(pid, &status, WUNTRACED), pid);
	s.tgid = pid;
	f = diag__open(&bpf_alloc_top_ops, &s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	ck_assert_int_eq(kill(pid, SIGCONT), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	report_into(f, dir);
	ck_assert(comm_of(dir, pid, comm));
	ck_assert_str_eq(comm, "true");
	ck_assert_int_ge(pages_of(dir, pid), 1000);
	diag__remove_dir(dir);
	diag__close(f);
}
END_TEST

static Suite *alloctop_suite(void)
{
	Suite *s = suite_create("alloctop");
	TCase *tc = tcase_create("ground truth");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_ground_truth);
	tcase_add_loop_test(tc, test_child_pages, 0, sizeof(at_cases) / sizeof(at_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("drain");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_drain);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_exec_rename);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(alloctop_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
