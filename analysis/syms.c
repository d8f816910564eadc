// SPDX-License-Identifier: GPL-2.0
/*
 * syms.c - address to symbol resolution for kernel and user stacks.
 *
 * Kernel: /proc/kallsyms text symbols in one array sorted by address,
 * aliases folded to one preferred name, searched by bisection.
 *
 * User: each process is a sorted array of its executable mappings (a "map
 * set"); forked workers share one set because their layouts are identical.
 * Each mapped file is a "dso" opened once per (device, inode) and reduced to
 * a sorted array of function symbols plus its PT_LOAD headers, so that a
 * lookup is two bisections and a copy into the caller's buffer: no
 * allocation and no I/O after usyms__add_pid().
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <zlib.h>

#include "procfs.h"
#include "syms.h"

/* How long a snapshot waits for /proc/PID/maps before giving up on it. */
#define USYMS_MAPS_TIMEOUT_MS 200

#define DEBUG_ROOT	"/usr/lib/debug"
/* How far past the last symbol of a module (or of the table) still counts. */
#define KSYM_TAIL_MAX	0x10000
/* Bound on remembered processes: 16 bytes each, map sets are shared. */
#define USYMS_MAX_PROCS	(1u << 20)
#define DSO_BUCKETS	256
#define SET_BUCKETS	1024

/* DWARF pointer encodings used by .eh_frame_hdr */
#define DW_EH_PE_udata4		0x03
#define DW_EH_PE_udata8		0x04
#define DW_EH_PE_sdata4		0x0b
#define DW_EH_PE_sdata8		0x0c
#define DW_EH_PE_datarel	0x30

/* ------------------------------------------------------------------------ */
/* String blob shared by both sides: names live in one growing buffer.      */

struct strbuf {
	char *buf;
	size_t len, cap;
};

/* Append @s (up to @n bytes) and a NUL; returns its offset or -ENOMEM. */
static long strbuf__add(struct strbuf *sb, const char *s, size_t n)
{
	size_t off = sb->len;

	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 4096;
		char *p;

		while (cap < sb->len + n + 1)
			cap *= 2;
		p = realloc(sb->buf, cap);
		if (!p)
			return -ENOMEM;
		sb->buf = p;
		sb->cap = cap;
	}
	memcpy(sb->buf + off, s, n);
	sb->buf[off + n] = '\0';
	sb->len += n + 1;
	return (long)off;
}

/* Release the slack of a finished blob; keeps the old buffer if that fails. */
static char *strbuf__finish(struct strbuf *sb)
{
	char *p;

	if (!sb->buf)
		return NULL;
	p = realloc(sb->buf, sb->len);
	return p ? p : sb->buf;
}

/* Count leading underscores: aliases with fewer read better in a profile. */
static unsigned int name__underscores(const char *s)
{
	unsigned int n = 0;

	while (s[n] == '_')
		n++;
	return n;
}

/* Grow an array of @size-byte elements to hold at least @need of them. */
static int array__grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Kernel symbols                                                           */

struct ksym {
	uint64_t addr;
	uint32_t name;		/* offset in ks->strs */
	uint32_t group;		/* run of lines from one module (0: core kernel) */
	uint8_t end;		/* end-of-text marker: addresses here are no function */
	uint8_t rank;		/* smaller is the preferred alias */
};

struct ksyms {
	struct ksym *syms;
	size_t nr;
	char *strs;
	bool restricted;
};

/*
 * Names that mark where a text region stops rather than where a function
 * starts: an address resolving to one of them lies outside kernel text.
 */
static bool ksym__is_end_marker(const char *name)
{
	size_t n = strlen(name);

	if (!strcmp(name, "_etext") || !strcmp(name, "_einittext"))
		return true;
	return n > 9 && !strncmp(name, "__", 2) && !strcmp(name + n - 9, "_text_end");
}

/*
 * Order aliases at one address: real functions before end markers, then
 * fewer leading underscores ("getpid" over "__getpid"), then global over
 * local over weak, so the surviving name is stable and readable.
 */
static uint8_t ksym__rank(const char *name, char type, bool end)
{
	unsigned int u = name__underscores(name);
	uint8_t bind = type == 'T' ? 0 : type == 't' ? 1 : 2;

	if (u > 15)
		u = 15;
	return (uint8_t)((end ? 0x80 : 0) | (u << 2) | bind);
}

/* qsort order: address, then preferred alias first. */
static int ksym__cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (int)x->rank - (int)y->rank;
}

/*
 * Parse one kallsyms line "addr type name[\t[module]]" into its parts.
 * Returns false for malformed lines.
 */
static bool ksym__parse_line(char *line, uint64_t *addr, char *type, char **name,
			     char **mod)
{
	char *p, *end;

	errno = 0;
	*addr = strtoull(line, &end, 16);
	if (errno || end == line || *end != ' ')
		return false;
	p = end + 1;
	if (!*p || p[1] != ' ')
		return false;
	*type = *p;
	*name = p + 2;
	p = *name + strcspn(*name, " \t\n");
	*mod = NULL;
	if (*p && *p != '\n') {
		char *m = p + strspn(p, " \t");

		if (*m == '[')
			*mod = m;
	}
	*p = '\0';
	return **name != '\0';
}

/* Sort, fold aliases to their best name and drop the rest. */
static void ksyms__fold(struct ksyms *ks)
{
	size_t i, out = 0;

	qsort(ks->syms, ks->nr, sizeof(*ks->syms), ksym__cmp);
	for (i = 0; i < ks->nr; i++) {
		if (out && ks->syms[out - 1].addr == ks->syms[i].addr)
			continue;
		ks->syms[out++] = ks->syms[i];
	}
	ks->nr = out;
}

