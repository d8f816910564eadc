// SPDX-License-Identifier: GPL-2.0
/*
 * workload-pages.c - page allocations of a known order that the kernel
 * makes on the workload's behalf: alloc-top's and high-order's ground truth
 * (harness/truth-alloc-top.c, harness/truth-high-order.c) and
 * `hldbench workload pages`.
 *
 *   order 0     anonymous pages written once each, huge pages off for the
 *               mapping (MADV_NOHUGEPAGE, which also rules out multi-size
 *               THP): one order-0 allocation per page written;
 *   order 2..10 pipes grown with F_SETPIPE_SZ: the kernel allocates the ring
 *               of struct pipe_buffer with kcalloc(), which above two pages
 *               (SLUB's largest kmalloc cache) comes straight from the page
 *               allocator at order get_order(slots * sizeof(struct
 *               pipe_buffer)), the size read from the kernel's BTF. One
 *               allocation per pipe, from pipe_fcntl();
 *   order 9     transparent huge pages: a 2 MiB-aligned anonymous region
 *               with MADV_HUGEPAGE, one byte written per 2 MiB: one order-9
 *               allocation per huge page the process got, which is counted
 *               (AnonHugePages) because the kernel may fall back to small
 *               pages when it finds no free 2 MiB block.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <bpf/btf.h>

#include "builtin.h"
#include "workload.h"

#define PAGES_MAX_ORDER		10	/* MAX_PAGE_ORDER: kmalloc() goes no larger */
#define PAGES_SLAB_MAX		(2 * PAGES_PAGE_BYTES)	/* KMALLOC_MAX_CACHE_SIZE (SLUB) */
#define PAGES_THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

char *pages__touch(long n)
{
	char *p = mmap(NULL, n * PAGES_PAGE_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, n * PAGES_PAGE_BYTES, MADV_NOHUGEPAGE)) {
		int err = errno;

		munmap(p, n * PAGES_PAGE_BYTES);
		errno = err;
		return NULL;
	}
	for (long i = 0; i < n; i++)
		((volatile char *)p)[i * PAGES_PAGE_BYTES] = 1;
	return p;
}

/* get_order(): the smallest order whose block holds @bytes. */
static int order_of(unsigned long bytes)
{
	int order = 0;

	while ((PAGES_PAGE_BYTES << order) < bytes)
		order++;
	return order;
}

int pages__pipe_buffer_size(void)
{
	static int size;
	struct btf *btf;
	__s32 id;

	if (size)
		return size;
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, "pipe_buffer", BTF_KIND_STRUCT);
	size = id > 0 ? btf__resolve_size(btf, id) : -ENOENT;
	btf__free(btf);
	if (size <= 0) {
		size = 0;
		return -ENOENT;
	}
	return size;
}

int pages__pipe_order(unsigned long bytes)
{
	int size = pages__pipe_buffer_size();
	unsigned long slots = 1;

	if (size < 0)
		return size;
	while (slots * PAGES_PAGE_BYTES < bytes)	/* round_pipe_size(): a power of two */
		slots <<= 1;
	return order_of(slots * size);
}

unsigned long pages__pipe_bytes(int order)
{
	int size = pages__pipe_buffer_size();

	if (size < 0)
		return 0;
	for (unsigned long slots = 1; slots <= (1ul << 20); slots <<= 1)
		if (slots * size > PAGES_SLAB_MAX && order_of(slots * size) == order)
			return slots * PAGES_PAGE_BYTES;
	return 0;
}

__attribute__((noinline)) int truth_pipe_resize(int n, unsigned long bytes)
{
	for (int i = 0; i < n; i++) {
		int fds[2], err = 0;

		if (pipe2(fds, O_CLOEXEC))
			return -errno;
		if (fcntl(fds[0], F_SETPIPE_SZ, (int)bytes) < 0)
			err = -errno;
		close(fds[0]);
		close(fds[1]);
		if (err)
			return err;
	}
	return 0;
}

