/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reboot.bpf.h - reboot: what reboot.bpf.c keeps beside each record and
 * reboot.c reads: the file and file offset of each user frame, in a slot
 * of the ufiles array parallel to the history (slot = seq % REBOOT_HISTORY).
 */
#ifndef HLD_REBOOT_BPF_H
#define HLD_REBOOT_BPF_H

#include "ustack-files.bpf.h"

#define REBOOT_HISTORY	64	/* calls kept in the history and ufiles arrays */

struct reboot_ufiles {
	__u64 seq;		/* the call these files belong to */
	struct ustack_files uf;
};

#endif /* HLD_REBOOT_BPF_H */