/* Read every text symbol of @f; sets ks->restricted when all are hidden. */
static int ksyms__read(struct ksyms *ks, FILE *f)
{
	struct strbuf sb = { 0 };
	size_t cap = 0, lines = 0, nonzero = 0, linecap = 0;
	char *line = NULL, *prev_mod = NULL;
	uint32_t group = 0;
	int err = 0;

	while (getline(&line, &linecap, f) > 0) {
		char type, *name, *mod;
		uint64_t addr;
		long off;
		bool end;

		if (!ksym__parse_line(line, &addr, &type, &name, &mod))
			continue;
		lines++;
		if (addr)
			nonzero++;
		if (!strchr("tTwW", type) || !addr)
			continue;
		if (!mod != !prev_mod || (mod && strcmp(mod, prev_mod))) {
			free(prev_mod);
			prev_mod = mod ? strdup(mod) : NULL;
			if (mod && !prev_mod) {
				err = -ENOMEM;
				break;
			}
			group++;
		}
		err = array__grow((void **)&ks->syms, &cap, ks->nr + 1, sizeof(*ks->syms));
		off = err ? err : strbuf__add(&sb, name, strlen(name));
		if (off < 0) {
			err = (int)off;
			break;
		}
		end = ksym__is_end_marker(name);
		ks->syms[ks->nr++] = (struct ksym){
			.addr = addr, .name = (uint32_t)off, .group = group,
			.end = end, .rank = ksym__rank(name, type, end),
		};
	}
	free(line);
	free(prev_mod);
	ks->strs = strbuf__finish(&sb);
	if (err)
		return err;
	if (!lines)
		return -ENODATA;
	if (!nonzero) {
		ks->restricted = true;
		ks->nr = 0;
		return 0;
	}
	ksyms__fold(ks);
	return 0;
}

/* Load kernel text symbols from a kallsyms-format file at @path. */
struct ksyms *ksyms__load_file(const char *path)
{
	struct ksyms *ks;
	FILE *f;
	int err;

	f = fopen(path, "re");
	if (!f)
		return NULL;
	ks = calloc(1, sizeof(*ks));
	if (!ks) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	err = ksyms__read(ks, f);
	fclose(f);
	if (err) {
		ksyms__free(ks);
		errno = -err;
		return NULL;
	}
	return ks;
}

/* Load the running kernel's symbols from /proc/kallsyms. */
struct ksyms *ksyms__load(void)
{
	return ksyms__load_file("/proc/kallsyms");
}

/* Free a table from ksyms__load(); NULL is fine. */
void ksyms__free(struct ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->strs);
	free(ks);
}

/* True when kptr_restrict hid every address, so no name can be given. */
bool ksyms__restricted(const struct ksyms *ks)
{
	return ks && ks->restricted;
}

/*
 * The function containing @addr: the last symbol at or below it, unless
 * that is an end-of-text marker, or the symbol is the last of its module
 * (or of the table) and @addr lies more than KSYM_TAIL_MAX past it.
 */
const char *ksyms__name(const struct ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi, i;
	const struct ksym *s;

	if (!ks || !ks->nr || addr < ks->syms[0].addr)
		return NULL;
	hi = ks->nr;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	i = lo;
	s = &ks->syms[i];
	if (s->end)
		return NULL;
	if ((i + 1 == ks->nr || ks->syms[i + 1].group != s->group) &&
	    addr - s->addr >= KSYM_TAIL_MAX)
		return NULL;
	return ks->strs + s->name;
}

/* ------------------------------------------------------------------------ */
/* User symbols: one dso per mapped file                                    */

struct usym {
	uint64_t start;
	uint32_t size;
	uint32_t name;		/* offset in dso->strs, or USYM_NONAME */
};

/* A function start known only from .eh_frame_hdr: it has no name. */
#define USYM_NONAME	UINT32_MAX

struct uload {
	uint64_t offset, vaddr, filesz;
	uint32_t flags;		/* PF_X, PF_W, PF_R */
};

struct udso {
	struct udso *next;	/* hash chain */
	unsigned int major, minor;
	uint64_t ino;
	char *label;		/* basename, or "[vdso]" */
	bool is_exec;		/* ET_EXEC: runtime address is the vaddr */
	struct uload *loads;
	size_t nr_loads;
	struct usym *syms;
	size_t nr_syms;
	char *strs;
	/* deferred (usyms__defer()): where to read the file on first lookup */
	bool pending;
	char *path;
	pid_t tgid;
	uint64_t map_start, map_end;
};

struct umap {
	uint64_t start, end, offset;
	struct udso *dso;	/* NULL: anonymous or special mapping */
	const char *label;	/* dso->label or a static "[...]" name */
};

struct umapset {
	struct umapset *next;	/* hash chain */
	uint64_t hash;
	unsigned int refs;
	size_t nr;
	struct umap maps[];
};

struct uproc {
	pid_t tgid;
	struct umapset *set;
};

struct usyms {
	struct uproc *procs;	/* sorted by tgid */
	size_t nr_procs, cap_procs;
	struct udso *dsos[DSO_BUCKETS];
	struct umapset *sets[SET_BUCKETS];
	struct udso *vdso;	/* this process's vdso, for same-sized ones */
	uint64_t vdso_len;
	bool vdso_tried;
	bool defer;		/* read files on first lookup, not at snapshot */
	pid_t last_tgid;	/* one-entry cache for usyms__name() */
	struct umapset *last_set;
};

