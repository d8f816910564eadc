// SPDX-License-Identifier: GPL-2.0
/*
 * check_flamegraph.c - draw known folded stacks, read the SVG back with a
 * plain text scan and check the geometry (width proportional to samples,
 * children inside their parent, siblings in name order), the merged counts,
 * escaping, colours, determinism and that the interactive script is there;
 * the inverted and reversed layouts frame by frame; the differential graph's
 * counts, deltas and colours against hand-computed ones; and the command
 * line's options, good and bad ($HLDBENCH, default build/hldbench).
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flamegraph.h"
#include "folded.h"
#include "run-command.h"

#define FIX "tests/fixtures/folded/"
#define MAX_FRAMES 1024
#define EPS 0.0051		/* values are printed with two decimals */

/* One <g class="f"> read back from the SVG. */
struct frame {
	uint64_t samples, off;
	unsigned int depth;
	double x, y, w, h;
	char name[256];		/* <title> up to " (N samples, P%)", still escaped */
	char title[320];
	char text[256];
	unsigned int r, g, b;
	long long a, bc;	/* diff: data-a, data-b; -1 if absent */
	double delta;		/* diff: data-delta */
};

/* Copy the value of attribute @name="..." found in [@p, @end) into @buf. */
static int attr(const char *p, const char *end, const char *name, char *buf, size_t len)
{
	char key[64];
	const char *v, *q;

	snprintf(key, sizeof(key), " %s=\"", name);
	v = strstr(p, key);
	if (!v || v >= end)
		return -1;
	v += strlen(key);
	q = strchr(v, '"');
	if (!q || q >= end || (size_t)(q - v) >= len)
		return -1;
	memcpy(buf, v, q - v);
	buf[q - v] = '\0';
	return 0;
}

static double attr_num(const char *p, const char *end, const char *name)
{
	char buf[64];

	ck_assert_msg(!attr(p, end, name, buf, sizeof(buf)), "no attribute %s", name);
	return strtod(buf, NULL);
}

/* Copy the character data between @open's '>' and @close into @buf. */
static void element_text(const char *p, const char *end, const char *open,
			 const char *close, char *buf, size_t len)
{
	const char *s = strstr(p, open), *e;

	ck_assert_msg(s && s < end, "no %s in frame", open);
	s = strchr(s, '>') + 1;
	e = strstr(s, close);
	ck_assert_msg(e && e < end && (size_t)(e - s) < len, "no %s in frame", close);
	memcpy(buf, s, e - s);
	buf[e - s] = '\0';
}

/* Read every frame of @svg into @v (document order); returns how many. */
static size_t parse_frames(const char *svg, struct frame *v, size_t max)
{
	const char *p = svg;
	size_t n = 0;

	while ((p = strstr(p, "<g class=\"f\"")) != NULL) {
		const char *end = strstr(p, "</g>");
		struct frame *f = &v[n];
		char fill[64], *paren;

		ck_assert_ptr_nonnull(end);
		ck_assert_uint_lt(n, max);
		memset(f, 0, sizeof(*f));
		f->samples = (uint64_t)attr_num(p, end, "data-samples");
		f->off = (uint64_t)attr_num(p, end, "data-off");
		f->depth = (unsigned int)attr_num(p, end, "data-depth");
		f->x = attr_num(p, end, "x");
		f->y = attr_num(p, end, "y");
		f->w = attr_num(p, end, "width");
		f->h = attr_num(p, end, "height");
		f->a = f->bc = -1;
		if (!attr(p, end, "data-a", fill, sizeof(fill))) {
			f->a = strtoll(fill, NULL, 10);
			f->bc = (long long)attr_num(p, end, "data-b");
			f->delta = attr_num(p, end, "data-delta");
		}
		ck_assert_int_eq(attr(p, end, "fill", fill, sizeof(fill)), 0);
		ck_assert_int_eq(sscanf(fill, "rgb(%u,%u,%u)", &f->r, &f->g, &f->b), 3);
		element_text(p, end, "<title", "</title>", f->title, sizeof(f->title));
		element_text(p, end, "<text", "</text>", f->text, sizeof(f->text));
		snprintf(f->name, sizeof(f->name), "%s", f->title);
		paren = strstr(f->name, " (");
		while (paren && strstr(paren + 1, " ("))
			paren = strstr(paren + 1, " (");
		ck_assert_ptr_nonnull(paren);
		*paren = '\0';
		n++;
		p = end;
	}
	return n;
}

/* Occurrences of @needle in @s. */
static size_t count_str(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* Characters as displayed: an entity counts as one. */
static size_t display_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (*s == '&')
			s = strchr(s, ';');
	return n;
}

/* Character data must hold no raw markup and only the five XML entities. */
static void check_chardata(const char *s)
{
	ck_assert_msg(!strpbrk(s, "<>\"'"), "unescaped markup in '%s'", s);
	for (const char *a = strchr(s, '&'); a; a = strchr(a + 1, '&'))
		ck_assert_msg(!strncmp(a, "&amp;", 5) || !strncmp(a, "&lt;", 4) ||
			      !strncmp(a, "&gt;", 4) || !strncmp(a, "&quot;", 6) ||
			      !strncmp(a, "&apos;", 6), "bad entity in '%s'", s);
}

/*
 * Draw @b with @o into a string (caller frees); with @a, the differential
 * graph from @a to @b.
 */
static char *draw_diff(const struct folded *a, const struct folded *b,
		       const struct flamegraph_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(out);
	if (a)
		ck_assert_int_eq(flamegraph__write_diff(a, b, out, o), 0);
	else
		ck_assert_int_eq(flamegraph__write(b, out, o), 0);
	fclose(out);
	return buf;
}

static char *draw(const struct folded *f, const struct flamegraph_opts *o)
{
	return draw_diff(NULL, f, o);
}

/* A set made from folded text (or the fixture @file when @text is NULL). */
static struct folded *make(const char *text, const char *file)
{
	struct folded *f = folded__new();
	char path[256];
	FILE *in;

	ck_assert_ptr_nonnull(f);
	if (!text) {
		snprintf(path, sizeof(path), FIX "%s", file);
		ck_assert_int_eq(folded__load(f, path, NULL), 0);
		return f;
	}
	in = fmemopen((void *)text, strlen(text), "r");
	ck_assert_ptr_nonnull(in);
	if (*text)
		ck_assert_int_eq(folded__read(f, in, NULL), 0);
	fclose(in);
	return f;
}

