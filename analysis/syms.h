/* SPDX-License-Identifier: GPL-2.0 */
/*
 * syms.h - address to symbol resolution for kernel and user stacks.
 *
 * Kernel: /proc/kallsyms. When kptr_restrict hides the addresses (all zero),
 * ksyms__load() still succeeds and ksyms__restricted() says so; hldbench
 * never changes kptr_restrict itself.
 *
 * User: usyms__add_pid() snapshots /proc/PID/maps while the process lives
 * and opens each mapped ELF file once (keyed by device and inode, so many
 * processes of one binary share it). Names come from .symtab, else .dynsym
 * (stripped binaries), else a separate debug file found by build-id or
 * .gnu_debuglink under /usr/lib/debug. A process that has exited still
 * resolves if it was added while it lived. usyms__name_file() names a file
 * offset in a file known by path, device and inode alone (what a BPF
 * program notes at the event: bpf/ustack-files.bpf.h).
 */
#ifndef HLD_SYMS_H
#define HLD_SYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ksyms;
struct usyms;

struct ksyms *ksyms__load(void);	/* NULL and errno on failure */
/* The same from a file in /proc/kallsyms format (tests, saved snapshots). */
struct ksyms *ksyms__load_file(const char *path);
void ksyms__free(struct ksyms *ks);
bool ksyms__restricted(const struct ksyms *ks);
/* Function name containing @addr, or NULL. */
const char *ksyms__name(const struct ksyms *ks, uint64_t addr);

struct usyms *usyms__new(void);
void usyms__free(struct usyms *us);
/* Snapshot the maps of @tgid (again if @refresh). 0 or -errno (-ESRCH if gone). */
int usyms__add_pid(struct usyms *us, pid_t tgid, bool refresh);
bool usyms__has_pid(const struct usyms *us, pid_t tgid);

/*
 * Defer reading ELF files: snapshots taken from now on read only
 * /proc/PID/maps (cheap enough for a profiler's poll thread), and each file
 * is read at the first name looked up in it, through the process if it
 * still lives, else by its path if that still is the same inode.
 */
void usyms__defer(struct usyms *us, bool defer);

/* A process's executable as the kernel saw it: what is left of an exited process. */
struct usyms_exe {
	const char *path;		/* at the time it ran */
	unsigned int major, minor;	/* device and inode of that file */
	uint64_t ino;
	uint64_t start, end;		/* mm->start_code, mm->end_code */
};

/*
 * Snapshot @tgid as its executable's code alone, for a process that exited
 * before it could be snapshot: its executable's frames resolve, shared
 * libraries' frames are "[unknown]". If the file at @exe->path is no longer
 * that inode, frames are "[name+0xoff]". 0 or -errno.
 */
int usyms__add_exe(struct usyms *us, pid_t tgid, const struct usyms_exe *exe);
/*
 * Name for @addr in @tgid, written into @buf: "func", or "[file+0xoff]"
 * (basename of the mapped file, file offset) when the file has no symbol for
 * it, or "[unknown]" when no mapping covers it. Returns @buf.
 */
const char *usyms__name(struct usyms *us, pid_t tgid, uint64_t addr, char *buf, size_t len);

/* A mapped file as the kernel saw it, e.g. noted by a BPF program at the time. */
struct usyms_file {
	const char *path;		/* at the time it was mapped */
	unsigned int major, minor;	/* device and inode of that file */
	uint64_t ino;
};

/*
 * Name offset @off in @file (no process needed: it may have exited long
 * ago) into @buf: "func" from the same symbol tables as usyms__name(), or
 * "[basename+0xoff]" when the file has no symbol there, cannot be read, or
 * its path now is another inode. Returns @buf.
 */
const char *usyms__name_file(struct usyms *us, const struct usyms_file *file, uint64_t off,
			     char *buf, size_t len);

#endif /* HLD_SYMS_H */
