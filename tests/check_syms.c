// SPDX-License-Identifier: GPL-2.0
/*
 * check_syms.c - kernel and user symbol resolution (analysis/syms.c).
 *
 * Kernel: kallsyms fixtures (aliases, data symbols, end markers, modules,
 * restricted all-zero addresses) and, when readable, the live table.
 * User: functions of this very binary (.symtab), of libc (.dynsym or its
 * debug file), anonymous and deleted file mappings, the vdso, a forked
 * child that is resolved after it has exited, a process known only by its
 * executable (what perf records for exited processes), and deferred reading
 * of files.
 */
#include <check.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "syms.h"

/* Test entry point of analysis/syms.c (not in syms.h). */

#define FIXTURES "tests/fixtures/syms/"

/* ------------------------------------------------------------------------ */
/* Kernel                                                                   */

static const struct {
	uint64_t addr;
	const char *name;	/* NULL: no function there */
} kcases[] = {
	{ 0xffffffff80ffffffull, NULL },		/* below the first symbol */
	{ 0xffffffff81000000ull, "startup_64" },	/* preferred over _stext, _text */
	{ 0xffffffff810000ffull, "startup_64" },
	{ 0xffffffff81000100ull, "__pfx_do_one" },	/* lines out of order */
	{ 0xffffffff8100010full, "__pfx_do_one" },
	{ 0xffffffff81000110ull, "do_one" },
	{ 0xffffffff81000200ull, "sys_getpid" },	/* weak alias reads better */
	{ 0xffffffff81000350ull, "sys_getpid" },	/* data symbols are ignored */
	{ 0xffffffff81000400ull, "last_core_fn" },
	{ 0xffffffff810004ffull, "last_core_fn" },
	{ 0xffffffff81000500ull, NULL },		/* _etext */
	{ 0xffffffff81700000ull, NULL },
	{ 0xffffffff81800000ull, "init_fn" },		/* over _sinittext */
	{ 0xffffffff818000ffull, "init_fn" },
	{ 0xffffffff81800100ull, NULL },		/* _einittext */
	{ 0xffffffff82000000ull, NULL },		/* bss is not text */
	{ 0xffffffffc0001000ull, "mod_fn_a" },
	{ 0xffffffffc000107full, "mod_fn_a" },
	{ 0xffffffffc0001080ull, "mod_fn_b" },
	{ 0xffffffffc001107full, "mod_fn_b" },		/* within 64 KiB of a module's last */
	{ 0xffffffffc0011080ull, NULL },		/* beyond it */
	{ 0xffffffffc0100000ull, "other_fn" },
	{ 0xffffffffc010ffffull, "other_fn" },
	{ 0xffffffffc0110000ull, NULL },		/* past the table's last symbol */
	{ 0xffffffffffffffffull, NULL },
};

START_TEST(test_ksyms_lookup)
{
	struct ksyms *ks = ksyms__load_file(FIXTURES "kallsyms");
	const char *got;

	ck_assert_msg(ks, "cannot load fixture: %s", strerror(errno));
	ck_assert(!ksyms__restricted(ks));
	got = ksyms__name(ks, kcases[_i].addr);
	if (kcases[_i].name)
		ck_assert_msg(got && !strcmp(got, kcases[_i].name), "%#llx: want %s, got %s",
			      (unsigned long long)kcases[_i].addr, kcases[_i].name,
			      got ? got : "NULL");
	else
		ck_assert_msg(!got, "%#llx: want NULL, got %s",
			      (unsigned long long)kcases[_i].addr, got);
	ksyms__free(ks);
}
END_TEST

START_TEST(test_ksyms_restricted)
{
	struct ksyms *ks = ksyms__load_file(FIXTURES "kallsyms.restricted");

	ck_assert_msg(ks, "cannot load fixture: %s", strerror(errno));
	ck_assert(ksyms__restricted(ks));
	ck_assert_ptr_null(ksyms__name(ks, 0));
	ck_assert_ptr_null(ksyms__name(ks, 0xffffffff81000000ull));
	ksyms__free(ks);
}
END_TEST