static const char label_unknown[] = "[unknown]";
static const char label_anon[] = "[anon]";
static const char label_vdso[] = "[vdso]";
static const char label_vsyscall[] = "[vsyscall]";

/* Free a dso and everything it owns. */
static void udso__free(struct udso *d)
{
	if (!d)
		return;
	free(d->label);
	free(d->path);
	free(d->loads);
	free(d->syms);
	free(d->strs);
	free(d);
}

/* qsort order for user symbols: address, then preferred alias first. */
static int usym__cmp(const void *a, const void *b, void *arg)
{
	const struct usym *x = a, *y = b;
	const char *strs = arg, *nx, *ny;
	unsigned int ux, uy;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if ((x->name == USYM_NONAME) != (y->name == USYM_NONAME))
		return x->name == USYM_NONAME ? 1 : -1;
	if (x->name == USYM_NONAME)
		return 0;
	nx = strs + x->name;
	ny = strs + y->name;
	if (!x->size != !y->size)
		return x->size ? -1 : 1;
	ux = name__underscores(nx);
	uy = name__underscores(ny);
	if (ux != uy)
		return ux < uy ? -1 : 1;
	return strcmp(nx, ny);
}

/*
 * Append the function symbols of symbol table section @scn, dropping
 * undefined ones and any "@VERSION" suffix.
 */
static int udso__read_symtab(struct udso *d, Elf *elf, Elf_Scn *scn, GElf_Shdr *sh,
			     struct strbuf *sb, size_t *cap)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, n;

	if (!data || !sh->sh_entsize)
		return 0;
	n = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < n; i++) {
		GElf_Sym sym;
		const char *name;
		long off;
		int t;

		if (!gelf_getsym(data, (int)i, &sym))
			break;
		t = GELF_ST_TYPE(sym.st_info);
		if ((t != STT_FUNC && t != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
		    !sym.st_value)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name || *name == '@')
			continue;
		if (array__grow((void **)&d->syms, cap, d->nr_syms + 1, sizeof(*d->syms)))
			return -ENOMEM;
		off = strbuf__add(sb, name, strcspn(name, "@"));
		if (off < 0)
			return (int)off;
		d->syms[d->nr_syms++] = (struct usym){
			.start = sym.st_value,
			.size = sym.st_size > UINT32_MAX ? UINT32_MAX : (uint32_t)sym.st_size,
			.name = (uint32_t)off,
		};
	}
	return 0;
}

/*
 * Add the function starts listed in .eh_frame_hdr's binary search table as
 * nameless symbols. A stripped binary keeps this table (it is needed for
 * unwinding), so samples in its unnamed functions still group by function
 * as "[file+0xstart]" instead of scattering over instruction addresses.
 * Only the usual encoding (datarel sdata4 pairs) is read.
 */
static int udso__read_eh_frame_hdr(struct udso *d, Elf_Scn *scn, GElf_Shdr *sh, size_t *cap)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	const unsigned char *p;
	size_t ptr_size, i, n;
	int32_t pair[2];
	uint32_t count;

	if (!data || data->d_size < 12 || sh->sh_type != SHT_PROGBITS)
		return 0;
	p = data->d_buf;
	/* version 1; eh_frame_ptr any 4/8-byte form; count udata4; table datarel|sdata4 */
	if (p[0] != 1 || p[2] != DW_EH_PE_udata4 || p[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
		return 0;
	switch (p[1] & 0x0f) {
	case DW_EH_PE_udata4: case DW_EH_PE_sdata4:
		ptr_size = 4;
		break;
	case DW_EH_PE_udata8: case DW_EH_PE_sdata8:
		ptr_size = 8;
		break;
	default:
		return 0;
	}
	if (4 + ptr_size + 4 > data->d_size)
		return 0;
	memcpy(&count, p + 4 + ptr_size, 4);
	p += 4 + ptr_size + 4;
	n = (data->d_size - (size_t)(p - (const unsigned char *)data->d_buf)) / sizeof(pair);
	if (count < n)
		n = count;
	if (array__grow((void **)&d->syms, cap, d->nr_syms + n, sizeof(*d->syms)))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		memcpy(pair, p + i * sizeof(pair), sizeof(pair));
		d->syms[d->nr_syms++] = (struct usym){
			.start = sh->sh_addr + (int64_t)pair[0], .size = 0, .name = USYM_NONAME,
		};
	}
	return 0;
}

/* Find the first section of type @type; fills @sh. */
static Elf_Scn *elf__find_section(Elf *elf, Elf64_Word type, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		if (gelf_getshdr(scn, sh) && sh->sh_type == type)
			return scn;
	}
	return NULL;
}

/* Find a section by name; fills @sh. */
static Elf_Scn *elf__find_named(Elf *elf, const char *want, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh->sh_name);
		if (name && !strcmp(name, want))
			return scn;
	}
	return NULL;
}

/* Copy the GNU build-id of @elf into @id; returns its length or 0. */
static size_t elf__build_id(Elf *elf, unsigned char *id, size_t max)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((char *)data->d_buf + name_off, "GNU", 4) &&
			    nh.n_descsz && nh.n_descsz <= max) {
				memcpy(id, (char *)data->d_buf + desc_off, nh.n_descsz);
				return nh.n_descsz;
			}
		}
	}
	return 0;
}

/* An open ELF file: descriptor and libelf handle released together. */
struct elf_file {
	int fd;
	Elf *elf;
};

