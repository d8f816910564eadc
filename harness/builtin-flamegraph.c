// SPDX-License-Identifier: GPL-2.0
/*
 * builtin-flamegraph.c - `hldbench flamegraph`: merge folded stack files and
 * draw them as one interactive flame graph SVG.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "flamegraph.h"
#include "folded.h"

struct fg_cmd_opts {
	struct flamegraph_opts fg;
	const char *output;	/* NULL: stdout */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hldbench flamegraph [OPTIONS] [FOLDED...]\n"
		"\n"
		"Merge folded stack files (\"frame1;frame2;...;leaf COUNT\" per line; standard\n"
		"input when none is given or for -) and write an interactive flame graph SVG:\n"
		"hover for details, click to zoom, Search (or Ctrl-F) to highlight a regex.\n"
		"\n"
		"options:\n"
		"  -o, --output FILE     write the SVG to FILE (default: standard output)\n"
		"  -t, --title TEXT      title (default: \"Flame Graph\")\n"
		"      --subtitle TEXT   second line under the title\n"
		"  -w, --width N         image width in pixels, %d..100000 (default %d)\n"
		"      --height N        frame height in pixels, 2..1000 (default %d)\n"
		"      --min-width PX    hide frames narrower than PX pixels; 0 draws all\n"
		"                        (default %.1f)\n"
		"      --colors SCHEME   kernel-user (kernel \"_[k]\" frames blue, default)\n"
		"                        or hot (all frames warm)\n"
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

/* Parse the command line into @o; prints the error and returns -EINVAL. */
static int parse_args(int argc, char **argv, struct fg_cmd_opts *o)
{
	enum { OPT_SUBTITLE = 256, OPT_HEIGHT, OPT_MIN_WIDTH, OPT_COLORS };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "title", required_argument, NULL, 't' },
		{ "subtitle", required_argument, NULL, OPT_SUBTITLE },
		{ "width", required_argument, NULL, 'w' },
		{ "height", required_argument, NULL, OPT_HEIGHT },
		{ "min-width", required_argument, NULL, OPT_MIN_WIDTH },
		{ "colors", required_argument, NULL, OPT_COLORS },
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
			break;
		case 'w':
			if (parse_uint(optarg, 2 * FLAMEGRAPH_XPAD + 11, 100000, &o->fg.width)) {
				fprintf(stderr, "hldbench flamegraph: --width: bad width '%s' "
					"(accepted %d..100000)\n", optarg, 2 * FLAMEGRAPH_XPAD + 11);
				return -EINVAL;
			}
			break;
		case OPT_HEIGHT:
			if (parse_uint(optarg, 2, 1000, &o->fg.frame_height)) {
				fprintf(stderr, "hldbench flamegraph: --height: bad frame height "
					"'%s' (accepted 2..1000)\n", optarg);
				return -EINVAL;
			}
			break;
		case OPT_MIN_WIDTH:
			errno = 0;
			d = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(d >= 0 && d <= 10000)) {
				fprintf(stderr, "hldbench flamegraph: --min-width: bad width '%s' "
					"(accepted 0..10000 pixels)\n", optarg);
				return -EINVAL;
			}
			o->fg.min_width = d > 0 ? d : -1;
			break;
		case OPT_COLORS:
			if (flamegraph__colors_parse(optarg, &o->fg.colors)) {
				fprintf(stderr, "hldbench flamegraph: --colors: unknown scheme '%s' "
					"(one of kernel-user, hot)\n", optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			usage(stdout);
			exit(HLD_EXIT_OK);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	return 0;
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

/*
 * Write the graph to o->output (or stdout). A file is only created once all
 * input has been read, and removed again if writing it fails, so a failed
 * run never leaves a truncated SVG behind.
 */
static int write_output(const struct folded *f, const struct fg_cmd_opts *o)
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
	err = flamegraph__write(f, out, &o->fg);
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

int cmd_flamegraph(int argc, char **argv)
{
	struct fg_cmd_opts o = { .fg = { .colors = FLAMEGRAPH_COLORS_KERNEL_USER } };
	struct folded *f;
	int rc = HLD_EXIT_OK;

	if (parse_args(argc, argv, &o))
		return HLD_EXIT_USAGE;
	f = folded__new();
	if (!f) {
		fprintf(stderr, "cannot allocate stacks: %s\n", strerror(errno));
		return HLD_EXIT_FAIL;
	}
	if (optind == argc) {
		if (read_input(f, NULL))
			rc = HLD_EXIT_USAGE;
	}
	for (int i = optind; i < argc && rc == HLD_EXIT_OK; i++)
		if (read_input(f, argv[i]))
			rc = HLD_EXIT_USAGE;
	if (rc == HLD_EXIT_OK && write_output(f, &o))
		rc = HLD_EXIT_FAIL;
	folded__free(f);
	return rc;
}
