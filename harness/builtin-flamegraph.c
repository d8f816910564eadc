// SPDX-License-Identifier: GPL-2.0
/*
 * builtin-flamegraph.c - `hldbench flamegraph`: merge folded stack files and
 * draw them as one interactive flame graph SVG (or export them as a
 * speedscope profile), or draw the differential flame graph of two.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "flamegraph.h"
#include "folded.h"
#include "speedscope.h"

enum fg_format {
	FG_FORMAT_SVG,
	FG_FORMAT_SPEEDSCOPE,
};

/* Options given on the command line, for the checks of what goes with what. */
enum {
	FG_GIVEN_SUBTITLE	= 1 << 0,
	FG_GIVEN_WIDTH		= 1 << 1,
	FG_GIVEN_HEIGHT		= 1 << 2,
	FG_GIVEN_MIN_WIDTH	= 1 << 3,
	FG_GIVEN_COLORS		= 1 << 4,
	FG_GIVEN_INVERTED	= 1 << 5,
	FG_GIVEN_DIFF_WIDTHS	= 1 << 6,
	FG_GIVEN_DIFF_RAW	= 1 << 7,
};

struct fg_cmd_opts {
	struct flamegraph_opts fg;
	const char *output;	/* NULL: stdout */
	enum fg_format format;
	bool diff;		/* the two inputs are A and B of a differential graph */
	unsigned int given;	/* FG_GIVEN_* */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hldbench flamegraph [OPTIONS] [FOLDED...]\n"
		"       hldbench flamegraph --diff [OPTIONS] A.folded B.folded\n"
		"\n"
		"Merge folded stack files (\"frame1;frame2;...;leaf COUNT\" per line; standard\n"
		"input when none is given or for -) and write an interactive flame graph SVG:\n"
		"hover for details, click to zoom, Search (or Ctrl-F) to highlight a regex.\n"
		"With --diff, draw how profile B differs from profile A: B's frames (widths\n"
		"from B's counts), red where B has more samples than A, blue where fewer,\n"
		"white where equal, deeper the larger the change; A is scaled to B's total\n"
		"sample count first when the totals differ (the line under the title says so).\n"
		"\n"
		"options:\n"
		"  -o, --output FILE     write to FILE (default: standard output)\n"
		"  -t, --title TEXT      title (default: \"Flame Graph\", \"Differential Flame\n"
		"                        Graph\" with --diff; the profile name in speedscope)\n"
		"      --subtitle TEXT   second line under the title\n"
		"  -w, --width N         image width in pixels, %d..100000 (default %d)\n"
		"      --height N        frame height in pixels, 2..1000 (default %d)\n"
		"      --min-width PX    hide frames narrower than PX pixels; 0 draws all\n"
		"                        (default %.1f)\n"
		"      --colors SCHEME   kernel-user (kernel \"_[k]\" frames blue, default)\n"
		"                        or hot (all frames warm); not with --diff\n"
		"      --inverted        icicle graph: the root on top, callees below\n"
		"      --reverse         reverse each stack before merging: leaf functions\n"
		"                        at the bottom, merged with their summed samples,\n"
		"                        their callers above\n"
		"      --format FORMAT   svg (default) or speedscope: the same stacks as a\n"
		"                        speedscope JSON profile (https://www.speedscope.app);\n"
		"                        with speedscope only -o, --title and --reverse apply\n"
		"      --diff            differential flame graph of exactly two files, A\n"
		"                        (before) then B (after)\n"
		"      --diff-widths a|b draw the widths from B's counts (default) or from\n"
		"                        A's (frames gone in B are then visible)\n"
		"      --diff-raw        compare raw counts: do not scale A to B's total\n"
		"  -h, --help            show this help\n"
		"\n"
		"Exit status: 0 written, 1 output could not be written, 2 bad option or\n"
		"unreadable or malformed input (the message names file and line).\n",
		2 * FLAMEGRAPH_XPAD + 11, FLAMEGRAPH_DEF_WIDTH,
		FLAMEGRAPH_DEF_FRAME_HEIGHT, FLAMEGRAPH_DEF_MIN_WIDTH);
}

/* Parse a whole decimal number in [@min, @max]; 0 or -EINVAL. */
static int parse_uint(const char *s, unsigned long min, unsigned long max,
		      unsigned int *val)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*val = v;
	return 0;
}