START_TEST(test_ksyms_errors)
{
	errno = 0;
	ck_assert_ptr_null(ksyms__load_file(FIXTURES "kallsyms.empty"));
	ck_assert_int_eq(errno, ENODATA);
	errno = 0;
	ck_assert_ptr_null(ksyms__load_file(FIXTURES "no-such-file"));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert(!ksyms__restricted(NULL));
	ck_assert_ptr_null(ksyms__name(NULL, 1));
}
END_TEST

/* The live table: a function read from /proc/kallsyms resolves to itself. */
START_TEST(test_ksyms_live)
{
	unsigned long long addr = 0;
	char line[512], name[256], type;
	struct ksyms *ks;
	const char *got;
	FILE *f;

	f = fopen("/proc/kallsyms", "re");
	if (!f) {
		printf("check_syms: skip live kallsyms: cannot open /proc/kallsyms: %s\n",
		       strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) == 3 &&
		    type == 'T' && !strcmp(name, "vfs_read"))
			break;
		addr = 0;
	}
	fclose(f);
	ks = ksyms__load();
	ck_assert_msg(ks, "ksyms__load: %s", strerror(errno));
	if (ksyms__restricted(ks) || !addr) {
		printf("check_syms: skip live kallsyms: addresses hidden or no vfs_read\n");
		ksyms__free(ks);
		return;
	}
	got = ksyms__name(ks, addr + 1);
	ck_assert_msg(got && !strcmp(got, "vfs_read"), "got %s", got ? got : "NULL");
	ksyms__free(ks);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* User: this binary, libc                                                  */

int sym_alpha(int n);

/* A global function with a body long enough to hold the probed offsets. */
__attribute__((noinline)) int sym_alpha(int n)
{
	volatile int acc = 0;
	int i;

	for (i = 0; i < n; i++)
		acc += i * 3;
	return acc;
}

/* A local function: only .symtab knows its name. */
static __attribute__((noinline)) int sym_beta(int n)
{
	volatile int acc = 1;
	int i;

	for (i = 0; i < n; i++)
		acc *= i + 7;
	return acc;
}

static const struct {
	int (*fn)(int);
	unsigned int off;
	const char *name;
} selfcases[] = {
	{ sym_alpha, 0, "sym_alpha" },
	{ sym_alpha, 4, "sym_alpha" },
	{ sym_beta, 0, "sym_beta" },
	{ sym_beta, 4, "sym_beta" },
};

START_TEST(test_usyms_self)
{
	struct usyms *us = usyms__new();
	uint64_t addr = (uint64_t)(uintptr_t)selfcases[_i].fn + selfcases[_i].off;
	char buf[128];

	ck_assert_ptr_nonnull(us);
	ck_assert_int_eq(usyms__add_pid(us, getpid(), false), 0);
	ck_assert(usyms__has_pid(us, getpid()));
	ck_assert_str_eq(usyms__name(us, getpid(), addr, buf, sizeof(buf)), selfcases[_i].name);
	ck_assert_int_eq(selfcases[_i].fn(3) != -1, 1);
	usyms__free(us);
}
END_TEST

static const struct {
	const char *sym;	/* looked up with dlsym() */
	const char *want;	/* must occur in the resolved name */
} libccases[] = {
	{ "getpid", "getpid" },
	{ "fopen", "fopen" },
	{ "qsort", "qsort" },
};

START_TEST(test_usyms_libc)
{
	void *p = dlsym(RTLD_DEFAULT, libccases[_i].sym);
	struct usyms *us = usyms__new();
	char buf[128];

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(usyms__add_pid(us, getpid(), false), 0);
	usyms__name(us, getpid(), (uint64_t)(uintptr_t)p, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, libccases[_i].want) && buf[0] != '[',
		      "%s resolved to %s", libccases[_i].sym, buf);
	/* a few bytes in is still the same function */
	usyms__name(us, getpid(), (uint64_t)(uintptr_t)p + 2, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, libccases[_i].want), "%s+2 resolved to %s",
		      libccases[_i].sym, buf);
	usyms__free(us);
}
END_TEST

