// SPDX-License-Identifier: GPL-2.0
/*
 * report-table.c - a table of text cells, built once and rendered as a
 * Markdown or an HTML table, so summary.md, report.html and the comparison
 * reports show the same figures the same way.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

void rtable__init(struct rtable *t, int ncols, const char *const *head)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols < RTABLE_MAX_COLS ? ncols : RTABLE_MAX_COLS;
	for (int c = 0; c < t->ncols; c++)
		t->head[c] = head[c];
}

void rtable__free(struct rtable *t)
{
	for (int r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncols; c++)
			free(t->cell[r][c].text);
	t->nrows = 0;
}

void rtable__row(struct rtable *t)
{
	if (t->nrows < RTABLE_MAX_ROWS)
		t->nrows++;
	t->col = 0;
}

static void rtable__vcell(struct rtable *t, bool strong, const char *fmt, va_list ap)
{
	struct rtable_cell *c;

	if (!t->nrows || t->col >= t->ncols)
		return;
	c = &t->cell[t->nrows - 1][t->col++];
	free(c->text);
	if (vasprintf(&c->text, fmt, ap) < 0)
		c->text = NULL;
	c->strong = strong;
}

void rtable__cell(struct rtable *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rtable__vcell(t, false, fmt, ap);
	va_end(ap);
}

void rtable__strong(struct rtable *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rtable__vcell(t, true, fmt, ap);
	va_end(ap);
}

/* A Markdown cell: '|' would end it, a newline would end the row. */
static void md_cell(FILE *f, const struct rtable_cell *c)
{
	const char *s = c->text ? c->text : "";

	fputs(c->strong && *s ? " **" : " ", f);
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else
			fputc(*s == '\n' ? ' ' : *s, f);
	}
	fputs(c->strong && c->text && *c->text ? "** |" : " |", f);
}

void rtable__md(const struct rtable *t, FILE *f)
{
	fputc('|', f);
	for (int c = 0; c < t->ncols; c++)
		fprintf(f, " %s |", t->head[c]);
	fputs("\n|", f);
	for (int c = 0; c < t->ncols; c++)
		fputs("---|", f);
	fputc('\n', f);
	for (int r = 0; r < t->nrows; r++) {
		fputc('|', f);
		for (int c = 0; c < t->ncols; c++)
			md_cell(f, &t->cell[r][c]);
		fputc('\n', f);
	}
}

void rtable__html(const struct rtable *t, FILE *f)
{
	fputs("<table>\n<thead><tr>", f);
	for (int c = 0; c < t->ncols; c++) {
		fputs("<th>", f);
		html__escape(f, t->head[c]);
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	for (int r = 0; r < t->nrows; r++) {
		fputs("<tr>", f);
		for (int c = 0; c < t->ncols; c++) {
			const struct rtable_cell *cl = &t->cell[r][c];

			fputs(cl->strong ? "<td><strong>" : "<td>", f);
			html__escape(f, cl->text ? cl->text : "");
			fputs(cl->strong ? "</strong></td>" : "</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

const char *rpt_num(char *buf, size_t len, const char *fmt, double v)
{
	if (isnan(v))
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, fmt, v);
	return buf;
}