/* Print "hldbench flamegraph: OPTION: REASON" and return -EINVAL. */
static int bad_option(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_option(const char *fmt, ...)
{
	va_list ap;

	fputs("hldbench flamegraph: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

/*
 * Refuse options that would be silently ignored: the differential ones
 * without --diff, --colors with it, the SVG ones in a speedscope file, and
 * a --diff without exactly two inputs. @nr_inputs counts the file arguments.
 */
static int check_combinations(const struct fg_cmd_opts *o, int nr_inputs,
			      char **inputs)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} svg_only[] = {
		{ FG_GIVEN_SUBTITLE, "--subtitle" }, { FG_GIVEN_WIDTH, "--width" },
		{ FG_GIVEN_HEIGHT, "--height" }, { FG_GIVEN_MIN_WIDTH, "--min-width" },
		{ FG_GIVEN_COLORS, "--colors" }, { FG_GIVEN_INVERTED, "--inverted" },
	};

	if (!o->diff && (o->given & FG_GIVEN_DIFF_WIDTHS))
		return bad_option("--diff-widths: only with --diff");
	if (!o->diff && (o->given & FG_GIVEN_DIFF_RAW))
		return bad_option("--diff-raw: only with --diff");
	if (o->diff && (o->given & FG_GIVEN_COLORS))
		return bad_option("--colors: not with --diff (a differential graph is "
				  "coloured by the change)");
	if (o->format == FG_FORMAT_SPEEDSCOPE) {
		if (o->diff)
			return bad_option("--format speedscope: not with --diff (speedscope "
					  "has no differential view; export A and B separately)");
		for (size_t i = 0; i < sizeof(svg_only) / sizeof(svg_only[0]); i++)
			if (o->given & svg_only[i].bit)
				return bad_option("%s: only for SVG output, not with "
						  "--format speedscope", svg_only[i].name);
	}
	if (o->diff && nr_inputs != 2)
		return bad_option("--diff: needs two folded files, A (before) then B "
				  "(after); got %d", nr_inputs);
	if (o->diff && !strcmp(inputs[0], "-") && !strcmp(inputs[1], "-"))
		return bad_option("--diff: A and B cannot both be standard input");
	return 0;
}

/* Parse the command line into @o; prints the error and returns -EINVAL. */
static int parse_args(int argc, char **argv, struct fg_cmd_opts *o)
{
	enum {
		OPT_SUBTITLE = 256, OPT_HEIGHT, OPT_MIN_WIDTH, OPT_COLORS, OPT_INVERTED,
		OPT_REVERSE, OPT_FORMAT, OPT_DIFF, OPT_DIFF_WIDTHS, OPT_DIFF_RAW,
	};
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "title", required_argument, NULL, 't' },
		{ "subtitle", required_argument, NULL, OPT_SUBTITLE },
		{ "width", required_argument, NULL, 'w' },
		{ "height", required_argument, NULL, OPT_HEIGHT },
		{ "min-width", required_argument, NULL, OPT_MIN_WIDTH },
		{ "colors", required_argument, NULL, OPT_COLORS },
		{ "inverted", no_argument, NULL, OPT_INVERTED },
		{ "reverse", no_argument, NULL, OPT_REVERSE },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "diff", no_argument, NULL, OPT_DIFF },
		{ "diff-widths", required_argument, NULL, OPT_DIFF_WIDTHS },
		{ "diff-raw", no_argument, NULL, OPT_DIFF_RAW },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char *end;
	double d;
	int c;

	while ((c = getopt_long(argc, argv, "o:t:w:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case 't':
			o->fg.title = optarg;
			break;
		case OPT_SUBTITLE:
			o->fg.subtitle = optarg;
			o->given |= FG_GIVEN_SUBTITLE;
			break;
		case 'w':
			if (parse_uint(optarg, 2 * FLAMEGRAPH_XPAD + 11, 100000, &o->fg.width))
				return bad_option("--width: bad width '%s' (accepted %d..100000)",
						  optarg, 2 * FLAMEGRAPH_XPAD + 11);
			o->given |= FG_GIVEN_WIDTH;
			break;
		case OPT_HEIGHT:
			if (parse_uint(optarg, 2, 1000, &o->fg.frame_height))
				return bad_option("--height: bad frame height '%s' "
						  "(accepted 2..1000)", optarg);
			o->given |= FG_GIVEN_HEIGHT;
			break;
		case OPT_MIN_WIDTH:
			errno = 0;
			d = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(d >= 0 && d <= 10000))
				return bad_option("--min-width: bad width '%s' "
						  "(accepted 0..10000 pixels)", optarg);
			o->fg.min_width = d > 0 ? d : -1;
			o->given |= FG_GIVEN_MIN_WIDTH;
			break;
		case OPT_COLORS:
			if (flamegraph__colors_parse(optarg, &o->fg.colors))
				return bad_option("--colors: unknown scheme '%s' "
						  "(one of kernel-user, hot)", optarg);
			o->given |= FG_GIVEN_COLORS;
			break;
		case OPT_INVERTED:
			o->fg.inverted = true;
			o->given |= FG_GIVEN_INVERTED;
			break;
		case OPT_REVERSE:
			o->fg.reverse = true;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "svg"))
				o->format = FG_FORMAT_SVG;
			else if (!strcmp(optarg, "speedscope"))
				o->format = FG_FORMAT_SPEEDSCOPE;
			else
				return bad_option("--format: unknown format '%s' "
						  "(one of svg, speedscope)", optarg);
			break;
		case OPT_DIFF:
			o->diff = true;
			break;
		case OPT_DIFF_WIDTHS:
			if (!strcmp(optarg, "a"))
				o->fg.diff_widths = FLAMEGRAPH_DIFF_WIDTHS_A;
			else if (!strcmp(optarg, "b"))
				o->fg.diff_widths = FLAMEGRAPH_DIFF_WIDTHS_B;
			else
				return bad_option("--diff-widths: '%s' is neither a (A's counts) "
						  "nor b (B's counts)", optarg);
			o->given |= FG_GIVEN_DIFF_WIDTHS;
			break;
		case OPT_DIFF_RAW:
			o->fg.diff_raw = true;
			o->given |= FG_GIVEN_DIFF_RAW;
			break;
		case 'h':
			usage(stdout);
			exit(HLD_EXIT_OK);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	return check_combinations(o, argc - optind, argv + optind);
}

