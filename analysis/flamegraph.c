// SPDX-License-Identifier: GPL-2.0
/*
 * flamegraph.c - folded stacks to an interactive flame graph SVG.
 *
 * The stacks are sorted frame by frame, which puts every path's stacks next
 * to each other with siblings in name order; one pass over them then builds
 * the merged tree in pre-order (the order frames are drawn in), each node
 * knowing its depth, its sample offset from the left and its sample count.
 * A differential graph feeds both profiles' stacks into the same pass, each
 * carrying its count in the drawn profile and in the other one, so that a
 * stack in both lands on one node holding both sums.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "flamegraph.h"

#define FG_FONT_SIZE	12
#define FG_FONT_WIDTH	0.59	/* average glyph width / font size (Verdana) */
#define FG_TITLE_SIZE	17

struct fg_node {
	const char *name;	/* not NUL-terminated: @len bytes */
	size_t len;
	uint64_t value;		/* samples of every stack through this node */
	uint64_t other;		/* diff: the same in the profile not drawn */
	uint64_t off;		/* samples left of this node at its depth */
	uint64_t child_used;	/* samples already given to children */
	unsigned int depth;
	bool end;		/* some stack ends here (its last frame) */
};

/* One stack to draw: its text and counts (see struct fg_node). */
struct fg_item {
	const char *stack;
	size_t len;
	uint64_t value, other;
};

struct fg_tree {
	struct fg_node *nodes;	/* pre-order; nodes[0] is the root */
	size_t nr, alloc;
	unsigned int max_depth;
};

static const char *const fg_colors_names[FLAMEGRAPH_COLORS__MAX] = {
	[FLAMEGRAPH_COLORS_KERNEL_USER] = "kernel-user",
	[FLAMEGRAPH_COLORS_HOT] = "hot",
};

const char *flamegraph__colors_name(enum flamegraph_colors c)
{
	return (unsigned int)c < FLAMEGRAPH_COLORS__MAX ? fg_colors_names[c] : NULL;
}

