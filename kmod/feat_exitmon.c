// SPDX-License-Identifier: GPL-2.0
/*
 * feat_exitmon.c - exit-monitor: one record per exiting task (or
 * thread-group leader) with its exit code and the user stack it exited
 * from, for read() on /dev/hld, in the eBPF backend's sample format
 * (struct exitmon_event, include/hld_ustack.h: struct hld_exit_record, then
 * the file and file offset of each user frame).
 *
 * sched_process_exit fires in do_exit() after task->exit_code is set and
 * the thread group's live count dropped, but on 6.1 and 6.12 after
 * exit_mm(): the user memory is gone by then. So with user stacks on, a
 * kprobe at do_exit()'s entry, where the task still has its mm and its
 * user registers (task_pt_regs(current)) are the ones it entered the
 * kernel with, walks the user stack by frame pointers with
 * copy_from_user_nofault(), and looks up each frame's mapping under
 * mmap_read_trylock() (never waits), into a slot of a preallocated table
 * claimed for the task (cmpxchg on the task pointer). The tracepoint then
 * fills the rest of the record in that slot, emits it and frees the slot.
 * Without user stacks the tracepoint alone claims the slot it builds the
 * record in. An exit that finds no free slot within XM_PROBES is lost and
 * counted (drops_cause[1]); one whose slot the kprobe could not claim but
 * the tracepoint could is recorded without its stack.
 */
#define pr_fmt(fmt) "hld: " fmt

#include <linux/atomic.h>
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/hash.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "hld.h"
#include "hld_ustack.h"

#define XM_TGID_MAX	4194304		/* harness/features.c: tgid */
#define XM_RINGBUF_MIN	4096ull		/* harness/features.c: ringbuf */
#define XM_RINGBUF_MAX	(1ull << 30)
#define XM_SLOT_BITS	8
#define XM_SLOTS	(1u << XM_SLOT_BITS)	/* tasks between do_exit() and the tracepoint */
#define XM_PROBES	16

/* A task on its way from do_exit() to sched_process_exit, with its stack. */
struct xm_slot {
	unsigned long task;		/* owner; 0: free */
	struct exitmon_event ev;
};

static struct tracepoint *xm_tp;
static struct kprobe xm_kp;
static struct hld_exit_settings xm_set;
static struct xm_slot *xm_slots;		/* XM_SLOTS, allocated at the first activation */
static bool xm_stacks;
static atomic64_t xm_exits;		/* exits that passed the filters */
static atomic64_t xm_drops;		/* of them, lost: ring full */
static atomic64_t xm_no_slot;		/* of them, lost: no free slot */
static atomic64_t xm_no_ustack;		/* records without a user stack, for whatever reason */
static atomic64_t xm_vma_err;		/* frames whose mapping could not be looked up */

/* The filters: user tasks, leaders unless all_threads, the tgid and the comm. */
static bool xm_pass(struct task_struct *t)
{
	if (t->flags & PF_KTHREAD)
		return false;
	if (!xm_set.all_threads && t->pid != t->tgid)
		return false;
	if (xm_set.tgid >= 0 && t->tgid != xm_set.tgid)
		return false;
	return !xm_set.comm[0] || !strncmp(t->comm, xm_set.comm, HLD_COMM_LEN);
}

/*
 * Walk current's user stack by frame pointers from the registers it entered
 * the kernel with: the interrupted address, then the return address of each
 * frame. Frames must go up the stack. 0 or -EFAULT (nothing readable).
 */
static int xm_walk(struct hld_exit_record *rec)
{
	struct pt_regs *regs = task_pt_regs(current);
	unsigned long fp = regs->bp;
	u32 n = 0;

	if (!user_mode(regs))
		return -EFAULT;
	rec->ustack[n++] = regs->ip;
	/* a 32-bit task's frames hold 4-byte words: its interrupted address only */
	while (n < HLD_MAX_STACK && fp && user_64bit_mode(regs)) {
		unsigned long frame[2];	/* saved frame pointer, return address */

		if (copy_from_user_nofault(frame, (const void __user *)fp, sizeof(frame)))
			break;
		if (!frame[1])
			break;
		rec->ustack[n++] = frame[1];
		if (frame[0] <= fp)
			break;
		fp = frame[0];
	}
	rec->nr_ustack = n;
	return 0;
}

/* The base name of @file into @buf (USTACK_FILE_NAME), as it is now. */
static void xm_file_name(struct file *file, char *buf)
{
	const unsigned char *name;

	rcu_read_lock();
	name = READ_ONCE(file->f_path.dentry->d_name.name);
	strscpy_pad(buf, name, USTACK_FILE_NAME);
	rcu_read_unlock();
}

