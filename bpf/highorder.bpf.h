/* SPDX-License-Identifier: GPL-2.0 */
/*
 * highorder.bpf.h - high-order's count map key, shared by highorder.bpf.c
 * and highorder.c: the record format's key plus the generation it was
 * counted in, so that a report can drain exactly what was counted before it.
 */
#ifndef HLD_HIGHORDER_BPF_H
#define HLD_HIGHORDER_BPF_H

#include "hld_record.h"

struct highorder_gkey {
	struct hld_highorder_key k;
	__u32 gen;		/* the program's gen when it counted; report() flips gen */
	__u32 pad;
};

#endif /* HLD_HIGHORDER_BPF_H */
