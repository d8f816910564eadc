// SPDX-License-Identifier: GPL-2.0
/*
 * hld_ring.c - the per-CPU record buffers behind read() and poll().
 *
 * Each stream (a feature that emits records, or the test ioctl's) has a
 * byte ring per possible CPU, allocated the first time the stream is
 * prepared (at the feature's first activation) and kept until unload. A
 * producer appends one whole record under the ring's raw spinlock with
 * interrupts off (so from process, softirq or hardirq context, never NMI),
 * or counts a drop when it does not fit. read() takes whole records from
 * the rings of the streams its file reads, in stream and CPU order, so
 * that readers of different features never take each other's records.
 * Producers never wake anyone directly (they may hold scheduler locks): an
 * irq_work does, queued only when a reader sleeps.
 */
#define pr_fmt(fmt) "hld: " fmt

#include <linux/irq_work.h>
#include <linux/minmax.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include "hld.h"

#define HLD_RING_SIZE	(256u << 10)	/* bytes per CPU, a power of two */
#define HLD_RECORD_MAX	4096u		/* largest record accepted */

struct hld_ring {
	raw_spinlock_t lock;
	char *buf;
	u64 head, tail;			/* bytes ever written and read */
	u64 drops;
};

/* Set once under the core's mutex (hld_ring_prepare()), read locklessly. */
static struct hld_ring __percpu *hld_rings[HLD_STREAMS];
DECLARE_WAIT_QUEUE_HEAD(hld_wait);

static void hld_wake(struct irq_work *w)
{
	wake_up_interruptible(&hld_wait);
}

static DEFINE_IRQ_WORK(hld_wake_work, hld_wake);

/* Copy @len bytes at ring offset @pos (wrapping) to or from @p. */
static void ring_copy(struct hld_ring *r, u64 pos, void *p, u32 len, bool to_ring)
{
	u32 off = pos & (HLD_RING_SIZE - 1), first = min(len, HLD_RING_SIZE - off);

	if (to_ring) {
		memcpy(r->buf + off, p, first);
		memcpy(r->buf, (char *)p + first, len - first);
	} else {
		memcpy(p, r->buf + off, first);
		memcpy((char *)p + first, r->buf, len - first);
	}
}

bool hld_emit(unsigned int stream, const void *rec, u32 len)
{
	struct hld_ring __percpu *rings;
	struct hld_ring *r;
	unsigned long flags;
	bool ok;

	if (WARN_ON_ONCE(len < sizeof(struct hld_record_header) || len > HLD_RECORD_MAX ||
			 stream >= HLD_STREAMS))
		return false;
	rings = READ_ONCE(hld_rings[stream]);
	if (WARN_ON_ONCE(!rings))	/* emitted before hld_ring_prepare() */
		return false;
	local_irq_save(flags);
	r = this_cpu_ptr(rings);
	raw_spin_lock(&r->lock);
	ok = r->head - r->tail + len <= HLD_RING_SIZE;
	if (ok) {
		ring_copy(r, r->head, (void *)rec, len, true);
		r->head += len;
	} else {
		r->drops++;
	}
	raw_spin_unlock(&r->lock);
	local_irq_restore(flags);
	/*
	 * Only a reader asleep needs the irq_work (a self-IPI): a probe that
	 * emits on every syscall of a thread would otherwise interrupt it
	 * after each. The barrier in wq_has_sleeper() pairs with the one in
	 * prepare_to_wait()/poll_wait() before the reader checks the rings.
	 */
	if (ok && wq_has_sleeper(&hld_wait))
		irq_work_queue(&hld_wake_work);
	return ok;
}

/* Each CPU's ring @r of each stream in @streams that has rings (@i the stream, @cpu the CPU). */
#define for_each_ring(r, streams, i, cpu)					\
	for ((i) = 0; (i) < HLD_STREAMS; (i)++)					\
		if (((streams) & BIT_ULL(i)) && READ_ONCE(hld_rings[i]))	\
			for_each_possible_cpu(cpu)				\
				if (((r) = per_cpu_ptr(hld_rings[i], (cpu))), true)

bool hld_ring_empty(u64 streams)
{
	struct hld_ring *r;
	unsigned int i;
	int cpu;

	for_each_ring(r, streams, i, cpu)
		if (READ_ONCE(r->head) != READ_ONCE(r->tail))
			return false;
	return true;
}

/* Take the next record of @r into @rec if it fits in @room bytes: its length, or 0. */
static u32 ring_take(struct hld_ring *r, void *rec, size_t room)
{
	struct hld_record_header h;
	unsigned long flags;
	u32 len = 0;

	raw_spin_lock_irqsave(&r->lock, flags);
	if (r->head != r->tail) {
		ring_copy(r, r->tail, &h, sizeof(h), false);
		if (h.len <= room) {
			len = h.len;
			ring_copy(r, r->tail, rec, len, false);
			r->tail += len;
		}
	}
	raw_spin_unlock_irqrestore(&r->lock, flags);
	return len;
}

ssize_t hld_ring_read(u64 streams, char __user *buf, size_t len)
{
	struct hld_ring *r;
	size_t done = 0;
	unsigned int i;
	void *rec;
	int cpu;

	if (hld_ring_empty(streams))	/* the common case of a poll: no allocation */
		return 0;
	rec = kmalloc(HLD_RECORD_MAX, GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	for_each_ring(r, streams, i, cpu) {
		u32 n;

		while ((n = ring_take(r, rec, min_t(size_t, len - done, HLD_RECORD_MAX)))) {
			if (copy_to_user(buf + done, rec, n)) {
				kfree(rec);
				return done ? done : -EFAULT;
			}
			done += n;
		}
	}
	kfree(rec);
	return done;
}

static void hld_rings_free(struct hld_ring __percpu *rings)
{
	int cpu;

	for_each_possible_cpu(cpu)
		vfree(per_cpu_ptr(rings, cpu)->buf);
	free_percpu(rings);
}

int hld_ring_prepare(unsigned int stream)
{
	struct hld_ring __percpu *rings;
	int cpu;

	if (stream >= HLD_STREAMS)
		return -EINVAL;
	if (hld_rings[stream])
		return 0;
	rings = alloc_percpu(struct hld_ring);
	if (!rings)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct hld_ring *r = per_cpu_ptr(rings, cpu);

		raw_spin_lock_init(&r->lock);
		r->buf = vzalloc_node(HLD_RING_SIZE, cpu_to_node(cpu));
		if (!r->buf) {
			hld_rings_free(rings);
			return -ENOMEM;
		}
	}
	WRITE_ONCE(hld_rings[stream], rings);
	return 0;
}

void hld_ring_exit(void)
{
	unsigned int i;

	irq_work_sync(&hld_wake_work);
	for (i = 0; i < HLD_STREAMS; i++) {
		if (hld_rings[i])
			hld_rings_free(hld_rings[i]);
		hld_rings[i] = NULL;
	}
}