/* Open @path as ELF; false (nothing held) if it is not one. */
static bool elf_file__open(struct elf_file *ef, const char *path)
{
	ef->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ef->fd < 0)
		return false;
	ef->elf = elf_begin(ef->fd, ELF_C_READ_MMAP, NULL);
	if (ef->elf && elf_kind(ef->elf) == ELF_K_ELF)
		return true;
	elf_end(ef->elf);
	close(ef->fd);
	return false;
}

/* Release what elf_file__open() took. */
static void elf_file__close(struct elf_file *ef)
{
	elf_end(ef->elf);
	close(ef->fd);
}

/* CRC32 of a whole file, as .gnu_debuglink records it; false on read error. */
static bool file__crc32(int fd, uint32_t *crc)
{
	unsigned char buf[65536];
	uLong c = crc32(0L, Z_NULL, 0);
	off_t pos = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), pos)) > 0) {
		c = crc32(c, buf, (uInt)n);
		pos += n;
	}
	*crc = (uint32_t)c;
	return n == 0;
}

/*
 * Open a separate debug file with a .symtab for @elf (mapped from @path):
 * first /usr/lib/debug/.build-id/xx/rest.debug, then the .gnu_debuglink
 * name in the binary's directory, its .debug/ and under /usr/lib/debug.
 * A debuglink candidate must match the build-id, or the CRC when there is
 * none, so a stale debug package is not believed.
 */
static bool udso__open_debug(Elf *elf, const char *path, struct elf_file *out)
{
	unsigned char id[64], did[64];
	char buf[PATH_MAX], dir[PATH_MAX];
	size_t idlen = elf__build_id(elf, id, sizeof(id)), dlen, crc_off, i;
	const char *link, *slash;
	Elf_Data *data;
	GElf_Shdr sh;
	Elf_Scn *scn;
	uint32_t want_crc;
	int n;

	if (idlen) {
		n = snprintf(buf, sizeof(buf), DEBUG_ROOT "/.build-id/%02x/", id[0]);
		for (i = 1; i < idlen && n < (int)sizeof(buf) - 8; i++)
			n += snprintf(buf + n, sizeof(buf) - n, "%02x", id[i]);
		snprintf(buf + n, sizeof(buf) - n, ".debug");
		if (elf_file__open(out, buf)) {
			if (elf__find_section(out->elf, SHT_SYMTAB, &sh))
				return true;
			elf_file__close(out);
		}
	}

	scn = elf__find_named(elf, ".gnu_debuglink", &sh);
	data = scn ? elf_getdata(scn, NULL) : NULL;
	if (!data || data->d_size < 8)
		return false;
	link = data->d_buf;
	dlen = strnlen(link, data->d_size);
	crc_off = (dlen + 4) & ~(size_t)3;
	if (!dlen || crc_off + 4 > data->d_size || memchr(link, '/', dlen))
		return false;
	memcpy(&want_crc, (const char *)data->d_buf + crc_off, 4);
	slash = strrchr(path, '/');
	if (!slash)
		return false;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);

	for (i = 0; i < 3; i++) {
		static const char *const fmt[] = { "%s/%s", "%s/.debug/%s", DEBUG_ROOT "%s/%s" };
		bool ok;

		if (snprintf(buf, sizeof(buf), fmt[i], dir, link) >= (int)sizeof(buf) ||
		    !strcmp(buf, path) || !elf_file__open(out, buf))
			continue;
		ok = elf__find_section(out->elf, SHT_SYMTAB, &sh) != NULL;
		if (ok && idlen) {
			ok = elf__build_id(out->elf, did, sizeof(did)) == idlen &&
			     !memcmp(id, did, idlen);
		} else if (ok) {
			uint32_t crc;

			ok = file__crc32(out->fd, &crc) && crc == want_crc;
		}
		if (ok)
			return true;
		elf_file__close(out);
	}
	return false;
}

/* Sort and fold aliases, keeping the preferred name and the largest size. */
static void udso__fold(struct udso *d)
{
	size_t i, out = 0;

	qsort_r(d->syms, d->nr_syms, sizeof(*d->syms), usym__cmp, d->strs);
	for (i = 0; i < d->nr_syms; i++) {
		struct usym *keep = out ? &d->syms[out - 1] : NULL;

		if (keep && keep->start == d->syms[i].start) {
			if (d->syms[i].size > keep->size)
				keep->size = d->syms[i].size;
			continue;
		}
		d->syms[out++] = d->syms[i];
	}
	d->nr_syms = out;
	if (!out) {
		free(d->syms);
		d->syms = NULL;
	}
}

/*
 * Fill @d from @elf: its PT_LOAD headers (to turn file offsets into
 * addresses) and the function symbols of the best table available:
 * .symtab, else a debug file's .symtab, else .dynsym. @path is where the
 * file was found, for the debuglink search; NULL skips debug files.
 */