/* dl_iterate_phdr callback: the debug file path of libc from its build-id. */
static int libc_debug_path(struct dl_phdr_info *info, size_t size, void *arg)
{
	char *path = arg;
	int i;

	if (!strstr(info->dlpi_name, "/libc.so"))
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p, *end;

		if (ph->p_type != PT_NOTE)
			continue;
		p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const void *)p;
			const unsigned char *desc;
			size_t k;
			int n;

			desc = (const unsigned char *)(nh + 1) + ((nh->n_namesz + 3) & ~3u);
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    !memcmp(nh + 1, "GNU", 4) && nh->n_descsz > 1) {
				n = sprintf(path, "/usr/lib/debug/.build-id/%02x/", desc[0]);
				for (k = 1; k < nh->n_descsz && k < 64; k++)
					n += sprintf(path + n, "%02x", desc[k]);
				strcpy(path + n, ".debug");
				return 1;
			}
			p = (const char *)desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
	return 0;
}

/*
 * With libc's debug file installed, an IFUNC-selected implementation
 * (a local symbol such as __strlen_avx2, absent from .dynsym) has a name.
 */
START_TEST(test_usyms_libc_debug)
{
	size_t (*fn)(const char *) = dlsym(RTLD_DEFAULT, "strlen");
	char path[256] = "", buf[128];
	struct usyms *us;

	if (!dl_iterate_phdr(libc_debug_path, path) || access(path, R_OK)) {
		printf("check_syms: skip libc debug symbols: no debug file %s\n",
		       path[0] ? path : "(libc has no build-id)");
		return;
	}
	us = usyms__new();
	ck_assert_int_eq(usyms__add_pid(us, getpid(), false), 0);
	usyms__name(us, getpid(), (uint64_t)(uintptr_t)fn, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "strlen") && buf[0] != '[', "strlen resolved to %s", buf);
	usyms__free(us);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* User: mappings without symbols                                           */

START_TEST(test_usyms_anon)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	char *rw = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *rx = mmap(NULL, pg, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct usyms *us = usyms__new();
	char buf[64];

	ck_assert(rw != MAP_FAILED && rx != MAP_FAILED);
	ck_assert_int_eq(usyms__add_pid(us, getpid(), false), 0);
	ck_assert_str_eq(usyms__name(us, getpid(), (uintptr_t)rw + 16, buf, sizeof(buf)),
			 "[unknown]");
	ck_assert_str_eq(usyms__name(us, getpid(), (uintptr_t)rx + 16, buf, sizeof(buf)),
			 "[anon]");
	ck_assert_str_eq(usyms__name(us, getpid(), 0, buf, sizeof(buf)), "[unknown]");
	/* a pid never added */
	ck_assert_str_eq(usyms__name(us, getpid() + 1, (uintptr_t)sym_alpha, buf, sizeof(buf)),
			 "[unknown]");
	usyms__free(us);
	munmap(rw, pg);
	munmap(rx, pg);
}
END_TEST

/*
 * A non-ELF file mapped executable at file offset one page, then deleted:
 * "[name+0xoff]" with the file offset and the name without " (deleted)".
 */
START_TEST(test_usyms_file_offset)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	char tmpl[] = "/tmp/check-syms-XXXXXX", want[64], buf[64];
	char *data = calloc(1, 3 * pg), *map;
	struct usyms *us;
	int fd = mkstemp(tmpl);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, 3 * pg), (ssize_t)(3 * pg));
	map = mmap(NULL, pg, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, (off_t)pg);
	ck_assert(map != MAP_FAILED);
	close(fd);
	unlink(tmpl);
	free(data);
	us = usyms__new();
	ck_assert_int_eq(usyms__add_pid(us, getpid(), false), 0);
	snprintf(want, sizeof(want), "[%s+0x%zx]", strrchr(tmpl, '/') + 1, pg + 0x10);
	ck_assert_str_eq(usyms__name(us, getpid(), (uintptr_t)map + 0x10, buf, sizeof(buf)),
			 want);
	usyms__free(us);
	munmap(map, pg);
}
END_TEST

/*
 * libz is stripped: its static functions have no name, but .eh_frame_hdr
 * gives their starts, so addresses inside one share "[libz...+0xstart]"
 * with a start at or below their own file offset.
 */
