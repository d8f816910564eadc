// SPDX-License-Identifier: GPL-2.0
/*
 * builtin-compare.c - `hldbench compare RUN_A RUN_B [...]`: a comparison
 * report of result directories, A the reference.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "builtin.h"
#include "compare.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hldbench compare [-o DIR] [--quiet] RUN_A RUN_B [RUN...]\n\n"
		"Compare result directories written by 'hldbench run' (up to %d), the first\n"
		"(A) being the reference. Writes DIR/compare.md and DIR/compare.html (one\n"
		"self-contained page) with the runs' load, overhead, diagnosis CPU, accuracy,\n"
		"drops and peer tools side by side, each later run's delta against A and\n"
		"whether it is beyond the noise (the runs' 95%% CIs or noise floors where\n"
		"run.json has them, else the spread of their baseline/diagnosed pairs);\n"
		"load-trends.png/.svg, the runs' load overlaid (gnuplot); and\n"
		"diff-flame-X.svg, the differential flame graph of perf from A to run X.\n"
		"Runs of different scenarios, kernels, CPU counts or hosts are compared, with\n"
		"a warning in the report and on standard error.\n\n"
		"  -o, --output DIR  output directory (default results/<UTC time>-compare)\n"
		"  -q, --quiet       print nothing but errors and warnings\n"
		"  -h, --help        show this help\n\n"
		"Exit status: 0 written, 1 the report could not be written, 2 bad usage or a\n"
		"RUN that is not a result directory. docs/report.md describes the report.\n",
		COMPARE_MAX_RUNS);
}

/* results/<UTC time>-compare, results/ created if needed. */
static void default_outdir(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	char ts[32];

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	mkdir("results", 0755);
	snprintf(buf, len, "results/%s-compare", ts);
}

int cmd_compare(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct run_result *runs[COMPARE_MAX_RUNS] = { 0 };
	char outdir[4096] = "", why[4300], diffs[1024];
	bool quiet = false;
	int c, n = 0, rc = HLD_EXIT_OK, err;

	while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			snprintf(outdir, sizeof(outdir), "%s", optarg);
			break;
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
	if (argc - optind < 2 || argc - optind > COMPARE_MAX_RUNS) {
		fprintf(stderr, "hldbench compare: give 2 to %d result directories (RUN_A RUN_B "
			"...), got %d\n", COMPARE_MAX_RUNS, argc - optind);
		return HLD_EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		err = run_result__load(argv[i], &runs[n], why, sizeof(why));
		if (err) {
			rc = report__error("compare", argv[i], err, why);
			goto out;
		}
		n++;
	}
	if (!outdir[0])
		default_outdir(outdir, sizeof(outdir));
	if (cmp__differences(runs, n, diffs, sizeof(diffs)))
		fprintf(stderr, "hldbench compare: warning: the runs differ in set-up; their "
			"figures may not be comparable:\n%s", diffs);
	why[0] = '\0';
	err = compare__write(runs, n, outdir, why, sizeof(why));
	if (err) {
		fprintf(stderr, "hldbench compare: cannot write %s: %s\n", why[0] ? why : outdir,
			strerror(-err));
		rc = HLD_EXIT_FAIL;
		goto out;
	}
	if (!quiet)
		printf("%s/compare.md\n%s/compare.html\n", outdir, outdir);
out:
	for (int i = 0; i < n; i++)
		run_result__free(runs[i]);
	return rc;
}