/*
 * The checks every graph must pass: geometry against the counts, nesting,
 * sibling order, pre-order, labels that fit, escaped character data.
 */
static void check_geometry(const struct frame *v, size_t n, uint64_t total,
			   unsigned int width, unsigned int fh, bool inverted)
{
	double dir = inverted ? -1 : 1;	/* rows go up, or down in an icicle */

	double usable = width - 2 * FLAMEGRAPH_XPAD;
	double fontw = 12 * 0.59;

	ck_assert_uint_ge(n, 1);
	ck_assert_uint_eq(v[0].depth, 0);
	ck_assert_str_eq(v[0].name, "all");
	ck_assert_uint_eq(v[0].samples, total);
	for (size_t i = 0; i < n; i++) {
		const struct frame *f = &v[i];
		double want_w = total ? (double)f->samples / total * usable : usable;
		double want_x = FLAMEGRAPH_XPAD + (total ? (double)f->off / total * usable : 0);
		uint64_t child_sum = 0;
		double child_w = 0, last_x = -1;
		const char *last_name = NULL;
		size_t nchild = 0, nparent = 0;

		ck_assert_msg(fabs(f->w - want_w) <= EPS, "%s: width %.2f, want %.4f",
			      f->title, f->w, want_w);
		ck_assert_msg(fabs(f->x - want_x) <= EPS, "%s: x %.2f, want %.4f",
			      f->title, f->x, want_x);
		ck_assert_msg(fabs(f->y - (v[0].y - dir * f->depth * (double)fh)) <= EPS,
			      "%s: y %.1f at depth %u", f->title, f->y, f->depth);
		ck_assert_msg(f->h == fh - 1, "%s: height %.0f", f->title, f->h);
		check_chardata(f->title);
		check_chardata(f->text);
		if (f->text[0])
			ck_assert_msg(display_len(f->text) * fontw <= f->w - 3 + EPS,
				      "label '%s' wider than its frame (%.2f)", f->text, f->w);

		for (size_t j = 0; j < n; j++) {
			const struct frame *c = &v[j];

			if (c->depth == f->depth - 1 && f->depth &&
			    c->off <= f->off && f->off + f->samples <= c->off + c->samples) {
				nparent++;
				ck_assert_msg(j < i, "%s drawn before its parent", f->title);
			}
			if (c->depth != f->depth + 1 || c->off < f->off ||
			    c->off >= f->off + f->samples)
				continue;
			nchild++;
			child_sum += c->samples;
			child_w += c->w;
			ck_assert_msg(c->x > last_x, "%s: children not left to right", f->title);
			if (last_name)
				ck_assert_msg(strcmp(last_name, c->name) < 0,
					      "%s: children '%s' then '%s'", f->title,
					      last_name, c->name);
			last_x = c->x;
			last_name = c->name;
		}
		ck_assert_msg(f->depth == 0 || nparent == 1, "%s: %zu parents",
			      f->title, nparent);
		ck_assert_msg(child_sum <= f->samples, "%s: children have %llu samples",
			      f->title, (unsigned long long)child_sum);
		ck_assert_msg(child_w <= f->w + nchild * EPS, "%s: children %.2f px wide",
			      f->title, child_w);
	}
}

/* --- table of graphs --------------------------------------------------- */

struct want_frame {
	unsigned int depth;
	uint64_t off;
	const char *name;	/* as escaped in the SVG */
	uint64_t samples;
};

static const struct graph_case {
	const char *label;
	const char *text;	/* folded input; NULL: @file */
	const char *file;
	unsigned int width;
	unsigned int frame_height;
	double min_width;
	size_t nr_frames;
	struct want_frame want[12];
} graph_cases[] = {
	{ "siblings", "a;b 3\na;c 1\nd 4\n", NULL, 0, 0, 0, 5, {
		{ 0, 0, "all", 8 }, { 1, 0, "a", 4 }, { 1, 4, "d", 4 },
		{ 2, 0, "b", 3 }, { 2, 3, "c", 1 } } },
	{ "narrow", "a;b 3\na;c 1\nd 4\n", NULL, 300, 20, 0, 5, {
		{ 0, 0, "all", 8 }, { 1, 4, "d", 4 }, { 2, 3, "c", 1 } } },
	{ "shared prefixes", "x;y;z 10\nx;y 5\nx;w;z 5\n", NULL, 0, 0, 0, 6, {
		{ 1, 0, "x", 20 }, { 2, 0, "w", 5 }, { 2, 5, "y", 15 },
		{ 3, 0, "z", 5 }, { 3, 5, "z", 10 } } },
	{ "frame order", "a b;y 2\na;z 3\nB 1\n", NULL, 0, 0, 0, 6, {
		{ 1, 0, "B", 1 }, { 1, 1, "a", 3 }, { 1, 4, "a b", 2 },
		{ 2, 1, "z", 3 }, { 2, 4, "y", 2 } } },
	{ "escaping", "<&>\"';f 3\ng 1\n", NULL, 0, 0, 0, 4, {
		{ 1, 0, "&lt;&amp;&gt;&quot;&apos;", 3 }, { 2, 0, "f", 3 },
		{ 1, 3, "g", 1 } } },
	{ "fixture", NULL, "good.folded", 0, 0, 0, 20, {
		{ 0, 0, "all", 1420 }, { 1, 0, "fio", 405 }, { 1, 405, "stress-ng", 975 },
		{ 1, 1380, "worker", 40 }, { 2, 0, "main", 405 },
		{ 3, 0, "main", 5 }, { 3, 5, "td_io_queue", 400 },
		{ 2, 405, "entry_SYSCALL_64_[k]", 150 }, { 2, 555, "main", 825 },
		{ 3, 555, "stress_cpu", 825 }, { 4, 855, "stress_cpu_sqrt", 525 },
		{ 2, 1380, "std::vector&lt;int, std::allocator&lt;int&gt; &gt;::push_back", 40 } } },
	{ "elided", "big 100000\nbig;tiny 1\nbig;huge 50000\n", NULL, 0, 0, 0, 3, {
		{ 1, 0, "big", 100001 + 50000 }, { 2, 0, "huge", 50000 } } },
	{ "elided drawn", "big 100000\nbig;tiny 1\nbig;huge 50000\n", NULL, 0, 0, -1, 4, {
		{ 2, 50000, "tiny", 1 } } },
	{ "wide min width", "a 90\nb 10\n", NULL, 1020, 0, 150, 2, {
		{ 1, 0, "a", 90 } } },
	{ "empty", "", NULL, 0, 0, 0, 1, { { 0, 0, "all", 0 } } },
};