int flamegraph__colors_parse(const char *name, enum flamegraph_colors *c)
{
	for (int i = 0; i < FLAMEGRAPH_COLORS__MAX; i++) {
		if (!strcmp(name, fg_colors_names[i])) {
			*c = i;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Byte rank for frame-wise ordering: NUL (end of stack) lowest, then ';'
 * (end of frame), then every other byte. Comparing stacks by these ranks is
 * comparing them frame by frame, so "a;x" sorts before "a b;y" ("a" < "a b").
 */
static int fg_rank(unsigned char c)
{
	if (!c)
		return 0;
	if (c == ';')
		return 1;
	return c + 1;
}

/* qsort() comparator: stacks frame by frame. */
static int fg_cmp_stack(const void *a, const void *b)
{
	const unsigned char *x = (const unsigned char *)((const struct fg_item *)a)->stack;
	const unsigned char *y = (const unsigned char *)((const struct fg_item *)b)->stack;

	while (*x && *x == *y) {
		x++;
		y++;
	}
	return fg_rank(*x) - fg_rank(*y);
}

/* Append a node as the next one in pre-order; returns its index or -ENOMEM. */
static ssize_t fg_tree__push(struct fg_tree *t, const char *name, size_t len,
			     unsigned int depth, uint64_t off)
{
	struct fg_node *n;

	if (t->nr == t->alloc) {
		size_t a = t->alloc ? t->alloc * 2 : 256;
		struct fg_node *v = realloc(t->nodes, a * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->nodes = v;
		t->alloc = a;
	}
	n = &t->nodes[t->nr];
	n->name = name;
	n->len = len;
	n->value = 0;
	n->other = 0;
	n->off = off;
	n->child_used = 0;
	n->depth = depth;
	n->end = false;
	if (depth > t->max_depth)
		t->max_depth = depth;
	return t->nr++;
}

/*
 * Build the merged tree from the @nr @items (sorted here). @path holds the
 * node index at each depth of the previous stack; a stack reuses the longest
 * common prefix of frames and opens new nodes for the rest, placed after the
 * children already laid out.
 */
static int fg_tree__build(struct fg_tree *t, struct fg_item *items, size_t nr)
{
	size_t depth_cap = 64, path_len = 1;
	size_t *path = NULL;
	int err = -ENOMEM;

	if (fg_tree__push(t, "all", 3, 0, 0) < 0)
		return -ENOMEM;
	path = malloc(depth_cap * sizeof(*path));
	if (!path)
		goto out;
	path[0] = 0;
	if (nr)
		qsort(items, nr, sizeof(*items), fg_cmp_stack);

	for (size_t i = 0; i < nr; i++) {
		const char *p = items[i].stack, *end = p + items[i].len;
		size_t depth = 1;
		bool same = true;

		while (p < end) {
			const char *semi = memchr(p, ';', end - p);
			size_t len = semi ? (size_t)(semi - p) : (size_t)(end - p);
			struct fg_node *parent;
			ssize_t idx;

			if (same && depth < path_len) {
				const struct fg_node *n = &t->nodes[path[depth]];

				if (n->len == len && !memcmp(n->name, p, len))
					goto next;
			}
			same = false;
			if (depth == depth_cap) {
				size_t *np = realloc(path, 2 * depth_cap * sizeof(*path));

				if (!np)
					goto out;
				path = np;
				depth_cap *= 2;
			}
			parent = &t->nodes[path[depth - 1]];
			idx = fg_tree__push(t, p, len, depth, parent->off + parent->child_used);
			if (idx < 0)
				goto out;
			path[depth] = idx;
next:
			p += len + 1;
			depth++;
		}
		path_len = depth;
		for (size_t d = 0; d < path_len; d++) {
			t->nodes[path[d]].value += items[i].value;
			t->nodes[path[d]].other += items[i].other;
			if (d + 1 < path_len)
				t->nodes[path[d]].child_used += items[i].value;
		}
		t->nodes[path[path_len - 1]].end = true;
	}
	err = 0;
out:
	free(path);
	return err;
}

/*
 * Append @f's stacks to @v from index @n, with their count as the drawn
 * value (@drawn) or as the other profile's. Returns the new count of items.
 */
static size_t fg_items__add(struct fg_item *v, size_t n, const struct folded *f,
			    bool drawn)
{
	const struct folded_entry *e;
	size_t i;

	folded__for_each(f, e, i) {
		v[n].stack = e->stack;
		v[n].len = e->len;
		v[n].value = drawn ? e->count : 0;
		v[n].other = drawn ? 0 : e->count;
		n++;
	}
	return n;
}

/*
 * Print @len bytes of @s as XML character data: the five special characters
 * as entities, control characters and invalid UTF-8 as '?', so any symbol
 * text yields a well-formed document.
 */
static void fg_escape(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned char c = *p;
		size_t n = 0;

		switch (c) {
		case '&': fputs("&amp;", out); p++; continue;
		case '<': fputs("&lt;", out); p++; continue;
		case '>': fputs("&gt;", out); p++; continue;
		case '"': fputs("&quot;", out); p++; continue;
		case '\'': fputs("&apos;", out); p++; continue;
		}
		if (c < 0x20 || c == 0x7f) {
			fputc('?', out);
			p++;
			continue;
		}
		if (c < 0x80) {
			fputc(c, out);
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		if (!n || (size_t)(end - p) <= n) {
			fputc('?', out);
			p++;
			continue;
		}
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80) {
				n = 0;
				break;
			}
		}
		if (!n) {
			fputc('?', out);
			p++;
			continue;
		}
		fwrite(p, 1, n + 1, out);
		p += n + 1;
	}
}

/* NUL-terminated variant of fg_escape(). */
static void fg_escape_str(FILE *out, const char *s)
{
	fg_escape(out, s, strlen(s));
}

/*
 * Bytes of the first @chars characters of @s (UTF-8 continuation bytes do
 * not count), so a label is never cut inside a character.
 */
static size_t fg_prefix_bytes(const char *s, size_t len, size_t chars)
{
	size_t i = 0, seen = 0;

	while (i < len) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (seen == chars)
				break;
			seen++;
		}
		i++;
	}
	return i;
}

/* Number of characters (not continuation bytes) in @len bytes of @s. */
static size_t fg_nchars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/*
 * The label of a frame @w pixels wide: the whole name if it fits, else its
 * start and "..", else nothing below three characters. The script's fit()
 * applies the same rule after a zoom.
 */
static void fg_label(FILE *out, const struct fg_node *n, double w)
{
	double room = (w - 3) / (FG_FONT_SIZE * FG_FONT_WIDTH);
	size_t chars = room > 0 ? (size_t)room : 0;

	if (chars < 3)
		return;
	if (fg_nchars(n->name, n->len) <= chars) {
		fg_escape(out, n->name, n->len);
		return;
	}
	fg_escape(out, n->name, fg_prefix_bytes(n->name, n->len, chars - 2));
	fputs("..", out);
}

/* FNV-1a of a name, for colours that are the same in every graph. */
static uint32_t fg_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

/* True for a kernel frame: the name ends in "_[k]". */
static bool fg_is_kernel(const struct fg_node *n)
{
	return n->len >= 4 && !memcmp(n->name + n->len - 4, "_[k]", 4);
}