static int udso__read_elf(struct udso *d, Elf *elf, const char *path)
{
	struct strbuf sb = { 0 };
	struct elf_file dbg;
	size_t i, nph, cap = 0;
	GElf_Ehdr eh;
	GElf_Shdr sh;
	Elf_Scn *scn;
	int err = 0;

	if (!gelf_getehdr(elf, &eh))
		return 0;
	d->is_exec = eh.e_type == ET_EXEC;
	if (!elf_getphdrnum(elf, &nph) && nph) {
		d->loads = calloc(nph, sizeof(*d->loads));
		if (!d->loads)
			return -ENOMEM;
		for (i = 0; i < nph; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
				continue;
			d->loads[d->nr_loads++] = (struct uload){
				.offset = ph.p_offset, .vaddr = ph.p_vaddr, .filesz = ph.p_filesz,
				.flags = ph.p_flags,
			};
		}
	}

	scn = elf__find_section(elf, SHT_SYMTAB, &sh);
	if (scn) {
		err = udso__read_symtab(d, elf, scn, &sh, &sb, &cap);
	} else if (path && udso__open_debug(elf, path, &dbg)) {
		scn = elf__find_section(dbg.elf, SHT_SYMTAB, &sh);
		err = udso__read_symtab(d, dbg.elf, scn, &sh, &sb, &cap);
		elf_file__close(&dbg);
	} else {
		scn = elf__find_section(elf, SHT_DYNSYM, &sh);
		if (scn)
			err = udso__read_symtab(d, elf, scn, &sh, &sb, &cap);
		scn = elf__find_named(elf, ".eh_frame_hdr", &sh);
		if (scn && !err)
			err = udso__read_eh_frame_hdr(d, scn, &sh, &cap);
	}
	d->strs = strbuf__finish(&sb);
	if (err)
		return err;
	udso__fold(d);
	return 0;
}

/* A new dso named @label with nothing read yet. */
static struct udso *udso__new(const char *label, unsigned int major, unsigned int minor,
			      uint64_t ino)
{
	struct udso *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->label = strdup(label);
	if (!d->label) {
		free(d);
		return NULL;
	}
	d->major = major;
	d->minor = minor;
	d->ino = ino;
	return d;
}

/* Does @fd hold the file with this device and inode? */
static bool fd__is(int fd, unsigned int major, unsigned int minor, uint64_t ino)
{
	struct stat st;

	return !fstat(fd, &st) && st.st_ino == ino && major(st.st_dev) == major &&
	       minor(st.st_dev) == minor;
}

/*
 * Open the file behind one mapping of @tgid: its path when that still is
 * the same inode, else the kernel's handle on the mapped file
 * (/proc/PID/map_files, which also covers deleted files and memfds), else
 * the path inside the process's root (containers). With no process
 * (@tgid 0) only the path.
 */
static bool umap__open_file(pid_t tgid, const struct umap *m, const char *path,
			    unsigned int major, unsigned int minor, uint64_t ino,
			    struct elf_file *ef)
{
	char buf[PATH_MAX];

	if (path[0] == '/' && elf_file__open(ef, path)) {
		if (fd__is(ef->fd, major, minor, ino))
			return true;
		elf_file__close(ef);
	}
	if (tgid <= 0)
		return false;	/* no process: the path alone */
	snprintf(buf, sizeof(buf), "/proc/%d/map_files/%llx-%llx", (int)tgid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	if (elf_file__open(ef, buf))
		return true;
	if (path[0] != '/' ||
	    snprintf(buf, sizeof(buf), "/proc/%d/root%s", (int)tgid, path) >= (int)sizeof(buf))
		return false;
	if (elf_file__open(ef, buf)) {
		if (fd__is(ef->fd, major, minor, ino))
			return true;
		elf_file__close(ef);
	}
	return false;
}

/* Bucket of a (device, inode) key. */
static unsigned int udso__bucket(unsigned int major, unsigned int minor, uint64_t ino)
{
	uint64_t h = (ino * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)major << 20 | minor);

	return (unsigned int)(h >> 32) % DSO_BUCKETS;
}

/*
 * The dso for a file mapping, read on first sight of its (device, inode);
 * a file that cannot be opened or read still gets a dso without symbols,
 * so it is neither retried nor lost from the "[file+0xoff]" names.
 */
static struct udso *usyms__get_dso(struct usyms *us, pid_t tgid, const struct umap *m,
				   const char *path, unsigned int major, unsigned int minor,
				   uint64_t ino)
{
	unsigned int b = udso__bucket(major, minor, ino);
	const char *base = strrchr(path, '/');
	struct elf_file ef;
	struct udso *d;

	for (d = us->dsos[b]; d; d = d->next) {
		if (d->ino == ino && d->major == major && d->minor == minor)
			return d;
	}
	d = udso__new(base ? base + 1 : path, major, minor, ino);
	if (!d)
		return NULL;
	if (us->defer) {
		d->path = strdup(path);
		if (!d->path) {
			udso__free(d);
			return NULL;
		}
		d->pending = true;
		d->tgid = tgid;
		d->map_start = m->start;
		d->map_end = m->end;
	} else if (umap__open_file(tgid, m, path, major, minor, ino, &ef)) {
		int err = udso__read_elf(d, ef.elf, path);

		elf_file__close(&ef);
		if (err) {
			udso__free(d);
			return NULL;
		}
	}
	d->next = us->dsos[b];
	us->dsos[b] = d;
	return d;
}

/*
 * Read a deferred dso's file now: through the process that mapped it if it
 * still lives, else by path if that still is the same inode. A file that
 * cannot be read leaves a dso without symbols ("[file+0xoff]" names).
 */
static void udso__load(struct udso *d)
{
	struct umap m = { .start = d->map_start, .end = d->map_end };
	struct elf_file ef;

	if (!d->pending)
		return;
	d->pending = false;
	if (umap__open_file(d->tgid, &m, d->path, d->major, d->minor, d->ino, &ef)) {
		/* on failure (no memory) whatever was read is dropped: no symbols */
		if (udso__read_elf(d, ef.elf, d->path)) {
			free(d->loads);
			free(d->syms);
			free(d->strs);
			d->loads = NULL;
			d->syms = NULL;
			d->strs = NULL;
			d->nr_loads = d->nr_syms = 0;
		}
		elf_file__close(&ef);
	}
	free(d->path);
	d->path = NULL;
}