START_TEST(test_graph)
{
	const struct graph_case *c = &graph_cases[_i];
	struct flamegraph_opts o = {
		.width = c->width, .frame_height = c->frame_height,
		.min_width = c->min_width, .title = c->label,
	};
	static struct frame v[MAX_FRAMES];
	struct folded *f = make(c->text, c->file);
	char *svg = draw(f, &o);
	size_t n = parse_frames(svg, v, MAX_FRAMES);

	ck_assert_msg(n == c->nr_frames, "%s: %zu frames, want %zu", c->label, n,
		      c->nr_frames);
	check_geometry(v, n, folded__total(f), c->width ? c->width : FLAMEGRAPH_DEF_WIDTH,
		       c->frame_height ? c->frame_height : FLAMEGRAPH_DEF_FRAME_HEIGHT, false);
	for (size_t k = 0; k < 12 && c->want[k].name; k++) {
		const struct want_frame *w = &c->want[k];
		size_t i;

		for (i = 0; i < n; i++)
			if (v[i].depth == w->depth && v[i].off == w->off &&
			    !strcmp(v[i].name, w->name))
				break;
		ck_assert_msg(i < n, "%s: no frame '%s' at depth %u offset %llu", c->label,
			      w->name, w->depth, (unsigned long long)w->off);
		ck_assert_msg(v[i].samples == w->samples, "%s: '%s' has %llu samples, want %llu",
			      c->label, w->name, (unsigned long long)v[i].samples,
			      (unsigned long long)w->samples);
	}
	free(svg);
	folded__free(f);
}
END_TEST

/* A 300-deep recursion: one frame per level, image tall enough for all. */
START_TEST(test_deep)
{
	static struct frame v[MAX_FRAMES];
	struct folded *f = folded__new();
	char *stack = malloc(300 * 5 + 1), *svg;
	unsigned int height = 0;
	size_t n;

	stack[0] = '\0';
	for (int i = 0; i < 300; i++)
		strcat(stack, i ? ";rec" : "rec");
	ck_assert_int_eq(folded__add(f, stack, 7), 0);
	svg = draw(f, NULL);
	n = parse_frames(svg, v, MAX_FRAMES);
	ck_assert_uint_eq(n, 301);
	check_geometry(v, n, 7, FLAMEGRAPH_DEF_WIDTH, FLAMEGRAPH_DEF_FRAME_HEIGHT, false);
	ck_assert_int_eq(sscanf(strstr(svg, "<svg"), "<svg version=\"1.1\" "
				"xmlns=\"http://www.w3.org/2000/svg\" width=\"1200\" "
				"height=\"%u\"", &height), 1);
	ck_assert_uint_ge(height, 301 * FLAMEGRAPH_DEF_FRAME_HEIGHT);
	ck_assert_double_ge(v[300].y, 0);
	free(stack);
	free(svg);
	folded__free(f);
}
END_TEST


/* The fill of the first frame named @name at @depth. */
static const struct frame *find(const struct frame *v, size_t n, unsigned int depth,
				const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].depth == depth && !strcmp(v[i].name, name))
			return &v[i];
	ck_abort_msg("no frame %s at depth %u", name, depth);
	return NULL;
}

/* --- inverted and reversed layouts ------------------------------------- */

/* A frame as drawn at width 1020 (1000 usable pixels). */
struct want_rect {
	unsigned int depth;
	const char *name;
	uint64_t samples;
	double x, w;
};

static const struct layout_case {
	const char *label;
	const char *text;
	bool inverted, reverse;
	size_t nr;
	struct want_rect want[12];	/* every frame, in document order */
} layout_cases[] = {
	{ "inverted", "a;b 3\na;c 1\nd 4\n", true, false, 5, {
		{ 0, "all", 8, 10, 1000 }, { 1, "a", 4, 10, 500 }, { 2, "b", 3, 10, 375 },
		{ 2, "c", 1, 385, 125 }, { 1, "d", 4, 510, 500 } } },
	/* reversed: "x;a;c 2", "x;b;c 3", "x;d 1", "y;a;c 4"; leaf x merges to 6 */
	{ "reversed", "c;a;x 2\nc;b;x 3\nd;x 1\nc;a;y 4\n", false, true, 10, {
		{ 0, "all", 10, 10, 1000 }, { 1, "x", 6, 10, 600 }, { 2, "a", 2, 10, 200 },
		{ 3, "c", 2, 10, 200 }, { 2, "b", 3, 210, 300 }, { 3, "c", 3, 210, 300 },
		{ 2, "d", 1, 510, 100 }, { 1, "y", 4, 610, 400 }, { 2, "a", 4, 610, 400 },
		{ 3, "c", 4, 610, 400 } } },
	{ "reversed inverted", "c;a;x 2\nc;b;x 3\nd;x 1\nc;a;y 4\n", true, true, 10, {
		{ 0, "all", 10, 10, 1000 }, { 1, "x", 6, 10, 600 }, { 2, "a", 2, 10, 200 },
		{ 3, "c", 2, 10, 200 }, { 2, "b", 3, 210, 300 }, { 3, "c", 3, 210, 300 },
		{ 2, "d", 1, 510, 100 }, { 1, "y", 4, 610, 400 }, { 2, "a", 4, 610, 400 },
		{ 3, "c", 4, 610, 400 } } },
	/* "f;solo 1" and "solo 3": the comm-only stack stays a frame of its own */
	{ "reversed one frame", "solo 3\nsolo;f 1\n", false, true, 4, {
		{ 0, "all", 4, 10, 1000 }, { 1, "f", 1, 10, 250 }, { 2, "solo", 1, 10, 250 },
		{ 1, "solo", 3, 260, 750 } } },
};

/*
 * Every frame where the table says, in pre-order; and the same stacks drawn
 * the other way up have the same frames with their rows mirrored: y(depth)
 * + y'(depth) is one constant (the root at the bottom in one, on top in the
 * other).
 */