/*
 * True for a comm (the first frame of a stack by convention): depth 1, or
 * with reversed stacks the last frame of one.
 */
static bool fg_is_comm(const struct fg_node *n, bool reverse)
{
	return reverse ? n->depth > 0 && n->end : n->depth == 1;
}

/*
 * Fill colour of a frame: grey root, green comms, blue kernel frames and
 * red-to-yellow user frames; three bytes of the name's hash vary the shade
 * inside each family, so a function keeps its colour across graphs.
 */
static void fg_color(const struct fg_node *n, enum flamegraph_colors scheme,
		     bool reverse, unsigned int *r, unsigned int *g, unsigned int *b)
{
	uint32_t h = fg_hash(n->name, n->len);
	unsigned int v1 = h & 0xff, v2 = (h >> 8) & 0xff, v3 = (h >> 16) & 0xff;

	if (n->depth == 0) {
		*r = *g = *b = 190;
	} else if (fg_is_comm(n, reverse)) {
		*r = 90 + v1 * 50 / 255;
		*g = 180 + v2 * 50 / 255;
		*b = 90 + v3 * 50 / 255;
	} else if (scheme == FLAMEGRAPH_COLORS_KERNEL_USER && fg_is_kernel(n)) {
		*r = 60 + v1 * 60 / 255;
		*g = 150 + v2 * 60 / 255;
		*b = 215 + v3 * 40 / 255;
	} else {
		*r = 205 + v3 * 50 / 255;
		*g = v1 * 230 / 255;
		*b = v2 * 55 / 255;
	}
}

/*
 * The script: details on hover, zoom on click, search by regex. Frames are
 * found through event delegation on <g id="frames">, and every position is
 * recomputed from the integer data-off/data-samples attributes, so zooming
 * never accumulates rounding.
 */