/*
 * Our own vdso, read from memory (a private copy: libelf must not touch the
 * mapping). Other processes' vdsos are the same image when their mapping
 * has the same length, which tells a 64-bit vdso from a compat one.
 */
static void usyms__load_vdso(struct usyms *us)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
	uint64_t size = 0, page = (uint64_t)sysconf(_SC_PAGESIZE);
	const Elf64_Phdr *ph;
	struct udso *d;
	char *copy;
	Elf *elf;
	int i;

	us->vdso_tried = true;
	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return;
	if (eh->e_shoff)
		size = eh->e_shoff + (uint64_t)eh->e_shnum * eh->e_shentsize;
	ph = (const Elf64_Phdr *)((const char *)eh + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset + ph[i].p_filesz > size)
			size = ph[i].p_offset + ph[i].p_filesz;
	}
	if (!size || size > (1u << 20))
		return;
	copy = malloc(size);
	d = udso__new(label_vdso, 0, 0, 0);
	if (!copy || !d)
		goto out_free;
	memcpy(copy, eh, size);
	elf = elf_memory(copy, size);
	if (elf && elf_kind(elf) == ELF_K_ELF && !udso__read_elf(d, elf, NULL)) {
		us->vdso = d;
		us->vdso_len = (size + page - 1) & ~(page - 1);
		d = NULL;
	}
	elf_end(elf);
out_free:
	udso__free(d);
	free(copy);
}

/* ------------------------------------------------------------------------ */
/* Map sets and processes                                                   */

/* Hash of a map set's content, to find an identical set to share. */
static uint64_t umapset__hash(const struct umap *maps, size_t nr)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < nr; i++) {
		const uint64_t v[5] = { maps[i].start, maps[i].end, maps[i].offset,
					(uintptr_t)maps[i].dso, (uintptr_t)maps[i].label };
		size_t k;

		for (k = 0; k < 5; k++)
			h = (h ^ v[k]) * 0x100000001b3ull;
	}
	return h;
}

/* Drop one reference to @set, unlinking and freeing it at zero. */
static void usyms__put_set(struct usyms *us, struct umapset *set)
{
	struct umapset **pp;

	if (!set || --set->refs)
		return;
	for (pp = &us->sets[set->hash % SET_BUCKETS]; *pp; pp = &(*pp)->next) {
		if (*pp == set) {
			*pp = set->next;
			break;
		}
	}
	if (us->last_set == set)
		us->last_set = NULL;
	free(set);
}

/* A referenced set equal to @maps: an existing one shared, or a new copy. */
static struct umapset *usyms__get_set(struct usyms *us, const struct umap *maps, size_t nr)
{
	uint64_t h = umapset__hash(maps, nr);
	struct umapset *s;

	for (s = us->sets[h % SET_BUCKETS]; s; s = s->next) {
		if (s->hash == h && s->nr == nr && !memcmp(s->maps, maps, nr * sizeof(*maps))) {
			s->refs++;
			return s;
		}
	}
	s = malloc(sizeof(*s) + nr * sizeof(*maps));
	if (!s)
		return NULL;
	s->hash = h;
	s->refs = 1;
	s->nr = nr;
	if (nr)
		memcpy(s->maps, maps, nr * sizeof(*maps));
	s->next = us->sets[h % SET_BUCKETS];
	us->sets[h % SET_BUCKETS] = s;
	return s;
}

/* Index of @tgid in us->procs, or where it would be inserted (*found false). */
static size_t usyms__find_proc(const struct usyms *us, pid_t tgid, bool *found)
{
	size_t lo = 0, hi = us->nr_procs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (us->procs[mid].tgid < tgid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < us->nr_procs && us->procs[lo].tgid == tgid;
	return lo;
}

/* Is @tgid a zombie (exited, not reaped: it has no address space left)? */
static bool proc__is_zombie(pid_t tgid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

/* Parse one maps line into @m (label and dso filled by the caller). */
static bool umap__parse(char *line, struct umap *m, char **path, unsigned int *major,
			unsigned int *minor, uint64_t *ino)
{
	unsigned long long start, end, off, inode;
	char perms[5];
	int n = 0;
	char *p;

	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms, &off,
		   major, minor, &inode, &n) < 7 || !n)
		return false;
	if (perms[2] != 'x')
		return false;
	p = line + n;
	p[strcspn(p, "\n")] = '\0';
	m->start = start;
	m->end = end;
	m->offset = off;
	*ino = inode;
	*path = p;
	return true;
}

/*
 * Turn one executable mapping into its entry: file mappings get their dso,
 * "[vdso]" ours when it is the same image, anything else is anonymous.
 */
static int usyms__fill_map(struct usyms *us, pid_t tgid, struct umap *m, char *path,
			   unsigned int major, unsigned int minor, uint64_t ino)
{
	size_t n = strlen(path);
	static const char deleted[] = " (deleted)";

	m->dso = NULL;
	if (!strcmp(path, label_vdso)) {
		if (!us->vdso_tried)
			usyms__load_vdso(us);
		if (us->vdso && us->vdso_len == m->end - m->start)
			m->dso = us->vdso;
		m->label = label_vdso;
		return 0;
	}
	if (!strcmp(path, label_vsyscall)) {
		m->label = label_vsyscall;
		return 0;
	}
	if (!ino || !*path || *path == '[') {
		m->label = label_anon;
		return 0;
	}
	if (n > sizeof(deleted) - 1 && !strcmp(path + n - (sizeof(deleted) - 1), deleted))
		path[n - (sizeof(deleted) - 1)] = '\0';
	m->dso = usyms__get_dso(us, tgid, m, path, major, minor, ino);
	if (!m->dso)
		return -ENOMEM;
	m->label = m->dso->label;
	return 0;
}

