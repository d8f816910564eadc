/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ustack-files.bpf.h - the file and file offset of each frame of a user
 * stack, looked up by the BPF program itself (bpf_find_vma(), which only
 * try-locks the mm) while the task's memory is still there, for frames of
 * a process that exits long before the report, with no hldbench process
 * running when it ran and no /proc/PID/maps to read. Each distinct file is
 * also identified by device and inode, and its full path (the dentry chain
 * up to the root of the mount namespace, walked here once per file) goes
 * into the ustack_paths map, so that user space can open the file later,
 * check it still is that inode and name the function
 * (ustack_files__symbol(), bpf/ustack-files.c), else show
 * "[file+0xoffset]". Used by exit-monitor, high-order, reboot and
 * tracepoint (exit-monitor's kernel module fills struct ustack_files too,
 * kmod/feat_exitmon.c); perf keeps its processes' executables' paths the same way.
 */
#ifndef HLD_USTACK_FILES_BPF_H
#define HLD_USTACK_FILES_BPF_H

#include "hld_record.h"
#include "hld_ustack.h"	/* the structs, shared with the kernel module */

#ifdef __bpf__

/* File id -> path, for every file a recorded frame lies in. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, USTACK_PATHS);
	__type(key, struct ustack_file_id);
	__type(value, struct ustack_path);
} ustack_paths SEC(".maps");

/* Where a path is built before it goes into ustack_paths (too big for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ustack_path);
} ustack_path_scratch SEC(".maps");

__u64 nr_ustack_paths = 0;		/* paths written into ustack_paths */
__u64 nr_ustack_path_fail = 0;		/* files whose path could not be kept */

__noinline int ustack_files__note_path(__u64 file, __u64 ino, __u32 dev);

/*
 * Make sure the path of @file (struct file *, inode @ino on device @dev)
 * is in ustack_paths: one lookup when it is, else the dentry chain walked
 * up to the root of the mount namespace, crossing mount points (as
 * d_path() would, bounded). A global function: the verifier checks it
 * once, not once per state of the frame walk that calls it. 0, or 1 when
 * the path could not be kept.
 */
__noinline int ustack_files__note_path(__u64 file, __u64 ino, __u32 dev)
{
	struct ustack_file_id id = { .ino = ino, .dev = dev };
	struct file *f = (struct file *)file;
	struct dentry *d, *parent, *mnt_root;
	struct ustack_path *p;
	struct mount *mnt;
	__u32 zero = 0, n = 0;

	if (bpf_map_lookup_elem(&ustack_paths, &id))
		return 0;
	p = bpf_map_lookup_elem(&ustack_path_scratch, &zero);
	if (!p)
		return 1;
	d = BPF_CORE_READ(f, f_path.dentry);
	mnt = container_of(BPF_CORE_READ(f, f_path.mnt), struct mount, mnt);
	for (int k = 0; k < USTACK_PATH_NAMES * 2 && n < USTACK_PATH_NAMES; k++) {
		mnt_root = BPF_CORE_READ(mnt, mnt.mnt_root);
		if (d == mnt_root) {
			struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

			if (up == mnt)
				break;	/* the root of the namespace */
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = up;
			continue;
		}
		parent = BPF_CORE_READ(d, d_parent);
		if (parent == d || n >= USTACK_PATH_NAMES)
			break;
		bpf_probe_read_kernel_str(p->names[n], USTACK_PATH_NAME_LEN,
					  BPF_CORE_READ(d, d_name.name));
		n++;
		d = parent;
	}
	p->nr_names = n;
	if (!n || bpf_map_update_elem(&ustack_paths, &id, p, BPF_ANY)) {
		__sync_fetch_and_add(&nr_ustack_path_fail, 1);
		return 1;
	}
	__sync_fetch_and_add(&nr_ustack_paths, 1);
	return 0;
}

/*
 * A program that only keeps paths (perf: its processes' executables)
 * defines USTACK_FILES_PATHS_ONLY before including this: no frame walk.
 */
#ifndef USTACK_FILES_PATHS_ONLY

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
	/* read, not loaded: a plain number, which a global function accepts */
	bpf_probe_read_kernel(&v->file, sizeof(v->file), &vma->vm_file);
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
		uf->ids[nf].ino = BPF_CORE_READ(f, f_inode, i_ino);
		uf->ids[nf].dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
		uf->ids[nf].pad = 0;
		ustack_files__note_path(v.file, uf->ids[nf].ino, uf->ids[nf].dev);
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

#endif /* USTACK_FILES_PATHS_ONLY */

#elif !defined(__KERNEL__) /* user space; the kernel module uses the structs only */

#include <stdio.h>

struct usyms;

/*
 * Rebuild into @path (@len bytes) the path ustack_paths (@paths_fd) keeps
 * for the file @id. 0 or -errno (-ENOENT: not kept, or maybe cut).
 */
int ustack_files__path(int paths_fd, const struct ustack_file_id *id, char *path, size_t len);

/*
 * Frame @i of @uf named by function: the frame's file is opened by the
 * path the program kept in ustack_paths (@paths_fd), if it still is the
 * same inode, and its symbols read through @us (cached by inode). Return
 * addresses (frames past the first) are looked up one byte back, at the
 * call. Falls back to "[file+0xoffset]"; NULL when the mapping is unknown.
 */
const char *ustack_files__symbol(const struct ustack_files *uf, unsigned int i, int paths_fd,
				 struct usyms *us, char *buf, size_t len);

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

#endif /* __bpf__, user space */

#endif /* HLD_USTACK_FILES_BPF_H */