static const char fg_script[] =
"'use strict';\n"
"var svg, frames, all = [], details, matched, unzoomBtn, searchBtn;\n"
"var xpad, usable, fontw, minw, total, zoomed = null, searching = null;\n"
"var HILITE = 'rgb(230,0,230)';\n"
"\n"
"function init() {\n"
"\tsvg = document.documentElement;\n"
"\tframes = document.getElementById('frames');\n"
"\tdetails = document.getElementById('details');\n"
"\tmatched = document.getElementById('matched');\n"
"\tunzoomBtn = document.getElementById('unzoom');\n"
"\tsearchBtn = document.getElementById('search');\n"
"\txpad = +svg.getAttribute('data-xpad');\n"
"\tusable = +svg.getAttribute('data-usable');\n"
"\tfontw = +svg.getAttribute('data-fontw');\n"
"\tminw = +svg.getAttribute('data-minwidth');\n"
"\ttotal = +svg.getAttribute('data-total');\n"
"\tvar gs = frames.getElementsByTagName('g');\n"
"\tfor (var i = 0; i < gs.length; i++) {\n"
"\t\tvar g = gs[i], r = g.getElementsByTagName('rect')[0];\n"
"\t\tvar t = g.getElementsByTagName('title')[0].textContent;\n"
"\t\tall.push({ g: g, rect: r, text: g.getElementsByTagName('text')[0],\n"
"\t\t\tinfo: t, name: t.substring(0, t.lastIndexOf(' (')),\n"
"\t\t\tsamples: +g.getAttribute('data-samples'),\n"
"\t\t\toff: +g.getAttribute('data-off'),\n"
"\t\t\tdepth: +g.getAttribute('data-depth'),\n"
"\t\t\tx: r.getAttribute('x'), w: r.getAttribute('width'),\n"
"\t\t\tfill: r.getAttribute('fill') });\n"
"\t\tg.fgIndex = all.length - 1;\n"
"\t}\n"
"\tframes.addEventListener('mouseover', function (e) {\n"
"\t\tvar f = frameOf(e.target);\n"
"\t\tif (f)\n"
"\t\t\tdetails.textContent = f.info;\n"
"\t});\n"
"\tframes.addEventListener('mouseout', function (e) {\n"
"\t\tif (frameOf(e.target))\n"
"\t\t\tdetails.textContent = ' ';\n"
"\t});\n"
"\tframes.addEventListener('click', function (e) {\n"
"\t\tvar f = frameOf(e.target);\n"
"\t\tif (f)\n"
"\t\t\tzoom(f);\n"
"\t});\n"
"\tunzoomBtn.addEventListener('click', unzoom);\n"
"\tsearchBtn.addEventListener('click', function () {\n"
"\t\tif (searching !== null)\n"
"\t\t\tresetSearch();\n"
"\t\telse\n"
"\t\t\tsearch();\n"
"\t});\n"
"\tdocument.addEventListener('keydown', function (e) {\n"
"\t\tif ((e.ctrlKey || e.metaKey) && (e.key === 'f' || e.key === 'F')) {\n"
"\t\t\te.preventDefault();\n"
"\t\t\tsearch();\n"
"\t\t} else if (e.key === 'Escape') {\n"
"\t\t\tresetSearch();\n"
"\t\t}\n"
"\t});\n"
"\tapplyParams();\n"
"}\n"
"\n"
"/* The frame record of the frame group holding node n, or null. */\n"
"function frameOf(n) {\n"
"\twhile (n && n !== frames) {\n"
"\t\tif (n.fgIndex !== undefined)\n"
"\t\t\treturn all[n.fgIndex];\n"
"\t\tn = n.parentNode;\n"
"\t}\n"
"\treturn null;\n"
"}\n"
"\n"
"/* Label for a frame w pixels wide; the same rule as the C side. */\n"
"function fit(name, w) {\n"
"\tvar n = Math.floor((w - 3) / fontw);\n"
"\tif (n < 3)\n"
"\t\treturn '';\n"
"\tvar chars = Array.from(name);\n"
"\tif (chars.length <= n)\n"
"\t\treturn name;\n"
"\treturn chars.slice(0, n - 2).join('') + '..';\n"
"}\n"
"\n"
"function place(f, x, w) {\n"
"\tf.g.style.display = '';\n"
"\tf.rect.setAttribute('x', x);\n"
"\tf.rect.setAttribute('width', w);\n"
"\tf.text.setAttribute('x', (+x + 3).toFixed(2));\n"
"\tf.text.textContent = fit(f.name, +w);\n"
"}\n"
"\n"
"/* Make frame z fill the width: its subtree scaled, its ancestors full width. */\n"
"function zoom(z) {\n"
"\tif (!z.samples)\n"
"\t\treturn;\n"
"\tvar scale = usable / z.samples;\n"
"\tfor (var i = 0; i < all.length; i++) {\n"
"\t\tvar f = all[i], w;\n"
"\t\tf.g.classList.remove('parent');\n"
"\t\tif (f.depth < z.depth) {\n"
"\t\t\tif (f.off <= z.off && z.off + z.samples <= f.off + f.samples) {\n"
"\t\t\t\tplace(f, xpad.toFixed(2), usable.toFixed(2));\n"
"\t\t\t\tf.g.classList.add('parent');\n"
"\t\t\t\tcontinue;\n"
"\t\t\t}\n"
"\t\t} else if (f.off >= z.off && f.off + f.samples <= z.off + z.samples) {\n"
"\t\t\tw = f.samples * scale;\n"
"\t\t\tif (w >= minw) {\n"
"\t\t\t\tplace(f, (xpad + (f.off - z.off) * scale).toFixed(2), w.toFixed(2));\n"
"\t\t\t\tcontinue;\n"
"\t\t\t}\n"
"\t\t}\n"
"\t\tf.g.style.display = 'none';\n"
"\t}\n"
"\tzoomed = z;\n"
"\tunzoomBtn.style.display = '';\n"
"}\n"
"\n"
"function unzoom() {\n"
"\tfor (var i = 0; i < all.length; i++) {\n"
"\t\tall[i].g.classList.remove('parent');\n"
"\t\tplace(all[i], all[i].x, all[i].w);\n"
"\t}\n"
"\tzoomed = null;\n"
"\tunzoomBtn.style.display = 'none';\n"
"}\n"
"\n"
"/*\n"
" * Highlight frames whose name matches the regular expression re (asked for\n"
" * when not given) and show the share of samples under any match: frame\n"
" * sample ranges nest, so the union of [off, off + samples) over the matches\n"
" * counts each sample once.\n"
" */\n"
"function search(re) {\n"
"\tif (re === undefined) {\n"
"\t\tre = window.prompt('Search for (regular expression):', searching || '');\n"
"\t\tif (re === null || re === '')\n"
"\t\t\treturn;\n"
"\t}\n"
"\tvar rx;\n"
"\ttry {\n"
"\t\trx = new RegExp(re);\n"
"\t} catch (err) {\n"
"\t\twindow.alert('bad regular expression: ' + err.message);\n"
"\t\treturn;\n"
"\t}\n"
"\tvar spans = [];\n"
"\tfor (var i = 0; i < all.length; i++) {\n"
"\t\tvar f = all[i];\n"
"\t\tif (rx.test(f.name)) {\n"
"\t\t\tf.rect.setAttribute('fill', HILITE);\n"
"\t\t\tspans.push([f.off, f.off + f.samples]);\n"
"\t\t} else {\n"
"\t\t\tf.rect.setAttribute('fill', f.fill);\n"
"\t\t}\n"
"\t}\n"
"\tspans.sort(function (a, b) { return a[0] - b[0]; });\n"
"\tvar sum = 0, end = -1;\n"
"\tfor (var j = 0; j < spans.length; j++) {\n"
"\t\tif (spans[j][1] <= end)\n"
"\t\t\tcontinue;\n"
"\t\tsum += spans[j][1] - Math.max(spans[j][0], end);\n"
"\t\tend = spans[j][1];\n"
"\t}\n"
"\tsearching = re;\n"
"\tsearchBtn.textContent = 'Reset Search';\n"
"\tmatched.textContent = 'Matched: ' +\n"
"\t\t(total ? 100 * sum / total : 0).toFixed(2) + '% (' + sum + ' samples)';\n"
"\tmatched.style.display = '';\n"
"}\n"
"\n"
"function resetSearch() {\n"
"\tfor (var i = 0; i < all.length; i++)\n"
"\t\tall[i].rect.setAttribute('fill', all[i].fill);\n"
"\tsearching = null;\n"
"\tsearchBtn.textContent = 'Search';\n"
"\tmatched.style.display = 'none';\n"
"}\n"
"\n"
"/* ?s=REGEX searches and ?z=DEPTH.OFF zooms when the file is opened. */\n"
"function applyParams() {\n"
"\tvar p = new URLSearchParams(window.location.search);\n"
"\tvar z = p.get('z'), s = p.get('s');\n"
"\tif (z) {\n"
"\t\tvar dz = z.split('.');\n"
"\t\tfor (var i = 0; i < all.length; i++)\n"
"\t\t\tif (all[i].depth === +dz[0] && all[i].off === +dz[1])\n"
"\t\t\t\tzoom(all[i]);\n"
"\t}\n"
"\tif (s)\n"
"\t\tsearch(s);\n"
"}\n"
"\n"
"window.addEventListener('load', init);\n";

