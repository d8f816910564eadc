/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - the reports made from a result directory's files: summary.md
 * and report.html for one run (`hldbench report`, and the end of
 * `hldbench run`), and the pieces `hldbench compare` shares with them: a
 * table model rendered as Markdown or HTML, and an HTML page writer that
 * inlines SVG charts and flame graphs so the page is one self-contained file.
 *
 * Functions return 0 or -errno and print nothing.
 */
#ifndef HLD_REPORT_H
#define HLD_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "run-result.h"

/* --- tables ---------------------------------------------------------------- */

#define RTABLE_MAX_COLS	16
#define RTABLE_MAX_ROWS	128

struct rtable_cell {
	char *text;		/* NULL: empty */
	bool strong;		/* bold (a verdict worth the eye) */
};

struct rtable {
	int ncols, nrows, col;	/* col: next cell of the last row */
	const char *head[RTABLE_MAX_COLS];
	struct rtable_cell cell[RTABLE_MAX_ROWS][RTABLE_MAX_COLS];
};

/* An empty table with @ncols columns headed @head (static strings). */
void rtable__init(struct rtable *t, int ncols, const char *const *head);
void rtable__free(struct rtable *t);
/* Start a row; the cells that follow fill it left to right. */
void rtable__row(struct rtable *t);
/* The next cell, printf-style; a NaN passed to the format prints as "nan",
 * so callers format numbers through rpt_num(). */
void rtable__cell(struct rtable *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void rtable__strong(struct rtable *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void rtable__md(const struct rtable *t, FILE *f);
void rtable__html(const struct rtable *t, FILE *f);

/* @v printed with @fmt (one double conversion), or "n/a" when @v is NaN. */
const char *rpt_num(char *buf, size_t len, const char *fmt, double v);

/* --- HTML pages ------------------------------------------------------------ */

/* Text with &, <, > and quotes escaped. */
void html__escape(FILE *f, const char *s);
/* <!DOCTYPE html> ... <body><h1>@title</h1>, with the report's CSS inline. */
void html__begin(FILE *f, const char *title);
void html__end(FILE *f);

/*
 * Copy the SVG file @path into the page as an inline <svg> with id svg-@id,
 * inside a <figure> captioned @caption. A flame graph's script and style are
 * scoped to its own <svg> (the script finds its elements under it rather
 * than in the document, the style's selectors are prefixed with #svg-@id), so
 * hover, click-to-zoom and Search work inline, and several graphs can share
 * a page; "?s=REGEX" on the page's URL searches every graph at load.
 * When the file cannot be read, the figure says so instead. Returns 0 or
 * -errno (the figure then holds the reason).
 */
int html__inline_svg(FILE *f, const char *path, const char *id, const char *caption);

/* --- one run --------------------------------------------------------------- */

/* summary.md of @r: the verdict and every figure, in words. */
int report__summary_md(const struct run_result *r, FILE *f);
/* report.html of @r: the same figures as tables, the charts inline. */
int report__html(const struct run_result *r, FILE *f);

/*
 * Append to @t a row per feature of @r (source, [@run,] events, dropped, by
 * cause; zero drops included) and one for the sampler's late ticks. @run,
 * when not NULL, fills a second column (the run's label in a comparison).
 */
void report__drops_rows(const struct run_result *r, const char *run, struct rtable *t);

/*
 * Draw the flame graph of the folded stacks in @folded into @svg, titled
 * @title, subtitled "@what, N samples". Returns 0 or -errno (a partial @svg
 * is removed).
 */
int report__flame_svg(const char *folded, const char *svg, const char *title,
		      const char *what);

/*
 * Regenerate @dir's summary.md and report.html from its files: run.json,
 * and load-trend.svg and flame.svg, which are re-drawn from samples.csv and
 * perf.folded first when they are missing. Returns 0, or -ENOENT (no
 * run.json), -EINVAL (run.json unusable: a reason in @err), or -errno of a
 * file that could not be written (its path in @err). A chart that could
 * not be re-drawn is not an error: the report says why it is missing.
 */
int report__write(const char *dir, char *err, size_t errlen);

#endif /* HLD_REPORT_H */
