/* SPDX-License-Identifier: GPL-2.0 */
/*
 * highorder-report.h - high-order's report, for every backend: a backend
 * drains its kernel tables into rows (one per process, comm, order and
 * pair of stacks, the stacks named by ids of its own), and
 * highorder__report_out() sorts them and writes high-order.txt,
 * high-order.folded, high-order.json and the feature's run.json fields
 * and metrics, asking the backend to name each stack.
 */
#ifndef HLD_HIGHORDER_REPORT_H
#define HLD_HIGHORDER_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "hld_record.h"

#define HIGHORDER_FRAME_LEN	256

/* One row of a drain: key.kstack_id and key.ustack_id are the backend's (negative: none). */
struct highorder_row {
	struct hld_highorder_key key;
	uint64_t count;
};

/* One stack, symbolized: frames innermost first. */
struct highorder_stack {
	int nr;
	char names[HLD_MAX_STACK][HIGHORDER_FRAME_LEN];
};

/* Append a frame to @st: @name, or @ip in hex when it has none. */
void highorder__stack_add(struct highorder_stack *st, const char *name, uint64_t ip);

/* What a report says besides its rows; the drops are since activation. */
struct highorder_totals {
	uint64_t since_activation;	/* allocations that passed the filters */
	uint64_t own;			/* the reporter's own allocations, left out */
	const char *own_by;		/* what made them: "program load" */
	uint64_t program_busy;		/* drops by cause */
	uint64_t kernel_stack;
	uint64_t user_stack;
	uint64_t count_map_full;
	int64_t last_stack_err;
	uint64_t user_stacks_not_placed;	/* not drops: user frames left as addresses */
	uint64_t user_frames_not_placed;
	bool kernel_symbols_restricted;
};

/* Name stack @id (user or kernel) of process @tgid into @st, innermost first. */
typedef void (*highorder_stack_fn)(void *ctx, int32_t id, bool user, uint32_t tgid,
				   struct highorder_stack *st);

/*
 * Remove the rows of process @tgid from @rows (keeping the order) and
 * return their allocations: a report on a persistent activation leaves
 * out its own.
 */
uint64_t highorder__leave_out(struct highorder_row *rows, size_t *nr, uint32_t tgid);

/*
 * Sort @rows (most allocations first), write high-order.txt,
 * high-order.folded and high-order.json into out->dir and the feature's
 * fields into out->json, naming the stacks with @name(@ctx, ...); set
 * f->events, f->drops and the metrics. 0 or -errno.
 */
int highorder__report_out(struct diag_feature *f, struct highorder_row *rows, size_t nr,
			  const struct highorder_totals *t, highorder_stack_fn name, void *ctx,
			  const struct diag_outputs *out);

#endif /* HLD_HIGHORDER_REPORT_H */