static const char fg_style[] =
"text { font-family: Verdana, sans-serif; font-size: 12px; fill: rgb(0,0,0); }\n"
"#title { text-anchor: middle; font-size: 17px; }\n"
"#subtitle, #note { text-anchor: middle; fill: rgb(110,110,110); }\n"
"#matched { text-anchor: end; }\n"
"#search { text-anchor: end; }\n"
".btn { cursor: pointer; fill: rgb(60,60,160); }\n"
".btn:hover { text-decoration: underline; }\n"
"#frames g { cursor: pointer; }\n"
"#frames g:hover rect { stroke: rgb(0,0,0); stroke-width: 0.5; }\n"
"#frames text { pointer-events: none; }\n"
".parent { opacity: 0.6; }\n";

struct fg_geom {
	unsigned int width, frame_height, height;
	double usable, min_width;
	unsigned int top;	/* pixels above the frames (title, controls) */
	unsigned int bottom;	/* pixels below them (details line) */
	bool inverted;
};

/* A differential graph: the totals, A's scale and what is drawn. */
struct fg_diff {
	uint64_t total_a, total_b;
	double scale;		/* A's counts times this compare with B's */
	bool widths_a;		/* node values are A's counts (others B's) */
	double max_delta;	/* largest |delta| of a drawn frame below the root */
};

/* Top edge of the frame row at @depth: the root is the bottom row (top row inverted). */
static double fg_row_y(const struct fg_geom *gm, unsigned int depth)
{
	if (gm->inverted)
		return (double)gm->top + (double)depth * gm->frame_height;
	return (double)gm->height - gm->bottom - (double)(depth + 1) * gm->frame_height;
}

/*
 * True if node @n is drawn: it has samples and is wide enough (an empty
 * graph still shows "all").
 */
static bool fg_drawn(const struct fg_node *n, uint64_t total, const struct fg_geom *gm)
{
	if (!total)
		return n->depth == 0;
	return n->value && (double)n->value / total * gm->usable >= gm->min_width;
}

/* A's and B's counts of node @n. */
static void fg_diff_counts(const struct fg_diff *d, const struct fg_node *n,
			   uint64_t *a, uint64_t *b)
{
	*a = d->widths_a ? n->value : n->other;
	*b = d->widths_a ? n->other : n->value;
}

/*
 * B - A * scale for node @n. Below a billionth of the counts compared it is
 * rounding in the scale, not a change: 0, so that equal shares are white.
 */
static double fg_diff_delta(const struct fg_diff *d, const struct fg_node *n)
{
	uint64_t a, b;
	double sa, delta;

	fg_diff_counts(d, n, &a, &b);
	sa = (double)a * d->scale;
	delta = (double)b - sa;
	return fabs(delta) <= 1e-9 * ((double)b + sa) ? 0 : delta;
}

