/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * alloctop.bpf.h - alloc-top: the key of the per-process hash that
 * alloctop.bpf.c fills and bpf/alloctop.c drains (its value is struct
 * hld_alloctop_val in include/hld_record.h). Fixed-width types only.
 */
#ifndef HLD_ALLOCTOP_BPF_H
#define HLD_ALLOCTOP_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define ALLOCTOP_MAX_ENTRIES	16384	/* (process, generation) entries */

struct alloctop_key {
	__u32 tgid;
	__u32 gen;		/* 0 or 1: the generation counted into (gen & 1) */
};

#endif /* HLD_ALLOCTOP_BPF_H */