/* Read the executable mappings of @tgid into a fresh array. */
static int usyms__read_maps(struct usyms *us, pid_t tgid, struct umap **out, size_t *nr)
{
	char path[64], *line = NULL, *text;
	size_t linecap = 0, cap = 0, lines = 0, len;
	struct umap *maps = NULL;
	int err;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)tgid);
	/* maps takes the process's mmap lock: read it with a timeout */
	err = procfs__slurp(path, USYMS_MAPS_TIMEOUT_MS, &text, &len);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	*nr = 0;
	if (!len) {		/* no mappings: a kernel thread, or exiting */
		free(text);
		*out = NULL;
		return proc__is_zombie(tgid) ? -ESRCH : 0;
	}
	f = fmemopen(text, len, "r");
	if (!f) {
		free(text);
		return -errno;
	}
	while (getline(&line, &linecap, f) > 0) {
		unsigned int major, minor;
		struct umap m;
		uint64_t ino;
		char *file;

		lines++;
		if (!umap__parse(line, &m, &file, &major, &minor, &ino))
			continue;
		err = usyms__fill_map(us, tgid, &m, file, major, minor, ino);
		if (!err)
			err = array__grow((void **)&maps, &cap, *nr + 1, sizeof(*maps));
		if (err)
			break;
		maps[(*nr)++] = m;
	}
	if (!err && ferror(f))
		err = errno == ESRCH ? -ESRCH : -EIO;
	free(line);
	fclose(f);
	free(text);
	if (!err && !lines && proc__is_zombie(tgid))
		err = -ESRCH;
	if (err) {
		free(maps);
		return err;
	}
	*out = maps;
	return 0;
}

/* A new, empty resolver. */
struct usyms *usyms__new(void)
{
	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = ENOSYS;
		return NULL;
	}
	return calloc(1, sizeof(struct usyms));
}

/* From now on, read files at their first lookup instead of at the snapshot. */
void usyms__defer(struct usyms *us, bool defer)
{
	if (us)
		us->defer = defer;
}

/* Free the resolver, every snapshot and every dso. NULL is fine. */
void usyms__free(struct usyms *us)
{
	size_t i;

	if (!us)
		return;
	for (i = 0; i < DSO_BUCKETS; i++) {
		while (us->dsos[i]) {
			struct udso *d = us->dsos[i];

			us->dsos[i] = d->next;
			udso__free(d);
		}
	}
	for (i = 0; i < SET_BUCKETS; i++) {
		while (us->sets[i]) {
			struct umapset *s = us->sets[i];

			us->sets[i] = s->next;
			free(s);
		}
	}
	udso__free(us->vdso);
	free(us->procs);
	free(us);
}

/* Make @maps (@nr of them) the snapshot of @tgid, replacing an older one. */
static int usyms__set_proc(struct usyms *us, pid_t tgid, const struct umap *maps, size_t nr)
{
	struct umapset *set;
	size_t idx;
	bool found;

	idx = usyms__find_proc(us, tgid, &found);
	if (!found && us->nr_procs >= USYMS_MAX_PROCS)
		return -ENOSPC;
	set = usyms__get_set(us, maps, nr);
	if (!set)
		return -ENOMEM;
	if (found) {
		usyms__put_set(us, us->procs[idx].set);
		us->procs[idx].set = set;
	} else {
		if (array__grow((void **)&us->procs, &us->cap_procs, us->nr_procs + 1,
				sizeof(*us->procs))) {
			usyms__put_set(us, set);
			return -ENOMEM;
		}
		memmove(&us->procs[idx + 1], &us->procs[idx],
			(us->nr_procs - idx) * sizeof(*us->procs));
		us->procs[idx] = (struct uproc){ .tgid = tgid, .set = set };
		us->nr_procs++;
	}
	if (us->last_tgid == tgid)
		us->last_set = set;
	return 0;
}

/*
 * Snapshot the executable mappings of @tgid. A known process is left as it
 * is unless @refresh; a failed refresh keeps the old snapshot.
 */
int usyms__add_pid(struct usyms *us, pid_t tgid, bool refresh)
{
	struct umap *maps = NULL;
	size_t nr = 0;
	int err;

	if (!us || tgid <= 0)
		return -EINVAL;
	if (usyms__has_pid(us, tgid) && !refresh)
		return 0;
	err = usyms__read_maps(us, tgid, &maps, &nr);
	if (err)
		return err;
	err = usyms__set_proc(us, tgid, maps, nr);
	free(maps);
	return err;
}

/*
 * Describe @tgid by its executable alone (one mapping, @exe->start to
 * @exe->end): the code's file offset is that of the lowest executable
 * PT_LOAD, the segment the kernel's start_code points at. The file is
 * opened by path and used only if it still is the inode @exe names.
 */
int usyms__add_exe(struct usyms *us, pid_t tgid, const struct usyms_exe *exe)
{
	struct umap m = { .start = exe->start, .end = exe->end };
	const struct uload *low = NULL;
	struct udso *d;

	if (!us || tgid <= 0 || !exe->path || exe->end <= exe->start)
		return -EINVAL;
	d = usyms__get_dso(us, tgid, &m, exe->path, exe->major, exe->minor, exe->ino);
	if (!d)
		return -ENOMEM;
	udso__load(d);
	/* No loads: not readable, or another file now; a dso without symbols. */
	for (size_t i = 0; i < d->nr_loads; i++)
		if ((d->loads[i].flags & PF_X) && (!low || d->loads[i].vaddr < low->vaddr))
			low = &d->loads[i];
	if (low)
		m.offset = low->offset;
	m.dso = d;
	m.label = d->label;
	return usyms__set_proc(us, tgid, &m, 1);
}