/*
 * flamegraph.pl's differential fill: white for no change, red for growth,
 * blue for shrinkage, the other two channels going from 210 (a change near
 * zero) to 0 (the largest change in the graph; larger ones, the root's
 * without scaling, are clamped to it).
 */
static void fg_diff_color(const struct fg_diff *d, double delta, unsigned int *r,
			  unsigned int *g, unsigned int *b)
{
	double mag = fabs(delta);
	unsigned int v;

	*r = *g = *b = 255;
	if (!delta || !d->max_delta)
		return;
	if (mag > d->max_delta)
		mag = d->max_delta;
	v = (unsigned int)(210 * (d->max_delta - mag) / d->max_delta);
	if (delta > 0)
		*g = *b = v;
	else
		*r = *g = v;
}

/*
 * The title of a diff frame after its name: both counts, A scaled, the
 * delta and its share of A's (scaled) count.
 */
static void fg_diff_title(FILE *out, const struct fg_diff *d, const struct fg_node *n)
{
	double delta = fg_diff_delta(d, n), sa;
	uint64_t a, b;

	fg_diff_counts(d, n, &a, &b);
	sa = (double)a * d->scale;
	fprintf(out, " (A %" PRIu64 ", B %" PRIu64 " samples; ", a, b);
	if (d->scale != 1.0 && a)
		fprintf(out, "A x%.3f = %.2f; delta %+.2f, ", d->scale, sa, delta);
	else
		fprintf(out, "delta %+.*f, ", d->scale != 1.0 ? 2 : 0, delta);
	if (a)
		fprintf(out, "%+.2f%%)", 100.0 * delta / sa);
	else
		fputs(b ? "new)" : "none)", out);
}

/* One frame: <g> with the data attributes, <title>, <rect> and <text>. */
static void fg_write_frame(FILE *out, const struct fg_node *n, uint64_t total,
			   const struct fg_geom *gm, const struct flamegraph_opts *o,
			   const struct fg_diff *d)
{
	double x, w, y = fg_row_y(gm, n->depth);
	double pct = total ? 100.0 * n->value / total : 0.0;
	unsigned int r, g, b;

	if (total) {
		x = FLAMEGRAPH_XPAD + (double)n->off / total * gm->usable;
		w = (double)n->value / total * gm->usable;
	} else {
		x = FLAMEGRAPH_XPAD;
		w = gm->usable;
	}
	fprintf(out, "<g class=\"f\" data-samples=\"%" PRIu64 "\" data-off=\"%" PRIu64
		"\" data-depth=\"%u\"", n->value, n->off, n->depth);
	if (d) {
		double delta = fg_diff_delta(d, n);
		uint64_t a, bc;

		fg_diff_counts(d, n, &a, &bc);
		fprintf(out, " data-a=\"%" PRIu64 "\" data-b=\"%" PRIu64 "\" data-delta=\"%.3f\"",
			a, bc, delta);
		fg_diff_color(d, delta, &r, &g, &b);
	} else {
		fg_color(n, o->colors, o->reverse, &r, &g, &b);
	}
	fputs("><title>", out);
	fg_escape(out, n->name, n->len);
	if (d)
		fg_diff_title(out, d, n);
	else
		fprintf(out, " (%" PRIu64 " samples, %.2f%%)", n->value, pct);
	fputs("</title>", out);
	fprintf(out, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%u\" "
		"fill=\"rgb(%u,%u,%u)\" rx=\"2\" ry=\"2\"/>",
		x, y, w, gm->frame_height - 1, r, g, b);
	fprintf(out, "<text x=\"%.2f\" y=\"%.1f\">", x + 3,
		y + (gm->frame_height - 1) / 2.0 + 4);
	fg_label(out, n, w);
	fputs("</text></g>\n", out);
}

/*
 * Head of the document: size, data for the script, style, script,
 * background, title, then the subtitle and @note lines under it (either
 * may be NULL).
 */