/* Merge one input (@path, or stdin if NULL or "-") into @f; prints what failed. */
static int read_input(struct folded *f, const char *path)
{
	struct folded_error fe = { 0 };
	const char *name;
	int err;

	if (path && !strcmp(path, "-"))
		path = NULL;
	name = path ? path : "<stdin>";
	err = path ? folded__load(f, path, &fe) : folded__read(f, stdin, &fe);
	if (!err)
		return 0;
	if (err == -EINVAL && fe.line)
		fprintf(stderr, "hldbench flamegraph: %s:%zu: %s\n", name, fe.line,
			fe.reason);
	else if (err == -EIO || err == -ENOMEM || !path)
		fprintf(stderr, "cannot read %s: %s\n", name, strerror(-err));
	else
		fprintf(stderr, "cannot open %s: %s\n", name, strerror(-err));
	return err;
}

/* Write @a (or, for a diff, @a to @b) to @out in the chosen format. */
static int write_to(FILE *out, const struct folded *a, const struct folded *b,
		    const struct fg_cmd_opts *o)
{
	struct folded *rev;
	int err;

	if (o->diff)
		return flamegraph__write_diff(a, b, out, &o->fg);
	if (o->format == FG_FORMAT_SVG)
		return flamegraph__write(a, out, &o->fg);
	if (!o->fg.reverse)
		return speedscope__write(a, out, o->fg.title);
	rev = folded__reversed(a);
	if (!rev)
		return -ENOMEM;
	err = speedscope__write(rev, out, o->fg.title);
	folded__free(rev);
	return err;
}

/*
 * Write the output to o->output (or stdout). A file is only created once all
 * input has been read, and removed again if writing it fails, so a failed
 * run never leaves a truncated file behind.
 */
static int write_output(const struct folded *a, const struct folded *b,
			const struct fg_cmd_opts *o)
{
	FILE *out = stdout;
	int err;

	if (o->output) {
		out = fopen(o->output, "w");
		if (!out) {
			fprintf(stderr, "cannot open %s: %s\n", o->output, strerror(errno));
			return -errno;
		}
	}
	err = write_to(out, a, b, o);
	if (o->output && fclose(out) && !err)
		err = -EIO;
	if (err) {
		fprintf(stderr, "cannot write %s: %s\n",
			o->output ? o->output : "<stdout>", strerror(-err));
		if (o->output)
			unlink(o->output);
	}
	return err;
}

/*
 * Read the inputs into @a: all of them merged, or for --diff the first into
 * @a and the second into @b. 0, or -errno with the message printed.
 */
static int read_inputs(int argc, char **argv, const struct fg_cmd_opts *o,
		       struct folded *a, struct folded *b)
{
	int err;

	if (o->diff) {
		err = read_input(a, argv[0]);
		return err ? err : read_input(b, argv[1]);
	}
	if (!argc)
		return read_input(a, NULL);
	for (int i = 0; i < argc; i++) {
		err = read_input(a, argv[i]);
		if (err)
			return err;
	}
	return 0;
}

int cmd_flamegraph(int argc, char **argv)
{
	struct fg_cmd_opts o = { .fg = { .colors = FLAMEGRAPH_COLORS_KERNEL_USER } };
	struct folded *a, *b;
	int rc = HLD_EXIT_OK;

	if (parse_args(argc, argv, &o))
		return HLD_EXIT_USAGE;
	a = folded__new();
	b = folded__new();
	if (!a || !b) {
		fprintf(stderr, "cannot allocate stacks: %s\n", strerror(ENOMEM));
		rc = HLD_EXIT_FAIL;
	} else if (read_inputs(argc - optind, argv + optind, &o, a, b)) {
		rc = HLD_EXIT_USAGE;
	} else if (write_output(a, b, &o)) {
		rc = HLD_EXIT_FAIL;
	}
	folded__free(a);
	folded__free(b);
	return rc;
}