START_TEST(test_layout)
{
	const struct layout_case *c = &layout_cases[_i];
	struct flamegraph_opts o = { .width = 1020, .inverted = c->inverted,
				     .reverse = c->reverse, .min_width = -1 };
	static struct frame v[MAX_FRAMES], m[MAX_FRAMES];
	struct folded *f = make(c->text, NULL);
	char *svg = draw(f, &o), *msvg;
	size_t n = parse_frames(svg, v, MAX_FRAMES), mn;

	ck_assert_msg(n == c->nr, "%s: %zu frames, want %zu", c->label, n, c->nr);
	check_geometry(v, n, folded__total(f), 1020, FLAMEGRAPH_DEF_FRAME_HEIGHT, c->inverted);
	for (size_t i = 0; i < n; i++) {
		const struct want_rect *w = &c->want[i];

		ck_assert_msg(v[i].depth == w->depth && !strcmp(v[i].name, w->name) &&
			      v[i].samples == w->samples,
			      "%s: frame %zu is %s (depth %u, %llu samples), want %s (%u, %llu)",
			      c->label, i, v[i].name, v[i].depth,
			      (unsigned long long)v[i].samples, w->name, w->depth,
			      (unsigned long long)w->samples);
		ck_assert_msg(fabs(v[i].x - w->x) <= EPS && fabs(v[i].w - w->w) <= EPS,
			      "%s: %s at x %.2f width %.2f, want %.2f %.2f", c->label,
			      w->name, v[i].x, v[i].w, w->x, w->w);
		if (c->inverted)
			ck_assert_double_gt(v[i].y + EPS, v[0].y);	/* root on top */
		else
			ck_assert_double_lt(v[i].y - EPS, v[0].y);	/* root at the bottom */
	}

	o.inverted = !o.inverted;
	msvg = draw(f, &o);
	mn = parse_frames(msvg, m, MAX_FRAMES);
	ck_assert_uint_eq(mn, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(m[i].name, v[i].name);
		ck_assert(m[i].x == v[i].x && m[i].w == v[i].w);
		ck_assert_msg(fabs(m[i].y + v[i].y - (m[0].y + v[0].y)) <= EPS,
			      "%s: %s rows not mirrored", c->label, v[i].name);
	}
	free(msvg);
	free(svg);
	folded__free(f);
}
END_TEST

/*
 * Reversed stacks keep the kernel-user colours by frame, not by depth: the
 * comms (now the last frames) green, the kernel leaves blue although they
 * are at depth 1 where the comms normally are.
 */
START_TEST(test_reverse_colors)
{
	struct flamegraph_opts o = { .reverse = true };
	static struct frame v[MAX_FRAMES];
	struct folded *f = make("cat;main;read_[k];vfs_read_[k] 5\ncat;main;calc 3\n"
				"cat 1\n", NULL);
	char *svg = draw(f, &o);
	size_t n = parse_frames(svg, v, MAX_FRAMES);
	const struct frame *leaf_k = find(v, n, 1, "vfs_read_[k]");
	const struct frame *user = find(v, n, 1, "calc");
	const struct frame *comm = find(v, n, 4, "cat");
	const struct frame *comm1 = find(v, n, 1, "cat");

	ck_assert(leaf_k->b > leaf_k->r);			/* blue */
	ck_assert(find(v, n, 2, "read_[k]")->b > find(v, n, 2, "read_[k]")->r);
	ck_assert(user->r > user->b && user->r >= 205);		/* warm */
	ck_assert(comm->g > comm->r && comm->g > comm->b);	/* green */
	ck_assert(comm1->g > comm1->r && comm1->g > comm1->b);	/* a stack of only the comm */
	free(svg);
	folded__free(f);
}
END_TEST

/* --- differential graphs ----------------------------------------------- */

struct want_diff {
	unsigned int depth;
	const char *name;
	long long a, b;
	const char *tail;	/* the title after the name */
	unsigned int r, g, bl;
};