static void fg_write_head(FILE *out, const struct fg_geom *gm, uint64_t total,
			  const struct flamegraph_opts *o, const char *title,
			  const char *note)
{
	const char *lines[2] = { o->subtitle, note };
	int y = 24;

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" "
		"data-xpad=\"%d\" data-usable=\"%.2f\" data-fontw=\"%.3f\" "
		"data-minwidth=\"%.2f\" data-total=\"%" PRIu64 "\">\n",
		gm->width, gm->height, gm->width, gm->height, FLAMEGRAPH_XPAD,
		gm->usable, FG_FONT_SIZE * FG_FONT_WIDTH, gm->min_width, total);
	fprintf(out, "<style type=\"text/css\"><![CDATA[\n%s]]></style>\n", fg_style);
	fprintf(out, "<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n",
		fg_script);
	fputs("<defs><linearGradient id=\"bg\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">"
	      "<stop stop-color=\"rgb(238,238,238)\" offset=\"5%\"/>"
	      "<stop stop-color=\"rgb(238,238,176)\" offset=\"95%\"/>"
	      "</linearGradient></defs>\n", out);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%u\" fill=\"url(#bg)\"/>\n",
		gm->width, gm->height);
	fprintf(out, "<text id=\"title\" x=\"%.1f\" y=\"%d\">", gm->width / 2.0, y);
	fg_escape_str(out, o->title ? o->title : title);
	fputs("</text>\n", out);
	for (int i = 0; i < 2; i++) {
		if (!lines[i])
			continue;
		y += 2 * FG_FONT_SIZE;
		fprintf(out, "<text id=\"%s\" x=\"%.1f\" y=\"%d\">",
			i ? "note" : "subtitle", gm->width / 2.0, y);
		fg_escape_str(out, lines[i]);
		fputs("</text>\n", out);
	}
	fprintf(out, "<text id=\"unzoom\" class=\"btn\" x=\"%d\" y=\"24\" "
		"style=\"display:none\">Reset Zoom</text>\n", FLAMEGRAPH_XPAD);
	fprintf(out, "<text id=\"search\" class=\"btn\" x=\"%u\" y=\"24\">Search</text>\n",
		gm->width - FLAMEGRAPH_XPAD);
	fprintf(out, "<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n",
		FLAMEGRAPH_XPAD, gm->height - 10);
	fprintf(out, "<text id=\"matched\" x=\"%u\" y=\"%u\" style=\"display:none\"> </text>\n",
		gm->width - FLAMEGRAPH_XPAD, gm->height - 10);
}

/* Spell the defaults out, for callers that then change a few fields. */
void flamegraph_opts__init(struct flamegraph_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->width = FLAMEGRAPH_DEF_WIDTH;
	o->frame_height = FLAMEGRAPH_DEF_FRAME_HEIGHT;
	o->min_width = FLAMEGRAPH_DEF_MIN_WIDTH;
	o->colors = FLAMEGRAPH_COLORS_KERNEL_USER;
	o->diff_widths = FLAMEGRAPH_DIFF_WIDTHS_B;
}

/* Check and default the options shared by every graph into @gm. 0 or -EINVAL. */
static int fg_geom__init(struct fg_geom *gm, const struct flamegraph_opts *o)
{
	if ((unsigned int)o->colors >= FLAMEGRAPH_COLORS__MAX ||
	    (unsigned int)o->diff_widths >= FLAMEGRAPH_DIFF_WIDTHS__MAX)
		return -EINVAL;
	memset(gm, 0, sizeof(*gm));
	gm->width = o->width ? o->width : FLAMEGRAPH_DEF_WIDTH;
	gm->frame_height = o->frame_height ? o->frame_height : FLAMEGRAPH_DEF_FRAME_HEIGHT;
	if (gm->width <= 2 * FLAMEGRAPH_XPAD + 10 || gm->width > 1000000 ||
	    gm->frame_height < 2 || gm->frame_height > 1000)
		return -EINVAL;
	gm->usable = gm->width - 2 * FLAMEGRAPH_XPAD;
	if (o->min_width < 0)
		gm->min_width = 0;
	else
		gm->min_width = o->min_width ? o->min_width : FLAMEGRAPH_DEF_MIN_WIDTH;
	gm->inverted = o->inverted;
	return 0;
}

/*
 * Build the tree of the @nr @items whose drawn values sum to @total, size
 * the image to the deepest drawn frame, then print it in pre-order. @d is
 * NULL for a plain graph; for a diff its max_delta is filled in here.
 */
static int fg_draw(struct fg_item *items, size_t nr, uint64_t total,
		   struct fg_geom *gm, const struct flamegraph_opts *o,
		   struct fg_diff *d, const char *title, const char *note, FILE *out)
{
	struct fg_tree t = { 0 };
	unsigned int max_depth = 0;
	int err;

	err = fg_tree__build(&t, items, nr);
	if (err)
		goto out;
	for (size_t i = 0; i < t.nr; i++) {
		const struct fg_node *n = &t.nodes[i];

		if (!fg_drawn(n, total, gm))
			continue;
		if (n->depth > max_depth)
			max_depth = n->depth;
		if (d && n->depth && fabs(fg_diff_delta(d, n)) > d->max_delta)
			d->max_delta = fabs(fg_diff_delta(d, n));
	}

