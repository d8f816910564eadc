// SPDX-License-Identifier: GPL-2.0
/*
 * report-html.c - HTML pages that are one self-contained file: the CSS is in
 * the page, the charts and flame graphs are inline <svg> (not links, not
 * data: URLs), and the only script is the flame graphs' own, rescoped to
 * their <svg>. Nothing on the page refers to the network.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define SVG_MAX_BYTES	(64u << 20)

static const char page_css[] =
"body { font-family: 'DejaVu Sans', Verdana, sans-serif; font-size: 14px; color: #222;"
" margin: 1.5em auto; max-width: 1280px; padding: 0 1em; }\n"
"h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.6em;"
" border-bottom: 1px solid #ccc; }\n"
"table { border-collapse: collapse; margin: 0.6em 0; }\n"
"th, td { border: 1px solid #bbb; padding: 3px 8px; text-align: left; }\n"
"th { background: #eee; }\n"
"td { font-variant-numeric: tabular-nums; }\n"
".warn { background: #fff3cd; border: 1px solid #e0b000; padding: 0.6em 1em; }\n"
".note { color: #555; }\n"
"figure { margin: 1em 0; } figcaption { color: #555; margin-bottom: 0.3em; }\n"
"figure svg { width: 100%; height: auto; display: block; }\n";

void html__escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

void html__begin(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
	html__escape(f, title);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", page_css);
	html__escape(f, title);
	fputs("</h1>\n", f);
}

void html__end(FILE *f)
{
	fputs("</body>\n</html>\n", f);
}

/* Read all of @path into a NUL-terminated buffer; NULL with errno set. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t got;

		if (cap - n < 65536) {
			char *nb;

			if (cap >= SVG_MAX_BYTES) {
				errno = EFBIG;
				goto fail;
			}
			cap = cap ? cap * 2 : 262144;
			nb = realloc(buf, cap + 1);
			if (!nb)
				goto fail;
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		errno = EIO;
		goto fail;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

/* The body of the element starting at @open (after its '>' up to @close),
 * without a CDATA wrapper; *@after is set past @close. NULL if unterminated. */
static char *element_body(const char *open, const char *close, const char **after)
{
	const char *s = strchr(open, '>'), *e;
	char *body;

	if (!s)
		return NULL;
	s++;
	e = strstr(s, close);
	if (!e)
		return NULL;
	*after = e + strlen(close);
	while (s < e && (*s == ' ' || *s == '\n' || *s == '\t'))
		s++;
	if (!strncmp(s, "<![CDATA[", 9)) {
		const char *c = strstr(s, "]]>");

		s += 9;
		if (c && c < e)
			e = c;
	}
	body = strndup(s, e - s);
	return body;
}

/* Write @css with every rule's selectors prefixed by "#svg-@id " (flat CSS only). */
static void scoped_css(FILE *f, const char *css, const char *id)
{
	const char *p = css;

	while (*p) {
		const char *brace = strchr(p, '{'), *end;

		if (!brace)
			break;
		end = strchr(brace, '}');
		if (!end)
			break;
		bool first = true;

		for (const char *sel = p; sel < brace;) {
			const char *comma = memchr(sel, ',', brace - sel);
			const char *stop = comma ? comma : brace;

			while (sel < stop && strchr(" \t\n", *sel))
				sel++;
			if (sel < stop) {
				fprintf(f, "%s#svg-%s %.*s", first ? "" : ", ", id, (int)(stop - sel), sel);
				first = false;
			}
			sel = comma ? comma + 1 : brace;
		}
		fprintf(f, "%.*s\n", (int)(end + 1 - brace), brace);
		p = end + 1;
	}
}

/*
 * The flame graph's script, run with its own <svg> as the document it
 * knows: getElementById looks under that <svg>, documentElement is it, and
 * Ctrl-F reaches only the graph under the mouse.
 */
static void scoped_script(FILE *f, const char *js, const char *id)
{
	fprintf(f, "<script>\n(function () {\n"
		"var root = document.getElementById('svg-%s');\n"
		"var doc = {\n"
		"\tdocumentElement: root,\n"
		"\tgetElementById: function (i) { return root.querySelector('[id=\"' + i + '\"]'); },\n"
		"\taddEventListener: function (type, fn) {\n"
		"\t\tdocument.addEventListener(type, function (e) {\n"
		"\t\t\tif (type !== 'keydown' || root.matches(':hover'))\n"
		"\t\t\t\tfn(e);\n"
		"\t\t});\n"
		"\t}\n"
		"};\n"
		"var win = {\n"
		"\taddEventListener: function (t, fn) { window.addEventListener(t, fn); },\n"
		"\tlocation: { search: window.location.search },\n"
		"\tprompt: function (m, d) { return window.prompt(m, d); },\n"
		"\talert: function (m) { window.alert(m); }\n"
		"};\n"
		"(function (document, window) {\n", id);
	fputs(js, f);
	fputs("\n})(doc, win);\n})();\n</script>\n", f);
}

/* A figure that says why its SVG is not there. */
static int missing_figure(FILE *f, const char *path, const char *caption, int err)
{
	fputs("<figure><figcaption>", f);
	html__escape(f, caption);
	fputs("</figcaption><p class=\"note\">not available: ", f);
	html__escape(f, path);
	fprintf(f, ": %s</p></figure>\n", strerror(err));
	return -err;
}

int html__inline_svg(FILE *f, const char *path, const char *id, const char *caption)
{
	size_t len;
	char *svg = slurp(path, &len), *script = NULL;
	const char *p, *start, *tag_end, *close;

	if (!svg)
		return missing_figure(f, path, caption, errno);
	start = strstr(svg, "<svg");
	tag_end = start ? strchr(start, '>') : NULL;
	close = start ? strstr(start, "</svg>") : NULL;
	if (!start || !tag_end || !close) {
		free(svg);
		return missing_figure(f, path, caption, EINVAL);
	}
	fputs("<figure><figcaption>", f);
	html__escape(f, caption);
	fprintf(f, "</figcaption>\n<svg id=\"svg-%s\"", id);
	fwrite(start + 4, 1, tag_end + 1 - (start + 4), f);
	p = tag_end + 1;
	while (p < close) {
		const char *sc = strstr(p, "<script"), *st = strstr(p, "<style");
		const char *next = sc && (!st || sc < st) ? sc : st, *after;
		char *body;

		if (!next || next > close) {
			fwrite(p, 1, close - p, f);
			break;
		}
		fwrite(p, 1, next - p, f);
		body = element_body(next, next == sc ? "</script>" : "</style>", &after);
		if (!body) {
			p = close;
			break;
		}
		if (next == sc && !script && !strstr(body, "</")) {
			script = body;
		} else if (next == st) {
			fputs("<style>\n", f);
			scoped_css(f, body, id);
			fputs("</style>", f);
			free(body);
		} else {
			free(body);	/* a script that cannot be inlined safely */
		}
		p = after;
	}
	fputs("</svg>\n", f);
	if (script)
		scoped_script(f, script, id);
	fputs("</figure>\n", f);
	free(script);
	free(svg);
	return ferror(f) ? -EIO : 0;
}
