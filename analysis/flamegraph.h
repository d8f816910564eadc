/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flamegraph.h - draw folded stacks as an interactive flame graph (SVG).
 *
 * The root "all" is the bottom row; each row up is one frame deeper. A frame
 * is the sum of every stack that shares its path from the root, and its
 * width is proportional to that sum: x and width are
 *
 *	FLAMEGRAPH_XPAD + offset / total * (width - 2 * FLAMEGRAPH_XPAD)
 *	count / total * (width - 2 * FLAMEGRAPH_XPAD)
 *
 * printed with two decimals. Siblings are sorted by name, so the same input
 * always gives the same file. Frames narrower than min_width pixels are not
 * drawn (their samples still count in their parents).
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
 */
#ifndef HLD_FLAMEGRAPH_H
#define HLD_FLAMEGRAPH_H

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

struct flamegraph_opts {
	const char *title;		/* NULL: "Flame Graph" */
	const char *subtitle;		/* NULL: none */
	unsigned int width;		/* image width, px; 0: default */
	unsigned int frame_height;	/* px; 0: default */
	double min_width;		/* px; < 0: draw all; 0: default */
	enum flamegraph_colors colors;
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

/* The name of colour scheme @c ("kernel-user", "hot"), or NULL. */
const char *flamegraph__colors_name(enum flamegraph_colors c);

/* Look up a colour scheme by name. Returns 0 or -EINVAL. */
int flamegraph__colors_parse(const char *name, enum flamegraph_colors *c);

#endif /* HLD_FLAMEGRAPH_H */
