/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reboot-report.h - reboot's log and report, for every backend: a backend
 * hands each struct hld_reboot_record it drains from the kernel to
 * reboot_log__record() (one line appended to the persistent log and
 * fsync'ed, the record kept for the report), and reboot__report_out()
 * writes reboot.txt, reboot.json and the feature's run.json fields.
 */
#ifndef HLD_REBOOT_REPORT_H
#define HLD_REBOOT_REPORT_H

#include <stdint.h>

#include "diag.h"
#include "hld_record.h"
#include "hld_settings.h"

struct ksyms;
struct usyms;

struct reboot_log {
	struct ksyms *ksyms;		/* NULL if /proc/kallsyms cannot be read */
	struct usyms *usyms;
	int log_fd;			/* -1 until reboot_log__open() */
	int cb_err;			/* first error logging a record */
	uint64_t logged;		/* lines written to the log by this process */
	/* records drained since the last report, in the order of the calls */
	struct hld_reboot_record *recs;
	size_t nr_recs, cap_recs;
	uint64_t not_kept;		/* drained past the cap: logged, not reported */
};

/*
 * A user frame the caller's maps did not name: frame @i of @r's user stack
 * into @buf, or NULL. The eBPF backend places it in the file the program
 * noted; NULL when the backend has no such table.
 */
typedef const char *(*reboot_ufile_fn)(void *ctx, const struct hld_reboot_record *r, int i,
				       char *buf, size_t len);

/* What the backend counted since activation, for the report's header. */
struct reboot_totals {
	const char *backend;		/* "bpf", "kmod" */
	const char *how;		/* comment lines on how a record is taken, "# ..." */
	uint64_t calls;			/* reboot(2) calls seen */
	uint64_t ring_drops;		/* records lost to a full kernel buffer */
	uint64_t ufiles_missed;		/* user frames not placed in a file */
	reboot_ufile_fn ufile;		/* may be NULL */
	void *ctx;
};

/* Set up @rl: symbol tables, no log yet. 0 or -ENOMEM. */
int reboot_log__init(struct reboot_log *rl);
/* Open the log of @s for appending (created 0640). 0 or -errno. */
int reboot_log__open(struct reboot_log *rl, const struct hld_reboot_settings *s);
/*
 * Append @r to the log and fsync it at once, snapshot the caller's maps
 * while it lives, keep @r for the next report. An error is kept in
 * rl->cb_err.
 */
void reboot_log__record(struct reboot_log *rl, const struct hld_reboot_record *r);
void reboot_log__free(struct reboot_log *rl);

/*
 * Write reboot.txt and reboot.json into out->dir with the records kept
 * since the last report (then forgotten), the feature's fields into
 * out->json; set f->events, f->drops and the metrics. @rl may be NULL
 * (never activated).
 */
int reboot__report_out(struct diag_feature *f, struct reboot_log *rl,
		       const struct reboot_totals *t, const struct diag_outputs *out);

#endif /* HLD_REBOOT_REPORT_H */