__attribute__((noinline)) int truth_thp_touch(long n, void **map)
{
	size_t len = n * PAGES_HUGE_BYTES;
	char *p = mmap(NULL, len + PAGES_HUGE_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	p = (char *)(((unsigned long)p + PAGES_HUGE_BYTES - 1) & ~(PAGES_HUGE_BYTES - 1));
	if (madvise(p, len, MADV_HUGEPAGE))
		return -errno;
	for (size_t off = 0; off < len; off += PAGES_HUGE_BYTES)
		((volatile char *)p)[off] = 1;
	if (map)
		*map = p;
	return 0;
}

long pages__thp_of(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *in;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/smaps_rollup");
	in = fopen(path, "re");
	if (!in)
		return -1;
	while (fgets(line, sizeof(line), in))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(in);
	return kb < 0 ? -1 : kb / (long)(PAGES_HUGE_BYTES >> 10);
}

const char *pages__thp_unavailable(void)
{
	char line[256];
	FILE *in = fopen(PAGES_THP_ENABLED, "re");
	bool never;

	if (!in)
		return "no " PAGES_THP_ENABLED;
	never = fgets(line, sizeof(line), in) && strstr(line, "[never]");
	fclose(in);
	return never ? "transparent huge pages are off (" PAGES_THP_ENABLED " is never)" : NULL;
}

enum { METHOD_AUTO, METHOD_ANON, METHOD_PIPE, METHOD_THP };
static const char *const method_names[] = { "auto", "anon", "pipe", "thp", NULL };

struct pages_wl {
	uint64_t count;
	int64_t order;
	int method;
	/* results */
	long allocations;
	long minor_faults;		/* anon */
	unsigned long pipe_bytes;	/* pipe */
	int pipe_buffer_size;
	long thp_before;		/* thp */
};

/* The method for the order, and that the two go together. */
static int pages_check(void *obj, char *err, size_t len)
{
	struct pages_wl *w = obj;

	if (w->method == METHOD_AUTO)
		w->method = w->order == 0 ? METHOD_ANON :
			    w->order == PAGES_THP_ORDER ? METHOD_THP :
			    w->order >= PAGES_PIPE_MIN_ORDER ? METHOD_PIPE : METHOD_AUTO;
	if (w->method == METHOD_AUTO ||
	    (w->method == METHOD_ANON && w->order != 0) ||
	    (w->method == METHOD_THP && w->order != PAGES_THP_ORDER) ||
	    (w->method == METHOD_PIPE && w->order < PAGES_PIPE_MIN_ORDER)) {
		snprintf(err, len, "--order %lld with --method %s: the orders made exactly are 0 "
			 "(anon), %d..%d (pipe) and %d (thp); order 1 comes only from slab "
			 "refills, which no workload controls", (long long)w->order,
			 method_names[w->method], PAGES_PIPE_MIN_ORDER, PAGES_MAX_ORDER,
			 PAGES_THP_ORDER);
		return -EINVAL;
	}
	return 0;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static int pages_anon(struct pages_wl *w, struct workload_ctx *ctx)
{
	long before = minflt();
	char *p = pages__touch(w->count);

	if (!p) {
		snprintf(ctx->error, sizeof(ctx->error), "cannot map %llu pages: %s",
			 (unsigned long long)w->count, strerror(errno));
		return HLD_EXIT_FAIL;
	}
	w->minor_faults = minflt() - before;
	w->allocations = w->count;
	munmap(p, w->count * PAGES_PAGE_BYTES);
	snprintf(ctx->summary, sizeof(ctx->summary), "%ld order-0 pages written by pid %d "
		 "(%ld minor faults)", w->allocations, getpid(), w->minor_faults);
	return HLD_EXIT_OK;
}

static int pages_pipe(struct pages_wl *w, struct workload_ctx *ctx)
{
	int err;

	w->pipe_buffer_size = pages__pipe_buffer_size();
	w->pipe_bytes = pages__pipe_bytes(w->order);
	if (w->pipe_buffer_size < 0 || !w->pipe_bytes) {
		snprintf(ctx->error, sizeof(ctx->error), "cannot tell the size of struct "
			 "pipe_buffer from the kernel's BTF, or no pipe size gives order %lld",
			 (long long)w->order);
		return HLD_EXIT_UNSUPPORTED;
	}
	err = truth_pipe_resize(w->count, w->pipe_bytes);
	if (err == -EPERM) {
		snprintf(ctx->error, sizeof(ctx->error), "order %lld needs pipes of %lu bytes, "
			 "over fs.pipe-max-size, and this process lacks CAP_SYS_RESOURCE: run it "
			 "with the capability or raise /proc/sys/fs/pipe-max-size to %lu",
			 (long long)w->order, w->pipe_bytes, w->pipe_bytes);
		return HLD_EXIT_UNSUPPORTED;
	}
	if (err) {
		snprintf(ctx->error, sizeof(ctx->error), "cannot grow a pipe to %lu bytes: %s",
			 w->pipe_bytes, strerror(-err));
		return HLD_EXIT_FAIL;
	}
	w->allocations = w->count;
	snprintf(ctx->summary, sizeof(ctx->summary), "%ld order-%lld allocations by pid %d "
		 "(pipe slot arrays of %lu bytes, pipes of %lu KiB)", w->allocations,
		 (long long)w->order, getpid(), (unsigned long)w->pipe_buffer_size *
		 (w->pipe_bytes / PAGES_PAGE_BYTES), w->pipe_bytes >> 10);
	return HLD_EXIT_OK;
}

static int pages_thp(struct pages_wl *w, struct workload_ctx *ctx)
{
	const char *why = pages__thp_unavailable();
	void *map = NULL;
	int err;

	if (why) {
		snprintf(ctx->error, sizeof(ctx->error), "%s", why);
		return HLD_EXIT_UNSUPPORTED;
	}
	w->thp_before = pages__thp_of(0);
	err = truth_thp_touch(w->count, &map);
	if (err) {
		snprintf(ctx->error, sizeof(ctx->error), "cannot map %llu huge pages: %s",
			 (unsigned long long)w->count, strerror(-err));
		return HLD_EXIT_FAIL;
	}
	w->allocations = pages__thp_of(0) - w->thp_before;
	munmap(map, w->count * PAGES_HUGE_BYTES);
	snprintf(ctx->summary, sizeof(ctx->summary), "%ld order-9 huge pages of %llu asked by "
		 "pid %d (the rest fell back to small pages)", w->allocations,
		 (unsigned long long)w->count, getpid());
	return HLD_EXIT_OK;
}

static int pages_run(void *obj, struct workload_ctx *ctx)
{
	struct pages_wl *w = obj;

	switch (w->method) {
	case METHOD_ANON:
		return pages_anon(w, ctx);
	case METHOD_PIPE:
		return pages_pipe(w, ctx);
	default:
		return pages_thp(w, ctx);
	}
}

static void pages_report(const void *obj, struct json_writer *j)
{
	const struct pages_wl *w = obj;

	json__str(j, "method", method_names[w->method]);
	json__int(j, "order", w->order);
	json__uint(j, "bytes_per_allocation", PAGES_PAGE_BYTES << w->order);
	json__uint(j, "requested", w->count);
	json__int(j, "allocations", w->allocations);
	json__int(j, "tgid", getpid());
	switch (w->method) {
	case METHOD_ANON:
		json__str(j, "allocations_are", "one per page written (known)");
		json__int(j, "minor_faults", w->minor_faults);
		break;
	case METHOD_PIPE:
		json__str(j, "allocations_are", "one slot array per pipe grown (known)");
		json__uint(j, "pipe_bytes", w->pipe_bytes);
		json__int(j, "pipe_buffer_size", w->pipe_buffer_size);
		json__uint(j, "slot_array_bytes",
			   w->pipe_bytes / PAGES_PAGE_BYTES * (unsigned long)w->pipe_buffer_size);
		json__str(j, "kernel_function", "pipe_fcntl");
		break;
	default:
		json__str(j, "allocations_are", "huge pages mapped: AnonHugePages after - before "
			  "(measured)");
		json__int(j, "fell_back", (long)w->count - w->allocations);
		json__str(j, "user_function", "truth_thp_touch");
		break;
	}
}

static const struct opt pages_opts[] = {
	{ "N", OPT_UINT, offsetof(struct pages_wl, count), .min = 1, .max = 1000000,
	  .required = true, .help = "allocations to make (pages, pipes or huge pages)" },
	{ "order", OPT_INT, offsetof(struct pages_wl, order), .min = 0, .max = PAGES_MAX_ORDER,
	  .def = "0", .help = "order of each allocation: 0, 2..10 or 9" },
	{ "method", OPT_ENUM, offsetof(struct pages_wl, method), .def = "auto",
	  .choices = method_names,
	  .help = "anon (order 0), pipe (orders 2..10), thp (order 9); auto: anon for 0, thp "
		  "for 9, pipe otherwise" },
	OPT_END
};

const struct workload workload_pages = {
	.name = "pages",
	.comm = "hld-pages",
	.summary = "N page allocations of order k (alloc-top's and high-order's truth)",
	.help = "Make N page allocations of order --order through the kernel:\n"
		"  anon  order 0: N anonymous pages (MADV_NOHUGEPAGE) written once each;\n"
		"  pipe  orders 2..10: N pipes grown with F_SETPIPE_SZ to the size whose ring\n"
		"        of struct pipe_buffer (size from BTF) needs an order-k block: one\n"
		"        kcalloc() from pipe_fcntl() per pipe; above 1 MiB (order 2) needs root;\n"
		"  thp   order 9: a MADV_HUGEPAGE region of N huge pages, one byte written\n"
		"        per 2 MiB; the kernel may fall back to small pages, so the huge pages\n"
		"        got are measured (AnonHugePages).\n"
		"Page tables, copy-on-write and slab refills of the process come on top\n"
		"(docs/accuracy.md). JSON: method, order, requested, allocations (known, or\n"
		"measured for thp), and what each method used.",
	.positional = "N",
	.opts = pages_opts,
	.size = sizeof(struct pages_wl),
	.check = pages_check,
	.run = pages_run,
	.report = pages_report,
};