static const struct diff_case {
	const char *label;
	const char *a, *b;
	enum flamegraph_diff_widths widths;
	bool raw;
	const char *note;	/* in the line under the title, as escaped */
	size_t nr;
	struct want_diff want[8];	/* every frame, in document order */
} diff_cases[] = {
	/* equal totals: deltas in samples; the largest (+3, b) is full red */
	{ "equal totals", "a;b 3\na;c 2\na;e 2\nd 4\n", "a;b 6\na;c 1\na;e 2\nd 2\n",
	  FLAMEGRAPH_DIFF_WIDTHS_B, false, "A 11 samples, B 11; widths from B; red grew", 6, {
		{ 0, "all", 11, 11, " (A 11, B 11 samples; delta +0, +0.00%)", 255, 255, 255 },
		{ 1, "a", 7, 9, " (A 7, B 9 samples; delta +2, +28.57%)", 255, 70, 70 },
		{ 2, "b", 3, 6, " (A 3, B 6 samples; delta +3, +100.00%)", 255, 0, 0 },
		{ 2, "c", 2, 1, " (A 2, B 1 samples; delta -1, -50.00%)", 140, 140, 255 },
		{ 2, "e", 2, 2, " (A 2, B 2 samples; delta +0, +0.00%)", 255, 255, 255 },
		{ 1, "d", 4, 2, " (A 4, B 2 samples; delta -2, -50.00%)", 70, 70, 255 } } },
	/* B has twice the samples: A is scaled x2 before comparing */
	{ "scaled", "a 10\nb 10\n", "a 30\nb 10\n", FLAMEGRAPH_DIFF_WIDTHS_B, false,
	  "A 20 samples, B 40; A scaled x2.000 to B&apos;s total; widths from B", 3, {
		{ 0, "all", 20, 40, " (A 20, B 40 samples; A x2.000 = 40.00; delta +0.00, +0.00%)",
		  255, 255, 255 },
		{ 1, "a", 10, 30, " (A 10, B 30 samples; A x2.000 = 20.00; delta +10.00, +50.00%)",
		  255, 0, 0 },
		{ 1, "b", 10, 10, " (A 10, B 10 samples; A x2.000 = 20.00; delta -10.00, -50.00%)",
		  0, 0, 255 } } },
	/* the same raw: b has not changed, the root grew (clamped to full red) */
	{ "raw", "a 10\nb 10\n", "a 30\nb 10\n", FLAMEGRAPH_DIFF_WIDTHS_B, true,
	  "A 20 samples, B 40; raw counts, not scaled; widths from B", 3, {
		{ 0, "all", 20, 40, " (A 20, B 40 samples; delta +20, +100.00%)", 255, 0, 0 },
		{ 1, "a", 10, 30, " (A 10, B 30 samples; delta +20, +200.00%)", 255, 0, 0 },
		{ 1, "b", 10, 10, " (A 10, B 10 samples; delta +0, +0.00%)", 255, 255, 255 } } },
	/* B is A three times over: after scaling nothing changed */
	{ "proportional", "x;y 3\nx;z 5\nw 1\n", "x;y 9\nx;z 15\nw 3\n",
	  FLAMEGRAPH_DIFF_WIDTHS_B, false, "A scaled x3.000", 5, {
		{ 0, "all", 9, 27, " (A 9, B 27 samples; A x3.000 = 27.00; delta +0.00, +0.00%)",
		  255, 255, 255 },
		{ 1, "w", 1, 3, " (A 1, B 3 samples; A x3.000 = 3.00; delta +0.00, +0.00%)",
		  255, 255, 255 },
		{ 1, "x", 8, 24, " (A 8, B 24 samples; A x3.000 = 24.00; delta +0.00, +0.00%)",
		  255, 255, 255 },
		{ 2, "y", 3, 9, " (A 3, B 9 samples; A x3.000 = 9.00; delta +0.00, +0.00%)",
		  255, 255, 255 },
		{ 2, "z", 5, 15, " (A 5, B 15 samples; A x3.000 = 15.00; delta +0.00, +0.00%)",
		  255, 255, 255 } } },
	/* B's widths: what is only in A has none and is not drawn */
	{ "new in B", "a 5\ngone 5\n", "a 5\nnew 5\n", FLAMEGRAPH_DIFF_WIDTHS_B, false,
	  "A 10 samples, B 10; widths from B", 3, {
		{ 0, "all", 10, 10, " (A 10, B 10 samples; delta +0, +0.00%)", 255, 255, 255 },
		{ 1, "a", 5, 5, " (A 5, B 5 samples; delta +0, +0.00%)", 255, 255, 255 },
		{ 1, "new", 0, 5, " (A 0, B 5 samples; delta +5, new)", 255, 0, 0 } } },
	/* A's widths: what went away is drawn, what is new is not */
	{ "gone from A", "a 5\ngone 5\n", "a 5\nnew 5\n", FLAMEGRAPH_DIFF_WIDTHS_A, false,
	  "A 10 samples, B 10; widths from A", 3, {
		{ 0, "all", 10, 10, " (A 10, B 10 samples; delta +0, +0.00%)", 255, 255, 255 },
		{ 1, "a", 5, 5, " (A 5, B 5 samples; delta +0, +0.00%)", 255, 255, 255 },
		{ 1, "gone", 5, 0, " (A 5, B 0 samples; delta -5, -100.00%)", 0, 0, 255 } } },
	{ "A empty", "", "a 2\n", FLAMEGRAPH_DIFF_WIDTHS_B, false,
	  "A 0 samples, B 2; A is empty: every frame is new in B", 2, {
		{ 0, "all", 0, 2, " (A 0, B 2 samples; delta +2, new)", 255, 0, 0 },
		{ 1, "a", 0, 2, " (A 0, B 2 samples; delta +2, new)", 255, 0, 0 } } },
	{ "both empty", "", "", FLAMEGRAPH_DIFF_WIDTHS_B, false, "A 0 samples, B 0", 1, {
		{ 0, "all", 0, 0, " (A 0, B 0 samples; delta +0, none)", 255, 255, 255 } } },
};

/*
 * Each frame's counts, title and fill against hand-computed ones (delta =
 * B - A * total(B) / total(A); fill 255 and int(210 * (max - |delta|) / max)
 * for the other channels), the note under the title, and the geometry of the
 * drawn profile's counts.
 */
START_TEST(test_diff)
{
	const struct diff_case *c = &diff_cases[_i];
	struct flamegraph_opts o = { .diff_widths = c->widths, .diff_raw = c->raw };
	static struct frame v[MAX_FRAMES];
	struct folded *a = make(c->a, NULL), *b = make(c->b, NULL);
	char *svg = draw_diff(a, b, &o), want[256];
	size_t n = parse_frames(svg, v, MAX_FRAMES);
	const char *note = strstr(svg, "<text id=\"note\"");

	ck_assert_msg(n == c->nr, "%s: %zu frames, want %zu", c->label, n, c->nr);
	check_geometry(v, n, folded__total(c->widths == FLAMEGRAPH_DIFF_WIDTHS_A ? a : b),
		       FLAMEGRAPH_DEF_WIDTH, FLAMEGRAPH_DEF_FRAME_HEIGHT, false);
	for (size_t i = 0; i < n; i++) {
		const struct want_diff *w = &c->want[i];

		snprintf(want, sizeof(want), "%s%s", w->name, w->tail);
		ck_assert_msg(!strcmp(v[i].title, want), "%s: frame %zu title '%s', want '%s'",
			      c->label, i, v[i].title, want);
		ck_assert_uint_eq(v[i].depth, w->depth);
		ck_assert_int_eq(v[i].a, w->a);
		ck_assert_int_eq(v[i].bc, w->b);
		ck_assert_msg(v[i].r == w->r && v[i].g == w->g && v[i].b == w->bl,
			      "%s: %s filled rgb(%u,%u,%u), want rgb(%u,%u,%u)", c->label,
			      w->name, v[i].r, v[i].g, v[i].b, w->r, w->g, w->bl);
		/* the colour family follows the sign of data-delta */
		if (v[i].delta > 0)
			ck_assert(v[i].r == 255 && v[i].g == v[i].b && v[i].b < 255);
		else if (v[i].delta < 0)
			ck_assert(v[i].b == 255 && v[i].r == v[i].g && v[i].r < 255);
		else if (i)
			ck_assert(v[i].r == 255 && v[i].g == 255 && v[i].b == 255);
	}
	ck_assert_ptr_nonnull(note);
	ck_assert_msg(strstr(note, c->note) && strstr(note, c->note) < strstr(note, "</text>"),
		      "%s: note lacks '%s'", c->label, c->note);
	ck_assert_ptr_nonnull(strstr(svg, ">Differential Flame Graph</text>"));
	free(svg);
	folded__free(a);
	folded__free(b);
}
END_TEST