/*
 * For each frame of @x, the file mapped there and the offset in it (as
 * /proc/PID/maps gives it), one name per distinct file; the vDSO by its
 * address. Only try-locks the mm: -EBUSY for every frame if it is locked.
 */
static void xm_files(struct exitmon_event *x)
{
	struct ustack_files *uf = &x->uf;
	struct mm_struct *mm = current->mm;
	struct file *seen[USTACK_FILES] = { NULL };
	unsigned long vdso;
	u32 i, j, missed = 0;

	uf->nr_frames = x->rec.nr_ustack;
	if (!mm || in_nmi() || !mmap_read_trylock(mm)) {
		uf->vma_err = -EBUSY;
		atomic64_add(uf->nr_frames, &xm_vma_err);
		memset(uf->idx, USTACK_NO_FILE, sizeof(uf->idx));
		return;
	}
	vdso = (unsigned long)mm->context.vdso;
	for (i = 0; i < uf->nr_frames; i++) {
		unsigned long addr = x->rec.ustack[i];
		struct vm_area_struct *vma = find_vma(mm, addr);
		struct file *file;

		uf->idx[i] = USTACK_NO_FILE;
		if (!vma || addr < vma->vm_start) {
			if (!uf->vma_err)
				uf->vma_err = -ENOENT;
			missed++;
			continue;
		}
		uf->off[i] = addr - vma->vm_start + (vma->vm_pgoff << PAGE_SHIFT);
		file = vma->vm_file;
		if (!file) {
			if (vma->vm_start == vdso) {
				uf->off[i] = addr - vma->vm_start;
				uf->idx[i] = USTACK_VDSO;
			}
			continue;
		}
		for (j = 0; j < uf->nr_files && seen[j] != file; j++)
			;
		if (j == uf->nr_files) {
			if (j == USTACK_FILES)
				continue;
			seen[j] = file;
			xm_file_name(file, uf->files[j]);
			uf->ids[j].ino = file_inode(file)->i_ino;
			uf->ids[j].dev = file_inode(file)->i_sb->s_dev;
			uf->nr_files++;
		}
		uf->idx[i] = j;
	}
	mmap_read_unlock(mm);
	if (missed)
		atomic64_add(missed, &xm_vma_err);
}

/*
 * The slot of the current task, or NULL; @claim: take a free one (zeroed)
 * if it has none, and say so in *@fresh.
 */
static struct xm_slot *xm_slot(bool claim, bool *fresh)
{
	unsigned long me = (unsigned long)current;
	u32 h = hash_long(me, XM_SLOT_BITS), i;

	*fresh = false;
	for (i = 0; i < XM_PROBES; i++) {
		struct xm_slot *s = &xm_slots[(h + i) & (XM_SLOTS - 1)];
		unsigned long t = READ_ONCE(s->task);

		if (t == me)
			return s;
		if (claim && !t && !cmpxchg(&s->task, 0, me)) {
			memset(&s->ev, 0, sizeof(s->ev));
			*fresh = true;
			return s;
		}
	}
	return NULL;
}

/* do_exit() entry: the user stack and its files, while the task has its memory. */
static int xm_kprobe(struct kprobe *p, struct pt_regs *regs)
{
	struct xm_slot *s;
	bool fresh;

	if (!xm_pass(current))
		return 0;
	s = xm_slot(true, &fresh);
	if (!s)
		return 0;	/* the tracepoint tries again, and counts */
	if (!fresh)	/* left by a task that never reached the tracepoint */
		memset(&s->ev, 0, sizeof(s->ev));
	if (!current->mm) {
		s->ev.rec.ustack_err = -EFAULT;
	} else if (xm_walk(&s->ev.rec)) {
		s->ev.rec.ustack_err = -EFAULT;
	} else {
		xm_files(&s->ev);
	}
	return 0;
}

static void xm_probe(void *data, struct task_struct *p)
{
	struct hld_exit_record *rec;
	struct exitmon_event *x;
	struct xm_slot *s;
	bool fresh;

	if (!xm_pass(current))
		return;
	atomic64_inc(&xm_exits);
	hld_tp_enter();
	s = xm_slot(true, &fresh);
	if (!s) {
		atomic64_inc(&xm_no_slot);
		goto out;
	}
	x = &s->ev;
	if (xm_stacks && fresh)
		x->rec.ustack_err = -ENOSPC;	/* the kprobe found no slot */
	rec = &x->rec;
	rec->hdr.type = HLD_REC_EXIT;
	rec->hdr.version = HLD_RECORD_VERSION;
	rec->hdr.len = sizeof(*x);
	rec->hdr.ts = ktime_get_ns();
	rec->pid = current->pid;
	rec->tgid = current->tgid;
	rcu_read_lock();
	rec->ppid = rcu_dereference(current->real_parent)->tgid;
	rcu_read_unlock();
	rec->exit_code = current->exit_code;
	rec->group_dead = !atomic_read(&current->signal->live);
	memcpy(rec->comm, current->comm, HLD_COMM_LEN);
	rec->comm[HLD_COMM_LEN - 1] = '\0';
	if (xm_stacks && !rec->nr_ustack) {
		if (!rec->ustack_err)
			rec->ustack_err = -ENODATA;
		atomic64_inc(&xm_no_ustack);
	}
	if (!hld_emit(HLD_FEAT_exit_monitor, x, sizeof(*x)))
		atomic64_inc(&xm_drops);
	smp_store_release(&s->task, 0);
out:
	hld_tp_exit();
}

