/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * exitmon.bpf.h - exit-monitor: the ring buffer sample exitmon.bpf.c emits
 * and bpf/exitmon.c reads.
 *
 * It is the shared struct hld_exit_record (include/hld_record.h) followed by
 * what the BPF backend adds: for each user frame, the file mapped at that
 * address and the offset in that file, looked up by the program itself
 * (bpf_find_vma, which only ever try-locks the mm) while the exiting task
 * still has its memory. User space then names the frames without reading
 * /proc/PID/maps, which is gone by the time the record is read and which can
 * block for long under load. hdr.len covers the whole sample.
 */
#ifndef HLD_EXITMON_BPF_H
#define HLD_EXITMON_BPF_H

#include "hld_record.h"

#define EXITMON_FILES		8	/* distinct files named per exit */
#define EXITMON_FILE_NAME	48	/* bytes of a file's base name */
#define EXITMON_NO_FILE		0xff	/* file_idx: anonymous memory, or the lookup failed */
#define EXITMON_VDSO		0xfe	/* file_idx: the vDSO */

struct exitmon_event {
	struct hld_exit_record rec;
	__u64 file_off[HLD_MAX_STACK];	/* offset of each user frame in its file */
	__u8 file_idx[HLD_MAX_STACK];	/* index into files[], or EXITMON_NO_FILE/VDSO */
	__u32 nr_files;			/* valid entries in files[] */
	__s32 vma_err;			/* first bpf_find_vma() error (-EBUSY: mm locked), 0 if none */
	char files[EXITMON_FILES][EXITMON_FILE_NAME];	/* base names */
};

#endif /* HLD_EXITMON_BPF_H */