/*
 * The diff of a profile against itself is all white; against itself with
 * one stack doubled, that stack and its ancestors are full red and every
 * other frame white in raw counts; reversed and inverted it draws the same
 * frames the plain reversed, inverted graph of B does.
 */
START_TEST(test_diff_fixture)
{
	struct flamegraph_opts o = { .diff_raw = true };
	static struct frame v[MAX_FRAMES], w[MAX_FRAMES];
	struct folded *a = make(NULL, "good.folded"), *b = make(NULL, "good.folded");
	char *svg = draw_diff(a, a, NULL), *plain;
	size_t n = parse_frames(svg, v, MAX_FRAMES), m;

	ck_assert_uint_eq(n, 20);
	for (size_t i = 0; i < n; i++) {
		ck_assert(v[i].r == 255 && v[i].g == 255 && v[i].b == 255);
		ck_assert_int_eq(v[i].a, v[i].bc);
		ck_assert_uint_eq(v[i].samples, v[i].bc);
	}
	free(svg);

	ck_assert_int_eq(folded__add(b, "fio;main;td_io_queue;pwrite64;"
				     "entry_SYSCALL_64_[k];ext4_file_write_iter_[k]", 400), 0);
	svg = draw_diff(a, b, &o);
	n = parse_frames(svg, v, MAX_FRAMES);
	ck_assert_uint_eq(n, 20);
	for (size_t i = 0; i < n; i++) {
		if (v[i].bc - v[i].a == 400) {
			ck_assert_msg(v[i].r == 255 && v[i].g == 0 && v[i].b == 0,
				      "%s not full red", v[i].title);
		} else {
			ck_assert_int_eq(v[i].a, v[i].bc);
			ck_assert_msg(v[i].r == 255 && v[i].g == 255 && v[i].b == 255,
				      "%s not white", v[i].title);
		}
	}
	ck_assert_int_eq(find(v, n, 6, "ext4_file_write_iter_[k]")->bc, 800);
	free(svg);

	o.reverse = o.inverted = true;
	svg = draw_diff(a, b, &o);
	plain = draw(b, &o);
	n = parse_frames(svg, v, MAX_FRAMES);
	m = parse_frames(plain, w, MAX_FRAMES);
	ck_assert_uint_eq(n, m);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(v[i].name, w[i].name);
		ck_assert(v[i].x == w[i].x && v[i].w == w[i].w);
		ck_assert(v[i].y - v[0].y == w[i].y - w[0].y);	/* the note moves all rows */
	}
	free(plain);
	free(svg);
	folded__free(a);
	folded__free(b);
}
END_TEST

/* --- the document ------------------------------------------------------ */

/* Things the SVG must contain: the script's entry points and its controls. */
static const char *const required[] = {
	"<?xml version=\"1.0\"",
	"<script type=\"text/ecmascript\"><![CDATA[",
	"<style type=\"text/css\"><![CDATA[",
	"function init(",
	"function zoom(",
	"function unzoom(",
	"function search(",
	"function resetSearch(",
	"window.prompt(",
	"new RegExp(",
	"e.ctrlKey",
	"addEventListener('mouseover'",
	"addEventListener('click'",
	"window.addEventListener('load', init)",
	"id=\"frames\"",
	"id=\"unzoom\"",
	">Reset Zoom</text>",
	"id=\"search\"",
	">Search</text>",
	"id=\"details\"",
	"id=\"matched\"",
	"Matched: ",
	"<title>stress-ng (975 samples, 68.66%)</title>",
	"<text id=\"title\" x=\"600.0\" y=\"24\">Profile &amp; &lt;more&gt;</text>",
	"<text id=\"subtitle\"",
	">2 CPUs, 30 s</text>",
};

START_TEST(test_document)
{
	struct flamegraph_opts o = { .title = "Profile & <more>", .subtitle = "2 CPUs, 30 s" };
	struct folded *f = make(NULL, "good.folded");
	char *svg = draw(f, &o);
	const char *cdata;

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		ck_assert_msg(strstr(svg, required[i]), "missing %s", required[i]);

	/* balanced elements outside the script and style */
	cdata = strstr(svg, "<g id=\"frames\">");
	ck_assert_ptr_nonnull(cdata);
	ck_assert_uint_eq(count_str(cdata, "<g"), count_str(cdata, "</g>"));
	ck_assert_uint_eq(count_str(svg, "<title>"), count_str(svg, "</title>"));
	ck_assert_uint_eq(count_str(cdata, "<text"), count_str(cdata, "</text>"));
	ck_assert_uint_eq(count_str(svg, "<![CDATA["), 2);
	ck_assert_uint_eq(count_str(svg, "]]>"), 2);
	ck_assert_uint_eq(count_str(svg, "<svg"), 1);
	ck_assert_ptr_nonnull(strstr(svg, "</svg>\n"));

	/* self-contained: no link, no fetched resource */
	ck_assert_uint_eq(count_str(svg, "http"), 1);	/* the xmlns only */
	ck_assert_ptr_null(strstr(svg, "href"));
	ck_assert_ptr_null(strstr(svg, " src="));
	ck_assert_ptr_null(strstr(svg, "@import"));
	free(svg);
	folded__free(f);
}
END_TEST

/* The same stacks added in any order give the same bytes. */
START_TEST(test_deterministic)
{
	static const char *const stacks[] = {
		"b;x;y", "a;q", "b;x", "a b;z", "a;q;r_[k]", "c", "b;w",
	};
	struct folded *f1 = folded__new(), *f2 = folded__new();
	char *s1, *s2;
	size_t n = sizeof(stacks) / sizeof(stacks[0]);

	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(folded__add(f1, stacks[i], i + 1), 0);
		ck_assert_int_eq(folded__add(f2, stacks[n - 1 - i], n - i), 0);
	}
	s1 = draw(f1, NULL);
	s2 = draw(f2, NULL);
	ck_assert_str_eq(s1, s2);
	free(s1);
	free(s2);
	folded__free(f1);
	folded__free(f2);
}
END_TEST