START_TEST(test_usyms_stripped_starts)
{
	unsigned long long start = 0, end = 0, off = 0, a, fo;
	char line[512], buf[128], prev[128] = "", perms[8];
	struct usyms *us;
	int shared = 0, unnamed = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "/libz.so") &&
		    sscanf(line, "%llx-%llx %7s %llx", &start, &end, perms, &off) == 4 &&
		    perms[2] == 'x')
			break;
		start = 0;
	}
	fclose(f);
	if (!start) {
		printf("check_syms: skip stripped library: libz is not mapped executable\n");
		return;
	}
	us = usyms__new();
	ck_assert_int_eq(usyms__add_pid(us, getpid(), false), 0);
	for (a = start; a < end; a += 16) {
		usyms__name(us, getpid(), a, buf, sizeof(buf));
		ck_assert_msg(strcmp(buf, "[unknown]"), "%llx is [unknown]", a);
		if (!strncmp(buf, "[libz.so", 8)) {
			unnamed++;
			ck_assert_msg(sscanf(strchr(buf, '+'), "+0x%llx]", &fo) == 1, "%s", buf);
			ck_assert_msg(fo <= a - start + off, "%llx named %s", a, buf);
			if (!strcmp(buf, prev))
				shared++;
		}
		strcpy(prev, buf);
	}
	ck_assert_int_gt(unnamed, 0);
	ck_assert_msg(shared > unnamed / 2, "%d of %d unnamed addresses share a start",
		      shared, unnamed);
	usyms__free(us);
}
END_TEST

/* The vdso's ELF header is in no function: the mapping's name. */
START_TEST(test_usyms_vdso)
{
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	struct usyms *us;
	char buf[64];

	if (!base) {
		printf("check_syms: skip vdso: this process has none\n");
		return;
	}
	us = usyms__new();
	ck_assert_int_eq(usyms__add_pid(us, getpid(), false), 0);
	ck_assert_str_eq(usyms__name(us, getpid(), base, buf, sizeof(buf)), "[vdso]");
	usyms__free(us);
}
END_TEST

START_TEST(test_usyms_truncate)
{
	struct usyms *us = usyms__new();
	char buf[4];

	ck_assert_int_eq(usyms__add_pid(us, getpid(), false), 0);
	ck_assert_str_eq(usyms__name(us, getpid(), (uintptr_t)sym_alpha, buf, sizeof(buf)),
			 "sym");
	usyms__free(us);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* User: processes that come and go                                         */

/* Fork a child that waits for @fds[1] to close, then exits. */
static pid_t start_child(int fds[2])
{
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		close(fds[1]);
		while (read(fds[0], &c, 1) > 0)
			;
		_exit(sym_alpha(2) == 3 ? 0 : 1);
	}
	close(fds[0]);
	return pid;
}

