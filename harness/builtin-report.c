// SPDX-License-Identifier: GPL-2.0
/*
 * builtin-report.c - `hldbench report RUN...`: regenerate summary.md and
 * report.html of result directories from their files.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "report.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hldbench report [--quiet] RUN...\n\n"
		"Regenerate RUN/summary.md and RUN/report.html from the files of a result\n"
		"directory written by 'hldbench run' (run.json, load-trend.svg, flame.svg), so\n"
		"an old run, or one whose run.json was edited, gets the current reports.\n"
		"report.html is one self-contained page: the load-trend chart and the flame\n"
		"graph inline (hover, click to zoom, Search), the overhead, accuracy and drops\n"
		"tables. A missing load-trend.svg or flame.svg is re-drawn first from\n"
		"samples.csv (gnuplot) or perf.folded.\n\n"
		"  -q, --quiet   print nothing but errors\n"
		"  -h, --help    show this help\n\n"
		"Exit status: 0 written, 1 a report could not be written, 2 bad usage or RUN\n"
		"is not a result directory. docs/report.md describes the reports.\n");
}

/*
 * Say why a result directory could not be reported on: shared with
 * `hldbench compare`, which reads its runs the same way.
 */
int report__error(const char *cmd, const char *dir, int err, const char *why)
{
	if (err == -ENOENT) {
		fprintf(stderr, "hldbench %s: %s: not a hldbench result directory (no run.json)\n",
			cmd, dir);
		return HLD_EXIT_USAGE;
	}
	if (err == -EINVAL) {
		fprintf(stderr, "hldbench %s: %s\n", cmd, why);
		return HLD_EXIT_USAGE;
	}
	fprintf(stderr, "hldbench %s: cannot write %s: %s\n", cmd, why[0] ? why : dir,
		strerror(-err));
	return HLD_EXIT_FAIL;
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool quiet = false;
	int c, rc = HLD_EXIT_OK;

	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return HLD_EXIT_OK;
		default:
			usage(stderr);
			return HLD_EXIT_USAGE;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "hldbench report: no RUN given (a directory 'hldbench run' "
			"wrote, e.g. results/<time>-<scenario>)\n");
		return HLD_EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		char why[4300];
		int err = report__write(argv[i], why, sizeof(why));

		if (err) {
			int code = report__error("report", argv[i], err, why);

			if (code > rc)
				rc = code;
			continue;
		}
		if (!quiet)
			printf("%s/summary.md\n%s/report.html\n", argv[i], argv[i]);
	}
	return rc;
}