/* --- colours ----------------------------------------------------------- */

static const struct color_case {
	enum flamegraph_colors scheme;
	bool kernel_blue;
} color_cases[] = {
	{ FLAMEGRAPH_COLORS_KERNEL_USER, true },
	{ FLAMEGRAPH_COLORS_HOT, false },
};

START_TEST(test_colors)
{
	const struct color_case *c = &color_cases[_i];
	struct flamegraph_opts o = { .colors = c->scheme };
	static struct frame v[MAX_FRAMES];
	struct folded *f = make(NULL, "good.folded");
	char *svg = draw(f, &o);
	size_t n = parse_frames(svg, v, MAX_FRAMES);
	const struct frame *root = find(v, n, 0, "all");
	const struct frame *comm = find(v, n, 1, "stress-ng");
	const struct frame *user = find(v, n, 3, "stress_cpu");
	const struct frame *kern = find(v, n, 2, "entry_SYSCALL_64_[k]");
	const struct frame *kern2 = find(v, n, 5, "entry_SYSCALL_64_[k]");
	const struct frame *m1 = &v[0], *m2 = NULL;

	ck_assert(root->r == root->g && root->g == root->b);	/* grey */
	ck_assert(comm->g > comm->r && comm->g > comm->b);	/* green */
	ck_assert(user->r > user->b);				/* warm */
	if (c->kernel_blue)
		ck_assert(kern->b > kern->r);
	else
		ck_assert(kern->r > kern->b);
	/* a name has one colour wherever it is */
	ck_assert(kern->r == kern2->r && kern->g == kern2->g && kern->b == kern2->b);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].name, "main") || v[i].depth < 2)
			continue;
		if (m1 == &v[0])
			m1 = &v[i];
		else if (!m2)
			m2 = &v[i];
	}
	ck_assert_ptr_nonnull(m2);
	ck_assert(m1->r == m2->r && m1->g == m2->g && m1->b == m2->b);
	ck_assert_str_eq(flamegraph__colors_name(c->scheme),
			 c->kernel_blue ? "kernel-user" : "hot");
	free(svg);
	folded__free(f);
}
END_TEST

/* --- options ----------------------------------------------------------- */

static const struct bad_opts_case {
	struct flamegraph_opts o;
} bad_opts_cases[] = {
	{ { .width = 2 * FLAMEGRAPH_XPAD } },
	{ { .width = 2000000 } },
	{ { .frame_height = 1 } },
	{ { .frame_height = 1001 } },
	{ { .colors = FLAMEGRAPH_COLORS__MAX } },
	{ { .diff_widths = FLAMEGRAPH_DIFF_WIDTHS__MAX } },
	{ { .inverted = true, .width = 5 } },
};

