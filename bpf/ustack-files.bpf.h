/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ustack-files.bpf.h - the file and file offset of each frame of a user
 * stack, looked up by the BPF program itself (bpf_find_vma(), which only
 * try-locks the mm) while the task's memory is still there. A report can
 * then show "[file+0xoffset]" for frames of a process that exited long
 * before, with no hldbench process running when it ran and no
 * /proc/PID/maps to read. Only the base name of the file is kept: function
 * names need the file itself, which user space names only while the
 * process lives. Used by high-order and reboot (bpf/highorder.bpf.c,
 * bpf/reboot.bpf.c) and their user sides.
 */
#ifndef HLD_USTACK_FILES_BPF_H
#define HLD_USTACK_FILES_BPF_H

#include "hld_record.h"

#define USTACK_FILES		8	/* distinct files named per stack */
#define USTACK_FILE_NAME	48	/* bytes of a file's base name */
#define USTACK_NO_FILE		0xff	/* idx: anonymous memory, or the lookup failed */
#define USTACK_VDSO		0xfe	/* idx: the vDSO */

struct ustack_files {
	__u64 off[HLD_MAX_STACK];	/* offset of each frame in its file */
	__u8 idx[HLD_MAX_STACK];	/* index into files[], or USTACK_NO_FILE/VDSO */
	__u32 nr_frames;		/* frames looked up */
	__u32 nr_files;			/* valid entries in files[] */
	__s32 vma_err;			/* first bpf_find_vma() error (-EBUSY: mm locked), 0 if none */
	__u32 pad;
	char files[USTACK_FILES][USTACK_FILE_NAME];	/* base names */
};

#ifdef __bpf__

/* What bpf_find_vma() tells about the mapping of one address. */
struct ustack_vma {
	__u64 start;
	__u64 pgoff;
	__u64 file;		/* struct file *, only compared and read through */
};

/* bpf_find_vma() callback: note where the mapping starts, its page offset and file. */
static long ustack_files__vma(struct task_struct *task, struct vm_area_struct *vma,
			      struct ustack_vma *v)
{
	v->start = vma->vm_start;
	v->pgoff = vma->vm_pgoff;
	v->file = (__u64)vma->vm_file;
	return 0;
}

/* The state of one ustack_files__fill() walk, for its bpf_loop() callback. */
struct ustack_walk {
	struct task_struct *task;
	const __u64 *ips;
	struct ustack_files *uf;
	__u64 vdso;
	__u64 seen[USTACK_FILES];	/* struct file * of each files[] entry */
	__u32 nr;
	__u32 nf;
	__u32 missed;
};

/* bpf_loop() callback: look up frame @i of the walk. 1 ends the loop. */
static long ustack_files__frame(__u32 i, struct ustack_walk *w)
{
	struct ustack_files *uf = w->uf;
	struct ustack_vma v = {};
	__u8 idx = USTACK_NO_FILE;
	__u64 addr;
	long err;

	if (i >= w->nr || i >= HLD_MAX_STACK)
		return 1;
	/* For the verifier, a mask the compiler cannot drop (HLD_MAX_STACK is a power of two). */
	asm volatile("" : "+r"(i));
	i &= HLD_MAX_STACK - 1;
	addr = w->ips[i];
	uf->nr_frames = i + 1;
	err = bpf_find_vma(w->task, addr, ustack_files__vma, &v, 0);
	if (err) {
		if (!uf->vma_err)
			uf->vma_err = err;
		w->missed++;
		uf->off[i] = 0;
		uf->idx[i] = USTACK_NO_FILE;
		return 0;
	}
	uf->off[i] = addr - v.start + (v.pgoff << 12);
	if (!v.file) {
		if (v.start == w->vdso) {
			uf->off[i] = addr - v.start;
			idx = USTACK_VDSO;
		}
		uf->idx[i] = idx;
		return 0;
	}
	for (__u32 j = 0; j < USTACK_FILES; j++) {
		if (j < w->nf && w->seen[j] == v.file) {
			idx = j;
			break;
		}
	}
	if (idx == USTACK_NO_FILE && w->nf < USTACK_FILES) {
		struct file *f = (struct file *)v.file;
		const unsigned char *name = BPF_CORE_READ(f, f_path.dentry, d_name.name);
		__u32 nf = w->nf & (USTACK_FILES - 1);

		idx = nf;
		w->seen[nf] = v.file;
		bpf_probe_read_kernel_str(uf->files[nf], USTACK_FILE_NAME, name);
		w->nf++;
	}
	uf->idx[i] = idx;
	return 0;
}

/*
 * Fill @uf for the @nr user addresses @ips of the current task: for each,
 * the file mapped there (an index into uf->files, one base name per
 * distinct file) and the offset in that file, as /proc/PID/maps would give
 * it. The walk runs under bpf_loop(), so the verifier checks one frame, not
 * every path through 64 of them. Returns the number of frames whose
 * mapping was not found.
 */
static __always_inline __u32 ustack_files__fill(struct ustack_files *uf, const __u64 *ips,
						__u32 nr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct ustack_walk w = {};

	w.task = task;
	w.vdso = (__u64)BPF_CORE_READ(task, mm, context.vdso);
	w.ips = ips;
	w.uf = uf;
	w.nr = nr;
	uf->nr_files = 0;
	uf->vma_err = 0;
	uf->nr_frames = 0;
	bpf_loop(HLD_MAX_STACK, ustack_files__frame, &w, 0);
	uf->nr_files = w.nf;
	return w.missed;
}

#else /* user space */

#include <stdio.h>

/*
 * Frame @i of @uf as "[file+0xoffset]" ("[vdso+0x...]") into @buf, or NULL
 * when its mapping is unknown (anonymous memory, or the lookup failed).
 */
static inline const char *ustack_files__name(const struct ustack_files *uf, unsigned int i,
					     char *buf, size_t len)
{
	const char *file;

	if (i >= uf->nr_frames || i >= HLD_MAX_STACK)
		return NULL;
	if (uf->idx[i] == USTACK_VDSO)
		file = "vdso";
	else if (uf->idx[i] < uf->nr_files && uf->idx[i] < USTACK_FILES &&
		 uf->files[uf->idx[i]][0])
		file = uf->files[uf->idx[i]];
	else
		return NULL;
	snprintf(buf, len, "[%.*s+0x%llx]", USTACK_FILE_NAME, file,
		 (unsigned long long)uf->off[i]);
	return buf;
}

#endif /* __bpf__ */

#endif /* HLD_USTACK_FILES_BPF_H */
