/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flamegraph.h - draw folded stacks as an interactive flame graph (SVG).
 *
 * The root "all" is the bottom row; each row up is one frame deeper (with
 * inverted, an icicle graph: the root is the top row and each row down is
 * one frame deeper). A frame is the sum of every stack that shares its path
 * from the root, and its width is proportional to that sum: x and width are
 *
 *	FLAMEGRAPH_XPAD + offset / total * (width - 2 * FLAMEGRAPH_XPAD)
 *	count / total * (width - 2 * FLAMEGRAPH_XPAD)
 *
 * printed with two decimals. Siblings are sorted by name, so the same input
 * always gives the same file. Frames narrower than min_width pixels, and
 * frames with no samples, are not drawn (their samples still count in their
 * parents). With reverse, each stack's frames are reversed before merging
 * (flamegraph.pl --reverse): the leaves are the first row above the root,
 * merged by name with their summed counts, and their callers stack on them.
 *
 * Each frame is one element
 *
 *	<g class="f" data-samples="N" data-off="O" data-depth="D">
 *	  <title>NAME (N samples, P%)</title>
 *	  <rect x=".." y=".." width=".." height=".." fill="rgb(..)"/>
 *	  <text x=".." y="..">NAME, cut to fit</text>
 *	</g>
 *
 * where O is the number of samples left of the frame at its depth (the root
 * is depth 0, the comm depth 1). The file is self-contained: an inline
 * script gives the details line on hover, zoom on click (with a "Reset Zoom"
 * control), and a "Search" control (also Ctrl-F) that takes a regular
 * expression, highlights the matching frames and shows the share of samples
 * they cover. Opening the file with "?s=REGEX" or "?z=DEPTH.OFF" in the URL
 * searches or zooms at load.
 *
 * A differential graph (flamegraph__write_diff(), as Brendan Gregg's
 * difffolded.pl piped into flamegraph.pl) merges the stacks of profiles A and
 * B into one tree, draws it with B's counts (or A's: diff_widths), and fills
 * each frame by its change
 *
 *	delta = B - A * scale		scale = total(B) / total(A)
 *
 * (scale 1 with diff_raw, or when A is empty): red for growth, blue for
 * shrinkage, white for none, the colour deeper the larger |delta| is against
 * the largest |delta| of any drawn frame (flamegraph.pl's scale: the largest
 * is rgb(255,0,0) or rgb(0,0,255), a change near zero near rgb(255,210,210)).
 * Frames only in the profile whose counts are not drawn have no width and
 * are not drawn; their change still shows in their ancestors. Each frame
 * carries data-a="N" data-b="N" data-delta="D" and the title
 *
 *	NAME (A 100, B 160 samples; delta +60, +60.00%)
 *	NAME (A 100, B 160 samples; A x1.500 = 150.00; delta +10.00, +6.67%)
 *
 * (the second when A is scaled), the percentage being delta against A's
 * (scaled) count, "new" when A has none. A line under the title gives both
 * totals, the scale and the width source.
 */
#ifndef HLD_FLAMEGRAPH_H
#define HLD_FLAMEGRAPH_H

#include <stdbool.h>
#include <stdio.h>

#include "folded.h"

#define FLAMEGRAPH_XPAD			10	/* left and right margin, px */
#define FLAMEGRAPH_DEF_WIDTH		1200
#define FLAMEGRAPH_DEF_FRAME_HEIGHT	16
#define FLAMEGRAPH_DEF_MIN_WIDTH	0.1

enum flamegraph_colors {
	FLAMEGRAPH_COLORS_KERNEL_USER,	/* kernel "_[k]" frames blue, user warm */
	FLAMEGRAPH_COLORS_HOT,		/* every frame in warm colours */
	FLAMEGRAPH_COLORS__MAX,
};

/* Whose counts give a differential graph's widths. */
enum flamegraph_diff_widths {
	FLAMEGRAPH_DIFF_WIDTHS_B,	/* the new profile's: what runs now */
	FLAMEGRAPH_DIFF_WIDTHS_A,	/* the old profile's: shows what went away */
	FLAMEGRAPH_DIFF_WIDTHS__MAX,
};

struct flamegraph_opts {
	const char *title;		/* NULL: "Flame Graph" ("Differential
					 * Flame Graph" for a diff) */
	const char *subtitle;		/* NULL: none */
	unsigned int width;		/* image width, px; 0: default */
	unsigned int frame_height;	/* px; 0: default */
	double min_width;		/* px; < 0: draw all; 0: default */
	enum flamegraph_colors colors;	/* not used by a diff: it is coloured
					 * by the change */
	bool inverted;			/* icicle: root on top, callees below */
	bool reverse;			/* merge stacks by leaf, callers above */
	/* flamegraph__write_diff() only */
	enum flamegraph_diff_widths diff_widths;
	bool diff_raw;			/* compare raw counts: no scaling of A */
};

/* Fill @o with the defaults (zero fields mean the same to flamegraph__write()). */
void flamegraph_opts__init(struct flamegraph_opts *o);

/*
 * Write @f as an SVG document to @out. @o may be NULL for defaults. An empty
 * @f gives a valid graph with only the root. Returns 0, -EINVAL for bad
 * options (width too small for the margins, frame_height over 1000, unknown
 * colour scheme), -ENOMEM, or -EIO if writing failed.
 */
int flamegraph__write(const struct folded *f, FILE *out,
		      const struct flamegraph_opts *o);

/*
 * Write the differential flame graph from @a (before) to @b (after) as an
 * SVG document to @out (see the head of this file). @o may be NULL for
 * defaults; its colors field is not used. Returns as flamegraph__write(),
 * -EINVAL also for an unknown diff_widths or a NULL profile.
 */
int flamegraph__write_diff(const struct folded *a, const struct folded *b,
			   FILE *out, const struct flamegraph_opts *o);

/* The name of colour scheme @c ("kernel-user", "hot"), or NULL. */
const char *flamegraph__colors_name(enum flamegraph_colors c);

/* Look up a colour scheme by name. Returns 0 or -EINVAL. */
int flamegraph__colors_parse(const char *name, enum flamegraph_colors *c);

#endif /* HLD_FLAMEGRAPH_H */