START_TEST(test_bad_opts)
{
	struct folded *f = make("a 1\n", NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ck_assert_int_eq(flamegraph__write(f, out, &bad_opts_cases[_i].o), -EINVAL);
	ck_assert_int_eq(flamegraph__write_diff(f, f, out, &bad_opts_cases[_i].o), -EINVAL);
	fclose(out);
	ck_assert_uint_eq(len, 0);
	free(buf);
	folded__free(f);
}
END_TEST

/* Explicit defaults draw exactly what zeroed options draw. */
START_TEST(test_opts_init)
{
	struct flamegraph_opts o;
	struct folded *f = make(NULL, "good.folded");
	char *s1, *s2;

	flamegraph_opts__init(&o);
	ck_assert_uint_eq(o.width, FLAMEGRAPH_DEF_WIDTH);
	ck_assert_uint_eq(o.frame_height, FLAMEGRAPH_DEF_FRAME_HEIGHT);
	s1 = draw(f, &o);
	s2 = draw(f, NULL);
	ck_assert_str_eq(s1, s2);
	free(s1);
	free(s2);
	folded__free(f);
}
END_TEST

START_TEST(test_colors_parse)
{
	enum flamegraph_colors c = FLAMEGRAPH_COLORS__MAX;

	ck_assert_int_eq(flamegraph__colors_parse("hot", &c), 0);
	ck_assert_int_eq(c, FLAMEGRAPH_COLORS_HOT);
	ck_assert_int_eq(flamegraph__colors_parse("kernel-user", &c), 0);
	ck_assert_int_eq(c, FLAMEGRAPH_COLORS_KERNEL_USER);
	ck_assert_int_eq(flamegraph__colors_parse("rainbow", &c), -EINVAL);
	ck_assert_ptr_null(flamegraph__colors_name(FLAMEGRAPH_COLORS__MAX));
}
END_TEST

/* --- the command line -------------------------------------------------- */

static const char *hldbench = "build/hldbench";

#define CLI_OUT "/tmp/check_flamegraph.out"
#define CLI_ERR "/tmp/check_flamegraph.err"
#define CLI_FILE "/tmp/check_flamegraph.file"
#define GOOD FIX "good.folded"
#define GOOD_B FIX "good-b.folded"

static const struct cli_case {
	const char *args[10];
	int exit;
	const char *err;	/* in stderr; NULL: stderr empty */
	const char *file;	/* in CLI_FILE (the -o output); NULL: no file */
} cli_cases[] = {
	{ { "--diff", GOOD }, 2,
	  "--diff: needs two folded files, A (before) then B (after); got 1", NULL },
	{ { "--diff", GOOD, GOOD_B, GOOD }, 2, "--diff: needs two folded files", NULL },
	{ { "--diff", "-", "-" }, 2, "--diff: A and B cannot both be standard input", NULL },
	{ { "--diff-widths", "a", GOOD }, 2, "--diff-widths: only with --diff", NULL },
	{ { "--diff-raw", GOOD }, 2, "--diff-raw: only with --diff", NULL },
	{ { "--diff", "--colors", "hot", GOOD, GOOD_B }, 2, "--colors: not with --diff", NULL },
	{ { "--diff", "--diff-widths", "c", GOOD, GOOD_B }, 2,
	  "--diff-widths: 'c' is neither a", NULL },
	{ { "--format", "json", GOOD }, 2,
	  "--format: unknown format 'json' (one of svg, speedscope)", NULL },
	{ { "--format", "speedscope", "--width", "500", GOOD }, 2,
	  "--width: only for SVG output, not with --format speedscope", NULL },
	{ { "--format", "speedscope", "--inverted", GOOD }, 2,
	  "--inverted: only for SVG output", NULL },
	{ { "--format", "speedscope", "--colors", "hot", GOOD }, 2, "--colors: only for SVG", NULL },
	{ { "--format", "speedscope", "--diff", GOOD, GOOD_B }, 2,
	  "--format speedscope: not with --diff", NULL },
	{ { "--inverted=yes", GOOD }, 2, "doesn't allow an argument", NULL },
	{ { "--width", "12", GOOD }, 2, "--width: bad width '12'", NULL },
	{ { "--diff", GOOD, FIX "missing.folded", "-o", CLI_FILE }, 2,
	  "cannot open " FIX "missing.folded", NULL },
	{ { "--diff", GOOD, FIX "bad-count.folded", "-o", CLI_FILE }, 2,
	  FIX "bad-count.folded:", NULL },
	{ { "--diff", GOOD, GOOD_B, "-o", CLI_FILE }, 0, NULL,
	  "A 1420 samples, B 1420; widths from B" },
	{ { "--diff", "--diff-widths", "a", "--diff-raw", "--inverted", "--reverse", GOOD, GOOD_B,
	    "-o", CLI_FILE }, 0, NULL, "widths from A" },
	{ { "--inverted", "--reverse", "-t", "leaves", GOOD, "-o", CLI_FILE }, 0, NULL,
	  "<title>stress_cpu_sqrt (525 samples, 36.97%)</title>" },
	{ { "--format", "speedscope", "--reverse", "-t", "leaves", GOOD, "-o", CLI_FILE }, 0, NULL,
	  "\"type\":\"sampled\",\"name\":\"leaves\"" },
	{ { "--format=svg", "--diff", GOOD, GOOD_B, "-o", CLI_FILE }, 0, NULL, "data-delta=" },
};

/* The first @max bytes of @path, NUL-terminated, in a buffer the caller frees. */
static char *slurp(const char *path, size_t max)
{
	char *buf = calloc(1, max + 1);
	FILE *f = fopen(path, "r");

	ck_assert_ptr_nonnull(buf);
	if (f) {
		size_t n = fread(buf, 1, max, f);

		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

START_TEST(test_cli)
{
	const struct cli_case *c = &cli_cases[_i];
	const char *argv[14] = { hldbench, "flamegraph" };
	char *err, *file;
	size_t n = 2;
	int rc;

	if (access(hldbench, X_OK)) {
		printf("SKIP check_flamegraph cli %d: no hldbench binary (set HLDBENCH)\n", _i);
		return;
	}
	for (size_t i = 0; i < 10 && c->args[i]; i++)
		argv[n++] = c->args[i];
	unlink(CLI_FILE);
	rc = run_command(argv, CLI_OUT, CLI_ERR);
	err = slurp(CLI_ERR, 4096);
	ck_assert_msg(rc == c->exit, "%s %s: exit %d, want %d (%s)", c->args[0], c->args[1],
		      rc, c->exit, err);
	if (c->err)
		ck_assert_msg(strstr(err, c->err), "%s %s: stderr '%s' lacks '%s'", c->args[0],
			      c->args[1], err, c->err);
	else
		ck_assert_msg(!*err, "%s: stderr '%s'", c->args[0], err);
	file = slurp(CLI_FILE, 1 << 20);
	if (c->file)
		ck_assert_msg(strstr(file, c->file), "%s %s: output lacks '%s'", c->args[0],
			      c->args[1], c->file);
	else
		ck_assert_int_ne(access(CLI_FILE, F_OK), 0);	/* nothing left behind */
	free(file);
	free(err);
}
END_TEST

/* --help names every option. */
START_TEST(test_cli_help)
{
	static const char *const opts[] = {
		"--output", "--title", "--subtitle", "--width", "--height", "--min-width",
		"--colors", "--inverted", "--reverse", "--format", "--diff", "--diff-widths",
		"--diff-raw", "speedscope",
	};
	const char *argv[] = { hldbench, "flamegraph", "--help", NULL };
	char *out;

	if (access(hldbench, X_OK)) {
		printf("SKIP check_flamegraph cli help: no hldbench binary (set HLDBENCH)\n");
		return;
	}
	ck_assert_int_eq(run_command(argv, CLI_OUT, CLI_ERR), 0);
	out = slurp(CLI_OUT, 16384);
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		ck_assert_msg(strstr(out, opts[i]), "--help lacks %s", opts[i]);
	free(out);
}
END_TEST

static Suite *flamegraph_suite(void)
{
	Suite *s = suite_create("flamegraph");
	TCase *tc;

	tc = tcase_create("geometry");
	tcase_add_loop_test(tc, test_graph, 0, sizeof(graph_cases) / sizeof(graph_cases[0]));
	tcase_add_test(tc, test_deep);
	suite_add_tcase(s, tc);

	tc = tcase_create("document");
	tcase_add_test(tc, test_document);
	tcase_add_test(tc, test_deterministic);
	suite_add_tcase(s, tc);

	tc = tcase_create("layouts");
	tcase_add_loop_test(tc, test_layout, 0, sizeof(layout_cases) / sizeof(layout_cases[0]));
	tcase_add_test(tc, test_reverse_colors);
	suite_add_tcase(s, tc);

	tc = tcase_create("diff");
	tcase_add_loop_test(tc, test_diff, 0, sizeof(diff_cases) / sizeof(diff_cases[0]));
	tcase_add_test(tc, test_diff_fixture);
	suite_add_tcase(s, tc);

	tc = tcase_create("colors");
	tcase_add_loop_test(tc, test_colors, 0, sizeof(color_cases) / sizeof(color_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("options");
	tcase_add_loop_test(tc, test_bad_opts, 0,
			    sizeof(bad_opts_cases) / sizeof(bad_opts_cases[0]));
	tcase_add_test(tc, test_opts_init);
	tcase_add_test(tc, test_colors_parse);
	suite_add_tcase(s, tc);

	tc = tcase_create("cli");
	tcase_add_loop_test(tc, test_cli, 0, sizeof(cli_cases) / sizeof(cli_cases[0]));
	tcase_add_test(tc, test_cli_help);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (getenv("HLDBENCH"))
		hldbench = getenv("HLDBENCH");
	sr = srunner_create(flamegraph_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