	gm->top = 3 * FG_FONT_SIZE + (o->subtitle ? 2 * FG_FONT_SIZE : 0) +
		  (note ? 2 * FG_FONT_SIZE : 0);
	gm->bottom = 2 * FG_FONT_SIZE + 10;
	gm->height = gm->top + gm->bottom + (max_depth + 1) * gm->frame_height;

	fg_write_head(out, gm, total, o, title, note);
	fputs("<g id=\"frames\">\n", out);
	for (size_t i = 0; i < t.nr; i++)
		if (fg_drawn(&t.nodes[i], total, gm))
			fg_write_frame(out, &t.nodes[i], total, gm, o, d);
	fputs("</g>\n</svg>\n", out);
	if (fflush(out) || ferror(out))
		err = -EIO;
out:
	free(t.nodes);
	return err;
}

/*
 * @f itself, or with o->reverse a reversed copy in *@owned (which the caller
 * frees; NULL otherwise). NULL if the copy cannot be made.
 */
static const struct folded *fg_input(const struct folded *f,
				     const struct flamegraph_opts *o,
				     struct folded **owned)
{
	*owned = NULL;
	if (!o->reverse)
		return f;
	*owned = folded__reversed(f);
	return *owned;
}

/* The line under a diff's title: both totals, A's scale, whose widths. */
static void fg_diff_note(char *buf, size_t len, const struct fg_diff *d, bool raw)
{
	int n = snprintf(buf, len, "A %" PRIu64 " samples, B %" PRIu64 "; ",
			 d->total_a, d->total_b);

	if (n < 0 || (size_t)n >= len)
		return;
	if (!d->total_a)
		n += snprintf(buf + n, len - n, "A is empty: every frame is new in B; ");
	else if (d->scale != 1.0)
		n += snprintf(buf + n, len - n, "A scaled x%.3f to B's total; ", d->scale);
	else if (raw && d->total_a != d->total_b)
		n += snprintf(buf + n, len - n, "raw counts, not scaled; ");
	if ((size_t)n < len)
		snprintf(buf + n, len - n, "widths from %s; red grew, blue shrank",
			 d->widths_a ? "A" : "B");
}

/*
 * Draw @b, or with @a the differential graph from @a to @b: check the
 * options, reverse the stacks if asked, and turn them into items (for a
 * diff each stack once per profile it is in, the tree merging them, with A
 * scaled to B's total unless o->diff_raw).
 */
static int fg_write(const struct folded *a, const struct folded *b, FILE *out,
		    const struct flamegraph_opts *o)
{
	static const struct flamegraph_opts defaults;
	struct folded *rev_a = NULL, *rev_b = NULL;
	struct fg_item *items = NULL;
	struct fg_diff d = { 0 };
	struct fg_geom gm;
	char note[256];
	size_t nr;
	int err;

	if (!o)
		o = &defaults;
	err = fg_geom__init(&gm, o);
	if (err)
		return err;
	err = -ENOMEM;
	b = fg_input(b, o, &rev_b);
	if (!b || (a && !(a = fg_input(a, o, &rev_a))))
		goto out;
	nr = (a ? folded__nr_stacks(a) : 0) + folded__nr_stacks(b);
	items = malloc((nr ? nr : 1) * sizeof(*items));
	if (!items)
		goto out;
	if (!a) {
		nr = fg_items__add(items, 0, b, true);
		err = fg_draw(items, nr, folded__total(b), &gm, o, NULL, "Flame Graph",
			      NULL, out);
		goto out;
	}
	d.total_a = folded__total(a);
	d.total_b = folded__total(b);
	d.widths_a = o->diff_widths == FLAMEGRAPH_DIFF_WIDTHS_A;
	d.scale = 1.0;
	if (!o->diff_raw && d.total_a && d.total_a != d.total_b)
		d.scale = (double)d.total_b / d.total_a;
	nr = fg_items__add(items, 0, a, d.widths_a);
	nr = fg_items__add(items, nr, b, !d.widths_a);
	fg_diff_note(note, sizeof(note), &d, o->diff_raw);
	err = fg_draw(items, nr, d.widths_a ? d.total_a : d.total_b, &gm, o, &d,
		      "Differential Flame Graph", note, out);
out:
	free(items);
	folded__free(rev_a);
	folded__free(rev_b);
	return err;
}

int flamegraph__write(const struct folded *f, FILE *out,
		      const struct flamegraph_opts *o)
{
	return fg_write(NULL, f, out, o);
}

int flamegraph__write_diff(const struct folded *a, const struct folded *b,
			   FILE *out, const struct flamegraph_opts *o)
{
	if (!a || !b)
		return -EINVAL;
	return fg_write(a, b, out, o);
}
