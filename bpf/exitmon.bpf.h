/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * exitmon.bpf.h - exit-monitor: the ring buffer sample exitmon.bpf.c emits
 * and bpf/exitmon.c reads.
 *
 * It is struct exitmon_event (include/hld_ustack.h, shared with the kernel
 * module): the shared struct hld_exit_record followed by, for each user
 * frame, the file mapped at that address and the offset in that file,
 * looked up by the program itself while the exiting task still has its
 * memory (bpf/ustack-files.bpf.h). User space then places the frames
 * without reading /proc/PID/maps, which is gone by the time the record is
 * read and which can block for long under load. hdr.len covers the whole
 * sample.
 */
#ifndef HLD_EXITMON_BPF_H
#define HLD_EXITMON_BPF_H

#include "hld_record.h"
#include "ustack-files.bpf.h"

#endif /* HLD_EXITMON_BPF_H */