static int xm_init(char *why, size_t len)
{
	xm_tp = hld_tracepoint("sched_process_exit");
	if (!xm_tp) {
		snprintf(why, len, "the kernel has no sched_process_exit tracepoint");
		return -ENODEV;
	}
	return 0;
}

static void xm_exit(void)
{
	vfree(xm_slots);
	xm_slots = NULL;
}

/* The ranges of harness/features.c; the comm a terminated string. */
static int xm_check(const void *settings)
{
	const struct hld_exit_settings *s = settings;

	if (strnlen(s->comm, sizeof(s->comm)) == sizeof(s->comm))
		return -EINVAL;
	if (s->tgid < -1 || s->tgid > XM_TGID_MAX)
		return -EINVAL;
	if (s->user_stacks > 1 || s->all_threads > 1)
		return -EINVAL;
	if (s->ringbuf_size < XM_RINGBUF_MIN || s->ringbuf_size > XM_RINGBUF_MAX)
		return -EINVAL;
	return 0;
}

/*
 * The tracepoint first, the kprobe last: a slot is claimed only where a
 * tracepoint probe will take it (slots left from an earlier activation are
 * cleared first).
 */
static int xm_activate(const void *settings)
{
	int err;

	if (!xm_slots) {
		xm_slots = vzalloc(array_size(XM_SLOTS, sizeof(*xm_slots)));
		if (!xm_slots)
			return -ENOMEM;
	}
	memcpy(&xm_set, settings, sizeof(xm_set));
	xm_stacks = xm_set.user_stacks;
	memset(xm_slots, 0, array_size(XM_SLOTS, sizeof(*xm_slots)));
	atomic64_set(&xm_exits, 0);
	atomic64_set(&xm_drops, 0);
	atomic64_set(&xm_no_slot, 0);
	atomic64_set(&xm_no_ustack, 0);
	atomic64_set(&xm_vma_err, 0);
	err = tracepoint_probe_register(xm_tp, xm_probe, NULL);
	if (err || !xm_stacks)
		return err;
	memset(&xm_kp, 0, sizeof(xm_kp));	/* a kprobe keeps its address once registered */
	xm_kp.symbol_name = "do_exit";
	xm_kp.pre_handler = xm_kprobe;
	err = register_kprobe(&xm_kp);
	if (err) {
		pr_info("exit-monitor: cannot place a kprobe on do_exit: %d\n", err);
		tracepoint_probe_unregister(xm_tp, xm_probe, NULL);
		tracepoint_synchronize_unregister();
	}
	return err;
}

static void xm_deactivate(void)
{
	if (xm_stacks)
		unregister_kprobe(&xm_kp);	/* waits for running handlers */
	tracepoint_probe_unregister(xm_tp, xm_probe, NULL);
	tracepoint_synchronize_unregister();
}

/* Records go to read(): the report ioctl has nothing to drain. */
static u64 xm_report_max(void)
{
	return 0;
}

static int xm_report(void __user *buf, u64 len, u64 *written, u64 *records)
{
	return 0;
}

/*
 * drops_cause[0]: ring full; [1]: no free slot. Not drops: [2] records without a user stack (any reason), [3]
 * frames whose mapping was not found.
 */
static void xm_stats(struct hld_ioc_status *st)
{
	st->events = atomic64_read(&xm_exits);
	st->drops_cause[0] = atomic64_read(&xm_drops);
	st->drops_cause[1] = atomic64_read(&xm_no_slot);
	st->drops_cause[2] = atomic64_read(&xm_no_ustack);
	st->drops_cause[3] = atomic64_read(&xm_vma_err);
	st->drops = st->drops_cause[0] + st->drops_cause[1];
}

const struct hld_feature_ops hld_exitmon_ops = {
	.streams = true,
	.settings_size = sizeof(struct hld_exit_settings),
	.init = xm_init,
	.exit = xm_exit,
	.check = xm_check,
	.activate = xm_activate,
	.deactivate = xm_deactivate,
	.report_max = xm_report_max,
	.report = xm_report,
	.stats = xm_stats,
};