/* Let the child from start_child() exit and reap it. */
static void stop_child(pid_t pid, int fds[2])
{
	int status;

	close(fds[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

START_TEST(test_usyms_exited_child)
{
	struct usyms *us = usyms__new();
	int fds[2], fds2[2];
	pid_t child = start_child(fds), child2 = start_child(fds2);
	char buf[64];

	ck_assert_int_eq(usyms__add_pid(us, child, false), 0);
	ck_assert_int_eq(usyms__add_pid(us, child2, false), 0);
	/* the second child holds the first pipe's write end: stop it first */
	stop_child(child2, fds2);
	stop_child(child, fds);

	ck_assert(usyms__has_pid(us, child));
	ck_assert_str_eq(usyms__name(us, child, (uintptr_t)sym_beta, buf, sizeof(buf)),
			 "sym_beta");
	ck_assert_str_eq(usyms__name(us, child2, (uintptr_t)sym_alpha + 1, buf, sizeof(buf)),
			 "sym_alpha");
	/* known: no refresh, no error; refreshing a gone process keeps the snapshot */
	ck_assert_int_eq(usyms__add_pid(us, child, false), 0);
	ck_assert_int_eq(usyms__add_pid(us, child, true), -ESRCH);
	ck_assert_str_eq(usyms__name(us, child, (uintptr_t)sym_beta, buf, sizeof(buf)),
			 "sym_beta");
	usyms__free(us);
}
END_TEST

START_TEST(test_usyms_gone)
{
	struct usyms *us = usyms__new();
	int fds[2];
	pid_t child = start_child(fds);

	stop_child(child, fds);
	ck_assert_int_eq(usyms__add_pid(us, child, false), -ESRCH);
	ck_assert(!usyms__has_pid(us, child));
	ck_assert_int_eq(usyms__add_pid(us, 0, false), -EINVAL);
	usyms__free(us);
}
END_TEST

/* Refreshing picks up a mapping made after the first snapshot. */
START_TEST(test_usyms_refresh)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	struct usyms *us = usyms__new();
	char buf[64], *rx;

	ck_assert_int_eq(usyms__add_pid(us, getpid(), false), 0);
	rx = mmap(NULL, pg, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(rx != MAP_FAILED);
	ck_assert_str_eq(usyms__name(us, getpid(), (uintptr_t)rx, buf, sizeof(buf)),
			 "[unknown]");
	ck_assert_int_eq(usyms__add_pid(us, getpid(), false), 0);
	ck_assert_str_eq(usyms__name(us, getpid(), (uintptr_t)rx, buf, sizeof(buf)),
			 "[unknown]");
	ck_assert_int_eq(usyms__add_pid(us, getpid(), true), 0);
	ck_assert_str_eq(usyms__name(us, getpid(), (uintptr_t)rx, buf, sizeof(buf)), "[anon]");
	ck_assert_str_eq(usyms__name(us, getpid(), (uintptr_t)sym_alpha, buf, sizeof(buf)),
			 "sym_alpha");
	usyms__free(us);
	munmap(rx, pg);
}
END_TEST

/* A tgid no process has: usyms__add_exe() does not need the process. */
#define GONE_TGID	4194305

/* This process's executable as the kernel sees it (/proc/self/stat start/end code). */
static void self_exe(struct usyms_exe *exe, char *path, size_t len)
{
	unsigned long long start = 0, end = 0;
	char stat_line[1024], *p;
	struct stat st;
	ssize_t n;
	FILE *f;

	n = readlink("/proc/self/exe", path, len - 1);
	ck_assert_int_gt(n, 0);
	path[n] = '\0';
	ck_assert_int_eq(stat(path, &st), 0);
	f = fopen("/proc/self/stat", "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(stat_line, sizeof(stat_line), f));
	fclose(f);
	/* fields after the comm: state is field 3, startcode 26, endcode 27 */
	p = strrchr(stat_line, ')');
	ck_assert_ptr_nonnull(p);
	p += 2;
	for (int field = 3; field < 26; field++) {
		p = strchr(p, ' ');
		ck_assert_ptr_nonnull(p);
		p++;
	}
	ck_assert_int_eq(sscanf(p, "%llu %llu", &start, &end), 2);
	*exe = (struct usyms_exe){
		.path = path, .major = major(st.st_dev), .minor = minor(st.st_dev),
		.ino = st.st_ino, .start = start, .end = end,
	};
}

/* How the executable is described, and what sym_beta is then called. */
static const struct exe_case {
	int ino_delta;		/* added to the real inode: another file */
	bool bad_path;
	const char *want;	/* exact name, or a prefix ending in "+0x" */
} exe_cases[] = {
	{ 0, false, "sym_beta" },
	{ 1, false, "[check_syms+0x" },
	{ 0, true, "[no-such-file+0x" },
};

/* A process known by its executable alone names that executable's functions. */
START_TEST(test_usyms_exe)
{
	const struct exe_case *c = &exe_cases[_i];
	struct usyms *us = usyms__new();
	char path[4096], buf[128];
	struct usyms_exe exe;
	const char *name;

	ck_assert_ptr_nonnull(us);
	self_exe(&exe, path, sizeof(path));
	exe.ino += c->ino_delta;
	if (c->bad_path)
		exe.path = "/nonexistent/no-such-file";
	ck_assert_int_eq(usyms__add_exe(us, GONE_TGID, &exe), 0);
	ck_assert(usyms__has_pid(us, GONE_TGID));
	name = usyms__name(us, GONE_TGID, (uintptr_t)sym_beta + 2, buf, sizeof(buf));
	if (c->want[strlen(c->want) - 1] == 'x')
		ck_assert_msg(!strncmp(name, c->want, strlen(c->want)), "%s", name);
	else
		ck_assert_str_eq(name, c->want);
	/* below the code: no mapping */
	ck_assert_str_eq(usyms__name(us, GONE_TGID, exe.start - 1, buf, sizeof(buf)), "[unknown]");
	exe.end = exe.start;
	ck_assert_int_eq(usyms__add_exe(us, GONE_TGID, &exe), -EINVAL);
	usyms__free(us);
}
END_TEST

/* Deferred files: snapshots read maps only, names still come, also after the process exited. */
START_TEST(test_usyms_deferred)
{
	struct usyms *us = usyms__new();
	int fds[2];
	pid_t child = start_child(fds);
	char buf[64];

	ck_assert_ptr_nonnull(us);
	usyms__defer(us, true);
	ck_assert_int_eq(usyms__add_pid(us, getpid(), false), 0);
	ck_assert_int_eq(usyms__add_pid(us, child, false), 0);
	stop_child(child, fds);
	ck_assert_str_eq(usyms__name(us, child, (uintptr_t)sym_beta, buf, sizeof(buf)),
			 "sym_beta");
	ck_assert_str_eq(usyms__name(us, getpid(), (uintptr_t)sym_alpha + 1, buf, sizeof(buf)),
			 "sym_alpha");
	usyms__free(us);
}
END_TEST

/*
 * The mapping of this process holding @addr, as a BPF program would note
 * it: the file's path, device and inode, and @addr's offset in the file.
 */
static void self_file_of(uint64_t addr, struct usyms_file *file, char *path, size_t len,
			 uint64_t *off)
{
	unsigned long long start, end, pgoff, ino;
	unsigned int maj, min;
	char line[4096], perms[8];
	FILE *f = fopen("/proc/self/maps", "re");
	bool found = false;
	int pos;

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &pgoff,
			   &maj, &min, &ino, &pos) != 7 || addr < start || addr >= end)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(path, len, "%s", line + pos);
		*file = (struct usyms_file){ .path = path, .major = maj, .minor = min, .ino = ino };
		*off = addr - start + pgoff;
		found = true;
	}
	fclose(f);
	ck_assert_msg(found, "no mapping holds %llx", (unsigned long long)addr);
}

/* Which file offset is named, how the file is described, and the name wanted. */
static const struct file_case {
	const char *sym;	/* dlsym() name, or NULL: sym_beta */
	int ino_delta;		/* added to the real inode: another file */
	bool bad_path;
	const char *want;	/* must occur in the name; NULL: exactly "[base+0xoff]" */
} file_cases[] = {
	{ NULL, 0, false, "sym_beta" },
	{ "getpid", 0, false, "getpid" },
	{ "qsort", 0, false, "qsort" },
	{ NULL, 1, false, NULL },
	{ "getpid", 1, false, NULL },
	{ NULL, 0, true, NULL },
};

/*
 * A file offset in a file known only by path, device and inode (what a BPF
 * program notes at an event) names the function there, with no process:
 * only when the path still is that inode.
 */
START_TEST(test_usyms_name_file)
{
	const struct file_case *c = &file_cases[_i];
	void *p = c->sym ? dlsym(RTLD_DEFAULT, c->sym) : (void *)sym_beta;
	struct usyms *us = usyms__new();
	char path[4096], buf[128], want[256];
	struct usyms_file file;
	uint64_t off;

	ck_assert_ptr_nonnull(us);
	ck_assert_ptr_nonnull(p);
	self_file_of((uintptr_t)p + 2, &file, path, sizeof(path), &off);
	file.ino += c->ino_delta;
	if (c->bad_path)
		file.path = "/nonexistent/no-such-file";
	usyms__name_file(us, &file, off, buf, sizeof(buf));
	if (c->want) {
		ck_assert_msg(strstr(buf, c->want) && buf[0] != '[', "%s", buf);
	} else {
		snprintf(want, sizeof(want), "[%s+0x%llx]", strrchr(file.path, '/') + 1,
			 (unsigned long long)off);
		ck_assert_str_eq(buf, want);
	}
	/* the second time from the cache: the same */
	ck_assert_str_eq(usyms__name_file(us, &file, off, want, sizeof(want)), buf);
	ck_assert_str_eq(usyms__name_file(NULL, &file, off, buf, sizeof(buf)), "[unknown]");
	usyms__free(us);
}
END_TEST

/*
 * Named by file offset, every address of stripped libz's code gets the
 * name a snapshot of the live process gives: the same tables (.dynsym,
 * .eh_frame_hdr starts), reached by path instead of by process.
 */
START_TEST(test_usyms_name_file_same)
{
	void *p = dlsym(RTLD_DEFAULT, "crc32");
	char path[4096], a[128], b[128];
	struct usyms *live, *byfile;
	struct usyms_file file;
	uint64_t off, start;
	int named = 0, unnamed = 0;

	if (!p) {
		printf("check_syms: skip name by file: libz is not loaded\n");
		return;
	}
	live = usyms__new();
	byfile = usyms__new();
	ck_assert_int_eq(usyms__add_pid(live, getpid(), false), 0);
	self_file_of((uintptr_t)p, &file, path, sizeof(path), &off);
	start = (uintptr_t)p - off;	/* where offset 0 would be */
	for (uint64_t o = off & ~0xfffull; o < (off & ~0xfffull) + 0x4000; o += 8) {
		usyms__name(live, getpid(), start + o, a, sizeof(a));
		usyms__name_file(byfile, &file, o, b, sizeof(b));
		if (!strcmp(a, "[unknown]"))
			continue;	/* past the mapping */
		ck_assert_msg(!strcmp(a, b), "offset %llx: %s by process, %s by file",
			      (unsigned long long)o, a, b);
		if (a[0] == '[')
			unnamed++;
		else
			named++;
	}
	ck_assert_int_gt(named, 0);
	ck_assert_int_gt(unnamed, 0);
	usyms__free(live);
	usyms__free(byfile);
}
END_TEST

static Suite *syms_suite(void)
{
	Suite *s = suite_create("syms");
	TCase *tc;

	tc = tcase_create("kernel");
	tcase_add_loop_test(tc, test_ksyms_lookup, 0, sizeof(kcases) / sizeof(kcases[0]));
	tcase_add_test(tc, test_ksyms_restricted);
	tcase_add_test(tc, test_ksyms_errors);
	tcase_add_test(tc, test_ksyms_live);
	suite_add_tcase(s, tc);

	tc = tcase_create("user-functions");
	tcase_add_loop_test(tc, test_usyms_self, 0, sizeof(selfcases) / sizeof(selfcases[0]));
	tcase_add_loop_test(tc, test_usyms_libc, 0, sizeof(libccases) / sizeof(libccases[0]));
	tcase_add_test(tc, test_usyms_libc_debug);
	suite_add_tcase(s, tc);

	tc = tcase_create("user-mappings");
	tcase_add_test(tc, test_usyms_anon);
	tcase_add_test(tc, test_usyms_file_offset);
	tcase_add_test(tc, test_usyms_stripped_starts);
	tcase_add_test(tc, test_usyms_vdso);
	tcase_add_test(tc, test_usyms_truncate);
	suite_add_tcase(s, tc);

	tc = tcase_create("user-processes");
	tcase_add_test(tc, test_usyms_exited_child);
	tcase_add_test(tc, test_usyms_gone);
	tcase_add_test(tc, test_usyms_refresh);
	tcase_add_loop_test(tc, test_usyms_exe, 0, sizeof(exe_cases) / sizeof(exe_cases[0]));
	tcase_add_test(tc, test_usyms_deferred);
	suite_add_tcase(s, tc);

	tc = tcase_create("user-files");
	tcase_add_loop_test(tc, test_usyms_name_file, 0, sizeof(file_cases) / sizeof(file_cases[0]));
	tcase_add_test(tc, test_usyms_name_file_same);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(syms_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