/* Has @tgid been snapshot? */
bool usyms__has_pid(const struct usyms *us, pid_t tgid)
{
	bool found = false;

	if (us)
		usyms__find_proc(us, tgid, &found);
	return found;
}

/* The function of @d containing ELF virtual address @vaddr, or NULL. */
static const struct usym *udso__lookup(const struct udso *d, uint64_t vaddr)
{
	size_t lo = 0, hi = d->nr_syms;
	const struct usym *s;

	if (!hi || vaddr < d->syms[0].start)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->syms[mid].start <= vaddr)
			lo = mid;
		else
			hi = mid;
	}
	s = &d->syms[lo];
	if (s->size ? vaddr - s->start >= s->size :
		      lo + 1 < d->nr_syms && vaddr >= d->syms[lo + 1].start)
		return NULL;
	return s;
}

/* Copy @s into @buf of @len bytes, truncating; cheaper than snprintf("%s"). */
static void name__copy(char *buf, size_t len, const char *s)
{
	size_t n = strnlen(s, len - 1);

	memcpy(buf, s, n);
	buf[n] = '\0';
}

/* ELF virtual address of file offset @off through the PT_LOAD holding it. */
static bool udso__offset_to_vaddr(const struct udso *d, uint64_t off, uint64_t *vaddr)
{
	size_t i;

	for (i = 0; i < d->nr_loads; i++) {
		const struct uload *l = &d->loads[i];

		if (off >= l->offset && off - l->offset < l->filesz) {
			*vaddr = off - l->offset + l->vaddr;
			return true;
		}
	}
	return false;
}

/* The mapping of @set covering @addr, or NULL. */
static const struct umap *umapset__find(const struct umapset *set, uint64_t addr)
{
	size_t lo = 0, hi = set->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct umap *m = &set->maps[mid];

		if (addr < m->start)
			hi = mid;
		else if (addr >= m->end)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

/*
 * Name file offset @off of @d (mapped as @label) into @buf: the function,
 * else "[label+0xoff]" for a file, or @label itself for the vdso and
 * mappings without a file. @addr, if not NULL, is the runtime address:
 * for an ET_EXEC file that is the ELF virtual address. Shared by usyms__name()
 * (live snapshots) and usyms__name_file() (files the kernel noted).
 */
static const char *udso__name(const struct usyms *us, struct udso *d, const char *label,
			      uint64_t off, const uint64_t *addr, char *buf, size_t len)
{
	const struct usym *sym = NULL;
	uint64_t vaddr = 0;
	bool have = false;

	if (d) {
		udso__load(d);
		if (d->is_exec && addr) {
			vaddr = *addr;
			have = true;
		} else {
			have = udso__offset_to_vaddr(d, off, &vaddr);
		}
		if (have)
			sym = udso__lookup(d, vaddr);
		if (sym && sym->name == USYM_NONAME && vaddr - sym->start <= off) {
			/* an unnamed function: name it by its start */
			off -= vaddr - sym->start;
			sym = NULL;
		}
	}
	if (sym && sym->name != USYM_NONAME)
		name__copy(buf, len, d->strs + sym->name);
	else if (d && d != us->vdso)
		snprintf(buf, len, "[%s+0x%llx]", label, (unsigned long long)off);
	else
		name__copy(buf, len, label);
	return buf;
}

/*
 * Name @addr of @tgid into @buf: the function, else "[file+0xoff]" for a
 * file mapping, the mapping's own name ("[vdso]", "[anon]") for others, or
 * "[unknown]". Not thread-safe: it keeps a one-process lookup cache.
 */
const char *usyms__name(struct usyms *us, pid_t tgid, uint64_t addr, char *buf, size_t len)
{
	const struct umapset *set = NULL;
	const struct umap *m = NULL;

	if (!buf || !len)
		return buf;
	if (us && us->last_set && us->last_tgid == tgid) {
		set = us->last_set;
	} else if (us) {
		bool found;
		size_t i = usyms__find_proc(us, tgid, &found);

		if (found) {
			set = us->procs[i].set;
			us->last_tgid = tgid;
			us->last_set = us->procs[i].set;
		}
	}
	if (set)
		m = umapset__find(set, addr);
	if (!m) {
		name__copy(buf, len, label_unknown);
		return buf;
	}
	return udso__name(us, m->dso, m->label, addr - m->start + m->offset, &addr, buf, len);
}

/*
 * Name offset @off of the file @file describes into @buf: the function,
 * else "[basename+0xoff]". The file is read once per (device, inode), by
 * its path, and only if that path still is that inode.
 */
const char *usyms__name_file(struct usyms *us, const struct usyms_file *file, uint64_t off,
			     char *buf, size_t len)
{
	struct umap m = { 0 };
	struct udso *d;

	if (!buf || !len)
		return buf;
	if (!us || !file || !file->path || !file->path[0]) {
		name__copy(buf, len, label_unknown);
		return buf;
	}
	d = usyms__get_dso(us, 0, &m, file->path, file->major, file->minor, file->ino);
	if (!d) {
		const char *base = strrchr(file->path, '/');

		snprintf(buf, len, "[%s+0x%llx]", base ? base + 1 : file->path,
			 (unsigned long long)off);
		return buf;
	}
	return udso__name(us, d, d->label, off, NULL, buf, len);
}
