/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * hld_ustack.h - user stacks placed in their files, as the BPF programs
 * (bpf/ustack-files.bpf.h, which documents the lookup) and the kernel
 * module (kmod/feat_exitmon.c) fill them and user space reads them, and
 * exit-monitor's sample, which carries one. Fixed-width types only, as in
 * hld_record.h.
 */
#ifndef HLD_USTACK_H
#define HLD_USTACK_H

#include "hld_record.h"

#define USTACK_FILES		8	/* distinct files named per stack */
#define USTACK_FILE_NAME	48	/* bytes of a file's base name */
#define USTACK_NO_FILE		0xff	/* idx: anonymous memory, or the lookup failed */
#define USTACK_VDSO		0xfe	/* idx: the vDSO */
#define USTACK_PATH_NAMES	12	/* path components kept, innermost first */
#define USTACK_PATH_NAME_LEN	48	/* bytes per component, NUL included */
#define USTACK_PATHS		2048	/* files whose path is kept (least recently used go) */

/* A mapped file: inode and device (kernel encoding: major << 20 | minor). */
struct ustack_file_id {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

/* Value of ustack_paths: a file's path, innermost component first. */
struct ustack_path {
	__u32 nr_names;		/* components in names[]; USTACK_PATH_NAMES: maybe cut */
	__u32 pad;
	char names[USTACK_PATH_NAMES][USTACK_PATH_NAME_LEN];
};

struct ustack_files {
	__u64 off[HLD_MAX_STACK];	/* offset of each frame in its file */
	__u8 idx[HLD_MAX_STACK];	/* index into files[], or USTACK_NO_FILE/VDSO */
	__u32 nr_frames;		/* frames looked up */
	__u32 nr_files;			/* valid entries in files[] */
	__s32 vma_err;			/* first bpf_find_vma() error (-EBUSY: mm locked), 0 if none */
	__u32 pad;
	char files[USTACK_FILES][USTACK_FILE_NAME];	/* base names */
	struct ustack_file_id ids[USTACK_FILES];	/* key of each file in ustack_paths */
};

/*
 * exit-monitor: the sample both backends emit (bpf/exitmon.bpf.c,
 * kmod/feat_exitmon.c): struct hld_exit_record, then for each user frame
 * the file mapped at that address and the offset in that file, looked up
 * while the exiting task still had its memory. hdr.len covers the whole
 * sample.
 */
struct exitmon_event {
	struct hld_exit_record rec;
	struct ustack_files uf;		/* file and offset of each rec.ustack[] frame */
};

#endif /* HLD_USTACK_H */
